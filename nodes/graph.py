"""The graph model: nodes, typed edges, parameters, exposed ports for composites, JSON files.

Graph files are readable, diff-friendly JSON: nodes sorted by id, edges sorted, keys sorted,
two-space indentation. Each file carries ``schema_version``; files from older schemas are
migrated on load (:data:`MIGRATIONS`), and each node carries its component's version so that
component parameters are migrated too (``Component.migrate_params``). Keys this version does
not know are kept. Nothing is executed while loading a file. Comments, frames and reroute
points live in the ``ui`` section (:mod:`nodes.graph_ui`), which the engine ignores.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psygnal import Signal

from nodes.graph_ui import GraphUi, numbered_id
from nodes.json_structure import StructureProblem, shipped_schema, structure_problems

GRAPH_SCHEMA_VERSION = 3
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_UNSET = object()


class GraphFormatError(ValueError):
    """A graph file that cannot be read; the message names the file and, where known, the place.

    :attr:`problems` holds each problem on its own (the message joins them, one per line).
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    title: str = ""
    position: tuple[float, float] = (0.0, 0.0)
    graph: Graph | None = None  # the inner graph of an embedded composite
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = {**self.extra, "id": self.id, "type": self.type, "version": self.version,
                "params": dict(sorted(self.params.items())), "position": [float(self.position[0]),
                                                                       float(self.position[1])]}
        if self.title:
            data["title"] = self.title
        if self.graph is not None:
            data["graph"] = self.graph.to_json()
        return data


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    source_port: str
    target: str
    target_port: str

    def to_json(self) -> dict[str, str]:
        return {"from": f"{self.source}.{self.source_port}", "to": f"{self.target}.{self.target_port}"}

    @property
    def wire(self) -> tuple[str, str]:
        """``("node.port", "node.port")``: how the ``ui`` section names this edge."""
        return f"{self.source}.{self.source_port}", f"{self.target}.{self.target_port}"

    def __str__(self) -> str:
        return f"{self.source}.{self.source_port} → {self.target}.{self.target_port}"


@dataclass(frozen=True)
class ExposedPort:
    """A port of a composite: ``name`` outside maps to ``node.port`` inside."""

    name: str
    node: str
    port: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "node": self.node, "port": self.port}


