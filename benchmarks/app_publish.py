"""Publish and pull time of the example app, to the local catalogue and to a loopback OCI registry.

The example app is built and signed once; then, best of several runs each:

* catalogue: ``Catalog.publish`` into a fresh folder and ``pull`` back, against copying the same
  file (``shutil.copyfile``) into the catalogue and back;
* registry: ``docker-registry`` (CNCF distribution 2.8) on 127.0.0.1 with its storage in a temp
  folder. ``publish`` to a fresh repository (blob uploads, config, manifest, through oras) and
  ``pull`` back (tags, manifest, config, the blob, hash checked), against the same archive sent
  as one blob with raw HTTP (POST an upload, PUT the bytes) and fetched with one GET;
  publishing the same bytes again (a no-op: the tag's manifest is read and compared) is timed too.

Results: benchmarks/results/app_publish.json (seconds, and each figure over its baseline).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from app_packager.build import build_app
from app_packager.catalog import Catalog
from app_packager.oci import OciRegistry
from app_packager.signing import generate_key, sign_archive
from nodes.resources import example_project
from tests.registry import RegistryProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "app_publish.json"
RUNS = 7
APP_ID = "org.millwright.examples.pump-efficiency"


def _best_of(work: Callable[[int], object]) -> float:
    """The fastest of :data:`RUNS` runs; ``work`` gets the run's number (for fresh folders or repositories)."""
    times = []
    for run in range(RUNS):
        started = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - started)
    return min(times)


def _catalogue(archive: Path, scratch: Path) -> dict:
    publish = _best_of(lambda run: Catalog(scratch / f"catalog{run}").publish(archive))
    pull = _best_of(lambda run: Catalog(scratch / "catalog0").pull(APP_ID, None, scratch / f"pulled{run}"))
    copy_in = _best_of(lambda run: shutil.copyfile(archive, scratch / f"copy{run}.iapp"))
    copy_out = _best_of(lambda run: shutil.copyfile(scratch / "copy0.iapp", scratch / f"back{run}.iapp"))
    return _figures(publish, pull, copy_in, copy_out, "file copy")


def _registry(archive: Path, registry: RegistryProcess, scratch: Path) -> dict:
    def client(namespace: str) -> OciRegistry:
        return OciRegistry(registry.host, namespace, cache=scratch / "oci-cache")

    publish = _best_of(lambda run: client(f"bench/publish{run}").publish(archive))
    again = _best_of(lambda run: client("bench/publish0").publish(archive))
    (scratch / "oci-cache").mkdir(exist_ok=True)
    pull = _best_of(lambda run: client("bench/publish0").pull(APP_ID, None, scratch / f"oci{run}"))
    data = archive.read_bytes()
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
    put = _best_of(lambda run: _raw_put(registry.host, f"bench/raw{run}", data, digest))
    get = _best_of(lambda run: _raw_get(registry.host, "bench/raw0", digest, len(data)))
    return {**_figures(publish, pull, put, get, "raw HTTP"), "republish_seconds": round(again, 4)}


def _raw_put(host: str, repository: str, data: bytes, digest: str) -> None:
    """The archive as one blob with plain requests: POST an upload session, PUT the bytes to it."""
    with requests.Session() as session:
        started = session.post(f"http://{host}/v2/{repository}/blobs/uploads/", timeout=30)
        started.raise_for_status()
        location = requests.compat.urljoin(f"http://{host}", started.headers["Location"])
        separator = "&" if "?" in location else "?"
        session.put(f"{location}{separator}digest={digest}", data=data, timeout=30,
                    headers={"Content-Type": "application/octet-stream"}).raise_for_status()


def _raw_get(host: str, repository: str, digest: str, size: int) -> None:
    with requests.Session() as session:
        response = session.get(f"http://{host}/v2/{repository}/blobs/{digest}", timeout=30)
        response.raise_for_status()
        assert len(response.content) == size


def _figures(publish: float, pull: float, baseline_publish: float, baseline_pull: float, baseline: str) -> dict:
    return {"publish_seconds": round(publish, 4), "pull_seconds": round(pull, 4), "baseline": baseline,
            "baseline_publish_seconds": round(baseline_publish, 6), "baseline_pull_seconds": round(baseline_pull, 6),
            "publish_vs_baseline": round(publish / baseline_publish, 1),
            "pull_vs_baseline": round(pull / baseline_pull, 1)}


def measure() -> dict:
    with tempfile.TemporaryDirectory(prefix="millwright-bench-") as scratch:
        scratch = Path(scratch)
        project = scratch / "pump_station"
        shutil.copytree(example_project(), project, ignore=shutil.ignore_patterns("data"))
        archive = build_app(project, output=scratch / f"{APP_ID}-1.0.0.iapp").path
        sign_archive(archive, generate_key())
        registry = RegistryProcess(scratch / "registry")
        registry.start()
        try:
            oci = _registry(archive, registry, scratch)
        finally:
            registry.stop()
        return {"runs": RUNS, "archive_bytes": archive.stat().st_size, "catalogue": _catalogue(archive, scratch),
                "registry": oci}


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nPublish and pull of the example app ({result['archive_bytes']:,} bytes, signed), best of {RUNS}")
    for name in ("catalogue", "registry"):
        figures = result[name]
        print(f"  {name:9} publish {figures['publish_seconds'] * 1000:7.1f} ms "
              f"({figures['publish_vs_baseline']}× {figures['baseline']} "
              f"{figures['baseline_publish_seconds'] * 1000:.1f} ms)   "
              f"pull {figures['pull_seconds'] * 1000:7.1f} ms ({figures['pull_vs_baseline']}× "
              f"{figures['baseline']} {figures['baseline_pull_seconds'] * 1000:.1f} ms)")
    print(f"  registry  publishing the same bytes again: {result['registry']['republish_seconds'] * 1000:.1f} ms")
    print(f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
