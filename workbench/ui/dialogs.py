"""Await Qt dialogs from coroutines without a nested event loop (see :mod:`device_browser.ui.dialogs`).

The helper lives in the device browser's views, below the workbench in the layers, so that
its dialogs (the trust prompt) use the same one; the workbench keeps importing it from here.
"""

from __future__ import annotations

from device_browser.ui.dialogs import run_dialog

__all__ = ["run_dialog"]