class Graph:
    """A dataflow graph. Edits go through methods, which emit events for views to follow."""

    node_added = Signal(object)
    node_removed = Signal(str)
    edge_added = Signal(object)
    edge_removed = Signal(object)
    params_changed = Signal(str)
    node_moved = Signal(str)
    title_changed = Signal(str)

    def __init__(self, name: str = "", description: str = ""):
        self.name = name
        self.description = description
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.exposed_inputs: list[ExposedPort] = []
        self.exposed_outputs: list[ExposedPort] = []
        self.extra: dict[str, Any] = {}
        self.ui = GraphUi()

    # -- editing ---------------------------------------------------------------------------------
    def add_node(self, node_id: str, type_name: str, params: dict[str, Any] | None = None, **kw: Any) -> Node:
        if not _ID.match(node_id):
            raise ValueError(f"node id '{node_id}' must start with a letter and use letters, digits, _ or -")
        if node_id in self.nodes:
            raise ValueError(f"there is already a node '{node_id}'")
        node = Node(node_id, type_name, dict(params or {}), **kw)
        self.nodes[node_id] = node
        self.node_added.emit(node)
        return node

    def remove_node(self, node_id: str) -> None:
        for edge in [e for e in self.edges if node_id in (e.source, e.target)]:
            self.disconnect(edge)
        del self.nodes[node_id]
        self.node_removed.emit(node_id)

    def connect(self, source: str, target: str) -> Edge:
        """Connect ``"node.port"`` to ``"node.port"``."""
        (src, src_port), (dst, dst_port) = _split_ref(source), _split_ref(target)
        edge = Edge(src, src_port, dst, dst_port)
        if edge not in self.edges:
            self.edges.append(edge)
            self.edge_added.emit(edge)
        return edge

    def disconnect(self, edge: Edge) -> None:
        self.edges.remove(edge)
        self.edge_removed.emit(edge)

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        self.nodes[node_id].params[name] = value
        self.params_changed.emit(node_id)

    def reset_param(self, node_id: str, name: str) -> None:
        """Drop a parameter from the node, so its default applies (undo of setting one that was unset)."""
        if self.nodes[node_id].params.pop(name, _UNSET) is not _UNSET:
            self.params_changed.emit(node_id)

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        """Place a node on the canvas; emits ``node_moved`` only on a real change."""
        node = self.nodes[node_id]
        position = (float(position[0]), float(position[1]))
        if node.position != position:
            node.position = position
            self.node_moved.emit(node_id)

    def set_title(self, node_id: str, title: str) -> None:
        """Rename a node for people (its id stays); emits ``title_changed`` only on a real change."""
        node = self.nodes[node_id]
        if node.title != title:
            node.title = title
            self.title_changed.emit(node_id)

    def free_id(self, stem: str) -> str:
        """The first unused node id ``stem1``, ``stem2``, … (``ewma1`` for a new EWMA node)."""
        return numbered_id(stem, self.nodes)

    def incoming(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id]

    # -- files -------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data = {**self.extra, "schema_version": GRAPH_SCHEMA_VERSION, "name": self.name,
                "description": self.description,
                "nodes": [self.nodes[k].to_json() for k in sorted(self.nodes)],
                "edges": [e.to_json() for e in sorted(self.edges)]}
        if self.exposed_inputs or self.exposed_outputs:
            data["ports"] = {"inputs": [p.to_json() for p in self.exposed_inputs],
                             "outputs": [p.to_json() for p in self.exposed_outputs]}
        ui = self.ui.to_json(e.wire for e in self.edges)
        if ui:
            data["ui"] = ui
        return data

    def to_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_text(cls, text: str, source: str = "graph") -> Graph:
        """A graph from JSON text: structure checked against the shipped schema, problems with line and column."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GraphFormatError(f"{source} (line {exc.lineno}, column {exc.colno}): not valid JSON: "
                                   f"{exc.msg}") from None
        return cls._load(data, source, text)

    @classmethod
    def from_json(cls, data: Any, source: str = "graph") -> Graph:
        """A graph from parsed JSON; like :meth:`from_text`, but problems name only their JSON path."""
        return cls._load(data, source, None)

    @classmethod
    def _load(cls, data: Any, source: str, text: str | None) -> Graph:
        if not isinstance(data, dict):
            raise GraphFormatError(f"{source}: a graph file must hold a JSON object {{…}}")
        try:
            data = _migrated(copy.deepcopy(data), source)
        except GraphFormatError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise GraphFormatError(f"{source}: {_plain(exc)}") from None
        problems = structure_problems(data, shipped_schema("graph.schema.json"), text)
        if problems:
            messages = [_describe(p, data, source) for p in problems]
            raise GraphFormatError("\n".join(messages), messages)
        try:
            return cls._build(data, source)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise GraphFormatError(f"{source}: {_plain(exc)}") from None

    @classmethod
    def _build(cls, data: dict[str, Any], source: str) -> Graph:
        graph = cls(str(data.get("name", "")), str(data.get("description", "")))
        known = {"schema_version", "name", "description", "nodes", "edges", "ports", "ui"}
        graph.extra = {k: v for k, v in data.items() if k not in known}
        for i, raw in enumerate(data.get("nodes", [])):
            if not isinstance(raw, dict) or "id" not in raw or "type" not in raw:
                raise ValueError(f"node #{i + 1} needs an 'id' and a 'type'")
            inner = cls._build(raw["graph"], f"{source}, node '{raw['id']}'") if "graph" in raw else None
            extra = {k: v for k, v in raw.items()
                     if k not in {"id", "type", "params", "version", "title", "position", "graph"}}
            position = raw.get("position", [0.0, 0.0])
            graph.add_node(str(raw["id"]), str(raw["type"]), dict(raw.get("params", {})),
                           version=int(raw.get("version", 1)), title=str(raw.get("title", "")),
                           position=(float(position[0]), float(position[1])), graph=inner, extra=extra)
        seen: set[Edge] = set()  # a set: Graph.connect's search of the list made loading quadratic
        for raw in data.get("edges", []):
            (src, src_port), (dst, dst_port) = _split_ref(raw["from"]), _split_ref(raw["to"])
            edge = Edge(src, src_port, dst, dst_port)
            if edge not in seen:  # nobody listens yet: the graph is being built
                seen.add(edge)
                graph.edges.append(edge)
        ports = data.get("ports", {})
        if not isinstance(ports, dict):
            raise ValueError("'ports' must be an object with 'inputs' and 'outputs'")
        graph.exposed_inputs = [ExposedPort(p["name"], p["node"], p["port"]) for p in ports.get("inputs", [])]
        graph.exposed_outputs = [ExposedPort(p["name"], p["node"], p["port"]) for p in ports.get("outputs", [])]
        graph.ui = GraphUi.from_json(data.get("ui", {}))
        return graph


def load_graph(path: Path) -> Graph:
    """Read a graph file: the one way graph files are loaded (CLI, workbench, project check).

    Every problem raises :class:`GraphFormatError` naming the file and, where known, line and column.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise GraphFormatError(f"{path}: the file does not exist") from None
    except IsADirectoryError:
        raise GraphFormatError(f"{path}: this is a folder, not a graph file") from None
    except OSError as exc:
        raise GraphFormatError(f"{path}: the file cannot be read ({exc.strerror})") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark from Windows editors
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        line, column = before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1
        raise GraphFormatError(f"{path} (line {line}, column {column}): the file is not UTF-8 text") from None
    return Graph.from_text(text, str(path))


