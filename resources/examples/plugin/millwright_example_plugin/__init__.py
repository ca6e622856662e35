"""Example Millwright plug-in: see components.py and docs/components.md."""
