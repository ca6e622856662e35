"""What every device driver offers, whatever its protocol: one session interface.

OPC UA and Modbus sessions implement :class:`DeviceSession`; the UI, the recorder and the
headless runtime talk to this interface only, and shared behaviour tests run against both
drivers (as asyncua runs its tests through client and server alike).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Protocol

from psygnal import Signal

GOOD, UNCERTAIN, BAD = 0, 1, 2


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


@dataclass(frozen=True)
class Sample:
    """One value of one tag: source and server timestamps (ns since the epoch, UTC), quality 0/1/2."""

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


class DeviceSession(Protocol):
    """The asynchronous interface of a connected device. No method blocks the event loop."""

    status_changed: Signal

    @property
    def status(self) -> ConnectionStatus: ...

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def browse(self, tag: str | None = None) -> list[BrowseItem]: ...

    async def read(self, tags: list[str]) -> list[Sample]: ...

    async def write(self, tag: str, value: Any) -> None: ...
