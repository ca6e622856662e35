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
    from device_browser.simulators.modbus import simulator_map, start_simulator

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


OPCUA_TAGS = 10_000
SUBSCRIBED = 5_000


def _simulator_process(tmp: Path, *options: str):
    """`millwright simulate opcua` in its own process (as on a real network: the server's work and
    garbage collection are not charged to the client), and its URL."""
    import os
    import subprocess
    import sys

    from device_browser.simulators.opcua.simulation import free_port

    port = free_port("127.0.0.1")
    server = subprocess.Popen([sys.executable, "-m", "workbench", "simulate", "opcua", "--port", str(port),
                               "--no-security", *options], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp / "server")})
    return server, server.stdout.readline().split()[5]


async def opcua_browse_read(tmp: Path) -> dict:
    """Browse the 10,000-tag Extra folder and read every value: ours against one node at a time."""
    from asyncua import Client

    from device_browser.opcua.client import OpcUaSession

    server, url = _simulator_process(tmp, "--extra-tags", str(OPCUA_TAGS))
    session = OpcUaSession(url, pki_dir=tmp / "client", timeout=30)
    try:
        await session.connect()
        folder_tag = "nsu=urn:millwright:pumpstation;s=Extra"
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            items = await session.browse(folder_tag)
            samples = await session.read([i.tag for i in items])
            runs.append(time.perf_counter() - started)
        ours = min(runs)
        good = sum(s.quality == 0 for s in samples)
        requests = sum(session.request_count.values()) / 3
        await session.close()
        naive_count = 1000  # one node at a time is slow: time 1,000 and scale to 10,000
        async with Client(url, timeout=30) as client:
            namespace = await client.get_namespace_index("urn:millwright:pumpstation")
            started = time.perf_counter()
            folder = client.get_node(f"ns={namespace};s=Extra")
            children = (await folder.get_children())[:naive_count]
            for child in children:
                await child.read_browse_name()
                await child.read_value()
            naive = (time.perf_counter() - started) * OPCUA_TAGS / naive_count
    finally:
        await session.close()
        server.terminate()
        server.wait(timeout=20)
    return {"tags": len(items), "good_values": good, "seconds": round(ours, 3), "requests": round(requests),
            "naive_seconds_estimated": round(naive, 2), "speedup": round(naive / ours, 1)}


async def opcua_subscribe(tmp: Path) -> dict:
    """5,000 tags at 100 ms from a simulator in its own process (each tag changes once a second):
    notifications per second against the 5,000/s the server sends, client CPU, lost updates."""
    from device_browser.bus import LiveBus
    from device_browser.opcua.client import OpcUaSession
    from device_browser.opcua.subscriptions import LiveSubscriptions

    server, url = _simulator_process(tmp / "2", "--extra-tags", str(SUBSCRIBED), "--extra-interval", "1")
    session = OpcUaSession(url, pki_dir=tmp / "client2", timeout=30)
    bus = LiveBus(capacity=1000)
    try:
        await session.connect()
        tags = [f"nsu=urn:millwright:pumpstation;s=Extra.Tag{i:05d}" for i in range(SUBSCRIBED)]
        live = LiveSubscriptions(session, bus)
        await live.start()
        sub = await live.create_subscription(100)
        result = await sub.add(tags, sampling_interval_ms=100, queue_size=10)
        reader = bus.reader(tags)
        await asyncio.sleep(3)  # initial values
        reader.read()
        process = psutil.Process()
        cpu_before, started = process.cpu_times(), time.perf_counter()
        await asyncio.sleep(10)
        chunks = reader.read()
        seconds = time.perf_counter() - started
        cpu = process.cpu_times()
        notifications = sum(len(c) for c in chunks.values())
        # The server stamps every update of all extra tags with one source time: each tag should
        # have one sample per update seen in the window (±1 at the window's edges).
        import numpy as np

        updates = len(np.unique(np.concatenate([c.t for c in chunks.values()])))
        complete = sum(abs(len(c) - updates) <= 1 for c in chunks.values())
        await live.close()
    finally:
        await session.close()
        server.terminate()
        server.wait(timeout=20)
    busy = (cpu.user + cpu.system - cpu_before.user - cpu_before.system) / seconds
    return {"tags": SUBSCRIBED, "subscribed": len(result.added), "refused": len(result.failed),
            "notifications_per_s": round(notifications / seconds),
            "client_cpu_percent_of_one_core": round(100 * busy), "lost_in_bus": sum(reader.lost.values()),
            "server_updates_in_window": updates, "tags_with_every_update": complete}


def main() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = {"modbus": asyncio.run(modbus()), "opcua_browse_read": asyncio.run(opcua_browse_read(Path(tmp))),
                  "opcua_subscribe": asyncio.run(opcua_subscribe(Path(tmp))), "cpu_count": psutil.cpu_count()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    m = result["modbus"]
    print(f"\nModbus TCP, {m['tags']} scattered holding-register tags")
    print(f"{'':22}{'requests/scan':>15}{'scans/s':>10}")
    print(f"{'request planner':22}{m['planned_requests_per_scan']:>15.0f}{m['planned_scans_per_s']:>10.1f}")
    print(f"{'one request per tag':22}{m['naive_requests_per_scan']:>15.0f}{m['naive_scans_per_s']:>10.2f}")
    print(f"ratio {m['request_ratio']}× fewer requests (target ≥ 10×).")
    b = result["opcua_browse_read"]
    print(f"\nOPC UA: browse + read {b['tags']} tags: {b['seconds']} s in {b['requests']} requests "
          f"({b['good_values']} good); one node at a time ≈ {b['naive_seconds_estimated']} s; "
          f"{b['speedup']}× faster (target ≥ 20×)")
    u = result["opcua_subscribe"]
    print(f"OPC UA: {u['subscribed']} of {u['tags']} tags subscribed at 100 ms: {u['notifications_per_s']:,} "
          f"notifications/s, client {u['client_cpu_percent_of_one_core']} % of one core; the server made "
          f"{u['server_updates_in_window']} updates in 10 s and {u['tags_with_every_update']} tags received every one "
          f"({u['lost_in_bus']} lost in the bus). Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
