"""A Sparkplug B host session: a broker as a device whose tags are the metrics of its edge nodes.

It implements the parts of :class:`~device_browser.session.DeviceSession` that apply to a
broker: ``connect``/``close`` with the connection states, ``browse`` (groups, edge nodes,
devices, metrics), ``read`` (the last values the edge nodes published), ``subscribe`` into a
:class:`~device_browser.bus.LiveBus`, and ``write`` — the only way anything is sent to an edge
node, as an NCMD or DCMD naming one metric. ``call`` has no meaning on Sparkplug and is refused.

paho-mqtt's network loop runs in its own thread and reconnects by itself (0.5 s doubling to
5 s); every message is handed to the asyncio loop, where the :class:`SparkplugModel` lives, so
the model needs no lock. On a seq gap (or data from a node never seen born) the session sends
``Node Control/Rebirth`` to that node unless ``rebirth_on_gap`` is off. The session never
publishes a ``STATE``: it is a viewer, not the primary host the edge nodes wait for.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
import pysparkplug as spb
from psygnal import Signal

from device_browser.bus import LiveBus
from device_browser.session import (
    BAD,
    GOOD,
    NO_COMMUNICATION,
    BrowseItem,
    ConnectionState,
    ConnectionStatus,
    DeviceError,
    Sample,
    SessionCounters,
    SubscriptionStats,
)
from device_browser.sparkplug.broker import BrokerSettings
from device_browser.sparkplug.model import MetricState, Outcome, SparkplugModel
from device_browser.sparkplug.payloads import command, rebirth_request

TOPICS = [("spBv1.0/#", 0)]  # STATE sits under it too (spBv1.0/STATE/host)


class SparkplugSession:
    """The Sparkplug namespace of one MQTT broker, as a device session."""

    status_changed = Signal(ConnectionStatus)
    sample_received = Signal(Sample)  # every metric update, in the asyncio loop's thread
    rebirth_requested = Signal(str, str)  # edge node path "group/node", reason

    def __init__(self, settings: BrokerSettings):
        self.settings = settings
        self.host, self.port = settings.address()
        self.model = SparkplugModel()
        self.counters = SessionCounters()
        self._status = ConnectionStatus()
        self._client: mqtt.Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connack: asyncio.Future[int] | None = None
        self._subscriptions: list[SparkplugSubscription] = []

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    def _set_status(self, state: ConnectionState, reason: str = "", attempt: int = 0) -> None:
        self._status = ConnectionStatus(state, attempt, reason)
        self.status_changed.emit(self._status)

    # -- connection -------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Connect and subscribe ``spBv1.0/#``; a :class:`DeviceError` naming the broker when it cannot."""
        self._loop = asyncio.get_running_loop()
        self._set_status(ConnectionState.CONNECTING)
        where = f"MQTT broker {self.host}:{self.port}"
        try:
            client = self._make_client()
        except (OSError, ValueError) as exc:  # the CA or client certificate files
            await self._give_up(f"{where}: the TLS files cannot be used (CA {self.settings.ca_file or 'of the system'}"
                                f", certificate {self.settings.client_cert or 'none'}): {exc}")
        self._connack = self._loop.create_future()
        deadline = self._loop.time() + self.settings.timeout_s
        try:
            await asyncio.wait_for(asyncio.to_thread(client.connect, self.host, self.port, self.settings.keepalive_s),
                                   self.settings.timeout_s)
            self._client = client
            client.loop_start()
            rc = await asyncio.wait_for(self._connack, max(0.1, deadline - self._loop.time()))
        except TimeoutError:
            await self._give_up(f"{where} did not answer within {self.settings.timeout_s:g} s")
        except ssl.SSLError as exc:
            await self._give_up(f"TLS with {where} failed: {exc.reason or exc}")
        except OSError as exc:
            await self._give_up(f"cannot reach {where}: {exc.strerror or exc}")
        if rc != mqtt.CONNACK_ACCEPTED:
            await self._give_up(f"{where} refused the connection: {mqtt.connack_string(rc)}")

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(client_id=f"millwright-host-{uuid.uuid4().hex[:12]}", clean_session=True,
                             protocol=mqtt.MQTTv311)
        if s.username:
            client.username_pw_set(s.username, s.password or None)
        if s.tls:  # the default context verifies the broker's certificate and its host name
            context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
            if s.client_cert:
                context.load_cert_chain(s.client_cert, s.client_key)
            client.tls_set_context(context)
        client.reconnect_delay_set(min_delay=0.5, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    async def _give_up(self, reason: str) -> None:
        await self.close()
        self._set_status(ConnectionState.FAILED, reason)
        raise DeviceError(reason)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.on_disconnect = None
            client.disconnect()
            await asyncio.to_thread(client.loop_stop)
        for subscription in list(self._subscriptions):
            await subscription.close()
        if self._status.state is not ConnectionState.DISCONNECTED:
            self._set_status(ConnectionState.DISCONNECTED)

    # -- paho's thread → the asyncio loop ---------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, rc: int) -> None:
        if rc == mqtt.CONNACK_ACCEPTED:
            client.subscribe(TOPICS)  # clean session: subscribe on every (re)connect; connected at SUBACK
        else:
            self._loop.call_soon_threadsafe(self._connected, rc)

    def _on_subscribe(self, _client: mqtt.Client, _userdata: Any, _mid: int, _granted: Any) -> None:
        self._loop.call_soon_threadsafe(self._connected, mqtt.CONNACK_ACCEPTED)

    def _on_disconnect(self, _client: mqtt.Client, _userdata: Any, rc: int) -> None:
        self._loop.call_soon_threadsafe(self._lost, f"{mqtt.error_string(rc)} (code {rc})")

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        received_ms = time.time_ns() // 1_000_000
        self._loop.call_soon_threadsafe(self._message, message.topic, message.payload, received_ms)

    def _connected(self, rc: int) -> None:
        if self._connack is not None and not self._connack.done():
            self._connack.set_result(rc)
        elif rc == mqtt.CONNACK_ACCEPTED and self._client is not None:
            self.counters.reconnects += 1
        if rc == mqtt.CONNACK_ACCEPTED and self._client is not None:
            self._set_status(ConnectionState.CONNECTED)

    def _lost(self, reason: str) -> None:
        if self._client is None or self._status.state is not ConnectionState.CONNECTED:
            return
        self.counters.errors += 1
        self._set_status(ConnectionState.RECONNECTING, f"lost MQTT broker {self.host}:{self.port}: {reason}", 1)
        for subscription in self._subscriptions:
            subscription.gap(time.time_ns())

    def _message(self, topic: str, raw: bytes, received_ms: int) -> None:
        outcome = self.model.apply(topic, raw, received_ms)
        for sample in outcome.samples:
            self.sample_received.emit(sample)
            for subscription in self._subscriptions:
                subscription.deliver(sample)
        if outcome.rebirth is not None and self.settings.rebirth_on_gap:
            self._ask_rebirth(outcome)

    def _ask_rebirth(self, outcome: Outcome) -> None:
        node = outcome.rebirth
        if self._client is None:
            return
        topic = str(spb.Topic(group_id=node.group, message_type=spb.MessageType.NCMD, edge_node_id=node.name))
        self._client.publish(topic, rebirth_request(), qos=0)
        self.rebirth_requested.emit(node.path, outcome.reason)

    # -- the device session ------------------------------------------------------------------------
    async def browse(self, tag: str | None = None) -> list[BrowseItem]:
        """Groups; a group's edge nodes; a node's devices and metrics; a device's metrics."""
        parts = tag.split("/") if tag else []
        if not parts:
            groups = sorted(self.model.groups.items())
            return [BrowseItem(g, g, "Object", True, extra={"nodes": len(n)}) for g, n in groups]
        if len(parts) == 1:
            nodes = self.model.groups.get(parts[0], {})
            return [BrowseItem(n.path, n.name, "Object", True, extra={"online": n.online, "bdSeq": n.bd_seq})
                    for _, n in sorted(nodes.items())]
        node = self.model.node(parts[0], parts[1])
        if node is None:
            raise DeviceError(f"No edge node {'/'.join(parts[:2])} on the MQTT broker {self.host}:{self.port}")
        if len(parts) == 2:
            devices = [BrowseItem(f"{node.path}/{d.name}", d.name, "Object", True, extra={"online": d.online})
                       for _, d in sorted(node.devices.items())]
            return devices + [_metric_item(m) for m in node.table.metrics.values()]
        device = node.devices.get("/".join(parts[2:]))
        if device is None:
            raise DeviceError(f"No device {tag} on the MQTT broker {self.host}:{self.port}")
        return [_metric_item(m) for m in device.table.metrics.values()]

    async def read(self, tags: list[str]) -> list[Sample]:
        """The last value of each metric; a metric no birth defined reads BAD."""
        self._require_connection(f"Cannot read {', '.join(tags[:3])}")
        self.counters.requests += 1
        samples = []
        for tag in tags:
            state = self.model.metric(tag)
            samples.append(state.sample() if state else
                           Sample(tag, math.nan, BAD, status="BadNodeIdUnknown: no birth defines this metric"))
        return samples

    async def write(self, tag: str, value: Any) -> None:
        """Send one metric's new value to its edge node: a DCMD for a device metric, else an NCMD."""
        state = self.model.metric(tag)
        owner = self.model.owner(tag) if state else None
        if state is None or owner is None:
            raise DeviceError(f"Cannot write {tag}: no Sparkplug birth on {self.host}:{self.port} defines it")
        node, device = owner
        if not node.online or (device is not None and not device.online):
            raise DeviceError(f"Cannot write {tag}: {node.path if not node.online else tag.rsplit('/', 1)[0]} "
                              f"is offline")
        self._require_connection(f"Cannot write {tag}")
        kind = spb.MessageType.DCMD if device else spb.MessageType.NCMD
        topic = spb.Topic(group_id=node.group, message_type=kind, edge_node_id=node.name,
                          device_id=device.name if device else None)
        try:
            payload = command(state.datatype, state.name, state.alias, _typed(state, value), device=bool(device))
        except (TypeError, ValueError, OverflowError, NotImplementedError) as exc:
            raise DeviceError(f"Cannot write {value!r} to {tag} ({state.datatype.name.title()}): {exc}") from None
        self.counters.requests += 1
        self._client.publish(str(topic), payload, qos=0)

    def _require_connection(self, what: str) -> None:
        """While the broker is away the values are not live: say so at once instead of answering stale."""
        if self._client is None or self._status.state is not ConnectionState.CONNECTED:
            reason = f" ({self._status.reason})" if self._status.reason else ""
            raise DeviceError(f"{what}: not connected to the MQTT broker {self.host}:{self.port}{reason}")

    async def subscribe(self, tags: Sequence[str], interval_ms: float, bus: LiveBus, *,
                        deadband: float = 0.0) -> SparkplugSubscription:
        """Every update of ``tags`` into ``bus`` (edge nodes publish on change: ``interval_ms`` is
        kept for the contract, not a poll rate); the known values go in at once."""
        known = await self.read(list(tags))
        subscription = SparkplugSubscription(list(tags), interval_ms, bus, deadband, self._subscriptions)
        self._subscriptions.append(subscription)
        for sample in known:
            if sample.source_time:
                subscription.deliver(sample)
        return subscription

    async def call(self, object_tag: str, method: str, args: Sequence[Any] = ()) -> list[Any]:
        raise DeviceError("Sparkplug has no methods to call: write a metric instead (an NCMD or DCMD)")


def _metric_item(m: MetricState) -> BrowseItem:
    return BrowseItem(m.tag, m.name, "Variable", False, m.datatype.name.title(), "rw", m.unit,
                      description=m.description,
                      extra={"value": m.value, "quality": m.quality, "status": m.status, "alias": m.alias,
                             "timestamp_ms": m.timestamp_ms})


def _typed(state: MetricState, value: Any) -> Any:
    """``value`` (possibly text from a command line) as the metric's datatype."""
    name = state.datatype.name
    if name == "BOOLEAN":
        if isinstance(value, str):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError("expected true or false")
            return value.lower() in ("true", "1")
        return bool(value)
    if name.startswith(("INT", "UINT")) and not name.endswith("ARRAY"):
        number = float(value)
        if not number.is_integer():
            raise ValueError("expected a whole number")
        return int(number)
    if name in ("FLOAT", "DOUBLE"):
        return float(value)
    return value


@dataclass
class SparkplugSubscription:
    """Updates of some metrics flowing into a bus until :meth:`close`."""

    tags: list[str]
    interval_ms: float
    bus: LiveBus
    deadband: float
    _registry: list[SparkplugSubscription]
    stats: SubscriptionStats = field(default_factory=SubscriptionStats)
    _last: dict[str, tuple[int, Any]] = field(default_factory=dict)  # tag -> (t ns, value) last put on the bus

    def __post_init__(self) -> None:
        self._wanted = set(self.tags)

    def deliver(self, sample: Sample) -> None:
        if sample.tag not in self._wanted:
            return
        t, value = sample.source_time or time.time_ns(), sample.value
        last_t, last_value = self._last.get(sample.tag, (0, None))
        if t <= last_t or self._within_deadband(sample, last_value):
            return  # a repeated birth value, or a move smaller than the deadband
        self._last[sample.tag] = (t, value if sample.quality == GOOD else None)
        self.bus.publish(sample.tag, t, value, sample.quality)
        self.stats.updates[sample.tag] = self.stats.updates.get(sample.tag, 0) + 1

    def _within_deadband(self, sample: Sample, last: Any) -> bool:
        if not self.deadband or sample.quality != GOOD or last is None:
            return False
        with contextlib.suppress(TypeError):
            return abs(sample.value - last) < self.deadband
        return False

    def gap(self, t: int) -> None:
        """The broker was lost: one BAD NaN sample per tag, stamped now (none where a death already put one)."""
        self.stats.gaps += 1
        for tag in self.tags:
            if self._last.get(tag, (0, 0))[1] is not None:
                self.deliver(Sample(tag, math.nan, BAD, t, t, NO_COMMUNICATION))

    async def close(self) -> None:
        if self in self._registry:
            self._registry.remove(self)
