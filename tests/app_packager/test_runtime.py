"""The headless app runtime against `millwright simulate opcua`: the example app on live tags."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app_packager.errors import AppError
from app_packager.manifest import Permissions, WriteLimit
from app_packager.runtime.core import AppRuntime, RuntimeConfig, load_app
from device_browser.recordings import open_sink
from nodes.chunk import BAD, GOOD, Chunk
from nodes.engine import Run
from tests.app_packager.archives import variant
from tests.simulator_process import SimulatorProcess
from workbench.cli import main as cli_main

BINDINGS = """schema_version: 1
bindings:
  discharge_pressure: {device: pump-station-opcua, point: discharge_pressure, unit: bar}
  flow: {device: pump-station-opcua, point: flow, unit: m^3/h}
  motor_current: {device: pump-station-opcua, point: motor_current, unit: A}
"""
WRITE_BINDING = "  hydraulic_power: {device: pump-station-opcua, point: speed_setpoint}\n"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    from device_browser.simulators.opcua.simulation import free_port

    sim = SimulatorProcess("opcua", free_port("127.0.0.1"), tmp_path_factory.mktemp("sim"))
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def site(tmp_path, simulator):
    """A site folder: the simulator's profile in devices/, the bindings file."""
    devices = tmp_path / "devices"
    devices.mkdir()
    text, name = simulator.profile_text()
    (devices / name).write_text(text, encoding="utf-8")
    (tmp_path / "bindings.yaml").write_text(BINDINGS, encoding="utf-8")
    return tmp_path


def config_for(site: Path, app: Path, **changes) -> RuntimeConfig:
    return RuntimeConfig(app, site / "data", site / "bindings.yaml", site / "devices",
                         **{"allow_unsigned": True, **changes})


def run_until(runtime: AppRuntime, done, deadline_s: float = 30.0) -> None:
    """Run ``runtime`` until ``done()`` is true (checked every 50 ms), failing after ``deadline_s``."""
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.run_until(stop))
        deadline = time.monotonic() + deadline_s
        while not done() and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 10)
    asyncio.run(main())
    assert done(), f"the condition was not met within {deadline_s} s ({runtime.ticks} ticks)"


class Recorder:
    """Every tick's inputs and outputs, as the runtime saw them."""

    def __init__(self):
        self.inputs: list[dict[str, Chunk]] = []
        self.outputs: list[dict[str, Chunk]] = []

    def __call__(self, inputs, outputs) -> None:
        self.inputs.append(dict(inputs))
        self.outputs.append(dict(outputs))

    def good_ticks(self, column: str = "hydraulic_power") -> int:
        """How many of the last 5 ticks gave ``column`` all good."""
        return sum(bool(len(tick.get(column, ()))) and bool((tick[column].q == GOOD).all())
                   for tick in self.outputs[-5:])

    def last_quality(self, column: str) -> int | None:
        chunks = [tick[column] for tick in self.outputs if column in tick and len(tick[column])]
        return int(chunks[-1].q[-1]) if chunks else None


def test_outputs_equal_the_batch_run_of_the_inputs_it_saw(site, example_build, tmp_path):
    app = load_app(config_for(site, example_build, rate_hz=20.0))
    recorder = Recorder()
    runtime = AppRuntime(app, config_for(site, example_build, rate_hz=20.0), on_tick=recorder)
    run_until(runtime, lambda: len(recorder.outputs) >= 30 and recorder.good_ticks() == 5)

    # The same inputs, joined into one recording, through a fresh run of the same graph in batch.
    recording = {column: Chunk.join([tick[column] for tick in recorder.inputs]) for column in app.inputs}
    batch = Run(app.compiled).push(recording)
    assert set(batch) == set(app.manifest.outputs)
    for column, expected in batch.items():
        streamed = Chunk.join([tick[column] for tick in recorder.outputs if column in tick])
        np.testing.assert_array_equal(streamed.t, expected.t)
        np.testing.assert_array_equal(streamed.q, expected.q)
        np.testing.assert_allclose(streamed.v, expected.v, rtol=1e-12, equal_nan=True, err_msg=column)
    # The command line's run-graph, on the recording written as a CSV file, gives the same outputs.
    recorded = tmp_path / "inputs.csv"
    sink = open_sink(recorded)
    sink.write(recording)
    sink.close()
    assert cli_main(["run-graph", str(app.folder / app.manifest.graph), "--input", str(recorded),
                     "--output", str(tmp_path / "outputs.csv"), "--quiet"]) == 0
    offline = pd.read_csv(tmp_path / "outputs.csv")
    for column in app.manifest.outputs:
        streamed = Chunk.join([tick[column] for tick in recorder.outputs if column in tick])
        np.testing.assert_allclose(offline[column].to_numpy(), streamed.v, rtol=1e-9, equal_nan=True,
                                   err_msg=column)
    # the grid is regular at the declared rate, and the values came from the device
    t = recording["flow"].t
    assert (np.diff(t) == 50_000_000).all()
    assert np.isfinite(recording["flow"].v[-5:]).all() and (recording["flow"].v[-5:] > 0).all()


