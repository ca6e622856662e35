"""Validation of a graph with an unknown component: close matches offered, no knock-on problems."""

from __future__ import annotations

import pytest

from nodes.graph import Graph
from nodes.library import builtin_components
from nodes.registry import ComponentRegistry
from nodes.validation import validate


@pytest.fixture
def registry() -> ComponentRegistry:
    registry = ComponentRegistry()
    for cls in builtin_components():
        registry.register(cls)
    return registry


def _chain(middle: str) -> Graph:
    """input → a node of type ``middle`` → EWMA → output."""
    g = Graph()
    g.add_node("acc", "io.input", {"column": "a", "unit": "m/s^2"})
    g.add_node("band", middle, {})
    g.add_node("smooth", "signal.ewma", {})
    g.add_node("out", "io.output", {"column": "y"})
    g.connect("acc.y", "band.x")
    g.connect("band.y", "smooth.x")
    g.connect("smooth.y", "out.x")
    return g


def test_an_unknown_type_is_one_problem_with_close_matches(registry):
    problems = validate(_chain("signal.bandpas"), registry).problems
    assert [(p.code, p.node, p.port) for p in problems] == [("missing_component", "band", None)]
    assert problems[0].message == ("component type 'signal.bandpas' is not installed; did you mean 'signal.bandpass'? "
                                   "the node is kept as it is and saved unchanged")


def test_an_unknown_type_with_nothing_close_gets_no_guess(registry):
    problems = validate(_chain("vendor.gearbox_model"), registry).problems
    assert [p.code for p in problems] == ["missing_component"]
    assert problems[0].message == ("component type 'vendor.gearbox_model' is not installed; the node is kept as it "
                                   "is and saved unchanged")


def test_a_really_unconnected_input_is_still_reported_beside_an_unknown_node(registry):
    g = _chain("signal.bandpas")
    g.add_node("lonely", "signal.ewma", {})
    codes = {(p.code, p.node, p.port) for p in validate(g, registry).problems}
    assert codes == {("missing_component", "band", None), ("unconnected_input", "lonely", "x")}


def test_a_wire_to_a_node_that_does_not_exist_is_one_problem(registry):
    g = _chain("signal.bandpass")
    g.remove_node("band")
    data = g.to_json()
    data["edges"].append({"from": "ghost.y", "to": "smooth.x"})
    problems = validate(Graph.from_json(data), registry).problems
    assert [(p.code, p.node) for p in problems] == [("unknown_node", "ghost")]


@pytest.mark.parametrize(("typed", "offered"), [
    ("signal.bandpas", ["signal.bandpass"]),
    ("bandpass", ["signal.bandpass"]),  # group left out
    ("vibration.lowpass", ["signal.lowpass"]),  # wrong group
    ("signal.movingaverage", ["signal.moving_average"]),
    ("maintenance.rul", ["maintenance.rul_linear", "maintenance.rul_exponential"]),
    ("signal.nope", []),
])
def test_close_matches(registry, typed, offered):
    assert registry.close_matches(typed) == offered
