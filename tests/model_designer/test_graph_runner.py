"""GraphRunner: the canvas's runs over a recording (batch, paced replay) and on live bus data.

No Qt. Each step that depends on the worker thread waits for its condition under a generous
deadline, then asserts counts and values, never rates.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from device_browser.bus import LiveBus
from device_browser.tags import TagRef
from device_browser.watch import WatchItem, WatchList
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from model_designer.run import GraphRunner, LiveInput, RecordingInput, RunState, SinkBuffer, watch_bindings
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.graph import Graph, load_graph
from nodes.library import builtin_components
from nodes.registry import ComponentRegistry, default_registry
from tests.device_browser.test_host import wait_for as wait_async
from tests.nodes.test_engine import Fragile  # a component that fails on its second call
from tests.simulator_process import SimulatorProcess
from workbench.cli import main

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "pump_station"
RECORDING = EXAMPLE / "data" / "pump_run.csv"
DEADLINE = 30.0


def wait_for(condition: Callable[[], object], timeout: float = DEADLINE) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "the condition was not met within the deadline"
        time.sleep(0.01)


@pytest.fixture
def registry() -> ComponentRegistry:
    r = ComponentRegistry()
    for cls in builtin_components():
        r.register(cls)
    r.register(Fragile)
    return r


def flow_graph(middle: str = "signal.scale") -> Graph:
    """flow → ``middle`` → out "y", and flow → ×2 → out "double"."""
    g = Graph("flow")
    g.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    g.add_node("mid", middle, {"gain": 1.0} if middle == "signal.scale" else {})
    g.add_node("twice", "signal.scale", {"gain": 2.0})
    g.add_node("out", "io.output", {"column": "y"})
    g.add_node("out2", "io.output", {"column": "double"})
    for source, target in (("flow.y", "mid.x"), ("mid.y", "out.x"), ("flow.y", "twice.x"), ("twice.y", "out2.x")):
        g.connect(source, target)
    return g


def finished(runner: GraphRunner) -> GraphRunner:
    runner.start()
    assert runner.join(DEADLINE)
    return runner


@pytest.mark.parametrize("name", ["vibration_alarm", "pump_efficiency"])
def test_a_batch_run_gives_what_run_graph_writes(name, tmp_path):
    graph_path = EXAMPLE / "graphs" / f"{name}.json"
    out = tmp_path / "out.csv"
    assert main(["run-graph", str(graph_path), "-i", str(RECORDING), "-o", str(out), "-q"]) == 0
    expected = pd.read_csv(out)
    runner = finished(GraphRunner(load_graph(graph_path), default_registry(), RecordingInput(RECORDING)))
    snapshot = runner.snapshot()
    assert snapshot.state == RunState.FINISHED and snapshot.progress == 1.0
    assert set(snapshot.outputs) == set(expected.columns) - {"time"}
    expected.index = pd.to_datetime(expected.pop("time"), utc=True).dt.tz_convert(None).astype("int64")
    for column in snapshot.outputs:
        chunk = runner.output(column)
        assert snapshot.outputs[column] == len(chunk)
        # run-graph writes bad samples as empty cells and ten significant digits
        got = pd.Series(np.where(chunk.q == BAD, np.nan, chunk.v.astype(np.float64)), index=chunk.t).dropna()
        wanted = expected[column].dropna()
        np.testing.assert_array_equal(got.index, wanted.index)
        np.testing.assert_allclose(got.to_numpy(), wanted.to_numpy(), rtol=1e-9)
    assert all(status.state == "ok" and status.samples_out > 0 for status in snapshot.nodes.values())
    probe = snapshot.probes[next(iter(runner.run.compiled.inputs.values())) + ".y"]
    assert 0 < len(probe.v) <= 120 and probe.latest is not None


def test_a_failing_node_shows_its_error_while_the_others_go_on(registry, caplog):
    caplog.set_level(logging.ERROR)
    runner = finished(GraphRunner(flow_graph("test.fragile"), registry, RecordingInput(RECORDING)))
    snapshot = runner.snapshot()
    assert snapshot.state == RunState.FINISHED
    assert snapshot.nodes["mid"].state == "failed"
    assert snapshot.nodes["mid"].error == "ZeroDivisionError: division by zero in a plug-in"
    assert "division by zero in a plug-in" in caplog.text and "'mid'" in caplog.text
    assert snapshot.nodes["twice"].state == "ok" and snapshot.outputs == {"y": 40_000, "double": 40_000}
    double, y = runner.output("double"), runner.output("y")
    assert (double.q == GOOD).all() and (y.q[10_000:] == BAD).all()  # failed on its second chunk


def test_a_graph_that_cannot_run_fails_with_the_reason(registry):
    graph = flow_graph()
    graph.nodes["flow"].params["column"] = "no_such_column"
    snapshot = finished(GraphRunner(graph, registry, RecordingInput(RECORDING))).snapshot()
    assert snapshot.state == RunState.FAILED and "no_such_column" in snapshot.message


def test_a_paced_replay_pauses_steps_one_tick_and_stops(registry):
    runner = GraphRunner(flow_graph(), registry, RecordingInput(RECORDING, speed=1.0, tick_s=0.1))
    runner.start()
    try:
        wait_for(lambda: runner.snapshot().ticks >= 2)
        runner.pause()
        ticks = runner.snapshot().ticks
        time.sleep(0.3)  # a paused run pushes nothing (at most the tick already under way)
        paused = runner.snapshot()
        assert paused.state == RunState.PAUSED and paused.ticks <= ticks + 1
        runner.step()
        wait_for(lambda: runner.snapshot().ticks == paused.ticks + 1)
        assert runner.output("y").t[-1] - runner.output("y").t[0] < 10 * 10**9  # paced: not the whole file
        runner.resume()
        wait_for(lambda: runner.snapshot().ticks >= paused.ticks + 3)
    finally:
        runner.stop()
        assert runner.join(DEADLINE)
    snapshot = runner.snapshot()
    assert snapshot.state == RunState.STOPPED and 0 < snapshot.progress < 1


def test_live_values_are_held_onto_the_rate_and_go_stale(registry):
    bus = LiveBus()
    ref = TagRef("pump", point="flow")
    bus.publish(str(ref), time.time_ns(), 100.0, GOOD)
    runner = GraphRunner(flow_graph(), registry,
                         LiveInput(bus, {"flow": ref}, rate_hz=20.0, tick_s=0.05, stale_after_s=0.5))
    runner.start()
    try:
        wait_for(lambda: len(runner.output("y")) >= 5)
        bus.publish(str(ref), time.time_ns(), 120.0, GOOD)
        wait_for(lambda: 120.0 in runner.output("y").v)
        wait_for(lambda: runner.output("y").q[-1] == UNCERTAIN)  # no new value for over 0.5 s
    finally:
        runner.stop()
        assert runner.join(DEADLINE)
    y = runner.output("y")
    assert np.all(np.diff(y.t) == 50_000_000)  # one sample per grid point, none twice
    assert list(np.unique(y.v)) == [100.0, 120.0] and y.v[-1] == 120.0
    assert (runner.output("double").v[y.v == 120.0] == 240.0).all()


def test_an_unbound_input_is_named(registry):
    snapshot = finished(GraphRunner(flow_graph(), registry, LiveInput(LiveBus(), {}))).snapshot()
    assert snapshot.state == RunState.FAILED and "flow" in snapshot.message


def test_live_values_are_converted_from_the_tags_unit_to_the_inputs(registry):
    graph = flow_graph()
    graph.nodes["flow"].params["unit"] = "kPa"
    bus = LiveBus()
    ref = TagRef("pump", point="discharge_pressure", unit="bar")
    bus.publish(str(ref), time.time_ns(), 2.5, GOOD)
    runner = GraphRunner(graph, registry, LiveInput(bus, {"flow": ref, "elsewhere": TagRef("pump", point="speed")},
                                                    rate_hz=20.0, tick_s=0.05))
    runner.start()
    try:
        wait_for(lambda: len(runner.output("y")) >= 3)
        bus.publish(str(ref), time.time_ns(), 3.0, GOOD)
        wait_for(lambda: 300.0 in runner.output("y").v)
    finally:
        runner.stop()
        assert runner.join(DEADLINE)
    assert set(np.unique(runner.output("y").v)) == {250.0, 300.0}  # bar → kPa: × 100
    assert runner.snapshot().state == RunState.STOPPED  # a binding of another graph's input is left alone


def test_a_tag_whose_unit_cannot_feed_its_input_stops_the_live_run_with_the_reason(registry):
    graph = flow_graph()
    graph.nodes["flow"].params["unit"] = "degC"
    bindings = {"flow": TagRef("pump", point="discharge_pressure", unit="bar")}
    snapshot = finished(GraphRunner(graph, registry, LiveInput(LiveBus(), bindings))).snapshot()
    assert snapshot.state == RunState.FAILED and snapshot.ticks == 0
    assert snapshot.message == ("This graph cannot run on live data: input 'flow' cannot read pump/discharge_pressure: "
                                "'bar' cannot be converted to 'degC' (a pressure is not a temperature)")


def test_watch_bindings_adds_only_unwatched_tags_and_takes_them_back():
    watched = TagRef("pump", point="speed")
    watch = WatchList([watched])
    unwatch = watch_bindings(watch, {"flow": TagRef("pump", point="flow"), "speed": replace(watched, unit="rpm")},
                             100.0)  # the same tag, whatever unit its binding names
    assert [str(item.ref) for item in watch] == ["pump/speed", "pump/flow"]
    assert watch[1] == WatchItem(TagRef("pump", point="flow"), interval_ms=100.0)
    unwatch()
    assert [item.ref for item in watch] == [watched]


def test_a_sink_buffer_keeps_the_newest_rows():
    sink = SinkBuffer(capacity=5)
    for start in range(0, 12, 3):
        sink.append(Chunk.of(np.arange(start, start + 3), np.arange(start, start + 3)))
    assert sink.total == 12 and list(sink.chunk().v) == [7, 8, 9, 10, 11]


@pytest.fixture
def opcua(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    simulator.start()
    devices = tmp_path / "project" / "devices"
    devices.mkdir(parents=True)
    text, _ = simulator.profile_text()
    (devices / "pump.yaml").write_text(text.replace("id: pump-station-opcua", "id: pump"), encoding="utf-8")
    yield devices
    simulator.stop()


def test_a_live_run_follows_the_simulated_pump(opcua, tmp_path, registry):
    async def scenario() -> None:
        workspace = DeviceWorkspace(AuditLog(tmp_path / "audit.jsonl"))
        bindings = {"flow": TagRef("pump", point="flow")}
        runner = GraphRunner(flow_graph(), registry, LiveInput(workspace.bus, bindings, rate_hz=10.0))
        try:
            await workspace.open_folder(opcua)
            await workspace.connect("pump")
            unwatch = watch_bindings(workspace.watch, bindings, 100.0)
            runner.start()
            await wait_async(lambda: len(set(runner.output("y").v[runner.output("y").q == GOOD])) >= 3,
                             "three different good outputs")
            snapshot = runner.snapshot()
            assert snapshot.state == RunState.RUNNING and snapshot.nodes["twice"].samples_out > 0
            count = snapshot.outputs["double"]
            await wait_async(lambda: runner.snapshot().outputs["double"] > count, "more outputs")
            runner.stop()
            await asyncio.to_thread(runner.join, DEADLINE)
            unwatch()
            assert len(workspace.watch) == 0
        finally:
            runner.stop()
            await workspace.aclose()
        assert runner.snapshot().state == RunState.STOPPED

    asyncio.run(scenario())
