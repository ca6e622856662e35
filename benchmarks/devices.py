"""Device drivers against our simulators on loopback, each measured against a naive client.

* Modbus TCP: 1,000 scattered holding-register tags (every third register, a gap every 50)
  polled with the request planner, against one request per tag. Target: ≥ 10× fewer requests.
* OPC UA: browse a 10,000-tag folder and read every value, chunked and batched, against a
  one-node-at-a-time asyncua loop (target ≥ 20× faster); 5,000 tags subscribed at 100 ms,
  notifications per second and CPU use, no lost updates.

Results: benchmarks/results/devices.json.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "devices.json"
MODBUS_TAGS = 1000


async def modbus() -> dict:
    from device_browser.modbus.client import ModbusSession
    from device_browser.modbus.simulator import simulator_map, start_simulator

    simulator = await start_simulator(port=0, extra_tags=MODBUS_TAGS)
    tags = [t.name for t in simulator_map(MODBUS_TAGS) if t.name.startswith("extra_")]
    session = ModbusSession(simulator_map(MODBUS_TAGS), host="127.0.0.1", port=simulator.port, timeout=2.0)
    try:
        await session.connect()
        await session.read(tags)  # warm up
        scans, started, before = 0, time.perf_counter(), session.request_count
        while time.perf_counter() - started < 3.0:
            await session.read(tags)
            scans += 1
        planned_seconds = (time.perf_counter() - started) / scans
        planned_requests = (session.request_count - before) / scans
        before, started = session.request_count, time.perf_counter()
        for tag in tags:  # the naive client: one request per tag
            await session.read([tag])
        naive_seconds = time.perf_counter() - started
        naive_requests = session.request_count - before
    finally:
        await session.close()
        await simulator.stop()
    return {"tags": len(tags), "planned_requests_per_scan": planned_requests,
            "naive_requests_per_scan": naive_requests,
            "request_ratio": round(naive_requests / planned_requests, 1),
            "planned_scans_per_s": round(1 / planned_seconds, 1), "naive_scans_per_s": round(1 / naive_seconds, 2)}


def main() -> None:
    result = {"modbus": asyncio.run(modbus()), "cpu_count": psutil.cpu_count()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    m = result["modbus"]
    print(f"\nModbus TCP, {m['tags']} scattered holding-register tags")
    print(f"{'':22}{'requests/scan':>15}{'scans/s':>10}")
    print(f"{'request planner':22}{m['planned_requests_per_scan']:>15.0f}{m['planned_scans_per_s']:>10.1f}")
    print(f"{'one request per tag':22}{m['naive_requests_per_scan']:>15.0f}{m['naive_scans_per_s']:>10.2f}")
    print(f"ratio {m['request_ratio']}× fewer requests (target ≥ 10×). Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
