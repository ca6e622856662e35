"""Our OPC UA subscriptions against a busy foreign server: node-opcua, in its own Node.js process.

Our own simulator cannot change 5,000 tags every 100 ms on a 2-core machine; node-opcua, in a
process of its own, gets further (how far on a given run: its ``ticks_per_s`` in the results).
``benchmarks/node_opcua_server/server.js`` is started for each N with N Double tags, all changed
by one timer every 100 ms (each tick's values carry the tick's source timestamp), no security,
anonymous; it answers at most 1,000 notifications per Publish response (node-opcua's
``Subscription.maxNotificationPerPublishHighLimit``: it caps what a client asks for, and a client
asking 0 = "no limit" gets it too). MaxMonitoredItemsPerCall is 1,000, as on many PLCs. Its tags
report by exception (every change, coalesced over the 100 ms sampling interval), like a PLC that
pushes its changes: node-opcua's own 100 ms sampler costs most of its CPU and, on a loaded
machine, slips against the update timer and skips whole ticks, which would be the server's loss.

For 1,000 / 3,000 / 5,000 / 10,000 of those tags, subscribed at 100 ms (sampling 100 ms, queue
size 1): our ``OpcUaSession.subscribe`` and then plain asyncua (``create_subscription`` with a
handler that only counts: one Publish request in flight), each for :data:`WINDOW_S` seconds after
the initial values. Measured:

* share received: the server prints every tick's source timestamp, so a client's share is the
  samples it received stamped with a tick inside the window, over ticks × tags;
* sent by the server: its own count of data-change notifications sent (subscription
  diagnostics, printed every second) over ticks × tags. Short with Publish requests queued and no
  backlog: the server's loss; short with a backlog and no request queued: the server was waiting
  for the client's requests, and the queue-size-1 items kept only the newest value meanwhile;
* Publish requests queued at the server (median of its once-a-second count) and, for ours, kept
  in flight by the client; notifications per Publish response;
* newest-value age (now minus the source time of each tag's newest value, at the window's end);
* overflow and drop counts of our subscription; client CPU per notification.

The Node.js dependencies are installed with ``npm ci`` into ``benchmarks/node_opcua_server``
when missing (not committed); without npm, Node.js or the registry the benchmark says why and
writes that into the results instead of failing. Network: 127.0.0.1 only (and the npm registry
for the install).

Results: benchmarks/results/foreign_opcua.json.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import statistics
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SERVER_DIR = ROOT / "benchmarks" / "node_opcua_server"
RESULTS = ROOT / "benchmarks" / "results" / "foreign_opcua.json"
SIZES = (1_000, 3_000, 5_000, 10_000)
INTERVAL_MS = 100
MAX_NOTIFICATIONS = 1_000
SETTLE_S = 3.0  # initial values, publish requests settling
WINDOW_S = 10.0
TAIL_S = 1.5  # after the window: values stamped inside it that are still on their way
NAMESPACE = "urn:millwright:foreign"


# -- the Node.js server ------------------------------------------------------------------------------


def install() -> str | None:
    """Install the server's dependencies if they are missing; the reason to skip, or None."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        return "Node.js (node) is not installed"
    if (SERVER_DIR / "node_modules" / "node-opcua" / "package.json").is_file():
        return None
    if npm is None:
        return "npm is not installed, so node-opcua cannot be installed"
    verb = "ci" if (SERVER_DIR / "package-lock.json").is_file() else "install"
    print(f"Installing node-opcua (npm {verb} in {SERVER_DIR.relative_to(ROOT)}) ...", flush=True)
    try:
        done = subprocess.run([npm, verb, "--no-audit", "--no-fund"], cwd=SERVER_DIR, capture_output=True,
                              text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"npm {verb} failed: {exc}"
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        return f"npm {verb} failed (exit {done.returncode}; the registry may be unreachable): {tail}"
    return None


def node_opcua_version() -> str:
    try:
        return json.loads((SERVER_DIR / "node_modules" / "node-opcua" / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeServer:
    """server.js in its own process; its tick stamps and status lines, read on a thread."""

    def __init__(self, tmp: Path, tags: int):
        self.port = free_port()
        self.err = (tmp / "node_server.log").open("w")
        self.proc = subprocess.Popen(
            [shutil.which("node") or "node", *os.environ.get("FOREIGN_OPCUA_NODE_FLAGS", "").split(),  # e.g. --cpu-prof
             "server.js", "--port", str(self.port), "--tags", str(tags),
             "--interval", str(INTERVAL_MS), "--max-notifications", str(MAX_NOTIFICATIONS), "--pki", str(tmp / "pki")],
            cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=self.err, text=True)
        self.url = ""
        self.ready = threading.Event()
        self.stamps: list[int] = []  # source time of every tick, ms since the epoch
        self.status: list[tuple[float, dict]] = []  # (time.time() when read, status)
        self._reader = threading.Thread(target=self._read, name="node-opcua-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            kind, _, rest = line.rstrip("\n").partition(" ")
            if kind == "T":
                self.stamps.append(int(rest.split()[1]))
            elif kind == "S":
                self.status.append((time.time(), json.loads(rest)))
            elif kind == "READY":
                self.url = rest.strip()
                self.ready.set()
        self.ready.set()

    def wait_ready(self, timeout: float = 120.0) -> None:
        if not self.ready.wait(timeout) or not self.url:
            self.stop()
            log = (Path(self.err.name).read_text(errors="replace").strip().splitlines() or ["(nothing)"])[-5:]
            raise RuntimeError("the node-opcua server did not start: " + " | ".join(log))

    def ticks_between(self, start_ms: float, end_ms: float) -> set[int]:
        return {s for s in list(self.stamps) if start_ms <= s < end_ms}

    def mark(self) -> tuple[float, float]:
        """(wall time, the server's CPU seconds) now: the ends of a window."""
        try:
            cpu = psutil.Process(self.proc.pid).cpu_times()
            return time.time(), cpu.user + cpu.system
        except psutil.Error:
            return time.time(), 0.0

    def window(self, start: tuple[float, float], end: tuple[float, float], items: int) -> dict:
        """The server's view of a window: ticks, its CPU, notifications sent, Publish requests queued, backlog."""
        stamps = sorted(self.ticks_between(start[0] * 1000, end[0] * 1000))
        periods = [b - a for a, b in itertools.pairwise(stamps)]
        view: dict = {"ticks_per_s": round(len(stamps) / (end[0] - start[0]), 2),
                      "tick_ms_median": statistics.median(periods) if periods else None,
                      "tick_ms_max": max(periods) if periods else None,
                      "cpu_percent_of_one_core": round(100 * (end[1] - start[1]) / (end[0] - start[0]))}
        lines = [(t, s) for t, s in list(self.status) if start[0] <= t <= end[0] + 1.0]
        subs = [(t, session["pending_publish"], sub) for t, s in lines for session in s["sessions"]
                for sub in session["subscriptions"] if sub["items"] == items]
        if len(subs) < 2:
            return view
        (t0, _, first), (t1, _, last) = subs[0], subs[-1]
        sent = last["notifications"] - first["notifications"]
        messages = last["messages"] - first["messages"]
        ticks = len(self.ticks_between(t0 * 1000, t1 * 1000))
        queued = [p for _, p, _ in subs]
        view.update({"sent_share": round(sent / max(1, ticks * items), 4),
                     "notifications_per_response": round(sent / max(1, messages), 1),
                     "publish_queued_median": statistics.median(queued), "publish_queued_min": min(queued),
                     "backlog_max": max(sub["backlog"] for _, _, sub in subs),
                     "backlog_median": statistics.median(sub["backlog"] for _, _, sub in subs),
                     "queue_overflows": last["queue_overflows"] - first["queue_overflows"],
                     "late_publish": last["late_publish"] - first["late_publish"],
                     "max_notifications_per_publish": last["max_notifications_per_publish"]})
        return view

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        self.err.close()


# -- the clients --------------------------------------------------------------------------------------


def tag_names(size: int) -> list[str]:
    return [f"Tag{i:05d}" for i in range(size)]


def _percentiles(ages: list[float]) -> tuple[float, float]:
    if not ages:
        return 0.0, 0.0
    ages = sorted(ages)
    return round(ages[len(ages) // 2], 1), round(ages[min(len(ages) - 1, int(0.95 * len(ages)))], 1)


def _busy(before, after) -> float:
    return after.user + after.system - before.user - before.system


async def ours(server: NodeServer, tmp: Path, size: int) -> dict:
    from device_browser.bus import LiveBus
    from device_browser.opcua.client import OpcUaSession

    tags = [f"nsu={NAMESPACE};s={name}" for name in tag_names(size)]
    session = OpcUaSession(server.url, pki_dir=tmp / "client", timeout=30)
    bus = LiveBus(capacity=400)
    process = psutil.Process()
    in_flight: list[int] = []
    try:
        await session.connect()
        sub = await session.subscribe(tags, INTERVAL_MS, bus, queue_size=1, sampling_interval_ms=INTERVAL_MS)
        reader = bus.reader(tags)
        await asyncio.sleep(SETTLE_S)
        reader.read()
        publishes = session.request_count.get("Publish", 0)
        cpu_before, started, mark_start = process.cpu_times(), time.perf_counter(), server.mark()
        while time.perf_counter() - started < WINDOW_S:
            await asyncio.sleep(min(1.0, WINDOW_S - (time.perf_counter() - started)))
            publisher = session.live.publisher if session.live else None
            in_flight.append(publisher.in_flight if publisher else 0)
        cpu, seconds, mark_end = process.cpu_times(), time.perf_counter() - started, server.mark()
        publishes = session.request_count.get("Publish", 0) - publishes
        now_ns = time.time_ns()
        ages = [(now_ns - latest[0]) / 1e6 for latest in map(bus.latest, tags) if latest is not None]
        newest_age_s = sub.stats.newest_age_s
        await asyncio.sleep(TAIL_S)
        chunks = reader.read()
        stats = sub.stats
        publisher = session.live.publisher if session.live else None
        target, refused = (publisher.target, publisher.refused) if publisher else (0, 0)
    finally:
        await session.close()
    ticks = server.ticks_between(mark_start[0] * 1000, mark_end[0] * 1000)
    received = 0
    for chunk in chunks.values():
        good = chunk.t[chunk.q == 0] // 1_000_000
        received += sum(1 for ms in good.tolist() if ms in ticks)
    busy = _busy(cpu_before, cpu)
    median_age, p95_age = _percentiles(ages)
    return {"ticks": len(ticks), "received": received,
            "share_received": round(received / max(1, len(ticks) * size), 4),
            "newest_age_ms_median": median_age, "newest_age_ms_p95": p95_age, "newest_age_s": round(newest_age_s, 3),
            "client_cpu_us_per_notification": round(1e6 * busy / max(1, received), 1),
            "client_cpu_percent_of_one_core": round(100 * busy / seconds),
            "publish_target": target, "publish_in_flight_median": statistics.median(in_flight) if in_flight else 0,
            "publish_refused": refused, "publish_responses": publishes,
            "notifications_per_response": round(received / max(1, publishes), 1),
            "overflows": stats.overflows, "dropped": stats.dropped, "lost_in_bus": sum(reader.lost.values()),
            "server": server.window(mark_start, mark_end, size)}


async def plain_asyncua(server: NodeServer, size: int) -> dict:
    """The naive baseline: asyncua's own subscription, a handler that only counts, one Publish in flight."""
    from asyncua import Client

    per_stamp: Counter = Counter()
    newest: dict = {}

    class Handler:
        def datachange_notification(self, node, value, data) -> None:
            stamp = data.monitored_item.Value.SourceTimestamp
            per_stamp[stamp] += 1
            newest[node] = stamp

    process = psutil.Process()
    async with Client(server.url, timeout=30) as client:
        ns = await client.get_namespace_index(NAMESPACE)
        nodes = [client.get_node(f"ns={ns};s={name}") for name in tag_names(size)]
        sub = await client.create_subscription(INTERVAL_MS, Handler())
        for start in range(0, len(nodes), 1000):  # asyncua does not chunk; the server takes 1,000 per call
            await sub.subscribe_data_change(nodes[start:start + 1000], queuesize=1, sampling_interval=INTERVAL_MS)
        await asyncio.sleep(SETTLE_S)
        cpu_before, started, mark_start = process.cpu_times(), time.perf_counter(), server.mark()
        await asyncio.sleep(WINDOW_S)
        cpu, seconds, mark_end = process.cpu_times(), time.perf_counter() - started, server.mark()
        now = time.time()
        ages = [(now - _epoch_s(ts)) * 1000 for ts in newest.values()]
        await asyncio.sleep(TAIL_S)
        counts = dict(per_stamp)
        with contextlib.suppress(Exception):
            await sub.delete()
    ticks = server.ticks_between(mark_start[0] * 1000, mark_end[0] * 1000)
    received = sum(n for stamp, n in counts.items() if round(_epoch_s(stamp) * 1000) in ticks)
    busy = _busy(cpu_before, cpu)
    median_age, p95_age = _percentiles(ages)
    return {"ticks": len(ticks), "received": received,
            "share_received": round(received / max(1, len(ticks) * size), 4),
            "newest_age_ms_median": median_age, "newest_age_ms_p95": p95_age,
            "client_cpu_us_per_notification": round(1e6 * busy / max(1, received), 1),
            "client_cpu_percent_of_one_core": round(100 * busy / seconds),
            "server": server.window(mark_start, mark_end, size)}


def _epoch_s(stamp) -> float:
    from datetime import UTC

    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


async def run(tmp: Path) -> dict:
    sizes = {}
    for size in SIZES:
        server = NodeServer(tmp, size)  # N tags, as the server would have; its certificate made once
        try:
            await asyncio.to_thread(server.wait_ready)
            print(f"  {size} tags: ours ...", flush=True)
            mine = await ours(server, tmp / f"ours{size}", size)
            print(f"  {size} tags: plain asyncua ...", flush=True)
            plain = await plain_asyncua(server, size)
        finally:
            server.stop()
        sizes[str(size)] = {"ours": mine, "plain_asyncua": plain}
    return {"sizes": sizes}


def main() -> None:
    import tempfile

    result: dict = {"server": "node-opcua", "interval_ms": INTERVAL_MS, "sampling_interval_ms": INTERVAL_MS,
                    "queue_size": 1, "max_notifications_per_publish": MAX_NOTIFICATIONS, "window_s": WINDOW_S,
                    "cpu_count": psutil.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    reason = install()
    if reason is None:
        result["node_opcua_version"] = node_opcua_version()
        print(f"Foreign OPC UA server: node-opcua {result['node_opcua_version']}, {max(SIZES)} tags "
              f"changing every {INTERVAL_MS} ms, at most {MAX_NOTIFICATIONS} notifications per Publish", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            result.update(asyncio.run(run(Path(tmp))))
    else:
        print(f"foreign_opcua skipped: {reason}")
        result["skipped"] = reason
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    if reason is None:
        print_table(result)
    print(f"Written to {RESULTS.relative_to(ROOT)}")


def print_table(result: dict) -> None:
    print(f"\nOPC UA subscriptions to node-opcua at {result['interval_ms']} ms "
          f"(sampling {result['sampling_interval_ms']} ms, queue 1), tags changing every {result['interval_ms']} ms, "
          f"≤ {result['max_notifications_per_publish']} "
          f"notifications per Publish, {result['window_s']:g} s each")
    print(f"{'tags':>6} {'client':<8}{'received':>9}{'sent':>8}{'age ms':>8}{'p95':>6}{'µs/notif':>9}{'CPU %':>6}"
          f"{'in flight':>10}{'queued':>7}{'notif/resp':>11}{'backlog':>8}{'overflows':>10}"
          f"{'ticks/s':>8}{'srv CPU %':>10}")
    for size, pair in result["sizes"].items():
        for name, r in (("ours", pair["ours"]), ("asyncua", pair["plain_asyncua"])):
            s = r.get("server", {})
            flight = f"{r['publish_in_flight_median']:g}/{r['publish_target']}" if "publish_target" in r else "1"
            print(f"{size:>6} {name:<8}{r['share_received']:>9.1%}{s.get('sent_share', 0):>8.1%}"
                  f"{r['newest_age_ms_median']:>8.0f}{r['newest_age_ms_p95']:>6.0f}"
                  f"{r['client_cpu_us_per_notification']:>9.1f}{r['client_cpu_percent_of_one_core']:>6}{flight:>10}"
                  f"{s.get('publish_queued_median', 0):>7g}{s.get('notifications_per_response', 0):>11g}"
                  f"{s.get('backlog_max', 0):>8}{r.get('overflows', '-'):>10}"
                  f"{s.get('ticks_per_s', 0):>8.1f}{s.get('cpu_percent_of_one_core', 0):>10}")
    print("received: samples stamped with a server tick inside the window / (ticks × tags); sent: the server's own "
          "count of notifications sent / (ticks × tags); in flight: Publish requests the client keeps outstanding "
          "(median/target); queued: Publish requests waiting at the server (median of its 1-s reports); backlog: "
          "notifications waiting at the server for a Publish request (max); ticks/s: the server's changes per second "
          "(10 = every 100 ms).")


if __name__ == "__main__":
    main()
