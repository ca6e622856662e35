"""Replay: a recording (store, exchange file, DataFrame) as a graph source, in batch and paced."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from device_browser.exchange import CsvMapping, export_recording, read_file
from device_browser.recordings import RecordingError, open_sink
from device_browser.replay import ManualClock, Replay
from device_browser.store import TagInfo, open_store
from nodes.align import Rule
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.engine import compile_graph, run_batch
from nodes.graph import Graph
from workbench.graph_commands import run_recording

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "pump_station"
UNITS = {"acc": "m/s^2", "speed": "rpm", "flow": "m^3/h", "discharge_pressure": "bar", "motor_current": "A"}
S = 1_000_000_000


@pytest.fixture(scope="module")
def pump_run():
    return read_file(EXAMPLE / "data" / "pump_run.csv")


@pytest.fixture
def store(tmp_path, pump_run):
    """A store holding the example recording, with its tags' units."""
    with open_store(tmp_path / "recordings.sqlite", block_size=8192) as store:
        recording = store.create_recording("pump run", operator="test", devices=["pump_station"])
        store.define_tags(recording, [TagInfo(name, UNITS[name], "pump_station") for name in pump_run.chunks])
        store.append(recording, pump_run.chunks)
        yield store


def _graph(name: str):
    return compile_graph(Graph.from_text((EXAMPLE / "graphs" / f"{name}.json").read_text()))


def _outputs(chunks_per_push: list[dict[str, Chunk]]) -> dict[str, Chunk]:
    names = chunks_per_push[0].keys()
    return {n: Chunk.join([c[n] for c in chunks_per_push]) for n in names}


@pytest.mark.parametrize("graph", ["pump_efficiency", "vibration_alarm"])
def test_replay_through_a_graph_equals_the_graph_on_the_exported_csv(store, tmp_path, graph):
    compiled = _graph(graph)
    exported = tmp_path / "pump run.csv"
    rows = export_recording(store, "pump run", exported)
    assert rows == 40_000
    header = exported.read_text().splitlines()[0]
    assert "flow [m³/h]" in header and "discharge_pressure [bar]" in header  # units travel in the headers
    by_file = tmp_path / "by_file.csv"
    run_recording(compiled, exported, by_file)  # the existing run-graph path
    replay = Replay.from_store(store, "pump run", samples=3000)
    replay.convert_units(compiled.input_units)
    by_replay = tmp_path / "by_replay.csv"
    sink = open_sink(by_replay)
    run = run_batch(compiled, replay.chunks(list(compiled.inputs), 100_000), sink.write)  # run-graph's chunk
    sink.close()
    assert not run.failures
    assert by_replay.read_bytes() == by_file.read_bytes()
    # Another chunking of the replay: the same up to the rounding of running sums across chunks.
    rechunked = tmp_path / "by_replay_7000.csv"
    sink = open_sink(rechunked)
    run_batch(compiled, replay.chunks(list(compiled.inputs), 7000), sink.write)
    sink.close()
    expected = pd.read_csv(by_file)
    assert len(expected) >= 20
    pd.testing.assert_frame_equal(pd.read_csv(rechunked), expected, rtol=1e-9)


def test_a_paced_replay_releases_samples_as_the_clock_allows_and_adds_up_to_the_batch(store):
    columns = ["flow", "speed"]
    replay = Replay.from_store(store, "pump run", columns, end="2026-11-25T08:00:04Z")
    batch = _outputs(list(replay.chunks(columns, 1000)))
    clock = ManualClock(start=100.0)
    released, due = [], []
    t0 = int(batch["flow"].t[0])
    for chunk in replay.stream(columns, speed=10.0, tick=0.05, clock=clock):
        released.append(chunk)
        due.append(t0 + (clock.now - 100.0) * 10.0 * S)
    streamed = _outputs(released)
    for name in columns:
        np.testing.assert_array_equal(streamed[name].t, batch[name].t)
        np.testing.assert_array_equal(streamed[name].v, batch[name].v)
    for chunk, limit in zip(released, due, strict=True):
        assert chunk["flow"].t[-1] <= limit  # nothing recorded after the replay's clock
    # 4 s of recording at ×10 in 50 ms ticks: 8 ticks of wall time (and one more at the start).
    assert 8 <= clock.sleeps <= 9
    assert 8 <= len(released) <= 9


def test_async_stream_on_the_running_loop_gives_the_batch(store):
    columns = ["motor_current"]
    replay = Replay.from_store(store, "pump run", columns, end="2026-11-25T08:00:01Z")

    async def collect():
        return [chunk async for chunk in replay.astream(columns, speed=200.0, tick=0.001)]

    streamed = _outputs(asyncio.run(collect()))
    batch = _outputs(list(replay.chunks(columns, 500)))
    np.testing.assert_array_equal(streamed["motor_current"].v, batch["motor_current"].v)
    assert len(batch["motor_current"]) == 2000


