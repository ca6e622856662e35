"""Graph validation: every problem at once, each naming the node and port it concerns."""

from __future__ import annotations

import graphlib
from dataclasses import dataclass
from typing import Any

from nodes.component import Component, Kind, ParamError, Port, derived_unit, kinds_compatible, unit_source
from nodes.graph import Edge, Graph
from nodes.registry import ComponentRegistry
from nodes.units import UnitError, conversion, parse


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    node: str | None = None
    port: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.node}.{self.port}" if self.node and self.port else (self.node or "graph")
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class Resolution:
    """What validation learnt: component classes, parameters, port kinds and units."""

    classes: dict[str, type[Component]]
    params: dict[str, dict[str, Any]]
    output_units: dict[tuple[str, str], str]
    input_units: dict[tuple[str, str], str]
    order: list[str]
    problems: list[Problem]
    loop_delays: set[str]  # feedback components that close a loop: run as emit/absorb in blocks

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def validate(graph: Graph, registry: ComponentRegistry) -> Resolution:
    """Check a (flattened) graph against the registry; never raises for a bad graph."""
    problems: list[Problem] = []
    classes, params = _check_nodes(graph, registry, problems)
    wired = _check_edges(graph, classes, params, problems)
    loop_delays = _loop_delays(graph, classes)
    order = _check_cycles(graph, loop_delays, problems)
    output_units, input_units = _resolve_units(graph, classes, params, wired, order, problems)
    return Resolution(classes, params, output_units, input_units, order, problems, loop_delays)


def _port(cls: type[Component], name: str, outputs: bool) -> Port | None:
    return next((p for p in (cls.outputs if outputs else cls.inputs) if p.name == name), None)


def _check_nodes(graph, registry, problems):
    classes, params = {}, {}
    for node in graph.nodes.values():
        cls = registry.get(node.type)
        if cls is None:
            close = registry.close_matches(node.type)
            hint = f"did you mean {' or '.join(repr(name) for name in close)}? " if close else ""
            problems.append(Problem("missing_component", f"component type '{node.type}' is not installed; {hint}"
                                    "the node is kept as it is and saved unchanged", node.id))
            continue
        classes[node.id] = cls
        if node.version > cls.version:
            problems.append(Problem("newer_component", f"saved by version {node.version} of '{node.type}', this is "
                                    f"version {cls.version}; some settings may be ignored", node.id, None, "warning"))
        try:
            params[node.id] = cls.resolve_params(cls.migrate_params(dict(node.params), node.version))
        except ParamError as exc:
            for name, reason in exc.problems.items():
                problems.append(Problem("bad_parameter", f"parameter '{name}' {reason}", node.id, name))
    return classes, params


def _check_edges(graph, classes, params, problems) -> dict[tuple[str, str], Edge]:
    wired: dict[tuple[str, str], Edge] = {}
    unresolved: set[tuple[str, str]] = set()  # inputs wired to a node whose type is unknown: not unconnected
    for edge in graph.edges:
        src_cls, dst_cls = classes.get(edge.source), classes.get(edge.target)
        for node_id in (edge.source, edge.target):
            if node_id not in graph.nodes:
                problems.append(Problem("unknown_node", f"the connection {edge} refers to a node that does not exist",
                                        node_id))
        if src_cls is None or dst_cls is None:
            # The unknown node has its own problem; its wires are not judged (no knock-on errors).
            unresolved.add((edge.target, edge.target_port))
            continue
        src_port, dst_port = _port(src_cls, edge.source_port, True), _port(dst_cls, edge.target_port, False)
        if src_port is None:
            problems.append(Problem("unknown_port", f"'{src_cls.type_name}' has no output '{edge.source_port}'",
                                    edge.source, edge.source_port))
        if dst_port is None:
            problems.append(Problem("unknown_port", f"'{dst_cls.type_name}' has no input '{edge.target_port}'",
                                    edge.target, edge.target_port))
        if src_port is None or dst_port is None:
            continue
        key = (edge.target, edge.target_port)
        if key in wired:
            problems.append(Problem("double_connection", f"input is fed by both {wired[key].source}."
                                    f"{wired[key].source_port} and {edge.source}.{edge.source_port}; keep one",
                                    edge.target, edge.target_port))
            continue
        wired[key] = edge
        src_kind = src_cls.port_kind(src_port, params.get(edge.source, {}))
        dst_kind = dst_cls.port_kind(dst_port, params.get(edge.target, {}))
        if not kinds_compatible(src_kind, dst_kind):
            del wired[key]  # one problem per wire: its units are not compared as well
            problems.append(Problem("kind_mismatch", f"{edge.source}.{edge.source_port} gives {_kind(src_kind)} but "
                                    f"this input takes {_kind(dst_kind)}", edge.target, edge.target_port))
    reported = {(p.node, p.port) for p in problems} | unresolved
    for node_id, cls in classes.items():
        for port in cls.inputs:
            if port.required and (node_id, port.name) not in wired and (node_id, port.name) not in reported:
                problems.append(Problem("unconnected_input", "this input must be connected", node_id, port.name))
    return wired


