"""Qt views of the workbench (written against qtpy; PySide6 is the binding we ship)."""

import os

# qtpy, qasync and PyInstaller each pick another binding first if one is installed.
os.environ.setdefault("QT_API", "pyside6")
