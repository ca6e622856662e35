"""The live recorder's commit cycle: what one second of many tags costs to make durable.

A recorder commits at least every second (a kill loses at most that second), so the work of one
commit must stay well under a second at the rates a site records. Each cycle here is what
:func:`device_browser.live_recorder.record_from_bus` does every second: the samples that arrived
(``TAGS`` tags × ``RATE`` samples per second each, as bus chunks) go to the recorder and are
committed. Sinks, in the same run:

* the recording store on SQLite (WAL, ``synchronous=FULL``: an fsync per commit), one
  transaction of per-tag blocks; after ``COMPACT_EVERY`` cycles a compaction starts on another
  thread, as the recorder runs it, and the commits made meanwhile are reported apart (with too
  many small blocks the store sink leaves it to the stop, which is timed: see
  ``device_browser.store_sink.LIVE_COMPACT_BLOCKS``);
* the baseline: the file recorder ``device poll -o FILE`` used before the store (CSV, long
  layout: a row per sample, fsync per flush), as a sink of the same recorder;
* the same file recorder writing Parquet parts.

Reported per sink: the median and worst commit cycle (without a compaction beside), the samples
per second one core can keep durable (samples per cycle / median cycle), the bytes on disk per
sample (files, with SQLite's WAL; and the store's compressed blocks alone), and the ratio of the store
to the CSV baseline. Results: benchmarks/results/recorder.json.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from device_browser.live_recorder import FileSink, LiveRecorder
from device_browser.recorder import open_recorder
from device_browser.store import TagInfo, open_store
from device_browser.store_sink import StoreSink
from nodes.chunk import Chunk

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "recorder.json"
SCENARIOS = ((100, 10), (1_000, 10), (10_000, 10))  # (tags, samples per tag per second)
CYCLES = 20
COMPACT_EVERY = 10


def second_of_data(rng: np.random.Generator, tags: list[str], rate: int, start_ns: int) -> dict[str, Chunk]:
    """One second of ``rate`` samples per tag, as a bus reader hands them over (a slow random walk)."""
    t = start_ns + np.arange(rate, dtype=np.int64) * (1_000_000_000 // rate)
    q = np.zeros(rate, np.uint8)
    walk = np.cumsum(rng.standard_normal((len(tags), rate)) * 0.01, axis=1) + 50.0
    return {tag: Chunk(t, np.round(walk[i], 3), q) for i, tag in enumerate(tags)}


def measure(sink_name: str, folder: Path, tags: list[str], rate: int) -> dict:
    rng = np.random.default_rng(1)
    store = None
    if sink_name == "store (SQLite)":
        store = open_store(folder / "recordings.sqlite")
        sink = StoreSink(store, "bench", [TagInfo(t) for t in tags])
        paths = [folder / "recordings.sqlite", folder / "recordings.sqlite-wal"]
    else:
        path = folder / ("run.csv" if "CSV" in sink_name else "run.parquet")
        sink = FileSink(open_recorder(path, tags))
        paths = [path]
    recorder = LiveRecorder(tags, [sink], compact_s=float("inf"))  # compactions started below
    recorder.start()
    cycles, beside = [], []  # commit cycles alone, and while a compaction runs on another thread
    compactions: list[float] = []
    compacting: threading.Thread | None = None
    start_ns = time.time_ns()
    for i in range(CYCLES):
        data = second_of_data(rng, tags, rate, start_ns + i * 1_000_000_000)
        during = compacting is not None and compacting.is_alive()  # a compaction runs as this cycle begins
        began = time.perf_counter()
        recorder.add_chunks(data)
        recorder.commit()
        (beside if during else cycles).append(time.perf_counter() - began)
        if store is not None and i + 1 == COMPACT_EVERY:  # as record_from_bus does: beside the commits
            compacting = threading.Thread(target=lambda: compactions.append(_timed(sink.compact)))
            compacting.start()
    if compacting is not None:
        compacting.join()
    assert recorder.recording, recorder.status.message
    stop_s = _timed(recorder.stop)  # the last commit, the compaction left to the end, finishing
    samples = recorder.status.committed
    assert samples == CYCLES * rate * len(tags)
    size = sum(_size(p) for p in paths)  # the files on disk (the store with its WAL)
    blocks = None
    if store is not None:
        assert len(store.read(tags[:1], recording="bench")) == CYCLES * rate  # all there
        blocks = store.stored_bytes("bench")  # the compressed samples alone, compacted at stop
        store.close()
    per_cycle = rate * len(tags)
    median = statistics.median(cycles)
    return {"sink": sink_name, "tags": len(tags), "rate_hz": rate, "samples_per_cycle": per_cycle,
            "median_cycle_s": round(median, 4), "worst_cycle_s": round(max(cycles), 4),
            "durable_samples_per_s": round(per_cycle / median), "bytes_per_sample": round(size / samples, 2),
            "block_bytes_per_sample": round(blocks / samples, 2) if blocks is not None else None,
            "compaction_s": round(compactions[0], 3) if compactions else None,
            "compactions_deferred_to_stop": getattr(sink, "deferred_compactions", 0), "stop_s": round(stop_s, 3),
            "cycles_beside_compaction": len(beside),
            "worst_cycle_beside_compaction_s": round(max(beside), 4) if beside else None}


def _compaction(row: dict) -> str:
    if row["compactions_deferred_to_stop"]:
        return "compaction left to the stop (too many small blocks to merge between commits)"
    if not row["cycles_beside_compaction"]:
        return f"compaction {row['compaction_s']:.1f} s, over before the next commit"
    return (f"compaction {row['compaction_s']:.1f} s beside {row['cycles_beside_compaction']} commits (worst "
            f"{row['worst_cycle_beside_compaction_s'] * 1000:.0f} ms)")


def _timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size if path.exists() else 0


def main() -> None:
    results = []
    for n_tags, rate in SCENARIOS:
        tags = [f"line3/tag{i:05d}" for i in range(n_tags)]
        by_sink = {}
        for sink_name in ("store (SQLite)", "file (CSV, long)", "file (Parquet)"):
            folder = Path(tempfile.mkdtemp(prefix="millwright-recorder-bench-"))
            try:
                by_sink[sink_name] = measure(sink_name, folder, tags, rate)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        store, csv = by_sink["store (SQLite)"], by_sink["file (CSV, long)"]
        store["vs_csv"] = round(csv["median_cycle_s"] / store["median_cycle_s"], 1)
        for row in by_sink.values():
            results.append(row)
            print(f"recorder {row['tags']:>6} tags × {row['rate_hz']} Hz  {row['sink']:18} cycle median "
                  f"{row['median_cycle_s'] * 1000:7.1f} ms, worst {row['worst_cycle_s'] * 1000:7.1f} ms; "
                  f"{row['durable_samples_per_s']:>10,} samples/s durable; {row['bytes_per_sample']:5.2f} B/sample"
                  + (f" ({row['block_bytes_per_sample']:.2f} in blocks)" if row["block_bytes_per_sample"] else "")
                  + (f"; {_compaction(row)}; stop {row['stop_s']:.1f} s; {row['vs_csv']}× the CSV recorder"
                     if "vs_csv" in row else ""))
    RESULTS.write_text(json.dumps({"load_average": os.getloadavg()[0], "cycles": CYCLES, "results": results},
                                  indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
