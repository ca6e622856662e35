"""Undo commands: the only way the designer edits a graph.

Each command calls :class:`~nodes.graph.Graph` methods; the canvas follows the graph's events,
so undoing a command redraws the canvas without the command knowing the canvas exists.
Commands compose: removing nodes is made of one command per wire and per node, and a paste of
its added nodes and wires; they are undone in reverse order.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable
from typing import Any

from qtpy.QtCore import QCoreApplication
from qtpy.QtGui import QUndoCommand

from nodes.graph import Edge, Graph, Node

_UNSET = object()
_MOVE_ID, _SET_PARAM_ID = 1801, 1802  # QUndoCommand ids: only commands with equal ids try to merge
_gestures = itertools.count(1)


def _tr(text: str) -> str:
    return QCoreApplication.translate("GraphCommand", text)


def new_gesture() -> int:
    """A number naming one drag: the moves pushed during it merge into one undo step."""
    return next(_gestures)


class AddNode(QUndoCommand):
    """Add one node, as a snapshot of a :class:`Node` (its id must be free)."""

    def __init__(self, graph: Graph, node: Node):
        super().__init__(_tr("Add {node}").format(node=node.id))
        self.graph, self.node = graph, _snapshot(node)

    def redo(self) -> None:
        _restore(self.graph, self.node)

    def undo(self) -> None:
        self.graph.remove_node(self.node.id)


class _RemoveNode(QUndoCommand):
    """Remove one node whose wires its parent has already removed."""

    def __init__(self, graph: Graph, node_id: str):
        super().__init__()
        self.graph, self.node = graph, _snapshot(graph.nodes[node_id])

    def redo(self) -> None:
        self.graph.remove_node(self.node.id)

    def undo(self) -> None:
        _restore(self.graph, self.node)


class Connect(QUndoCommand):
    """Wire ``"node.output"`` to ``"node.input"`` (the caller has checked it may)."""

    def __init__(self, graph: Graph, source: str, target: str):
        super().__init__(_tr("Connect {source} → {target}").format(source=source, target=target))
        self.graph, self.source, self.target = graph, source, target
        self.edge: Edge | None = None

    def redo(self) -> None:
        self.edge = self.graph.connect(self.source, self.target)

    def undo(self) -> None:
        self.graph.disconnect(self.edge)


class Disconnect(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge):
        super().__init__(_tr("Disconnect {edge}").format(edge=edge))
        self.graph, self.edge = graph, edge

    def redo(self) -> None:
        self.graph.disconnect(self.edge)

    def undo(self) -> None:
        self.graph.connect(f"{self.edge.source}.{self.edge.source_port}",
                           f"{self.edge.target}.{self.edge.target_port}")


class _Composite(QUndoCommand):
    """A command made of parts, redone in order and undone in reverse.

    The parts are plain Python children rather than Qt child commands: PySide keeps no reference to
    a Qt child made in Python, and holding one as well makes Qt and Python both delete it.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self.parts: list[QUndoCommand] = []

    def redo(self) -> None:
        for part in self.parts:
            part.redo()

    def undo(self) -> None:
        for part in reversed(self.parts):
            part.undo()


class RemoveItems(_Composite):
    """Remove wires and nodes with every wire that touches them; undo restores them exactly."""

    def __init__(self, graph: Graph, node_ids: Iterable[str] = (), edges: Iterable[Edge] = ()):
        super().__init__("")
        node_ids = [n for n in dict.fromkeys(node_ids) if n in graph.nodes]
        doomed = set(node_ids)
        wires = dict.fromkeys([*edges, *(e for e in graph.edges if e.source in doomed or e.target in doomed)])
        self.parts = [Disconnect(graph, edge) for edge in wires] + [_RemoveNode(graph, node_id) for node_id in node_ids]
        self.setText(_tr("Remove {nodes} nodes and {wires} wires").format(nodes=len(node_ids), wires=len(wires)))


class SetParam(QUndoCommand):
    """Set one parameter; repeated edits of the same field merge into one undo step."""

    def __init__(self, graph: Graph, node_id: str, name: str, value: Any):
        super().__init__(_tr("Set {node}.{name}").format(node=node_id, name=name))
        self.graph, self.node_id, self.name, self.value = graph, node_id, name, copy.deepcopy(value)
        self.old = copy.deepcopy(graph.nodes[node_id].params.get(name, _UNSET))

    def id(self) -> int:
        return _SET_PARAM_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParam) or (other.node_id, other.name) != (self.node_id, self.name):
            return False
        self.value = other.value
        return True

    def redo(self) -> None:
        self.graph.set_param(self.node_id, self.name, copy.deepcopy(self.value))

    def undo(self) -> None:
        if self.old is _UNSET:
            self.graph.reset_param(self.node_id, self.name)  # the default applies again, and the file says so
        else:
            self.graph.set_param(self.node_id, self.name, copy.deepcopy(self.old))


