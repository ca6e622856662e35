"""Modbus client session: Modbus TCP, RTU over TCP and serial RTU behind :class:`DeviceSession`.

This is the one module that talks to pymodbus' client API (pinned at 3.16; it changes in every
minor release). It keeps pymodbus' sharp edges away from the rest of Millwright:

* the pymodbus client is created inside :meth:`ModbusSession.connect`, on the loop that uses it;
* one request at a time per session (an :class:`asyncio.Lock`), timeout 1 s and one retry by
  default, so a dead device answers "No answer from …" within about two seconds;
* the three ways pymodbus reports trouble — ``connect()`` returning False, an exception
  response with ``isError()``, and ``ModbusIOException`` for silence — become a
  :class:`~device_browser.session.DeviceError` whose text a plant engineer can act on
  ("Illegal data address: 40121 is not in the device's map");
* reads are planned (:func:`~device_browser.modbus.planner.plan_reads`) into the fewest
  requests; addresses the device rejects are found by bisection, remembered, and planned around;
* reconnection is ours, not pymodbus' (which backs off silently up to 300 s): the session shows
  ``RECONNECTING`` with the attempt number and the reason, backing off to ``reconnect_delay_max``.

Writes here are low level: :mod:`device_browser.writes` does the profile checks and the audit log.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import math
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from psygnal import Signal
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from device_browser.bus import LiveBus
from device_browser.modbus.planner import MAX_BITS, MAX_REGISTERS, ReadRequest, plan_reads
from device_browser.modbus.registers import (
    Area,
    DataType,
    ModbusTag,
    RegisterMap,
    decode,
    encode,
    encode_bit,
    format_display_address,
)
from device_browser.session import (
    BAD,
    GOOD,
    BrowseItem,
    ConnectionState,
    ConnectionStatus,
    DeviceError,
    Sample,
)

ILLEGAL_ADDRESS = 2
_READ_METHODS = {Area.COIL: "read_coils", Area.DISCRETE_INPUT: "read_discrete_inputs",
                 Area.HOLDING_REGISTER: "read_holding_registers", Area.INPUT_REGISTER: "read_input_registers"}
_FUNCTION_NAMES = {1: "read coils", 2: "read discrete inputs", 3: "read holding registers",
                   4: "read input registers", 5: "write single coil", 6: "write single register",
                   15: "write multiple coils", 16: "write multiple registers"}
_SOCKET_ERRORS = {errno.ECONNREFUSED: "connection refused", errno.EHOSTUNREACH: "host unreachable",
                  errno.ENETUNREACH: "network unreachable", errno.ETIMEDOUT: "no answer",
                  errno.ECONNRESET: "connection reset by the device", errno.EADDRNOTAVAIL: "address not available",
                  errno.ENOENT: "no such serial port", errno.EACCES: "permission denied",
                  errno.EBUSY: "the port is in use by another program"}


class ModbusDeviceError(DeviceError):
    """The device answered, but not with the data: a Modbus exception (``code``) or a malformed reply (None)."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


def exception_message(code: int, where: str, *, function_code: int, unit: int, write: bool = False) -> str:
    """Plain words for Modbus exception ``code`` answered to a request on ``where`` (a display address)."""
    verb = "writing" if write else "reading"
    texts = {
        1: f"Illegal function: the device does not support function code {function_code} "
           f"({_FUNCTION_NAMES.get(function_code, 'unknown')})",
        2: f"Illegal data address: {where} is not in the device's map"
           + (" or is not writable" if write else ""),
        3: f"Illegal data value: the device refused the {'value' if write else 'request'} for {where}",
        4: f"Server device failure: the device failed while {verb} {where}",
        5: f"Acknowledge: the device accepted the request for {where} but needs more time; try again later",
        6: f"Server device busy: the device is busy with a long command; try {verb} {where} again later",
        8: "Memory parity error: the device found a parity error in its extended memory",
        10: f"Gateway path unavailable: the gateway has no path to unit {unit}",
        11: f"Gateway target failed to respond: unit {unit} did not answer the gateway",
    }
    return texts.get(code, f"Modbus exception {code} while {verb} {where}")


