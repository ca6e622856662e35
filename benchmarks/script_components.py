"""Script components: what running them in a worker process costs, and how fast Stop and a reload are.

Measured in one run, on the same data:

* a run of flow → script component → output over a 1 M-row Parquet recording, as the canvas
  runs it: in a worker process (:class:`~model_designer.process_run.ProcessGraphRunner`) against
  the honest baseline, the same runner on a thread of the workbench's process (what it did before
  script components moved out) — rows/s and their ratio;
* the worker's start (spawn, imports, compile) until the first tick can go;
* Stop of a run hung in ``while True:``: from ``stop()`` until the run is stopped and its process gone;
* a hot reload's cost: vetting the scaffold in a throw-away process, and importing it here.

Target: the worker keeps ≥ 50 % of the in-thread throughput on batch runs; Stop well under 1 s.
Results: benchmarks/results/script_components.json.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from model_designer.process_run import ProcessGraphRunner
from model_designer.run import GraphRunner, RecordingInput, RunState
from nodes.graph import Graph
from nodes.project_components import ProjectComponents
from nodes.registry import default_registry
from nodes.script_components import load_script, vet_in_subprocess
from workbench.component_commands import scaffold_component

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "script_components.json"
ROWS = 1_000_000
RUNS = 3
HANG = '''"""A component that never returns."""
from nodes.component import Component, Port, Text


class Hang(Component):
    """Never returns. References: none."""

    type_name = "project.hang"
    title = Text("Hang")
    inputs = (Port("x"),)
    outputs = (Port("y", unit="=x"),)

    def process(self, inputs, state):
        while True:
            pass
'''


def graph(middle: str, params: dict) -> Graph:
    g = Graph("bench")
    g.add_node("in", "io.input", {"column": "flow", "unit": "m^3/h"})
    g.add_node("mid", middle, params)
    g.add_node("out", "io.output", {"column": "y"})
    g.connect("in.y", "mid.x")
    g.connect("mid.y", "out.x")
    return g


def wait(condition, timeout: float = 300.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the benchmark's condition was not met")
        time.sleep(0.001)


def timed_run(cls, g: Graph, registry, recording: Path) -> tuple[float, float | None]:
    """Seconds for the whole run, and (worker runs) seconds until the worker was ready."""
    runner = cls(g, registry, RecordingInput(recording))
    started = time.perf_counter()
    runner.start()
    ready = None
    if isinstance(runner, ProcessGraphRunner):
        wait(lambda: runner.run is not None)
        ready = time.perf_counter() - started
    wait(lambda: runner.snapshot().state not in RunState.ACTIVE)
    elapsed = time.perf_counter() - started
    assert runner.snapshot().state == RunState.FINISHED, runner.snapshot().message
    assert runner.snapshot().outputs["y"] == ROWS
    runner.join(30)
    return elapsed, ready


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "project.json").write_text('{"schema_version": 1, "name": "bench"}', encoding="utf-8")
        scaffold_component(project, "smooth")
        (project / "components" / "hang.py").write_text(HANG, encoding="utf-8")
        recording = project / "run.parquet"
        t = pd.to_datetime(np.arange(ROWS, dtype=np.int64) * 1_000_000, utc=True)
        pd.DataFrame({"time": t, "flow": np.random.default_rng(1).uniform(100, 140, ROWS)}).to_parquet(recording)
        components = ProjectComponents(default_registry(), trust=lambda root: True)
        components.open(project)
        registry = components.registry
        smooth = graph("project.smooth", {"alpha": 0.1})

        thread = [timed_run(GraphRunner, smooth, registry, recording)[0] for _ in range(RUNS)]
        worker = [timed_run(ProcessGraphRunner, smooth, registry, recording) for _ in range(RUNS)]
        worker_s, ready_s = [w for w, _ in worker], [r for _, r in worker]

        stops = []
        for _ in range(RUNS):
            runner = ProcessGraphRunner(graph("project.hang", {}), registry, RecordingInput(recording))
            runner.start()
            wait(lambda runner=runner: runner.run is not None and runner.snapshot().state == RunState.RUNNING)
            time.sleep(0.2)  # inside the endless first tick
            process = runner.worker.process
            started = time.perf_counter()
            runner.stop()
            wait(lambda runner=runner, process=process: runner.snapshot().state == RunState.STOPPED
                 and not process.is_alive())
            stops.append(time.perf_counter() - started)

        source = (project / "components" / "smooth.py").read_text(encoding="utf-8")
        vets, imports = [], []
        for _ in range(RUNS):
            started = time.perf_counter()
            assert vet_in_subprocess({"components/smooth.py": source}) == {}
            vets.append(time.perf_counter() - started)
            started = time.perf_counter()
            assert load_script("components/smooth.py", source).failure is None
            imports.append(time.perf_counter() - started)

    result = {
        "rows": ROWS,
        "thread_rows_per_s": round(ROWS / min(thread)),
        "worker_rows_per_s": round(ROWS / min(worker_s)),
        "worker_ratio_to_thread": round(min(thread) / min(worker_s), 3),
        "worker_ready_median_s": round(statistics.median(ready_s), 3),
        "stop_hung_run_median_ms": round(statistics.median(stops) * 1000, 1),
        "stop_hung_run_max_ms": round(max(stops) * 1000, 1),
        "reload_vet_median_ms": round(statistics.median(vets) * 1000, 1),
        "reload_import_median_ms": round(statistics.median(imports) * 1000, 2),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    for key, value in result.items():
        print(f"script_components {key}: {value:,}")
    print(f"Targets: worker ratio ≥ 0.5; Stop ≪ 1 s. Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
