"""The store's API on SQLite and PostgreSQL alike: exact round trips, ranges across blocks, long and
wide frames, chunks, statistics against numpy, recordings, tags, gaps, annotations and refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from device_browser.store import Recording, StoreError, StoreReadOnlyError, TagInfo, open_store
from nodes.chunk import BAD, Chunk

T0 = 1_764_748_800_123_456_789  # 2025-12-03 08:00:00.123456789 UTC, ns precision on purpose


def _signal(n: int, seed: int = 0, step: int = 1_000_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = T0 + np.arange(n, dtype=np.int64) * step + rng.integers(0, 1000, n)
    v = rng.normal(50, 5, n)
    v[rng.integers(0, n, n // 20)] = np.nan
    v[3] = -0.0
    q = np.where(np.isnan(v), BAD, rng.integers(0, 2, n)).astype(np.uint8)
    return t, v, q


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-identical float arrays (NaN == NaN, -0.0 != 0.0)."""
    return a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))


def test_many_tags_round_trip_exactly_across_blocks(store):
    rec = store.create_recording("pump test", operator="li.wei", devices=["pump_station"], notes="night shift")
    data = {name: _signal(10_000, seed) for seed, name in enumerate(["flow", "pressure", "speed"])}
    assert store.append(rec, data, block_size=777) == 30_000
    for name, (t, v, q) in data.items():
        chunk = store.read_chunk(name, recording=rec)
        assert np.array_equal(chunk.t, t) and _same(chunk.v, v) and np.array_equal(chunk.q, q)
    long = store.read(["pressure", "flow"], recording="pump test")
    assert list(long.columns) == ["time", "tag", "value", "quality"]
    assert list(long.tag.cat.categories) == ["pressure", "flow"] and long.tag.iloc[0] == "pressure"
    assert str(long.time.dtype) == "datetime64[ns, UTC]"
    flow = long[long.tag == "flow"]
    assert np.array_equal(pd.DatetimeIndex(flow.time).asi8, data["flow"][0])
    assert _same(flow.value.to_numpy(), data["flow"][1]) and np.array_equal(flow.quality.to_numpy(), data["flow"][2])


@pytest.mark.parametrize("lo, hi", [(0, 10_000), (776, 778), (777, 1554), (1000, 1001), (5, 5), (9_999, 20_000)])
def test_half_open_ranges_cut_blocks_exactly(store, lo, hi):
    t, v, q = _signal(10_000, 7)
    rec = store.create_recording("r")
    store.append(rec, {"x": (t, v, q)}, block_size=777)
    start = int(t[lo]) if lo < len(t) else int(t[-1]) + 1
    end = int(t[hi]) if hi < len(t) else int(t[-1]) + 1
    chunk = store.read_chunk("x", start, end, recording=rec)
    assert np.array_equal(chunk.t, t[lo:hi]) and _same(chunk.v, v[lo:hi]) and np.array_equal(chunk.q, q[lo:hi])
    streamed = list(store.iter_chunks("x", start, end, recording=rec, samples=500))
    joined = Chunk.join(streamed) if streamed else Chunk.empty()
    assert np.array_equal(joined.t, t[lo:hi]) and _same(joined.v, v[lo:hi])
    assert all(len(c) >= 500 for c in streamed[:-1])


def test_appends_out_of_order_and_across_calls_read_back_sorted(store):
    t, v, q = _signal(3000, 2)
    order = np.random.default_rng(1).permutation(3000)
    rec = store.create_recording("r")
    store.append(rec, {"x": (t[order[:1500]], v[order[:1500]], q[order[:1500]])}, block_size=100)
    store.append(rec, {"x": Chunk(t[order[1500:]], v[order[1500:]], q[order[1500:]])}, block_size=100)
    chunk = store.read_chunk("x", recording=rec)
    assert np.array_equal(chunk.t, t) and _same(chunk.v, v) and np.array_equal(chunk.q, q)


def test_wide_form_joins_tags_on_the_union_of_times(store):
    rec = store.create_recording("r")
    store.append(rec, {"a": (np.array([10, 20, 30]), np.array([1.0, 2.0, 3.0])),
                       "b": (np.array([20, 25]), np.array([5.0, np.nan]), np.array([0, 1]))})
    wide = store.read(recording=rec, form="wide", with_quality=True)
    assert wide.index.name == "time" and wide.index.asi8.tolist() == [10, 20, 25, 30]
    assert wide["a"].tolist()[:2] == [1.0, 2.0] and np.isnan(wide["a"].iloc[2]) and wide["a"].iloc[3] == 3.0
    assert np.isnan(wide["b"].iloc[0]) and wide["b"].iloc[1] == 5.0 and np.isnan(wide["b"].iloc[2])
    assert wide["b quality"].tolist() == [BAD, 0, 1, BAD]
    window = store.read(["a"], 15, 30, recording=rec, form="wide")
    assert window.index.asi8.tolist() == [20] and list(window.columns) == ["a"]