def span_text(area: Area, start: int, count: int) -> str:
    """Display address of a request: ``40001`` or ``40001–40036``."""
    first = format_display_address(area, start)
    return first if count == 1 else f"{first}–{format_display_address(area, start + count - 1)}"


def _seconds(value: float) -> str:
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


class ModbusSession:
    """A connection to one Modbus device (one unit id) that reads and writes the tags of its register map.

    Parameters
    ----------
    register_map
        The device's tags; :meth:`read` and :meth:`write` take their names.
    host, port
        Modbus TCP (or RTU over TCP with ``framer="rtu"``) endpoint.
    serial_port, baudrate, parity, stopbits, bytesize
        Serial RTU line instead of TCP (``parity`` is ``"N"``, ``"E"`` or ``"O"``).
    framer
        ``"socket"`` (alias ``"tcp"``, Modbus TCP's MBAP header) or ``"rtu"``; default ``"socket"``
        on TCP and ``"rtu"`` on a serial line.
    unit
        Unit (device, "slave") id, 1–247; 0 is broadcast and gets no answer.
    timeout, retries
        Seconds to wait for each answer, and extra tries after a silence. Keep them small when
        polling: the session sends one request at a time, so a silent device holds the line for
        ``timeout × (retries + 1)``.
    reconnect_delay_max
        Longest wait between reconnection attempts after a lost connection (seconds).
    max_gap, max_registers, max_bits
        Request planning: unused registers worth reading to save a request, and request sizes
        (lower them for devices that accept less than the standard 125 registers / 2000 bits).

    Attributes
    ----------
    status_changed : psygnal.Signal
        Emits the new :class:`ConnectionStatus` on every change.
    request_count : int
        Requests sent since construction (reads, writes, bisection probes).

    Examples
    --------
    >>> session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=5020)  # doctest: +SKIP
    >>> await session.connect()  # doctest: +SKIP
    >>> [flow] = await session.read(["flow"])  # doctest: +SKIP
    """

    status_changed = Signal(ConnectionStatus)

    def __init__(self, register_map: RegisterMap, *, host: str | None = None, port: int = 502,
                 serial_port: str | None = None, baudrate: int = 19200, parity: str = "N", stopbits: int = 1,
                 bytesize: int = 8, framer: str | None = None, unit: int = 1, timeout: float = 1.0,
                 retries: int = 1, reconnect_delay_max: float = 5.0, max_gap: int = 10,
                 max_registers: int = MAX_REGISTERS, max_bits: int = MAX_BITS):
        if (host is None) == (serial_port is None):
            raise DeviceError("A Modbus connection needs either a host (TCP) or a serial port, not both")
        framer = (framer or ("rtu" if serial_port else "socket")).lower()
        if framer not in ("socket", "tcp", "rtu") or (serial_port and framer != "rtu"):
            raise DeviceError(f"Framer '{framer}' is not usable here: use 'socket' or 'rtu' on TCP, "
                              "'rtu' on a serial line")
        self.map = register_map
        self.host, self.port, self.serial_port = host, port, serial_port
        self.serial_settings = {"baudrate": baudrate, "parity": parity, "stopbits": stopbits, "bytesize": bytesize}
        self.framer = FramerType.RTU if framer == "rtu" else FramerType.SOCKET
        self.unit, self.timeout, self.retries = unit, timeout, retries
        self.reconnect_delay_max = reconnect_delay_max
        self.max_gap, self.max_registers, self.max_bits = max_gap, max_registers, max_bits
        self.request_count = 0
        self._status = ConnectionStatus()
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._request_lock = asyncio.Lock()  # one request on the wire at a time
        self._write_lock = asyncio.Lock()  # keeps a read-modify-write whole
        self._rejected: set[tuple[Area, int]] = set()
        self._reconnect_task: asyncio.Task | None = None
        self._closing = False
        self._lost_reason = ""

    # ----------------------------------------------------------------- connection

    @property
    def endpoint(self) -> str:
        """``host:port`` or the serial port."""
        return self.serial_port or f"{self.host}:{self.port}"

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    @property
    def rejected_addresses(self) -> frozenset[tuple[Area, int]]:
        """Addresses the device answered "Illegal data address" for; reads are planned around them."""
        return frozenset(self._rejected)

    def _set_status(self, state: ConnectionState, attempt: int = 0, reason: str = "") -> None:
        status = ConnectionStatus(state, attempt, reason)
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)

    async def connect(self) -> None:
        """Open the connection; raises :class:`DeviceError` saying why it cannot."""
        if self._client is not None and self._client.connected:
            return
        await self._drop_client()
        self._closing, self._lost_reason = False, ""
        self._rejected.clear()  # a (re)connected device may have a new map
        self._set_status(ConnectionState.CONNECTING)
        self._client = self._make_client()
        started = time.monotonic()
        if await self._client.connect():
            self._set_status(ConnectionState.CONNECTED)
            return
        reason = await self._why_not_connected(time.monotonic() - started)
        await self._drop_client()
        self._set_status(ConnectionState.FAILED, reason=reason)
        raise DeviceError(f"Cannot connect to {self.endpoint}: {reason}")

    def _make_client(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        # reconnect_delay=0 turns pymodbus' silent reconnection off; _reconnect does it visibly.
        options: dict[str, Any] = {"framer": self.framer, "timeout": self.timeout, "retries": self.retries,
                                   "reconnect_delay": 0, "trace_connect": self._on_connection_change}
        try:
            if self.serial_port:
                return AsyncModbusSerialClient(self.serial_port, **self.serial_settings, **options)
            return AsyncModbusTcpClient(self.host, port=self.port, **options)
        except RuntimeError as exc:  # pymodbus without its serial extra says so only here
            self._set_status(ConnectionState.FAILED, reason=str(exc))
            raise DeviceError(f"Cannot open {self.endpoint}: {exc}") from None

    async def _why_not_connected(self, elapsed: float) -> str:
        """pymodbus' connect() only returns False: find the reason in plain words."""
        if self.serial_port:
            return _serial_open_error(self.serial_port)
        if elapsed >= 0.9 * self.timeout:
            return f"no answer within {_seconds(self.timeout)} s"
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        except TimeoutError:
            return f"no answer within {_seconds(self.timeout)} s"
        except socket.gaierror:
            return f"unknown host name '{self.host}'"
        except OSError as exc:
            return _os_error_text(exc)
        writer.close()
        return "the device closed the connection at once (too many clients?)"

    def _on_connection_change(self, connected: bool) -> None:
        """pymodbus' trace_connect: called on connect and on every lost connection."""
        if connected:
            self._set_status(ConnectionState.CONNECTED)
            return
        if self._closing or self._client is None:
            return
        self._set_status(ConnectionState.RECONNECTING, 1, self._lost_reason or "the device closed the connection")
        if self._reconnect_task is None:
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Try again with a doubling delay up to ``reconnect_delay_max``, showing each attempt."""
        delay, attempt, reason = 0.1, 0, ""
        try:
            while not self._closing and self._client is not None and not self._client.connected:
                attempt += 1
                reason = reason or self._lost_reason or "the device closed the connection"
                self._set_status(ConnectionState.RECONNECTING, attempt, reason)
                await asyncio.sleep(delay)
                started = time.monotonic()
                if self._client is None or await self._client.connect():
                    break
                reason = await self._why_not_connected(time.monotonic() - started)
                delay = min(2 * delay, self.reconnect_delay_max)
        finally:
            self._reconnect_task = None
        self._lost_reason = ""
        if self._client is not None and self._client.connected:
            self._set_status(ConnectionState.CONNECTED)

    async def _drop_client(self) -> None:
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def close(self) -> None:
        """Close the connection and stop reconnecting; safe to call at any time, and again."""
        self._closing = True
        await self._drop_client()
        self._set_status(ConnectionState.DISCONNECTED)

    async def __aenter__(self) -> ModbusSession:
        await self.connect()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- requests

    def _connected_client(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        client = self._client
        if client is not None and client.connected:
            return client
        status = self._status
        if status.state is ConnectionState.RECONNECTING:
            raise DeviceError(f"Not connected to {self.endpoint}: {status.reason}; "
                              f"reconnecting (attempt {status.attempt})")
        detail = f": {status.reason}" if status.reason else ""
        raise DeviceError(f"Not connected to {self.endpoint}{detail}")

    async def _request(self, send: Callable[[Any], Awaitable[ModbusPDU]], function_code: int, where: str,
                       write: bool = False) -> ModbusPDU:
        """Send one request (alone on the line) and return the answer, or raise in plain words."""
        async with self._request_lock:
            client = self._connected_client()
            self.request_count += 1
            try:
                # pymodbus times out itself; this outer limit only guards against a hang in it.
                response = await asyncio.wait_for(send(client), self.timeout * (self.retries + 1) + 1.0)
            except (ModbusIOException, TimeoutError) as exc:
                if "device id" in str(exc) or "transaction id" in str(exc):
                    raise ModbusDeviceError(f"Answer from another unit or to another request on {self.endpoint} "
                                            f"while {'writing' if write else 'reading'} {where}") from None
                self._note_silence()
                await self._let_late_reply_pass()
                raise DeviceError(f"No answer from {self.endpoint} unit {self.unit} "
                                  f"within {_seconds(self.timeout)} s") from None
            except ConnectionException:
                raise DeviceError(f"Connection to {self.endpoint} lost while {'writing' if write else 'reading'} "
                                  f"{where}") from None
        if response.isError():
            code = int(getattr(response, "exception_code", 0))
            raise ModbusDeviceError(exception_message(code, where, function_code=function_code, unit=self.unit,
                                                      write=write), code)
        if response.function_code != function_code:
            raise ModbusDeviceError(f"Wrong answer from {self.endpoint} to {where}: function code "
                                    f"{response.function_code} instead of {function_code} (a late reply?)")
        return response

    def _note_silence(self) -> None:
        # pymodbus drops the connection after several unanswered requests; say so in the status.
        self._lost_reason = f"no answer within {_seconds(self.timeout)} s"
        if self._status.state is ConnectionState.RECONNECTING:
            self._set_status(ConnectionState.RECONNECTING, self._status.attempt, self._lost_reason)

    async def _let_late_reply_pass(self) -> None:
        # RTU has no transaction id: a reply arriving after the timeout would be taken as the
        # answer to the next request. Waiting a moment lets pymodbus drop it as unrequested.
        if self.framer is FramerType.RTU:
            await asyncio.sleep(min(self.timeout, 0.2))

    async def _fetch(self, area: Area, start: int, count: int) -> list[int] | list[bool]:
        """Registers (or bits) ``start … start + count - 1`` of ``area``, validated."""
        where = span_text(area, start, count)

        def send(client: Any) -> Awaitable[ModbusPDU]:
            return getattr(client, _READ_METHODS[area])(start, count=count, device_id=self.unit)

        response = await self._request(send, area.read_function_code, where)
        values = list(response.bits[:count]) if area.is_bit else list(response.registers)
        if len(values) != count:
            unit = "bits" if area.is_bit else "registers"
            raise ModbusDeviceError(f"Wrong answer from {self.endpoint} to {where}: {len(values)} {unit} "
                                    f"instead of {count} (a late reply?)")
        return values

    # ----------------------------------------------------------------- reading

    async def read(self, tags: list[str]) -> list[Sample]:
        """Read tags by name in as few requests as the device allows.

        Tags the device rejects come back with quality BAD and the reason in ``status``; so do
        unknown names. A lost connection or a silent device raises :class:`DeviceError`.
        """
        samples: dict[str, Sample] = {}
        known: list[ModbusTag] = []
        for name in dict.fromkeys(tags):
            try:
                known.append(self.map[name])
            except DeviceError as exc:
                samples[name] = Sample(name, None, BAD, status=str(exc))
        await self._read_tags(known, samples)
        return [samples[name] for name in tags]

    async def _read_tags(self, tags: Iterable[ModbusTag], samples: dict[str, Sample]) -> bool:
        """Plan and read; False if the device rejected an address on the way."""
        requests = plan_reads(tags, self.max_gap, self.max_registers, self.max_bits, rejected=self._rejected)
        clean = True
        for request in requests:
            clean &= await self._read_request(request, samples)
        return clean

    async def _read_request(self, request: ReadRequest, samples: dict[str, Sample]) -> bool:
        try:
            values = await self._fetch(request.area, request.start, request.count)
        except ModbusDeviceError as exc:
            if exc.code == ILLEGAL_ADDRESS:
                await self._isolate(request, samples)
                return False
            _mark_bad(request.tags, str(exc), samples)
            return True
        now = time.time_ns()
        for name in request.tags:
            tag = self.map[name]
            try:
                samples[name] = Sample(name, decode(tag, request.slice(tag, values)), GOOD, now, now)
            except DeviceError as exc:
                samples[name] = Sample(name, None, BAD, now, now, status=str(exc))
        return True

    async def _isolate(self, request: ReadRequest, samples: dict[str, Sample]) -> None:
        """Find what the device rejected in a failed request by bisection, and remember it.

        Tags are grouped into clusters of overlapping registers (a status word and its bits).
        A lone cluster that fails is itself not in the device's map. If both halves of a
        request read cleanly, the unused registers between them were the problem.
        """
        clusters = _clusters(self.map[name] for name in request.tags)
        if len(clusters) == 1:
            [cluster] = clusters
            self._rejected.update((request.area, a) for a in range(cluster[0].address, max(t.end for t in cluster)))
            for tag in cluster:
                message = exception_message(ILLEGAL_ADDRESS, tag.display_address,
                                            function_code=request.function_code, unit=self.unit)
                samples[tag.name] = Sample(tag.name, None, BAD, time.time_ns(), status=message)
            return
        first, second = clusters[: len(clusters) // 2], clusters[len(clusters) // 2:]
        first_clean = await self._read_tags([tag for cluster in first for tag in cluster], samples)
        second_clean = await self._read_tags([tag for cluster in second for tag in cluster], samples)
        if first_clean and second_clean:
            gap_start = max(tag.end for cluster in first for tag in cluster)
            self._reject_gap(request.area, gap_start, second[0][0].address)

    def _reject_gap(self, area: Area, start: int, stop: int) -> None:
        """Remember the unused registers in ``[start, stop)``; mapped ones only if nothing else is left."""
        mapped = {a for tag in self.map if tag.area is area for a in range(tag.address, tag.end)}
        gap = set(range(start, stop))
        self._rejected.update((area, a) for a in (gap - mapped or gap))

    async def poll(self, tags: list[str], bus: LiveBus) -> list[Sample]:
        """Read once and publish every sample to ``bus`` (BAD as NaN); on a connection error publish BAD, re-raise."""
        try:
            samples = await self.read(tags)
        except DeviceError:
            now = time.time_ns()
            for name in dict.fromkeys(tags):
                bus.publish(name, now, math.nan, BAD)
            raise
        now = time.time_ns()
        for sample in samples:
            value = sample.value if sample.quality == GOOD else math.nan
            bus.publish(sample.tag, sample.source_time or now, value, sample.quality)
        return samples

    # ----------------------------------------------------------------- writing and browsing

    async def write(self, tag: str, value: Any) -> None:
        """Write one tag: FC5/FC15 for coils, FC6/FC16 for registers, read-modify-write for a bit of a register
        (writing and reading in one request, FC 23: :meth:`write_and_read`).

        Raises :class:`~device_browser.session.WriteRefused` before sending anything if the
        register map says the value must not go out; :class:`DeviceError` if the device refuses.
        """
        target = self.map[tag]
        async with self._write_lock:
            if target.data_type is DataType.BIT:
                encode_bit(target, 0, value)  # refuse a bad value before the read goes out
                try:
                    [current] = await self._fetch(target.area, target.address, 1)
                except DeviceError as exc:
                    raise _not_written(target, exc) from None
                image: list[int] | list[bool] = [encode_bit(target, int(current), value)]
            else:
                image = encode(target, value)
            await self._send_write(target, image)

    async def write_and_read(self, tag: str, value: Any, read_tags: list[str]) -> list[Sample]:
        """FC 23: write a holding-register tag and read a block of holding registers in one request.

        For devices that support it, a setpoint goes out and its effect comes back in one
        transaction (the device writes first, then reads). ``read_tags`` must fit one request
        (holding registers, ≤ 125 registers with the planner's gaps); otherwise
        :class:`DeviceError` says so and nothing is sent.
        """
        target = self.map[tag]
        wanted = [self.map[name] for name in read_tags]
        plan = plan_reads(wanted, self.max_gap, self.max_registers, self.max_bits)
        if (target.area is not Area.HOLDING_REGISTER or target.data_type is DataType.BIT or len(plan) != 1
                or plan[0].area is not Area.HOLDING_REGISTER):
            raise DeviceError(f"Read/write in one request (FC 23) needs a holding-register tag to write and "
                              f"holding-register tags to read that fit one request; '{tag}' and "
                              f"{', '.join(read_tags)} do not")
        request, image = plan[0], list(encode(target, value))

        def send(client: Any) -> Awaitable[ModbusPDU]:
            # write_address, not address: pymodbus' address= sets the read address too.
            return client.readwrite_registers(read_address=request.start, read_count=request.count,
                                              write_address=target.address, values=image, device_id=self.unit)

        async with self._write_lock:
            try:
                response = await self._request(send, 23, span_text(target.area, target.address,
                                                                   target.register_count), write=True)
            except DeviceError as exc:
                raise _not_written(target, exc) from None
        now = time.time_ns()
        values = list(response.registers)
        return [Sample(t.name, decode(t, request.slice(t, values)), GOOD, now, now) for t in wanted]

    async def _send_write(self, tag: ModbusTag, image: list[int] | list[bool]) -> None:
        values = list(image)  # pymodbus may pad a caller's list in place
        if tag.area is Area.COIL:
            code, method, payload = (5, "write_coil", values[0]) if len(values) == 1 else (15, "write_coils", values)
        else:
            code, method, payload = (6, "write_register", values[0]) if len(values) == 1 else (
                16, "write_registers", values)

        def send(client: Any) -> Awaitable[ModbusPDU]:
            return getattr(client, method)(tag.address, payload, device_id=self.unit)

        try:
            await self._request(send, code, span_text(tag.area, tag.address, tag.register_count), write=True)
        except DeviceError as exc:
            raise _not_written(tag, exc) from None

    async def browse(self, tag: str | None = None) -> list[BrowseItem]:
        """The register map as a flat tag list (a Modbus device has no tree: ``tag`` has no children)."""
        if tag is not None:
            return []
        return [_browse_item(item) for item in self.map]


def _browse_item(tag: ModbusTag) -> BrowseItem:
    limits = (tag.write_min, tag.write_max)
    extra = {"address": tag.reference, "area": str(tag.area), "register_count": tag.register_count,
             "byte_order": str(tag.byte_order), "scale": tag.scale, "offset": tag.offset}
    return BrowseItem(tag=tag.name, name=tag.name, data_type=str(tag.data_type), access="rw" if tag.writable else "r",
                      unit=tag.unit, description=tag.description, extra=extra,
                      eu_range=limits if None not in limits else None)


def _clusters(tags: Iterable[ModbusTag]) -> list[list[ModbusTag]]:
    """Tags in address order, grouped where their registers overlap."""
    clusters: list[list[ModbusTag]] = []
    end = -1
    for tag in sorted(tags, key=lambda tag: (tag.address, tag.end, tag.name)):
        if clusters and tag.address < end:
            clusters[-1].append(tag)
            end = max(end, tag.end)
        else:
            clusters.append([tag])
            end = tag.end
    return clusters


def _not_written(tag: ModbusTag, exc: DeviceError) -> DeviceError:
    message = f"'{tag.name}' was not written: {exc}"
    return ModbusDeviceError(message, exc.code) if isinstance(exc, ModbusDeviceError) else DeviceError(message)


def _mark_bad(names: Iterable[str], status: str, samples: dict[str, Sample]) -> None:
    now = time.time_ns()
    for name in names:
        samples[name] = Sample(name, None, BAD, now, now, status=status)


def _os_error_text(exc: OSError) -> str:
    return _SOCKET_ERRORS.get(exc.errno or 0, (exc.strerror or str(exc)).lower())


def _serial_open_error(port: str) -> str:
    """Why a serial port does not open, found by opening it once more (pymodbus only logs it)."""
    try:
        import serial  # the pymodbus[serial] extra
    except ImportError:
        return "pyserial is not installed (install pymodbus[serial])"
    try:
        serial.serial_for_url(port, exclusive=True).close()
    except serial.SerialException as exc:
        return _os_error_text(exc)
    except ValueError as exc:
        return str(exc)
    return "the port could not be opened"