class SetTitle(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, title: str):
        super().__init__(_tr("Rename {node}").format(node=node_id))
        self.graph, self.node_id, self.title, self.old = graph, node_id, title, graph.nodes[node_id].title

    def redo(self) -> None:
        self.graph.set_title(self.node_id, self.title)

    def undo(self) -> None:
        self.graph.set_title(self.node_id, self.old)


class MoveNodes(QUndoCommand):
    """Move nodes to new positions.

    Moves of the same nodes in the same ``gesture`` (one drag, or a run of arrow-key nudges) merge,
    so the whole drag is one undo step that returns to where it started.
    """

    def __init__(self, graph: Graph, positions: dict[str, tuple[float, float]], gesture: object = None):
        super().__init__(_tr("Move {count} nodes").format(count=len(positions)))
        self.graph, self.gesture = graph, gesture
        self.new = dict(positions)
        self.old = {node_id: graph.nodes[node_id].position for node_id in positions}

    def id(self) -> int:
        return _MOVE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveNodes) or self.gesture is None or other.gesture != self.gesture \
                or other.new.keys() != self.new.keys():
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)  # dragged back to the start: nothing to undo
        return True

    def redo(self) -> None:
        for node_id, position in self.new.items():
            self.graph.move_node(node_id, position)

    def undo(self) -> None:
        for node_id, position in self.old.items():
            self.graph.move_node(node_id, position)


class Paste(_Composite):
    """Add the nodes and inner wires of ``fragment`` (a graph from the clipboard) under fresh ids.

    :attr:`node_ids` maps each fragment id to the id it got, so the canvas can select the copies.
    """

    def __init__(self, graph: Graph, fragment: Graph, offset: tuple[float, float] = (0.0, 0.0)):
        super().__init__(_tr("Paste {count} nodes").format(count=len(fragment.nodes)))
        self.node_ids = fresh_ids(graph, fragment.nodes)
        for old_id, node in fragment.nodes.items():
            x, y = node.position
            self.parts.append(AddNode(graph, _snapshot(node, id=self.node_ids[old_id],
                                                       position=(x + offset[0], y + offset[1]))))
        for edge in sorted(fragment.edges):
            if edge.source in self.node_ids and edge.target in self.node_ids:
                self.parts.append(Connect(graph, f"{self.node_ids[edge.source]}.{edge.source_port}",
                                          f"{self.node_ids[edge.target]}.{edge.target_port}"))


def fresh_ids(graph: Graph, wanted: Iterable[str]) -> dict[str, str]:
    """Each wanted id, or when taken the next free one with the same stem (``ewma1`` → ``ewma2``)."""
    taken, result = set(graph.nodes), {}
    for node_id in wanted:
        new_id = node_id
        if new_id in taken:
            stem = re.sub(r"\d+$", "", node_id) or "node"
            new_id = next(f"{stem}{n}" for n in itertools.count(1) if f"{stem}{n}" not in taken)
        taken.add(new_id)
        result[node_id] = new_id
    return result


def fragment_of(graph: Graph, node_ids: Iterable[str]) -> Graph:
    """The nodes ``node_ids`` and the wires among them, as a graph of their own (for the clipboard)."""
    chosen = [n for n in node_ids if n in graph.nodes]
    fragment = Graph(graph.name)
    for node_id in chosen:
        _restore(fragment, _snapshot(graph.nodes[node_id]))
    inside = set(chosen)
    fragment.edges = [e for e in graph.edges if e.source in inside and e.target in inside]
    return fragment


def _snapshot(node: Node, **changes: Any) -> Node:
    """A deep copy of a node that is part of no graph's lists (commands keep it across undo/redo)."""
    fields = {"id": node.id, "type": node.type, "params": node.params, "version": node.version, "title": node.title,
              "position": node.position, "extra": node.extra}
    inner = None if node.graph is None else Graph.from_json(node.graph.to_json())  # a Graph holds signals: no deepcopy
    return Node(**copy.deepcopy({**fields, **changes}), graph=inner)


def _restore(graph: Graph, node: Node) -> None:
    copied = _snapshot(node)
    graph.add_node(copied.id, copied.type, copied.params, version=copied.version, title=copied.title,
                   position=copied.position, graph=copied.graph, extra=copied.extra)
