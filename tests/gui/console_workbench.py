"""A workbench in a process of its own with the Console shown, for the tests that end it.

``python -m tests.gui.console_workbench PROJECT`` opens the workbench on PROJECT as the
application does (qasync loop, main window, views), brings the Console to the front, waits for
its kernel and prints one JSON line: the kernel's pid and private folder. Then it waits:
``close`` on stdin closes the window as a user quitting does; a test may kill it instead.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import qasync
from qtpy.QtCore import QSocketNotifier

from workbench.app_dirs import config_dir, state_dir
from workbench.log_capture import LogCapture
from workbench.recovery import RecoveryStore
from workbench.settings import Settings
from workbench.ui.application import create_application
from workbench.ui.main_window import MainWindow
from workbench.ui.prompts import QtPrompts

KERNEL_START = 60


def main() -> int:
    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(Settings(), config_dir() / "settings.json", RecoveryStore(state_dir() / "recovery"),
                       QtPrompts(), LogCapture())
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    window.show()
    commands = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)

    def command() -> None:
        if sys.stdin.readline().strip() == "close":
            window.close()

    commands.activated.connect(command)

    async def start() -> None:
        assert await window.open_project(Path(sys.argv[1]), remember=False)
        view = window.views["console"]
        window.docks["console"].raise_()
        async with asyncio.timeout(KERNEL_START):
            while view.state != "idle":
                await asyncio.sleep(0.05)
        print(json.dumps({"pid": view.kernel.pid, "folder": str(view.kernel.folder.path)}), flush=True)

    window.spawn(start())
    with loop:
        loop.run_until_complete(closed.wait())
    return 0


if __name__ == "__main__":
    sys.exit(main())
