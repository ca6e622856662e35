"""The headless runtime under load: 1,000 bound tags at 100 ms, device value change → the runtime's
OPC UA output and → Sparkplug DDATA at the broker; the runtime's RSS and CPU.

Set-up, every part a real process on loopback: ``millwright simulate opcua --extra-tags 1000
--extra-interval 0.1`` (1,000 Double tags, all changing together every 100 ms as far as the
simulator keeps up, one source time per update), Debian's ``mosquitto``, and ``millwright app run``
of an app built here with 1,000 ``io.input → signal.scale (×2) → io.output`` chains (the example
app has 3 inputs: 1,000 bound tags need an app with 1,000 inputs), at 10 Hz, with its OPC UA server
(SignAndEncrypt, a user, this benchmark's certificate trusted) and its Sparkplug edge node.

Timed, for every 5th tag (:data:`SAMPLED`; all 1,000 are bound, served and sent): from the device's
source time of a value to the first arrival of twice that value (exact in floating point) at an
asyncua client subscribed to all 1,000 outputs (100 ms publishing), and in a DDATA at a paho
subscriber decoding with pysparkplug. Baseline in the same run: the same tags' source time → a
plain asyncua subscription on the simulator (100 ms), what the device path alone costs.
The runtime's RSS and CPU are sampled with psutil over the window.

Results: benchmarks/results/runtime.json.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import psutil
import pysparkplug as spb
import yaml
from asyncua import Client, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from app_packager.build import build_app
from device_browser.opcua.security import ApplicationCertificate
from device_browser.simulators.opcua.simulation import free_port
from nodes.resources import resources_dir
from tests.mosquitto import MosquittoProcess
from tests.simulator_process import SimulatorProcess

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "runtime.json"
EXAMPLE_MANIFEST = resources_dir() / "examples" / "pump_station" / "apps" / "pump_efficiency" / "app.yaml"
TAGS = 1000
RATE_HZ = 10
GAIN = 2.0  # exact in binary floating point: an output value names the device value it came from
SAMPLED = range(0, TAGS, 5)
WINDOW_S = 15.0
DEADLINE_S = 120.0
SUBSCRIBE_CHUNK = 500
USER, PASSWORD = "bench", "bench-password"
APP_NAMESPACE = "urn:millwright:app:org.millwright.benchmarks.scale-1000"
DEVICE_NAMESPACE = "urn:millwright:pumpstation"
NS = 1_000_000_000


def _column(i: int) -> str:
    return f"tag{i:05d}"


def _device_tag(i: int) -> str:
    return f"Extra.Tag{i:05d}"


# -- the app --------------------------------------------------------------------------------------

def _graph() -> dict:
    nodes, edges = [], []
    for i in range(TAGS):
        column, y = _column(i), 50.0 * i
        nodes += [{"id": f"in{i}", "type": "io.input", "version": 1, "position": [0.0, y],
                   "params": {"column": column, "kind": "signal", "unit": "bar"}},
                  {"id": f"scale{i}", "type": "signal.scale", "version": 1, "position": [200.0, y],
                   "params": {"gain": GAIN, "offset": 0.0, "unit": ""}},
                  {"id": f"out{i}", "type": "io.output", "version": 1, "position": [400.0, y],
                   "params": {"column": f"{column}_x2"}}]
        edges += [{"from": f"in{i}.y", "to": f"scale{i}.x"}, {"from": f"scale{i}.y", "to": f"out{i}.x"}]
    return {"schema_version": 1, "name": "Scale 1,000 tags", "description": "Benchmark: 1,000 tags, each ×2.",
            "nodes": nodes, "edges": edges}


def _manifest() -> dict:
    """The example app's manifest with 1,000 inputs and outputs, no parameters and no golden tests."""
    manifest = yaml.safe_load(EXAMPLE_MANIFEST.read_text(encoding="utf-8"))
    manifest.update(id="org.millwright.benchmarks.scale-1000", name={"en": "Scale 1,000 tags"},
                    description={"en": "Benchmark app: 1,000 tags, each doubled."}, graph="graphs/scale.json",
                    inputs={_column(i): {"unit": "bar", "kind": "signal"} for i in range(TAGS)},
                    outputs={f"{_column(i)}_x2": {"unit": "bar"} for i in range(TAGS)}, parameters={})
    manifest["requires"]["components"] = {"signal.scale": 1}
    manifest.pop("tests", None)
    return manifest


