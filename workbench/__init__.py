"""Millwright workbench: the application shell, projects, settings and the ``millwright`` CLI.

The modules directly in this package are free of Qt so that the headless command line and
packaged apps can use them; every Qt view lives in :mod:`workbench.ui`.
"""

__version__ = "0.1.0"
