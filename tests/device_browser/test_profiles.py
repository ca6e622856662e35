import json
from dataclasses import replace

import pytest
import yaml

from device_browser.profiles import ProfileError, load_profile, parse_profile, to_thing_description
from nodes.resources import resources_dir

PROFILES = sorted((resources_dir() / "profiles").glob("*.yaml"))

GOOD = """\
schema_version: 1
id: line3-pump
nameplate: {manufacturer: ACME, model: P-100}
connection: {protocol: modbus, host: 10.0.0.7, port: 502, unit_id: 3}
points:
  - name: flow
    data_type: float32
    unit: {code: MQH, symbol: m^3/h}
    range: [0, 300]
    address: {area: holding_register, address: 0, order: CDAB}
  - name: setpoint
    description: {en: Speed setpoint, zh: 转速设定}
    data_type: uint16
    access: rw
    write_limits: [300, 1500]
    address: {area: holding_register, address: 10}
"""


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_shipped_profiles_load_and_round_trip(path):
    profile = load_profile(path)
    again = parse_profile(profile.dumps(), "again")
    assert again.to_data() == profile.to_data()
    assert all(p.description.get("en") and p.description.get("zh") for p in profile.points)


def test_a_good_profile(tmp_path):
    profile = parse_profile(GOOD, "p.yaml")
    assert profile.protocol == "modbus" and profile.point("setpoint").writable
    assert profile.point("flow").unit == "m^3/h" and profile.point("flow").range == (0, 300)
    with pytest.raises(ProfileError, match=r"No data point 'speed' in profile 'line3-pump' \(points: flow, setpoint"):
        profile.point("speed")


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.replace("  - name: flow\n", "  - name: flow\n   bad: indent\n"),
     r"p.yaml \(line 7, column 4\): not valid YAML: "),
    (GOOD.replace("data_type: uint16", "data_type: uint17"),
     r"p.yaml \(line 13, column 16\): points.1.data_type: 'uint17' is not one of"),
    (GOOD.replace("address: {area: holding_register, address: 10}", "address: {register: 40011}"),
     r"p.yaml \(line 16, column 14\): points.1.address: an address needs either node_id \(OPC UA\) or area"),
    (GOOD.replace("port: 502", "port: 70000"), r"\(line 4, column 54\): connection.port: 70000 is greater than"),
    (GOOD.replace("protocol: modbus", "protocol: profibus"),
     r"\(line 4, column 13\): connection: the connection needs"),
    (GOOD.replace("name: setpoint", "name: flow"), r"\(line 11, column 11\): point 'flow': the name is used twice"),
    (GOOD.replace("    access: rw\n", ""), r"point 'setpoint': write_limits are given but access is 'r'"),
    (GOOD.replace("data_type: float32", "data_type: double"), r"data type 'double' does not exist in Modbus"),
    (GOOD.replace("range: [0, 300]", "range: [300, 0]"), r"range must be \[low, high\] \(found \[300, 0\]\)"),
    # An address of one kind with a mistake says the mistake, not that it is of neither kind.
    (GOOD.replace("order: CDAB", "order: ABDC"),
     r"^p.yaml \(line 10, column 58\): points.0.address.order: 'ABDC' is not a byte order; "
     r"use ABCD, CDAB, BADC or DCBA$"),
    (GOOD.replace("{area: holding_register, address: 10}", "{area: holding_registers, address: 10}"),
     r"^p.yaml \(line 16, column 21\): points.1.address.area: 'holding_registers' is not an area; use coil, "
     r"discrete_input, input_register or holding_register \(did you mean holding_register\?\)$"),
    (GOOD.replace("{area: holding_register, address: 10}", "{area: holding_register}"),
     r"^p.yaml \(line 16, column 14\): points.1.address: 'address' is a required property$"),
    (GOOD.replace("{area: holding_register, address: 10}", "{area: coil, address: 70000}"),
     r"\(line 16, column 36\): points.1.address.address: 70000 is greater than the maximum of 65535$"),
    (GOOD.replace("{area: holding_register, address: 10}", "{area: coil, address: 1, colour: red}"),
     r"\(line 16, column 14\): points.1.address: Additional properties are not allowed \('colour' was"),
    (GOOD.replace("{area: holding_register, address: 10}", "{area: coil, address: 1, node_id: 'i=85'}"),
     r"\(line 16, column 14\): points.1.address: an address has either node_id \(OPC UA\) or area and address"),
])
def test_problems_name_the_line_and_column(text, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(text, "p.yaml")


def test_problems_of_several_points_are_all_reported_in_file_order():
    text = GOOD.replace("order: CDAB", "order: ABDC").replace("data_type: uint16", "data_type: uint17")
    with pytest.raises(ProfileError) as caught:
        parse_profile(text.replace("port: 502", "port: 70000"), "p.yaml")
    lines = str(caught.value).splitlines()
    assert [line.split(": ")[1] for line in lines] == ["connection.port", "points.0.address.order",
                                                       "points.1.data_type"]


def test_point_lookup_follows_changes_of_the_list():
    profile = parse_profile(GOOD, "p.yaml")
    flow, setpoint = profile.points
    assert profile.point("setpoint") is setpoint
    profile.points.reverse()  # an index of positions must not hand out the wrong point
    assert profile.point("setpoint") is setpoint and profile.point("flow") is flow
    profile.points.append(renamed := replace(flow, name="flow2"))
    assert profile.point("flow2") is renamed
    profile.points.remove(setpoint)
    with pytest.raises(ProfileError, match="No data point 'setpoint'"):
        profile.point("setpoint")


def test_many_points_load_and_are_found_by_name():
    points = "".join(f"  - {{name: p{i}, data_type: double, address: {{node_id: 'nsu=urn:x;s=P{i}'}}}}\n"
                     for i in range(3000))
    text = ("schema_version: 1\nid: big\nnameplate: {manufacturer: ACME, model: M}\n"
            "connection: {protocol: opcua, endpoint: 'opc.tcp://h:4840'}\npoints:\n" + points)
    profile = parse_profile(text, "big.yaml")
    assert len(profile.points) == 3000
    assert profile.point("p2999").address == {"node_id": "nsu=urn:x;s=P2999"}
    # written a slice of points at a time, the same text as in one piece
    assert profile.dumps() == yaml.safe_dump(profile.to_data(), sort_keys=False, allow_unicode=True, width=120)
    assert parse_profile(profile.dumps(), "again").to_data() == profile.to_data()
    bad = text.replace("{name: p2500, data_type: double", "{name: p2500, data_type: doubel")
    with pytest.raises(ProfileError, match=r"^big.yaml \(line 2506, column 30\): points.2500.data_type: 'doubel'"):
        parse_profile(bad, "big.yaml")


def test_unreadable_file(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(b"\xff\xfe")
    with pytest.raises(ProfileError, match=r"bad\.yaml: cannot be read"):
        load_profile(tmp_path / "bad.yaml")


def test_thing_description_export():
    td = to_thing_description(parse_profile(GOOD))
    assert td["@context"][0] == "https://www.w3.org/2022/wot/td/v1.1" and td["id"] == "urn:millwright:device:line3-pump"
    assert td["base"] == "modbus+tcp://10.0.0.7:502/3/"
    flow = td["properties"]["flow"]
    assert flow["readOnly"] and flow["unit"] == "m^3/h" and (flow["minimum"], flow["maximum"]) == (0, 300)
    assert flow["forms"] == [{"href": "0", "op": ["readproperty"], "modv:entity": "HoldingRegister",
                              "modv:type": "xsd:float32"}]
    assert td["properties"]["setpoint"]["forms"][0]["op"] == ["readproperty", "writeproperty"]
    json.dumps(td)  # plain JSON
    opcua = to_thing_description(load_profile(resources_dir() / "profiles" / "pump_station_opcua.yaml"))
    assert opcua["properties"]["flow"]["forms"][0]["href"] == "?id=nsu=urn:millwright:pumpstation;s=PumpStation.Flow"