def build_benchmark_app(folder: Path) -> Path:
    """A project with the 1,000-tag app, built into an unsigned ``.iapp``."""
    project = folder / "scale_project"
    (project / "graphs").mkdir(parents=True)
    (project / "apps" / "scale").mkdir(parents=True)
    (project / "project.json").write_text(json.dumps({"schema_version": 1, "name": "Runtime benchmark",
                                                      "millwright_version": "0.1.0", "description": ""}))
    (project / "graphs" / "scale.json").write_text(json.dumps(_graph()), encoding="utf-8")
    (project / "apps" / "scale" / "app.yaml").write_text(yaml.safe_dump(_manifest(), allow_unicode=True),
                                                        encoding="utf-8")
    return build_app(project).path


def _bindings(device: str) -> str:
    lines = ["schema_version: 1", "bindings:"]
    lines += [f'  {_column(i)}: {{device: {device}, address: "nsu={DEVICE_NAMESPACE};s={_device_tag(i)}", '
              "data_type: double, unit: bar}" for i in range(TAGS)]
    return "\n".join(lines) + "\n"


# -- what arrives ---------------------------------------------------------------------------------

def _ns(stamp: datetime) -> int:
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return int(stamp.timestamp() * 1e6) * 1000


class Arrivals:
    """Values as they arrive, with the wall-clock time (ns) of arrival; the handlers only append."""

    def __init__(self, key_of):
        self.key_of = key_of  # NodeId identifier → tag index, or None for a node not timed
        self.rows: list[tuple[int, float, int, int]] = []  # tag, value, arrival, source time

    def datachange_notification(self, node, value, data) -> None:
        index = self.key_of(node.nodeid.Identifier)
        if index is not None and isinstance(value, float):
            source = data.monitored_item.Value.SourceTimestamp
            self.rows.append((index, value, time.time_ns(), _ns(source) if source else 0))


def _sampled_device_index(identifier: str) -> int | None:
    index = int(identifier.removeprefix("Extra.Tag"))
    return index if index in SAMPLED else None


def _sampled_output_index(identifier: str) -> int | None:
    index = int(identifier.removeprefix("Outputs.tag").removesuffix("_x2"))
    return index if index in SAMPLED else None


