"""Composites on the canvas: group a selection into one node, ungroup it, open it to edit its inside.

A group becomes an embedded composite (a node of type ``composite`` carrying its inner graph,
:mod:`nodes.composite`), which the engine inlines before it runs, so grouping never changes
what a graph computes. Each wire that crosses the selection's boundary becomes an exposed
port: one input per inner input fed from outside (``band_x``), one output per inner output
read outside (``drift_y``). Inner nodes keep their ids and positions, and the composite sits
at their top-left corner, so ungrouping what was grouped gives back the same file.

Both are undo commands made of the designer's plain commands (remove, add, connect).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qtpy import shiboken
from qtpy.QtCore import QCoreApplication
from qtpy.QtGui import QUndoCommand
from qtpy.QtWidgets import QWidget

from model_designer.commands import AddNode, Connect, RemoveItems, _Composite, fresh_ids
from model_designer.editor import GraphEditor
from model_designer.wiring import resolve
from nodes.composite import COMPOSITE_TYPE
from nodes.graph import ExposedPort, Graph, Node
from nodes.registry import ComponentRegistry
from nodes.validation import Problem


def _tr(text: str) -> str:
    return QCoreApplication.translate("GraphCommand", text)


@dataclass
class Boundary:
    """What replacing a selection by one node ``node_id`` takes.

    ``inner`` is the selection as a graph whose exposed ports stand for the wires crossing its
    boundary; ``wires`` are those wires drawn to the new node instead (``"node.port"`` pairs);
    ``corner`` is the selection's top-left corner, where the new node goes.
    """

    node_ids: list[str]
    node_id: str
    inner: Graph
    wires: list[tuple[str, str]]
    corner: tuple[float, float]

    def replacement(self, graph: Graph, node: Node) -> list[QUndoCommand]:
        """The commands that put ``node`` (with id :attr:`node_id`) in the selection's place, wired."""
        return [RemoveItems(graph, self.node_ids), AddNode(graph, node),
                *(Connect(graph, source, target) for source, target in self.wires)]


def selection_boundary(graph: Graph, node_ids: Iterable[str], node_id: str) -> Boundary:
    """The :class:`Boundary` of ``node_ids`` in ``graph``, to be replaced by a node ``node_id``.

    Each inner input fed from outside becomes one exposed input (``band_x``), each inner output
    read outside one exposed output (``drift_y``); inner nodes keep their ids and positions.
    """
    chosen = sorted(n for n in dict.fromkeys(node_ids) if n in graph.nodes)
    if not chosen:
        raise ValueError("there is nothing to group")
    inside = set(chosen)
    inner = Graph(node_id)
    for chosen_id in chosen:
        node = graph.nodes[chosen_id]
        inner.nodes[chosen_id] = Node(node.id, node.type, dict(node.params), node.version, node.title,
                                      node.position, node.graph, dict(node.extra))
    inner.edges = sorted(e for e in graph.edges if e.source in inside and e.target in inside)
    wires: list[tuple[str, str]] = []
    for edge in sorted(graph.edges):
        if edge.target in inside and edge.source not in inside:
            name = _add_exposed(inner.exposed_inputs, edge.target, edge.target_port)
            wires.append((f"{edge.source}.{edge.source_port}", f"{node_id}.{name}"))
        elif edge.source in inside and edge.target not in inside:
            name = _add_exposed(inner.exposed_outputs, edge.source, edge.source_port)
            wires.append((f"{node_id}.{name}", f"{edge.target}.{edge.target_port}"))
    corner = (min(graph.nodes[n].position[0] for n in chosen), min(graph.nodes[n].position[1] for n in chosen))
    return Boundary(chosen, node_id, inner, wires, corner)


class GroupNodes(_Composite):
    """Replace ``node_ids`` by one composite node ``composite_id`` (by default ``group1``, ``group2``, …).

    :attr:`node_id` is the composite's id, for the canvas to select it.
    """

    def __init__(self, graph: Graph, node_ids: Iterable[str], composite_id: str | None = None):
        super().__init__("")
        boundary = selection_boundary(graph, node_ids, composite_id or graph.free_id("group"))
        self.node_id = boundary.node_id
        self.parts = boundary.replacement(graph, Node(self.node_id, COMPOSITE_TYPE, position=boundary.corner,
                                                      graph=boundary.inner))
        self.setText(_tr("Group {count} nodes").format(count=len(boundary.node_ids)))


