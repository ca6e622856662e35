"""What went over the wire: a bounded, thread-safe log of Modbus transactions for the traffic monitor.

A :class:`~device_browser.modbus.connection.ModbusConnection` with a :class:`TrafficLog` in its
``traffic`` attribute records each request it sends — the frames in both directions, the
function, unit, address and count read from the request frame itself, how long the device took,
and how it answered (data, a Modbus exception, silence). Without a log attached nothing is
recorded and nothing is copied.

The log is written on the device thread and read from the UI thread: :meth:`TrafficLog.since`
hands a reader what arrived after its cursor, as :class:`~device_browser.bus.LiveBus` does for
samples, so a view can poll it at ~10 Hz instead of being called per request.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from device_browser.modbus.addresses import both_forms
from device_browser.modbus.errors import exception_name, function_name
from device_browser.modbus.registers import Area

CAPACITY = 10_000  # transactions kept: what Modbus Poll's traffic window keeps, and a few MB at most
TIMEOUT = "timeout"
CONNECTION_LOST = "connection lost"
CANCELLED = "cancelled"

_AREAS = {1: Area.COIL, 5: Area.COIL, 15: Area.COIL, 2: Area.DISCRETE_INPUT, 3: Area.HOLDING_REGISTER,
          6: Area.HOLDING_REGISTER, 16: Area.HOLDING_REGISTER, 23: Area.HOLDING_REGISTER, 4: Area.INPUT_REGISTER}
_SINGLE_WRITES = (5, 6)  # address and value: one coil or register


@dataclass(frozen=True, slots=True)
class TrafficRecord:
    """One request and what came of it. ``request``/``response`` are whole frames (MBAP or RTU)."""

    time_ns: int  # when the request went out (ns since the epoch)
    function_code: int
    unit: int
    address: int | None  # 0-based start address, None for functions without one
    count: int | None  # registers or bits asked for (1 for single writes)
    request: bytes
    response: bytes
    duration_ms: float
    exception_code: int | None = None  # the device's Modbus exception, if it answered one
    error: str = ""  # TIMEOUT, CONNECTION_LOST, CANCELLED or another reason nothing usable came back

    @property
    def ok(self) -> bool:
        return self.exception_code is None and not self.error

    @property
    def area(self) -> Area | None:
        return _AREAS.get(self.function_code)

    @property
    def where(self) -> str:
        """The start address in both forms (``40001 (hr:0)``), or empty."""
        if self.address is None or self.area is None:
            return ""
        return both_forms(self.area, self.address)

    @property
    def function_text(self) -> str:
        """``03 read holding registers``."""
        return f"{self.function_code:02d} {function_name(self.function_code)}"

    @property
    def result_text(self) -> str:
        """``OK``, ``Illegal data address (exception 2)`` or the error."""
        if self.exception_code is not None:
            return f"{exception_name(self.exception_code)} (exception {self.exception_code})"
        return self.error or "OK"


def transaction_record(time_ns: int, request: bytes, response: bytes, duration_ms: float, *, rtu: bool,
                       exception_code: int | None = None, error: str = "") -> TrafficRecord:
    """A record for the frames of one transaction; function, unit, address and count come from ``request``."""
    unit, pdu = (request[:1], request[1:-2]) if rtu else (request[6:7], request[7:])
    function_code = pdu[0] if pdu else 0
    address = count = None
    if len(pdu) >= 5 and function_code in _AREAS:
        address = int.from_bytes(pdu[1:3], "big")
        count = 1 if function_code in _SINGLE_WRITES else int.from_bytes(pdu[3:5], "big")
    return TrafficRecord(time_ns, function_code, unit[0] if unit else 0, address, count, request, response,
                         duration_ms, exception_code, error)


@dataclass(frozen=True)
class TrafficTotals:
    """Counts since the log was made or cleared (also of records that no longer fit in it)."""

    requests: int = 0
    exceptions: int = 0
    timeouts: int = 0
    mean_ms: float = 0.0
    max_ms: float = 0.0


class TrafficLog:
    """The last ``capacity`` transactions, written by one thread and read by others without waiting long."""

    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._records: deque[TrafficRecord] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._written = 0  # records ever written: the readers' cursor space
        self._requests = self._exceptions = self._timeouts = 0
        self._total_ms = self._max_ms = 0.0

    def record(self, entry: TrafficRecord) -> None:
        with self._lock:
            self._records.append(entry)
            self._written += 1
            self._requests += 1
            self._exceptions += entry.exception_code is not None
            self._timeouts += entry.error == TIMEOUT
            self._total_ms += entry.duration_ms
            self._max_ms = max(self._max_ms, entry.duration_ms)

    def since(self, cursor: int) -> tuple[list[TrafficRecord], int]:
        """Records written after ``cursor`` (those still kept) and the new cursor; start with cursor 0."""
        with self._lock:
            new = min(self._written - cursor, len(self._records))
            records = list(self._records)[len(self._records) - new:] if new > 0 else []
            return records, self._written

    def records(self) -> list[TrafficRecord]:
        """Everything kept, oldest first."""
        with self._lock:
            return list(self._records)

    def totals(self) -> TrafficTotals:
        with self._lock:
            mean = self._total_ms / self._requests if self._requests else 0.0
            return TrafficTotals(self._requests, self._exceptions, self._timeouts, mean, self._max_ms)

    def clear(self) -> None:
        """Forget the records and the totals (readers' cursors stay valid)."""
        with self._lock:
            self._records.clear()
            self._requests = self._exceptions = self._timeouts = 0
            self._total_ms = self._max_ms = 0.0

    def __len__(self) -> int:
        return len(self._records)
