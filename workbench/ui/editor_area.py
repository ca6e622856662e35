"""The window's centre: the start page, then a tab per open graph.

Each graph tab is a :class:`~model_designer.editor.GraphEditor` with a run bar (run it on a
recording or on the devices' live data) and its own undo history; an
undo group makes Edit → Undo follow the tab in front (the start page's tab undoes project
edits). A tab's title carries ``*`` while its graph has unsaved edits; closing it then asks.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from qtpy import shiboken
from qtpy.QtCore import QEvent, Signal
from qtpy.QtGui import QAction, QKeySequence, QUndoGroup, QUndoStack
from qtpy.QtWidgets import QMessageBox, QTabWidget, QWidget

from device_browser.workspace import DeviceWorkspace
from model_designer.annotations import AnnotationLayer
from model_designer.composites import CompositeEditor, group_selection, is_group, open_composite, ungroup_selection
from model_designer.editor import GraphEditor
from model_designer.run_bar import RunBar
from model_designer.save_component import ask_to_save_as_component
from nodes.graph import Graph, GraphFormatError, load_graph
from nodes.project_components import ProjectComponents

log = logging.getLogger(__name__)


class EditorArea(QTabWidget):
    """Start page (always first, never closed) and the open graphs.

    ``current_editor_changed(GraphEditor | None)`` follows the tab in front;
    ``graph_dirty_changed()`` tells that a graph was edited or saved.
    """

    current_editor_changed = Signal(object)
    graph_dirty_changed = Signal()  # a graph's unsaved state changed (its tab title too)
    message = Signal(str)  # for the status bar: why a graph did not open or save
    run_changed = Signal(object)  # a graph's run started, changed state or was let go (the editor)

    def __init__(self, start_page: QWidget, project_stack: QUndoStack, components: ProjectComponents,
                 workspace: DeviceWorkspace | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.start_page, self.components, self.workspace = start_page, components, workspace
        self.registry = components.registry  # one object, refilled as the project's components change
        self.run_bars: dict[GraphEditor, RunBar] = {}
        self.layers: dict[GraphEditor, AnnotationLayer] = {}  # comments, frames and reroutes of each canvas
        self._make_actions()
        self.undo_group = QUndoGroup(self)
        self.project_stack = project_stack
        self.undo_group.addStack(project_stack)
        self.undo_group.setActiveStack(project_stack)
        self.setDocumentMode(True)
        self.setMovable(True)
        self.setTabsClosable(True)
        self.addTab(start_page, "")
        self.tabBar().setTabButton(0, self.tabBar().ButtonPosition.RightSide, None)  # the start page stays
        self.tabCloseRequested.connect(self.close_tab)
        self.currentChanged.connect(self._current_changed)
        components.changed.connect(lambda: shiboken.isValid(self) and self._revalidate())
        self.retranslate()

    # -- graphs -------------------------------------------------------------------------------------

    def editors(self) -> list[GraphEditor]:
        return [w for w in (self.widget(i) for i in range(self.count())) if isinstance(w, GraphEditor)]

    def current_editor(self) -> GraphEditor | None:
        widget = self.currentWidget()
        return widget if isinstance(widget, GraphEditor) else None

    def open_graph(self, path: Path) -> GraphEditor | None:
        """Show the graph in ``path`` (its tab if it is open already); None if the file cannot be read."""
        path = Path(path).resolve()
        if (shown := self._show_open(path)) is not None:
            return shown
        try:
            graph = load_graph(path)
        except (GraphFormatError, OSError) as exc:
            return self._cannot_open(path, exc)
        return self._show_new(graph, path)

    async def open_graph_file(self, path: Path) -> GraphEditor | None:
        """:meth:`open_graph` with the file read on a worker thread, as a double click does."""
        path = Path(path).resolve()
        if (shown := self._show_open(path)) is not None:
            return shown
        try:
            graph = await asyncio.get_running_loop().run_in_executor(None, load_graph, path)
        except (GraphFormatError, OSError) as exc:
            return self._cannot_open(path, exc) if shiboken.isValid(self) else None
        if not shiboken.isValid(self):  # the window closed while the file was read
            return None
        return self._show_open(path) or self._show_new(graph, path)  # a second double click may have won

    def _show_open(self, path: Path) -> GraphEditor | None:
        for editor in self.editors():
            if not isinstance(editor, CompositeEditor) and editor.path.resolve() == path:
                self.setCurrentWidget(editor)
                return editor
        return None

    def _cannot_open(self, path: Path, exc: Exception) -> None:
        log.error("%s cannot be opened: %s", path.name, exc)
        self.message.emit(self.tr("{name} cannot be opened; the Log panel says why.").format(name=path.name))

    def _show_new(self, graph: Graph, path: Path) -> GraphEditor:
        editor = GraphEditor(graph, path, self.registry, self)
        self.undo_group.addStack(editor.undo_stack)
        self._add_editor(editor)
        return editor

    def open_group(self, outer: GraphEditor, node_id: str) -> GraphEditor:
        """A tab editing the inside of group ``node_id`` of ``outer`` (on the outer graph's undo history)."""
        for editor in self.editors():
            if isinstance(editor, CompositeEditor) and editor.outer is outer and editor.node_id == node_id:
                self.setCurrentWidget(editor)
                return editor
        editor = open_composite(outer, node_id, self)
        self._add_editor(editor)
        return editor

    def _add_editor(self, editor: GraphEditor) -> None:
        self.run_bars[editor] = RunBar(editor, self.workspace)  # run on a recording or live, above the canvas
        editor.layout().insertWidget(0, self.run_bars[editor])
        self.run_bars[editor].run_changed.connect(lambda e=editor: self.run_changed.emit(e))
        self.layers[editor] = AnnotationLayer(editor.canvas)
        editor.canvas.node_activated.connect(lambda node_id, e=editor: self._activated(e, node_id))
        editor.canvas.view.addActions(self.canvas_menu_actions())  # its context menu
        editor.dirty_changed.connect(lambda _dirty, e=editor: self._retitle(e))
        self.setCurrentIndex(self.addTab(editor, editor.title))
        self._retitle(editor)

    def _activated(self, editor: GraphEditor, node_id: str) -> None:
        if is_group(editor.graph, node_id):  # a double click on a group opens its inside
            self.open_group(editor, node_id)

    def _revalidate(self) -> None:
        """The project's component types changed: nodes of a new type resolve, of a lost one are flagged,
        and nodes of a reloaded script component are drawn anew with its new ports."""
        for editor in self.editors():
            editor.canvas.scene.refresh_types()
            editor.canvas.scene.revalidate()

    def save_current(self) -> bool:
        """Save the graph in front; False if the start page is in front (the project saves then)."""
        editor = self.current_editor()
        if editor is None:
            return False
        try:
            editor.save()
        except OSError as exc:
            log.error("%s was not saved: %s", editor.path, exc.strerror or exc)
            self.message.emit(self.tr("{name} was not saved: {reason}").format(name=editor.path.name,
                                                                                reason=exc.strerror or exc))
        return True

    def close_tab(self, index: int) -> None:
        editor = self.widget(index)
        if not isinstance(editor, GraphEditor):
            return
        if not editor.dirty:
            self._remove(editor)
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Unsaved graph"),
                          self.tr("Save the changes to {name} before closing it?").format(name=editor.title),
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def answered(button) -> None:
            choice = box.standardButton(button)
            if choice == QMessageBox.StandardButton.Save:
                editor.save()
            if choice in (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard):
                self._remove(editor)

        box.buttonClicked.connect(answered)
        box.open()

    def close_all(self) -> None:
        """Drop every graph tab without asking (the project is closing; the window asked already)."""
        for editor in self.editors():
            if editor in self.run_bars:  # not already gone with its outer graph's tab
                self._remove(editor)

    def _remove(self, editor: GraphEditor) -> None:
        for inside in [e for e in self.editors() if isinstance(e, CompositeEditor) and e.outer is editor]:
            self._remove(inside)  # a group's tab goes with its graph's
        self.run_bars.pop(editor).shutdown()  # a run of this graph stops with its tab
        self.layers.pop(editor).detach()
        editor.canvas.detach()  # the graph may outlive its canvas: stop following its events
        if not isinstance(editor, CompositeEditor):  # a group's tab edits on its outer graph's history
            self.undo_group.removeStack(editor.undo_stack)
        self.removeTab(self.indexOf(editor))
        editor.deleteLater()

    # -- the Model menu's canvas commands -----------------------------------------------------------

    def _make_actions(self) -> None:
        def action(keys: str, slot) -> QAction:
            made = QAction(self)
            made.setShortcut(QKeySequence(keys))
            made.triggered.connect(lambda: self._on_canvas(slot))
            return made

        self.group_action = action("Ctrl+G", group_selection)
        self.ungroup_action = action("Ctrl+Shift+G", ungroup_selection)
        self.save_component_action = action("", lambda canvas: ask_to_save_as_component(canvas, self.components,
                                                                                         self))
        self.comment_action = action("Ctrl+Shift+M", self._add_comment)
        self.frame_action = action("Ctrl+Shift+F", lambda canvas: self.layers[self.current_editor()].frame_selection())
        # No shortcuts here: the canvas has Ctrl+Alt+arrows itself, and a second owner makes them ambiguous.
        self.align_actions = {edge: action("", lambda canvas, edge=edge: canvas.align(edge))
                              for edge in ("left", "right", "top", "bottom")}
        self.distribute_actions = {axis: action("", lambda canvas, axis=axis: canvas.distribute(axis))
                                   for axis in ("horizontal", "vertical")}

    def model_actions(self) -> list[QAction]:
        """For the window's Model menu; each acts on the canvas in front."""
        return [self.group_action, self.ungroup_action, self.save_component_action, self.comment_action,
                self.frame_action, *self.align_actions.values(), *self.distribute_actions.values()]

    def canvas_menu_actions(self) -> list[QAction]:
        """For a canvas's context menu; each acts on the canvas in front, the one clicked."""
        return [self.group_action, self.ungroup_action, self.save_component_action]

    def _on_canvas(self, act) -> None:
        editor = self.current_editor()
        if editor is not None:
            act(editor.canvas)

    def _add_comment(self, canvas) -> None:
        view = canvas.view
        middle = view.mapToScene(view.viewport().rect().center())
        self.layers[self.current_editor()].add("comment", (middle.x(), middle.y()), self.tr("Comment"))

    # -- tabs ---------------------------------------------------------------------------------------

    def _retitle(self, editor: GraphEditor) -> None:
        index = self.indexOf(editor)
        if index >= 0:
            self.setTabText(index, editor.title + (" *" if editor.dirty else ""))
            self.setTabToolTip(index, str(editor.path))
            self.graph_dirty_changed.emit()

    def _current_changed(self, _index: int) -> None:
        editor = self.current_editor()
        self.undo_group.setActiveStack(editor.undo_stack if editor else self.project_stack)
        self.current_editor_changed.emit(editor)

    def retranslate(self) -> None:
        self.setTabText(0, self.tr("Start"))
        for made, text in ((self.group_action, self.tr("&Group selected nodes")),
                           (self.ungroup_action, self.tr("&Ungroup")),
                           (self.save_component_action, self.tr("Save as Co&mponent…")),
                           (self.comment_action, self.tr("Add &comment")),
                           (self.frame_action, self.tr("&Frame selected nodes")),
                           (self.align_actions["left"], self.tr("Align &left edges")),
                           (self.align_actions["right"], self.tr("Align &right edges")),
                           (self.align_actions["top"], self.tr("Align &top edges")),
                           (self.align_actions["bottom"], self.tr("Align &bottom edges")),
                           (self.distribute_actions["horizontal"], self.tr("Distribute &horizontally")),
                           (self.distribute_actions["vertical"], self.tr("Distribute &vertically"))):
            made.setText(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