def test_tags_on_different_clocks_are_aligned_by_their_rules(tmp_path):
    export = tmp_path / "historian.csv"
    export.write_text("Time;Tag;Value;Quality\n"
                      "2026-11-25 08:00:00;FIC101;10,0;Good\n"
                      "2026-11-25 08:00:00.500;PT102;1,0;Good\n"
                      "2026-11-25 08:00:02;FIC101;30,0;Questionable\n"
                      "2026-11-25 08:00:03.500;PT102;2,0;Good\n", encoding="utf-8")
    mapping = CsvMapping(layout="long", time="Time", tag_column="Tag", value_column="Value",
                         quality_column="Quality", rename={"FIC101": "flow", "PT102": "pressure"},
                         units={"flow": "m3/h", "pressure": "bar"})
    replay = Replay.from_file(export, mapping, rules={"flow": Rule("linear"), "pressure": Rule("hold", 2 * S)},
                              period_ns=S)
    assert replay.units == {"flow": "m^3/h", "pressure": "bar"}
    out = _outputs(list(replay.chunks(["flow", "pressure"], 2)))
    base = pd.Timestamp("2026-11-25T08:00:00Z").value
    np.testing.assert_array_equal(out["flow"].t, base + np.arange(4) * S)  # 08:00:00 to 08:00:03
    np.testing.assert_array_equal(out["flow"].v, [10.0, 20.0, 30.0, np.nan])
    np.testing.assert_array_equal(out["flow"].q, [GOOD, UNCERTAIN, UNCERTAIN, BAD])
    np.testing.assert_array_equal(out["pressure"].v, [np.nan, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(out["pressure"].q, [BAD, GOOD, GOOD, BAD])  # 2.5 s old at 08:00:03


def test_a_dataframe_replays_with_its_quality_columns():
    index = pd.date_range("2026-11-25 08:00", periods=4, freq="1s", tz="UTC", name="time")
    frame = pd.DataFrame({"flow": [1.0, 2.0, np.nan, 4.0], "flow quality": [0, 1, 2, 0]}, index=index)
    replay = Replay.from_frame(frame)
    assert replay.columns() == ["flow"]
    (chunk,) = replay.chunks(["flow"], 10)
    np.testing.assert_array_equal(chunk["flow"].q, [GOOD, UNCERTAIN, BAD, GOOD])
    np.testing.assert_array_equal(chunk["flow"].t, index.asi8)


def test_units_are_converted_to_the_graph_s_and_wrong_ones_refused(store):
    replay = Replay.from_store(store, "pump run", ["flow"], end="2026-11-25T08:00:00.01Z")
    raw = next(replay.chunks(["flow"], 100))["flow"].v
    replay.convert_units({"flow": "L/s"})
    np.testing.assert_allclose(next(replay.chunks(["flow"], 100))["flow"].v, raw / 3.6)
    with pytest.raises(RecordingError, match="tag 'flow' is recorded in 'm\\^3/h' and the graph wants 'bar'"):
        replay.convert_units({"flow": "bar"})


def test_a_label_replays_only_the_annotated_samples(store):
    store.annotate("pump run", "2026-11-25T08:00:05Z", "2026-11-25T08:00:06Z", "rub starts")
    replay = Replay.from_store(store, "pump run", ["speed"], label="rub starts")
    out = _outputs(list(replay.chunks(["speed"], 10_000)))
    assert len(out["speed"]) == 2000  # 1 s at 2 kHz
    assert out["speed"].t[0] == pd.Timestamp("2026-11-25T08:00:05Z").value


def test_missing_tags_and_bad_settings_are_refused_by_name(store):
    with pytest.raises(RecordingError, match="no tag\\(s\\) 'torque'"):
        Replay.from_store(store, "pump run", ["flow", "torque"])
    replay = Replay.from_store(store, "pump run", ["flow"])
    with pytest.raises(RecordingError, match="the graph needs column\\(s\\) 'speed'"):
        next(replay.chunks(["speed"], 100))
    with pytest.raises(RecordingError, match="speed and tick must be positive"):
        next(replay.stream(["flow"], speed=0.0, clock=ManualClock()))
    with pytest.raises(RecordingError, match="rules for tag\\(s\\) 'speed' that are not aligned"):
        Replay.from_store(store, "pump run", ["flow"], rules={"speed": Rule("linear")})
