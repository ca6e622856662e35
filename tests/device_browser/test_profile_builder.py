"""Profiles from browsed tags: names valid and unique, addresses portable, the schema satisfied,
and (against the OPC UA simulator in its own process) every point reads GOOD."""

from __future__ import annotations

import asyncio

import pytest

from device_browser.connect import open_session, register_map
from device_browser.modbus.addresses import parse_address
from device_browser.opcua.client import OpcUaSession
from device_browser.profile_builder import (
    check_profile_id,
    merge_points,
    point_name,
    profile_from_browse,
    profile_from_registers,
    unique_name,
)
from device_browser.profiles import load_profile, parse_profile
from device_browser.session import GOOD, BrowseItem, DeviceError
from nodes.resources import resources_dir
from tests.simulator_process import SimulatorProcess

STATION = "nsu=urn:millwright:pumpstation;s=PumpStation"


@pytest.fixture(scope="module")
def opcua(tmp_path_factory):
    from device_browser.simulators.opcua.simulation import free_port

    simulator = SimulatorProcess("opcua", free_port("127.0.0.1"), tmp_path_factory.mktemp("sim"))
    simulator.start()
    yield simulator
    simulator.stop()


async def _browsed(url: str):
    async with OpcUaSession(url) as session:
        items = [item for item in await session.browse(STATION) if item.node_class == "Variable"]
        facts = await session.node_facts([item.tag for item in items], properties=True)
        return items, facts


def _round_trip(profile):
    again = parse_profile(profile.dumps())
    assert again.points == profile.points and again.connection == profile.connection
    return again


def test_browsed_variables_become_a_profile_that_reads_good(opcua, tmp_path):
    items, facts = asyncio.run(_browsed(opcua.url))
    connection = {"protocol": "opcua", "endpoint": opcua.url, "security_policy": "None", "security_mode": "None"}
    profile = profile_from_browse("station", connection, items, facts, title="Pump station")
    _round_trip(profile)
    points = {p.name: p for p in profile.points}
    assert {"flow", "discharge_pressure", "speed_setpoint", "fault_active", "run_hours", "mode"} <= set(points)
    flow, setpoint = points["flow"], points["speed_setpoint"]
    assert (flow.data_type, flow.unit, flow.unit_code, flow.range, flow.access) == \
        ("double", "m^3/h", "MQH", (0.0, 200.0), "r")
    assert flow.address == {"node_id": f"{STATION}.Flow"}
    assert (setpoint.access, points["mode"].data_type, points["run_hours"].data_type) == ("rw", "int16", "uint32")
    path = tmp_path / "station.yaml"
    path.write_text(profile.dumps(), encoding="utf-8")

    async def read_all():
        session = open_session(load_profile(path))
        await session.connect()
        try:
            return await session.read([p.name for p in profile.points])
        finally:
            await session.close()

    samples = asyncio.run(read_all())
    assert [s.quality for s in samples] == [GOOD] * len(profile.points)


def test_names_are_valid_and_unique_and_browse_items_alone_suffice():
    items = [BrowseItem("nsu=urn:x;s=A", "Flow", data_type="Double", unit="m³/h", access="r"),
             BrowseItem("nsu=urn:x;s=B", "Flow", data_type="Float", access="rw", eu_range=(0.0, 5.0)),
             BrowseItem("nsu=urn:x;s=C", "3rd stage #1", data_type="Int32"),
             BrowseItem("nsu=urn:x;s=Tank.Temp1", "温度", data_type="Boolean"),
             BrowseItem("nsu=urn:x;s=温度", "温度", data_type="Boolean")]
    profile = profile_from_browse("x", {"protocol": "opcua", "endpoint": "opc.tcp://h:4840/"}, items)
    assert [p.name for p in profile.points] == ["flow", "flow_2", "p_3rd_stage_1", "tank_temp1",
                                                 "point"]
    _round_trip(profile)
    assert point_name("__") == "point" and unique_name("a", {"a", "a_2"}) == "a_3"


def test_arrays_and_structures_are_named_as_what_cannot_be_a_point():
    items = [BrowseItem("nsu=urn:x;s=S", "Recipe", data_type="RecipeType")]
    with pytest.raises(DeviceError, match="Recipe is of type RecipeType"):
        profile_from_browse("x", {"protocol": "opcua", "endpoint": "opc.tcp://h:4840/"}, items)
    with pytest.raises(DeviceError, match="at least one"):
        profile_from_browse("x", {"protocol": "opcua", "endpoint": "opc.tcp://h:4840/"}, [])


def test_registers_become_points_named_after_their_addresses():
    connection = {"protocol": "modbus", "host": "127.0.0.1", "port": 5020, "unit_id": 1}
    tags = [parse_address("40014"), parse_address("hr:0:float32:CDAB"), parse_address("40015.1"),
            parse_address("00001")]
    profile = profile_from_registers("plc", connection, tags, title="PLC")
    assert [p.name for p in profile.points] == ["hr_13", "hr_0", "hr_14_bit1", "coil_0"]
    assert profile.points[1].address == {"area": "holding_register", "address": 0, "order": "CDAB"}
    assert [p.access for p in profile.points] == ["rw"] * 4
    _round_trip(profile)


def test_merging_skips_known_addresses_and_renames_clashes():
    shipped = load_profile(resources_dir() / "profiles" / "pump_station_modbus.yaml")
    setpoint = register_map(shipped)["speed_setpoint"]
    new = profile_from_registers("plc", shipped.connection, [setpoint, parse_address("40100")])
    renamed = profile_from_registers("plc", shipped.connection, [parse_address("40101")]).points[0]
    clash = type(renamed)(**{**renamed.__dict__, "name": "flow"})
    merged = merge_points(shipped, [*new.points, clash])
    assert len(merged.points) == len(shipped.points) + 2 and len(shipped.points) == len(load_profile(
        resources_dir() / "profiles" / "pump_station_modbus.yaml").points)
    assert [p.name for p in merged.points[-2:]] == ["hr_99", "flow_2"]
    _round_trip(merged)


def test_profile_ids_are_checked():
    assert check_profile_id("pump-2") == ""
    assert "letters" in check_profile_id("pump 2")
    assert "exists already" in check_profile_id("pump", ["pump"])
    assert check_profile_id("") == "A profile needs an id"