class SparkplugArrivals:
    """DBIRTH and DDATA payloads with their arrival times, decoded after the run (the callback only appends)."""

    def __init__(self, port: int):
        self.raw: list[tuple[str, bytes, int]] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(client_id=f"bench-runtime-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, *_: c.subscribe("spBv1.0/+/+/+/+", qos=1)
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.on_message = lambda _c, _u, m: self.raw.append((m.topic.split("/")[2], m.payload, time.time_ns()))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not self.subscribed.wait(DEADLINE_S):
            raise RuntimeError("the benchmark's MQTT subscriber was not subscribed")

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def rows(self) -> list[tuple[int, float, int]]:
        """(tag, value, arrival) of every sampled output in every DDATA."""
        birth, rows = None, []
        for kind, payload, arrived in list(self.raw):
            if kind == "DBIRTH":
                birth = spb.DBirth.decode(payload)
            elif kind == "DDATA" and birth is not None:
                for metric in spb.DData.decode(payload, birth=birth).metrics:
                    index = _sampled_output_index(f"Outputs.{metric.name}")
                    if index is not None and isinstance(metric.value, float):
                        rows.append((index, metric.value, arrived))
        return rows


# -- the run --------------------------------------------------------------------------------------

def _wait_ready(port: int, runtime: subprocess.Popen) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline and runtime.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the runtime was not ready within {DEADLINE_S:g} s (exit code {runtime.poll()})")


async def _subscribe(client: Client, namespace: str, identifiers: list[str], handler) -> None:
    ns = await client.get_namespace_index(namespace)
    nodes = [client.get_node(ua.NodeId(identifier, ns)) for identifier in identifiers]
    subscription = await client.create_subscription(100, handler)
    for start in range(0, len(nodes), SUBSCRIBE_CHUNK):
        await subscription.subscribe_data_change(nodes[start:start + SUBSCRIBE_CHUNK], queuesize=10)


async def _secure_client(url: str, pki: Path) -> Client:
    own = ApplicationCertificate.ensure(pki, "localhost")
    client = Client(url, timeout=30)
    client.application_uri = own.application_uri
    await client.set_security(SecurityPolicyBasic256Sha256, str(own.cert_path), str(own.key_path),
                              mode=ua.MessageSecurityMode.SignAndEncrypt)
    client.set_user(USER)
    client.set_password(PASSWORD)
    return client


async def _measure(simulator_url: str, output_client: Client | Awaitable[Client],
                   processes: dict[str, psutil.Process], sparkplug: SparkplugArrivals | None) -> dict:
    """``processes``: the runtime (or the relay), the simulator and this client, which share the machine's cores."""
    runtime = processes["runtime"]
    runtime_client = await output_client if inspect.isawaitable(output_client) else output_client
    device, output = Arrivals(_sampled_device_index), Arrivals(_sampled_output_index)
    async with Client(simulator_url, timeout=30) as device_client, runtime_client:
        await _subscribe(device_client, DEVICE_NAMESPACE, [_device_tag(i) for i in SAMPLED], device)
        await _subscribe(runtime_client, APP_NAMESPACE, [f"Outputs.{_column(i)}_x2" for i in range(TAGS)], output)
        await asyncio.sleep(3.0)  # initial values, the runtime's first ticks
        window_start, rss = time.time_ns(), []
        cpu_before = {name: process.cpu_times() for name, process in processes.items()}
        while time.time_ns() - window_start < WINDOW_S * NS:
            rss.append(runtime.memory_info().rss)
            await asyncio.sleep(0.5)
        cpu = {name: process.cpu_times() for name, process in processes.items()}
        window_end = time.time_ns()
        await asyncio.sleep(2.0)  # the last changes of the window reach the outputs
    seconds = (window_end - window_start) / NS
    busy = {name: round(100 * (cpu[name].user + cpu[name].system - cpu_before[name].user - cpu_before[name].system)
                        / seconds) for name in processes}
    changes = {(tag, value): source for tag, value, _, source in device.rows
               if window_start <= source < window_end}
    return {"device_changes_timed": len(changes),
            "baseline_plain_asyncua": _latencies([(a - s) for _, _, a, s in device.rows
                                                  if window_start <= s < window_end], len(changes)),
            "opcua_output": _matched(changes, [(t, v, a) for t, v, a, _ in output.rows]),
            "sparkplug_ddata": _matched(changes, sparkplug.rows()) if sparkplug else None,
            "runtime_rss_mb_peak": round(max(rss) / 2**20, 1), "runtime_rss_mb_last": round(rss[-1] / 2**20, 1),
            "runtime_cpu_percent_of_one_core": busy["runtime"],
            "simulator_cpu_percent_of_one_core": busy["simulator"],
            "benchmark_clients_cpu_percent_of_one_core": busy["clients"]}


def _matched(changes: dict, rows: list[tuple[int, float, int]]) -> dict:
    """Latency from each device change's source time to the first arrival of its doubled value."""
    first: dict = {}
    for tag, value, arrived in rows:
        key = (tag, value / GAIN)
        if key in changes and key not in first:
            first[key] = arrived - changes[key]
    return _latencies(list(first.values()), len(changes))


def _latencies(ns: list[int], changes: int) -> dict:
    if not ns:
        return {"count": 0, "share_of_changes": 0.0}
    ms = np.asarray(ns, dtype=np.float64) / 1e6
    return {"count": len(ns), "share_of_changes": round(len(ns) / max(1, changes), 3),
            "median_ms": round(float(np.median(ms)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1)}


def _run(scratch: Path) -> dict:
    app = build_benchmark_app(scratch)
    simulator = SimulatorProcess("opcua", free_port("127.0.0.1"), scratch / "sim",
                                 ("--extra-tags", str(TAGS), "--extra-interval", "0.1"))
    broker = MosquittoProcess(scratch / "broker")
    site = scratch / "site"
    (site / "devices").mkdir(parents=True)
    text, name = simulator.profile_text()
    (site / "devices" / name).write_text(text, encoding="utf-8")
    (site / "bindings.yaml").write_text(_bindings("pump-station-opcua"), encoding="utf-8")
    trusted = site / "data" / "opcua" / "pki" / "trusted"
    trusted.mkdir(parents=True)
    pki = scratch / "client-pki"
    trusted.joinpath("bench.der").write_bytes(ApplicationCertificate.ensure(pki, "localhost").cert_path.read_bytes())
    health, opcua = free_port("127.0.0.1"), free_port("127.0.0.1")
    simulator.start()
    broker.start()
    sparkplug = SparkplugArrivals(broker.port)
    command = [sys.executable, "-m", "workbench", "app", "run", str(app), "--bind", str(site / "bindings.yaml"),
               "--devices", str(site / "devices"), "--data", str(site / "data"), "--allow-unsigned",
               "--rate", str(RATE_HZ), "--health-port", str(health), "--opcua-port", str(opcua),
               "--mqtt", broker.url, "--site", "bench", "--edge-node", "runtime"]
    log = (scratch / "runtime.log").open("w")
    runtime = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", "MILLWRIGHT_OPCUA_USER": USER,
                                    "MILLWRIGHT_OPCUA_PASSWORD": PASSWORD})
    try:
        _wait_ready(health, runtime)
        processes = {"runtime": psutil.Process(runtime.pid), "simulator": psutil.Process(simulator.process.pid),
                     "clients": psutil.Process()}
        result = asyncio.run(_measure(simulator.url, _secure_client(f"opc.tcp://127.0.0.1:{opcua}/millwright/",
                                                                    pki), processes, sparkplug))
    except Exception:
        print((scratch / "runtime.log").read_text(encoding="utf-8")[-4000:], file=sys.stderr)
        raise
    finally:
        _stop(runtime)
        log.close()
        sparkplug.close()
        broker.stop()
    try:
        result["relay"] = _relay_baseline(simulator)
    finally:
        simulator.stop()
    return result


