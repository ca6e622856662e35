"""Graph inputs and the project's bindings: names for dropped tags, renames, units from the devices."""

from __future__ import annotations

from types import SimpleNamespace

from psygnal import Signal

from device_browser.bindings import ProjectBindings
from device_browser.tags import TagRef, load_bindings
from model_designer.input_bindings import InputBindings, TagInput, bindings_path, bound_inputs, tag_inputs
from nodes.graph import Graph

FLOW = TagRef("pump", point="flow", unit="m^3/h")


class Devices:
    """What InputBindings asks of a DeviceWorkspace: its entries and the unit of a tag."""

    devices_changed = Signal()

    def __init__(self, units: dict[str, str]):
        self.units = units
        self.entries = [SimpleNamespace(id="pump")]

    def unit_of(self, ref: TagRef) -> str:
        return ref.unit or self.units.get(str(ref), "")


def inputs_of(tmp_path, bindings: dict[str, TagRef] | None = None, devices=None) -> InputBindings:
    project = ProjectBindings(tmp_path / "bindings.yaml")
    if bindings:
        project.update(bindings)
    return InputBindings(project, devices)


def test_a_dropped_tag_is_named_after_its_point_unless_that_names_another_tag(tmp_path):
    graph = Graph("g")
    inputs = inputs_of(tmp_path, {"flow": TagRef("pump2", point="flow")})
    speed = TagRef("pump", address="nsu=urn:x;s=Pump.Speed")
    assert tag_inputs(graph, [FLOW, speed, FLOW], inputs) == [TagInput(FLOW, "pump_flow"),
                                                              TagInput(speed, "Pump.Speed")]
    assert tag_inputs(graph, [FLOW], None) == [TagInput(FLOW, "flow")]  # no project: only the graph counts


def test_a_tag_bound_already_keeps_its_name_and_an_input_reading_it_is_found(tmp_path):
    graph = Graph("g")
    graph.add_node("f1", "io.input", {"column": "q", "unit": "m^3/h"})
    graph.add_node("p", "io.input", {"column": "pressure"})
    pressure = TagRef("pump", point="discharge_pressure", unit="bar")
    inputs = inputs_of(tmp_path, {"q": FLOW, "p_in": pressure})
    assert tag_inputs(graph, [TagRef("pump", point="flow"), pressure], inputs) == [
        TagInput(FLOW, "q", existing="f1"), TagInput(pressure, "p_in")]


def test_a_tag_without_a_unit_takes_its_profile_points(tmp_path):
    inputs = inputs_of(tmp_path, devices=Devices({"pump/flow": "m^3/h"}))
    assert tag_inputs(Graph("g"), [TagRef("pump", point="flow")], inputs) == [TagInput(FLOW, "flow")]
    assert inputs.has_device("pump") and inputs.has_device("plc9") is False
    assert inputs_of(tmp_path).has_device("pump") is None  # devices not known here


def test_a_renamed_input_keeps_its_tag_and_the_old_name_stays_bound(tmp_path):
    inputs = inputs_of(tmp_path, {"flow": FLOW, "taken": TagRef("pump", point="speed")})
    inputs.follow_rename("flow", "inflow")
    inputs.follow_rename("flow", "taken")  # a name bound already keeps its own tag
    assert load_bindings(tmp_path / "bindings.yaml") == {"flow": FLOW, "inflow": FLOW,
                                                         "taken": TagRef("pump", point="speed")}


def test_an_input_is_bound_by_its_column_or_else_by_its_id(tmp_path):
    graph = Graph("g")
    node = graph.add_node("f1", "io.input", {"column": "flow"})
    inputs = inputs_of(tmp_path, {"f1": FLOW})
    assert inputs.tag_of(node) == ("f1", FLOW)
    inputs.bind(node, TagRef("pump", point="flow_2", unit="bar"))
    assert inputs.tag_of(node) == ("flow", TagRef("pump", point="flow_2", unit="bar"))
    assert "cannot read pump/flow_2: 'bar' cannot be converted to a dimensionless value" in inputs.problem(node)
    inputs.clear(node)
    assert inputs.tag_of(node) == ("f1", FLOW)
    assert bound_inputs({"flow": "f1", "other": "o"}, inputs.bindings.as_dict()) == {"flow": FLOW}
    assert bindings_path(tmp_path / "graphs" / "g.json") == tmp_path / "bindings.yaml"
