"""Composites: a sub-graph published as one component with its own ports.

A composite is either embedded (a node of type ``composite`` carrying its ``graph``) or
published as a component type (:func:`composite_component`), e.g. from a project's
``components/`` folder. Before validation and execution the engine inlines every composite
(:func:`flatten`): inner nodes get ids ``outer/inner`` so problems and timings still say where
they come from.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from nodes.component import Component, ParamError, Port, Text, unit_source
from nodes.graph import Edge, ExposedPort, Graph, GraphFormatError, Node
from nodes.registry import ComponentRegistry

COMPOSITE_TYPE = "composite"


class CompositeComponent(Component):
    """A component defined by a graph; it is inlined before it runs and never processes itself."""

    graph: ClassVar[Graph]

    def process(self, inputs, state):
        raise RuntimeError("composites are inlined by the engine")


def composite_component(graph: Graph, type_name: str, registry: ComponentRegistry,
                        title: Text | None = None, category: str = "composite") -> type[CompositeComponent]:
    """Publish ``graph`` (with exposed ports) as a component type.

    Its description (the palette's summary) is the graph's ``description``. A port's unit is the
    inner port's; a unit set by an inner parameter (``@to``) is that parameter's value. An output
    whose inner unit follows an inner input is declared as following the first exposed input, and
    such an input takes any unit: the engine resolves the real units on the inlined graph.
    """
    def port(exposed: ExposedPort, outputs: bool) -> Port:
        inner = graph.nodes.get(exposed.node)
        cls = _class_of(inner, registry) if inner else None
        declared = next((p for p in (cls.outputs if outputs else cls.inputs) if p.name == exposed.port), None) \
            if cls else None
        if declared is None:
            raise GraphFormatError(f"composite '{type_name}': exposed port '{exposed.name}' refers to "
                                   f"{exposed.node}.{exposed.port}, which does not exist")
        unit = _fixed_unit(declared.unit, cls, inner.params)
        if unit.startswith(("=", "@")) or (outputs and unit == "*"):
            unit = ("=" + graph.exposed_inputs[0].name if graph.exposed_inputs else "") if outputs else "*"
        return Port(exposed.name, declared.kind, unit, Text(exposed.name), declared.description, declared.required)

    summary = graph.description.strip() or f"{graph.name or type_name}."
    doc = f"{summary}\n\nA composite of {len(graph.nodes)} components, inlined before it runs.\n\n" \
          "References\n----------\nThe graph it is made of."
    return type(type_name.replace(".", "_"), (CompositeComponent,), {
        "__doc__": doc, "type_name": type_name, "category": category,
        "title": title or Text(graph.name or type_name),
        "inputs": tuple(port(p, False) for p in graph.exposed_inputs),
        "outputs": tuple(port(p, True) for p in graph.exposed_outputs),
        "graph": graph})


def _class_of(node: Node, registry: ComponentRegistry) -> type[Component] | None:
    """A node's component class; an embedded composite's is made from its own exposed ports."""
    if node.type == COMPOSITE_TYPE:
        try:
            return composite_component(node.graph or Graph(), COMPOSITE_TYPE, registry)
        except GraphFormatError:
            return None
    return registry.get(node.type)


def _fixed_unit(unit: str, cls: type[Component], params: dict) -> str:
    """``unit``, or the value of the parameter it names (``@to`` → ``mm/s``) when that can be known."""
    if not unit.startswith("@"):
        return unit
    try:
        value = cls.resolve_params(params).get(unit_source(unit))
    except ParamError:
        return unit
    return value if isinstance(value, str) else unit


def flatten(graph: Graph, registry: ComponentRegistry) -> Graph:
    """A copy of ``graph`` with every composite (embedded or published) inlined, recursively."""
    flat = Graph(graph.name, graph.description)
    rename: dict[tuple[str, str, bool], tuple[str, str]] = {}  # (node, port, is_output) -> inner
    for node in graph.nodes.values():
        inner = _inner_graph(node, registry)
        if inner is None:
            # A copy: parameter overrides at compile time must not change the caller's graph.
            flat.nodes[node.id] = replace(node, params=dict(node.params))
            continue
        inner = flatten(inner, registry)
        for inner_node in inner.nodes.values():
            flat.nodes[f"{node.id}/{inner_node.id}"] = _renamed(inner_node, f"{node.id}/{inner_node.id}")
        for edge in inner.edges:
            flat.edges.append(Edge(f"{node.id}/{edge.source}", edge.source_port, f"{node.id}/{edge.target}",
                                   edge.target_port))
        for exposed in inner.exposed_inputs:
            rename[(node.id, exposed.name, False)] = (f"{node.id}/{exposed.node}", exposed.port)
        for exposed in inner.exposed_outputs:
            rename[(node.id, exposed.name, True)] = (f"{node.id}/{exposed.node}", exposed.port)
    for edge in graph.edges:
        source = rename.get((edge.source, edge.source_port, True), (edge.source, edge.source_port))
        target = rename.get((edge.target, edge.target_port, False), (edge.target, edge.target_port))
        flat.edges.append(Edge(*source, *target))
    flat.exposed_inputs = [ExposedPort(p.name, *rename.get((p.node, p.port, False), (p.node, p.port)))
                           for p in graph.exposed_inputs]
    flat.exposed_outputs = [ExposedPort(p.name, *rename.get((p.node, p.port, True), (p.node, p.port)))
                            for p in graph.exposed_outputs]
    return flat


def _inner_graph(node, registry: ComponentRegistry) -> Graph | None:
    if node.type == COMPOSITE_TYPE:
        return node.graph or Graph()
    cls = registry.get(node.type)
    return cls.graph if cls is not None and issubclass(cls, CompositeComponent) else None


def _renamed(node, new_id: str):
    return replace(node, id=new_id, params=dict(node.params))

