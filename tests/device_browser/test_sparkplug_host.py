"""The Sparkplug B host session against a real mosquitto: an edge node made of paho-mqtt and
pysparkplug payloads publishes births and data; the session's model, reads, bus and the
``device browse mqtt://`` command show them. Each step waits for its condition under a
generous deadline; nothing sleeps and then counts."""

from __future__ import annotations

import asyncio
import math
import threading
import time

import numpy as np
import paho.mqtt.client as mqtt
import pysparkplug as spb
import pytest
from pysparkplug import _protobuf as spb_protobuf

from device_browser.bus import LiveBus
from device_browser.session import BAD, GOOD, ConnectionState, DeviceError
from device_browser.simulators.opcua.simulation import free_port
from device_browser.sparkplug.broker import BrokerSettings
from device_browser.sparkplug.session import SparkplugSession
from tests.device_browser.test_session_contract import wait_for
from tests.mosquitto import MosquittoProcess, mosquitto_missing, serve_mosquitto
from workbench.cli import main

DEADLINE = 30.0  # seconds: generous, for a loaded 2-core machine
GROUP, NODE, DEVICE = "Plant1", "Edge1", "Pump1"
FLOW = f"{GROUP}/{NODE}/{DEVICE}/Flow"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    yield from serve_mosquitto(tmp_path_factory)


class EdgeNode:
    """A Sparkplug edge node of our own: births with units and aliases, DDATA by alias, rebirth on
    request, and every NCMD/DCMD it receives kept for the test to look at."""

    def __init__(self, port: int, node: str = NODE):
        self.node, self.seq, self.bd_seq = node, 0, 0
        self.commands: list[tuple[str, spb_protobuf.Payload]] = []
        self.client = mqtt.Client(client_id=f"edge-{node}", clean_session=True)
        self.client.will_set(self._topic(spb.MessageType.NDEATH), self._ndeath(), qos=1)
        self.client.on_message = self._on_message
        self.last_flow = 12.5
        self.listening = threading.Event()  # subscribed to its commands (again after a reconnect)
        self.client.on_connect = lambda *_: self._listen()
        self.client.on_subscribe = lambda *_: self.listening.set()
        self.client.on_disconnect = lambda *_: self.listening.clear()
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert self.listening.wait(DEADLINE)

    def _listen(self) -> None:
        self.listening.clear()
        self.client.subscribe([(self._topic(spb.MessageType.NCMD), 1),
                               (self._topic(spb.MessageType.DCMD, device=True), 1)])

    def _topic(self, kind: spb.MessageType, device: bool = False) -> str:
        return str(spb.Topic(group_id=GROUP, message_type=kind, edge_node_id=self.node,
                             device_id=DEVICE if device else None))

    def _ndeath(self) -> bytes:
        return spb.NDeath(spb.get_current_timestamp(), spb.Metric(None, "bdSeq", spb.DataType.INT64,
                                                                   value=self.bd_seq)).encode()

    def _on_message(self, _client, _userdata, message) -> None:
        payload = spb_protobuf.Payload.FromString(message.payload)
        self.commands.append((message.topic, payload))
        if message.topic.endswith(f"NCMD/{self.node}") and payload.metrics[0].name == "Node Control/Rebirth":
            self.births()

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq

    def births(self) -> None:
        now = spb.get_current_timestamp()
        self.seq = 0
        self.client.publish(self._topic(spb.MessageType.NBIRTH), spb.NBirth(now, 0, (
            spb.Metric(now, "bdSeq", spb.DataType.INT64, value=self.bd_seq),
            spb.Metric(now, "Node Control/Rebirth", spb.DataType.BOOLEAN, value=False),
        )).encode(), qos=0)
        metrics = (spb.Metric(now, "Flow", spb.DataType.DOUBLE, value=self.last_flow, alias=1),
                   spb.Metric(now, "Running", spb.DataType.BOOLEAN, value=True, alias=2),
                   spb.Metric(now, "Offset", spb.DataType.INT16, value=-5, alias=3))
        payload = spb_protobuf.Payload.FromString(spb.DBirth(now, self._next_seq(), metrics).encode())
        unit = payload.metrics[0].properties
        unit.keys.append("engUnit")
        unit.values.add(type=spb.DataType.STRING, string_value="m³/h")
        self.client.publish(self._topic(spb.MessageType.DBIRTH, device=True), payload.SerializeToString(), qos=0)

    def flow(self, value: float, skip: int = 0) -> None:
        """A DDATA of Flow by alias; ``skip`` seq numbers left out make a gap."""
        self.seq = (self.seq + skip) % 256
        self.last_flow = value
        now = spb.get_current_timestamp()
        raw = spb.DData(now, self._next_seq(), (spb.Metric(now, None, spb.DataType.DOUBLE, value=value,
                                                            alias=1),)).encode()
        self.client.publish(self._topic(spb.MessageType.DDATA, device=True), raw, qos=0)

    def death(self) -> None:
        self.client.publish(self._topic(spb.MessageType.NDEATH), self._ndeath(), qos=1).wait_for_publish()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def value_of(session: SparkplugSession, tag: str):
    state = session.model.metric(tag)
    return None if state is None else state.value


