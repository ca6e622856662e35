"""The Console view: a Jupyter console on a Python kernel in the project folder (bottom dock).

The kernel is a separate process (:class:`workbench.console_kernel.ConsoleKernel`): code that
hangs or crashes there never freezes or ends the workbench. Nothing of it exists at start-up —
not even qtconsole, which takes half a second to import — until the view is first shown; then
the kernel starts with the helpers of :mod:`workbench.console_helpers` on the open project.

* **Interrupt** (the toolbar, or Ctrl+C in the console while code runs) sends SIGINT to the
  kernel: the cell ends with KeyboardInterrupt, variables are kept.
* **Restart** (the toolbar, or Ctrl+. in the console) starts a fresh kernel; a kernel that dies
  (its heartbeat stops) is restarted the same way, with a note in the console.
* Another project opened: the kernel restarts in its folder. The window closed: the kernel is
  asked to exit and killed if it does not within two seconds; the workbench killed: it exits
  with its parent (see :mod:`workbench.console_kernel`).

``python -m workbench.ui.console_view [PROJECT]`` shows the view alone on a project.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib
import logging
import weakref
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from qtpy import shiboken
from qtpy.QtCore import QEvent, QObject, Qt, QTimer, Signal
from qtpy.QtGui import QAction, QKeySequence
from qtpy.QtWidgets import QDockWidget, QLabel, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from device_browser.ui.tasks import TaskSet
from workbench.console_kernel import ConsoleKernel

log = logging.getLogger(__name__)

_live: weakref.WeakSet[ConsoleView] = weakref.WeakSet()  # views whose kernel atexit must stop


class _RestartNotice(QObject):
    """What qtconsole listens to on a kernel manager: ``kernel_restarted`` (the kernel itself is ours)."""

    kernel_restarted = Signal()

    def reset_autorestart_count(self) -> None:
        """qtconsole calls this after each kernel info reply; our restarts are not counted."""


class ConsoleView(QWidget):
    """A toolbar (interrupt, restart, the kernel's state) over qtconsole's RichJupyterWidget.

    ``state`` is one of ``not started``, ``starting``, ``idle``, ``busy``, ``restarting``,
    ``stopped`` and ``failed``; ``state_changed`` announces each change. ``code_started`` gives
    the code the kernel has begun to run, ``code_finished`` the reply's content when it is done
    (``status`` ok or error, with ``ename`` such as KeyboardInterrupt), after its output is shown.
    """

    state_changed = Signal(str)
    code_started = Signal(str)
    code_finished = Signal(dict)

    def __init__(self, project_root: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.project_root = project_root
        self.kernel: ConsoleKernel | None = None
        self.console: Any = None  # qtconsole's RichJupyterWidget, made with the kernel
        self.state = "not started"
        self._restarting = False
        self._ready = False  # the console's prompt is there since the kernel was (re)started
        self._pending: list[str] = []  # code given to execute(), waiting for the kernel or for the code before
        self._running_given = False  # code given to execute() runs now
        self._watchdog = QTimer(self, interval=1000)
        self._watchdog.timeout.connect(self._check_started)
        self._tasks = TaskSet()
        self._watched: QWidget | None = None
        self._dock: QDockWidget | None = None
        self._follow_timer = QTimer(self, singleShot=True, interval=300)
        self._follow_timer.timeout.connect(self._restart_in_project)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.interrupt_action = QAction(self)
        self.restart_action = QAction(self)
        # Ctrl+C interrupts in the console itself, as in any terminal (qtconsole takes the key from
        # the window's Copy while it has the focus; with text selected it copies). A second Ctrl+C
        # shortcut here would clash with Copy. Ctrl+. restarts from anywhere in this view.
        self.restart_action.setShortcut(QKeySequence("Ctrl+."))
        self.restart_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for action in (self.interrupt_action, self.restart_action):
            self.addAction(action)
            self.toolbar.addAction(action)
        self.interrupt_action.triggered.connect(lambda: self.spawn(self.interrupt()))
        self.restart_action.triggered.connect(lambda: self.spawn(self.restart()))
        self.state_label = QLabel()
        self.state_label.setContentsMargins(12, 0, 6, 0)
        self.toolbar.addWidget(self.state_label)

        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.stack)
        self.retranslate()
        self._update_actions()
        _live.add(self)

    # -- life cycle ------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._watch_window()
        self._follow_dock()
        self._start_soon()

    def _follow_dock(self) -> None:
        # A dock tabbed behind another stays "visible" to Qt (no show event when its tab is picked):
        # its dock's visibilityChanged says when the tab comes to the front.
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QDockWidget):
            parent = parent.parentWidget()
        if parent is not None and parent is not self._dock:
            self._dock = parent
            parent.visibilityChanged.connect(lambda shown: shown and shiboken.isValid(self) and self._start_soon())

    def _start_soon(self) -> None:
        if self.kernel is None and self.state == "not started":
            QTimer.singleShot(0, self._start_if_visible)  # after the dock is laid out and painted, never before

    def _start_if_visible(self) -> None:
        # visibleRegion is empty for a dock tab that is not in front (and for a hidden widget)
        if (shiboken.isValid(self) and self.isVisible() and not self.visibleRegion().isEmpty()
                and self.kernel is None and self.state == "not started"):
            self.spawn(self.start())

    async def start(self) -> None:
        """Start the kernel on the project and put the console in the view (nothing if it runs)."""
        if self.kernel is not None:
            return
        self._set_state("starting")
        # jupyter_client (~0.3 s of imports) and qtconsole (~0.5 s) are imported on a worker thread,
        # the latter while the kernel boots, so the window goes on drawing (the imports define
        # classes, they make no Qt objects).
        await asyncio.to_thread(importlib.import_module, "jupyter_client")
        if self.kernel is not None or self.state != "starting":  # started or shut down meanwhile
            return
        self.kernel = kernel = ConsoleKernel(self.project_root)
        self._ready = False
        try:
            await kernel.start()
            await asyncio.to_thread(importlib.import_module, "workbench.ui.jupyter_console")
        except Exception as exc:  # any launch failure is shown, the workbench goes on
            log.error("The Python console's kernel did not start: %s\n%s", exc, kernel.folder.log_tail(),
                      exc_info=exc)
            self._discard_kernel()
            self._set_state("failed")
            return
        if self.kernel is not kernel:  # shut down (window closed, project changed) while it started
            kernel.shutdown()
            return
        from qtconsole.client import QtKernelClient

        client = QtKernelClient(**kernel.connection_info())
        # The heartbeat waits for the kernel's first word: a kernel still importing on a busy
        # machine is not dead (qtconsole gives it 3 s), and a restart for that would never end.
        client.start_channels(hb=False)  # the channels exist from here on
        self._show_console(client)
        client.iopub_channel.message_received.connect(self._kernel_message)
        self._watchdog.start()

    def _show_console(self, client: Any) -> None:
        from workbench.ui.jupyter_console import JupyterConsole

        console = JupyterConsole(self._banner())
        console.kernel_manager = self._notice = _RestartNotice(console)
        console.kernel_client = client
        console.custom_interrupt_requested.connect(lambda: self.spawn(self.interrupt()))
        console.custom_restart_requested.connect(lambda: self.spawn(self.restart()))
        console.custom_restart_kernel_died.connect(lambda _seconds: self._kernel_died())
        console.executed.connect(self._finished)
        # Queued: the prompt is drawn inside qtconsole's handler, which goes on after announcing it.
        console.prompt_shown.connect(self._prompt_shown, Qt.ConnectionType.QueuedConnection)
        old, self.console = self.console, console
        self.stack.addWidget(console)
        self.stack.setCurrentWidget(console)
        if old is not None:  # a console of an earlier kernel: its channels' threads end with it
            if old.kernel_client is not None:
                old.kernel_client.stop_channels()
            self.stack.removeWidget(old)
            old.deleteLater()
        console.setFocus()

    async def interrupt(self) -> None:
        """Interrupt the code the kernel runs (KeyboardInterrupt in the cell; the variables stay)."""
        if self.kernel is not None and self.kernel.pid is not None:
            await self.kernel.interrupt()

    async def restart(self, died: bool = False) -> None:
        """A fresh kernel on the same project: variables go, the helpers come back.

        After a kernel that could not be launched at all, this is the way to try again.
        """
        if self._restarting:
            return
        if self.state in ("failed", "stopped"):  # a new kernel from scratch, launched as at first
            self._discard_kernel()
            await self.start()
            return
        if self.kernel is None:
            return
        self._restarting, self._ready = True, False
        client = self.console.kernel_client if self.console is not None else None
        if client is not None:
            client.hb_channel.pause()  # until the new kernel speaks (see _kernel_message)
        self._set_state("restarting")
        try:
            await self.kernel.restart()
        except Exception as exc:  # reported; the user may restart again
            log.error("The Python console's kernel did not restart: %s", exc, exc_info=exc)
            self._set_state("failed")
            return
        finally:
            self._restarting = False
        self._watchdog.start()
        if self.console is not None and shiboken.isValid(self.console):
            self.console.show_restarted(died)  # its fresh prompt says the new kernel is ready

    def _kernel_died(self) -> None:
        """The heartbeat stopped (the kernel crashed or was killed): start a fresh one, as Jupyter does."""
        if self._ready and not self._restarting:
            self.spawn(self.restart(died=True))

    def _check_started(self) -> None:
        """A kernel that exits before its first word will not say why: its log goes to the Log panel."""
        kernel = self.kernel
        if kernel is None or self._ready:
            self._watchdog.stop()
        elif kernel.exit_code is not None and not self._restarting:
            self._watchdog.stop()
            log.error("The Python console's kernel exited while starting (code %s):\n%s", kernel.exit_code,
                      kernel.folder.log_tail())
            self._set_state("failed")

    def shutdown(self) -> None:
        """Stop the kernel now (blocks up to two seconds) and remove its private folder."""
        if self.console is not None and shiboken.isValid(self.console) and self.console.kernel_client is not None:
            self.console.kernel_client.stop_channels()
        self._discard_kernel()
        if self.state != "not started":
            self._set_state("stopped")

    def _discard_kernel(self) -> None:
        kernel, self.kernel = self.kernel, None
        if kernel is not None:
            kernel.shutdown()

    def follow_project(self, root: Path | None) -> None:
        """The project changed: a running kernel restarts in ``root``; one not started yet will start there.

        The restart waits a moment: opening another project closes this one first, and one
        restart in the new folder is enough.
        """
        self.project_root = Path(root) if root is not None else None
        self._follow_timer.start()

    def _restart_in_project(self) -> None:
        if self.kernel is None or self.kernel.project == self.project_root:
            return
        self.spawn(self._move_to_project())

    async def _move_to_project(self) -> None:
        # The old kernel takes a second to exit: it is waited for on a worker thread, while the
        # window goes on (only closing the window waits for it on the UI thread, which ends then).
        old, self.kernel = self.kernel, None
        if self.console is not None and self.console.kernel_client is not None:
            self.console.kernel_client.stop_channels()
        self._ready = False
        self._set_state("not started")
        await asyncio.to_thread(old.shutdown)
        if shiboken.isValid(self) and self.isVisible() and self.kernel is None:
            await self.start()

    def execute(self, code: str) -> None:
        """Run ``code`` in the console as if typed (shown with its output); starts the kernel if needed.

        For other views that hand the user something to try (a script component on a recording).
        Code waits its turn: until the kernel is ready, and until code given before has finished
        (qtconsole draws each cell's prompt when the one before is done).
        """
        self._pending.append(code)
        if self.kernel is None:
            self.spawn(self.start())
        self._run_next()

    def _run_next(self) -> None:
        # qtconsole's own flag: code the user typed may be running too
        if (self._ready and not self._running_given and self._pending and self.console is not None
                and not self.console._executing):
            self._running_given = True
            self.console.execute(self._pending.pop(0))

    def _finished(self, reply: dict) -> None:
        self._running_given = False
        self.code_finished.emit(reply.get("content", {}))
        self._run_next()

    # -- the window's end is the kernel's ---------------------------------------------------------
    def _watch_window(self) -> None:
        window = self.window()
        if window is not self._watched and window is not self:
            if self._watched is not None and shiboken.isValid(self._watched):
                self._watched.removeEventFilter(self)
            self._watched = window
            window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A closed window is hidden, not by the desktop (minimising is spontaneous): the kernel goes
        # now, while the loop still runs; a process that ends without this still takes it along.
        if (watched is self._watched and event.type() == QEvent.Type.Hide and not event.spontaneous()
                and not self._watched.isMinimized()):
            self.shutdown()
        return False

    # -- state and text --------------------------------------------------------------------------
    def _kernel_message(self, message: dict) -> None:
        """The kernel's status (busy, idle) and the code it begins, once the console is ready."""
        if not self._ready or self._restarting:
            return
        kind, content = message.get("msg_type"), message.get("content", {})
        if kind == "status" and content.get("execution_state") in ("busy", "idle"):
            self._set_state(content["execution_state"])
        elif kind == "execute_input" and self.console.from_here(message):
            self.code_started.emit(content.get("code", ""))

    def _prompt_shown(self) -> None:
        if not self._ready and not self._restarting and self.kernel is not None and self.console is not None:
            self._became_ready()

    def _became_ready(self) -> None:
        # The kernel answered and qtconsole drew its prompt: from now on the kernel's silence
        # means it died, and code waiting to run can go.
        self._ready = True
        hb = self.console.kernel_client.hb_channel
        hb.unpause()
        if not hb.is_alive():
            hb.start()
        self._set_state("idle")
        self._running_given = False
        self._run_next()

    def _set_state(self, state: str) -> None:
        if not shiboken.isValid(self):
            return
        changed = state != self.state
        self.state = state
        self._show_state()
        self._update_actions()
        if changed:
            self.state_changed.emit(state)

    def _update_actions(self) -> None:
        self.interrupt_action.setEnabled(self.kernel is not None and self.state == "busy")
        self.restart_action.setEnabled(self.state not in ("not started", "starting", "restarting"))

    def _show_state(self) -> None:
        texts = {"not started": self.tr("Kernel: not started"), "starting": self.tr("Kernel: starting…"),
                 "idle": self.tr("Kernel: ready"), "busy": self.tr("Kernel: running code"),
                 "restarting": self.tr("Kernel: restarting…"), "stopped": self.tr("Kernel: stopped"),
                 "failed": self.tr("Kernel: failed to start (see the Log panel)")}
        self.state_label.setText(texts.get(self.state, self.state))

    def _banner(self) -> str:
        where = str(self.project_root) if self.project_root is not None else self.tr("no project open")
        return self.tr("Millwright console on {project}\n"
                       "  project             the open project: graphs, recordings, components\n"
                       "  recording(name)     a recording as a DataFrame\n"
                       "  run(graph, data)    a graph's outputs on a recording or DataFrame\n"
                       "  component(name)     a component class; add ? for its documentation\n"
                       "  try_component(name, data, columns, params)   one component on recorded data\n"
                       "  plot(frame)         the columns over time, drawn here\n"
                       "Ctrl+C interrupts, Ctrl+. restarts.\n\n").format(project=where)

    def retranslate(self) -> None:
        self.interrupt_action.setText(self.tr("Interrupt"))
        self.interrupt_action.setToolTip(self.tr("Interrupt the code that runs (Ctrl+C in the console)"))
        self.restart_action.setText(self.tr("Restart"))
        self.restart_action.setToolTip(self.tr("Start a fresh kernel: variables are lost, the helpers come back "
                                               "(Ctrl+.)"))
        self.placeholder.setText(self.tr("The Python console starts when this panel is shown."))
        self._show_state()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange) and self.console is not None:
            self.console.follow_theme()  # the console's own style sheet keeps it from seeing the change
        super().changeEvent(event)

    def spawn(self, work: Coroutine) -> asyncio.Task:
        """Run a coroutine on the loop; an error goes to the Log panel, never into Qt."""
        return self._tasks.spawn_guarded(work, "Python console")


@atexit.register
def _stop_kernels() -> None:
    """A workbench that ends without closing its window still stops its kernels (and their folders)."""
    for view in list(_live):
        kernel, view.kernel = view.kernel, None
        if kernel is not None:
            kernel.shutdown()


def main() -> None:  # pragma: no cover - a manual preview, as `python -m workbench.ui.console_view`
    import sys

    import qasync
    from qtpy.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    view = ConsoleView(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else None)
    view.resize(900, 500)
    view.show()
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    with loop:
        loop.run_until_complete(closed.wait())


if __name__ == "__main__":  # pragma: no cover
    main()