def test_statistics_equal_numpy_over_whole_and_cut_blocks(store):
    t, v, q = _signal(5000, 4)
    rec = store.create_recording("r", devices=["plc1"])
    store.define_tags(rec, [TagInfo("x", unit="bar", device="plc1", point="p", ref="plc1/p")])
    store.append(rec, {"x": (t, v, q), "y": (t[:10], np.full(10, np.nan))}, block_size=300)
    store.add_gap(rec, t[100], t[200], device="plc1", reason="connection lost")
    store.add_gap(rec, t[4000], None, device="other")
    for lo, hi in [(0, 5000), (150, 4321), (299, 301)]:
        start, end = int(t[lo]), int(t[hi - 1]) + 1
        stats = store.statistics(["x", "y"], start, end, recording=rec)
        part = v[lo:hi]
        row = stats.loc["x"]
        assert row["count"] == hi - lo and row["values"] == np.count_nonzero(~np.isnan(part))
        assert row["min"] == np.nanmin(part) and row["max"] == np.nanmax(part)
        assert row["mean"] == pytest.approx(np.nanmean(part), rel=1e-12)
        assert row["first"].value == t[lo] and row["last"].value == t[hi - 1]
        assert row["unit"] == "bar" and row["gaps"] == (1 if lo < 200 else 0)
    y = store.statistics(recording=rec).loc["y"]
    assert y["count"] == 10 and y["values"] == 0 and np.isnan(y["mean"]) and np.isnan(y["min"])


def test_a_tag_in_two_recordings_reads_as_one_series_or_per_recording(store):
    first, second = store.create_recording("day 1"), store.create_recording("day 2")
    store.append(first, {"x": (np.array([1, 2]), np.array([1.0, 2.0]))})
    store.append(second, {"x": (np.array([3, 4]), np.array([3.0, 4.0]))})
    assert store.read_chunk("x").v.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert store.read_chunk("x", recording=second).v.tolist() == [3.0, 4.0]
    stats = store.statistics("x")
    assert stats.loc["x", "recordings"] == 2 and stats.loc["x", "count"] == 4 and stats.loc["x", "mean"] == 2.5


def test_compact_merges_small_blocks_and_keeps_every_sample(store):
    t, v, q = _signal(2000, 5)
    rec = store.create_recording("r")
    for i in range(0, 2000, 10):  # a recorder writing every second
        store.append(rec, {"x": (t[i:i + 10], v[i:i + 10], q[i:i + 10])})
    store.append(rec, {"y": (t, v)}, block_size=2000)
    removed = store.compact(rec, block_size=512)
    assert removed == 200 - 4  # 2000 samples in blocks of at most 512; y's one full block is left alone
    chunk = store.read_chunk("x", recording=rec)
    assert np.array_equal(chunk.t, t) and _same(chunk.v, v) and np.array_equal(chunk.q, q)
    assert store.compact(rec, block_size=512) == 0
    assert store.statistics("x", recording=rec).loc["x", "count"] == 2000


def test_recordings_and_tags_are_listed_and_updated(store):
    rec = store.create_recording("commissioning", operator="a.b", devices=["plc1", "pump"], notes="n",
                                 started="2026-12-01T08:00:00")
    assert isinstance(rec, Recording) and rec.started_ns == pd.Timestamp("2026-12-01T08:00:00Z").value
    store.define_tags(rec, [TagInfo("flow", "m^3/h", "pump", "flow", "pump/flow"),
                            TagInfo("speed", "rpm", "plc1", "", "plc1@40001")])
    store.append(rec, {"flow": (np.array([1]), np.array([1.0])), "extra": (np.array([1]), np.array([1.0]))})
    assert [(t.name, t.unit, t.device, t.point, t.ref) for t in store.tags(rec)] == [
        ("flow", "m^3/h", "pump", "flow", "pump/flow"), ("speed", "rpm", "plc1", "", "plc1@40001"),
        ("extra", "", "", "", "")]
    store.define_tags(rec, [TagInfo("flow", "l/s", "pump", "flow", "pump/flow")])
    assert store.tags(rec)[0].unit == "l/s"
    done = store.finish_recording(rec, ended="2026-12-01T09:00:00Z")
    assert done.ended_ns - done.started_ns == 3600 * 10**9 and done.devices == ("plc1", "pump")
    renamed = store.update_recording(done, name="commissioning 1", notes="valve 3 stuck")
    assert [r.name for r in store.recordings()] == ["commissioning 1"] and renamed.notes == "valve 3 stuck"
    with pytest.raises(StoreError, match="already a recording named 'commissioning 1'"):
        store.create_recording("commissioning 1")
    other = store.create_recording("other")
    with pytest.raises(StoreError, match="already a recording named 'commissioning 1'"):
        store.update_recording(other, name="commissioning 1")
    store.delete_recording(other)
    store.delete_recording(renamed)
    assert store.recordings() == [] and store.tags() == []
    with pytest.raises(StoreError, match="no recording 'commissioning 1'"):
        store.read_chunk("flow", recording="commissioning 1")


