"""Save as profile from browsed OPC UA nodes, against the simulator in its own process: the file in
devices/ loads, and its points read GOOD through a session opened from it."""

from __future__ import annotations

import asyncio

import pytest

from device_browser.connect import open_session
from device_browser.profiles import load_profile
from device_browser.session import GOOD
from device_browser.tags import TagRef
from device_browser.ui.save_profile_dialog import Column, SaveProfileDialog
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from tests.gui.conftest import run, until
from tests.gui.test_write_dialog import _project
from tests.simulator_process import SimulatorProcess

DEADLINE = 30.0
STATION = "nsu=urn:millwright:pumpstation;s=PumpStation"


@pytest.fixture
def opcua_project(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    simulator.start()
    yield _project(tmp_path, simulator, "station")
    simulator.stop()


async def _reads(path) -> list[int]:
    session = open_session(load_profile(path))
    await session.connect()
    try:
        return [s.quality for s in await session.read([p.name for p in load_profile(path).points])]
    finally:
        await session.close()


def _dialog_done(dialog: SaveProfileDialog) -> bool:
    return not dialog.busy


def test_browsed_nodes_saved_as_a_new_profile_and_into_the_devices_own(loop, qtbot, opcua_project, tmp_path):
    async def scenario() -> None:
        workspace = DeviceWorkspace(AuditLog(tmp_path / "audit.jsonl"))
        await workspace.open_folder(opcua_project)
        handle = await workspace.connect("station")
        try:
            items = {item.name: item for item in await handle.browse(STATION)}
            picked = [items["Flow"], items["Mode"], items["FlowTrim"], items["Status"],
                      TagRef("station", address=f"{STATION}.RunHours"), TagRef("station", point="speed")]

            dialog = SaveProfileDialog(workspace, "station", picked)
            qtbot.addWidget(dialog)
            dialog.open()
            await until(lambda: _dialog_done(dialog), timeout=DEADLINE)
            table = dialog.table
            names = [table.item(row, Column.NAME).text() for row in range(table.rowCount())]
            assert names == ["speed", "flow", "mode", "flow_trim", "status", "run_hours"]
            assert [table.item(row, Column.UNIT).text() for row in range(2)] == ["rpm", "m^3/h"]
            assert table.item(2, Column.ACCESS).text() == "rw" and table.item(2, Column.TYPE).text() == "int16"
            assert dialog.id_edit.text() == "station_points" and dialog.save_button.isEnabled()

            dialog.id_edit.setText("station")
            assert "exists already" in dialog.status_label.text() and not dialog.save_button.isEnabled()
            dialog.id_edit.setText("bad id")
            assert not dialog.save_button.isEnabled()
            dialog.id_edit.setText("station_points")
            table.item(1, Column.NAME).setText("2flow")
            assert "'2flow' is not a point name" in dialog.status_label.text()
            table.item(1, Column.NAME).setText("speed")
            assert "used twice" in dialog.status_label.text()
            table.item(1, Column.NAME).setText("discharge_flow")
            dialog.title_edit.setText("Pump station, commissioning points")
            entries = []
            dialog.saved.connect(entries.append)
            dialog.save_button.click()
            await until(lambda: entries, timeout=DEADLINE)
            assert not dialog.isVisible() and entries[0].id == "station_points"

            saved = load_profile(opcua_project / "station_points.yaml")
            assert [p.name for p in saved.points] == ["speed", "discharge_flow", "mode", "flow_trim", "status",
                                                      "run_hours"]
            assert saved.connection == workspace.entry("station").profile.connection
            assert saved.title == "Pump station, commissioning points"
            assert await _reads(opcua_project / "station_points.yaml") == [GOOD] * 6

            # Into the device's own profile: Flow is there already (skipped), Mode and FlowTrim are added.
            before = [p.name for p in workspace.entry("station").profile.points]
            dialog = SaveProfileDialog(workspace, "station", [items["Flow"], items["Mode"], items["FlowTrim"]])
            qtbot.addWidget(dialog)
            dialog.open()
            await until(lambda: _dialog_done(dialog), timeout=DEADLINE)
            dialog.add_button.setChecked(True)
            assert not dialog.id_edit.isEnabled() and dialog.save_button.isEnabled()
            dialog.save_button.click()
            await until(lambda: not dialog.isVisible(), timeout=DEADLINE)
            merged = load_profile(opcua_project / "station.yaml")
            assert [p.name for p in merged.points] == [*before, "mode", "flow_trim"]
            assert await _reads(opcua_project / "station.yaml") == [GOOD] * len(merged.points)
        finally:
            await workspace.aclose()

    run(loop, scenario(), timeout=120)


def test_a_device_that_is_not_connected_is_said_and_nothing_can_be_saved(loop, qtbot, opcua_project, tmp_path):
    async def scenario() -> None:
        workspace = DeviceWorkspace(AuditLog(tmp_path / "audit.jsonl"))
        await workspace.open_folder(opcua_project)
        dialog = SaveProfileDialog(workspace, "station", [TagRef("station", address=f"{STATION}.Mode")])
        qtbot.addWidget(dialog)
        dialog.open()
        await until(lambda: _dialog_done(dialog), timeout=DEADLINE)
        assert "not connected" in dialog.status_label.text() and not dialog.save_button.isEnabled()
        dialog.reject()
        await asyncio.sleep(0)

    run(loop, scenario(), timeout=60)
