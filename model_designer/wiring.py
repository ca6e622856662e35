"""Whether a wire may be drawn, and why not, in words a plant engineer understands (no Qt).

The canvas asks :func:`connection_problem` for every port while a wire is dragged, so the
checks take a :class:`~nodes.validation.Resolution` computed once per drag instead of
validating the graph again for each port.

Groups (embedded composites, type ``composite``) are not in the registry: :func:`node_class`
makes their class from their exposed ports, and :func:`resolve` validates with every composite
inlined, then gives each group's exposed ports the units resolved inside it.
"""

from __future__ import annotations

from nodes.component import Component, Kind, ParamError, Port, Text, kinds_compatible
from nodes.composite import COMPOSITE_TYPE, CompositeComponent, composite_component, flatten
from nodes.graph import Graph, GraphFormatError, Node
from nodes.registry import ComponentRegistry
from nodes.units import UnitError, conversion, parse
from nodes.validation import Problem, Resolution, validate

GROUP_TITLE = Text("Group", "分组")

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


def node_class(graph: Graph, node_id: str, registry: ComponentRegistry) -> type[Component] | None:
    """The component class of ``node_id``: from the registry, or made from a group's exposed ports.

    None for a missing component, and for a group whose exposed ports name no inner port (nor
    a nested group's, which :func:`~nodes.composite.composite_component` cannot look up).
    """
    node = graph.nodes.get(node_id)
    if node is None:
        return None
    if node.type != COMPOSITE_TYPE:
        return registry.get(node.type)
    try:
        return composite_component(node.graph or Graph(), COMPOSITE_TYPE, registry, GROUP_TITLE)
    except GraphFormatError:
        return None


def resolve(graph: Graph, registry: ComponentRegistry) -> Resolution:
    """``validate(graph, registry)`` with composites inlined, told in the ids of ``graph``.

    A group's exposed ports get the units of the inner ports they stand for; a problem inside
    group ``g`` (engine id ``g/inner``) is placed on ``g``, its message naming the inner node.
    """
    inner = {n.id: g for n in graph.nodes.values() if (g := _inner_graph(n, registry)) is not None}
    if not inner:
        return validate(graph, registry)
    flat = validate(flatten(graph, registry), registry)
    classes = {n: c for n, c in flat.classes.items() if "/" not in n}
    params = {n: p for n, p in flat.params.items() if "/" not in n}
    output_units = {k: u for k, u in flat.output_units.items() if "/" not in k[0]}
    input_units = {k: u for k, u in flat.input_units.items() if "/" not in k[0]}
    for node_id, inside in inner.items():
        classes[node_id] = node_class(graph, node_id, registry) or classes.get(node_id)
        params.setdefault(node_id, {})
        for ports, units, output in ((inside.exposed_outputs, output_units, True),
                                     (inside.exposed_inputs, input_units, False)):
            found = flat.output_units if output else flat.input_units
            for exposed in ports:
                unit = found.get(_flat_port(graph, node_id, exposed.name, output, registry))
                if unit is not None:
                    units[(node_id, exposed.name)] = unit
    order = list(dict.fromkeys(n.partition("/")[0] for n in flat.order))
    classes = {n: c for n, c in classes.items() if c is not None}
    return Resolution(classes, params, output_units, input_units, order, [_placed(p) for p in flat.problems],
                      {n for n in flat.loop_delays if "/" not in n})


def _inner_graph(node: Node, registry: ComponentRegistry) -> Graph | None:
    """The graph inside an embedded group or a published composite; None for a plain node."""
    if node.type == COMPOSITE_TYPE:
        return node.graph or Graph()
    cls = registry.get(node.type)
    return cls.graph if cls is not None and issubclass(cls, CompositeComponent) else None


def _flat_port(graph: Graph, node_id: str, port: str, output: bool,
               registry: ComponentRegistry) -> tuple[str, str]:
    """Where port ``node_id.port`` is in the flattened graph (as :func:`~nodes.composite.flatten` names it)."""
    inside = _inner_graph(graph.nodes[node_id], registry) if node_id in graph.nodes else None
    exposed = next((p for p in (inside.exposed_outputs if output else inside.exposed_inputs) if p.name == port),
                   None) if inside is not None else None
    if exposed is None:
        return node_id, port
    inner_id, inner_port = _flat_port(inside, exposed.node, exposed.port, output, registry)
    return f"{node_id}/{inner_id}", inner_port


def _placed(problem: Problem) -> Problem:
    """A problem of an inner node (``g/inner``) placed on its group ``g``, the message saying where."""
    outer, _, inner = (problem.node or "").partition("/")
    if not inner:
        return problem
    where = f"{inner}.{problem.port}" if problem.port else inner
    return Problem(problem.code, f"{where}: {problem.message}", outer, None, problem.severity)


def connection_problem(graph: Graph, registry: ComponentRegistry, source: str, target: str,
                       resolution: Resolution | None = None) -> str | None:
    """Why ``source`` (``"node.output"``) cannot feed ``target`` (``"node.input"``), or None if it can.

    ``resolution`` is :func:`resolve` of the graph as it is, passed in by callers that
    ask about many ports at once.
    """
    (src, src_port_name), (dst, dst_port_name) = split_ref(source), split_ref(target)
    classes = {}
    for node_id in (src, dst):
        if node_id not in graph.nodes:
            return f"there is no node '{node_id}'"
        classes[node_id] = node_class(graph, node_id, registry)
        if classes[node_id] is None:
            return f"the component '{graph.nodes[node_id].type}' of {node_id} is not installed"
    src_cls, dst_cls = classes[src], classes[dst]
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
    resolution = resolution or resolve(graph, registry)
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
    dst_cls = node_class(graph, dst, registry)
    dst_port = _port(dst_cls, dst_port_name, False) if dst_cls else None
    if dst_port is None or src not in graph.nodes:
        return None
    units = _units(resolution or resolve(graph, registry), dst_port, source, target)
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
        cls = node_class(graph, node_id, registry)
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
