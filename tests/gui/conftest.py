"""GUI fixtures: a qasync loop, scripted prompts, and windows that must be closed by the test."""

from __future__ import annotations

import asyncio
import gc
from collections import deque
from pathlib import Path

import pytest
import qasync
from qtpy.QtWidgets import QApplication

from workbench.app_dirs import config_dir, state_dir
from workbench.log_capture import LogCapture
from workbench.recovery import RecoveryStore
from workbench.settings import Settings
from workbench.ui import i18n, theme
from workbench.ui.application import keep_clipboard_text
from workbench.ui.main_window import MainWindow
from workbench.ui.prompts import UnsavedChoice


class ScriptedPrompts:
    """Answers the window's questions from a script and records every message it was shown."""

    def __init__(self):
        self.answers: dict[str, deque] = {k: deque() for k in ("unsaved", "recover", "project", "new_project")}
        self.asked: list[tuple[str, str]] = []
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []

    def _next(self, kind: str, question: str):
        self.asked.append((kind, question))
        if not self.answers[kind]:
            raise AssertionError(f"The window asked an unexpected question: {kind}: {question}")
        return self.answers[kind].popleft()

    async def ask_unsaved(self, parent, project_name: str) -> UnsavedChoice:
        return self._next("unsaved", project_name)

    async def ask_recover(self, parent, entry) -> bool:
        return self._next("recover", entry.project_name)

    async def choose_project(self, parent, start: Path):
        return self._next("project", str(start))

    async def choose_new_project(self, parent, start: Path, name: str = ""):
        return self._next("new_project", str(start))

    def error(self, parent, title: str, text: str) -> None:
        self.errors.append((title, text))

    def warning(self, parent, title: str, text: str) -> None:
        self.warnings.append((title, text))


@pytest.fixture(scope="session")
def loop(qapp):
    """One asyncio loop on Qt's event loop for the whole session, as in the application.

    A loop per test is not safe: a closed qasync loop can leave Qt timers aimed at its deleted
    timer object, which crash a later test when they fire.
    """
    qapp.setQuitOnLastWindowClosed(False)  # closing a test's window must not stop the loop
    event_loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(event_loop)
    yield event_loop
    event_loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def _clipboard_text_only(qapp):
    """What the application does before it exits (see keep_clipboard_text): PySide6 crashes at
    interpreter exit while the clipboard holds a QMimeData made in Python."""
    yield
    keep_clipboard_text()


@pytest.fixture(autouse=True, scope="module")
def _collect_widgets_on_the_gui_thread():
    """Widgets a test module left in reference cycles are collected here, on the GUI thread: collected
    later by a worker thread's garbage collection (an engine run, a reader), Qt destroys them off
    the GUI thread and the suite deadlocks in Qt (seen once, with no timeout able to fire). Once per
    module: a full collection costs ~0.2 s."""
    yield
    gc.collect()


@pytest.fixture
def prompts():
    return ScriptedPrompts()


@pytest.fixture
def make_window(qapp, qtbot, loop, prompts):
    """Create main windows like the application does; close them after the test.

    Like napari's ``make_napari_viewer``, the test fails if any other top-level window (a dialog,
    a message box) is still open at the end: the UI must not leave stray windows behind.
    """
    windows: list[MainWindow] = []
    i18n.install_language(qapp, "en")
    theme.apply_theme(qapp, "light")

    def make(settings: Settings | None = None, autosave_seconds: int | None = None, *, views=None,
             capture: LogCapture | None = None) -> MainWindow:
        path = config_dir() / "settings.json"
        settings = settings or Settings.load(path)
        if autosave_seconds is not None:
            settings.autosave_seconds = autosave_seconds
        extra = {"views": views} if views is not None else {}
        window = MainWindow(settings, path, RecoveryStore(state_dir() / "recovery"), prompts,
                            capture or LogCapture(), **extra)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window._close_confirmed = True
        window.close()
    QApplication.processEvents()
    stray = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for widget in stray:
        widget.close()
    for window in windows:
        window.deleteLater()
    i18n.install_language(qapp, "en")
    QApplication.processEvents()
    assert not stray, f"windows left open: {[w.windowTitle() or type(w).__name__ for w in stray]}"


def run(loop, coroutine, timeout: float = 10):
    """Run a coroutine on the qasync loop and return its result."""
    return loop.run_until_complete(asyncio.wait_for(coroutine, timeout))


async def until(predicate, timeout: float = 5.0) -> None:
    """Let the loop run (tasks, Qt events) until ``predicate()`` holds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
