"""Safe writes through a profile, against the real Modbus simulator."""

import asyncio
import json
from dataclasses import replace

import pytest

from device_browser.connect import open_session, register_map
from device_browser.profiles import load_profile
from device_browser.session import WriteRefused
from device_browser.simulators.modbus import SIMULATOR_MAP, start_simulator
from device_browser.writes import AuditLog, check_value, safe_write
from nodes.resources import resources_dir

PROFILE = load_profile(resources_dir() / "profiles" / "pump_station_modbus.yaml")


def test_the_shipped_profile_describes_the_simulator_exactly():
    assert list(register_map(PROFILE)) == [replace(t, unit={"m³/h": "m^3/h", "°C": "degC"}.get(t.unit, t.unit))
                                           for t in SIMULATOR_MAP]


def test_checks_refuse_before_anything_is_sent():
    setpoint = PROFILE.point("speed_setpoint")
    assert check_value(PROFILE, setpoint, "1200") == 1200
    with pytest.raises(WriteRefused, match=r"1600 rpm is outside the write limit 0…1500 rpm of 'speed_setpoint' "
                                           r"of pump-station-modbus; nothing was written"):
        check_value(PROFILE, setpoint, 1600)
    with pytest.raises(WriteRefused, match=r"'speed_setpoint' of pump-station-modbus is a whole number \(uint16\)"):
        check_value(PROFILE, setpoint, 12.5)
    with pytest.raises(WriteRefused, match="takes a number, not 'fast'"):
        check_value(PROFILE, setpoint, "fast")
    with pytest.raises(WriteRefused, match="'flow' of pump-station-modbus is read-only in its profile"):
        check_value(PROFILE, PROFILE.point("flow"), 1.0)
    with pytest.raises(WriteRefused, match="takes true or false, not 'maybe'"):
        check_value(PROFILE, PROFILE.point("fault_switch"), "maybe")
    assert check_value(PROFILE, PROFILE.point("fault_switch"), "on") is True


def test_safe_write_reads_old_value_writes_and_audits(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")

    async def scenario():
        simulator = await start_simulator(port=0)
        profile = replace(PROFILE, connection={**PROFILE.connection, "port": simulator.port})
        session = open_session(profile)
        try:
            await session.connect()
            before = (await session.read(["speed_setpoint"]))[0].value
            record = await safe_write(session, profile, "speed_setpoint", "1200", audit, user="commissioning")
            after = (await session.read(["speed_setpoint"]))[0].value
            requests = session.request_count
            with pytest.raises(WriteRefused):
                await safe_write(session, profile, "speed_setpoint", 1700, audit, user="commissioning")
            assert session.request_count == requests  # refused: nothing was sent, not even the read
            return before, record, after
        finally:
            await session.close()
            await simulator.stop()

    before, record, after = asyncio.run(scenario())
    assert (record.old, record.new, record.result, record.readback, after) == (before, 1200, "written", 1200, 1200)
    written, refused = map(json.loads, (tmp_path / "audit.jsonl").read_text().splitlines())
    assert written["user"] == "commissioning" and written["point"] == "speed_setpoint" and written["new"] == 1200
    assert written["readback"] == 1200
    # the refused attempt is in the audit too, with why, and no old value (nothing was sent)
    assert refused["new"] == 1700 and refused["old"] is None
    assert refused["result"].startswith("refused: 1700 rpm is outside the write limit")