def test_a_recording_cannot_be_renamed_to_a_blank_name(store):
    """create_recording refused a blank name but update_recording stored it."""
    rec = store.create_recording("r")
    for blank in ("", "   "):
        with pytest.raises(StoreError, match="a recording needs a name"):
            store.update_recording(rec, name=blank)
    assert [r.name for r in store.recordings()] == ["r"]


def test_annotations_crud_and_data_selected_by_label(store):
    t, v, q = _signal(1000, 9)
    first, second = store.create_recording("a"), store.create_recording("b")
    store.append(first, {"x": (t, v, q)}, block_size=64)
    store.append(second, {"x": (t + 10**12, v, q)}, block_size=64)
    one = store.annotate(first, t[100], t[200], "pump cavitating", note="inlet valve throttled", author="li")
    store.annotate(second, t[300] + 10**12, t[310] + 10**12, "pump cavitating")
    other = store.annotate(first, t[0], t[5], "start-up", tags=["x"])
    assert [a.label for a in store.annotations(first)] == ["start-up", "pump cavitating"]
    assert [a.id for a in store.annotations(label="pump cavitating")] == [one.id, one.id + 1]
    assert store.annotations(start=t[201], end=t[250]) == []
    selected = store.read_chunk("x", label="pump cavitating")
    assert np.array_equal(selected.t, np.concatenate([t[100:200], t[300:310] + 10**12]))
    assert _same(selected.v, np.concatenate([v[100:200], v[300:310]]))
    assert len(store.read("x", recording=first, label="pump cavitating")) == 100
    changed = store.update_annotation(one, end=t[150], label="cavitation", note="")
    assert (changed.end_ns, changed.label, changed.note, changed.author) == (t[150], "cavitation", "", "li")
    assert len(store.read_chunk("x", label="cavitation")) == 50
    store.delete_annotation(other)
    assert store.annotations(label="start-up") == []
    with pytest.raises(StoreError, match="no annotation is labelled 'start-up'"):
        store.read_chunk("x", label="start-up")
    with pytest.raises(StoreError, match="end is before the start"):
        store.annotate(first, t[10], t[5], "backwards")


def test_gaps_are_recorded_open_and_closed(store):
    rec = store.create_recording("r")
    gap = store.add_gap(rec, 1000, device="plc1", reason="connection refused")
    assert store.gaps(rec, start=5000)[0].end_ns is None  # an open gap lasts until now
    closed = store.end_gap(gap, 3000)
    assert (closed.start_ns, closed.end_ns, closed.device, closed.reason) == (1000, 3000, "plc1", "connection refused")
    assert store.gaps(rec, start=5000) == [] and store.gaps(rec, start=2000, end=2500) == [closed]
    assert store.gaps(device="other") == []


def test_bad_input_is_refused_naming_the_tag(store):
    rec = store.create_recording("r")
    with pytest.raises(StoreError, match="tag 'flow': 3 timestamps, 2 values and 3 qualities"):
        store.append(rec, {"flow": (np.arange(3), np.zeros(2), np.zeros(3))})
    with pytest.raises(StoreError, match="tag 'flow': timestamps must be int64 nanoseconds"):
        store.append(rec, {"flow": (np.array([0.5, 1.5]), np.zeros(2))})
    with pytest.raises(StoreError, match="tag 'flow'"):
        store.append(rec, {"flow": (np.arange(2), np.array(["a", "b"]))})
    # A cast to uint8 would store 300 as 44 and a uint64 time beyond int64 as a time before 1970.
    with pytest.raises(StoreError, match="tag 'flow': quality 300 is outside 0 to 255"):
        store.append(rec, {"flow": (np.arange(2), np.zeros(2), np.array([300, 0]))})
    with pytest.raises(StoreError, match="tag 'flow': quality 300 is outside 0 to 255"):
        store.append(rec, {"flow": (np.arange(2), np.zeros(2), [300, 0])})
    with pytest.raises(StoreError, match="tag 'flow': quality -1 is outside 0 to 255"):
        store.append(rec, {"flow": (np.arange(2), np.zeros(2), np.array([0, -1]))})
    with pytest.raises(StoreError, match="tag 'flow': qualities must be whole numbers"):
        store.append(rec, {"flow": (np.arange(2), np.zeros(2), np.array([0.5, 1.0]))})
    with pytest.raises(StoreError, match="tag 'flow': timestamp 9223372036854775813 is beyond int64"):
        store.append(rec, {"flow": (np.array([1, 2**63 + 5], np.uint64), np.zeros(2))})
    with pytest.raises(StoreError, match="has no tag 'nope'"):
        store.read(["nope"], recording=rec)
    with pytest.raises(StoreError, match="is a number with a fraction"):
        store.read_chunk("flow", 1.5)
    assert store.tags(rec) == []  # nothing of a refused call was written