def test_a_bindings_unit_that_cannot_feed_its_input_is_refused_naming_it(site, example_build):
    (site / "bindings.yaml").write_text(BINDINGS.replace("unit: bar", "unit: degC"), encoding="utf-8")
    with pytest.raises(AppError, match=r"discharge_pressure.*degC|degC.*discharge_pressure"):
        load_app(config_for(site, example_build))


def test_an_unbound_input_and_an_unknown_parameter_are_refused(site, example_build):
    (site / "bindings.yaml").write_text(BINDINGS.replace(
        "  flow: {device: pump-station-opcua, point: flow, unit: m^3/h}\n", ""), encoding="utf-8")
    with pytest.raises(AppError, match="input 'flow' is not bound"):
        load_app(config_for(site, example_build))
    (site / "bindings.yaml").write_text(BINDINGS, encoding="utf-8")
    with pytest.raises(AppError, match=re.escape("--param rated_power=5000: outside the permitted range 0.1 … 1000")):
        load_app(config_for(site, example_build, params={"rated_power": 5000.0}))
    with pytest.raises(AppError, match="--param density: not a parameter"):
        load_app(config_for(site, example_build, params={"density": 1.0}))


def test_an_unsigned_or_untrusted_archive_is_refused(site, example_build, publisher_key):
    with pytest.raises(AppError, match="not signed"):
        load_app(config_for(site, example_build, allow_unsigned=False))
    signed = variant(example_build, site / "signed", publisher_key)
    with pytest.raises(AppError, match="which is not trusted here"):
        load_app(config_for(site, signed, allow_unsigned=False, trusted={}))
    app = load_app(config_for(site, signed, allow_unsigned=False, trusted=publisher_key.trusted))
    assert app.publisher == publisher_key.fingerprint


def writing_app(site: Path, example_build: Path, maximum: float) -> Path:
    limit = WriteLimit("hydraulic_power", 0.0, maximum, max_step=None, min_interval_s=0.2)
    (site / "bindings.yaml").write_text(BINDINGS + WRITE_BINDING, encoding="utf-8")
    return variant(example_build, site / "apps", permissions=Permissions(write_tags=(limit,)))


def audit_records(site: Path) -> list[dict]:
    path = site / "data" / "writes.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_shadow_mode_logs_the_writes_and_sends_none(site, example_build, caplog):
    app_path = writing_app(site, example_build, maximum=1800.0)
    config = config_for(site, app_path, shadow=True)
    runtime = AppRuntime(load_app(config), config)
    with caplog.at_level("INFO", logger="app_packager.runtime"):
        run_until(runtime, lambda: runtime.writes.written >= 2)
    assert [r for r in caplog.records if r.getMessage().startswith("shadow: would write hydraulic_power")]
    assert audit_records(site) == []  # nothing reached the device, not even a refusal


def test_a_write_outside_the_permitted_range_is_refused_and_not_sent(site, example_build, caplog):
    app_path = writing_app(site, example_build, maximum=0.001)  # the pump's hydraulic power is far above
    config = config_for(site, app_path)
    runtime = AppRuntime(load_app(config), config)
    with caplog.at_level("WARNING", logger="app_packager.runtime"):
        run_until(runtime, lambda: runtime.writes.refused >= 2)
    assert runtime.writes.written == 0
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert any("outside the permitted range 0 … 0.001" in r.getMessage() for r in refusals)
    assert audit_records(site) == []


def test_a_write_within_the_apps_limits_goes_through_the_audited_safe_write(site, example_build):
    app_path = writing_app(site, example_build, maximum=1800.0)
    config = config_for(site, app_path)
    runtime = AppRuntime(load_app(config), config)
    run_until(runtime, lambda: len(audit_records(site)) >= 1)
    record = audit_records(site)[0]
    # safe_write checks the device profile's own limits too: the pump's setpoint takes 300 … 1750 rpm only
    assert record["point"] == "speed_setpoint" and record["device"] == "pump-station-opcua"
    assert record["result"].startswith("refused:") and "outside the write limit 300…1750" in record["result"]


