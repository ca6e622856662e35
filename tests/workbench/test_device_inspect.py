"""Commissioning without a profile: read, write, call and interpret straight on a device URL."""

from __future__ import annotations

import json

import pytest

from tests.simulator_process import SimulatorProcess
from workbench.cli import main


@pytest.fixture
def modbus(tmp_path, free_tcp_port):
    sim = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    sim.start()
    yield sim.url
    sim.stop()


@pytest.fixture
def opcua(tmp_path, free_tcp_port):
    sim = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    sim.start()
    yield sim.url
    sim.stop()


def test_read_raw_modbus_addresses_in_every_form(modbus, capsys):
    # flow is float32 ABCD at 40001 (hr:0); its CDAB copy at hr:100; speed uint16 at 40009
    assert main(["device", "read", modbus, "40001:float32", "hr:100:float32:CDAB", "400009", "hr:8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # each address in both forms, as manuals (40001) and protocol traces (hr:0) count
    labels = ["40001 (hr:0) float32 ABCD", "40101 (hr:100) float32 CDAB", "40009 (hr:8) uint16", "40009 (hr:8) uint16"]
    assert all(line.startswith(label) for line, label in zip(lines, labels, strict=True))
    flow, flow_cdab, speed_6, speed_hr = (line[len(label):].split()[0] for line, label in zip(lines, labels,
                                                                                              strict=True))
    assert flow == flow_cdab and "." in flow and len(flow) <= 9  # float32 precision, not 17 digits
    assert speed_6 == speed_hr
    assert all("good" in line for line in lines)


def test_interpret_shows_every_byte_order(modbus, capsys):
    assert main(["device", "interpret", modbus, "40001", "--count", "2"]) == 0
    out = capsys.readouterr().out
    abcd = next(line for line in out.splitlines() if "float32" in line and "ABCD" in line)
    assert abcd.startswith("40001 (hr:0)") and "?" not in abcd
    [read] = [line for line in out.splitlines() if "float32" in line and "ABCD" in line]
    assert main(["device", "read", modbus, "40001:float32"]) == 0
    value = float(capsys.readouterr().out.removeprefix("40001 (hr:0) float32 ABCD").split()[0])
    assert float(read.split()[-1]) == pytest.approx(value, rel=0.05)  # the pump moves between the reads


def test_write_without_profile_needs_yes_reads_back_and_is_audited(modbus, capsys, user_dirs):
    assert main(["device", "write", modbus, "40014", "1100"]) == 2  # speed_setpoint, uint16
    assert "Add --yes" in capsys.readouterr().err
    assert main(["device", "write", modbus, "40014", "1100", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "→ 1100, read back 1100" in out
    [entry] = [json.loads(line) for line in (user_dirs / "state" / "millwright" / "audit.jsonl").read_text()
               .splitlines()]
    assert entry["point"] == "40014" and entry["new"] == 1100 and entry["readback"] == 1100
    assert entry["device"] == modbus


def test_call_an_opcua_method_and_read_with_time_and_unit(opcua, capsys):
    pump = "nsu=urn:millwright:pumpstation;s=PumpStation"
    assert main(["device", "call", opcua, pump, "SetSpeed", "900"]) == 0
    assert "SetSpeed: true" in capsys.readouterr().out
    assert main(["device", "read", opcua, f"{pump}.SpeedSetpoint"]) == 0
    out = capsys.readouterr().out
    assert " 900.0 " in out and "good" in out and "Z" in out  # the source time, ISO 8601 UTC
    assert main(["device", "call", opcua, pump, "SetSpeed", "5000"]) == 1
    assert "BadOutOfRange" in capsys.readouterr().err
