"""The data browser's model on a real SQLite store: envelopes equal min/max per bucket computed by brute
force, wide requests answered from the overview without reading, narrow ones read as samples, bad
quality shown as missing, cancel between blocks; recording and tag rows from the store's metadata."""

from __future__ import annotations

import numpy as np
import pytest

from device_browser.data_browser import Cancelled, EnvelopeReader, recording_rows, tag_rows
from device_browser.store import TagInfo, open_store
from nodes.chunk import BAD

T0 = 1_764_057_600_000_000_000
N = 300_000  # samples, 1 ms apart, in blocks of 4,096 (many blocks, as a long recording has)


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "recordings.sqlite", block_size=4096) as store:
        rec = store.create_recording("run", operator="li.wei", devices=["pump"], started=T0)
        store.define_tags(rec, [TagInfo("x", "bar", "pump")])
        rng = np.random.default_rng(3)
        t = T0 + np.arange(N, dtype=np.int64) * 1_000_000
        t[N // 2:] += 7 * 10**9  # a 7 s hole in the middle
        v = np.cumsum(rng.normal(size=N))
        q = np.zeros(N, np.uint8)
        q[1000:1010] = BAD
        store.append(rec, {"x": (t, v, q)})
        store.add_gap(rec, int(t[N // 2 - 1]) + 1, int(t[N // 2]), device="pump", reason="link lost")
        yield store, rec, t, np.where(q == BAD, np.nan, v), v


def brute(t, v, start, end, buckets):
    """Min and max of the samples in each of ``buckets`` equal slices of [start, end), with a Python loop."""
    lo, hi = np.full(buckets, np.nan), np.full(buckets, np.nan)
    width = (end - start) / buckets
    for k in range(buckets):
        inside = (t >= start + k * width) & (t < start + (k + 1) * width)
        if inside.any() and not np.isnan(v[inside]).all():
            lo[k], hi[k] = np.nanmin(v[inside]), np.nanmax(v[inside])
    return lo, hi


def reader_of(store, rec, overview_buckets=2048):
    (row,) = tag_rows(store, rec)
    return EnvelopeReader(store, rec, "x", row.first_ns, row.last_ns, row.count, overview_buckets=overview_buckets)


def test_an_envelope_is_the_min_and_max_of_each_bucket(store):
    store, rec, t, v, _raw = store
    reader = reader_of(store, rec, overview_buckets=512)  # coarser than the request: read from the store
    start, end = int(t[20_000]), int(t[200_000])  # across the hole: buckets there stay empty
    envelope = reader.envelope(start, end, 997)
    assert not envelope.exact and envelope.read == 180_000 and not reader.has_overview
    inside = (t >= start) & (t < end)
    lo, hi = brute(t[inside], v[inside], start, end, 997)
    found = ~np.isnan(lo)
    assert 0 < found.sum() < 997  # the hole leaves buckets empty
    shown = ~np.isnan(envelope.lo)
    assert np.array_equal(envelope.lo[shown], lo[found]) and np.array_equal(envelope.hi[shown], hi[found])
    assert len(envelope) <= 2 * 997
    x, y = envelope.points()
    assert len(x) == len(y) == len(envelope) and np.all(np.diff(x) >= 0)


def test_wide_requests_come_from_the_overview_without_reading(store):
    store, rec, t, v, _raw = store
    reader = reader_of(store, rec)
    progress = []
    whole = reader.envelope(int(t[0]), int(t[-1]) + 1, 400, progress=lambda done, total: progress.append(done))
    assert reader.has_overview and progress[-1] == N  # built from every sample, once, with progress
    assert whole.read == 0
    assert np.nanmax(whole.hi) == np.nanmax(v) and np.nanmin(whole.lo) == np.nanmin(v)
    again = reader.envelope(int(t[1000]), int(t[250_000]), 300)  # buckets wider than the overview's
    assert again.read == 0 and len(again) <= 600
    lo, hi = brute(t, v, int(t[1000]), int(t[250_000]), 300)
    # re-binned from 2,048 overview buckets: each bucket's extremes, up to one overview bucket at its edges
    assert np.nanmax(again.hi) == pytest.approx(np.nanmax(hi)) and np.nanmin(again.lo) <= np.nanmin(lo)


def test_a_narrow_range_is_read_as_its_samples(store):
    store, rec, t, v, _raw = store
    reader = reader_of(store, rec)
    envelope = reader.envelope(int(t[995]), int(t[1400]), 800)
    assert envelope.exact and envelope.read == 405
    assert np.array_equal(envelope.t, t[995:1400])
    assert np.isnan(envelope.lo[5:15]).all()  # bad quality: drawn as a break, not as a value
    assert np.array_equal(envelope.lo[15:], v[1010:1400])


def test_a_request_is_called_off_between_blocks(store):
    store, rec, t, _, _raw = store
    reader = reader_of(store, rec)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        reader.envelope(int(t[0]), int(t[-1]) + 1, 400, cancelled=cancelled)
    assert not reader.has_overview and len(calls) == 4


def test_recording_and_tag_rows(store):
    store, rec, t, _, v = store
    (row,) = recording_rows(store)
    assert (row.recording.name, row.tags, row.samples) == ("run", 1, N)
    assert row.first_ns == t[0] and row.last_ns == t[-1]
    assert row.duration_s == pytest.approx((t[-1] - T0) / 1e9)
    assert row.size_bytes == store.stored_bytes(rec)
    (tag,) = tag_rows(store, rec)
    assert (tag.name, tag.unit, tag.device, tag.count, tag.values, tag.gaps) == ("x", "bar", "pump", N, N, 1)
    assert tag.min == v.min() and tag.max == v.max()  # statistics of the stored values, whatever their quality
    assert tag.mean == pytest.approx(v.mean())
