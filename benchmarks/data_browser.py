"""Data view (issue 21 item 6): what the plot of a 10 M-sample tag costs, against reading the range whole.

An SQLite store holds one tag of 10 M samples (1 kHz for 10,000 s, default blocks). The data view asks
:class:`~device_browser.data_browser.EnvelopeReader` for the min/max per pixel of the range shown,
1,600 pixels wide:

* ``first plot``: the whole recording, which builds the 8,192-bucket overview block by block;
* ``pan, zoomed out``: 80 % of the recording, shifted (answered from the overview);
* ``zoom 1 %``: 100 k samples around the middle (streamed from the store);
* ``zoom 0.01 %``: 1,000 samples (the samples themselves).

Baseline in the same run, the straightforward way: ``store.read_chunk`` of the range, then the same
min/max per bucket over the whole array (no overview, no streaming). Peak memory (tracemalloc, which
sees numpy's buffers) is reported for the first plot both ways. Medians of ``ROUNDS``.

Run: ``python -m benchmarks data_browser`` (results in ``benchmarks/results/data_browser.json``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from device_browser.data_browser import EnvelopeReader, _Buckets
from device_browser.store import open_store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "data_browser.json"
SAMPLES = 10_000_000
PIXELS = 1600
ROUNDS = 5
T0 = 1_764_057_600_000_000_000
STEP = 1_000_000  # 1 kHz


def _fill(path: Path) -> None:
    with open_store(path) as store:
        rec = store.create_recording("vibration run", started=T0)
        t = T0 + np.arange(SAMPLES, dtype=np.int64) * STEP
        store.append(rec, {"vibration": (t, np.sin(np.arange(SAMPLES) / 5e4) + 0.1 * np.random.default_rng(1).
                                         standard_normal(SAMPLES))})


def _naive(store, start: int, end: int) -> int:
    """Read the range whole, then min/max per pixel: the same picture without overview or streaming."""
    chunk = store.read_chunk("vibration", start, end, recording="vibration run")
    buckets = _Buckets(start, end, PIXELS)
    buckets.add(chunk.t, chunk.v, chunk.q)
    return len(buckets.envelope(len(chunk.t)))


def _timed(work) -> tuple[float, object]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def _peak(work) -> float:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recordings.sqlite"
        _fill(path)
        end_all = T0 + SAMPLES * STEP
        middle = T0 + SAMPLES * STEP // 2
        ranges = {"first plot": (T0, end_all),
                  "pan, zoomed out": (T0 + SAMPLES * STEP // 10, T0 + SAMPLES * STEP * 9 // 10),
                  "zoom 1 %": (middle - SAMPLES * STEP // 200, middle + SAMPLES * STEP // 200),
                  "zoom 0.01 %": (middle - 500 * STEP, middle + 500 * STEP)}
        figures: dict[str, dict[str, float]] = {name: {"view_s": [], "naive_s": [], "points": 0, "read": 0}
                                                for name in ranges}
        with open_store(path, read_only=True) as store:
            for _ in range(ROUNDS):
                reader = EnvelopeReader(store, "vibration run", "vibration", T0, end_all - STEP, SAMPLES)
                for name, (start, end) in ranges.items():  # in this order, as a user zooms
                    seconds, envelope = _timed(lambda s=start, e=end, r=reader: r.envelope(s, e, PIXELS))
                    figures[name]["view_s"].append(seconds)
                    figures[name]["points"], figures[name]["read"] = len(envelope), envelope.read
                    seconds, _ = _timed(lambda s=start, e=end: _naive(store, s, e))
                    figures[name]["naive_s"].append(seconds)
            fresh = EnvelopeReader(store, "vibration run", "vibration", T0, end_all - STEP, SAMPLES)
            peak_view = _peak(lambda: fresh.envelope(T0, end_all, PIXELS))
            peak_naive = _peak(lambda: _naive(store, T0, end_all))
    results = {"benchmark": "data_browser", "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
               "samples": SAMPLES, "pixels": PIXELS, "rounds": ROUNDS, "ranges": {}}
    for name, figure in figures.items():
        view, naive = statistics.median(figure["view_s"]), statistics.median(figure["naive_s"])
        results["ranges"][name] = {"view_s": round(view, 4), "naive_s": round(naive, 4),
                                   "speedup": round(naive / max(view, 1e-6), 1), "points_drawn": figure["points"],
                                   "samples_read": figure["read"]}
        print(f"data_browser {name:16s} view {view * 1e3:8.1f} ms  read-whole {naive * 1e3:8.1f} ms  "
              f"({naive / max(view, 1e-6):7.1f}×)  {figure['points']} points, {figure['read']:,} samples read")
    results["peak_memory_mb"] = {"view_first_plot": round(peak_view, 1), "read_whole": round(peak_naive, 1)}
    print(f"data_browser peak memory of the first plot: {peak_view:.1f} MB (read whole: {peak_naive:.1f} MB)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
