"""The Sparkplug edge node against a real broker (Debian's mosquitto) and a subscriber that decodes
every payload with pysparkplug, as a Sparkplug host would."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import paho.mqtt.client as mqtt
import pysparkplug as spb
import pytest
from pysparkplug import _protobuf as spb_protobuf

from app_packager.manifest import AppOutput, parse_manifest
from app_packager.runtime.metrics import RuntimeMetrics
from app_packager.runtime.sparkplug import REBIRTH, SparkplugConfig, SparkplugEdgeNode
from app_packager.runtime.store_forward import ForwardStore
from nodes.chunk import BAD, Chunk
from nodes.resources import resources_dir
from tests.device_browser.proxy import CablePuller
from tests.mosquitto import MosquittoProcess, mosquitto_missing, serve_mosquitto

DEADLINE = 30.0
APP = resources_dir() / "examples" / "pump_station" / "apps" / "pump_efficiency" / "app.yaml"
DEVICE = "org.millwright.examples.pump-efficiency"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    yield from serve_mosquitto(tmp_path_factory)


@pytest.fixture(scope="module")
def manifest():
    return parse_manifest(APP.read_text(encoding="utf-8"), APP)


@dataclass
class Received:
    kind: str
    payload: object
    topic: str
    raw: bytes


class Host:
    """A subscriber to everything under spBv1.0/ that decodes with pysparkplug (DDATA by the last DBIRTH)."""

    def __init__(self, port: int, primary: str = ""):
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._birth: spb.DBirth | None = None
        self._subscribed = threading.Event()
        self.client = mqtt.Client(client_id=f"test-host-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, *_: self._connected(c, primary)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        self._configure(self.client)
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        assert self._subscribed.wait(DEADLINE)

    def _configure(self, client: mqtt.Client) -> None:
        """TLS and credentials, for a broker that wants them (none for the plain test broker)."""

    @staticmethod
    def _connected(client: mqtt.Client, primary: str) -> None:
        """Subscribe; as a primary host, then say online (a broker that lost everything learns it again)."""
        client.subscribe("spBv1.0/#", qos=1)
        if primary:
            client.publish(f"spBv1.0/STATE/{primary}", json.dumps(
                {"online": True, "timestamp": spb.get_current_timestamp()}), qos=1, retain=True)

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        kind = message.topic.split("/")[1 if message.topic.startswith("spBv1.0/STATE/") else 2]
        decoders = {"NBIRTH": spb.NBirth, "DBIRTH": spb.DBirth, "NDEATH": spb.NDeath}
        if kind == "DDATA":
            payload = spb.DData.decode(message.payload, birth=self._birth)
        elif kind in decoders:
            payload = decoders[kind].decode(message.payload)
        else:
            payload = message.payload
        with self._lock:
            if kind == "DBIRTH":
                self._birth = payload
            self.messages.append(Received(kind, payload, message.topic, message.payload))

    def of(self, kind: str) -> list:
        with self._lock:
            return [m.payload for m in self.messages if m.kind == kind]

    def kinds(self) -> list[str]:
        with self._lock:
            return [m.kind for m in self.messages]

    def send(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(DEADLINE)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def host(broker):
    h = Host(broker.port)
    yield h
    h.close()


def config(tmp_path: Path, port: int, **extra) -> SparkplugConfig:
    return SparkplugConfig(url=f"mqtt://127.0.0.1:{port}", group="site-a", edge_node="runtime-1",
                           data_dir=tmp_path, keepalive_s=2, reconnect_cap_s=1.0, **extra)


def tick(t_ms: int, **values: float) -> dict[str, Chunk]:
    return {name: Chunk.of([t_ms * 1_000_000], [v]) for name, v in values.items()}


async def until(condition: Callable[[], object], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def bd_seq(payload) -> int:
    metrics = payload.metrics if hasattr(payload, "metrics") else (payload.bd_seq_metric,)
    return next(m.value for m in metrics if m.name == "bdSeq")


def efficiency_values(host: Host) -> list[tuple[float, bool]]:
    return [(m.value, m.is_historical) for p in host.of("DDATA") for m in p.metrics if m.name == "efficiency"]


def test_births_name_every_output_with_alias_type_and_unit_then_data_goes_by_alias_on_change(
        broker, host, manifest, tmp_path):
    node = SparkplugEdgeNode(manifest, config(tmp_path, broker.port, deadbands={"energy": 0.5}))

    async def scenario():
        await node.start()
        await until(lambda: host.of("DBIRTH"), "DBIRTH")
        await node.publish(tick(1000, efficiency=71.5, energy=10.0))
        await node.publish(tick(1100, efficiency=71.5, energy=10.2))  # no change; energy within its deadband
        await node.publish({**tick(1200, efficiency=72.0, energy=10.6),
                            "volume": Chunk.of([1200 * 1_000_000], [float("nan")], [BAD])})
        await until(lambda: len(host.of("DDATA")) >= 2, "two DDATA")
        await node.close()

    asyncio.run(scenario())
    assert host.kinds()[:2] == ["NBIRTH", "DBIRTH"]
    nbirth, dbirth = host.of("NBIRTH")[0], host.of("DBIRTH")[0]
    assert nbirth.seq == 0 and dbirth.seq == 1
    node_metrics = {m.name: m for m in nbirth.metrics}
    assert node_metrics["bdSeq"].datatype == spb.DataType.UINT64
    assert node_metrics[REBIRTH].datatype == spb.DataType.BOOLEAN and node_metrics[REBIRTH].value is False
    assert host.messages[1].topic == f"spBv1.0/site-a/DBIRTH/runtime-1/{DEVICE}"

    born = {m.name: m for m in dbirth.metrics}
    assert set(manifest.outputs) <= set(born)
    assert len({m.alias for m in dbirth.metrics}) == len(dbirth.metrics)
    assert all(born[name].datatype == spb.DataType.DOUBLE for name in manifest.outputs)
    assert born["specific_energy"].metadata.description.startswith("Energy per m³")
    assert "Parameters/rated_power" in born
    assert units_on_the_wire(host.messages[1].raw) == {name: o.unit for name, o in manifest.outputs.items()}

    data = host.of("DDATA")
    assert [p.seq for p in data[:2]] == [2, 3]
    first, second = ({m.name: m for m in p.metrics} for p in data[:2])
    assert all(m.alias is not None for p in data for m in p.metrics)
    assert first["efficiency"].value == 71.5 and first["energy"].value == 10.0
    assert first["efficiency"].timestamp == 1000
    assert second["efficiency"].value == 72.0 and second["energy"].value == 10.6
    assert second["volume"].is_null
    assert len(data) == 2  # the unchanged tick sent nothing


def test_a_boolean_output_is_born_and_sent_as_a_boolean_metric(broker, host, manifest, tmp_path):
    outputs = {**manifest.outputs, "alarm": AppOutput("", "boolean")}
    node = SparkplugEdgeNode(replace(manifest, outputs=outputs), config(tmp_path, broker.port))

    async def scenario():
        await node.start()
        await until(lambda: host.of("DBIRTH"), "DBIRTH")
        await node.publish({"alarm": Chunk.of([1_000_000_000], [True])})
        await until(lambda: host.of("DDATA"), "DDATA")
        await node.close()

    asyncio.run(scenario())
    born = {m.name: m for m in host.of("DBIRTH")[0].metrics}
    assert born["alarm"].datatype == spb.DataType.BOOLEAN
    assert born["efficiency"].datatype == spb.DataType.DOUBLE
    sent = {m.alias: m for m in host.of("DDATA")[0].metrics}
    assert sent[born["alarm"].alias].value is True


def units_on_the_wire(raw: bytes) -> dict[str, str]:
    """engUnit of each DBIRTH metric, from the protobuf itself (pysparkplug's Metric leaves properties out)."""
    return {m.name: dict(zip(m.properties.keys, (v.string_value for v in m.properties.values), strict=True))
            ["engUnit"] for m in spb_protobuf.Payload.FromString(raw).metrics if m.properties.keys}


async def stream(node: SparkplugEdgeNode, values: list[float], stop: asyncio.Event, period: float = 0.1) -> None:
    """One efficiency sample per period (t = its index in ms), until ``stop``; the values sent go in ``values``."""
    while not stop.is_set():
        values.append(float(len(values)))
        await node.publish(tick(len(values), efficiency=values[-1]))
        await asyncio.sleep(period)


def assert_nothing_lost(host: Host, sent: list[float]) -> None:
    """Every value arrived, in the order sent; a value may come twice (at least once: its PUBACK was cut
    off), and then only as a historical replay."""
    received = efficiency_values(host)
    first: list[float] = []
    for value, historical in received:
        if value in first:
            assert historical, f"{value} came twice live"
        else:
            first.append(value)
    assert first == sent


async def outage(node: SparkplugEdgeNode, host: Host, cut: Callable[[], None], restore: Callable[[], None],
                 seconds: float, will: bool = True) -> list[float]:
    """Stream through an outage of ``seconds``: the will arrives (when ``will``), then a rebirth and every value."""
    sent: list[float] = []
    stop = asyncio.Event()
    await until(lambda: host.of("DBIRTH"), "DBIRTH")
    streaming = asyncio.create_task(stream(node, sent, stop))
    await until(lambda: len(efficiency_values(host)) >= 5, "live DDATA")
    cut()
    if will:
        await until(lambda: host.of("NDEATH"), "the NDEATH will")
    await asyncio.sleep(seconds)
    restore()
    await until(lambda: len(host.of("NBIRTH")) >= 2, "the rebirth")
    await until(lambda: node.queue_depth == 0, "the replay")
    stop.set()
    await streaming
    await until(lambda: {v for v, _ in efficiency_values(host)} >= set(sent), "every value")
    await node.close()
    return sent


def assert_rebirth_after_will(host: Host) -> None:
    births, death = host.of("NBIRTH"), host.of("NDEATH")[0]
    assert bd_seq(death) == bd_seq(births[0])
    assert 0 < (bd_seq(births[-1]) - bd_seq(births[0])) % 256 < 128  # later CONNECTs took the next ones
    assert any(historical for _, historical in efficiency_values(host))
    kinds = host.kinds()
    rebirth = len(kinds) - 1 - kinds[::-1].index("NBIRTH")
    assert kinds[rebirth + 1] == "DBIRTH"


@pytest.mark.slow
def test_cable_cut_brings_the_will_then_a_rebirth_and_the_buffered_data_in_order(broker, host, manifest, tmp_path):
    with CablePuller(broker.port) as proxy:
        node = SparkplugEdgeNode(manifest, config(tmp_path, proxy.port))

        async def scenario():
            await node.start()
            return await outage(node, host, proxy.cut, proxy.restore, 10.0)

        sent = asyncio.run(scenario())
    assert_nothing_lost(host, sent)
    assert_rebirth_after_will(host)


@pytest.mark.slow
def test_broker_restart_brings_a_rebirth_and_the_buffered_data(tmp_path_factory, manifest, tmp_path):
    if reason := mosquitto_missing():
        pytest.skip(reason)
    broker = MosquittoProcess(tmp_path_factory.mktemp("restarted"))  # its own: the others' hosts would see the gap
    broker.start()
    # the host says online on every connection and the node waits for it, so no birth goes out unseen
    host = Host(broker.port, primary="scada-1")
    node = SparkplugEdgeNode(manifest, config(tmp_path, broker.port, primary_host="scada-1"))
    try:
        async def scenario():
            await node.start()
            return await outage(node, host, broker.stop, broker.start, 3.0, will=False)

        sent = asyncio.run(scenario())
    finally:
        host.close()
        broker.stop()
    births = host.of("NBIRTH")
    assert len(births) >= 2 and bd_seq(births[-1]) != bd_seq(births[0])
    assert_nothing_lost(host, sent)


def test_rebirth_command_publishes_both_births_again_with_the_same_bd_seq(broker, host, manifest, tmp_path):
    node = SparkplugEdgeNode(manifest, config(tmp_path, broker.port))
    rebirth = spb.NCmd(spb.get_current_timestamp(), (
        spb.Metric(spb.get_current_timestamp(), REBIRTH, spb.DataType.BOOLEAN, value=True),)).encode(
        include_dtypes=True)

    async def scenario():
        await node.start()
        await until(lambda: host.of("DBIRTH"), "DBIRTH")
        await node.publish(tick(1, efficiency=1.0))
        await until(lambda: host.of("DDATA"), "DDATA")
        host.send("spBv1.0/site-a/NCMD/runtime-1", rebirth)
        await until(lambda: len(host.of("DBIRTH")) == 2, "the second DBIRTH")
        await node.publish(tick(2, efficiency=2.0))
        await until(lambda: len(host.of("DDATA")) == 2, "DDATA after the rebirth")
        await node.close()

    asyncio.run(scenario())
    births = host.of("NBIRTH")
    assert len(births) == 2 and bd_seq(births[0]) == bd_seq(births[1])
    assert births[1].seq == 0 and host.of("DBIRTH")[1].seq == 1 and host.of("DDATA")[1].seq == 2
    assert {m.name: m.value for m in host.of("DBIRTH")[1].metrics}["efficiency"] == 1.0


def test_device_command_reaches_only_overridable_parameters_within_their_range(broker, host, manifest, tmp_path):
    calls: list[tuple[str, float]] = []
    node = SparkplugEdgeNode(manifest, config(tmp_path, broker.port), on_parameter=lambda n, v: calls.append((n, v)))
    topic = f"spBv1.0/site-a/DCMD/runtime-1/{DEVICE}"

    def dcmd(name: str, value: float) -> bytes:
        now = spb.get_current_timestamp()
        return spb.DCmd(now, (spb.Metric(now, name, spb.DataType.DOUBLE, value=value),)).encode()

    async def scenario():
        await node.start()
        await until(lambda: host.of("DBIRTH"), "DBIRTH")
        host.send(topic, dcmd("efficiency", 99.0))  # an output, not a parameter
        host.send(topic, dcmd("Parameters/rated_power", 5000.0))  # above its maximum of 1000
        host.send(topic, dcmd("Parameters/unknown", 1.0))
        host.send(topic, dcmd("Parameters/rated_power", 55.0))
        await until(lambda: calls, "the parameter callback")
        await until(lambda: host.of("DDATA"), "the new parameter value")
        await node.close()

    asyncio.run(scenario())
    assert calls == [("rated_power", 55.0)]
    assert [(m.name, m.value) for m in host.of("DDATA")[0].metrics] == [("Parameters/rated_power", 55.0)]


def test_births_carry_the_parameters_in_force_and_a_node_that_cannot_apply_them_refuses_commands(
        broker, host, manifest, tmp_path):
    metrics = RuntimeMetrics()
    node = SparkplugEdgeNode(manifest, config(tmp_path, broker.port, parameters={"rated_power": 22.0}),
                             metrics=metrics)
    topic = f"spBv1.0/site-a/DCMD/runtime-1/{DEVICE}"

    async def scenario():
        await node.start()
        await until(lambda: host.of("DBIRTH"), "DBIRTH")
        now = spb.get_current_timestamp()
        host.send(topic, spb.DCmd(now, (spb.Metric(now, "Parameters/rated_power", spb.DataType.DOUBLE,
                                                   value=30.0),)).encode())
        await until(metrics.last_error, "the refusal")
        await node.close()

    asyncio.run(scenario())
    born = {m.name: m.value for m in host.of("DBIRTH")[0].metrics}
    assert born["Parameters/rated_power"] == 22.0
    assert "does not change parameters while it runs" in metrics.last_error().message
    assert not host.of("DDATA")  # nothing claims the value was set


def test_births_wait_for_the_primary_host_online_and_it_going_offline_ends_the_session(
        broker, host, manifest, tmp_path):
    state = "spBv1.0/STATE/scada-1"
    node = SparkplugEdgeNode(manifest, config(tmp_path, broker.port, primary_host="scada-1"))

    def announce(online: bool) -> None:
        host.send(state, json.dumps({"online": online, "timestamp": spb.get_current_timestamp()}).encode(),
                  retain=True)

    async def scenario():
        announce(False)
        await node.start()
        await node.publish(tick(1, efficiency=1.0))
        await until(lambda: node.queue_depth == 1, "the tick kept while the host is offline")
        announce(True)
        await until(lambda: host.of("DDATA"), "births and the replay once the host is online")
        announce(False)
        await until(lambda: host.of("NDEATH"), "NDEATH when the host goes offline")
        announce(True)
        await until(lambda: len(host.of("NBIRTH")) == 2, "births again when the host is back")
        await node.close()

    try:
        asyncio.run(scenario())
    finally:
        host.send(state, b"", retain=True)  # clear the retained STATE for the other tests
    births = host.of("NBIRTH")
    assert host.kinds().index("NBIRTH") > host.kinds().index("STATE")
    assert bd_seq(host.of("NDEATH")[0]) == bd_seq(births[0]) != bd_seq(births[1])
    assert [(m.value, m.is_historical) for m in host.of("DDATA")[0].metrics] == [(1.0, True)]


def test_store_drops_the_oldest_when_full_and_keeps_bd_seq_across_restarts(tmp_path):
    store = ForwardStore(tmp_path / "s.sqlite3", limit=3)
    store.append([[(1, t, float(t))] for t in range(5)])
    assert len(store) == 3 and store.dropped == 2
    rows = store.after(0, 10)
    assert [m[0][2] for _, m in rows] == [2.0, 3.0, 4.0]
    store.remove([rows[0][0]])
    assert [m[0][2] for _, m in store.after(0, 10)] == [3.0, 4.0]
    assert [store.next_bd_seq(), store.next_bd_seq()] == [0, 1]
    store.close()
    again = ForwardStore(tmp_path / "s.sqlite3", limit=3)
    assert len(again) == 2 and again.next_bd_seq() == 2
    again.close()
