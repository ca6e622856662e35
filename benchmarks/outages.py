"""Outage drill: ``millwright device poll`` while the simulator is killed and started again.

For OPC UA and Modbus, in separate processes as on a real network: poll three tags every
200 ms for ``RUN_S`` seconds; kill the simulator at ``KILL_AT`` s, start it again ``DOWN_S``
seconds later. From the recording:

* samples lost outside the outage: poll slots with no row before the kill or after the
  first row that follows the restart (target 0);
* duplicate timestamps per tag (target 0);
* time to resume: from the restarted simulator printing "listening" to the first good row
  (target < 5 s);
* gap rows per tag (expected 1).

Also a 10,000-tag poll at 1 s through a profile imported from the OPC UA simulator: the polls
per second achieved against the one asked for. Results: benchmarks/results/outages.json.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "outages.json"
RUN_S, KILL_AT, DOWN_S, INTERVAL_MS = 60.0, 20.0, 8.0, 200
TAGS = ["flow", "discharge_pressure", "speed"]


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp / "data"),
            "XDG_STATE_HOME": str(tmp / "state")}


def _simulator(kind: str, port: int, tmp: Path, *options: str) -> tuple[subprocess.Popen, float]:
    extra = ["--no-security"] if kind == "opcua" else []
    process = subprocess.Popen([sys.executable, "-m", "workbench", "simulate", kind, "--port", str(port), *extra,
                                *options], stdout=subprocess.PIPE, text=True, env=_env(tmp))
    process.stdout.readline()  # "… listening on …"
    return process, time.time()


def _profile(kind: str, port: int, tmp: Path) -> Path:
    name = f"pump_station_{kind}.yaml"
    text = (ROOT / "resources" / "profiles" / name).read_text(encoding="utf-8")
    text = text.replace("port: 5020", f"port: {port}").replace("127.0.0.1:4840", f"127.0.0.1:{port}")
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def drill(kind: str, tmp: Path) -> dict:
    from device_browser.simulators.opcua.simulation import free_port

    port = free_port("127.0.0.1")
    server, _ = _simulator(kind, port, tmp)
    out = tmp / f"{kind}.csv"
    poll = subprocess.Popen([sys.executable, "-m", "workbench", "device", "poll", str(_profile(kind, port, tmp)),
                             *TAGS, "--interval", str(INTERVAL_MS), "--duration", str(RUN_S), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp))
    time.sleep(KILL_AT)
    server.kill()
    server.wait()
    killed = time.time()
    time.sleep(DOWN_S)
    server, restarted = _simulator(kind, port, tmp)
    stdout, _ = poll.communicate(timeout=RUN_S + 60)
    server.send_signal(signal.SIGINT)
    server.wait(20)
    frame = pd.read_csv(out)
    frame["t"] = pd.to_datetime(frame["time"]).astype("int64") / 1e9
    interval = INTERVAL_MS / 1000
    result: dict = {"exit_code": poll.returncode, "summary": stdout.strip().splitlines()[0] if stdout else ""}
    per_tag = []
    for tag in TAGS:
        rows = frame[frame["tag"] == tag]
        good = rows[rows["quality"] == "good"]
        resumed = good[good["t"] > restarted]["t"].min()
        outside = good[(good["t"] < killed) | (good["t"] >= resumed)]["t"].to_numpy()
        steps = outside[1:] - outside[:-1]
        # a step across the outage is the outage; any other step longer than 1.5 intervals lost polls
        across = (outside[:-1] < killed) & (outside[1:] >= resumed)
        late = (~across) & (steps > 1.5 * interval)
        lost = int(sum(round(s / interval) - 1 for s in steps[late]))
        per_tag.append({"tag": tag, "lost_outside_outage": lost,
                        "duplicates": int(rows["time"].duplicated().sum()),
                        "gap_rows": int((rows["status"] == "BadNoCommunication").sum()),
                        "resume_s": round(float(resumed - restarted), 2)})
    result["tags"] = per_tag
    result["lost_outside_outage"] = sum(t["lost_outside_outage"] for t in per_tag)
    result["duplicates"] = sum(t["duplicates"] for t in per_tag)
    result["resume_s"] = max(t["resume_s"] for t in per_tag)
    return result


def big_poll(tmp: Path, tags: int = 10_000, seconds: float = 20.0) -> dict:
    """Poll every point of a 10,000-point profile at 1 s: the achieved rate, as the run reports it."""
    from device_browser.simulators.opcua.simulation import free_port

    port = free_port("127.0.0.1")
    server, _ = _simulator("opcua", port, tmp / "big", "--extra-tags", str(tags))
    url = f"opc.tcp://127.0.0.1:{port}/millwright/"
    profile = tmp / "big.yaml"
    try:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "workbench", "device", "profile-from-server", url,
                        "nsu=urn:millwright:pumpstation;s=Extra", "-o", str(profile)], check=True,
                       capture_output=True, env=_env(tmp), timeout=300)
        imported = time.perf_counter() - started
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "workbench", "device", "poll", str(profile), "--interval",
                               "1000", "--duration", str(seconds), "-o", str(tmp / "big.parquet")],
                              capture_output=True, text=True, env=_env(tmp), timeout=seconds + 300)
        wall = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(20)
    polls = int(done.stdout.split(" polls", 1)[0]) if " polls" in done.stdout else 0
    rows = len(pd.read_parquet(tmp / "big.parquet")) if (tmp / "big.parquet").exists() else 0
    return {"tags": tags, "profile_from_server_s": round(imported, 2), "seconds": seconds, "polls": polls,
            "polls_per_s": round(polls / seconds, 2), "asked_per_s": 1.0, "rows": rows,
            "command_wall_s": round(wall, 1), "exit_code": done.returncode}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for sub in ("modbus", "opcua", "big"):
            (base / sub).mkdir()
        result = {"modbus": drill("modbus", base / "modbus"), "opcua": drill("opcua", base / "opcua"),
                  "poll_10k": big_poll(base)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"\nOutage drill: poll {len(TAGS)} tags every {INTERVAL_MS} ms for {RUN_S:g} s, server killed at "
          f"{KILL_AT:g} s and back {DOWN_S:g} s later")
    print(f"{'':8}{'lost outside':>14}{'duplicates':>12}{'resume s':>10}   (targets 0, 0, < 5)")
    for kind in ("modbus", "opcua"):
        r = result[kind]
        print(f"{kind:8}{r['lost_outside_outage']:>14}{r['duplicates']:>12}{r['resume_s']:>10}")
    p = result["poll_10k"]
    print(f"\n10,000-tag profile imported in {p['profile_from_server_s']} s; polled at 1 s for {p['seconds']:g} s: "
          f"{p['polls']} polls ({p['polls_per_s']} polls/s of 1 asked), {p['rows']:,} rows. "
          f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
