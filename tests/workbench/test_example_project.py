"""The shipped example project: every file in it loads, and both graphs run on its recording."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from device_browser.profiles import load_profile
from nodes.graph import load_graph
from nodes.resources import example_project, resources_dir
from workbench.cli import main

EXAMPLE = example_project()
RECORDING = EXAMPLE / "data" / "pump_run.csv"


def _run(graph: str, out: Path, *extra: str) -> pd.DataFrame:
    code = main(["run-graph", str(EXAMPLE / "graphs" / graph), "--input", str(RECORDING), "--output", str(out),
                 "--quiet", *extra])
    assert code == 0
    return pd.read_csv(out)


def test_the_example_project_has_devices_graphs_and_a_recording(capsys):
    assert main(["project", "check", str(EXAMPLE)]) == 0, capsys.readouterr()
    assert json.loads((EXAMPLE / "project.json").read_text(encoding="utf-8"))["name"] == "Pump station"
    assert sorted(p.name for p in (EXAMPLE / "graphs").glob("*.json")) == ["pump_efficiency.json",
                                                                           "vibration_alarm.json"]
    for graph in (EXAMPLE / "graphs").glob("*.json"):
        assert load_graph(graph).nodes
    assert RECORDING.is_file()


@pytest.mark.parametrize("name", ["pump_station_opcua.yaml", "pump_station_modbus.yaml"])
def test_example_device_profiles_are_the_shipped_simulator_profiles(name):
    copy, shipped = EXAMPLE / "devices" / name, resources_dir() / "profiles" / name
    assert copy.read_bytes() == shipped.read_bytes(), f"{copy} differs from {shipped}: copy it again"
    assert load_profile(copy).points


def test_the_recording_columns_are_points_of_the_opcua_profile():
    points = {p.name for p in load_profile(EXAMPLE / "devices" / "pump_station_opcua.yaml").points}
    header = RECORDING.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    assert header[:2] == ["time", "acc"]  # acc: the vibration graph's accelerometer, not a simulator tag
    assert set(header[2:]) <= points


def test_vibration_alarm_runs_on_the_recording(tmp_path):
    result = _run("vibration_alarm.json", tmp_path / "alarm.csv")
    assert len(result) == 20  # one RMS block per second
    assert result["velocity_rms"].between(0.8, 6.5).all() and result["velocity_rms"].is_monotonic_increasing
    assert result["zone"].iloc[0] == 0 and result["zone"].iloc[-1] == 2
    assert result["alarm"].iloc[0] == 0 and result["alarm"].iloc[-1] == 1


def test_pump_efficiency_runs_on_the_recording_with_plausible_values(tmp_path):
    result = _run("pump_efficiency.json", tmp_path / "efficiency.csv")
    assert len(result) == 40_000
    # Efficiency in % (the component's unit): a healthy pump near 80 %, falling as the rub grows.
    assert result["efficiency"].between(60, 90).all()
    first, last = result["efficiency"][:2000].mean(), result["efficiency"][-2000:].mean()
    assert 78 < first < 83 and 72 < last < 76
    # Hydraulic power ρ g Q H: about 122 m³/h at 4.6 bar is 15.6 kW; the shaft takes more.
    np.testing.assert_allclose(result["hydraulic_power"].mean(), 15.6, rtol=0.02)
    assert (result["shaft_power"] > result["hydraulic_power"]).all()
    # Energy and volume only grow: about 20 kW for 20 s is 0.11 kWh, 122 m³/h for 20 s is 0.68 m³.
    assert result["energy"].iloc[0] == 0 and np.all(np.diff(result["energy"]) > 0)
    assert 0.10 < result["energy"].iloc[-1] < 0.14
    assert np.all(np.diff(result["volume"]) > 0) and 0.6 < result["volume"].iloc[-1] < 0.75
    # Specific energy of a circulation pump: a few tenths of a kWh per m³, rising with the losses.
    specific = result["specific_energy"].dropna()
    assert specific.between(0.15, 0.22).all() and specific.iloc[-1] > specific.iloc[0]


def test_pump_efficiency_does_not_depend_on_the_chunk_size(tmp_path):
    small = _run("pump_efficiency.json", tmp_path / "small.csv", "--chunk", "997")
    whole = _run("pump_efficiency.json", tmp_path / "whole.csv", "--chunk", "40000")
    pd.testing.assert_frame_equal(small, whole, rtol=1e-9)
