"""The workbench main window: a composition of registered views around the project session.

The window owns no project logic. :class:`~workbench.session.ProjectSession` holds the open
project, its saved state and running jobs; :class:`ProjectController` asks the user what to
do; each dock is a view registered in :mod:`workbench.ui.views` (modules in
:mod:`workbench.ui.docks`), so a new view never means editing this file. The window listens
to the session for its title, actions and status bar, and keeps menus, layout and settings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from pathlib import Path

from qtpy.QtCore import QByteArray, QEvent, Qt, QTimer, QUrl
from qtpy.QtGui import QCloseEvent, QDesktopServices, QShowEvent, QUndoStack
from qtpy.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QTabBar, QWidget

from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from model_designer.run import RunState
from nodes.project_components import ProjectComponents
from nodes.registry import default_registry as default_components
from nodes.resources import example_project
from workbench.app_dirs import state_dir
from workbench.log_capture import LogCapture
from workbench.project import Project
from workbench.recovery import RecoveryStore
from workbench.session import ProjectSession
from workbench.settings import Settings
from workbench.status import WorkbenchStatus
from workbench.ui import i18n, theme
from workbench.ui.about_dialog import AboutDialog
from workbench.ui.dialogs import run_dialog
from workbench.ui.dock_host import DockHost
from workbench.ui.editor_area import EditorArea
from workbench.ui.job_progress import JobProgress
from workbench.ui.preferences_dialog import PreferencesDialog
from workbench.ui.project_controller import ProjectController
from workbench.ui.prompts import Prompts
from workbench.ui.start_page import StartPage
from workbench.ui.text_limits import elide_middle
from workbench.ui.views import ViewContext, ViewRegistry, default_registry
from workbench.ui.window_actions import WindowActions

log = logging.getLogger(__name__)
# The status bar's model state from the states of the runs, the first that any run is in.
RUN_STATE_OF = (("running", {RunState.STARTING, RunState.RUNNING}), ("paused", {RunState.PAUSED}),
                ("failed", {RunState.FAILED}))

TITLE_CHARS = 120  # a window title is one line in the task bar: a 400 kB name must not reach it


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, settings_path: Path, recovery: RecoveryStore,
                 prompts: Prompts, log_capture: LogCapture, status: WorkbenchStatus | None = None,
                 views: ViewRegistry | None = None):
        super().__init__()
        self.setObjectName("millwright_main_window")
        self.settings, self.settings_path = settings, settings_path
        self.recovery, self.prompts = recovery, prompts
        self.status = status or WorkbenchStatus()
        self.session = ProjectSession(recovery)
        self.controller = ProjectController(self.session, settings, prompts, self)
        self.undo_stack = QUndoStack(self)
        self._tasks: set[asyncio.Task] = set()
        self._close_confirmed = False
        self._views_confirmed = False
        self.devices = DeviceWorkspace(AuditLog(state_dir() / "audit.jsonl"))

        self.components = ProjectComponents(default_components())  # follows the open project's components/
        self.start_page = StartPage()
        self.editor_area = EditorArea(self.start_page, self.undo_stack, self.components, self.devices)
        self.setCentralWidget(self.editor_area)
        context = ViewContext(self.session, self.undo_stack, log_capture, self.status, settings, self, self.devices,
                              self.editor_area, self.components)
        self.dock_host = DockHost(self, views if views is not None else default_registry(), context)
        self.default_state = self.saveState()
        self.job_progress = JobProgress(self.session.jobs, self)

        self.actions = WindowActions(self)
        self.actions.bind_undo_stack(self.editor_area.undo_group)  # the project's edits, or the graph in front
        context.add_menu_actions("model", self.editor_area.model_actions())
        self.actions.build(self.dock_host.toggle_actions(), context.menu_actions)
        self._build_status_bar()
        self._connect()
        self.retranslate()
        self._restore_window()
        self.actions.theme[settings.theme].setChecked(True)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self._autosave)
        self.autosave_timer.start(settings.autosave_seconds * 1000)
        self._project_changed()

    # -- views --------------------------------------------------------------------------------
    @property
    def docks(self) -> dict[str, QDockWidget]:
        """The docks by view id (views that failed to build are absent)."""
        return self.dock_host.docks

    @property
    def views(self) -> dict[str, QWidget]:
        """The view widgets by view id."""
        return self.dock_host.views

    @property
    def project(self) -> Project | None:
        return self.session.project

    # -- construction ---------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        self.read_only_label, self.devices_label, self.run_label = QLabel(), QLabel(), QLabel()
        self.read_only_label.setStyleSheet("color: #d9534f; font-weight: bold")
        for label in (self.read_only_label, self.devices_label, self.run_label):
            self.statusBar().addPermanentWidget(label)
        self.status.events.connect(self._show_status)

    def _connect(self) -> None:
        a, c, s = self.actions, self.controller, self.session
        a.new.triggered.connect(lambda: self.spawn(c.new_project()))
        a.open.triggered.connect(lambda: self.spawn(c.choose_and_open()))
        a.open_example.triggered.connect(lambda: self.spawn(c.open_project(example_project())))
        a.save.triggered.connect(lambda: self.editor_area.save_current() or self.spawn(c.save()))
        a.save_as.triggered.connect(lambda: self.spawn(c.save_as()))
        a.close_project.triggered.connect(lambda: self.spawn(c.close_project()))
        a.clear_recent.triggered.connect(c.clear_recent)
        a.quit.triggered.connect(self.close)
        a.cut.triggered.connect(lambda: self._edit(lambda widget: widget.cut()))
        a.copy.triggered.connect(lambda: self._edit(lambda widget: widget.copy()))
        a.paste.triggered.connect(lambda: self._edit(lambda widget: widget.paste()))
        a.preferences.triggered.connect(lambda: self.spawn(self.edit_preferences()))
        a.reset_layout.triggered.connect(self.reset_layout)
        for action, folder in ((a.open_devices_folder, "devices"), (a.open_graphs_folder, "graphs"),
                               (a.open_components_folder, "components"), (a.open_apps_folder, "apps")):
            action.triggered.connect(lambda _=False, folder=folder: self._reveal(folder))
        a.about.triggered.connect(lambda: self.spawn(run_dialog(AboutDialog(self))))
        a.about_qt.triggered.connect(lambda: QMessageBox.aboutQt(self))
        a.themes.triggered.connect(lambda action: self.set_theme(action.data()))
        a.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        sp = self.start_page
        sp.new_requested.connect(a.new.trigger)
        sp.open_requested.connect(a.open.trigger)
        sp.example_requested.connect(a.open_example.trigger)
        sp.recent_requested.connect(lambda path: self.spawn(c.open_project(path)))
        c.recent_changed.connect(lambda: self.start_page.set_recent(self.settings.recent_projects))
        c.message.connect(self.statusBar().showMessage)
        # The session announces; the window only redraws what depends on the project.
        s.opened.connect(self._project_opened_or_closed)
        s.closed.connect(self._project_opened_or_closed)
        s.dirty_changed.connect(self._project_changed)
        s.edited.connect(self._project_changed)
        s.root_changed.connect(self._project_changed)
        s.root_changed.connect(self.components.open)  # saved as a copy: the copy's components from now on
        s.busy_changed.connect(self._set_busy)
        self.editor_area.current_editor_changed.connect(self._project_changed)
        self.editor_area.graph_dirty_changed.connect(self._project_changed)
        self.editor_area.message.connect(lambda text: self.statusBar().showMessage(text, 10_000))
        self.editor_area.run_changed.connect(lambda _editor: self._show_run_state())
        self.devices.devices_changed.connect(self._count_devices)
        self.devices.status_changed.connect(self._count_devices)

    def retranslate(self) -> None:
        self.actions.retranslate()
        self.dock_host.retranslate()
        self._show_status()
        self._update_title()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- async plumbing ---------------------------------------------------------------------------
    def spawn(self, coroutine: Coroutine) -> asyncio.Task:
        """Run a coroutine on the loop; an unexpected error is logged and shown, never raised."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        self.report_unexpected(task.exception())

    def report_unexpected(self, error: BaseException) -> None:
        """Log an error the code did not foresee and tell the user in plain words."""
        log.error("Unexpected error: %s", error, exc_info=error)
        self.prompts.error(self, self.tr("Unexpected error"),
                           self.tr("Something went wrong: {error}\n\nThe details are in the Log panel; "
                                   "your project has not been changed by this error.").format(error=error))

    # -- the project life cycle lives in the controller; these are the window's entry points ------
    async def startup(self, project: Path | None) -> None:
        await self.controller.startup(project)

    async def open_project(self, folder: Path, remember: bool = True) -> bool:
        return await self.controller.open_project(folder, remember)

    def _project_opened_or_closed(self, _project: Project) -> None:
        self.undo_stack.clear()  # commands hold the project they change: never across projects
        self.editor_area.close_all()
        project = self.project
        self.components.open(project.root if project is not None else None)
        self._project_changed()
        self.spawn(self.devices.open_folder(project.root / "devices" if project is not None else None))

    def _count_devices(self, *_unused: object) -> None:
        self.status.devices_connected, self.status.devices_total = self.devices.counts()

    def _project_changed(self, *_unused: object) -> None:
        self._update_title()
        self._update_actions()
        self._show_status()

    def _autosave(self) -> None:
        if self.session.dirty and self.session.writable:
            self.spawn(self.session.write_recovery())

    # -- preferences -------------------------------------------------------------------------------
    async def edit_preferences(self) -> None:
        dialog = PreferencesDialog(self.settings, self)
        accepted = await run_dialog(dialog)
        if accepted:
            old_language = self.settings.language
            dialog.apply_to(self.settings)
            if self.settings.language != old_language:
                i18n.install_language(QApplication.instance(), self.settings.language)
            self.set_theme(self.settings.theme)
            self.autosave_timer.start(self.settings.autosave_seconds * 1000)
            self.save_settings()
        dialog.deleteLater()

    def set_theme(self, name: str) -> None:
        self.settings.theme = name
        self.actions.theme[name].setChecked(True)
        theme.apply_theme(QApplication.instance(), name)

    # -- window state --------------------------------------------------------------------------------
    def _restore_window(self) -> None:
        self.start_page.set_recent(self.settings.recent_projects)
        if not self.settings.window_geometry or not self.restoreGeometry(
                QByteArray.fromBase64(self.settings.window_geometry.encode())):
            available = self.screen().availableGeometry()
            self.resize(min(1280, int(available.width() * 0.9)), min(800, int(available.height() * 0.9)))
        # Docks are matched by objectName = view id: a view added since keeps its default place.
        self._layout_restored = bool(self.settings.window_state) and self.restore_layout(
            QByteArray.fromBase64(self.settings.window_state.encode()))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_restored:
            self._layout_restored = True
            QTimer.singleShot(0, self.dock_host.apply_default_sizes)

    def restore_layout(self, state: QByteArray) -> bool:
        """``restoreState``, without the tab bars Qt 6.11 leaves visible behind the new ones.

        Each restore makes new tab bars for the tabbed docks and leaves the old ones shown where
        they were (a doubled "Log | Trends | Trends"); the old ones come first among the children.
        """
        restored = self.restoreState(state)
        newest: dict[tuple[str, ...], QTabBar] = {}
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            tabs = tuple(bar.tabText(i) for i in range(bar.count()))
            if tabs in newest:
                newest[tabs].hide()
            newest[tabs] = bar
        return restored

    def reset_layout(self) -> None:
        """View → Reset layout: every dock back in its declared area, shown, at its starting size."""
        self.restore_layout(self.default_state)
        self.dock_host.apply_default_sizes()

    def save_settings(self) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        try:
            self.settings.save(self.settings_path)
        except OSError as exc:
            log.warning("Cannot save settings to %s: %s", self.settings_path, exc.strerror)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session.busy:  # a save or copy is running on a worker thread: let it finish first
            event.ignore()
            self.statusBar().showMessage(self.tr("Wait until the project is saved, then close again."), 5000)
            return
        unsaved = [editor for editor in self.editor_area.editors() if editor.dirty]
        if unsaved and not self._close_confirmed:  # ask about the graph; the user closes again after
            event.ignore()
            self.editor_area.setCurrentWidget(unsaved[0])
            self.editor_area.close_tab(self.editor_area.indexOf(unsaved[0]))
            return
        # A view editing a file of its own (the App panel's manifest) asks about it first.
        unsaved_view = next((view_id for view_id, view in self.views.items()
                             if getattr(view, "has_unsaved_edits", lambda: False)()), None)
        if unsaved_view is not None and not (self._close_confirmed or self._views_confirmed):
            event.ignore()
            self.docks[unsaved_view].raise_()
            self.spawn(self._close_after(self.views[unsaved_view].confirm_close()))
            return
        project = self.project
        if self._close_confirmed or project is None or not project.dirty or project.read_only:
            self.save_settings()
            if project is not None:
                self.recovery.discard(project.root)
            self.autosave_timer.stop()
            self._close_devices()
            event.accept()
            return
        event.ignore()
        self.spawn(self._confirm_close())

    async def _close_after(self, confirmed: Awaitable[bool]) -> None:
        """Close again once a view let its unsaved edits go (saved or discarded), else stay open."""
        if await confirmed:
            self._views_confirmed = True  # discarded edits stay in the form: do not ask twice
            try:
                self.close()
            finally:
                self._views_confirmed = False

    def _close_devices(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the loop has stopped (the application is quitting): close and wait
            self.devices.close()
        else:  # sessions say goodbye to their servers while the window goes now
            self.spawn(self.devices.aclose())

    async def _confirm_close(self) -> None:
        if await self.controller.close_project():
            self._close_confirmed = True
            self.close()

    # -- small helpers ----------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self._update_actions()
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QApplication.restoreOverrideCursor()

    def _update_actions(self) -> None:
        a, project, busy = self.actions, self.project, self.session.busy
        has_project = project is not None and not busy
        writable = has_project and not project.read_only
        for action in (a.save_as, a.close_project, a.open_devices_folder, a.open_graphs_folder,
                       a.open_components_folder, a.open_apps_folder):
            action.setEnabled(has_project)
        editor = self.editor_area.current_editor()  # File → Save saves the graph in front, else the project
        a.save.setEnabled(editor.dirty if editor is not None else bool(writable and project.dirty))
        a.save_as.setEnabled(bool(writable))
        for action in (a.new, a.open, a.open_example):
            action.setEnabled(not busy)

    def _update_title(self) -> None:
        project = self.project
        if project is None:
            self.setWindowTitle("Millwright")
            self.setWindowModified(False)
            return
        suffix = self.tr(" (read-only)") if project.read_only else ""
        self.setWindowTitle(f"{elide_middle(project.name, TITLE_CHARS)}[*]{suffix} — Millwright")
        self.setWindowModified(project.dirty)

    def _show_run_state(self) -> None:
        """The status bar's model state: running while any graph runs, else paused, failed or idle."""
        states = {bar.state for bar in self.editor_area.run_bars.values()}
        self.status.run_state = next((shown for shown, among in RUN_STATE_OF if states & among), "idle")

    def _show_status(self, *_unused: object) -> None:
        s = self.status
        self.read_only_label.setText(self.tr("Read-only") if self.project and self.project.read_only else "")
        if s.devices_total == 0:
            self.devices_label.setText(self.tr("No devices connected"))
        else:
            self.devices_label.setText(self.tr("Devices: {connected}/{total} connected").format(
                connected=s.devices_connected, total=s.devices_total))
        states = {"idle": self.tr("Model: idle"), "running": self.tr("Model: running"),
                  "paused": self.tr("Model: paused"), "failed": self.tr("Model: failed")}
        self.run_label.setText(states.get(s.run_state, s.run_state))

    def _fill_recent_menu(self) -> None:
        menu = self.actions.recent_menu
        menu.clear()
        for entry in self.settings.recent_projects:
            menu.addAction(entry, lambda entry=entry: self.spawn(self.controller.open_project(Path(entry))))
        if self.settings.recent_projects:
            menu.addSeparator()
        menu.addAction(self.actions.clear_recent)
        self.actions.clear_recent.setEnabled(bool(self.settings.recent_projects))

    def _edit(self, verb) -> None:
        """Cut/copy/paste on the focused widget, if it is one that edits text."""
        widget = QApplication.focusWidget()
        if widget is not None and all(hasattr(widget, name) for name in ("cut", "copy", "paste")):
            verb(widget)

    def _reveal(self, folder: str) -> None:
        if self.project is None:
            return
        path = self.project.root / folder
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            log.warning("No file manager could show %s", path)
