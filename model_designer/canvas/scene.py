"""The scene: a view of one :class:`~nodes.graph.Graph`, kept up to date from the graph's events.

Items are made only in reaction to the graph (when the scene is built, and on ``node_added``,
``edge_added`` …); nothing here edits the graph. Validation runs after a burst of edits (one
timer tick later, so an undo of a 50-node paste validates once) and paints its findings: red
outlines, resolved units on ports, unit conversions on wires. A group (an embedded composite)
is drawn with its exposed ports, their units resolved inside it (:func:`~model_designer.wiring.resolve`).

A moved node takes its place at once; its wires are re-pathed once per burst of moves (a drag step
or an undo moves every selected node, one event each), just before the repaint: a wire between two
moved nodes would otherwise be re-pathed once per end.
"""

from __future__ import annotations

from collections import defaultdict

from qtpy.QtCore import QCoreApplication, QEvent, QLocale, QTimer, Signal
from qtpy.QtWidgets import QGraphicsScene

from model_designer.canvas.items import EdgeItem, NodeItem, PortItem
from model_designer.wiring import conversion_label, node_class, resolve, split_ref, unit_symbol
from nodes.graph import Edge, Graph, Node
from nodes.registry import ComponentRegistry
from nodes.validation import Resolution

_REROUTE = QEvent.Type(QEvent.registerEventType())  # posted by the first node move of a burst