class UngroupNode(_Composite):
    """Put the inside of composite ``node_id`` back in its place, rewired; :attr:`node_ids` are the new ids.

    Inner ids already used outside get the next free id with the same stem.
    """

    def __init__(self, graph: Graph, node_id: str):
        super().__init__(_tr("Ungroup {node}").format(node=node_id))
        composite = graph.nodes[node_id]
        if composite.type != COMPOSITE_TYPE or composite.graph is None:
            raise ValueError(f"'{node_id}' is not a group")
        inner = composite.graph
        ids = fresh_ids(graph, inner.nodes)
        self.node_ids = list(ids.values())
        left = min((n.position[0] for n in inner.nodes.values()), default=0.0)
        top = min((n.position[1] for n in inner.nodes.values()), default=0.0)
        dx, dy = composite.position[0] - left, composite.position[1] - top
        self.parts = [RemoveItems(graph, [node_id])]
        for old_id, node in inner.nodes.items():
            self.parts.append(AddNode(graph, Node(ids[old_id], node.type, node.params, node.version, node.title,
                                                  (node.position[0] + dx, node.position[1] + dy), node.graph,
                                                  node.extra)))
        for edge in sorted(inner.edges):
            self.parts.append(Connect(graph, f"{ids[edge.source]}.{edge.source_port}",
                                      f"{ids[edge.target]}.{edge.target_port}"))
        inputs = {p.name: p for p in inner.exposed_inputs}
        outputs = {p.name: p for p in inner.exposed_outputs}
        for edge in sorted(graph.edges):
            if edge.target == node_id and edge.target_port in inputs:
                port = inputs[edge.target_port]
                self.parts.append(Connect(graph, f"{edge.source}.{edge.source_port}", f"{ids[port.node]}.{port.port}"))
            elif edge.source == node_id and edge.source_port in outputs:
                port = outputs[edge.source_port]
                self.parts.append(Connect(graph, f"{ids[port.node]}.{port.port}", f"{edge.target}.{edge.target_port}"))


def _add_exposed(ports: list[ExposedPort], node_id: str, port: str) -> str:
    """The exposed port for ``node_id.port`` (added once), named ``node_port`` as port names allow."""
    for exposed in ports:
        if (exposed.node, exposed.port) == (node_id, port):
            return exposed.name
    name = re.sub(r"[^A-Za-z0-9_]", "_", f"{node_id}_{port}")
    ports.append(ExposedPort(name, node_id, port))
    return name


def is_group(graph: Graph, node_id: str) -> bool:
    """Whether ``node_id`` is an embedded composite that can be opened or ungrouped."""
    node = graph.nodes.get(node_id)
    return node is not None and node.type == COMPOSITE_TYPE and node.graph is not None


def graph_problems(graph: Graph, registry: ComponentRegistry) -> list[Problem]:
    """Every problem of ``graph`` with its composites inlined, each placed on a node of ``graph``.

    A problem inside group ``g`` (engine id ``g/inner``) is placed on ``g`` and its message says
    which inner node it concerns, so the panel can take the user to a node they can see.
    """
    return resolve(graph, registry).problems


class CompositeEditor(GraphEditor):
    """The inside of group ``node_id`` of ``outer`` on a canvas of its own.

    Its edits go onto the outer graph's undo stack: the inner graph is part of the outer file,
    so one history keeps the file's unsaved state, Edit → Undo and File → Save right whichever
    tab is in front, and undoing in the outer tab can never leave the inner tab's history
    pointing at a state the file no longer has. Saving saves the outer file.
    """

    def __init__(self, outer: GraphEditor, node_id: str, parent: QWidget | None = None):
        if not is_group(outer.graph, node_id):
            raise ValueError(f"'{node_id}' is not a group")
        super().__init__(outer.graph.nodes[node_id].graph, outer.path, outer.registry, parent,
                         undo_stack=outer.undo_stack)
        self.outer, self.node_id = outer, node_id
        # The outer stack usually outlives this tab: stop following it when the tab goes (captures
        # no self). When the outer editor went first, its stack took the connection with it.
        stack, connection = self.undo_stack, self.history_connection
        self.destroyed.connect(lambda *_: shiboken.isValid(stack) and stack.cleanChanged.disconnect(connection))

    @property
    def title(self) -> str:
        node = self.outer.graph.nodes.get(self.node_id)
        return f"{self.outer.title} › {(node.title if node else '') or self.node_id}"

    def save(self) -> None:
        self.outer.save()


def open_composite(outer: GraphEditor, node_id: str, parent: QWidget | None = None) -> CompositeEditor:
    """An editor of group ``node_id``'s inside (see :class:`CompositeEditor`)."""
    return CompositeEditor(outer, node_id, parent)


def group_selection(canvas) -> str | None:
    """Group the nodes selected on ``canvas`` (a :class:`GraphCanvas`); the group becomes the selection."""
    ids = canvas.selected_node_ids()
    if not ids:
        return None
    command = GroupNodes(canvas.graph, ids)
    canvas.undo_stack.push(command)
    canvas.select([command.node_id])
    return command.node_id


def ungroup_selection(canvas) -> list[str]:
    """Ungroup every selected group on ``canvas``; their insides become the selection."""
    groups = [n for n in canvas.selected_node_ids() if is_group(canvas.graph, n)]
    if not groups:
        return []
    new_ids: list[str] = []
    canvas.undo_stack.beginMacro(_tr("Ungroup {count} groups").format(count=len(groups)))
    try:
        for node_id in groups:
            command = UngroupNode(canvas.graph, node_id)
            canvas.undo_stack.push(command)
            new_ids += command.node_ids
    finally:
        canvas.undo_stack.endMacro()
    canvas.select(new_ids)
    return new_ids
