"""The connection half of the Modbus session: pymodbus' client, reconnection, one request at a time.

:class:`~device_browser.modbus.client.ModbusSession` builds on :class:`ModbusConnection`; this
module owns everything that touches pymodbus' client object:

* the client is created inside :meth:`ModbusConnection.connect`, on the loop that uses it;
* one request at a time (an :class:`asyncio.Lock`), timeout 1 s and one retry by default, so a
  dead device answers "No answer from …" within about two seconds;
* the three ways pymodbus reports trouble — ``connect()`` returning False, an exception
  response with ``isError()``, and ``ModbusIOException`` for silence — become a
  :class:`~device_browser.session.DeviceError` a plant engineer can act on. Bytes that are no
  Modbus at all (an HTTP server on the port) make pymodbus log "Invalid Modbus protocol id" and
  then time out; we watch the raw packets (``trace_packet``) and say what happened instead;
* reconnection is ours, not pymodbus' (which backs off silently up to 300 s): the status shows
  ``RECONNECTING`` with the attempt number and the reason, waiting as
  :class:`~device_browser.backoff.Backoff` says (capped at ``reconnect_delay_max``, jittered).
  A connection that goes silent (traffic dropped without a reset) is dropped and made anew after
  :data:`MAX_SILENT_REQUESTS` further unanswered requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from psygnal import Signal
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from device_browser.backoff import Backoff
from device_browser.modbus.errors import (
    ModbusDeviceError,
    exception_message,
    not_modbus_message,
    os_error_text,
    quiet_pymodbus_logs,
    seconds_text,
    serial_open_error,
    span_text,
)
from device_browser.modbus.registers import Area
from device_browser.modbus.traffic import CANCELLED, CONNECTION_LOST, TIMEOUT, TrafficLog, transaction_record
from device_browser.session import ConnectionState, ConnectionStatus, DeviceError, SessionCounters

_READ_METHODS = {Area.COIL: "read_coils", Area.DISCRETE_INPUT: "read_discrete_inputs",
                 Area.HOLDING_REGISTER: "read_holding_registers", Area.INPUT_REGISTER: "read_input_registers"}
MAX_SILENT_REQUESTS = 1  # further unanswered requests before the connection is dropped and made anew

quiet_pymodbus_logs()


class ModbusConnection:
    """One Modbus endpoint (TCP or serial) and unit; see :class:`~device_browser.modbus.client.ModbusSession`
    for the parameters."""

    status_changed = Signal(ConnectionStatus)

    def __init__(self, *, host: str | None = None, port: int = 502, serial_port: str | None = None,
                 baudrate: int = 19200, parity: str = "N", stopbits: int = 1, bytesize: int = 8,
                 framer: str | None = None, unit: int = 1, timeout: float = 1.0, retries: int = 1,
                 reconnect_delay_max: float = 3.0):
        if (host is None) == (serial_port is None):
            raise DeviceError("A Modbus connection needs either a host (TCP) or a serial port, not both")
        framer = (framer or ("rtu" if serial_port else "socket")).lower()
        if framer not in ("socket", "tcp", "rtu") or (serial_port and framer != "rtu"):
            raise DeviceError(f"Framer '{framer}' is not usable here: use 'socket' or 'rtu' on TCP, "
                              "'rtu' on a serial line")
        self.host, self.port, self.serial_port = host, port, serial_port
        self.serial_settings = {"baudrate": baudrate, "parity": parity, "stopbits": stopbits, "bytesize": bytesize}
        self.framer = FramerType.RTU if framer == "rtu" else FramerType.SOCKET
        self.unit, self.timeout, self.retries = unit, timeout, retries
        self.reconnect_delay_max = reconnect_delay_max
        self.counters = SessionCounters()
        self._backoff = Backoff(start=0.25, cap=reconnect_delay_max)
        self._status = ConnectionStatus()
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._request_lock = asyncio.Lock()  # one request on the wire at a time
        self._received = b""  # bytes received since the last request went out (pymodbus' trace_packet)
        self._reconnect_task: asyncio.Task | None = None
        self._closing = False
        self._lost_reason = ""
        # The traffic monitor's log; None (the default) records nothing and copies no frames.
        self.traffic: TrafficLog | None = None
        self._sent_frame = self._received_frame = b""

    @property
    def endpoint(self) -> str:
        """``host:port`` or the serial port."""
        return self.serial_port or f"{self.host}:{self.port}"

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    @property
    def request_count(self) -> int:
        """Requests sent since construction (``counters.requests``)."""
        return self.counters.requests

    def _set_status(self, state: ConnectionState, attempt: int = 0, reason: str = "") -> None:
        status = ConnectionStatus(state, attempt, reason)
        if status != self._status:
            self._status = status
            self.status_changed.emit(status)

    async def connect(self) -> None:
        """Open the connection; raises :class:`DeviceError` saying why it cannot."""
        quiet_pymodbus_logs()  # again: the CLI may have turned on --verbose since the import
        if self._client is not None and self._client.connected:
            return
        await self._drop_client()
        self._closing, self._lost_reason = False, ""
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
                                   "reconnect_delay": 0, "trace_connect": self._on_connection_change,
                                   "trace_packet": self._on_packet}
        try:
            if self.serial_port:
                client = AsyncModbusSerialClient(self.serial_port, **self.serial_settings, **options)
            else:
                client = AsyncModbusTcpClient(self.host, port=self.port, **options)
        except RuntimeError as exc:  # pymodbus without its serial extra says so only here
            self._set_status(ConnectionState.FAILED, reason=str(exc))
            raise DeviceError(f"Cannot open {self.endpoint}: {exc}") from None
        # A connection that stays silent (traffic dropped by a firewall, no reset) is dropped after
        # a couple of unanswered requests and made anew, instead of pymodbus' retries + 3.
        client.set_max_no_responses(MAX_SILENT_REQUESTS)
        return client

    def _on_packet(self, sending: bool, data: bytes) -> bytes:
        """pymodbus' trace_packet: keep what came back, to tell "not Modbus" from silence."""
        if sending:
            self._received = b""
        else:
            self._received = bytes(data[:64])  # pymodbus passes its whole receive buffer
        if self.traffic is not None:
            if sending:
                self._sent_frame, self._received_frame = bytes(data), b""
            else:
                self._received_frame = bytes(data)
        return data

    def _answer_was_not_modbus(self) -> bool:
        """Whether bytes came back that pymodbus could not take as the answer."""
        data = self._received
        if not data:
            return False
        if self.framer is FramerType.SOCKET:
            # An MBAP header has protocol id 0; "HTTP/1.1 …", SSH banners and consoles do not.
            return len(data) >= 4 and data[2:4] != b"\0\0"
        return True  # RTU: bytes without a valid frame (wrong baud rate, parity or protocol)

    def _not_modbus_error(self) -> DeviceError:
        framing = "TCP" if self.framer is FramerType.SOCKET else "RTU"
        message = not_modbus_message(self.endpoint, framing, serial=self.serial_port is not None)
        self._lost_reason = message[0].lower() + message[1:]
        return DeviceError(message)

    async def _why_not_connected(self, elapsed: float) -> str:
        """pymodbus' connect() only returns False: find the reason in plain words."""
        if self.serial_port:
            return serial_open_error(self.serial_port)
        if elapsed >= 0.9 * self.timeout:
            return f"no answer within {seconds_text(self.timeout)} s"
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        except TimeoutError:
            return f"no answer within {seconds_text(self.timeout)} s"
        except socket.gaierror:
            return f"unknown host name '{self.host}'"
        except OSError as exc:
            return os_error_text(exc)
        writer.close()
        return "the device closed the connection at once (too many clients?)"

    def _on_connection_change(self, connected: bool) -> None:
        """pymodbus' trace_connect: called on connect and on every lost connection."""
        if connected:
            self._set_status(ConnectionState.CONNECTED)
            return
        if self._closing or self._client is None:
            return
        if not self._lost_reason and self._answer_was_not_modbus():
            self._not_modbus_error()  # an HTTP server answers, then hangs up: say so, not just "closed"
        self._set_status(ConnectionState.RECONNECTING, 1, self._lost_reason or "the device closed the connection")
        if self._reconnect_task is None:
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Try again after each back-off delay (capped, jittered), showing each attempt and its reason."""
        reason = ""
        self._backoff.reset()
        try:
            while not self._closing and self._client is not None and not self._client.connected:
                reason = reason or self._lost_reason or "the device closed the connection"
                delay = self._backoff.next_delay()
                self._set_status(ConnectionState.RECONNECTING, self._backoff.attempt, reason)
                await asyncio.sleep(delay)
                started = time.monotonic()
                if self._client is None or await self._client.connect():
                    break
                reason = await self._why_not_connected(time.monotonic() - started)
        finally:
            self._reconnect_task = None
        self._lost_reason = ""
        if self._client is not None and self._client.connected and not self._closing:
            self.counters.reconnects += 1
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

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    async def close(self) -> None:
        """Close the connection and stop reconnecting; safe to call at any time, and again."""
        self._closing = True
        await self._drop_client()
        self._set_status(ConnectionState.DISCONNECTED)


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
        doing = "writing" if write else "reading"
        async with self._request_lock:
            client = self._connected_client()
            self.counters.requests += 1
            self._received = b""
            try:
                # pymodbus times out itself; this outer limit only guards against a hang in it.
                response = await asyncio.wait_for(self._traced(send, client),
                                                  self.timeout * (self.retries + 1) + 1.0)
            except (ModbusIOException, TimeoutError) as exc:
                self.counters.errors += 1
                if "device id" in str(exc) or "transaction id" in str(exc):
                    raise ModbusDeviceError(f"Answer from another unit or to another request on {self.endpoint} "
                                            f"while {doing} {where}") from None
                if self._answer_was_not_modbus():
                    raise self._not_modbus_error() from None
                self._note_silence()
                await self._let_late_reply_pass()
                raise DeviceError(f"No answer from {self.endpoint} unit {self.unit} "
                                  f"within {seconds_text(self.timeout)} s") from None
            except ConnectionException:
                self.counters.errors += 1
                if self._answer_was_not_modbus():
                    raise self._not_modbus_error() from None
                raise DeviceError(f"Connection to {self.endpoint} lost while {doing} {where}") from None
        if response.isError():
            self.counters.errors += 1
            code = int(getattr(response, "exception_code", 0))
            raise ModbusDeviceError(exception_message(code, where, function_code=function_code, unit=self.unit,
                                                      write=write), code)
        if response.function_code != function_code:
            self.counters.errors += 1
            raise ModbusDeviceError(f"Wrong answer from {self.endpoint} to {where}: function code "
                                    f"{response.function_code} instead of {function_code} (a late reply?)")
        return response

    async def _traced(self, send: Callable[[Any], Awaitable[ModbusPDU]], client: Any) -> ModbusPDU:
        """``send(client)``, recorded in :attr:`traffic` when a monitor is attached (under the request lock)."""
        traffic = self.traffic
        if traffic is None:
            return await send(client)
        self._sent_frame = self._received_frame = b""
        sent_ns, started = time.time_ns(), time.perf_counter()
        code: int | None = None
        error = ""
        try:
            response = await send(client)
            if response.isError():
                code = int(getattr(response, "exception_code", 0))
            return response
        except (ModbusIOException, TimeoutError):
            error = TIMEOUT
            raise
        except ConnectionException:
            error = CONNECTION_LOST
            raise
        except asyncio.CancelledError:
            error = CANCELLED
            raise
        finally:
            if self._sent_frame:  # nothing went out, nothing to show
                traffic.record(transaction_record(sent_ns, self._sent_frame, self._received_frame,
                                                  (time.perf_counter() - started) * 1000,
                                                  rtu=self.framer is FramerType.RTU, exception_code=code,
                                                  error=error))

    def _note_silence(self) -> None:
        # pymodbus drops the connection after unanswered requests; say so in the status.
        self._lost_reason = f"no answer within {seconds_text(self.timeout)} s"
        if self._status.state is ConnectionState.RECONNECTING:
            self._set_status(ConnectionState.RECONNECTING, self._status.attempt, self._lost_reason)

    async def _let_late_reply_pass(self) -> None:
        # RTU has no transaction id: a reply arriving after the timeout would be taken as the
        # answer to the next request. Waiting a moment lets pymodbus drop it as unrequested.
        if self.framer is FramerType.RTU:
            await asyncio.sleep(min(self.timeout, 0.2))

    async def read_raw(self, area: Area, start: int, count: int, unit: int | None = None) -> list[int] | list[bool]:
        """Registers (or bits) ``start … start + count - 1`` of ``area`` as the device holds them, in one
        request to ``unit`` (the connection's own by default): the range reader's read, no register map needed.

        A Modbus exception raises :class:`ModbusDeviceError` with its ``code`` and the message in words.
        """
        return await self._fetch(Area(area), start, count, unit)

    async def _fetch(self, area: Area, start: int, count: int, unit: int | None = None) -> list[int] | list[bool]:
        """Registers (or bits) ``start … start + count - 1`` of ``area``, validated."""
        where = span_text(area, start, count)

        def send(client: Any) -> Awaitable[ModbusPDU]:
            return getattr(client, _READ_METHODS[area])(start, count=count,
                                                        device_id=self.unit if unit is None else unit)

        response = await self._request(send, area.read_function_code, where)
        values = list(response.bits[:count]) if area.is_bit else list(response.registers)
        if len(values) != count:
            self.counters.errors += 1
            unit = "bits" if area.is_bit else "registers"
            raise ModbusDeviceError(f"Wrong answer from {self.endpoint} to {where}: {len(values)} {unit} "
                                    f"instead of {count} (a late reply?)")
        return values

