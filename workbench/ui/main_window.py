"""The workbench main window: menus, toolbar, docks, status bar and the project life cycle.

Every file operation runs on a worker thread through ``asyncio.to_thread`` and is awaited on
the qasync loop, so the window stays responsive while a slow or network disk is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path

from qtpy.QtCore import QByteArray, Qt, QTimer, QUrl
from qtpy.QtGui import QDesktopServices, QUndoStack
from qtpy.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from nodes.resources import example_project
from workbench.jsonfile import dumps_stable
from workbench.log_capture import LogCapture
from workbench.project import CopyCancelled, Project, ProjectError, copy_project_tree
from workbench.recovery import RecoveryStore
from workbench.settings import Settings
from workbench.status import WorkbenchStatus
from workbench.ui import i18n, theme
from workbench.ui.about_dialog import AboutDialog
from workbench.ui.dialogs import run_dialog
from workbench.ui.log_panel import LogPanel
from workbench.ui.preferences_dialog import PreferencesDialog
from workbench.ui.project_explorer import ProjectExplorer
from workbench.ui.project_inspector import ProjectInspector
from workbench.ui.prompts import Prompts, UnsavedChoice
from workbench.ui.start_page import StartPage
from workbench.ui.window_actions import WindowActions

log = logging.getLogger(__name__)

DOCKS = ("project", "devices", "palette", "inspector", "trends", "log")
_DOCK_AREAS = {"project": Qt.DockWidgetArea.LeftDockWidgetArea, "devices": Qt.DockWidgetArea.LeftDockWidgetArea,
               "palette": Qt.DockWidgetArea.RightDockWidgetArea, "inspector": Qt.DockWidgetArea.RightDockWidgetArea,
               "trends": Qt.DockWidgetArea.BottomDockWidgetArea, "log": Qt.DockWidgetArea.BottomDockWidgetArea}


class EmptyState(QLabel):
    """What a dock shows before it has content: a short sentence, not a blank."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setEnabled(False)  # drawn in the disabled text colour of the theme
        self.setMargin(12)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, settings_path: Path, recovery: RecoveryStore,
                 prompts: Prompts, log_capture: LogCapture, status: WorkbenchStatus | None = None):
        super().__init__()
        self.setObjectName("millwright_main_window")
        self.settings, self.settings_path = settings, settings_path
        self.recovery, self.prompts = recovery, prompts
        self.status = status or WorkbenchStatus()
        self.project: Project | None = None
        self.undo_stack = QUndoStack(self)
        self._tasks: set[asyncio.Task] = set()
        self._busy = False
        self._close_confirmed = False

        self.start_page = StartPage()
        self.setCentralWidget(self.start_page)
        self.explorer = ProjectExplorer()
        self.inspector = ProjectInspector(self.undo_stack)
        self.log_panel = LogPanel(log_capture)
        self.empty_states = {name: EmptyState() for name in ("devices", "palette", "trends")}
        contents = {"project": self.explorer, "inspector": self.inspector, "log": self.log_panel,
                    **self.empty_states}
        self.docks: dict[str, QDockWidget] = {}
        for name in DOCKS:
            dock = QDockWidget(self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(contents[name])
            dock.setMinimumWidth(180)  # never squeezed into unreadable slivers
            self.docks[name] = dock
        self._default_layout()
        self.default_state = self.saveState()

        self.actions = WindowActions(self)
        self.actions.bind_undo_stack(self.undo_stack)
        self.actions.build([self.docks[name].toggleViewAction() for name in DOCKS])
        self._build_status_bar()
        self._connect()
        self.retranslate()
        self._restore_window()
        self.actions.theme[settings.theme].setChecked(True)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.timeout.connect(self._autosave)
        self.autosave_timer.start(settings.autosave_seconds * 1000)
        self._project_changed()

    # -- construction ---------------------------------------------------------------------
    def _default_layout(self) -> None:
        for name in DOCKS:
            self.addDockWidget(_DOCK_AREAS[name], self.docks[name])
            self.docks[name].show()
        self.tabifyDockWidget(self.docks["trends"], self.docks["log"])
        self.docks["log"].raise_()

    def _default_sizes(self) -> None:
        # Only meaningful once the window has its real size, i.e. after it is shown.
        self.resizeDocks([self.docks["project"], self.docks["palette"]], [280, 300], Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["project"], self.docks["devices"], self.docks["palette"],
                          self.docks["inspector"], self.docks["log"]],
                         [420, 200, 320, 300, 220], Qt.Orientation.Vertical)

    def _build_status_bar(self) -> None:
        self.read_only_label, self.devices_label, self.run_label = QLabel(), QLabel(), QLabel()
        self.read_only_label.setStyleSheet("color: #d9534f; font-weight: bold")
        for label in (self.read_only_label, self.devices_label, self.run_label):
            self.statusBar().addPermanentWidget(label)
        self.status.events.connect(lambda *_: self._show_status())

    def _connect(self) -> None:
        a = self.actions
        a.new.triggered.connect(lambda: self.spawn(self.new_project()))
        a.open.triggered.connect(lambda: self.spawn(self.choose_and_open()))
        a.open_example.triggered.connect(lambda: self.spawn(self.open_project(example_project())))
        a.save.triggered.connect(lambda: self.spawn(self.save()))
        a.save_as.triggered.connect(lambda: self.spawn(self.save_as()))
        a.close_project.triggered.connect(lambda: self.spawn(self.close_project()))
        a.clear_recent.triggered.connect(self._clear_recent)
        a.quit.triggered.connect(self.close)
        for verb in ("cut", "copy", "paste"):
            getattr(a, verb).triggered.connect(lambda _=False, verb=verb: self._edit(verb))
        a.preferences.triggered.connect(lambda: self.spawn(self.edit_preferences()))
        a.reset_layout.triggered.connect(self.reset_layout)
        for folder in ("devices", "graphs", "components", "apps"):
            getattr(a, f"open_{folder}_folder").triggered.connect(
                lambda _=False, folder=folder: self._reveal(folder))
        a.about.triggered.connect(lambda: self.spawn(run_dialog(AboutDialog(self))))
        a.about_qt.triggered.connect(lambda: QMessageBox.aboutQt(self))
        a.themes.triggered.connect(lambda action: self.set_theme(action.data()))
        a.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        sp = self.start_page
        sp.new_requested.connect(a.new.trigger)
        sp.open_requested.connect(a.open.trigger)
        sp.example_requested.connect(a.open_example.trigger)
        sp.recent_requested.connect(lambda path: self.spawn(self.open_project(path)))
        self.explorer.file_activated.connect(lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))

    def retranslate(self) -> None:
        self.actions.retranslate()
        titles = {"project": self.tr("Project"), "devices": self.tr("Devices"), "palette": self.tr("Palette"),
                  "inspector": self.tr("Inspector"), "trends": self.tr("Trends"), "log": self.tr("Log")}
        for name, title in titles.items():
            self.docks[name].setWindowTitle(title)
        self.empty_states["devices"].setText(self.tr("No devices in this project yet."))
        self.empty_states["palette"].setText(self.tr("Components appear here when a graph is open."))
        self.empty_states["trends"].setText(self.tr("No trends yet. Tags you watch are trended here."))
        self._show_status()
        self._update_title()

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- async plumbing ---------------------------------------------------------------------
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

    # -- project life cycle -------------------------------------------------------------------
    async def startup(self, project: Path | None) -> None:
        """Offer recovery copies left by a crash, then open ``project`` if nothing was recovered."""
        entries = await asyncio.to_thread(self.recovery.pending)
        for entry in entries:
            if not await self.prompts.ask_recover(self, entry):
                await asyncio.to_thread(self.recovery.discard, entry.project_root)
                continue
            if await self.open_project(entry.project_root, remember=True):
                try:
                    self.project.restore(entry.snapshot)
                except ProjectError as exc:
                    self.prompts.error(self, self.tr("Cannot recover the project"), str(exc))
                    continue
                await self._autosave_now()
                log.info("Recovered unsaved changes of %s from %s", entry.project_root, entry.file)
                return
        if project is not None:
            await self.open_project(project)

    async def new_project(self) -> bool:
        start = Path(self.settings.recent_projects[0]).parent if self.settings.recent_projects else Path.home()
        answer = await self.prompts.choose_new_project(self, start)
        if answer is None or not await self.close_project():
            return False
        name, folder = answer
        try:
            project = await asyncio.to_thread(Project.create, folder, name)
        except ProjectError as exc:
            self.prompts.error(self, self.tr("Cannot create the project"), str(exc))
            return False
        self._set_project(project)
        self.settings.add_recent(project.root)
        self.start_page.set_recent(self.settings.recent_projects)
        log.info("Created project %s in %s", project.name, project.root)
        return True

    async def choose_and_open(self) -> bool:
        start = Path(self.settings.recent_projects[0]).parent if self.settings.recent_projects else Path.home()
        folder = await self.prompts.choose_project(self, start)
        return folder is not None and await self.open_project(folder)

    async def open_project(self, folder: Path, remember: bool = True) -> bool:
        if not await self.close_project():
            return False
        self._set_busy(True)
        try:
            project = await asyncio.to_thread(Project.open, folder)
        except ProjectError as exc:
            log.error("Cannot open project: %s", exc)
            self.prompts.error(self, self.tr("Cannot open the project"), str(exc))
            return False
        finally:
            self._set_busy(False)
        self._set_project(project)
        if remember:
            self.settings.add_recent(project.root)
            self.start_page.set_recent(self.settings.recent_projects)
        if project.read_only:
            log.warning("%s", project.read_only_reason)
            self.prompts.warning(self, self.tr("Project opened read-only"), project.read_only_reason or "")
        else:
            log.info("Opened project %s (%s)", project.name, project.root)
        return True

    async def save(self) -> bool:
        project = self.project
        if project is None or project.read_only or self._busy:
            return False
        revision, text = project.revision, dumps_stable(project.document())
        self._set_busy(True)
        try:
            await asyncio.to_thread(project.write, project.root, text)
        except ProjectError as exc:
            log.error("%s", exc)
            self.prompts.error(self, self.tr("Cannot save the project"), str(exc))
            return False
        finally:
            self._set_busy(False)
        project.mark_saved(revision)
        await asyncio.to_thread(self.recovery.discard, project.root)
        self.statusBar().showMessage(self.tr("Saved {file}").format(file=project.path), 5000)
        log.info("Saved %s", project.path)
        return True

    async def save_as(self) -> bool:
        project = self.project
        if project is None or project.read_only or self._busy:
            return False
        answer = await self.prompts.choose_new_project(self, project.root.parent, project.name)
        if answer is None:
            return False
        name, target = answer
        if not await self._copy_with_progress(project.root, target):
            return False
        old_root = project.root
        project.move_to(target)
        if name != project.name:
            project.set_name(name)
        if not await self.save():
            return False
        await asyncio.to_thread(self.recovery.discard, old_root)
        self.settings.add_recent(target)
        self.start_page.set_recent(self.settings.recent_projects)
        self._update_title()
        return True

    async def _copy_with_progress(self, source: Path, target: Path) -> bool:
        progress = QProgressDialog(self.tr("Copying the project to {folder}…").format(folder=target),
                                   self.tr("Cancel"), 0, 1000, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(500)
        loop = asyncio.get_running_loop()

        def report(done: int, total: int) -> None:
            loop.call_soon_threadsafe(progress.setValue, int(1000 * done / max(total, 1)))

        self._set_busy(True)
        try:
            await asyncio.to_thread(copy_project_tree, source, target, report, progress.wasCanceled)
        except CopyCancelled:
            log.info("Save As cancelled; nothing was written to %s", target)
            return False
        except ProjectError as exc:
            self.prompts.error(self, self.tr("Cannot save the project"), str(exc))
            return False
        finally:
            self._set_busy(False)
            progress.close()
            progress.deleteLater()
        return True

    async def close_project(self) -> bool:
        """Close the open project, asking about unsaved changes; False if the user cancelled."""
        project = self.project
        if project is None:
            return True
        if project.dirty and not project.read_only:
            choice = await self.prompts.ask_unsaved(self, project.name)
            if choice is UnsavedChoice.CANCEL or (choice is UnsavedChoice.SAVE and not await self.save()):
                return False
        await asyncio.to_thread(self.recovery.discard, project.root)
        self._set_project(None)
        return True

    def _set_project(self, project: Project | None) -> None:
        if self.project is not None:
            self.project.dirty_changed.disconnect(self._project_changed)
            self.project.changed.disconnect(self._project_changed)
        self.project = project
        self.undo_stack.clear()
        if project is not None:
            project.dirty_changed.connect(self._project_changed)
            project.changed.connect(self._project_changed)
        self.explorer.set_project(project)
        self.inspector.set_project(project)
        self._project_changed()

    def _project_changed(self, *_unused) -> None:
        self._update_title()
        self._update_actions()
        self._show_status()

    # -- recovery -------------------------------------------------------------------------------
    def _autosave(self) -> None:
        if self.project is not None and self.project.dirty and not self.project.read_only:
            self.spawn(self._autosave_now())

    async def _autosave_now(self) -> None:
        project = self.project
        if project is not None:
            await asyncio.to_thread(self.recovery.save, project.root, project.name, project.snapshot())
            log.debug("Recovery copy of %s written", project.root)

    # -- preferences ---------------------------------------------------------------------------
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

    # -- window state -----------------------------------------------------------------------------
    def _restore_window(self) -> None:
        self.start_page.set_recent(self.settings.recent_projects)
        if not self.settings.window_geometry or not self.restoreGeometry(
                QByteArray.fromBase64(self.settings.window_geometry.encode())):
            available = self.screen().availableGeometry()
            self.resize(min(1280, int(available.width() * 0.9)), min(800, int(available.height() * 0.9)))
        self._layout_restored = bool(self.settings.window_state) and self.restoreState(
            QByteArray.fromBase64(self.settings.window_state.encode()))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._layout_restored:
            self._layout_restored = True
            QTimer.singleShot(0, self._default_sizes)

    def reset_layout(self) -> None:
        self.restoreState(self.default_state)
        self._default_sizes()

    def save_settings(self) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        self.settings.window_state = bytes(self.saveState().toBase64()).decode()
        try:
            self.settings.save(self.settings_path)
        except OSError as exc:
            log.warning("Cannot save settings to %s: %s", self.settings_path, exc.strerror)

    def closeEvent(self, event) -> None:
        if self._busy:  # a save or copy is running on a worker thread: let it finish first
            event.ignore()
            self.statusBar().showMessage(self.tr("Wait until the project is saved, then close again."), 5000)
            return
        if self._close_confirmed or self.project is None or not self.project.dirty or self.project.read_only:
            self.save_settings()
            if self.project is not None:
                self.recovery.discard(self.project.root)
            self.autosave_timer.stop()
            event.accept()
            return
        event.ignore()
        self.spawn(self._confirm_close())

    async def _confirm_close(self) -> None:
        if await self.close_project():
            self._close_confirmed = True
            self.close()

    # -- small helpers ------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_actions()
        if busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        else:
            QApplication.restoreOverrideCursor()

    def _update_actions(self) -> None:
        a, project = self.actions, self.project
        has_project = project is not None and not self._busy
        writable = has_project and not project.read_only
        for action in (a.save_as, a.close_project, a.open_devices_folder, a.open_graphs_folder,
                       a.open_components_folder, a.open_apps_folder):
            action.setEnabled(has_project)
        a.save.setEnabled(bool(writable and project.dirty))
        a.save_as.setEnabled(bool(writable))
        for action in (a.new, a.open, a.open_example):
            action.setEnabled(not self._busy)

    def _update_title(self) -> None:
        project = self.project
        if project is None:
            self.setWindowTitle("Millwright")
            self.setWindowModified(False)
            return
        suffix = self.tr(" (read-only)") if project.read_only else ""
        self.setWindowTitle(f"{project.name}[*]{suffix} — Millwright")
        self.setWindowModified(project.dirty)

    def _show_status(self) -> None:
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
            menu.addAction(entry, lambda entry=entry: self.spawn(self.open_project(Path(entry))))
        if self.settings.recent_projects:
            menu.addSeparator()
        menu.addAction(self.actions.clear_recent)
        self.actions.clear_recent.setEnabled(bool(self.settings.recent_projects))

    def _clear_recent(self) -> None:
        self.settings.recent_projects.clear()
        self.start_page.set_recent([])

    def _edit(self, verb: str) -> None:
        widget = QApplication.focusWidget()
        if widget is not None and hasattr(widget, verb):
            getattr(widget, verb)()

    def _reveal(self, folder: str) -> None:
        if self.project is None:
            return
        path = self.project.root / folder
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            log.warning("No file manager could show %s", path)