def with_host(broker, scenario, **settings) -> None:
    """Run ``scenario(session, edge)``: the host connected first, then the edge node."""
    async def run():
        session = SparkplugSession(BrokerSettings(broker.url, **settings))
        await session.connect()
        edge = await asyncio.to_thread(EdgeNode, broker.port)
        try:
            await scenario(session, edge)
        finally:
            edge.close()
            await session.close()
        assert session.status.state is ConnectionState.DISCONNECTED

    asyncio.run(run())


def test_births_and_data_make_the_tree_with_types_units_and_values(broker):
    async def scenario(session, edge):
        edge.births()
        edge.flow(13.25)
        await wait_for(lambda: value_of(session, FLOW) == 13.25, "Flow updated by alias to 13.25")
        assert [g.name for g in await session.browse()] == [GROUP]
        [node] = await session.browse(GROUP)
        assert node.tag == f"{GROUP}/{NODE}" and node.extra["online"] and node.extra["bdSeq"] == 0
        below_node = {item.name: item for item in await session.browse(node.tag)}
        assert below_node[DEVICE].has_children and below_node["Node Control/Rebirth"].data_type == "Boolean"
        metrics = {m.name: m for m in await session.browse(f"{GROUP}/{NODE}/{DEVICE}")}
        assert {n: (m.data_type, m.unit, m.extra["alias"]) for n, m in metrics.items()} == {
            "Flow": ("Double", "m³/h", 1), "Running": ("Boolean", "", 2), "Offset": ("Int16", "", 3)}
        flow, running, offset, rebirth = await session.read(
            [FLOW, f"{GROUP}/{NODE}/{DEVICE}/Running", f"{GROUP}/{NODE}/{DEVICE}/Offset",
             f"{GROUP}/{NODE}/Node Control/Rebirth"])
        assert (flow.value, running.value, offset.value, rebirth.value) == (13.25, True, -5, False)
        assert all(s.quality == GOOD and s.source_time > 0 for s in (flow, running, offset, rebirth))
        [unknown] = await session.read([f"{GROUP}/{NODE}/{DEVICE}/Nothing"])
        assert unknown.quality == BAD and "no birth" in unknown.status

    with_host(broker, scenario)


def test_ndeath_makes_metrics_stale_on_reads_and_the_bus(broker):
    async def scenario(session, edge):
        edge.births()
        await wait_for(lambda: value_of(session, FLOW) == 12.5, "the births")
        bus = LiveBus(capacity=1000)
        subscription = await session.subscribe([FLOW], 100, bus)
        edge.flow(14.0)
        await wait_for(lambda: 14.0 in bus.snapshot(FLOW).v, "the DDATA on the bus")
        await asyncio.to_thread(edge.death)
        await wait_for(lambda: not session.model.node(GROUP, NODE).online, "the node offline after NDEATH")
        [flow] = await session.read([FLOW])
        assert flow.quality == BAD and flow.status == "Stale" and math.isnan(flow.value)
        chunk = bus.snapshot(FLOW)
        assert chunk.v[:2].tolist() == [12.5, 14.0] and chunk.q[-1] == BAD and math.isnan(chunk.v[-1])
        assert subscription.stats.updates[FLOW] == 3
        with pytest.raises(DeviceError, match="offline"):
            await session.write(FLOW, 1.0)
        await subscription.close()

    with_host(broker, scenario)


def test_seq_gap_asks_the_node_to_rebirth(broker):
    async def scenario(session, edge):
        asked: list[tuple[str, str]] = []
        session.rebirth_requested.connect(lambda node, reason: asked.append((node, reason)))
        edge.births()
        edge.flow(15.0)
        await wait_for(lambda: value_of(session, FLOW) == 15.0, "the first DDATA")
        edge.flow(16.0, skip=3)  # NBIRTH 0, DBIRTH 1, DDATA 2, then 6
        await wait_for(lambda: any("NCMD" in topic for topic, _ in edge.commands), "a Rebirth NCMD at the node")
        [(topic, payload)] = edge.commands
        assert topic == f"spBv1.0/{GROUP}/NCMD/{NODE}"
        assert [(m.name, m.boolean_value) for m in payload.metrics] == [("Node Control/Rebirth", True)]
        assert asked == [(f"{GROUP}/{NODE}", f"seq 6 from {GROUP}/{NODE} where 3 was due")]
        await wait_for(lambda: session.model.node(GROUP, NODE).seq == 1, "the rebirth (DBIRTH seq 1)")

    with_host(broker, scenario)


