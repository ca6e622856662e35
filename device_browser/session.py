"""What every device driver offers, whatever its protocol: one session interface.

OPC UA and Modbus sessions implement :class:`DeviceSession`; the UI, the recorder, the CLI and
the headless runtime talk to this interface only, and one contract test suite
(``tests/device_browser/test_session_contract.py``) runs against both drivers and both
simulators, as asyncua runs its tests through client and server alike.

The contract, in the words a caller relies on:

* ``connect()`` opens the connection or raises :class:`DeviceError` saying why; ``close()`` ends
  it, stops reconnecting and is safe to call again.
* After a connection was once made, the session **reconnects by itself** when it is lost,
  with :class:`~device_browser.backoff.Backoff` (capped at a few seconds, with jitter): the
  status goes RECONNECTING(attempt, reason), then CONNECTED; requests made meanwhile raise
  :class:`DeviceError` at once instead of waiting.
* ``subscribe(tags, interval_ms, bus)`` delivers samples of ``tags`` into a
  :class:`~device_browser.bus.LiveBus` until the :class:`Subscription` is closed: OPC UA
  through monitored items, Modbus through a poll loop. Through an outage it survives: the loss
  is marked by **one BAD sample per tag** (value NaN, status ``BadNoCommunication``) stamped when
  the loss was detected, and after the reconnect every tag resumes with no duplicate timestamps.
* Tags are what the session was given to know them by: point names of the profile it was
  opened from, or raw addresses (an OPC UA NodeId ``nsu=…;s=…``, a Modbus address ``40001`` /
  ``hr:0`` with type and byte order). :class:`~device_browser.tags.TagRef` names a tag across
  devices.
* ``counters`` count requests, errors and reconnects for the status bar and the CLI.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from psygnal import Signal

from nodes.quality import Quality

if TYPE_CHECKING:
    from device_browser.bus import LiveBus

GOOD, UNCERTAIN, BAD = Quality.GOOD, Quality.UNCERTAIN, Quality.BAD
NO_COMMUNICATION = "BadNoCommunication"  # the status of a gap marker (OPC UA Part 4, 7.39)


class DeviceError(Exception):
    """A device problem a commissioning engineer can act on; ``str()`` says what and where."""


class WriteRefused(DeviceError):
    """A write stopped by the safety checks before anything was sent to the device."""


class ConnectionState(enum.StrEnum):
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    FAILED = "failed"


@dataclass(frozen=True)
class ConnectionStatus:
    state: ConnectionState = ConnectionState.DISCONNECTED
    attempt: int = 0  # reconnect attempt, 1-based, while RECONNECTING
    reason: str = ""  # why the last connection was lost or failed, in plain words


@dataclass
class SessionCounters:
    """What a session did since it was made: shown by the device view and printed by ``device poll``."""

    requests: int = 0
    errors: int = 0  # requests that failed (silence, lost connection, protocol errors)
    reconnects: int = 0  # connections restored after a loss

    def text(self) -> str:
        return f"{self.requests} requests, {self.errors} errors, {self.reconnects} reconnects"


@dataclass(frozen=True)
class Sample:
    """One value of one tag: source and server timestamps (ns since the epoch, UTC), quality."""

    tag: str
    value: Any
    quality: int = GOOD
    source_time: int = 0
    server_time: int = 0
    status: str = ""  # protocol status, e.g. "BadNodeIdUnknown" or "Illegal data address"


@dataclass(frozen=True)
class BrowseItem:
    """One child in a device's address space, with what a tag list shows about it."""

    tag: str  # the address to read it by (an OPC UA NodeId "nsu=…;s=…", a Modbus tag name)
    name: str
    node_class: str = "Variable"  # Object, Variable, Method, …
    has_children: bool = False
    data_type: str = ""
    access: str = ""  # "r", "rw", "w"
    unit: str = ""
    eu_range: tuple[float, float] | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class SubscriptionStats:
    """How a subscription is doing: per-tag update counts, what was lost, how old the newest value is."""

    updates: dict[str, int] = field(default_factory=dict)
    gaps: int = 0  # outages marked (one BAD sample per tag each)
    overflows: int = 0  # values the server flagged as having lost older values (OPC UA overflow bit)
    dropped: int = 0  # values known to be lost on the way (server queue overflow, missed polls)
    newest_age_s: float = 0.0  # seconds since the newest value of any tag arrived
    stale: bool = False  # nothing arrived for much longer than the interval while connected


class Subscription(Protocol):
    """Samples of some tags flowing into a bus until :meth:`close`."""

    tags: Sequence[str]
    interval_ms: float
    stats: SubscriptionStats

    async def close(self) -> None: ...


class DeviceSession(Protocol):
    """The asynchronous interface of a connected device. No method blocks the event loop."""

    status_changed: Signal
    counters: SessionCounters

    @property
    def status(self) -> ConnectionStatus: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def browse(self, tag: str | None = None) -> list[BrowseItem]: ...

    async def read(self, tags: list[str]) -> list[Sample]: ...

    async def write(self, tag: str, value: Any) -> None: ...

    async def subscribe(self, tags: Sequence[str], interval_ms: float, bus: LiveBus, *,
                        deadband: float = 0.0) -> Subscription: ...

    async def call(self, object_tag: str, method: str, args: Sequence[Any] = ()) -> list[Any]: ...
