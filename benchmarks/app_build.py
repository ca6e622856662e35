"""Build time and archive size of the example app, with baselines measured in the same run.

* build: ``build_app`` on a copy of the example project (pump_efficiency: manifest, graph, device
  profile, a 4,000-row golden test, SBOM), best of several after a warm-up, and the time of each
  step from one build's progress;
* baselines: ``millwright run-graph`` on the golden input (the work the golden test cannot
  avoid) and zipping the same entries with :mod:`zipfile` (deflate, level 9 as the archive).

Results: benchmarks/results/app_build.json.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from contextlib import redirect_stdout
from pathlib import Path

from app_packager.build import build_app
from benchmarks import best_of
from nodes.resources import example_project
from workbench.cli import main as millwright

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "app_build.json"
RUNS = 5


def _step_times(project: Path, output: Path) -> dict[str, float]:
    """Seconds spent in each step of one build, from its progress reports."""
    marks: list[tuple[str, float]] = []
    build_app(project, output=output, progress=lambda step, done: marks.append((step, time.perf_counter())))
    return {step: round(marks[i + 1][1] - at, 4) for i, (step, at) in enumerate(marks[:-1])}


def _zip_seconds(archive: Path) -> float:
    with zipfile.ZipFile(archive) as built:
        entries = {info.filename: built.read(info) for info in built.infolist()}

    def plain_zip() -> None:
        with zipfile.ZipFile(io.BytesIO(), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive_file:
            for name, data in sorted(entries.items()):
                archive_file.writestr(name, data)

    return best_of(RUNS, plain_zip)


def _run_graph_seconds(project: Path, scratch: Path) -> float:
    test = project / "apps" / "pump_efficiency" / "tests" / "nominal_input.csv"
    graph = project / "graphs" / "pump_efficiency.json"
    argv = ["run-graph", str(graph), "-i", str(test), "-o", str(scratch / "out.csv"), "-q"]
    with open(os.devnull, "w") as quiet, redirect_stdout(quiet):
        return best_of(RUNS, lambda: millwright(argv))


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="millwright-bench-") as scratch:
        scratch = Path(scratch)
        project = scratch / "pump_station"
        shutil.copytree(example_project(), project, ignore=shutil.ignore_patterns("data"))
        output = scratch / "app.iapp"
        started = time.perf_counter()
        build_app(project, output=output)
        first = time.perf_counter() - started  # imports and the component registry included
        build = best_of(RUNS, lambda: build_app(project, output=output))
        steps = _step_times(project, output)
        with zipfile.ZipFile(output) as archive:
            content = sum(info.file_size for info in archive.infolist())
        return {"runs": RUNS, "build_seconds": round(build, 4), "first_build_seconds": round(first, 3),
                "steps_seconds": steps, "archive_bytes": output.stat().st_size, "content_bytes": content,
                "baseline_zip_seconds": round(_zip_seconds(output), 4),
                "baseline_run_graph_seconds": round(_run_graph_seconds(project, scratch), 4)}


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nApp build of the example (pump_efficiency), best of {RUNS}")
    print(f"  build              {result['build_seconds'] * 1000:8.1f} ms (first, with imports: "
          f"{result['first_build_seconds']:.2f} s)")
    for step, seconds in result["steps_seconds"].items():
        print(f"    {step:46}{seconds * 1000:8.1f} ms")
    print(f"  baseline run-graph {result['baseline_run_graph_seconds'] * 1000:8.1f} ms (the golden test's input)")
    print(f"  baseline zipfile   {result['baseline_zip_seconds'] * 1000:8.1f} ms (the same entries, deflate 9)")
    print(f"  archive            {result['archive_bytes']:8,} bytes ({result['content_bytes']:,} bytes of content)")
    print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
