"""Await Qt dialogs from coroutines without a nested event loop.

A modal ``exec()`` inside a coroutine breaks qasync ("Cannot enter into task"), so every
dialog is opened with ``open()`` and its ``finished`` signal resolves a future.
(It lives here, below the workbench, so that the device browser's dialogs can use it too;
``workbench.ui.dialogs`` re-exports it.)
"""

from __future__ import annotations

import asyncio

from qtpy.QtWidgets import QDialog


async def run_dialog(dialog: QDialog) -> int:
    """Show ``dialog`` window-modal and return its result code once it closes."""
    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not future.done():
            future.set_result(result)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await future
    finally:
        dialog.finished.disconnect(finished)
        if dialog.isVisible():  # the coroutine was cancelled while the dialog was up
            dialog.reject()
