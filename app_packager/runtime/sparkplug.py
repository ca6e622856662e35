"""The runtime as an Eclipse Sparkplug 3.0 edge node: the app's outputs to the cloud over MQTT.

Namespace ``spBv1.0/GROUP/…``: the group is the site, the edge node is the runtime, and the one
device is the app (its id, made topic-safe). Payloads are encoded by ``pysparkplug`` (the
Sparkplug B protobuf schema); the session rules are ours, since pysparkplug's edge node does
not follow them (see PITFALLS.md): every MQTT CONNECT takes the next ``bdSeq`` (kept in the data
folder), registers NDEATH with that ``bdSeq`` as its will at QoS 1, and on CONNACK — or, with a
primary host configured, once that host's ``STATE`` says online — publishes NBIRTH (``seq`` 0,
``bdSeq``, ``Node Control/Rebirth``) and DBIRTH (every output with alias, datatype, ``engUnit``
property and description; the overridable parameters). Then DDATA by alias when an output
changes by more than its deadband, ``seq`` counting 0–255 per message. An NCMD
``Node Control/Rebirth`` publishes both births again; a DCMD writing a parameter of the
manifest (the parameters a site may override) within its range calls ``on_parameter``, anything
else is refused and logged. A primary host going offline makes the node publish NDEATH and
disconnect, and connect again (next ``bdSeq``) to wait for the host's return.

Store and forward: a DDATA stays in the on-disk :class:`ForwardStore` until the broker
acknowledged it, so data published while the link was dying silently is not lost. That is why
DDATA goes at QoS 1 by default where the specification asks QoS 0 (``data_qos=0`` restores it,
at the price of losing what was in flight when a link dies unnoticed). After a reconnect the
births come first, then the stored messages oldest first with ``is_historical`` set, then live
data. The buffer holds ``buffer_limit`` messages; when full the **oldest** are dropped, counted
(:attr:`SparkplugEdgeNode.dropped`) and logged.

paho's network loop and all session state live in one worker thread: ``publish`` only puts the
tick's changes on a queue, so it never blocks the asyncio loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import queue
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pysparkplug as spb
from pysparkplug import _protobuf as spb_protobuf  # the compiled schema: engUnit properties, lenient commands

from app_packager.manifest import AppManifest
from app_packager.runtime.metrics import NULL_METRICS, RuntimeMetrics
from app_packager.runtime.store_forward import ForwardStore, StoredMetric
from device_browser.backoff import Backoff
from nodes.chunk import GOOD, Chunk

log = logging.getLogger(__name__)

REBIRTH = "Node Control/Rebirth"
BD_SEQ = "bdSeq"
PARAMETER_PREFIX = "Parameters/"
_TICK_S = 0.02  # the worker's network poll: bounds the latency a queued tick waits for the socket
_REPLAY_WINDOW = 200  # stored messages in flight (unacknowledged) at once during a replay
_TOPIC_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")

ParameterCallback = Callable[[str, float], None]


@dataclass(frozen=True)
class SparkplugConfig:
    """Where and how the edge node talks to the broker. Secrets come from
    :func:`device_browser.sparkplug.broker.broker_credentials` (the environment, never a project file)."""

    url: str  # mqtt://host:port or mqtts://host:port
    group: str  # the site
    edge_node: str  # this runtime
    data_dir: Path  # the store-and-forward database and the last bdSeq
    primary_host: str = ""  # a Sparkplug host id: births only while its STATE says online
    deadbands: Mapping[str, float] = field(default_factory=dict)  # output -> absolute deadband; default on change
    parameters: Mapping[str, float] = field(default_factory=dict)  # the parameters' values now, for DBIRTH
    ca_file: Path | None = None  # mqtts: the broker's CA (else the system's)
    client_cert: Path | None = None
    client_key: Path | None = None
    username: str = ""
    password: str = ""
    keepalive_s: int = 10
    buffer_limit: int = 100_000
    data_qos: int = 1
    reconnect_cap_s: float = 5.0

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    def address(self) -> tuple[str, int]:
        """Host and port of the broker URL; a plant engineer's typo gets a message naming the URL."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"MQTT broker URL {self.url!r}: expected mqtt://HOST:PORT or mqtts://HOST:PORT")
        return parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883)


def topic_id(text: str) -> str:
    """``text`` as a Sparkplug topic element: no ``/``, ``+``, ``#`` (anything but letters, digits, ``_.-`` → ``_``)."""
    return _TOPIC_UNSAFE.sub("_", text) or "_"