def _migrated(data: dict[str, Any], source: str) -> dict[str, Any]:
    """``data`` brought to the current schema, embedded composites' graphs included."""
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GraphFormatError(f"{source}: 'schema_version' must be a whole number ≥ 1 (found {version!r}); "
                               "is this a Millwright graph?")
    if version > GRAPH_SCHEMA_VERSION:
        raise GraphFormatError(f"{source} was written with graph schema {version}; this Millwright reads "
                               f"schema {GRAPH_SCHEMA_VERSION} and older. Update Millwright to open it.")
    for step in range(version, GRAPH_SCHEMA_VERSION):
        data = MIGRATIONS[step](data)
    nodes = data.get("nodes")
    for raw in nodes if isinstance(nodes, list) else ():
        if isinstance(raw, dict) and isinstance(raw.get("graph"), dict):
            raw["graph"] = _migrated(raw["graph"], f"{source}, node '{raw.get('id', '?')}'")
    return data


def _describe(problem: StructureProblem, data: dict[str, Any], source: str) -> str:
    """The problem with the id of the node it is in, when it is in a node: plant engineers know nodes by id."""
    text = problem.describe(source)
    node_id = None
    if problem.path[:1] == ("nodes",) and len(problem.path) > 1:
        nodes = data.get("nodes")
        index = problem.path[1]
        if isinstance(nodes, list) and isinstance(index, int) and index < len(nodes) \
                and isinstance(nodes[index], dict) and isinstance(nodes[index].get("id"), str):
            node_id = nodes[index]["id"]
    return f"{text} (node '{node_id}')" if node_id and problem.path[2:] != ("id",) else text


def _split_ref(ref: str) -> tuple[str, str]:
    node, dot, port = str(ref).rpartition(".")
    if not dot or not node or not port:
        raise ValueError(f"'{ref}' must name a node and a port as 'node.port'")
    return node, port


def _plain(exc: Exception) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)


def _from_schema_1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 wrote edges as ``"a.y -> b.x"`` strings and parameters under ``"parameters"``."""
    def edge(text: str) -> dict[str, str]:
        ends = [part.strip() for part in text.split("->")]
        if len(ends) != 2:
            raise ValueError(f"edge '{text}' must look like 'node.port -> node.port'")
        return {"from": ends[0], "to": ends[1]}

    data["edges"] = [edge(e) if isinstance(e, str) else e for e in data.get("edges", [])]
    for node in data.get("nodes", []):
        if "parameters" in node:
            node["params"] = node.pop("parameters")
    data["schema_version"] = 2
    return data


def _from_schema_2(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 3 added the ``ui`` section (comments, frames, reroutes); a schema 2 file has none."""
    data["schema_version"] = 3
    return data


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _from_schema_1, 2: _from_schema_2}