def test_outputs_go_bad_while_the_device_is_down_and_recover(site, example_build, simulator):
    config = config_for(site, example_build)
    recorder = Recorder()
    runtime = AppRuntime(load_app(config), config, on_tick=recorder)
    phases: list[str] = []

    def condition() -> bool:
        quality = recorder.last_quality("hydraulic_power")
        if not phases and quality == GOOD:
            phases.append("good")
            simulator.kill()
        elif phases == ["good"] and quality == BAD:
            phases.append("bad")
            simulator.start()
        elif phases == ["good", "bad"] and quality == GOOD:
            phases.append("good again")
        return len(phases) == 3

    try:
        run_until(runtime, condition, deadline_s=90)
    finally:
        if simulator.process.poll() is not None:
            simulator.start()
    assert phases == ["good", "bad", "good again"]


def test_sigterm_ends_app_run_cleanly_with_json_lines(site, example_build, tmp_path):
    command = [sys.executable, "-m", "workbench", "app", "run", str(example_build), "--bind",
               str(site / "bindings.yaml"), "--devices", str(site / "devices"), "--data", str(site / "data"),
               "--allow-unsigned", "--rate", "10"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, f"app run ended early: {process.stderr.read()}"
            lines.append(json.loads(line))
            if lines[-1]["message"].startswith("device pump-station-opcua connected"):
                break
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        out, err = process.communicate(timeout=15)
        ended_after = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert ended_after < 5, f"SIGTERM took {ended_after:.1f} s"
    lines += [json.loads(line) for line in out.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(entry["message"].startswith("running org.millwright.examples.pump-efficiency") for entry in lines)
    assert lines[-1]["message"].startswith("stopped after")
    assert (site / "data" / "state.pickle").is_file()


def first_good(recorder: Recorder, column: str) -> float:
    values = Chunk.join([tick[column] for tick in recorder.outputs if column in tick])
    return float(values.v[values.q == GOOD][0])


def test_the_totals_carry_over_a_restart_and_a_changed_graph_starts_afresh(site, example_build, caplog):
    config = config_for(site, example_build)
    first = Recorder()
    runtime = AppRuntime(load_app(config), config, on_tick=first)
    run_until(runtime, lambda: first.good_ticks("volume") == 5)
    volume = float(first.outputs[-1]["volume"].v[-1])
    assert volume > 0

    again = Recorder()
    run_until(AppRuntime(load_app(config), config, on_tick=again), lambda: again.good_ticks("volume") == 5)
    assert first_good(again, "volume") >= volume  # the integral went on from where it stopped

    renamed = variant(example_build, site / "other", id="org.millwright.examples.other-pump")
    fresh = Recorder()
    with caplog.at_level("WARNING", logger="app_packager.runtime.state"):
        run_until(AppRuntime(load_app(config_for(site, renamed)), config_for(site, renamed), on_tick=fresh),
                  lambda: fresh.good_ticks("volume") == 5)
    assert "was saved by another graph" in caplog.text
    assert first_good(fresh, "volume") < volume


def test_a_parameter_changed_while_running_takes_effect_and_a_refused_one_changes_nothing(site, example_build,
                                                                                            caplog):
    config = config_for(site, example_build)
    app = load_app(config)
    recorder = Recorder()
    runtime = AppRuntime(app, config, on_tick=recorder)
    asked: dict[str, int] = {}

    def done() -> bool:
        if recorder.good_ticks("shaft_power") == 5 and "power_factor" not in asked:
            asked["power_factor"] = len(recorder.outputs)  # ticks before the change was asked for
            threading.Thread(target=runtime.request_parameter, args=("power_factor", 0.43)).start()
            runtime.request_parameter("rated_power", 5000.0)  # outside 0.1 … 1000: refused
        return "power_factor" in asked and len(recorder.outputs) >= asked["power_factor"] + 10

    with caplog.at_level("INFO", logger="app_packager.runtime.core"):
        run_until(runtime, done)
    motor = next(plan.component for plan in app.compiled.plans if plan.id == "motor")
    assert motor.p["power_factor"] == 0.43 and motor.p["rated_power"] == 22.0
    assert "parameter power_factor set to 0.43" in caplog.text
    assert "parameter rated_power not changed: --param rated_power=5000: outside" in caplog.text
    # Ticks long after the request: the new power factor, the other parameters as they were.
    changed = type(motor)({**motor.p})
    for tick_inputs, tick_outputs in zip(recorder.inputs[-3:], recorder.outputs[-3:], strict=True):
        expected = changed.process({"current": tick_inputs["motor_current"]}, changed.init_state())["shaft_power"]
        np.testing.assert_allclose(tick_outputs["shaft_power"].v, expected.v, rtol=1e-12)
    before = recorder.outputs[asked["power_factor"] - 1]["shaft_power"]
    old = type(motor)({**motor.p, "power_factor": 0.86})
    np.testing.assert_allclose(before.v, old.process({"current": recorder.inputs[asked["power_factor"] - 1][
        "motor_current"]}, old.init_state())["shaft_power"].v, rtol=1e-12)
