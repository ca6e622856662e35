"""The App panel: the project's apps, and for the chosen one its manifest, build and publishing.

A row at the top picks one of the project's apps (``apps/*/app.yaml``) or makes a new one from
a graph; the tabs below edit its manifest, build and sign it, publish it, and browse a
catalogue or registry to pull and install apps. The panel follows the open project through
:meth:`show_project`; it never blocks on a disk or a network (see :mod:`app_packager.ui.background`).

Run standalone on the example project: ``python -m app_packager.ui.app_panel``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qtpy.QtCore import QEvent, Qt
from qtpy.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app_packager.new_app import project_apps, project_graphs, write_new_app
from app_packager.ui.background import in_worker, spawn_reporting
from app_packager.ui.build_view import BuildView
from app_packager.ui.catalog_browser import CatalogBrowser
from app_packager.ui.manifest_editor import ManifestEditor
from app_packager.ui.narrow import narrow_combo
from app_packager.ui.new_app import NewAppDialog
from app_packager.ui.panel_memory import PanelMemory
from app_packager.ui.publish_view import PublishView
from app_packager.ui.target_field import TargetField
from device_browser.ui.dialogs import run_dialog
from device_browser.ui.tasks import TaskSet
from nodes.registry import ComponentRegistry

PROBLEM_STYLE = "color: #c62828;"


@dataclass
class PanelSetup:
    """What the panel needs from the workbench.

    ``registry()`` gives the component types of the open project (manifests are checked against
    them); ``propose_id(graph)`` proposes an id for a new app from its graph's name;
    ``local_catalogue`` is the catalogue URL ``millwright app publish`` uses by default.
    """

    registry: Callable[[], ComponentRegistry]
    propose_id: Callable[[str], str]
    memory: PanelMemory
    local_catalogue: str


class AppPanel(QWidget):
    """The apps of the project shown by :meth:`show_project` and the tabs that work on the chosen one."""

    def __init__(self, setup: PanelSetup, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry, self.propose_id, self.memory = setup.registry, setup.propose_id, setup.memory
        self.project: Path | None = None
        self.tasks = TaskSet()
        self.apps = narrow_combo(QComboBox(self))
        self.apps.activated.connect(lambda index: self.spawn(self._choose(index), "choosing an app"))
        self.app_label = QLabel(self)
        self.new_button = QPushButton(self)
        self.new_button.clicked.connect(lambda: self.spawn(self.new_app(), "making a new app"))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(PROBLEM_STYLE)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.editor = ManifestEditor(self.registry, self)
        self.editor.dirty_changed.connect(lambda _dirty: self._title_tabs())
        self.editor.opened.connect(self._app_opened)
        self.build_view = BuildView(self.memory.keys, self.memory.sign, self)
        self.build_view.prepare = self._save_before_build
        self.build_view.keys_changed.connect(self._remember_keys)
        self.build_view.signing.create_requested.connect(
            lambda new_key: self.spawn(self.build_view.create_key(new_key), "creating a signing key"))
        self.publish_view = PublishView(TargetField(setup.local_catalogue, self.memory.targets), self)
        self.publish_view.published.connect(self._remember_target)
        self.build_view.built.connect(self.publish_view.set_archive)
        self.catalog = CatalogBrowser(TargetField(setup.local_catalogue, self.memory.targets), self)
        self.catalog.opened.connect(self._remember_target)
        self.tabs = QTabWidget(self)
        self.pages = [self.editor, self.build_view, self.publish_view, self.catalog]
        for page in self.pages:
            self.tabs.addTab(page if page is self.editor else _scrolled(page), "")  # the editor scrolls itself
        top = QHBoxLayout()
        top.addWidget(self.app_label)
        top.addWidget(self.apps, 1)
        top.addWidget(self.new_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        self.retranslate()
        self._enable()

    # -- tasks ------------------------------------------------------------------------------------
    def spawn(self, work, where: str) -> asyncio.Task:
        """Run ``work`` on the loop; a user's problem shows under the app list, a bug in the log too."""
        self.show_message("")
        return spawn_reporting(self.tasks, work, where, self.show_message)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # -- project and apps ----------------------------------------------------------------------------
    async def show_project(self, project: Path | None) -> None:
        """Follow the open project (None: closed); the first app is opened."""
        self.project = Path(project) if project is not None else None
        self.catalog.project = self.project
        await self.refresh()

    async def refresh(self, select: Path | None = None) -> None:
        """List the project's apps again and open ``select`` (or the one open, or the first)."""
        manifests = await in_worker(project_apps, self.project) if self.project is not None else []
        wanted = select or self.editor.path
        self.apps.clear()
        for path in manifests:
            self.apps.addItem(path.parent.name, path)
            self.apps.setItemData(self.apps.count() - 1, path.relative_to(self.project).as_posix(),
                                  Qt.ItemDataRole.ToolTipRole)
        index = max(self._index_of(wanted), 0) if manifests else -1
        self.apps.setCurrentIndex(index)
        self._enable()
        if index < 0:
            self.editor.clear()
        elif self.apps.itemData(index) != self.editor.path or select is not None:
            await self.editor.open(self.apps.itemData(index), self.project)
        self._title_tabs()

    async def _choose(self, index: int) -> None:
        path = self.apps.itemData(index)
        if path == self.editor.path:
            return
        if not await self.editor.confirm_discard():
            self.apps.setCurrentIndex(self._index_of(self.editor.path))  # stay on the unsaved one
            return
        await self.editor.open(path, self.project)
        self._title_tabs()

    async def new_app(self) -> None:
        """Ask for a graph and an id, write the derived manifest, open it."""
        if self.project is None or not await self.editor.confirm_discard():
            return
        graphs = await in_worker(project_graphs, self.project)
        dialog = NewAppDialog(graphs, self.propose_id, self)
        try:
            accepted = await run_dialog(dialog)
            graph, app_id = dialog.chosen()
        finally:
            dialog.deleteLater()
        if accepted:
            path, _manifest = await in_worker(write_new_app, self.project, graph, app_id, self.registry())
            await self.refresh(select=path)

    def _app_opened(self) -> None:
        self.build_view.set_app(self.project, self.editor.path)

    def has_unsaved_edits(self) -> bool:
        """Whether the window must ask before it closes (see :meth:`confirm_close`)."""
        return self.editor.dirty

    async def confirm_close(self) -> bool:
        """Save / Discard / Cancel for the manifest being edited; True when the window may close."""
        return await self.editor.confirm_discard()

    async def _save_before_build(self) -> bool:
        # The build reads app.yaml from disk: what the form shows is what gets built.
        return not self.editor.dirty or await self.editor.save()

    def _remember_keys(self) -> None:
        self.memory.keys = self.build_view.signing.specs()
        self.memory.sign = self.build_view.signing.sign_box.isChecked()
        self.spawn(in_worker(self.memory.save), "remembering the signing keys")

    def _remember_target(self, url: str) -> None:
        self.memory.remember_target(url)
        for field in (self.publish_view.target, self.catalog.source):
            field.set_recent(self.memory.targets)
        self.spawn(in_worker(self.memory.save), "remembering the publish targets")

    def _index_of(self, manifest: Path | None) -> int:
        return next((i for i in range(self.apps.count()) if self.apps.itemData(i) == manifest), -1)

    def _enable(self) -> None:
        self.apps.setEnabled(self.apps.count() > 0)
        self.new_button.setEnabled(self.project is not None)

    # -- language ----------------------------------------------------------------------------------
    def _title_tabs(self) -> None:
        manifest = self.tr("Manifest")
        titles = [f"{manifest} •" if self.editor.dirty else manifest, self.tr("Build"), self.tr("Publish"),
                  self.tr("Catalogue")]
        for index, title in enumerate(titles):
            self.tabs.setTabText(index, title)

    def show_page(self, page: QWidget) -> None:
        """Bring the tab holding ``page`` (the editor, build, publish or catalogue view) to the front."""
        self.tabs.setCurrentIndex(self.pages.index(page))

    def retranslate(self) -> None:
        self.app_label.setText(self.tr("App"))
        self.new_button.setText(self.tr("New app…"))
        self.new_button.setToolTip(self.tr("New app from a graph: write apps/<graph>/app.yaml derived from one of "
                                           "the project's graphs"))
        self.apps.setPlaceholderText(self.tr("No apps in this project"))
        self._title_tabs()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _scrolled(page: QWidget) -> QScrollArea:
    """``page`` in a scroll area: its minimum size must not set the dock's (a side dock may be small)."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area


if __name__ == "__main__":  # a preview on the example project: python -m app_packager.ui.app_panel
    import shutil
    import sys
    import tempfile

    import qasync
    from qtpy.QtWidgets import QApplication

    from nodes.registry import default_registry
    from nodes.resources import example_project

    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    copy = Path(tempfile.mkdtemp(prefix="millwright-app-panel-")) / "pump_station"
    shutil.copytree(example_project(), copy)
    panel = AppPanel(PanelSetup(default_registry, lambda graph: f"com.example.pump-station.{graph.replace('_', '-')}",
                                PanelMemory.load(), f"catalog:{copy.parent / 'catalog'}"))
    panel.resize(900, 900)
    panel.show()
    with loop:
        loop.run_until_complete(panel.show_project(copy))
        loop.run_forever()
