"""Store-and-forward replay rate of the Sparkplug edge node after an outage, through a real broker.

The example app's edge node finds :data:`MESSAGES` DDATA messages (each of the app's six outputs)
in its store, as after an outage, and connects to Debian's ``mosquitto`` on 127.0.0.1. Timed:
from ``start`` until a subscriber on the same broker has received every replayed message
(births first, historical flag set), best of :data:`RUNS`. The figure is messages per second.

Results: benchmarks/results/runtime_sparkplug.json.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt

from app_packager.manifest import parse_manifest
from app_packager.runtime.sparkplug import SparkplugConfig, SparkplugEdgeNode
from app_packager.runtime.store_forward import ForwardStore
from nodes.resources import resources_dir
from tests.mosquitto import MosquittoProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "runtime_sparkplug.json"
APP = resources_dir() / "examples" / "pump_station" / "apps" / "pump_efficiency" / "app.yaml"
MESSAGES = 5_000
RUNS = 3
DEADLINE = 120.0


def _replay_seconds(broker: MosquittoProcess, data_dir: Path) -> float:
    manifest = parse_manifest(APP.read_text(encoding="utf-8"), APP)
    store = ForwardStore(data_dir / "sparkplug-store.sqlite3", MESSAGES)
    store.append([[(alias, i, float(i)) for alias in range(1, len(manifest.outputs) + 1)] for i in range(MESSAGES)])
    store.close()
    received = threading.Semaphore(0)
    subscribed = threading.Event()
    host = mqtt.Client(client_id=f"bench-host-{time.monotonic_ns()}")
    host.on_connect = lambda c, *_: c.subscribe("spBv1.0/+/DDATA/#", qos=1)
    host.on_subscribe = lambda *_: subscribed.set()
    host.on_message = lambda *_: received.release()
    host.connect("127.0.0.1", broker.port)
    host.loop_start()
    subscribed.wait(DEADLINE)
    node = SparkplugEdgeNode(manifest, SparkplugConfig(url=broker.url, group="bench", edge_node="runtime",
                                                       data_dir=data_dir, buffer_limit=MESSAGES))

    async def replay() -> float:
        started = time.perf_counter()
        await node.start()
        for _ in range(MESSAGES):
            if not await asyncio.to_thread(received.acquire, True, DEADLINE):
                raise RuntimeError("the replay stalled")
        elapsed = time.perf_counter() - started
        await node.close()
        return elapsed

    try:
        return asyncio.run(replay())
    finally:
        host.loop_stop()
        host.disconnect()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        broker = MosquittoProcess(Path(scratch) / "broker")
        broker.start()
        try:
            best = min(_replay_seconds(broker, Path(scratch) / f"node{run}") for run in range(RUNS))
        finally:
            broker.stop()
    result = {"messages": MESSAGES, "metrics_per_message": 6, "replay_seconds": round(best, 3),
              "replay_messages_per_second": round(MESSAGES / best)}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Sparkplug store-and-forward replay: {result['replay_messages_per_second']} messages/s "
          f"({MESSAGES} messages in {best:.2f} s)")


if __name__ == "__main__":
    main()
