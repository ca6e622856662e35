"""DeviceWorkspace: the project's devices, connected on a device thread, watched into one bus.

The Modbus simulator runs in its own process; killing it is the outage. Each step waits for its
condition under a deadline and then asserts what happened (see tests/device_browser/test_host.py).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from device_browser.profiles import load_profile
from device_browser.session import GOOD, ConnectionState, DeviceError, WriteRefused
from device_browser.tags import TagRef
from device_browser.watch import WatchItem
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from tests.device_browser.test_host import wait_for
from tests.simulator_process import SimulatorProcess


@pytest.fixture
def modbus(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    simulator.start()
    devices = tmp_path / "project" / "devices"
    devices.mkdir(parents=True)
    text, _ = simulator.profile_text()
    (devices / "pump.yaml").write_text(text.replace("id: pump-station-modbus", "id: pump"), encoding="utf-8")
    (devices / "broken.yaml").write_text("id: broken\nconnection: [\n", encoding="utf-8")
    yield simulator, devices
    simulator.stop()


def test_devices_connect_watch_write_and_survive_an_outage(modbus, tmp_path):
    simulator, devices = modbus
    audit = AuditLog(tmp_path / "audit.jsonl")

    async def scenario() -> None:
        workspace = DeviceWorkspace(audit)
        states: list[ConnectionState] = []
        workspace.status_changed.connect(lambda device, status: states.append(status.state))
        try:
            await workspace.open_folder(devices)
            assert [e.id for e in workspace.entries] == ["broken", "pump"]
            assert "broken.yaml" in workspace.entry("broken").problem
            assert workspace.counts() == (0, 2)
            with pytest.raises(DeviceError, match="broken"):
                await workspace.connect("broken")

            workspace.watch.extend([TagRef("pump", point="flow"), TagRef("pump", point="speed"),
                                    WatchItem(TagRef("pump", address="40001"), interval_ms=100)])
            await workspace.connect("pump")
            assert workspace.counts() == (1, 2)
            keys = ["pump/flow", "pump/speed", "pump@40001"]
            await wait_for(lambda: all(workspace.bus.written(key) >= 2 for key in keys), "two samples of each tag")
            assert workspace.bus.latest("pump/flow")[2] == GOOD

            setpoint = TagRef("pump", point="speed_setpoint")
            with pytest.raises(WriteRefused, match="disabled"):
                await workspace.write(setpoint, 900)
            workspace.enable_writes("pump", True)
            with pytest.raises(WriteRefused, match="1500"):
                await workspace.write(setpoint, 2000)
            record = await workspace.write(setpoint, 900)
            assert record.readback == 900

            workspace.watch.remove(workspace.watch.index_of(TagRef("pump", point="speed")))
            await wait_for(lambda: len(workspace._watched._groups.get("pump", {})) == 2, "two subscription groups left")

            simulator.kill()
            state = lambda: workspace.entry("pump").status.state  # noqa: E731 - read again at each check
            await wait_for(lambda: state() is ConnectionState.RECONNECTING, "pump reconnecting")
            assert workspace.counts() == (0, 2)
            simulator.start()
            await wait_for(lambda: state() is ConnectionState.CONNECTED, "pump connected again")
            resumed = workspace.bus.written("pump/flow")
            await wait_for(lambda: workspace.bus.written("pump/flow") >= resumed + 2, "flow resumed")

            await workspace.disconnect("pump")
            assert workspace.entry("pump").status.state is ConnectionState.DISCONNECTED
        finally:
            await workspace.aclose()
        assert states[:2] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]

    asyncio.run(scenario())
    results = [json.loads(line)["result"] for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert results[0].startswith("refused: Writes to pump are disabled")
    assert "1500" in results[1] and results[2] == "written"


def test_profiles_are_added_renamed_and_removed_in_the_devices_folder(modbus, tmp_path):
    _, devices = modbus

    async def scenario() -> None:
        workspace = DeviceWorkspace(AuditLog(tmp_path / "audit.jsonl"))
        changes: list[int] = []
        workspace.devices_changed.connect(lambda: changes.append(1))
        await workspace.open_folder(devices)
        pump = workspace.entry("pump").profile
        copy_id = workspace.duplicate_id("pump")
        assert copy_id == "pump_copy"
        from dataclasses import replace

        await workspace.save_profile(replace(pump, id=copy_id))
        assert load_profile(devices / "pump_copy.yaml").points == pump.points
        with pytest.raises(DeviceError, match="exists already"):
            await workspace.save_profile(replace(pump, id="pump"))
        await workspace.save_profile(replace(pump, id="pump2"), replacing="pump_copy")
        assert not (devices / "pump_copy.yaml").exists() and (devices / "pump2.yaml").exists()
        await workspace.remove("pump2")
        assert not (devices / "pump2.yaml").exists()
        assert [e.id for e in workspace.entries] == ["broken", "pump"]
        assert len(changes) == 4
        await workspace.aclose()

    asyncio.run(scenario())


def test_opening_another_folder_forgets_the_watched_tags_of_the_old_devices(tmp_path):
    async def scenario() -> None:
        workspace = DeviceWorkspace(AuditLog(tmp_path / "audit.jsonl"))
        workspace.watch.add(TagRef("pump", point="flow"))
        workspace.trend.add(TagRef("pump", point="flow"))
        await workspace.open_folder(tmp_path / "elsewhere")  # no such folder: no devices
        assert len(workspace.watch) == 0 and len(workspace.trend) == 0 and workspace.entries == []
        await workspace.aclose()

    asyncio.run(scenario())