@dataclass(frozen=True)
class _Output:
    name: str
    alias: int
    datatype: spb.DataType
    unit: str
    description: str
    deadband: float


class SparkplugEdgeNode:
    """The app's outputs as one Sparkplug device of an edge node (an ``OutputSink``)."""

    def __init__(self, manifest: AppManifest, config: SparkplugConfig, *,
                 on_parameter: ParameterCallback | None = None, metrics: RuntimeMetrics = NULL_METRICS):
        self.config = config
        self.manifest = manifest
        self.on_parameter = on_parameter
        self.metrics = metrics
        self.device = topic_id(manifest.id)
        self.host, self.port = config.address()
        self._outputs: dict[str, _Output] = {}
        self._parameters = {name: len(manifest.outputs) + 1 + i for i, name in enumerate(manifest.parameters)}
        self._last: dict[str, float | bool | None] = {}  # output (or Parameters/name) -> last value sent
        self._inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._session = _Session(self)
        self.dropped = 0
        self.queue_depth = 0
        for alias, (name, output) in enumerate(manifest.outputs.items(), start=1):
            dtype = spb.DataType.BOOLEAN if output.kind == "boolean" else spb.DataType.DOUBLE
            self._outputs[name] = _Output(name, alias, dtype, output.unit,
                                          output.description.en if output.description else "",
                                          float(config.deadbands.get(name, 0.0)))
        self._value_fields = {o.alias: o.datatype.field for o in self._outputs.values()}  # DDATA's value fields

    # -- OutputSink ------------------------------------------------------------------------------
    async def start(self) -> None:
        self._worker = threading.Thread(target=self._session.run, name=f"sparkplug-{self.device}", daemon=True)
        self._worker.start()

    async def publish(self, outputs: Mapping[str, Chunk]) -> None:
        message = self._changes(outputs)
        if message:
            self._inbox.put(("data", message))

    async def close(self) -> None:
        if self._worker is None:
            return
        self._inbox.put(("close", None))
        await asyncio.to_thread(self._worker.join, 15)

    # -- the tick's changes (asyncio side) -------------------------------------------------------
    def _changes(self, outputs: Mapping[str, Chunk]) -> list[StoredMetric]:
        """The samples that moved past their output's deadband (a bad sample is sent as null)."""
        metrics: list[StoredMetric] = []
        for name, chunk in outputs.items():
            output = self._outputs.get(name)
            if output is None or not len(chunk):
                continue
            for t, v, q in zip((chunk.t // 1_000_000).tolist(), chunk.v.tolist(), chunk.q.tolist(), strict=True):
                value = _metric_value(v, q, output.datatype)
                if self._moved(output, value):
                    self._last[name] = value
                    metrics.append((output.alias, t, value))
        return metrics

    def _moved(self, output: _Output, value: float | bool | None) -> bool:
        if output.name not in self._last:
            return True
        last = self._last[output.name]
        if value is None or last is None or output.datatype is spb.DataType.BOOLEAN:
            return value != last
        return abs(value - last) > output.deadband if output.deadband else value != last

    # -- payloads --------------------------------------------------------------------------------
    def node_topic(self, kind: spb.MessageType) -> str:
        return str(spb.Topic(group_id=self.config.group, message_type=kind, edge_node_id=self.config.edge_node))

    def device_topic(self, kind: spb.MessageType) -> str:
        return str(spb.Topic(group_id=self.config.group, message_type=kind, edge_node_id=self.config.edge_node,
                             device_id=self.device))

    def nbirth(self, bd_seq: int) -> bytes:
        now = spb.get_current_timestamp()
        return spb.NBirth(now, 0, (
            spb.Metric(now, BD_SEQ, spb.DataType.UINT64, value=bd_seq),
            spb.Metric(now, REBIRTH, spb.DataType.BOOLEAN, value=False),
        )).encode()

    def ndeath(self, bd_seq: int) -> bytes:
        return spb.NDeath(spb.get_current_timestamp(), spb.Metric(None, BD_SEQ, spb.DataType.UINT64,
                                                                   value=bd_seq)).encode()

    def dbirth(self, seq: int) -> bytes:
        now = spb.get_current_timestamp()
        metrics = [spb.Metric(now, o.name, o.datatype, spb.Metadata(description=o.description or None),
                              value=self._last.get(o.name), alias=o.alias) for o in self._outputs.values()]
        metrics += [spb.Metric(now, PARAMETER_PREFIX + name, spb.DataType.DOUBLE,
                               spb.Metadata(description=p.description.en if p.description else None),
                               value=self._last.get(PARAMETER_PREFIX + name, self.config.parameters.get(name)),
                               alias=alias)
                    for (name, alias), p in zip(self._parameters.items(), self.manifest.parameters.values(),
                                                strict=True)]
        payload = spb_protobuf.Payload.FromString(spb.DBirth(now, seq, tuple(metrics)).encode())
        units = [o.unit for o in self._outputs.values()] + [""] * len(self._parameters)
        for metric, unit in zip(payload.metrics, units, strict=True):
            if unit:  # Sparkplug's property set; engUnit is the name Ignition and the spec's examples use
                metric.properties.keys.append("engUnit")
                metric.properties.values.add(type=spb.DataType.STRING, string_value=unit)
        return payload.SerializeToString()

    def ddata(self, seq: int, metrics: list[StoredMetric], historical: bool) -> bytes:
        """A DDATA payload, filled straight into the schema's protobuf message.

        What ``spb.DData(…).encode()`` writes (by alias, no datatype: the DBIRTH gave it), without a
        frozen ``spb.Metric`` per value first: at 1,000 outputs and 10 Hz those cost more than the
        encoding itself.
        """
        payload = spb_protobuf.Payload(timestamp=spb.get_current_timestamp(), seq=seq)
        fields = self._value_fields
        for alias, t, value in metrics:
            metric = payload.metrics.add(timestamp=t, alias=alias)
            if historical:
                metric.is_historical = True
            if value is None:
                metric.is_null = True
            else:
                setattr(metric, fields.get(alias, "double_value"), value)
        return payload.SerializeToString()

    # -- commands (worker side) ------------------------------------------------------------------
    def command(self, raw: bytes) -> None:
        """A DCMD: each metric that names an overridable parameter within its range goes to ``on_parameter``."""
        aliases = {alias: name for name, alias in self._parameters.items()}
        for metric in spb_protobuf.Payload.FromString(raw).metrics:
            name = metric.name.removeprefix(PARAMETER_PREFIX) if metric.name else aliases.get(metric.alias, "")
            refusal = self._refusal(name, metric)
            if refusal:
                log.warning("Sparkplug DCMD to %s refused: %s", self.device, refusal)
                self.metrics.error("sparkplug", f"DCMD refused: {refusal}")
                continue
            value = float(getattr(metric, metric.WhichOneof("value")))
            log.info("Sparkplug DCMD: parameter %s of %s set to %g", name, self.device, value)
            self.on_parameter(name, value)
            self._last[PARAMETER_PREFIX + name] = value  # a rebirth tells the value in force
            self._inbox.put(("data", [(self._parameters[name], spb.get_current_timestamp(), value)]))

    def _refusal(self, name: str, metric: Any) -> str:
        shown = metric.name or f"alias {metric.alias}"
        if name not in self._parameters:
            return f"{shown} is not a parameter this app lets a site override"
        if self.on_parameter is None:
            return f"{shown}: this runtime does not change parameters while it runs (restart it with --param)"
        field_name = metric.WhichOneof("value")
        if field_name not in ("double_value", "float_value", "int_value", "long_value", "boolean_value"):
            return f"{shown} carries no number"
        value = float(getattr(metric, field_name))
        parameter = self.manifest.parameters[name]
        low = -math.inf if parameter.minimum is None else parameter.minimum
        high = math.inf if parameter.maximum is None else parameter.maximum
        if not low <= value <= high:
            return f"{shown} = {value:g} is outside {low:g}…{high:g}"
        return ""

    def set_depth(self, depth: int, dropped: int) -> None:
        self.queue_depth, self.dropped = depth, dropped
        self.metrics.mqtt_queue_depth(depth)


def _metric_value(v: Any, q: int, datatype: spb.DataType) -> float | bool | None:
    if q != GOOD:
        return None
    if datatype is spb.DataType.BOOLEAN:
        return bool(v)
    v = float(v)
    return None if math.isnan(v) else v


class _Session:
    """The worker thread: one MQTT connection at a time (a fresh paho client, so a fresh will and
    ``bdSeq``), births, the store and its replay, commands and the primary host's STATE."""

    def __init__(self, node: SparkplugEdgeNode):
        self.node = node
        self.client: mqtt.Client | None = None
        self.bd_seq = 0
        self.seq = 0
        self.born = False
        self.host_online = False
        self.inflight: dict[int, tuple[int | None, list[StoredMetric]]] = {}  # mid -> (store row, message)
        self.replay_cursor = 0
        self.backoff = Backoff(start=0.5, cap=node.config.reconnect_cap_s)
        self.next_attempt = 0.0
        self.store: ForwardStore | None = None
        self.hang_up = False  # the primary host went offline: NDEATH, disconnect, connect again

    def run(self) -> None:
        node = self.node
        self.store = ForwardStore(Path(node.config.data_dir) / "sparkplug-store.sqlite3", node.config.buffer_limit)
        self._report_depth()
        try:
            while self._step():
                pass
        finally:
            self.store.close()

    def _step(self) -> bool:
        """One turn: connect when due, pump the network, handle what the queue brought. False to stop."""
        if self.client is None and time.monotonic() >= self.next_attempt:
            self._connect()
        if self.client is not None:
            client = self.client
            if client.loop(timeout=_TICK_S) != mqtt.MQTT_ERR_SUCCESS and client is self.client:
                self._lost(f"lost the MQTT broker {self.node.config.url}")
            elif self.hang_up:
                self.hang_up = False
                self._say_goodbye()
                self._retry_later(f"primary host {self.node.config.primary_host} went offline")
        else:
            time.sleep(_TICK_S)
        while True:
            try:
                kind, item = self.node._inbox.get_nowait()
            except queue.Empty:
                break
            if kind == "close":
                self._close()
                return False
            if kind == "data":
                self._data(item)
        self._replay()
        return True

    # -- connection ------------------------------------------------------------------------------
    def _connect(self) -> None:
        node, config = self.node, self.node.config
        self.bd_seq = self.store.next_bd_seq()
        client = mqtt.Client(client_id=f"{topic_id(config.group)}-{topic_id(config.edge_node)}", clean_session=True,
                             protocol=mqtt.MQTTv311)
        client.will_set(node.node_topic(spb.MessageType.NDEATH), node.ndeath(self.bd_seq), qos=1, retain=False)
        if config.username:
            client.username_pw_set(config.username, config.password or None)
        if config.tls:
            try:  # verifies the broker's certificate and host name (the default context does both)
                context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
                if config.client_cert:
                    context.load_cert_chain(config.client_cert, config.client_key)
            except (OSError, ValueError) as exc:
                files = f"CA {config.ca_file or 'of the system'}, certificate {config.client_cert or 'none'}"
                self._retry_later(f"the TLS files for MQTT broker {config.url} cannot be used ({files}): {exc}")
                return
            client.tls_set_context(context)
        client.max_inflight_messages_set(_REPLAY_WINDOW + 100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        try:
            client.connect(node.host, node.port, keepalive=config.keepalive_s)
        except OSError as exc:
            self._retry_later(f"cannot reach MQTT broker {config.url}: {exc}")
            return
        self.client = client

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, rc: int) -> None:
        if client is not self.client:
            return
        if rc != mqtt.CONNACK_ACCEPTED:
            client.disconnect()
            self._lost(f"MQTT broker {self.node.config.url} refused the connection: {mqtt.connack_string(rc)}")
            return
        self.backoff.reset()
        node = self.node
        client.subscribe([(node.node_topic(spb.MessageType.NCMD), 1), (node.device_topic(spb.MessageType.DCMD), 1)])
        if node.config.primary_host:
            self.host_online = False
            client.subscribe(str(spb.Topic(message_type=spb.MessageType.STATE,
                                       sparkplug_host_id=node.config.primary_host)), 1)
        else:
            self._birth()

    def _on_disconnect(self, client: mqtt.Client, _userdata: Any, rc: int) -> None:
        if client is self.client:
            self._lost(f"lost the MQTT broker {self.node.config.url} (code {rc})")

    def _lost(self, reason: str) -> None:
        self._drop_link()
        self._retry_later(reason)

    def _drop_link(self) -> None:
        """The link is gone: what the broker did not acknowledge goes back to the store, in order."""
        client, self.client = self.client, None
        if client is not None:
            client.on_disconnect = None
            client.disconnect()  # stops paho from reconnecting with the old will
        unacked = [message for row, message in self.inflight.values() if row is None]
        self.inflight.clear()
        self.born = False
        self.replay_cursor = 0
        self.store.append(unacked)
        self._report_depth()

    def _retry_later(self, reason: str) -> None:
        delay = self.backoff.next_delay()
        log.warning("%s; next attempt in %.1f s", reason, delay)
        self.node.metrics.error("sparkplug", reason)
        self.next_attempt = time.monotonic() + delay

    def _close(self) -> None:
        """Shutdown: say NDEATH ourselves (a clean DISCONNECT suppresses the will), keep the unsent."""
        self._say_goodbye()
        while True:  # ticks queued after the close request are kept for the next start
            try:
                kind, item = self.node._inbox.get_nowait()
            except queue.Empty:
                break
            if kind == "data":
                self.store.append([item])

    def _say_goodbye(self) -> None:
        """NDEATH with this connection's bdSeq (up to 2 s for the broker's PUBACK), then disconnect."""
        client = self.client
        if client is None:
            return
        if self.born:
            info = client.publish(self.node.node_topic(spb.MessageType.NDEATH), self.node.ndeath(self.bd_seq), qos=1)
            deadline = time.monotonic() + 2.0
            while not info.is_published() and time.monotonic() < deadline and client is self.client:
                client.loop(timeout=_TICK_S)
        self._drop_link()

    # -- births, data, replay --------------------------------------------------------------------
    def _birth(self) -> None:
        node = self.node
        self.seq = 0
        self.client.publish(node.node_topic(spb.MessageType.NBIRTH), node.nbirth(self.bd_seq), qos=0)
        self.client.publish(node.device_topic(spb.MessageType.DBIRTH), node.dbirth(self._next_seq()), qos=0)
        self.born = True
        self.replay_cursor = 0
        log.info("Sparkplug births published for %s/%s/%s (bdSeq %d)", node.config.group, node.config.edge_node,
                 node.device, self.bd_seq)

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) % 256
        return self.seq

    def _data(self, message: list[StoredMetric]) -> None:
        if self.born and not len(self.store) and not self._replaying():
            self._send(None, message, historical=False)
        else:
            self.store.append([message])
            self._report_depth()

    def _replaying(self) -> bool:
        return any(row is not None for row, _ in self.inflight.values())

    def _replay(self) -> None:
        """Stored messages oldest first, a window at a time, until the store is empty."""
        if not self.born or not len(self.store):
            return
        room = _REPLAY_WINDOW - len(self.inflight)
        if room <= 0:
            return
        for row, message in self.store.after(self.replay_cursor, room):
            self.replay_cursor = row
            self._send(row, message, historical=True)

    def _send(self, row: int | None, message: list[StoredMetric], historical: bool) -> None:
        qos = self.node.config.data_qos
        info = self.client.publish(self.node.device_topic(spb.MessageType.DDATA),
                                   self.node.ddata(self._next_seq(), message, historical), qos=qos)
        if qos == 0:  # no acknowledgement will come: handed to the socket is all we can know
            self._acked(row)
        else:
            self.inflight[info.mid] = (row, message)

    def _on_publish(self, client: mqtt.Client, _userdata: Any, mid: int) -> None:
        if client is self.client and mid in self.inflight:
            self._acked(self.inflight.pop(mid)[0])

    def _acked(self, row: int | None) -> None:
        if row is not None:
            self.store.remove([row])
            self._report_depth()

    def _report_depth(self) -> None:
        self.node.set_depth(len(self.store), self.store.dropped)

    # -- incoming --------------------------------------------------------------------------------
    def _on_message(self, client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        if client is not self.client:
            return
        node = self.node
        try:
            if message.topic == node.node_topic(spb.MessageType.NCMD):
                self._node_command(message.payload)
            elif message.topic == node.device_topic(spb.MessageType.DCMD):
                node.command(message.payload)
            else:
                self._host_state(message.payload)
        except Exception as exc:  # noqa: BLE001 - a malformed command must not end the session
            log.warning("Sparkplug: cannot use the message on %s: %s", message.topic, exc)
            node.metrics.error("sparkplug", f"message on {message.topic}: {exc}")

    def _node_command(self, raw: bytes) -> None:
        # the protobuf itself: a command from pysparkplug comes without datatypes, which its decoder refuses
        for metric in spb_protobuf.Payload.FromString(raw).metrics:
            if metric.name == REBIRTH and metric.boolean_value and self.born:
                log.info("Sparkplug: rebirth requested")
                self._rebirth()

    def _rebirth(self) -> None:
        """Births again on the same connection; what was in flight is replayed after them."""
        for mid, (row, message) in list(self.inflight.items()):
            if row is None:
                self.store.append([message])
            del self.inflight[mid]
        self._report_depth()
        self._birth()

    def _host_state(self, raw: bytes) -> None:
        """The primary host's STATE (Sparkplug 3.0: JSON ``{"online": bool, "timestamp": ms}``)."""
        online = bool(json.loads(raw).get("online"))
        if online and not self.host_online:
            self.host_online = True
            self._birth() if not self.born else self._rebirth()
        elif not online and self.host_online:
            self.host_online = False
            log.warning("Sparkplug primary host %s is offline: NDEATH and reconnect", self.node.config.primary_host)
            self.hang_up = True  # not from inside paho's callback: the goodbye needs the network loop
