"""The user's side of the project life cycle: asks, then lets the session do the work.

:class:`~workbench.session.ProjectSession` opens, saves and copies projects; this controller
adds what needs a person: which folder, whether to keep unsaved changes, whether to recover
after a crash, and a message when something fails. It also keeps the recent-projects list.

Texts keep the "MainWindow" translation context they had when the window did all this, so
the shipped zh_CN translations still apply (``QCoreApplication.translate`` with a literal
context is what ``pyside6-lupdate`` extracts).
"""

from __future__ import annotations

import logging
from pathlib import Path

from qtpy.QtCore import QCoreApplication, QObject, Signal
from qtpy.QtWidgets import QWidget

from workbench.project import CopyCancelled, Project, ProjectError
from workbench.session import ProjectSession
from workbench.settings import Settings
from workbench.ui.prompts import Prompts, UnsavedChoice

log = logging.getLogger(__name__)


class ProjectController(QObject):
    """File-menu verbs over a :class:`ProjectSession`; each returns True if it happened."""

    recent_changed = Signal()
    message = Signal(str, int)  # a status-bar message and how long to show it (ms)

    def __init__(self, session: ProjectSession, settings: Settings, prompts: Prompts, window: QWidget):
        super().__init__(window)
        self.session, self.settings, self.prompts, self.window = session, settings, prompts, window

    # -- verbs --------------------------------------------------------------------------------
    async def startup(self, project: Path | None) -> None:
        """Offer recovery copies left by a crash, then open ``project`` if nothing was recovered."""
        for entry in await self.session.pending_recoveries():
            if not await self.prompts.ask_recover(self.window, entry):
                await self.session.discard_recovery(entry)
                continue
            if not await self.close_project():
                return
            try:
                recovered = await self.session.recover(entry)
            except ProjectError as exc:
                self.prompts.error(self.window, QCoreApplication.translate("MainWindow", "Cannot recover the project"),
                                   str(exc))
                continue
            self._remember(recovered)
            log.info("Recovered unsaved changes of %s from %s", entry.project_root, entry.file)
            return
        if project is not None:
            await self.open_project(project)

    async def new_project(self) -> bool:
        answer = await self.prompts.choose_new_project(self.window, self._start_folder())
        if answer is None or not await self.close_project():
            return False
        name, folder = answer
        try:
            project = await self.session.create(folder, name)
        except ProjectError as exc:
            self.prompts.error(self.window, QCoreApplication.translate("MainWindow", "Cannot create the project"),
                               str(exc))
            return False
        self._remember(project)
        log.info("Created project %s in %s", project.name, project.root)
        return True

    async def choose_and_open(self) -> bool:
        folder = await self.prompts.choose_project(self.window, self._start_folder())
        return folder is not None and await self.open_project(folder)

    async def open_project(self, folder: Path, remember: bool = True) -> bool:
        if not await self.close_project():
            return False
        try:
            project = await self.session.open(folder)
        except ProjectError as exc:
            log.error("Cannot open project: %s", exc)
            self.prompts.error(self.window, QCoreApplication.translate("MainWindow", "Cannot open the project"),
                               str(exc))
            return False
        if remember:
            self._remember(project)
        if project.read_only:
            log.warning("%s", project.read_only_reason)
            self.prompts.warning(self.window, QCoreApplication.translate("MainWindow", "Project opened read-only"),
                                 project.read_only_reason or "")
        else:
            log.info("Opened project %s (%s)", project.name, project.root)
        return True

    async def save(self) -> bool:
        if self.session.busy:
            return False
        try:
            saved = await self.session.save()
        except ProjectError as exc:
            self._save_failed(exc)
            return False
        if saved:
            self._saved()
        return saved

    async def save_as(self) -> bool:
        project = self.session.project
        if project is None or project.read_only or self.session.busy:
            return False
        answer = await self.prompts.choose_new_project(self.window, project.root.parent, project.name)
        if answer is None:
            return False
        name, target = answer
        title = QCoreApplication.translate("MainWindow", "Copying the project to {folder}…").format(folder=target)
        try:
            saved = await self.session.save_as(target, name, title)
        except CopyCancelled:
            log.info("Save As cancelled; nothing was written to %s", target)
            return False
        except ProjectError as exc:
            self._save_failed(exc)
            return False
        if saved:
            self._remember(project)
            self._saved()
        return saved

    async def close_project(self) -> bool:
        """Close the open project, asking about unsaved changes; False if the user cancelled."""
        project = self.session.project
        if project is None:
            return True
        if project.dirty and not project.read_only:
            choice = await self.prompts.ask_unsaved(self.window, project.name)
            if choice is UnsavedChoice.CANCEL or (choice is UnsavedChoice.SAVE and not await self.save()):
                return False
        await self.session.close()
        return True

    def clear_recent(self) -> None:
        self.settings.recent_projects.clear()
        self.recent_changed.emit()

    # -- helpers ---------------------------------------------------------------------------------
    def _start_folder(self) -> Path:
        recent = self.settings.recent_projects
        return Path(recent[0]).parent if recent else Path.home()

    def _remember(self, project: Project) -> None:
        self.settings.add_recent(project.root)
        self.recent_changed.emit()

    def _saved(self) -> None:
        project = self.session.project
        if project is not None:
            self.message.emit(QCoreApplication.translate("MainWindow", "Saved {file}").format(file=project.path), 5000)
            log.info("Saved %s", project.path)

    def _save_failed(self, exc: ProjectError) -> None:
        log.error("%s", exc)
        self.prompts.error(self.window, QCoreApplication.translate("MainWindow", "Cannot save the project"), str(exc))
