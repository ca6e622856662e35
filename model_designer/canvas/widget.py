"""GraphCanvas: the widget a canvas tab shows, and the API the rest of the designer edits through."""

from __future__ import annotations

import re

from qtpy import shiboken
from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtGui import QAction, QGuiApplication, QUndoStack
from qtpy.QtWidgets import QLabel, QVBoxLayout, QWidget

from device_browser.bindings import is_boolean
from device_browser.tags import BindingError, TagRef
from model_designer.align import Box, align_command, distribute_command, make_align_actions, retranslate_align_actions
from model_designer.canvas.items import GRID, snap
from model_designer.canvas.minimap import Minimap
from model_designer.canvas.scene import GraphScene
from model_designer.canvas.view import GraphView
from model_designer.commands import AddNode, Connect, MoveNodes, Paste, RemoveItems, SetParam, SetTitle, fragment_of
from model_designer.input_bindings import InputBindings, TagInput, tag_inputs
from model_designer.wiring import connection_problem
from nodes.graph import Edge, Graph, GraphFormatError, Node
from nodes.registry import ComponentRegistry

_MESSAGE_MS = 4000
_NUDGE_GESTURE = "nudge"  # consecutive arrow-key nudges of the same nodes merge into one undo step


class GraphCanvas(QWidget):
    """A view of ``graph`` that edits it through commands on ``undo_stack``.

    Signals: ``selection_changed(list[str])`` with the selected node ids, ``message(str)`` for
    refusals and other notes (also shown on the canvas for a few seconds), ``node_activated(str)``
    on a double click. Call :meth:`detach` when the canvas closes; the graph outlives it.
    """

    selection_changed = Signal(list)
    message = Signal(str)
    node_activated = Signal(str)

    def __init__(self, graph: Graph, registry: ComponentRegistry, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self.graph, self.registry, self.undo_stack = graph, registry, undo_stack
        # The graph's inputs bound to tags through the project's bindings.yaml; None when the
        # graph was not opened in a project (the run bar sets it).
        self.inputs: InputBindings | None = None
        self.scene = GraphScene(graph, registry, self)
        self.view = GraphView(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.note = QLabel(self.view)
        self.note.setStyleSheet("QLabel { background: #fff4e5; color: #5a3a00; border: 1px solid #e0a040;"
                                " border-radius: 4px; padding: 4px 8px; }")
        self.note.hide()
        self._note_timer = QTimer(self, singleShot=True, interval=_MESSAGE_MS)
        self._note_timer.timeout.connect(self.note.hide)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.setFocusProxy(self.view)
        self.minimap = Minimap(self)
        self._align_actions = make_align_actions(self)

    def detach(self) -> None:
        """Stop following the graph."""
        self.scene.detach()

    # -- editing ---------------------------------------------------------------------------------
    def add_node(self, type_name: str, position: tuple[float, float] = (0.0, 0.0), node_id: str | None = None,
                 ) -> str | None:
        """Add a component at ``position`` (snapped to the grid); returns its id (``ewma1`` …) or None.

        A new node lists every parameter with its default, as the shipped graphs do, so the file
        says what the node does without looking the component up.
        """
        cls = self.registry.get(type_name)
        if cls is None:
            self.show_message(self.tr("The component {type} is not installed").format(type=type_name))
            return None
        node_id = node_id or self.graph.free_id(type_name.rpartition(".")[2])
        node = Node(node_id, type_name, cls.resolve_params({}), version=cls.version,
                    position=(snap(position[0]), snap(position[1])))
        self.undo_stack.push(AddNode(self.graph, node))
        return node_id

    def add_tag_inputs(self, refs: list[TagRef], position: tuple[float, float]) -> list[str]:
        """A graph input per device tag, bound to it through the project's bindings (one undo step).

        Each input is named after its point (``flow``), or the name its tag is bound under already,
        and takes its unit and kind from the tag; the binding ``flow → device/point`` goes into the
        project's ``bindings.yaml`` at once, so the graph holds no address. A tag that feeds an input
        of the graph already selects that input instead. Undo removes the inputs and leaves the
        bindings: a binding no input names does no harm (a live run reads only the ones its inputs
        name), and redo needs it again. Returns the ids of the inputs added.
        """
        inputs = self.inputs
        planned = tag_inputs(self.graph, refs, inputs)
        new = [tag for tag in planned if tag.existing is None]
        added: list[str] = []
        if new:
            self.undo_stack.beginMacro(self.tr("Add inputs for {count} tag(s)").format(count=len(new)))
            try:
                for i, tag in enumerate(new):
                    node_id = self._add_tag_input(tag, (position[0], position[1] + i * TAG_INPUT_SPACING))
                    if node_id is None:
                        break
                    added.append(node_id)
            finally:
                self.undo_stack.endMacro()
        self._bind_tags(new, inputs)
        existing = [tag.existing for tag in planned if tag.existing]
        if existing:
            self.select(added + existing)
            self.show_message(self.tr("Already an input of this graph: {names}").format(
                names=", ".join(tag.name for tag in planned if tag.existing)))
        return added

    def _add_tag_input(self, tag: TagInput, position: tuple[float, float]) -> str | None:
        node_id = self.add_node(TAG_INPUT, position, self.graph.free_id(_id_stem(tag.name)))
        if node_id is not None:
            self.undo_stack.push(SetParam(self.graph, node_id, "column", tag.name))
            if is_boolean(tag.ref):
                self.undo_stack.push(SetParam(self.graph, node_id, "kind", "boolean"))
            elif tag.ref.unit:
                self.undo_stack.push(SetParam(self.graph, node_id, "unit", tag.ref.unit))
            self.undo_stack.push(SetTitle(self.graph, node_id, tag.name))
        return node_id

    def _bind_tags(self, tags: list[TagInput], inputs: InputBindings | None) -> None:
        if inputs is None:
            if tags:
                self.show_message(self.tr("This graph is not in a project: bind its inputs in the project's "
                                          "bindings.yaml"))
            return
        try:
            inputs.bindings.update({tag.name: tag.ref for tag in tags  # a binding of the tag stays as written
                                    if str(inputs.bindings.get(tag.name)) != str(tag.ref)})
        except BindingError as exc:
            self.show_message(self.tr("The inputs were added but not bound: {reason}").format(reason=exc))

    def connection_problem(self, source: str, target: str) -> str | None:
        """Why ``source`` cannot feed ``target``, or None (see :func:`model_designer.wiring.connection_problem`)."""
        return connection_problem(self.graph, self.registry, source, target, self.scene.resolution)

    def connect(self, source: str, target: str) -> str | None:
        """Wire ``"node.output"`` to ``"node.input"``: None on success, else the reason it was refused."""
        self.scene.revalidate()
        reason = self.connection_problem(source, target)
        if reason:
            self.show_message(reason)
            return reason
        self.undo_stack.push(Connect(self.graph, source, target))
        return None

    def add_and_wire(self, type_name: str, position: tuple[float, float], pending: tuple[str, bool] | None) -> None:
        """Add a component; wire ``pending`` (a port ref and whether it is an output) to its first port that fits."""
        self.undo_stack.beginMacro(self.tr("Add {type}").format(type=type_name))
        try:
            node_id = self.add_node(type_name, position)
            if node_id and pending:
                self._wire_new_node(node_id, *pending)
        finally:
            self.undo_stack.endMacro()

    def _wire_new_node(self, node_id: str, ref: str, output: bool) -> None:
        self.scene.revalidate()
        cls = self.registry.get(self.graph.nodes[node_id].type)
        for port in cls.inputs if output else cls.outputs:
            source, target = (ref, f"{node_id}.{port.name}") if output else (f"{node_id}.{port.name}", ref)
            if self.connection_problem(source, target) is None:
                self.undo_stack.push(Connect(self.graph, source, target))
                return
        self.show_message(self.tr("No port of {node} fits {port}").format(node=node_id, port=ref))

    def remove(self, node_ids: list[str], edges: list[Edge] = ()) -> None:
        """Remove nodes (with their wires) and wires, as one undo step."""
        if node_ids or edges:
            self.undo_stack.push(RemoveItems(self.graph, node_ids, edges))

    def delete_selection(self) -> None:
        self.remove(self.selected_node_ids(), self.scene.selected_edges())

    def nudge(self, dx: float, dy: float) -> None:
        """Move the selected nodes by (dx, dy); a run of nudges is one undo step."""
        ids = self.selected_node_ids()
        if ids:
            positions = {i: (self.graph.nodes[i].position[0] + dx, self.graph.nodes[i].position[1] + dy) for i in ids}
            self.undo_stack.push(MoveNodes(self.graph, positions, _NUDGE_GESTURE))

    def align(self, edge: str) -> None:
        """Line the selected nodes up on ``edge``: left, right, top, bottom, centre or middle (one undo step)."""
        command = align_command(self.graph, self._selected_boxes(), edge)
        if command is not None:
            self.undo_stack.push(command)

    def distribute(self, axis: str) -> None:
        """Space the selected nodes with equal gaps, ``horizontal`` or ``vertical`` (one undo step)."""
        command = distribute_command(self.graph, self._selected_boxes(), axis)
        if command is not None:
            self.undo_stack.push(command)

    def align_actions(self) -> list[QAction]:
        """Align and distribute actions for a menu (Ctrl+Alt+arrows align to the four edges)."""
        return list(self._align_actions)

    def _selected_boxes(self) -> dict[str, Box]:
        boxes = {}
        for node_id in self.selected_node_ids():
            outline = self.scene.nodes[node_id].boundingRect().adjusted(2, 2, -2, -2)  # the box, not its pen margin
            x, y = self.graph.nodes[node_id].position
            boxes[node_id] = Box(x, y, outline.width(), outline.height())
        return boxes

    # -- selection -------------------------------------------------------------------------------
    def select(self, node_ids: list[str]) -> None:
        """Select exactly these nodes (selection is not an edit: it is not undone)."""
        wanted = set(node_ids)
        self.scene.blockSignals(True)  # one selection_changed for the whole set, not one per node
        try:
            for item in self.scene.selectedItems():
                item.setSelected(False)
            for node_id in wanted:
                if node_id in self.scene.nodes:
                    self.scene.nodes[node_id].setSelected(True)
        finally:
            self.scene.blockSignals(False)
        self.selection_changed.emit(self.selected_node_ids())

    def selected_node_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    def _on_selection_changed(self) -> None:
        if shiboken.isValid(self.scene):  # a scene being destroyed still announces its emptied selection
            self.selection_changed.emit(self.selected_node_ids())

    def select_all(self) -> None:
        self.select(list(self.scene.nodes))

    def fit(self) -> None:
        """Show the whole graph."""
        rect = self.scene.itemsBoundingRect()
        if not rect.isEmpty():
            self.view.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)

    # -- clipboard -------------------------------------------------------------------------------
    def copy(self) -> None:
        """The selected nodes and the wires among them, as graph JSON text on the clipboard.

        Plain text, the graph file's own format: it pastes into another graph, another project,
        another Millwright, or a text editor.
        """
        ids = self.selected_node_ids()
        if ids:
            QGuiApplication.clipboard().setText(fragment_of(self.graph, ids).to_text())

    def cut(self) -> None:
        self.copy()
        self.delete_selection()

    def paste(self) -> None:
        """Paste nodes from the clipboard next to where they were copied; the copies become the selection."""
        try:
            fragment = Graph.from_text(QGuiApplication.clipboard().text(), "clipboard")
        except GraphFormatError:
            self.show_message(self.tr("The clipboard holds no Millwright nodes"))
            return
        self._paste(fragment, (2 * GRID, 2 * GRID))

    def duplicate(self) -> None:
        ids = self.selected_node_ids()
        if ids:
            self._paste(fragment_of(self.graph, ids), (2 * GRID, 2 * GRID))

    def _paste(self, fragment: Graph, offset: tuple[float, float]) -> list[str]:
        if not fragment.nodes:
            return []
        command = Paste(self.graph, fragment, offset)
        self.undo_stack.push(command)
        self.select(list(command.node_ids.values()))
        return list(command.node_ids.values())

    # -- messages and language -------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """Say something on the canvas for a few seconds, and to whoever listens to ``message``."""
        self.note.setText(text)
        self.note.adjustSize()
        self.note.move(8, self.view.height() - self.note.height() - 8)
        self.note.show()
        self.note.raise_()
        self._note_timer.start()
        self.message.emit(text)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.scene.retranslate()
            retranslate_align_actions(self._align_actions)
        super().changeEvent(event)


TAG_INPUT = "io.input"  # what a dropped device tag becomes
TAG_INPUT_SPACING = 70.0


def _id_stem(name: str) -> str:
    """A node id stem from a point name or address (ids allow letters, digits, _ and -)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.rpartition(";s=")[2] or name).strip("_")
    return stem if stem[:1].isalpha() else f"tag_{stem}"
