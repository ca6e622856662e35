"""Whether a wire may be drawn: the reasons the canvas shows when it refuses one."""

from __future__ import annotations

import pytest

from model_designer.wiring import connection_problem, conversion_label
from nodes.graph import Graph
from nodes.registry import default_registry


@pytest.fixture
def graph() -> Graph:
    graph = Graph()
    graph.add_node("temp", "io.input", {"unit": "degC", "column": "t"})
    graph.add_node("vel", "io.input", {"unit": "mm/s", "column": "v"})
    graph.add_node("fft", "vibration.fft_spectrum")
    graph.add_node("heat", "process.heat_duty")
    graph.add_node("zone", "vibration.iso_severity")
    graph.add_node("conv", "signal.unit_convert", {"to": "m/s"})
    graph.add_node("ewma", "signal.ewma")
    graph.add_node("ewma2", "signal.ewma")
    graph.add_node("delay", "signal.delay")
    return graph


def problem(graph: Graph, source: str, target: str) -> str | None:
    return connection_problem(graph, default_registry(), source, target)


def test_compatible_wire_is_accepted(graph):
    assert problem(graph, "vel.y", "zone.v") is None
    assert problem(graph, "temp.y", "heat.inlet") is None


def test_kinds_that_do_not_fit_are_refused(graph):
    graph.connect("vel.y", "fft.x")
    assert problem(graph, "fft.spectrum", "ewma.x") == "a spectrum cannot feed a signal input"


def test_units_of_another_dimension_are_refused(graph):
    assert problem(graph, "temp.y", "zone.v") == "°C cannot feed mm/s"
    assert problem(graph, "vel.y", "heat.inlet") == "mm/s cannot feed °C"


def test_direction_and_ports(graph):
    assert "both outputs" in problem(graph, "vel.y", "temp.y")
    assert "both inputs" in problem(graph, "zone.v", "heat.inlet")
    assert "from an output to an input" in problem(graph, "zone.v", "vel.y")
    assert problem(graph, "vel.nope", "zone.v") == "io.input has no port 'nope'"
    assert problem(graph, "ghost.y", "zone.v") == "there is no node 'ghost'"


def test_an_input_takes_one_wire(graph):
    graph.connect("vel.y", "zone.v")
    assert problem(graph, "temp.y", "zone.v") == "zone.v is already fed by vel.y; disconnect that wire first"
    assert problem(graph, "vel.y", "zone.v") == "vel.y is already connected to zone.v"


def test_a_loop_needs_a_delay(graph):
    graph.connect("ewma.y", "ewma2.x")
    reason = problem(graph, "ewma2.y", "ewma.x")
    assert reason is not None and "ewma → ewma2 → ewma" in reason and "Delay" in reason
    assert "loop" in problem(graph, "ewma.y", "ewma.x")
    graph.connect("ewma2.y", "delay.x")
    assert problem(graph, "delay.y", "ewma.x") is None


def test_conversion_label_names_both_units(graph):
    registry = default_registry()
    assert conversion_label(graph, registry, "vel.y", "conv.x") == "mm/s → m/s"
    assert conversion_label(graph, registry, "vel.y", "zone.v") is None
    assert conversion_label(graph, registry, "vel.y", "ewma.x") is None


def test_a_group_is_wired_through_its_exposed_ports_with_the_units_resolved_inside(graph):
    from qtpy.QtGui import QUndoStack

    from model_designer.composites import GroupNodes

    graph.connect("vel.y", "conv.x")
    graph.connect("conv.y", "ewma.x")
    QUndoStack().push(GroupNodes(graph, ["conv"]))  # group1: conv_x in, conv_y out (m/s)
    assert problem(graph, "vel.y", "group1.conv_x") == "vel.y is already connected to group1.conv_x"
    assert problem(graph, "group1.conv_y", "zone.v") is None
    assert problem(graph, "group1.conv_y", "heat.inlet") == "m/s cannot feed °C"
    assert problem(graph, "group1.conv_y", "group1.nope") == "composite has no port 'nope'"
    assert conversion_label(graph, default_registry(), "group1.conv_y", "zone.v") == "m/s → mm/s"
