"""Device drivers against our simulators on loopback, each measured against a naive client.

* Modbus TCP: 1,000 scattered holding-register tags (every third register, a gap every 50)
  polled with the request planner, against one request per tag. Target: ≥ 10× fewer requests.
* OPC UA: browse a 10,000-tag folder and read every value, chunked and batched, against a
  one-node-at-a-time asyncua loop (target ≥ 20× faster); 1,000 to 10,000 tags changing every
  100 ms, subscribed at 100 ms: share of the server's changes received, newest-value age and
  client CPU per notification, against asyncua's own subscription in the same run.

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


SUBSCRIBE_SIZES = (1_000, 3_000, 5_000, 10_000)
WINDOW_S = 10.0


def _server_updates(chunks: dict) -> int:
    """Updates the server made in the window: it stamps every update of all extra tags with one source time."""
    import numpy as np

    stamps = [c.t[c.q == 0] for c in chunks.values() if len(c)]
    return len(np.unique(np.concatenate(stamps))) if stamps else 0


def _ages_ms(bus, tags: list[str]) -> tuple[float, float]:
    """Median and 95th percentile of how old the newest value of each tag is now (ms)."""
    import numpy as np

    now = time.time_ns()
    ages = [(now - latest[0]) / 1e6 for latest in map(bus.latest, tags) if latest is not None]
    return (round(float(np.median(ages)), 1), round(float(np.percentile(ages, 95)), 1)) if ages else (0.0, 0.0)


async def _ours(url: str, tmp: Path, tags: list[str]) -> dict:
    from device_browser.bus import LiveBus
    from device_browser.opcua.client import OpcUaSession

    session = OpcUaSession(url, pki_dir=tmp / "client", timeout=30)
    bus = LiveBus(capacity=400)
    process = psutil.Process()
    try:
        await session.connect()
        sub = await session.subscribe(tags, 100, bus, queue_size=10)
        reader = bus.reader(tags)
        await asyncio.sleep(3)  # initial values
        reader.read()
        cpu_before, started = process.cpu_times(), time.perf_counter()
        await asyncio.sleep(WINDOW_S)
        chunks = reader.read()
        seconds = time.perf_counter() - started
        cpu = process.cpu_times()
        median_age, p95_age = _ages_ms(bus, tags)
        in_flight = session.live.publisher.target if session.live and session.live.publisher else 0
        stats = sub.stats
    finally:
        await session.close()
    received = sum(int((c.q == 0).sum()) for c in chunks.values())
    updates = _server_updates(chunks)
    busy = cpu.user + cpu.system - cpu_before.user - cpu_before.system
    return {"received": received, "server_updates": updates, "nominal_updates": round(seconds / 0.1),
            "share_received": round(received / max(1, updates * len(tags)), 4),
            "newest_age_ms_median": median_age, "newest_age_ms_p95": p95_age,
            "client_cpu_us_per_notification": round(1e6 * busy / max(1, received), 1),
            "client_cpu_percent_of_one_core": round(100 * busy / seconds), "publish_in_flight": in_flight,
            "overflows": stats.overflows, "lost_in_bus": sum(reader.lost.values())}


async def _plain_asyncua(url: str, tags: list[str]) -> dict:
    """The baseline: asyncua's own subscription with a handler that only counts (one Publish in flight)."""
    from asyncua import Client

    counts: dict = {}
    newest: dict = {}
    stamps: set = set()

    class Handler:
        def datachange_notification(self, node, value, data) -> None:
            counts[node.nodeid] = counts.get(node.nodeid, 0) + 1
            stamp = data.monitored_item.Value.SourceTimestamp
            newest[node.nodeid] = stamp
            stamps.add(stamp)

    process = psutil.Process()
    async with Client(url, timeout=30) as client:
        ns = await client.get_namespace_index("urn:millwright:pumpstation")
        nodes = [client.get_node(f"ns={ns};s={t.split(';s=', 1)[1]}") for t in tags]
        sub = await client.create_subscription(100, Handler())
        for start in range(0, len(nodes), 1000):  # asyncua does not chunk; the simulator enforces 1,000
            await sub.subscribe_data_change(nodes[start:start + 1000], queuesize=10)
        await asyncio.sleep(3)
        first = sum(counts.values())
        stamps.clear()
        cpu_before, started = process.cpu_times(), time.perf_counter()
        await asyncio.sleep(WINDOW_S)
        received = sum(counts.values()) - first
        seconds = time.perf_counter() - started
        cpu = process.cpu_times()
        now = time.time()
        ages = sorted((now - ts.timestamp()) * 1000 for ts in newest.values())
        updates = len(stamps)  # the server's updates seen in the window (all tags share one stamp per update)
        await sub.delete()
    busy = cpu.user + cpu.system - cpu_before.user - cpu_before.system
    return {"received": received, "server_updates": updates,
            "share_received": round(received / max(1, updates * len(tags)), 4),
            "newest_age_ms_median": round(ages[len(ages) // 2], 1) if ages else 0.0,
            "client_cpu_us_per_notification": round(1e6 * busy / max(1, received), 1),
            "client_cpu_percent_of_one_core": round(100 * busy / seconds)}


async def opcua_subscribe(tmp: Path) -> dict:
    """1,000 to 10,000 tags, each changing every 100 ms, subscribed at 100 ms from a simulator in its
    own process that answers at most 1,000 notifications per Publish: share of the server's changes
    received, age of the newest values, client CPU per notification; asyncua's own subscription
    (one Publish in flight, a handler that only counts) as the baseline in the same run."""
    results = {}
    for size in SUBSCRIBE_SIZES:
        server, url = _simulator_process(tmp / f"sub{size}", "--extra-tags", str(size), "--extra-interval", "0.1")
        tags = [f"nsu=urn:millwright:pumpstation;s=Extra.Tag{i:05d}" for i in range(size)]
        try:
            ours = await _ours(url, tmp / f"sub{size}", tags)
            plain = await _plain_asyncua(url, tags)
        finally:
            server.terminate()
            server.wait(timeout=30)
        results[str(size)] = {"ours": ours, "plain_asyncua": plain}
    return {"interval_ms": 100, "window_s": WINDOW_S, "sizes": results}


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
    print(f"OPC UA subscriptions at {u['interval_ms']} ms, tags changing every 100 ms, {u['window_s']:g} s each:")
    print(f"{'tags':>7}{'':3}{'received':>10}{'age ms':>9}{'µs/notif':>10}{'CPU %':>7}{'in flight':>10}"
          f"{'asyncua recv':>14}{'µs/notif':>10}")
    for size, r in u["sizes"].items():
        o, p = r["ours"], r["plain_asyncua"]
        print(f"{size:>7}{'':3}{o['share_received']:>10.1%}{o['newest_age_ms_median']:>9.0f}"
              f"{o['client_cpu_us_per_notification']:>10.1f}{o['client_cpu_percent_of_one_core']:>7}"
              f"{o['publish_in_flight']:>10}{p['share_received']:>14.1%}{p['client_cpu_us_per_notification']:>10.1f}")
    print(f"Written to {RESULTS.relative_to(ROOT)}")

if __name__ == "__main__":
    main()
