"""Large device profiles (issue 15), against the OPC UA simulator with 10,000 extra tags in its own process.

* ``millwright device profile-from-server`` on the 10,000-tag folder, as a user runs it (a fresh
  process): seconds and peak memory. Targets: under 5 s and under 150 MB.
* Loading the 10,000-point profile it wrote, against the way profiles were loaded before
  (``yaml.compose`` and ``yaml.safe_load`` in pure Python, then jsonschema over the whole
  document), measured in the same run. Target: under 1 s.
* Reading the 10,000 tags: through the profile (each point looked up by name, then read by its
  NodeId), by point name from a session that knows the profile's points (``aliases``), by NodeId
  directly, and one read per tag with plain asyncua (timed on 1,000 and scaled, as in
  benchmarks/devices.py). Target: by name within 1.2× of by NodeId.

Results: benchmarks/results/profiles.json.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "profiles.json"
TAGS = 10_000
FOLDER = "nsu=urn:millwright:pumpstation;s=Extra"
RUNS = 3
READ_RUNS = 10  # a read of 10,000 values takes some 0.3 s: more runs against the noise of a shared machine
NAIVE_SAMPLE = 1000


# The command as `python -m workbench` runs it, telling its own peak RSS at exit: the rusage of a
# child counts the pages it shared with this (forked, larger) process before exec.
_MEASURED_COMMAND = """
import atexit, runpy, sys
def peak():
    print("VmHWM", open("/proc/self/status").read().split("VmHWM:")[1].split()[0], file=sys.stderr)
atexit.register(peak)
runpy.run_module("workbench", run_name="__main__", alter_sys=True)
"""


def profile_from_server(url: str, out: Path) -> dict:
    """The command in a fresh process, as a user runs it: seconds and its peak memory."""
    started = time.perf_counter()
    process = subprocess.run([sys.executable, "-c", _MEASURED_COMMAND, "device", "profile-from-server", url, FOLDER,
                              "-o", str(out), "--timeout", "30"], capture_output=True, text=True,
                             env={**os.environ, "XDG_DATA_HOME": str(out.parent / "client")})
    seconds = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"profile-from-server failed: {process.stderr}")
    peak_kb = int(process.stderr.split("VmHWM")[-1].split()[0])
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_kb / 1024, 1)}


def _load_before(text: str) -> dict:
    """Profile loading as it was before issue 15: the document parsed twice in pure Python
    (once for positions, once for data), then one jsonschema pass over all of it."""
    import jsonschema
    import yaml

    from nodes.resources import resources_dir

    schema = json.loads((resources_dir() / "schemas" / "device_profile.schema.json").read_text())
    yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert not errors
    return data


def load(path: Path) -> dict:
    from device_browser.profiles import load_profile

    text = path.read_text(encoding="utf-8")
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        profile = load_profile(path)
        runs.append(time.perf_counter() - started)
    started = time.perf_counter()
    before = _load_before(text)
    before_seconds = time.perf_counter() - started
    assert before == profile.to_data()
    return {"points": len(profile.points), "bytes": len(text.encode()), "seconds": round(min(runs), 3),
            "before_seconds": round(before_seconds, 2), "speedup": round(before_seconds / min(runs), 1)}


async def reads(url: str, path: Path, tmp: Path) -> dict:
    """The same 10,000 values read four ways; best of :data:`READ_RUNS` runs for the first three."""
    from asyncua import Client

    from device_browser.opcua.client import OpcUaSession
    from device_browser.profiles import load_profile

    profile = load_profile(path)
    names = [p.name for p in profile.points]
    node_ids = [p.address["node_id"] for p in profile.points]
    # the session of a profile knows its points by name (connect.open_session gives it these aliases)
    session = OpcUaSession(url, pki_dir=tmp / "client", timeout=30, aliases=dict(zip(names, node_ids, strict=True)))
    seconds: dict[str, list[float]] = {"node_id": [], "profile": [], "point_name": []}
    lookups = []
    try:
        await session.connect()
        await session.read(node_ids)  # warm up: tag caches, the server's first values
        await session.read(names)
        for run in range(READ_RUNS):  # the order rotates: none always reads a warmer server
            ways = list(seconds)
            for way in ways[run % 3:] + ways[:run % 3]:
                started = time.perf_counter()
                if way == "profile":  # as `device read PROFILE` does: each point checked in the profile, by name
                    tags = [profile.point(n).name for n in names]
                    lookups.append(time.perf_counter() - started)
                else:
                    tags = node_ids if way == "node_id" else names
                samples = await session.read(tags)
                seconds[way].append(time.perf_counter() - started)
                assert sum(s.quality == 0 for s in samples) == len(tags), way
    finally:
        await session.close()
    async with Client(url, timeout=30) as client:
        namespace = await client.get_namespace_index("urn:millwright:pumpstation")
        nodes = [client.get_node(n.replace("nsu=urn:millwright:pumpstation", f"ns={namespace}"))
                 for n in node_ids[:NAIVE_SAMPLE]]
        started = time.perf_counter()
        for node in nodes:
            await node.read_value()
        naive = (time.perf_counter() - started) * len(node_ids) / NAIVE_SAMPLE
    best = {way: min(runs) for way, runs in seconds.items()}
    return {"tags": len(names), "all_values_good": True,
            "by_node_id_seconds": round(best["node_id"], 3),
            "through_profile_seconds": round(best["profile"], 3),
            "by_point_name_seconds": round(best["point_name"], 3),
            "name_lookup_seconds": round(min(lookups), 4),
            "naive_seconds_estimated": round(naive, 2),
            "profile_vs_node_id": round(best["profile"] / best["node_id"], 2),
            "point_name_vs_node_id": round(best["point_name"] / best["node_id"], 2),
            "naive_vs_profile": round(naive / best["profile"], 1)}


def main() -> None:
    from benchmarks.devices import _simulator_process

    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        server, url = _simulator_process(tmp, "--extra-tags", str(TAGS))
        try:
            written = tmp / "extra.yaml"
            result = {"profile_from_server": profile_from_server(url, written), "load": load(written),
                      "read": asyncio.run(reads(url, written, tmp))}
        finally:
            server.terminate()
            server.wait(timeout=20)
    result["cpu_count"] = os.cpu_count()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    p, lo, r = result["profile_from_server"], result["load"], result["read"]
    print(f"\nprofile-from-server, {TAGS} tags: {p['seconds']} s, peak {p['peak_rss_mb']} MB "
          f"(targets < 5 s, < 150 MB)")
    print(f"load {lo['points']} points ({lo['bytes'] / 1e6:.1f} MB): {lo['seconds']} s; as before issue 15 "
          f"{lo['before_seconds']} s; {lo['speedup']}× faster (target < 1 s)")
    print(f"read {r['tags']} tags: through the profile {r['through_profile_seconds']} s, by point name (session "
          f"aliases) {r['by_point_name_seconds']} s, by NodeId {r['by_node_id_seconds']} s "
          f"({r['profile_vs_node_id']}× and {r['point_name_vs_node_id']}×, target ≤ 1.2×); one read per tag ≈ "
          f"{r['naive_seconds_estimated']} s ({r['naive_vs_profile']}× slower than through the profile). "
          f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
