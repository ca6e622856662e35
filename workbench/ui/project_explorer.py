"""The Project explorer dock: the open project's folder as a tree."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import QDir, QModelIndex, Qt, QUrl, Signal
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import QApplication, QFileSystemModel, QLabel, QMenu, QTreeView, QVBoxLayout, QWidget

from workbench.project import Project
from workbench.session import ProjectSession
from workbench.ui.text_limits import elide_middle

HEADING_CHARS = 200  # the heading is a word-wrapped label: it must never lay out a huge name


class ProjectExplorer(QWidget):
    """Shows the project folder; QFileSystemModel reads the disk on its own thread."""

    file_activated = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._project: Project | None = None
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.model = QFileSystemModel(self)
        self.model.setFilter(QDir.Filter.AllEntries | QDir.Filter.NoDotAndDotDot | QDir.Filter.AllDirs)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        for column in (1, 2, 3):  # size, type, date: noise in a narrow dock
            self.tree.hideColumn(column)
        self.tree.activated.connect(self._activated)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.tree)
        self.set_project(None)

    def observe(self, session: ProjectSession) -> None:
        """Follow the session's open project (bound methods: psygnal holds them weakly)."""
        session.opened.connect(self.set_project)
        session.closed.connect(self._closed)
        self.set_project(session.project)

    def _closed(self, _project: Project) -> None:
        self.set_project(None)

    def set_project(self, project: Project | None) -> None:
        if self._project is not None:
            self._project.changed.disconnect(self._project_changed)
            self._project.root_changed.disconnect(self._root_changed)
        self._project = project
        if project is not None:
            project.changed.connect(self._project_changed)
            project.root_changed.connect(self._root_changed)
            self._root_changed(project.root)
        self.tree.setVisible(project is not None)
        self.retranslate()

    def _root_changed(self, root: Path) -> None:
        self.model.setRootPath(str(root))
        self.tree.setRootIndex(self.model.index(str(root)))
        self.retranslate()

    def _project_changed(self, field: str) -> None:
        if field == "name":
            self.retranslate()

    def retranslate(self) -> None:
        if self._project is None:
            self.heading.setText(self.tr("No project is open. Use File ▸ New Project or File ▸ Open Project."))
        else:
            name = elide_middle(self._project.name, HEADING_CHARS)
            self.heading.setText(f"<b>{_escape(name)}</b><br>"
                                 f"<small>{_escape(str(self._project.root))}</small>")

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _activated(self, index: QModelIndex) -> None:
        path = Path(self.model.filePath(index))
        if not self.model.isDir(index):
            self.file_activated.emit(path)

    def _context_menu(self, position) -> None:
        index = self.tree.indexAt(position)
        if not index.isValid():
            return
        path = Path(self.model.filePath(index))
        menu = QMenu(self)
        folder = path if path.is_dir() else path.parent
        menu.addAction(self.tr("Show in file manager"),
                       lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        menu.addAction(self.tr("Copy path"), lambda: QApplication.clipboard().setText(str(path)))
        menu.popup(self.tree.viewport().mapToGlobal(position))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