class GraphScene(QGraphicsScene):
    """Node and wire items for ``graph``; :meth:`detach` before dropping the scene."""

    validated = Signal()

    def __init__(self, graph: Graph, registry: ComponentRegistry, parent=None):
        super().__init__(parent)
        self.graph, self.registry = graph, registry
        self.language = QLocale().name()
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, EdgeItem] = {}
        self._wires_of: dict[str, set[EdgeItem]] = defaultdict(set)
        self._stale_wires: set[EdgeItem] = set()  # an end moved since they were last re-pathed
        self._reroute_posted = False
        self.resolution: Resolution | None = None
        self._validation = QTimer(self, singleShot=True, interval=0)
        self._validation.timeout.connect(self.revalidate)
        for node in graph.nodes.values():
            self._add_node(node)
        for edge in graph.edges:
            self._add_edge(edge)
        self.revalidate()
        self._connections = [(graph.node_added, self._on_node_added), (graph.node_removed, self._on_node_removed),
                             (graph.edge_added, self._on_edge_added), (graph.edge_removed, self._on_edge_removed),
                             (graph.node_moved, self._on_node_moved), (graph.title_changed, self._on_title_changed),
                             (graph.params_changed, self._on_params_changed)]
        for signal, slot in self._connections:
            signal.connect(slot)

    def detach(self) -> None:
        """Stop following the graph (the graph outlives its canvases)."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []

    # -- lookups ---------------------------------------------------------------------------------
    def port_item(self, ref: str, output: bool) -> PortItem | None:
        node_id, port = split_ref(ref)
        item = self.nodes.get(node_id)
        return item.ports.get((port, output)) if item else None

    def selected_node_ids(self) -> list[str]:
        return sorted(item.node_id for item in self.selectedItems() if isinstance(item, NodeItem))

    def selected_edges(self) -> list[Edge]:
        return sorted(item.edge for item in self.selectedItems() if isinstance(item, EdgeItem))

    # -- following the graph ---------------------------------------------------------------------
    def _add_node(self, node: Node) -> None:
        item = NodeItem(node, node_class(self.graph, node.id, self.registry), self.language)
        self.nodes[node.id] = item
        self.addItem(item)

    def _add_edge(self, edge: Edge) -> None:
        source, target = self.nodes.get(edge.source), self.nodes.get(edge.target)
        if source is None or target is None:
            return  # a wire to a node that does not exist: validation reports it
        item = EdgeItem(edge, source.port(edge.source_port, True), target.port(edge.target_port, False))
        self.edges[edge] = item
        self._wires_of[edge.source].add(item)
        self._wires_of[edge.target].add(item)
        self.addItem(item)

    def _on_node_added(self, node: Node) -> None:
        self._add_node(node)
        self._validation.start()

    def _on_node_removed(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        self._wires_of.pop(node_id, None)
        if item is not None:
            self.removeItem(item)
        self._validation.start()

    def _on_edge_added(self, edge: Edge) -> None:
        self._add_edge(edge)
        self._validation.start()

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self.edges.pop(edge, None)
        if item is not None:
            for node_id in (edge.source, edge.target):
                self._wires_of.get(node_id, set()).discard(item)
            self._stale_wires.discard(item)
            self.removeItem(item)
        self._validation.start()

    def _on_node_moved(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        if item is None:
            return
        if not self._reroute_posted:  # posted before the move's own repaint request, so handled before it
            self._reroute_posted = True
            QCoreApplication.postEvent(self, QEvent(_REROUTE))
        self._stale_wires.update(self._wires_of.get(node_id, ()))
        item.setPos(*self.graph.nodes[node_id].position)

    def reroute_wires(self) -> None:
        """Re-path the wires of the nodes moved since the last call, each once however many of its ends moved."""
        stale, self._stale_wires = self._stale_wires, set()
        for wire in stale:
            wire.update_path()

    def event(self, event) -> bool:
        if event.type() == _REROUTE:
            self._reroute_posted = False
            self.reroute_wires()
            return True
        return super().event(event)

    def drawBackground(self, painter, rect) -> None:
        self.reroute_wires()  # a synchronous repaint (repaint(), grab()) comes before the posted event
        super().drawBackground(painter, rect)

    def _on_title_changed(self, node_id: str) -> None:
        self.nodes[node_id].set_title(self.graph.nodes[node_id], self.language)

    def _on_params_changed(self, node_id: str) -> None:
        self.nodes[node_id].refresh_kinds(self.graph.nodes[node_id].params)
        self._validation.start()  # units and problems may follow from parameters (e.g. a unit choice)

    def refresh_types(self) -> list[str]:
        """Rebuild the items of nodes whose component class changed; returns their ids.

        The registry is refilled in place when the project's components change (a script component
        saved and reloaded, a file that no longer imports, a folder trusted): such a node gets the
        new version's ports, or is drawn as a missing component, and keeps its wires and selection.
        """
        stale = [node_id for node_id, item in self.nodes.items() if not _same_class(
            item, node_class(self.graph, node_id, self.registry))]
        if not stale:
            return []
        selected = set(self.selected_node_ids())
        for node_id in stale:
            for wire in list(self._wires_of.get(node_id, ())):
                self.edges.pop(wire.edge, None)
                for end in (wire.edge.source, wire.edge.target):
                    self._wires_of.get(end, set()).discard(wire)
                self._stale_wires.discard(wire)
                self.removeItem(wire)
            self.removeItem(self.nodes.pop(node_id))
            self._add_node(self.graph.nodes[node_id])
            self.nodes[node_id].setSelected(node_id in selected)
        for edge in self.graph.edges:
            if edge not in self.edges:
                self._add_edge(edge)
        self._validation.start()
        return stale

    def retranslate(self) -> None:
        """Titles in the UI language after a language change."""
        self.language = QLocale().name()
        for node_id, item in self.nodes.items():
            item.set_title(self.graph.nodes[node_id], self.language)

    # -- validation ------------------------------------------------------------------------------
    def revalidate(self) -> None:
        """Validate the graph now and paint problems, resolved units and unit conversions."""
        self._validation.stop()
        self.resolution = resolution = resolve(self.graph, self.registry)  # groups validated from the inside
        problems: dict[str, list[str]] = defaultdict(list)
        for problem in resolution.problems:
            if problem.node in self.nodes:
                where = f"{problem.port}: " if problem.port else ""
                problems[problem.node].append(f"{problem.severity}: {where}{problem.message}")
        for node_id, item in self.nodes.items():
            item.set_problem("\n".join(problems[node_id]) if node_id in problems else None)
            for (port, output), port_item in item.ports.items():
                units = resolution.output_units if output else resolution.input_units
                unit = units.get((node_id, port))
                port_item.set_unit(unit_symbol(unit) if unit else "")
        for edge, wire in self.edges.items():
            wire.set_conversion(conversion_label(self.graph, self.registry, f"{edge.source}.{edge.source_port}",
                                                 f"{edge.target}.{edge.target_port}", resolution))
        self.validated.emit()


def _same_class(item: NodeItem, cls) -> bool:
    """Whether ``item`` already shows ``cls`` (a group's class is made anew each time: compare its ports)."""
    if item.cls is cls:
        return True
    return item.group and item.cls is not None and cls is not None and item.cls.spec() == cls.spec()