def test_a_failed_append_keeps_nothing_of_the_call(store):
    rec = store.create_recording("r")
    with pytest.raises(StoreError):
        store.append(rec, {"good": (np.arange(5), np.ones(5)), "bad": (np.arange(5), np.ones(4))})
    assert store.tags(rec) == []


def test_datetime64_timestamps_and_text_ranges(store):
    rec = store.create_recording("r")
    t = np.array(["2026-12-01T08:00:00", "2026-12-01T08:00:01", "2026-12-01T08:00:02"], "datetime64[ns]")
    store.append(rec, {"x": (t, [1.0, 2.0, 3.0])})
    frame = store.read("x", "2026-12-01T08:00:01", "2026-12-01 08:00:02+00:00")
    assert frame.value.tolist() == [2.0] and frame.time.iloc[0] == pd.Timestamp("2026-12-01T08:00:01Z")


def test_text_times_are_year_first_and_now_is_utc(monkeypatch):
    """pandas read 03.12.2026 as the 12th of March, and 'now' as the local wall clock taken as UTC (8 h off in
    Shanghai); both are refused or right now, whatever the machine's time zone."""
    import time

    from device_browser.store import to_ns

    for text in ("03.12.2026", "12/03/2026 08:00", "3 Dec 2026", "today"):
        with pytest.raises(StoreError, match=f"start: '{text}' is not a date-time in ISO 8601 form; write the year"):
            to_ns(text, "start")
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert to_ns("2026-12-03") == pd.Timestamp("2026-12-03T00:00Z").value
        assert to_ns(" 2026/12/03 08:00 ") == pd.Timestamp("2026-12-03T08:00Z").value
        assert to_ns("2026-12-03T16:00+08:00") == pd.Timestamp("2026-12-03T08:00Z").value
        before = time.time_ns()
        now = to_ns("now")
        assert before <= now <= time.time_ns()
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_read_only_store_refuses_writes_with_the_reason(store_url):
    with open_store(store_url) as store:
        store.append(store.create_recording("r"), {"x": (np.arange(3), np.ones(3))})
    with open_store(store_url, read_only=True) as store:
        assert store.read_only and store.read_chunk("x").v.tolist() == [1.0, 1.0, 1.0]
        with pytest.raises(StoreReadOnlyError, match="cannot append samples to the recording 'r': opened read-only"):
            store.append("r", {"x": (np.arange(3), np.ones(3))})
        with pytest.raises(StoreReadOnlyError):
            store.annotate("r", 0, 1, "label")


def test_compact_of_many_tiny_blocks_commits_in_bounded_batches(store, monkeypatch):
    from sqlalchemy import event

    from device_browser.store import store as store_module

    monkeypatch.setattr(store_module, "COMPACT_BLOCKS", 25)
    t, v, q = _signal(200, 9)
    rec = store.create_recording("many tags")
    for i in range(0, 200, 10):  # 20 one-second commits of 10 tags: 200 blocks of 10 samples
        store.append(rec, {f"tag{k}": (t[i:i + 10], v[i:i + 10], q[i:i + 10]) for k in range(10)})
    commits = []
    event.listen(store.engine, "commit", lambda connection: commits.append(1))
    assert store.compact(rec) == 200 - 10
    # A batch closes once it holds 25 blocks or more: two tags' runs of 20 each, so five merges, not one.
    assert len(commits) >= 5
    for k in range(10):
        chunk = store.read_chunk(f"tag{k}", recording=rec)
        assert np.array_equal(chunk.t, t) and _same(chunk.v, v) and np.array_equal(chunk.q, q)