def _kind(kind: Kind) -> str:
    return {"signal": "a signal", "boolean": "a boolean signal", "scalar": "a scalar", "spectrum": "a spectrum",
            "table": "a table", "events": "events"}[kind.value]


def _loop_delays(graph, classes) -> set[str]:
    """Feedback components (delays) that lie on a loop; a delay elsewhere runs like any node."""
    successors: dict[str, set[str]] = {}
    for edge in graph.edges:
        successors.setdefault(edge.source, set()).add(edge.target)
    return {node_id for node_id, cls in classes.items()
            if cls.feedback and _reaches(node_id, node_id, successors)}


def _reaches(start: str, goal: str, successors: dict[str, set[str]]) -> bool:
    stack, seen = list(successors.get(start, ())), set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(successors.get(node, ()))
    return False


def _check_cycles(graph, loop_delays, problems) -> list[str]:
    """Topological order in which the inputs of loop-closing delays do not count as dependencies."""
    sorter = graphlib.TopologicalSorter({node_id: set() for node_id in graph.nodes})
    for edge in graph.edges:
        if edge.source in graph.nodes and edge.target in graph.nodes and edge.target not in loop_delays:
            sorter.add(edge.target, edge.source)
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        problems.append(Problem("cycle", "these nodes form a loop without a delay: " + " → ".join(cycle) +
                                "; insert a Delay component to break it", cycle[0]))
        return list(graph.nodes)


def _resolve_units(graph, classes, params, wired, order, problems):
    outputs: dict[tuple[str, str], str] = {}
    inputs: dict[tuple[str, str], str] = {}
    fed = {(edge.target, edge.target_port) for edge in graph.edges}  # wired, known component or not
    # Feedback loops need a second pass: a delay's output unit follows its input, which comes later.
    for final in (False, True):
        for node_id in order:
            cls = classes.get(node_id)
            if cls is None or node_id not in params:
                continue
            classes[node_id] = _resolve_node(node_id, cls, params[node_id], wired, fed, outputs, inputs,
                                             problems if final else None)
    return outputs, inputs


def _resolve_node(node_id, cls, values, wired, fed, outputs, inputs, problems) -> type[Component]:
    """Units of the node's inputs and outputs; returns its class bound to the input units."""
    plain_first = sorted(cls.inputs, key=lambda p: p.unit.startswith("="))
    for port in plain_first:
        edge = wired.get((node_id, port.name))
        source_unit = outputs.get((edge.source, edge.source_port)) if edge else None
        target = _unit_of(port.unit, node_id, values, inputs, cls, source_unit)
        if target is None:
            continue
        inputs[(node_id, port.name)] = target
        if problems is not None and edge is not None and source_unit is not None:
            try:
                conversion(source_unit, target)
            except UnitError as exc:
                problems.append(Problem("unit_mismatch", f"{edge.source}.{edge.source_port} is wired in, but {exc}",
                                        node_id, port.name))
    bound = _bind_units(node_id, cls, values, fed, inputs, problems)
    # A node its wiring refuses gives no unit downstream: what follows is not judged by a guess.
    for port in bound.outputs if bound is not None else ():
        unit = _unit_of(port.unit, node_id, values, inputs, cls, None)
        if unit is not None:
            outputs[(node_id, port.name)] = unit
    if problems is not None:
        for name, unit in [(p.name, p.unit) for p in cls.params if p.type == "unit"]:
            try:
                parse(values.get(name, unit))
            except UnitError as exc:
                problems.append(Problem("bad_parameter", f"parameter '{name}': {exc}", node_id, name))
    return bound or cls


def _bind_units(node_id, cls, values, fed, inputs, problems) -> type[Component] | None:
    """The class bound to the units wired in (see :meth:`Component.with_input_units`); None when they do not fit.

    An input wired to a node whose unit is unknown (a missing component) has its own problem: then
    the binding's complaints would be knock-on errors and are not reported.
    """
    units = {p.name: inputs[(node_id, p.name)] for p in cls.inputs if (node_id, p.name) in inputs}
    try:
        return cls.with_input_units(values, units)
    except ParamError as exc:
        unknown = any((node_id, p.name) in fed and (node_id, p.name) not in inputs for p in cls.inputs)
        if problems is not None and not unknown:
            for name, reason in exc.problems.items():
                problems.append(Problem("bad_parameter", f"parameter '{name}' {reason}", node_id, name))
        return None


def _unit_of(spec, node_id, values, inputs, cls, source_unit):
    """Resolve a declared unit; None while what it depends on is not known yet."""
    ref = unit_source(spec)
    if spec == "*":
        return source_unit
    if spec.startswith("="):
        base = inputs.get((node_id, ref))
        return None if base is None else derived_unit(spec, base)
    if spec.startswith("@"):
        chosen = values.get(ref, "")
        if chosen:
            return chosen
        first = cls.inputs[0].name if cls.inputs else None
        if first is None:
            return ""
        return source_unit if cls.inputs[0].unit == spec else inputs.get((node_id, first))
    return spec
