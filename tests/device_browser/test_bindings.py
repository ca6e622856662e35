"""A project's bindings file as a model (edits written whole, comments at the top kept, hand edits
followed) and the check of bindings against typed inputs (units converted or refused with a reason)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from device_browser.bindings import BindingCheck, ProjectBindings, check_bindings, new_name
from device_browser.tags import BindingError, TagRef, load_bindings
from nodes.resources import example_project

FLOW = TagRef("pump", point="flow", unit="m^3/h")
PRESSURE = TagRef("plc1", address="nsu=urn:x;s=Pump.Pressure", data_type="double", unit="bar")


def test_an_edit_writes_the_whole_file_and_announces_itself(tmp_path):
    path = tmp_path / "bindings.yaml"
    bindings = ProjectBindings(path)
    assert len(bindings) == 0 and not path.exists() and bindings.problem is None
    announced = []
    bindings.changed.connect(lambda: announced.append(bindings.as_dict()))
    bindings.update({"flow": FLOW, "pressure": PRESSURE})
    assert load_bindings(path) == {"flow": FLOW, "pressure": PRESSURE}
    assert path.read_text(encoding="utf-8").startswith("# Graph inputs bound to device tags")
    bindings.bind("flow", FLOW)  # no change: no write, no event
    bindings.unbind("pressure")
    assert load_bindings(path) == {"flow": FLOW}
    assert announced == [{"flow": FLOW, "pressure": PRESSURE}, {"flow": FLOW}]
    assert list(bindings) == ["flow"] and "flow" in bindings and bindings.get("pressure") is None


def test_the_comments_at_the_top_are_kept(tmp_path):
    path = tmp_path / "bindings.yaml"
    original = (example_project() / "bindings.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    ProjectBindings(path).bind("pressure", PRESSURE)
    text = path.read_text(encoding="utf-8")
    header = "".join(line for line in original.splitlines(keepends=True) if line.startswith("#"))
    assert header.count("\n") == 2 and text.startswith(header + "schema_version: 1\n")
    assert load_bindings(path)["pressure"] == PRESSURE and len(load_bindings(path)) == 4


def test_one_model_per_file_that_follows_hand_edits(tmp_path):
    path = tmp_path / "bindings.yaml"
    bindings = ProjectBindings.at(path)
    assert ProjectBindings.at(tmp_path / "." / "bindings.yaml") is bindings
    bindings.bind("flow", FLOW)
    text = path.read_text(encoding="utf-8").replace("point: flow", "point: flow_2")
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a hand edit within the same clock tick still shows
    announced = []
    bindings.changed.connect(lambda: announced.append(1))
    assert bindings.refresh() and announced == [1]
    assert bindings.get("flow").point == "flow_2"
    assert not bindings.refresh()


def test_a_broken_file_is_reported_and_never_overwritten(tmp_path):
    path = tmp_path / "bindings.yaml"
    path.write_text("schema_version: 1\nbindings:\n  flow:\n    device: pump\n", encoding="utf-8")
    bindings = ProjectBindings(path)
    assert len(bindings) == 0 and "line 4" in bindings.problem
    with pytest.raises(BindingError, match="cannot be changed until it is fixed"):
        bindings.bind("flow", FLOW)
    assert path.read_text(encoding="utf-8").endswith("device: pump\n")


def test_a_name_that_cannot_name_a_binding_is_refused(tmp_path):
    with pytest.raises(BindingError, match="'pump/flow' cannot name a binding"):
        ProjectBindings(tmp_path / "bindings.yaml").bind("pump/flow", FLOW)
    assert not (tmp_path / "bindings.yaml").exists()


def test_new_names_come_from_the_point_then_the_device():
    assert new_name(FLOW, []) == "flow"
    assert new_name(FLOW, ["flow"]) == "pump_flow"
    assert new_name(FLOW, ["flow", "pump_flow"]) == "flow2"
    assert new_name(PRESSURE, []) == "Pump.Pressure"
    assert new_name(TagRef("pump-station", address="40001"), ["tag_40001"]) == "pump_station_40001"


def test_a_tag_converts_into_its_input_unit():
    check = check_bindings({"pressure": "kPa", "temperature": "K", "flow": "m^3/h", "level": "m"},
                           {"pressure": PRESSURE, "temperature": TagRef("pump", point="t", unit="degC"),
                            "flow": TagRef("pump", point="flow"), "spare": FLOW})
    assert check.unbound == ("level",) and check.unused == ("spare",) and not check.problems and not check.ok
    np.testing.assert_allclose(check.conversions["pressure"](np.array([1.0, 2.5])), [100.0, 250.0])
    np.testing.assert_allclose(check.conversions["temperature"](np.array([0.0, 100.0])), [273.15, 373.15])
    assert check.conversions["flow"].identity  # a tag of unknown unit: its values are taken as they come
    assert "bind the input(s) level to device tags" in check.message()


def test_a_tag_whose_unit_cannot_feed_its_input_is_refused_with_the_reason():
    check = check_bindings({"temperature": "degC"}, {"temperature": PRESSURE})
    assert not check.ok and check.conversions == {}
    assert check.problems == ("input 'temperature' cannot read plc1@nsu=urn:x;s=Pump.Pressure: 'bar' cannot be "
                              "converted to 'degC' (a pressure is not a temperature)",)
    assert check.message() == check.problems[0]
    assert BindingCheck({}).ok and BindingCheck({}).message() == ""
