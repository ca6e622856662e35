"""The workbench's own views; every module here registers its dock with :mod:`workbench.ui.views`.

A new view is a new module in this package (or a ``millwright.views`` entry point of a
plug-in): it is imported by :func:`workbench.ui.views.default_registry`, never named by the
main window.
"""
