"""Formula node cost against hand-written numpy doing the same arithmetic, in the same run.

* evaluation: the pump-power formula ``flow * head * 9.81[m/s^2] * 1000[kg/m^3] / eta`` (m³/h, m,
  % → kW) by the ``signal.formula`` node over 1 M samples, whole and in 1,000-sample ticks,
  against the same power written in numpy with the conversion factors by hand (the baseline a
  model author would otherwise write in a script component);
* the check as typed: parsing, the whitelist and the unit analysis of that formula (what the
  inspector runs on every pause in typing), median of repeated runs.

Targets: whole-chunk evaluation ≥ 50 % of the hand-written throughput; the check well under the
150 ms the inspector waits after a key. Results: benchmarks/results/formula.json.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks import best_of
from nodes.chunk import Chunk
from nodes.library.formula import Formula

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "formula.json"
SAMPLES = 1_000_000
TICK = 1000
PARAMS = {"expression": "flow * head * 9.81[m/s^2] * 1000[kg/m^3] / eta", "names": "flow, head, eta",
          "output_unit": "kW"}
UNITS = {"x1": "m^3/h", "x2": "m", "x3": "%"}


def hand_power(flow: np.ndarray, head: np.ndarray, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same power in numpy, units converted by hand, with the node's quality rule (bad where not finite)."""
    with np.errstate(all="ignore"):
        power = (flow / 3600.0) * head * 9.81 * 1000.0 / (eta / 100.0) / 1000.0
    return power, np.where(np.isfinite(power), 0, 2).astype(np.uint8)


def main() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(SAMPLES, dtype=np.int64) * 1_000_000
    flow, head, eta = rng.uniform(0, 200, SAMPLES), rng.uniform(5, 40, SAMPLES), rng.uniform(40, 90, SAMPLES)
    good = np.zeros(SAMPLES, np.uint8)
    inputs = {"x1": Chunk(t, flow, good), "x2": Chunk(t, head, good), "x3": Chunk(t, eta, good)}
    node = Formula.with_input_units(PARAMS, UNITS)(PARAMS)

    expected, _ = hand_power(flow, head, eta)
    assert np.allclose(node.process(inputs, None)["y"].v, expected, rtol=1e-12)  # the same work, checked

    hand = best_of(5, lambda: hand_power(flow, head, eta))
    whole = best_of(5, lambda: node.process(inputs, None))
    ticks = [{k: Chunk(c.t[i:i + TICK], c.v[i:i + TICK], c.q[i:i + TICK]) for k, c in inputs.items()}
             for i in range(0, SAMPLES, TICK)]

    def stream() -> None:
        for tick in ticks:
            node.process(tick, None)
    streamed = best_of(3, stream)

    checks = []
    for _ in range(200):
        started = time.perf_counter()
        Formula.with_input_units(PARAMS, UNITS)
        checks.append(time.perf_counter() - started)

    result = {
        "samples": SAMPLES,
        "hand_numpy_samples_per_s": round(SAMPLES / hand),
        "formula_whole_samples_per_s": round(SAMPLES / whole),
        "formula_whole_ratio_to_hand": round(hand / whole, 3),
        "formula_ticks_of_1000_samples_per_s": round(SAMPLES / streamed),
        "check_as_typed_median_ms": round(statistics.median(checks) * 1000, 3),
        "check_as_typed_max_ms": round(max(checks) * 1000, 3),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    for key, value in result.items():
        print(f"formula {key}: {value:,}")
    print(f"Targets: whole-chunk ratio ≥ 0.5; check as typed ≪ 150 ms. Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
