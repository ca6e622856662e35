"""Starts the Qt application with an asyncio loop (qasync) that serves device I/O.

One thread, one loop: qasync runs asyncio on Qt's event loop, so coroutines (asyncua,
pymodbus, file work through ``asyncio.to_thread``) and widgets share the UI thread without
locks, and a coroutine only ever yields at ``await`` points. Nothing on this thread may block:
blocking calls go to ``asyncio.to_thread``. See docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path

import psutil
import qasync
from qtpy.QtCore import QTimer
from qtpy.QtGui import QGuiApplication
from qtpy.QtWidgets import QApplication

import workbench.ui  # noqa: F401 - selects the Qt binding before qtpy is imported
from workbench import __version__
from workbench.app_dirs import config_dir, state_dir
from workbench.log_capture import LogCapture
from workbench.recovery import RecoveryStore
from workbench.settings import Settings
from workbench.ui import i18n, theme
from workbench.ui.main_window import MainWindow
from workbench.ui.prompts import QtPrompts

log = logging.getLogger(__name__)


# Full garbage collections while 5,000 tags stream in took ~100 ms each, four times in 10 s, and
# stall the window whichever thread starts them (benchmarks/device_views.py: the worst frame fell
# from 100-140 ms to ~50 ms with these thresholds). Cycles are rare in the data path; memory is
# still collected, only in fewer, later passes.
GC_THRESHOLDS = (20_000, 20, 20)


def create_application(argv: list[str] | None = None) -> QApplication:
    gc.set_threshold(*GC_THRESHOLDS)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Millwright")
    app.setOrganizationName("Millwright")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("millwright")
    return app


def configure_logging(capture: LogCapture) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(capture)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)
    # asyncua logs every publish at INFO; it would bury what engineers need to see.
    logging.getLogger("asyncua").setLevel(logging.WARNING)


def install_excepthook(window: MainWindow) -> None:
    """Errors that escape a slot are logged and shown as a message, never as a traceback."""

    def hook(kind, error, trace) -> None:
        window.report_unexpected(error.with_traceback(trace))

    sys.excepthook = hook


def seconds_since_process_start() -> float:
    """Wall time since this process was created, interpreter start-up included."""
    try:  # Linux: start time in clock ticks since boot, exact to 10 ms
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.time() - psutil.Process().create_time()


def peak_memory_mb() -> float:
    """Peak resident memory of this process (ru_maxrss would include the parent's at fork)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    info = psutil.Process().memory_info()
    return getattr(info, "peak_wset", info.rss) / 2**20


def _report_startup(window: MainWindow) -> None:
    """Print start-up figures as JSON for ``make bench``, then quit."""
    print(json.dumps({"shown_seconds": round(seconds_since_process_start(), 3),
                      "peak_rss_mb": round(peak_memory_mb(), 1),
                      "project": str(window.project.root) if window.project else None}), flush=True)
    window.close()


def run_workbench(project: Path | None = None, language: str | None = None, theme_name: str | None = None,
                  quit_after_shown: bool = False) -> int:
    """Open the workbench (on ``project`` if given) and run until the window closes."""
    capture = LogCapture()
    configure_logging(capture)
    app = create_application()
    settings_path = config_dir() / "settings.json"
    settings = Settings.load(settings_path)
    i18n.install_language(app, language or settings.language)
    theme.apply_theme(app, theme_name or settings.theme)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    window = MainWindow(settings, settings_path, RecoveryStore(state_dir() / "recovery"), QtPrompts(), capture)
    install_excepthook(window)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    app.lastWindowClosed.connect(closed.set)
    window.show()

    async def start() -> None:
        await window.startup(project)
        if quit_after_shown:
            QTimer.singleShot(0, lambda: _report_startup(window))

    window.spawn(start())
    with loop:
        loop.run_until_complete(closed.wait())
    keep_clipboard_text()
    return 0


def keep_clipboard_text() -> None:
    """Before the process ends, put the clipboard's text in place of rich content Millwright copied.

    PySide6 crashes at interpreter exit (a segmentation fault) when the clipboard still holds a
    QMimeData made in Python (the watch list copies rows as text and as tags): the pasted text
    survives, the tags were only for pasting inside Millwright."""
    from device_browser.ui.tag_mime import TAG_MIME

    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(TAG_MIME):  # ours: only Millwright writes that type
        clipboard.setText(clipboard.text())
