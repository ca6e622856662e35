"""`millwright simulate` and `millwright device` against a simulator started as a user would."""

import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from nodes.resources import resources_dir
from workbench.cli import main

PROFILE = resources_dir() / "profiles" / "pump_station_modbus.yaml"


@pytest.fixture
def modbus_simulator(tmp_path, free_tcp_port):
    """`millwright simulate modbus` on a free port, and a copy of its profile pointing there."""
    port = free_tcp_port()
    process = subprocess.Popen([sys.executable, "-m", "workbench", "simulate", "modbus", "--port", str(port)],
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout.readline().strip() == f"Modbus simulator listening on 127.0.0.1:{port} (unit 1)"
    profile = tmp_path / "pump.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8").replace("port: 5020", f"port: {port}"), encoding="utf-8")
    yield profile
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0


def test_read_write_poll_browse_through_a_profile(modbus_simulator, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert main(["device", "read", str(modbus_simulator), "speed", "status_running", "device_name"]) == 0
    out = capsys.readouterr().out
    assert "PUMP-STATION-01" in out and "status_running" in out and "good" in out

    assert main(["device", "write", str(modbus_simulator), "speed_setpoint", "1600"]) == 1
    assert "1600 rpm is outside the write limit 0…1500 rpm" in capsys.readouterr().err
    assert main(["device", "write", str(modbus_simulator), "speed_setpoint", "900"]) == 2
    assert "Add --yes to write it" in capsys.readouterr().err
    assert main(["device", "write", str(modbus_simulator), "speed_setpoint", "900", "--yes"]) == 0
    assert "→ 900" in capsys.readouterr().out
    assert '"point": "speed_setpoint"' in (tmp_path / "state" / "millwright" / "audit.jsonl").read_text()

    out_csv = tmp_path / "poll.csv"
    assert main(["device", "poll", str(modbus_simulator), "--duration", "0.6", "--interval", "200",
                 "-o", str(out_csv)]) == 0
    frame = pd.read_csv(out_csv)  # the long layout: time, tag, value, quality, status
    setpoints = frame[frame["tag"] == "speed_setpoint"]
    assert len(setpoints) >= 1 and (pd.to_numeric(setpoints["value"]) == 900).all()
    assert (frame["quality"] == "good").all()
    assert set(frame["tag"]) >= {"flow", "speed_setpoint", "device_name"}

    assert main(["device", "browse", str(modbus_simulator)]) == 0
    assert "flow_cdab" in capsys.readouterr().out


def test_unreachable_device_is_a_clear_error(tmp_path, capsys, free_tcp_port):
    profile = tmp_path / "gone.yaml"
    profile.write_text(PROFILE.read_text(encoding="utf-8").replace("port: 5020", f"port: {free_tcp_port()}"),
                       encoding="utf-8")
    assert main(["device", "read", str(profile), "flow"]) == 1
    assert "connection refused" in capsys.readouterr().err


def test_simulate_help_lists_the_simulator_options(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "modbus", "--help"])
    assert "--rtu-over-tcp" in capsys.readouterr().out


@pytest.fixture
def opcua_simulator(tmp_path, free_tcp_port):
    """`millwright simulate opcua --no-security` on a free port, and the shipped profile pointing there."""
    port = free_tcp_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp_path / "data")}
    process = subprocess.Popen([sys.executable, "-m", "workbench", "simulate", "opcua", "--port", str(port),
                                "--no-security"], stdout=subprocess.PIPE, text=True, env=env)
    url = f"opc.tcp://127.0.0.1:{port}/millwright/"
    assert process.stdout.readline().startswith(f"OPC UA simulator listening on {url}")
    profile = tmp_path / "pump_ua.yaml"
    shipped = (resources_dir() / "profiles" / "pump_station_opcua.yaml").read_text(encoding="utf-8")
    profile.write_text(shipped.replace("opc.tcp://127.0.0.1:4840/millwright/", url), encoding="utf-8")
    yield url, profile
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0


def test_opcua_browse_read_import_and_write(opcua_simulator, tmp_path, capsys, monkeypatch):
    from device_browser.profiles import load_profile

    url, profile = opcua_simulator
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "client"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    station = "nsu=urn:millwright:pumpstation;s=PumpStation"
    assert main(["device", "browse", url, "--node", station, "--depth", "1"]) == 0
    out = capsys.readouterr().out
    assert "SpeedSetpoint" in out and "Double  rw" in out and f"{station}.Flow" in out
    assert main(["device", "read", str(profile)]) == 0  # every point of the shipped profile exists
    assert main(["device", "read", url, f"{station}.Nope"]) == 1
    assert "BadNodeIdUnknown" in capsys.readouterr().out
    imported = tmp_path / "imported.yaml"
    assert main(["device", "profile-from-server", url, station, "-o", str(imported)]) == 0
    points = {p.name: p for p in load_profile(imported).points}
    assert points["flow"].unit == "m^3/h" and points["speed_setpoint"].access == "rw"
    assert points["flow"].address == {"node_id": f"{station}.Flow"} and "high_vibration" not in points
    assert main(["device", "write", str(profile), "speed_setpoint", "1200", "--yes"]) == 0
    assert "→ 1200.0" in capsys.readouterr().out
    assert main(["device", "read", str(profile), "speed_setpoint"]) == 0
    assert "1200.0" in capsys.readouterr().out


def test_opcua_unreachable_server_fails_within_the_timeout(capsys, free_tcp_port):
    import time

    started = time.monotonic()
    assert main(["device", "read", f"opc.tcp://127.0.0.1:{free_tcp_port()}/", "i=2258", "--timeout", "2"]) == 1
    assert time.monotonic() - started < 6
    assert "millwright:" in capsys.readouterr().err
