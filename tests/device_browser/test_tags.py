"""Tag references and bindings files: round trips and located problems."""

import pytest

from device_browser.tags import BindingError, TagRef, dump_bindings, load_bindings, parse_bindings


def test_tag_ref_text_forms_round_trip():
    for text in ("pump_station/flow", "plc1@40001:float32:CDAB", "ua1@nsu=urn:plant/a;s=Pump/Speed"):
        assert str(TagRef.parse(text)) == text
    ref = TagRef.parse("ua1@nsu=urn:plant/a;s=Pump/Speed")
    assert (ref.device, ref.address, ref.tag) == ("ua1", "nsu=urn:plant/a;s=Pump/Speed", ref.address)
    assert TagRef.parse("pump/flow").tag == "flow"


@pytest.mark.parametrize("text", ["flow", "/flow", "pump/", "@40001", "plc@"])
def test_tag_ref_refuses_half_references(text):
    with pytest.raises(BindingError, match="device/point"):
        TagRef.parse(text)


def test_bindings_round_trip(tmp_path):
    bindings = {"flow": TagRef("pump_station", point="flow", unit="m^3/h"),
                "pressure": TagRef("plc1", address="nsu=urn:x;s=P", data_type="double", unit="bar")}
    path = tmp_path / "bindings.yaml"
    path.write_text(dump_bindings(bindings))
    assert load_bindings(path) == bindings
    assert path.read_text().index("flow:") < path.read_text().index("pressure:")  # sorted: diffs well


def test_bindings_problems_name_line_and_column(tmp_path):
    text = "schema_version: 1\nbindings:\n  flow:\n    device: pump\n    point: flow\n    address: '40001'\n"
    with pytest.raises(BindingError, match=r"line 4, column 5\): bindings.flow"):
        parse_bindings(text, "b.yaml")
    with pytest.raises(BindingError, match=r"b.yaml \(line 3, column 3\): not valid YAML"):
        parse_bindings("bindings:\n- a\n b: c", "b.yaml")