def test_without_rebirth_a_gap_is_only_counted(broker):
    async def scenario(session, edge):
        asked = []
        session.rebirth_requested.connect(lambda *a: asked.append(a))
        edge.births()
        edge.flow(15.0, skip=7)
        await wait_for(lambda: session.model.gaps == 1, "the gap seen")
        assert asked == [] and value_of(session, FLOW) == 15.0

    with_host(broker, scenario, rebirth_on_gap=False)


def test_write_sends_a_dcmd_with_the_metric_datatype(broker):
    async def scenario(session, edge):
        edge.births()
        await wait_for(lambda: value_of(session, FLOW) == 12.5, "the births")
        await session.write(FLOW, "3.5")
        await wait_for(lambda: edge.commands, "the DCMD at the node")
        [(topic, payload)] = edge.commands
        assert topic == f"spBv1.0/{GROUP}/DCMD/{NODE}/{DEVICE}"
        [metric] = payload.metrics
        assert (metric.name, metric.alias, metric.datatype, metric.double_value) == ("Flow", 1, 10, 3.5)
        with pytest.raises(DeviceError, match="Int16"):
            await session.write(f"{GROUP}/{NODE}/{DEVICE}/Offset", "2.5")
        with pytest.raises(DeviceError, match="no Sparkplug birth"):
            await session.write(f"{GROUP}/{NODE}/{DEVICE}/Nothing", 1)

    with_host(broker, scenario)


def test_cli_browse_asks_a_node_born_earlier_to_rebirth_and_prints_the_tree(broker, capsys):
    edge = EdgeNode(broker.port, node="Edge2")
    stop = threading.Event()

    def publish() -> None:  # a running node, born before the command connected
        edge.births()
        while not stop.wait(0.2):
            edge.flow(20.0)

    publisher = threading.Thread(target=publish)
    publisher.start()
    try:
        assert main(["device", "browse", broker.url, "--wait", "5"]) == 0
    finally:
        stop.set()
        publisher.join()
        edge.close()
    out = capsys.readouterr().out
    assert any(topic.endswith("NCMD/Edge2") for topic, _ in edge.commands)
    lines = [line.split() for line in out.splitlines()]
    assert ["Edge2", "online", "bdSeq", "0"] in lines
    flow = next(line for line in lines if line[0] == "Flow")
    assert flow[1:5] == ["Double", "m³/h", "20.0", "good"]
    assert next(line for line in lines if line[0] == "Offset")[1:4] == ["Int16", "-5", "good"]


def test_broker_down_is_said_with_host_port_and_reason(capsys):
    port = free_port("127.0.0.1")
    started = time.monotonic()
    assert main(["device", "browse", f"mqtt://127.0.0.1:{port}", "--timeout", "3"]) == 1
    assert time.monotonic() - started < DEADLINE
    err = capsys.readouterr().err
    assert f"cannot reach MQTT broker 127.0.0.1:{port}" in err and "refused" in err.lower()

    async def connect():
        session = SparkplugSession(BrokerSettings(f"mqtt://127.0.0.1:{port}", timeout_s=3))
        with pytest.raises(DeviceError, match=f"127.0.0.1:{port}"):
            await session.connect()
        assert session.status.state is ConnectionState.FAILED

    asyncio.run(connect())


def test_broker_restart_marks_a_gap_and_the_values_resume(tmp_path):
    reason = mosquitto_missing()
    if reason:
        pytest.skip(reason)
    own = MosquittoProcess(tmp_path / "broker")  # stopped and started again: not the shared broker
    own.start()

    async def scenario(session, edge):
        states: list[ConnectionState] = []
        session.status_changed.connect(lambda status: states.append(status.state))
        edge.births()
        await wait_for(lambda: value_of(session, FLOW) == 12.5, "the births")
        bus = LiveBus(capacity=1000)
        await session.subscribe([FLOW], 100, bus)
        await asyncio.to_thread(own.stop)
        await wait_for(lambda: session.status.state is ConnectionState.RECONNECTING, "the loss noticed")
        await wait_for(lambda: not edge.listening.is_set(), "the loss noticed by the edge node")
        with pytest.raises(DeviceError, match="not connected"):
            await session.read([FLOW])
        await asyncio.to_thread(own.start)
        await wait_for(lambda: session.status.state is ConnectionState.CONNECTED, "the host back on the broker")
        await wait_for(edge.listening.is_set, "the edge node back on the broker")
        edge.flow(17.0)  # the host may have seen the node's will: then it asks for births, which carry 17.0
        await wait_for(lambda: 17.0 in bus.snapshot(FLOW).v, "a value after the restart")
        chunk = bus.snapshot(FLOW)
        assert chunk.v[0] == 12.5 and chunk.v[-1] == 17.0
        assert (chunk.q == BAD).sum() == 1 and np.isnan(chunk.v[chunk.q == BAD]).all()  # one gap marker
        assert states[:2] == [ConnectionState.RECONNECTING, ConnectionState.CONNECTED]
        assert session.counters.reconnects == 1

    try:
        with_host(own, scenario)
    finally:
        own.stop()
