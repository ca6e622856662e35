"""Verify time of the example app, against the baseline of reading and hashing the archive's bytes.

* the example app (``build_app`` on a copy of the example project, signed with a fresh key):
  ``verify_app`` best of several after a warm-up, each check measured on its own, and
  ``millwright app verify`` as a user runs it (a fresh process: imports and the component
  registry included);
* the same app with a 32 MiB golden input, to show how verify scales with the archive (reading,
  inflating and hashing every entry) while its fixed part (manifest, graph) stays the same;
* baselines for each: reading the file and hashing it with SHA-256, the least any check of its
  content must do; and reading every entry with :mod:`zipfile` (no safety checks) and hashing
  each, the work verify cannot avoid before its own checks.

Results: benchmarks/results/app_verify.json.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from app_packager.app_checks import graph_problems
from app_packager.archive import RECORD, SIGNATURE, write_archive
from app_packager.build import build_app
from app_packager.manifest import MANIFEST_NAME, parse_manifest
from app_packager.signing import (
    fingerprint,
    generate_key,
    parse_signature,
    record_problems,
    sign_archive,
    write_public_key,
)
from app_packager.verify import verify_app
from app_packager.zip_safety import read_entries
from benchmarks import best_of
from nodes.graph import Graph
from nodes.registry import default_registry
from nodes.resources import example_project

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "app_verify.json"
RUNS = 20
COMMAND_RUNS = 3
LARGE_INPUT_BYTES = 32 * 1024 * 1024


def _baseline(path: Path) -> None:
    hashlib.sha256(path.read_bytes()).digest()


def _zipfile_baseline(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            hashlib.sha256(archive.read(info)).digest()


def _check_seconds(path: Path, trusted: dict) -> dict[str, float]:
    """Each check of verify on its own, in its order (the steps verify_app runs, called one by one)."""
    entries = read_entries(path)
    manifest = parse_manifest(entries[MANIFEST_NAME].decode("utf-8"), MANIFEST_NAME)
    registry = default_registry()

    def signature() -> None:
        parsed = parse_signature(entries[SIGNATURE])
        assert parsed.matches(entries[RECORD], trusted[parsed.key])

    def graph() -> None:
        assert not graph_problems(manifest, Graph.from_text(entries[manifest.graph].decode("utf-8")), registry)

    steps = {"archive structure": lambda: read_entries(path), "signature": signature,
             "RECORD": lambda: record_problems(entries),
             "manifest": lambda: parse_manifest(entries[MANIFEST_NAME].decode("utf-8"), MANIFEST_NAME),
             "graph and components": graph}
    return {name: round(best_of(RUNS, step), 5) for name, step in steps.items()}


def _case(path: Path, trusted: dict, runs: int) -> dict:
    verify = best_of(runs, lambda: verify_app(path, trusted=trusted))
    baseline = best_of(runs, lambda: _baseline(path))
    unchecked = best_of(runs, lambda: _zipfile_baseline(path))
    entries = read_entries(path)
    return {"archive_bytes": path.stat().st_size, "content_bytes": sum(len(d) for d in entries.values()),
            "entries": len(entries), "verify_seconds": round(verify, 5),
            "baseline_read_hash_seconds": round(baseline, 5), "verify_vs_baseline": round(verify / baseline, 1),
            "baseline_zipfile_read_hash_seconds": round(unchecked, 5)}


def _command_seconds(path: Path, scratch: Path) -> float:
    """``millwright app verify FILE --trust KEY`` in a fresh process, best of :data:`COMMAND_RUNS`."""
    argv = [sys.executable, "-m", "workbench", "app", "verify", str(path), "--trust",
            str(scratch / "publisher.pub.pem")]
    env = {**os.environ, "MILLWRIGHT_TRUST_DIR": str(scratch / "trusted")}
    return best_of(COMMAND_RUNS, lambda: subprocess.run(argv, check=True, capture_output=True, env=env))


def _large_variant(path: Path, target: Path, key) -> Path:
    """``path``'s app with its golden input repeated to :data:`LARGE_INPUT_BYTES`, signed by ``key``."""
    entries = {n: d for n, d in read_entries(path).items() if n not in (RECORD, SIGNATURE)}
    name = next(n for n in entries if n.startswith("tests/") and "/input." in n)
    header, _, rows = entries[name].partition(b"\n")
    entries[name] = header + b"\n" + rows * (LARGE_INPUT_BYTES // len(rows) + 1)
    write_archive(target, entries)
    sign_archive(target, key)
    return target


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="millwright-bench-") as scratch:
        scratch = Path(scratch)
        project = scratch / "pump_station"
        shutil.copytree(example_project(), project, ignore=shutil.ignore_patterns("data"))
        example = build_app(project, output=scratch / "example.iapp").path
        key = generate_key()
        sign_archive(example, key)
        trusted = {fingerprint(key.public_key()): key.public_key()}
        write_public_key(scratch / "publisher.pub.pem", key.public_key())
        result = {"runs": RUNS, "command_seconds": round(_command_seconds(example, scratch), 3),
                  "example": _case(example, trusted, RUNS),
                  "example_checks_seconds": _check_seconds(example, trusted)}
        large = _large_variant(example, scratch / "large.iapp", key)
        result["large"] = _case(large, trusted, 5)
        return result


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    for name, title in (("example", "the example app (pump_efficiency)"), ("large", "the same with a 32 MiB input")):
        case = result[name]
        print(f"\nApp verify of {title}: {case['archive_bytes']:,} bytes, {case['entries']} entries, "
              f"{case['content_bytes']:,} bytes of content")
        print(f"  verify               {case['verify_seconds'] * 1000:9.2f} ms")
        print(f"  baseline read+SHA256 {case['baseline_read_hash_seconds'] * 1000:9.2f} ms "
              f"(verify takes {case['verify_vs_baseline']}x)")
        print(f"  baseline zipfile     {case['baseline_zipfile_read_hash_seconds'] * 1000:9.2f} ms "
              "(every entry read unchecked, SHA-256 of each)")
        if name == "example":
            for check, seconds in result["example_checks_seconds"].items():
                print(f"    {check:22} {seconds * 1000:9.2f} ms")
            print(f"  millwright app verify  {result['command_seconds']:7.2f} s  (a fresh process, imports included)")
    print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
