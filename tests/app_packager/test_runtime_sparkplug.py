"""The Sparkplug edge node against a real broker (Debian's mosquitto) and a subscriber that decodes
every payload with pysparkplug, as a Sparkplug host would."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pysparkplug as spb
import pytest
from pysparkplug import _protobuf as spb_protobuf

from app_packager.manifest import parse_manifest
from app_packager.runtime.sparkplug import REBIRTH, SparkplugConfig, SparkplugEdgeNode
from nodes.chunk import BAD, Chunk
from nodes.resources import resources_dir
from tests.mosquitto import serve_mosquitto

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

    def __init__(self, port: int):
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._birth: spb.DBirth | None = None
        self._subscribed = threading.Event()
        self.client = mqtt.Client(client_id=f"test-host-{time.monotonic_ns()}")
        self.client.on_connect = lambda c, *_: c.subscribe("spBv1.0/#", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.2, 1)
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        assert self._subscribed.wait(DEADLINE)

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        kind = message.topic.split("/")[2]
        decoders = {"NBIRTH": spb.NBirth, "DBIRTH": spb.DBirth, "NDEATH": spb.NDeath, "NCMD": spb.NCmd,
                    "DCMD": spb.DCmd}
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


def units_on_the_wire(raw: bytes) -> dict[str, str]:
    """engUnit of each DBIRTH metric, from the protobuf itself (pysparkplug's Metric leaves properties out)."""
    return {m.name: dict(zip(m.properties.keys, (v.string_value for v in m.properties.values), strict=True))
            ["engUnit"] for m in spb_protobuf.Payload.FromString(raw).metrics if m.properties.keys}
