"""Engine throughput against hand-written numpy/scipy doing the same work, in the same run.

* batch: the vibration_alarm example graph and an EWMA → threshold → edge counter graph over
  10 M samples, in 1 M-sample chunks, against a script that calls scipy/numpy directly;
* streaming: the same graphs fed in 100-sample ticks;
* a 1,000-node graph: validation + scheduling (compile) time;
* the regular-sampling check (nodes/sample_clock.py) against the band-pass it guards, per call,
  on 100-sample ticks and 1 M-sample chunks of the same data.

Targets (issue 4): batch ≥ 50 % of the hand-written throughput; streaming ≥ 1 M samples/s;
compile of 1,000 nodes < 200 ms. Results: benchmarks/results/engine.json.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
from scipy import signal as sps

from benchmarks import best_of
from nodes.chunk import Chunk
from nodes.engine import Run, compile_graph
from nodes.graph import Graph
from nodes.sample_clock import sample_clocks

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "engine.json"
RATE = 2000.0
SAMPLES = 10_000_000
STREAM_SAMPLES = 1_000_000


def vibration_graph() -> Graph:
    return Graph.from_text((ROOT / "resources/examples/pump_station/graphs/vibration_alarm.json").read_text())


def counter_graph() -> Graph:
    g = Graph("ewma counter")
    g.add_node("x", "io.input", {"column": "acc", "unit": "m/s^2"})
    g.add_node("ewma", "signal.ewma", {"alpha": 0.01})
    g.add_node("limit", "signal.threshold", {"level": 0.05})
    g.add_node("count", "signal.edge_counter", {"edge": "rising"})
    g.add_node("out", "io.output", {"column": "count"})
    for a, b in (("x.y", "ewma.x"), ("ewma.y", "limit.x"), ("limit.on", "count.x"), ("count.count", "out.x")):
        g.connect(a, b)
    return g


def hand_vibration(acc: np.ndarray) -> dict[str, np.ndarray]:
    """The vibration_alarm graph written directly with scipy/numpy (one pass, whole array)."""
    band = sps.butter(4, [10.0, 800.0], btype="bandpass", fs=RATE, output="sos")
    drift = sps.butter(2, 10.0, btype="highpass", fs=RATE, output="sos")
    x = sps.sosfilt(band, acc, zi=np.zeros((band.shape[0], 2)))[0]
    velocity = np.concatenate([[0.0], np.cumsum((x[1:] + x[:-1]) / 2 / RATE)])
    v = sps.sosfilt(drift, velocity, zi=np.zeros((drift.shape[0], 2)))[0]
    blocks = len(v) // 2000
    rms = np.sqrt(np.mean(v[: blocks * 2000].reshape(blocks, 2000) ** 2, axis=1)) * 1000
    zone = np.digitize(rms, [1.12, 2.8, 7.1])
    decided = np.where(rms > 2.8, 1, np.where(rms < 2.5, 0, -1))
    index = np.maximum.accumulate(np.where(decided >= 0, np.arange(len(rms)), -1))
    alarm = np.where(index >= 0, decided[np.clip(index, 0, None)] == 1, False)
    return {"velocity_rms": rms, "zone": zone, "alarm": alarm}


def hand_counter(acc: np.ndarray) -> dict[str, np.ndarray]:
    a = 0.01
    y = sps.lfilter([a], [1.0, a - 1.0], acc, zi=[(1 - a) * acc[0]])[0]
    on = y > 0.05
    edges = on & ~np.concatenate([[False], on[:-1]])
    return {"count": np.cumsum(edges)}


def _chunks(acc: np.ndarray, t: np.ndarray, size: int):
    for start in range(0, len(acc), size):
        yield {"acc": Chunk(t[start:start + size], acc[start:start + size], np.zeros(min(size, len(acc) - start),
                                                                                       np.uint8))}


def _engine(graph: Graph, acc, t, chunk: int) -> float:
    compiled = compile_graph(graph)

    def work() -> None:
        run = Run(compiled)
        for piece in _chunks(acc, t, chunk):
            run.push(piece)

    return best_of(3, work)


def measure() -> dict:
    rng = np.random.default_rng(1)
    t = (np.arange(SAMPLES) * (1e9 / RATE)).astype(np.int64) + 1_700_000_000_000_000_000
    acc = np.sin(2 * np.pi * 25 * t / 1e9) * 0.3 + rng.normal(scale=0.05, size=SAMPLES)
    result = {"samples": SAMPLES, "batch_chunk": 1_000_000, "stream_tick": 100}
    for name, graph, hand in (("vibration_alarm", vibration_graph(), hand_vibration),
                              ("ewma_threshold_counter", counter_graph(), hand_counter)):
        hand_s = best_of(3, lambda hand=hand: hand(acc))
        batch_s = _engine(graph, acc, t, 1_000_000)
        stream_s = _engine(graph, acc[:STREAM_SAMPLES], t[:STREAM_SAMPLES], 100)
        result[name] = {"hand_samples_per_s": round(SAMPLES / hand_s), "batch_samples_per_s": round(SAMPLES / batch_s),
                        "batch_vs_hand": round(hand_s / batch_s, 3),
                        "stream_samples_per_s": round(STREAM_SAMPLES / stream_s)}
    result["sample_clock"] = {name: _clock_overhead(acc[:count], t[:count], size)
                              for name, size, count in (("tick_100", 100, STREAM_SAMPLES),
                                                        ("chunk_1m", 1_000_000, SAMPLES))}
    compile_times = [_compile_time(big_graph(1000)) for _ in range(5)]
    result["compile_1000_nodes_ms"] = round(statistics.median(compile_times) * 1000, 1)
    return result


def _clock_overhead(acc: np.ndarray, t: np.ndarray, size: int) -> dict:
    """The band-pass node's sampling check and its own ``process`` over the same chunks, per call (best of 3)."""
    band = next(plan.component for plan in compile_graph(vibration_graph()).plans if plan.id == "band")
    pieces = [piece["acc"] for piece in _chunks(acc, t, size)]

    def checking() -> None:
        [clock] = sample_clocks(band)  # what the engine makes for the node
        for chunk in pieces:
            clock.check(chunk.t)

    def processing() -> None:
        state = band.init_state()
        for chunk in pieces:
            band.process({"x": chunk}, state)

    check_s, process_s = best_of(3, checking), best_of(3, processing)
    return {"check_us": round(check_s / len(pieces) * 1e6, 2), "process_us": round(process_s / len(pieces) * 1e6, 2),
            "check_vs_process": round(check_s / process_s, 3)}


