"""What a Sparkplug host knows about a broker's namespace: groups → edge nodes → devices → metrics.

The model is fed every message of ``spBv1.0/#`` (:meth:`SparkplugModel.apply`) and answers
what changed. It follows the host rules of Sparkplug 3.0:

* NBIRTH and DBIRTH define the metrics — name, alias, datatype, ``engUnit`` property,
  description, first value; later NDATA/DDATA may name a metric by its alias only.
* Every message of an edge node after its NBIRTH carries ``seq`` one more than the last (0–255,
  wrapping). A gap, data from a node or device never seen born, or an unknown alias means the
  host's picture is incomplete: the outcome asks for a ``Node Control/Rebirth`` (the session
  sends it; at most once per :data:`REBIRTH_HOLDOFF_MS` while waiting for the NBIRTH).
* NDEATH (with the ``bdSeq`` of the node's NBIRTH; an older session's will is ignored) takes the
  node and all its devices offline, DDEATH one device: their metrics keep the last value with
  BAD quality and status ``Stale``.
* Historical metrics (store-and-forward replays) do not change the live value.

Tags name metrics as ``group/edge_node/device/metric``, or ``group/edge_node/metric`` for the
node's own. Metric names may hold ``/`` (``Node Control/Rebirth``): a tag whose third element is
a device of the node is that device's metric, otherwise a node metric.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import pysparkplug as spb

from device_browser.session import BAD, GOOD, Sample
from device_browser.sparkplug.payloads import MetricUpdate, Payload, decode_payload

log = logging.getLogger(__name__)

NAMESPACE = "spBv1.0"
REBIRTH_HOLDOFF_MS = 5_000  # a node asked to rebirth is not asked again sooner, unless it was born meanwhile
STALE = "Stale"  # status of a metric whose node or device died


@dataclass
class MetricState:
    """One metric as last born and updated."""

    tag: str
    name: str
    datatype: spb.DataType
    alias: int | None = None
    unit: str = ""
    description: str = ""
    value: Any = None
    timestamp_ms: int = 0
    quality: int = GOOD
    status: str = ""

    def sample(self) -> Sample:
        value = self.value if self.quality == GOOD else _bad_value(self.value)
        ns = self.timestamp_ms * 1_000_000
        return Sample(self.tag, value, self.quality, ns, ns, self.status)


def _bad_value(value: Any) -> Any:
    """A stale or null number reads as NaN (the bus's gap marker); text keeps its last value."""
    return math.nan if value is None or isinstance(value, int | float) else value


@dataclass
class MetricTable:
    """The metrics a birth defined, by name and by alias."""

    metrics: dict[str, MetricState] = field(default_factory=dict)
    aliases: dict[int, str] = field(default_factory=dict)

    def define(self, prefix: str, births: tuple[MetricUpdate, ...], received_ms: int) -> list[MetricState]:
        self.metrics.clear()
        self.aliases.clear()
        for m in births:
            if not m.name:
                continue  # a birth names every metric; a nameless one cannot be addressed
            state = MetricState(f"{prefix}/{m.name}", m.name, m.datatype, m.alias, m.unit, m.description)
            _update(state, m, received_ms)
            self.metrics[m.name] = state
            if m.alias is not None:
                self.aliases[m.alias] = m.name
        return list(self.metrics.values())

    def resolve(self, m: MetricUpdate) -> MetricState | None:
        name = m.name or (self.aliases.get(m.alias) if m.alias is not None else None)
        return self.metrics.get(name) if name else None

    def go_stale(self, now_ms: int) -> list[MetricState]:
        """Every metric BAD and ``Stale``, stamped when the death was seen (the bus needs a new time)."""
        for state in self.metrics.values():
            state.quality, state.status = BAD, STALE
            state.timestamp_ms = max(now_ms, state.timestamp_ms + 1)
        return list(self.metrics.values())


def _update(state: MetricState, m: MetricUpdate, received_ms: int) -> None:
    state.value = None if m.is_null else m.value
    state.timestamp_ms = max(m.timestamp_ms or received_ms, state.timestamp_ms)
    state.quality, state.status = (BAD, "Null") if m.is_null else (GOOD, "")


@dataclass
class DeviceState:
    name: str
    online: bool = False
    table: MetricTable = field(default_factory=MetricTable)


@dataclass
class EdgeNodeState:
    group: str
    name: str
    online: bool = False
    bd_seq: int | None = None
    seq: int | None = None  # the last seq received since the NBIRTH
    table: MetricTable = field(default_factory=MetricTable)
    devices: dict[str, DeviceState] = field(default_factory=dict)
    rebirth_asked_ms: int | None = None

    @property
    def path(self) -> str:
        return f"{self.group}/{self.name}"


@dataclass
class Outcome:
    """What a message changed: samples of the metrics it touched, and whether to ask for a rebirth."""

    samples: list[Sample] = field(default_factory=list)
    rebirth: EdgeNodeState | None = None
    reason: str = ""


class SparkplugModel:
    """The namespace seen on the broker; fed by :meth:`apply`, read by tag or by path."""

    def __init__(self) -> None:
        self.groups: dict[str, dict[str, EdgeNodeState]] = {}
        self.malformed = 0  # messages on spBv1.0 that could not be decoded
        self.gaps = 0  # seq gaps seen

    # -- feeding --------------------------------------------------------------------------------
    def apply(self, topic: str, raw: bytes, received_ms: int) -> Outcome:
        """Take one message of ``spBv1.0/#``; STATE and unknown message types change nothing."""
        parts = topic.split("/")
        if len(parts) < 4 or parts[0] != NAMESPACE or parts[1] == "STATE":
            return Outcome()
        group, kind, node_name = parts[1], parts[2], parts[3]
        device_name = "/".join(parts[4:]) or None
        try:
            payload = decode_payload(raw)
        except ValueError as exc:
            self.malformed += 1
            log.warning("Sparkplug: %s on %s", exc, topic)
            return Outcome()
        node = self.groups.setdefault(group, {}).setdefault(node_name, EdgeNodeState(group, node_name))
        handler = _HANDLERS.get(kind)
        if handler is None:
            return Outcome()  # NCMD/DCMD from other hosts, or a type of a later spec version
        outcome = handler(self, node, device_name, payload, received_ms)
        if outcome.rebirth is not None and not self._may_ask(node, received_ms):
            outcome.rebirth = None
        return outcome

    def _may_ask(self, node: EdgeNodeState, now_ms: int) -> bool:
        if node.rebirth_asked_ms is not None and now_ms - node.rebirth_asked_ms < REBIRTH_HOLDOFF_MS:
            return False
        node.rebirth_asked_ms = now_ms
        return True

    def _nbirth(self, node: EdgeNodeState, _device: str | None, payload: Payload, now_ms: int) -> Outcome:
        node.online, node.bd_seq, node.seq, node.rebirth_asked_ms = True, payload.bd_seq(), payload.seq, None
        for device in node.devices.values():  # their DBIRTHs follow; until then what they had is stale
            device.online = False
            device.table.go_stale(now_ms)
        return Outcome([s.sample() for s in node.table.define(node.path, payload.metrics, now_ms)])

    def _ndeath(self, node: EdgeNodeState, _device: str | None, payload: Payload, now_ms: int) -> Outcome:
        bd_seq = payload.bd_seq()
        if node.bd_seq is not None and bd_seq is not None and bd_seq != node.bd_seq:
            log.info("Sparkplug: NDEATH of %s with bdSeq %s ignored (born with %s)", node.path, bd_seq, node.bd_seq)
            return Outcome()
        node.online, node.seq = False, None
        stale = node.table.go_stale(now_ms)
        for device in node.devices.values():
            device.online = False
            stale += device.table.go_stale(now_ms)
        return Outcome([s.sample() for s in stale])

    def _dbirth(self, node: EdgeNodeState, device_name: str | None, payload: Payload, now_ms: int) -> Outcome:
        outcome = self._sequence(node, payload)
        if device_name is None:
            return outcome
        device = node.devices.setdefault(device_name, DeviceState(device_name))
        device.online = True
        outcome.samples = [s.sample() for s in device.table.define(f"{node.path}/{device_name}", payload.metrics,
                                                                    now_ms)]
        return outcome

    def _ddeath(self, node: EdgeNodeState, device_name: str | None, payload: Payload, now_ms: int) -> Outcome:
        outcome = self._sequence(node, payload)
        device = node.devices.get(device_name or "")
        if device is not None:
            device.online = False
            outcome.samples = [s.sample() for s in device.table.go_stale(now_ms)]
        return outcome

    def _data(self, node: EdgeNodeState, device_name: str | None, payload: Payload, now_ms: int) -> Outcome:
        outcome = self._sequence(node, payload)
        if not node.online:
            return _ask(outcome, node, f"data from {node.path}, which the host has not seen born")
        table = node.table
        if device_name is not None:
            device = node.devices.get(device_name)
            if device is None or not device.online:
                return _ask(outcome, node, f"data from device {node.path}/{device_name} before its DBIRTH")
            table = device.table
        for m in payload.metrics:
            state = table.resolve(m)
            if state is None:
                _ask(outcome, node, f"metric {m.name or f'alias {m.alias}'} of {node.path} not in its birth")
            elif not m.is_historical:
                _update(state, m, now_ms)
                outcome.samples.append(state.sample())
        return outcome

    def _sequence(self, node: EdgeNodeState, payload: Payload) -> Outcome:
        """Check ``seq`` against the node's last: a gap asks for a rebirth."""
        if not node.online or payload.seq is None:
            return Outcome()
        expected = None if node.seq is None else (node.seq + 1) % 256
        node.seq = payload.seq
        if expected is not None and payload.seq != expected:
            self.gaps += 1
            return _ask(Outcome(), node, f"seq {payload.seq} from {node.path} where {expected} was due")
        return Outcome()

    # -- reading --------------------------------------------------------------------------------
    def node(self, group: str, name: str) -> EdgeNodeState | None:
        return self.groups.get(group, {}).get(name)

    def metric(self, tag: str) -> MetricState | None:
        """The metric a tag names (``group/node/device/metric`` or ``group/node/metric``)."""
        parts = tag.split("/")
        if len(parts) < 3:
            return None
        node = self.node(parts[0], parts[1])
        if node is None:
            return None
        for cut in range(len(parts) - 1, 2, -1):  # the longest device name that matches wins
            device = node.devices.get("/".join(parts[2:cut]))
            if device is not None:
                state = device.table.metrics.get("/".join(parts[cut:]))
                if state is not None:
                    return state
        return node.table.metrics.get("/".join(parts[2:]))

    def owner(self, tag: str) -> tuple[EdgeNodeState, DeviceState | None] | None:
        """The edge node (and device, for a device metric) a metric's tag belongs to."""
        state = self.metric(tag)
        if state is None:
            return None
        group, node_name, rest = state.tag.split("/", 2)
        node = self.groups[group][node_name]
        device_name = rest[: -len(state.name) - 1] if rest != state.name else ""
        return node, node.devices.get(device_name) if device_name else None

    def metrics(self) -> list[MetricState]:
        """Every metric known, nodes' before their devices'."""
        found: list[MetricState] = []
        for nodes in self.groups.values():
            for node in nodes.values():
                found += node.table.metrics.values()
                for device in node.devices.values():
                    found += device.table.metrics.values()
        return found


def _ask(outcome: Outcome, node: EdgeNodeState, reason: str) -> Outcome:
    outcome.rebirth, outcome.reason = node, outcome.reason or reason
    return outcome


_HANDLERS = {
    "NBIRTH": SparkplugModel._nbirth,
    "NDEATH": SparkplugModel._ndeath,
    "DBIRTH": SparkplugModel._dbirth,
    "DDEATH": SparkplugModel._ddeath,
    "NDATA": SparkplugModel._data,
    "DDATA": SparkplugModel._data,
}
