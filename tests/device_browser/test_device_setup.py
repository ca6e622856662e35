"""Setting up a device from form fields: ids, connections, endpoint addresses, and a test connection
against the real simulators (in this process: nothing here measures time)."""

from __future__ import annotations

import asyncio

import pytest

from device_browser.device_setup import (
    ModbusForm,
    OpcUaForm,
    Problem,
    Transport,
    build_profile,
    check_device_id,
    endpoint_problem,
    form_of,
    probe,
    serial_ports,
    unresolvable_hosts,
    use_typed_address,
)
from device_browser.profiles import parse_profile
from device_browser.session import DeviceError
from nodes.resources import resources_dir


def test_a_device_id_follows_the_schema_and_is_unique():
    assert check_device_id("pump-1", {"pump-2"}) is None
    assert check_device_id("", set()) == Problem("id", "empty")
    assert check_device_id("pump 1/ä", set()) == Problem("id", "characters", " /ä")
    assert check_device_id("pump-2", {"pump-2"}) == Problem("id", "taken", "pump-2")


@pytest.mark.parametrize("url, code", [("", "empty"), ("http://plc", "scheme"), ("opc.tcp://plc:99999", "port"),
                                       ("opc.tcp://:4840", "host"), ("opc.tcp://plc:4840/ua", None)])
def test_endpoint_urls_are_checked(url, code):
    problem = endpoint_problem(url)
    assert (problem.code if problem else None) == code


def test_the_typed_address_replaces_an_unresolvable_host_and_keeps_the_path():
    assert use_typed_address("opc.tcp://PLC-7:4840/ua/server", "opc.tcp://192.168.0.7:48010") \
        == "opc.tcp://192.168.0.7:48010/ua/server"
    assert use_typed_address("opc.tcp://PLC-7:4841/", "opc.tcp://10.0.0.1") == "opc.tcp://10.0.0.1:4841/"
    assert use_typed_address("opc.tcp://PLC-7/x", "opc.tcp://[fe80::1]:4840") == "opc.tcp://[fe80::1]:4840/x"


def test_unresolvable_hosts_are_found():
    found = asyncio.run(unresolvable_hosts(["opc.tcp://127.0.0.1:4840/", "opc.tcp://no-such-host.invalid:4840/",
                                            "opc.tcp://localhost:1/"]))
    assert found == {"no-such-host.invalid"}


def test_security_none_goes_with_mode_none():
    assert OpcUaForm(security_policy="Basic256Sha256", security_mode="None").problems() == [
        Problem("security", "pair", "Basic256Sha256/None")]
    assert OpcUaForm(security_policy="Basic256Sha256", security_mode="Sign").problems() == []


def test_each_transport_writes_a_connection_the_schema_accepts_and_reads_back():
    forms = [OpcUaForm("opc.tcp://10.0.0.5:4840/", "Basic256Sha256", "SignAndEncrypt", "operator", 3.0),
             ModbusForm(Transport.MODBUS_TCP, host="10.0.0.6", port=1502, unit_id=255, timeout_s=0.5),
             ModbusForm(Transport.MODBUS_RTU_OVER_TCP, host="gw.local", unit_id=3),
             ModbusForm(Transport.MODBUS_RTU, serial_port="/dev/ttyUSB0", baudrate=9600, parity="E", stopbits=2,
                        unit_id=0)]
    for form in forms:
        assert form.problems() == []
        profile = build_profile("dev-1", form, {"manufacturer": "ACME", "model": "X", "serial_number": ""}, "A device")
        assert profile.points == [] and profile.nameplate == {"manufacturer": "ACME", "model": "X"}
        profile.points.append(_point(profile.protocol))  # the schema wants one point to parse the text
        again = parse_profile(profile.dumps())
        assert form_of(again.connection) == form
        assert "password" not in profile.dumps()


def _point(protocol: str):
    from device_browser.profiles import Point

    address = {"node_id": "nsu=urn:x;s=X"} if protocol == "opcua" else {"area": "holding_register", "address": 0}
    return Point(name="x", data_type="uint16", address=address)


def test_an_edited_profile_keeps_its_points_and_the_fields_no_form_shows():
    previous = parse_profile((resources_dir() / "profiles" / "vfd_abb_acs580.yaml").read_text(encoding="utf-8"))
    previous.connection["max_gap"] = 4
    form = form_of(previous.connection)
    assert isinstance(form, ModbusForm) and form.serial_port == "/dev/ttyUSB0" and form.parity == "E"
    form.serial_port = "/dev/ttyUSB1"
    edited = build_profile("abb-acs580", form, {"manufacturer": "ABB", "model": "ACS580-01"}, previous.title,
                           previous)
    assert edited.points == previous.points and edited.description == previous.description
    assert edited.connection["serial"]["port"] == "/dev/ttyUSB1" and edited.connection["max_gap"] == 4
    assert edited.nameplate["product_family"] == "ACS580"
    switched = build_profile("abb-acs580", ModbusForm(host="10.0.0.9"), {}, "", previous)
    assert "max_gap" in switched.connection and "serial" not in switched.connection


def test_modbus_forms_need_a_host_or_a_serial_port():
    assert ModbusForm(host="").problems() == [Problem("host", "empty")]
    assert ModbusForm(host="a b").problems() == [Problem("host", "characters", "a b")]
    assert ModbusForm(Transport.MODBUS_RTU).problems() == [Problem("serial_port", "empty")]


def test_serial_ports_are_listed_by_pyserial():
    ports = serial_ports()
    assert all(p.device and p.label().startswith(p.device) for p in ports)
    assert [p.device for p in ports] == sorted(p.device for p in ports)


def test_probe_reads_a_modbus_devices_points_and_says_why_a_port_is_refused(free_tcp_port):
    from device_browser.simulators.modbus import start_simulator

    async def scenario():
        simulator = await start_simulator(port=0)
        try:
            text = (resources_dir() / "profiles" / "pump_station_modbus.yaml").read_text(encoding="utf-8")
            profile = parse_profile(text.replace("port: 5020", f"port: {simulator.port}"))
            result = await probe(profile)
            assert result.points == len(profile.points) and result.readable == result.points
            empty = build_profile("new", ModbusForm(host="127.0.0.1", port=simulator.port), {})
            assert (await probe(empty)).server == f"127.0.0.1:{simulator.port}, unit 1"
        finally:
            await simulator.stop()
        with pytest.raises(DeviceError):
            await probe(build_profile("new", ModbusForm(host="127.0.0.1", port=free_tcp_port()), {}))

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_probe_names_an_opcua_server():
    from device_browser.simulators.opcua.simulator import start_simulator

    async def scenario():
        handle = await start_simulator(security=False)
        try:
            result = await probe(build_profile("new", OpcUaForm(handle.url), {}))
        finally:
            await handle.stop()
        assert result.server and result.points == 0

    asyncio.run(asyncio.wait_for(scenario(), 30))