def _relay_baseline(simulator: SimulatorProcess) -> dict:
    """The same measurement of a plain asyncua relay (benchmarks/runtime_relay.py) on the same simulator."""
    port = free_port("127.0.0.1")
    relay = subprocess.Popen([sys.executable, "-m", "benchmarks.runtime_relay", simulator.url, str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    try:
        if relay.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the relay did not start (exit code {relay.poll()})")
        processes = {"runtime": psutil.Process(relay.pid), "simulator": psutil.Process(simulator.process.pid),
                     "clients": psutil.Process()}
        measured = asyncio.run(_measure(simulator.url, Client(f"opc.tcp://127.0.0.1:{port}/relay/", timeout=30),
                                        processes, None))
    finally:
        _stop(relay)
    return {"opcua_output": measured["opcua_output"], "rss_mb_peak": measured["runtime_rss_mb_peak"],
            "cpu_percent_of_one_core": measured["runtime_cpu_percent_of_one_core"],
            "device_path_same_run": measured["baseline_plain_asyncua"]}


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        measured = _run(Path(scratch))
    result = {"tags": TAGS, "rate_hz": RATE_HZ, "timed_tags": len(SAMPLED), "window_s": WINDOW_S,
              "cpu_count": psutil.cpu_count(), **measured}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Runtime, {TAGS} tags at {RATE_HZ} Hz ({measured['device_changes_timed']} device changes timed):")
    for label, key in (("device → plain asyncua (baseline)", "baseline_plain_asyncua"),
                       ("device → runtime OPC UA output", "opcua_output"),
                       ("device → Sparkplug DDATA", "sparkplug_ddata")):
        figures = measured[key]
        print(f"  {label}: median {figures.get('median_ms')} ms, p99 {figures.get('p99_ms')} ms "
              f"({figures['count']} values, {figures['share_of_changes']:.0%} of the changes)")
    relay = measured["relay"]
    print(f"  baseline, a plain asyncua relay (no grid, engine, security, Sparkplug): device → its output "
          f"median {relay['opcua_output'].get('median_ms')} ms, p99 {relay['opcua_output'].get('p99_ms')} ms; "
          f"RSS {relay['rss_mb_peak']} MB, CPU {relay['cpu_percent_of_one_core']} %")
    print(f"  runtime RSS {measured['runtime_rss_mb_peak']} MB peak, "
          f"CPU {measured['runtime_cpu_percent_of_one_core']} % of one core (simulator "
          f"{measured['simulator_cpu_percent_of_one_core']} %, these clients "
          f"{measured['benchmark_clients_cpu_percent_of_one_core']} %, on {psutil.cpu_count()} cores)")


if __name__ == "__main__":
    main()
