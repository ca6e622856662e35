"""Whether a wire may be drawn, and why not, in words a plant engineer understands (no Qt).

The canvas asks :func:`connection_problem` for every port while a wire is dragged, so the
checks take a :class:`~nodes.validation.Resolution` computed once per drag instead of
validating the graph again for each port.
"""

from __future__ import annotations

from nodes.component import Component, Kind, ParamError, Port, kinds_compatible
from nodes.graph import Graph
from nodes.registry import ComponentRegistry
from nodes.units import UnitError, conversion, parse
from nodes.validation import Resolution, validate

# How a kind is named as a thing ("a spectrum") and as the kind of an input ("a signal input").
_KIND_NOUN = {Kind.SIGNAL: "a signal", Kind.BOOLEAN: "a boolean signal", Kind.SCALAR: "a scalar",
              Kind.SPECTRUM: "a spectrum", Kind.TABLE: "a table", Kind.EVENTS: "events"}
_KIND_INPUT = {Kind.SIGNAL: "a signal input", Kind.BOOLEAN: "a boolean input", Kind.SCALAR: "a scalar input",
               Kind.SPECTRUM: "a spectrum input", Kind.TABLE: "a table input", Kind.EVENTS: "an events input"}


def split_ref(ref: str) -> tuple[str, str]:
    """``"node.port"`` as ``(node, port)``; node ids may not contain dots, so the last dot splits."""
    node, _, port = ref.rpartition(".")
    return node, port


def unit_symbol(unit: str) -> str:
    """A unit as engineers write it: ``degC`` → ``°C``, ``m/s^2`` → ``m/s²``; empty for dimensionless."""
    try:
        return f"{parse(unit):~P}" or "1"
    except UnitError:
        return unit


def connection_problem(graph: Graph, registry: ComponentRegistry, source: str, target: str,
                       resolution: Resolution | None = None) -> str | None:
    """Why ``source`` (``"node.output"``) cannot feed ``target`` (``"node.input"``), or None if it can.

    ``resolution`` is ``validate(graph, registry)`` of the graph as it is, passed in by callers that
    ask about many ports at once.
    """
    (src, src_port_name), (dst, dst_port_name) = split_ref(source), split_ref(target)
    for node_id in (src, dst):
        if node_id not in graph.nodes:
            return f"there is no node '{node_id}'"
        if registry.get(graph.nodes[node_id].type) is None:
            return f"the component '{graph.nodes[node_id].type}' of {node_id} is not installed"
    src_cls, dst_cls = registry.get(graph.nodes[src].type), registry.get(graph.nodes[dst].type)
    reason = _direction_problem(src_cls, src_port_name, dst_cls, dst_port_name, source, target)
    if reason:
        return reason
    for edge in graph.edges:
        if (edge.target, edge.target_port) == (dst, dst_port_name):
            if (edge.source, edge.source_port) == (src, src_port_name):
                return f"{source} is already connected to {target}"
            return f"{target} is already fed by {edge.source}.{edge.source_port}; disconnect that wire first"
    src_port, dst_port = _port(src_cls, src_port_name, True), _port(dst_cls, dst_port_name, False)
    src_kind = src_cls.port_kind(src_port, _params(graph, src, src_cls))
    dst_kind = dst_cls.port_kind(dst_port, _params(graph, dst, dst_cls))
    if not kinds_compatible(src_kind, dst_kind):
        return f"{_KIND_NOUN[src_kind]} cannot feed {_KIND_INPUT[dst_kind]}"
    resolution = resolution or validate(graph, registry)
    units = _units(resolution, dst_port, source, target)
    if units is not None:
        try:
            conversion(*units)
        except UnitError:
            return f"{unit_symbol(units[0])} cannot feed {unit_symbol(units[1])}"
    return _cycle_problem(graph, registry, src, dst)


def conversion_label(graph: Graph, registry: ComponentRegistry, source: str, target: str,
                     resolution: Resolution | None = None) -> str | None:
    """``"mm/s → m/s"`` for a wire whose units differ but convert; None when nothing is converted."""
    (src, _), (dst, dst_port_name) = split_ref(source), split_ref(target)
    dst_node = graph.nodes.get(dst)
    dst_cls = registry.get(dst_node.type) if dst_node else None
    dst_port = _port(dst_cls, dst_port_name, False) if dst_cls else None
    if dst_port is None or src not in graph.nodes:
        return None
    units = _units(resolution or validate(graph, registry), dst_port, source, target)
    if units is None:
        return None
    try:
        if conversion(*units).identity:
            return None
    except UnitError:
        return None
    return f"{unit_symbol(units[0])} → {unit_symbol(units[1])}"


def _direction_problem(src_cls: type[Component], src_port: str, dst_cls: type[Component], dst_port: str,
                       source: str, target: str) -> str | None:
    src_is_output, dst_is_input = _port(src_cls, src_port, True), _port(dst_cls, dst_port, False)
    if src_is_output and dst_is_input:
        return None
    if not src_is_output and not _port(src_cls, src_port, False):
        return f"{src_cls.type_name} has no port '{src_port}'"
    if not dst_is_input and not _port(dst_cls, dst_port, True):
        return f"{dst_cls.type_name} has no port '{dst_port}'"
    if src_is_output:
        return f"{source} and {target} are both outputs: an output can only feed an input"
    if dst_is_input:
        return f"{source} and {target} are both inputs: an input is fed by an output"
    return f"{source} is an input and {target} an output: a wire runs from an output to an input"


def _port(cls: type[Component], name: str, outputs: bool) -> Port | None:
    return next((p for p in (cls.outputs if outputs else cls.inputs) if p.name == name), None)


def _params(graph: Graph, node_id: str, cls: type[Component]) -> dict:
    try:
        return cls.resolve_params(graph.nodes[node_id].params)
    except ParamError:
        return graph.nodes[node_id].params  # the node shows its own problem; judge the wire on what is there


def _units(resolution: Resolution, dst_port: Port, source: str, target: str) -> tuple[str, str] | None:
    """(unit given, unit wanted) when both are known; an input of any unit (``*``) wants none."""
    given = resolution.output_units.get(split_ref(source))
    wanted = None if dst_port.unit == "*" else resolution.input_units.get(split_ref(target))
    if wanted is None and dst_port.unit[:1] not in ("", "=", "@", "*"):
        wanted = dst_port.unit
    if given is None or wanted is None:
        return None
    return given, wanted


def _cycle_problem(graph: Graph, registry: ComponentRegistry, src: str, dst: str) -> str | None:
    """A wire src → dst closes a loop when src is reachable from dst; a delay on the loop breaks it.

    Like validation, a delay's inputs do not count as dependencies: the delay answers from its state.
    """
    def is_delay(node_id: str) -> bool:
        cls = registry.get(graph.nodes[node_id].type)
        return bool(cls and cls.feedback)

    if is_delay(dst):
        return None
    successors: dict[str, list[str]] = {}
    for edge in graph.edges:
        if not is_delay(edge.target):
            successors.setdefault(edge.source, []).append(edge.target)
    came_from: dict[str, str] = {dst: dst}
    stack = [dst]
    while stack:
        node = stack.pop()
        if node == src:
            path = [src]
            while path[-1] != dst:
                path.append(came_from[path[-1]])
            loop = " → ".join([*reversed(path), dst])
            return f"this wire would close a loop without a delay ({loop}); insert a Delay component to break it"
        for after in successors.get(node, ()):
            if after not in came_from:
                came_from[after] = node
                stack.append(after)
    return None
