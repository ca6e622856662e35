"""The safe-write dialog against real simulators in their own processes.

Each step waits for its condition under a deadline, then asserts what the dialog shows, what the
device holds and what the audit recorded (the JSON-lines file and the ``millwright.audit`` logger).
"""

from __future__ import annotations

import json
import logging

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QComboBox, QMessageBox, QSpinBox

from device_browser.session import GOOD
from device_browser.tags import TagRef
from device_browser.ui.write_dialog import EditorKind, WriteDialog
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from tests.gui.conftest import run, until
from tests.simulator_process import SimulatorProcess

DEADLINE = 30.0
FAULT_ACTIVE = "nsu=urn:millwright:pumpstation;s=PumpStation.FaultActive"


def _project(tmp_path, simulator: SimulatorProcess, device_id: str):
    devices = tmp_path / "project" / "devices"
    devices.mkdir(parents=True)
    text, _ = simulator.profile_text()
    text = text.replace(f"id: pump-station-{simulator.kind}", f"id: {device_id}")
    (devices / f"{device_id}.yaml").write_text(text, encoding="utf-8")
    return devices


@pytest.fixture
def modbus_project(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    simulator.start()
    yield _project(tmp_path, simulator, "pump")
    simulator.stop()


@pytest.fixture
def opcua_project(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    simulator.start()
    yield _project(tmp_path, simulator, "station")
    simulator.stop()


def _audit_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def _connected(devices, audit: AuditLog, device_id: str) -> DeviceWorkspace:
    workspace = DeviceWorkspace(audit)
    await workspace.open_folder(devices)
    await workspace.connect(device_id)
    return workspace


def test_a_modbus_setpoint_is_refused_checked_confirmed_and_audited(loop, qtbot, modbus_project, tmp_path, caplog):
    audit = AuditLog(tmp_path / "audit.jsonl")
    caplog.set_level(logging.INFO, logger="millwright.audit")
    setpoint = TagRef("pump", point="speed_setpoint")

    async def scenario() -> None:
        workspace = await _connected(modbus_project, audit, "pump")
        try:
            [before] = await workspace.handle("pump").read(["speed_setpoint"])
            dialog = WriteDialog(workspace, setpoint)
            qtbot.addWidget(dialog)
            dialog.open()
            await until(lambda: dialog.old is not None, timeout=DEADLINE)
            assert dialog.old.quality == GOOD and dialog.old.value == before.value
            assert isinstance(dialog.editor, QSpinBox) and dialog.editor.maximum() == 65535  # uint16
            assert dialog.limits_label.text() == "0 … 1500 rpm"

            # Writes to the device are disabled: said so, Write disabled, an offer to enable them.
            assert dialog.writes_label.isVisibleTo(dialog) and "Writes to pump are disabled" in \
                dialog.writes_label.text()
            dialog.editor.setValue(900)
            assert dialog.check_label.text().startswith("✔") and not dialog.write_button.isEnabled()
            dialog.enable_button.click()
            await until(lambda: getattr(dialog, "enable_box", None) is not None and dialog.enable_box.isVisible())
            dialog.enable_box.button(QMessageBox.StandardButton.Yes).click()
            await until(lambda: workspace.entry("pump").writes_enabled)
            assert not dialog.writes_label.isVisibleTo(dialog) and dialog.write_button.isEnabled()

            # Out of the profile's limits: the live check refuses, as the write would.
            dialog.editor.setValue(2000)
            assert dialog.check_label.text().startswith("✘") and "1500" in dialog.check_label.text()
            assert not dialog.write_button.isEnabled()

            # Within: confirm step, Cancel the default; Esc cancels it and nothing is sent.
            dialog.editor.setValue(900)
            assert dialog.check_label.text() == "✔ 900 rpm within 0…1500"
            dialog.write_button.click()
            assert dialog.confirming and dialog.confirm_cancel.isDefault()
            assert dialog.confirm_label.text() == f"Write 900 rpm to pump/speed_setpoint (was {before.value} rpm)?"
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            assert not dialog.confirming and dialog.isVisible()
            dialog.write_button.click()
            dialog.confirm_cancel.click()
            assert not dialog.confirming
            [unchanged] = await workspace.handle("pump").read(["speed_setpoint"])
            assert unchanged.value == before.value and _audit_lines(audit.path) == []

            # Confirmed: written, read back, shown, audited.
            dialog.write_button.click()
            dialog.confirm_write.click()
            await until(lambda: dialog.record is not None and not dialog.busy, timeout=DEADLINE)
            assert dialog.record.readback == 900
            assert dialog.result_label.text() == "✔ Written. Read back: 900 rpm"
            await until(lambda: dialog.old.value == 900, timeout=DEADLINE)
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)
            assert not dialog.isVisible()
        finally:
            await workspace.aclose()

    run(loop, scenario(), timeout=90)
    [line] = _audit_lines(audit.path)
    assert (line["device"], line["point"], line["new"], line["readback"], line["result"]) == \
        ("pump", "speed_setpoint", 900, 900, "written")
    messages = [r.getMessage() for r in caplog.records if r.name == "millwright.audit"]
    assert len(messages) == 1 and "pump.speed_setpoint" in messages[0] and "written" in messages[0]


def test_a_refused_write_says_why_and_is_audited(loop, qtbot, modbus_project, tmp_path):
    """Writes enabled in the dialog's view, then disabled before the write: the workspace refuses."""
    audit = AuditLog(tmp_path / "audit.jsonl")

    async def scenario() -> None:
        workspace = await _connected(modbus_project, audit, "pump")
        try:
            workspace.enable_writes("pump", True)
            dialog = WriteDialog(workspace, TagRef("pump", address="40014"))  # the setpoint, raw: no limits
            qtbot.addWidget(dialog)
            dialog.open()
            await until(lambda: dialog.old is not None, timeout=DEADLINE)
            assert dialog.target.kind is EditorKind.INTEGER and dialog.limits_label.text() == "none"
            dialog.editor.setValue(700)
            dialog.write_button.click()
            workspace.enable_writes("pump", False)  # e.g. from the Devices view, meanwhile
            dialog.confirm_write.click()
            await until(lambda: dialog.result_label.text().startswith("✘"), timeout=DEADLINE)
            assert "disabled" in dialog.result_label.text() and not dialog.write_button.isEnabled()
            dialog.reject()
        finally:
            await workspace.aclose()

    run(loop, scenario(), timeout=90)
    [line] = _audit_lines(audit.path)
    assert line["point"] == "40014" and line["result"].startswith("refused: Writes to pump are disabled")


def test_an_opcua_boolean_is_written_by_the_names_of_its_states(loop, qtbot, opcua_project, tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")

    async def scenario() -> None:
        workspace = await _connected(opcua_project, audit, "station")
        try:
            workspace.enable_writes("station", True)
            dialog = WriteDialog(workspace, TagRef("station", address=FAULT_ACTIVE))
            qtbot.addWidget(dialog)
            dialog.open()
            await until(lambda: dialog.old is not None, timeout=DEADLINE)
            combo = dialog.editor
            assert dialog.target.kind is EditorKind.NAMES and isinstance(combo, QComboBox)
            assert [combo.itemText(i) for i in range(combo.count())] == ["Fault (true)", "Normal (false)"]
            assert combo.currentData() is False  # the simulator starts without a fault
            assert dialog.old_label.text().startswith("Normal (false) · good")
            combo.setCurrentIndex(combo.findData(True))
            assert dialog.check_label.text() == "✔ Fault (true) fits Boolean"
            dialog.write_button.click()
            assert dialog.confirm_label.text() == f"Write Fault (true) to station@{FAULT_ACTIVE} (was Normal (false))?"
            dialog.confirm_write.click()
            await until(lambda: dialog.record is not None and not dialog.busy, timeout=DEADLINE)
            assert dialog.record.readback is True
            assert dialog.result_label.text() == "✔ Written. Read back: Fault (true)"
            [now] = await workspace.handle("station").read([FAULT_ACTIVE])
            assert now.value is True
            await workspace.write(TagRef("station", address=FAULT_ACTIVE), False)  # leave the pump healthy
            dialog.reject()
        finally:
            await workspace.aclose()

    run(loop, scenario(), timeout=90)
    assert [line["result"] for line in _audit_lines(audit.path)] == ["written", "written"]


def test_an_opcua_profile_point_is_checked_against_the_profile_and_the_server(loop, qtbot, opcua_project,
                                                                               tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")

    async def scenario() -> None:
        workspace = await _connected(opcua_project, audit, "station")
        try:
            workspace.enable_writes("station", True)
            dialog = WriteDialog(workspace, TagRef("station", point="speed_setpoint"))
            qtbot.addWidget(dialog)
            dialog.open()
            await until(lambda: dialog.old is not None, timeout=DEADLINE)
            assert dialog.target.kind is EditorKind.NUMBER and dialog.target.data_type == "Double"
            assert dialog.limits_label.text().startswith("300 … 1750")  # the profile's write limits
            dialog.editor.setText("abc")
            assert dialog.check_label.text().startswith("✘") and "number" in dialog.check_label.text()
            dialog.editor.setText("1760")
            assert "1750" in dialog.check_label.text() and not dialog.write_button.isEnabled()
            dialog.editor.setText("1200.5")
            assert dialog.check_label.text().startswith("✔") and dialog.write_button.isEnabled()
            dialog.reject()
        finally:
            await workspace.aclose()

    run(loop, scenario(), timeout=90)
    assert _audit_lines(audit.path) == []


def test_array_elements_are_read_and_checked_one_by_one():
    from asyncua import ua

    from device_browser.opcua.ua_connection import NodeFacts
    from device_browser.opcua.ua_io import check_write
    from device_browser.session import WriteRefused
    from device_browser.ui.write_dialog import parse_element

    facts = NodeFacts(variant_type=ua.VariantType.Int16, value_rank=1, access="rw")
    assert check_write("t", facts, [parse_element(x, EditorKind.INTEGER) for x in ["1", " 0x10", " -3"]]) == \
        [1, 16, -3]
    with pytest.raises(WriteRefused, match="70000 does not fit Int16"):
        check_write("t", facts, [parse_element(x, EditorKind.INTEGER) for x in ["1", " 70000"]])
    with pytest.raises(WriteRefused, match="'x' is not a number"):
        parse_element(" x", EditorKind.NUMBER)