def big_graph(nodes: int) -> Graph:
    """A 1,000-node DAG: 10 inputs, layers of filters and sums cross-wired, 10 outputs."""
    g = Graph("big")
    layer = []
    for i in range(10):
        g.add_node(f"in{i}", "io.input", {"column": f"c{i}", "unit": "bar"})
        layer.append(f"in{i}.y")
    count = 10
    while count < nodes - 10:
        next_layer = []
        for j, source in enumerate(layer):
            node = f"n{count}"
            if j % 2 and count < nodes - 11:
                g.add_node(node, "signal.add_subtract", {})
                g.connect(source, f"{node}.a")
                g.connect(layer[j - 1], f"{node}.b")
            else:
                g.add_node(node, "signal.ewma", {"alpha": 0.1})
                g.connect(source, f"{node}.x")
            next_layer.append(f"{node}.y")
            count += 1
            if count >= nodes - 10:
                break
        layer = next_layer
    for i, source in enumerate(layer[:10]):
        g.add_node(f"out{i}", "io.output", {"column": f"o{i}"})
        g.connect(source, f"out{i}.x")
    return g


def _compile_time(graph: Graph) -> float:
    started = time.perf_counter()
    compile_graph(graph)
    return time.perf_counter() - started


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nEngine throughput, {SAMPLES:,} samples (streaming: {STREAM_SAMPLES:,} in 100-sample ticks)")
    print(f"{'graph':26}{'hand numpy':>14}{'batch':>14}{'ratio':>8}{'streaming':>14}   (samples/s)")
    for name in ("vibration_alarm", "ewma_threshold_counter"):
        r = result[name]
        print(f"{name:26}{r['hand_samples_per_s']:>14,}{r['batch_samples_per_s']:>14,}{r['batch_vs_hand']:>8.2f}"
              f"{r['stream_samples_per_s']:>14,}")
    for name, label in (("tick_100", "100-sample tick"), ("chunk_1m", "1 M-sample chunk")):
        r = result["sample_clock"][name]
        print(f"sampling check on a {label}: {r['check_us']:,} µs against the band-pass's {r['process_us']:,} µs "
              f"({r['check_vs_process']:.1%})")
    print(f"1,000-node graph: validation + scheduling {result['compile_1000_nodes_ms']} ms (target < 200 ms)")
    print(f"Targets: batch ratio ≥ 0.5, streaming ≥ 1,000,000 samples/s. Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
