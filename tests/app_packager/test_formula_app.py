"""An app whose graph holds a formula node: it builds, and a formula the wiring refuses blocks the build by name."""

from __future__ import annotations

import pytest

from app_packager.build import BuildError, build_app
from nodes.graph import load_graph
from tests.app_packager.test_build import APP, ARCHIVE, copy_example

HYDRAULIC = "flow * head * 998.2[kg/m^3] * 9.80665[m/s^2]"


def with_formula(project, expression: str) -> None:
    """The example's pump-efficiency graph with a formula over its flow and head (kW, nothing downstream)."""
    path = project / "graphs" / "pump_efficiency.json"
    graph = load_graph(path)
    graph.add_node("hydraulic", "signal.formula", {"expression": expression, "names": "flow, head",
                                                   "output_unit": "kW"})
    graph.connect("flow.y", "hydraulic.x1")
    graph.connect("head.y", "hydraulic.x2")
    path.write_text(graph.to_text(), encoding="utf-8")


@pytest.fixture
def project(tmp_path):
    return copy_example(tmp_path / "pump_station")


def test_an_app_with_a_formula_builds(project):
    with_formula(project, HYDRAULIC)
    build_app(project)
    assert (project / "build" / ARCHIVE).is_file()


def test_a_formula_the_units_refuse_blocks_the_build_naming_the_node(project):
    with_formula(project, "flow * head * 9.81")
    with pytest.raises(BuildError) as caught:
        build_app(project)
    message = str(caught.value)
    assert message.startswith(f"Cannot build {APP} (1 problem(s)):")
    assert "graphs/pump_efficiency.json: error: hydraulic.expression: parameter 'expression' does not fit its " \
           "inputs: the formula gives m⁴/h, which cannot be shown in kW" in message
    assert not (project / "build").exists() or not list((project / "build").iterdir())


def test_an_unsafe_formula_blocks_the_build_naming_the_node_and_token(project):
    with_formula(project, "flow.__class__")
    with pytest.raises(BuildError, match=r"hydraulic\.expression: parameter 'expression' cannot be used: "
                                         r"'__class__' at column 6 is not allowed"):
        build_app(project)
