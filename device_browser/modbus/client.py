"""Modbus client session: Modbus TCP, RTU over TCP and serial RTU behind :class:`DeviceSession`.

The connection itself — pymodbus' client, one request at a time, reconnection with
:class:`~device_browser.backoff.Backoff`, pymodbus' errors in plain words, telling an answer
that is not Modbus from silence — lives in :mod:`device_browser.modbus.connection`. This
module adds what a caller asks for:

* reads are planned (:func:`~device_browser.modbus.planner.plan_reads`) into the fewest
  requests; when the device answers a multi-tag request with any Modbus exception, the request
  is split by bisection so only the failing tags are bad. "Illegal data address" is remembered
  until the next connect; transient exceptions (device failure, busy) only for a while;
* tags are names of the register map or raw addresses (``40001:float32``, ``hr:0``; see
  :func:`~device_browser.modbus.addresses.parse_address`), so the CLI works without a profile;
* :meth:`ModbusSession.subscribe` polls into the live bus (:mod:`device_browser.modbus.poller`).

Writes here are low level: :mod:`device_browser.writes` does the profile checks and the audit log.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Iterable, Sequence
from typing import Any

from pymodbus.pdu import ModbusPDU

from device_browser.bus import LiveBus
from device_browser.modbus.addresses import AREA_CODES, parse_address
from device_browser.modbus.connection import ModbusConnection
from device_browser.modbus.errors import ILLEGAL_ADDRESS, ModbusDeviceError, exception_message, span_text
from device_browser.modbus.planner import MAX_BITS, MAX_REGISTERS, ReadRequest, plan_reads
from device_browser.modbus.poller import ModbusSubscription, PollScheduler
from device_browser.modbus.registers import (
    Area,
    DataType,
    ModbusTag,
    RegisterMap,
    decode,
    encode,
    encode_bit,
)
from device_browser.session import BAD, GOOD, BrowseItem, ConnectionState, DeviceError, Sample

__all__ = ["ModbusDeviceError", "ModbusSession", "exception_message", "span_text"]

TRANSIENT_MEMORY_S = 30.0  # how long an address that answered a transient exception is read on its own


class ModbusSession(ModbusConnection):
    """A connection to one Modbus device (one unit id) that reads and writes the tags of its register map.

    Parameters
    ----------
    register_map
        The device's tags; :meth:`read`, :meth:`write` and :meth:`subscribe` take their names,
        or raw addresses such as ``40001:float32:CDAB`` or ``hr:12.3``.
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
        Longest wait between reconnection attempts after a lost connection (seconds; jittered).
    max_gap, max_registers, max_bits
        Request planning: unused registers worth reading to save a request, and request sizes
        (lower them for devices that accept less than the standard 125 registers / 2000 bits).

    Attributes
    ----------
    status_changed : psygnal.Signal
        Emits the new :class:`ConnectionStatus` on every change.
    counters : SessionCounters
        Requests sent (reads, writes, bisection probes), failed requests, reconnects.

    Examples
    --------
    >>> session = ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=5020)  # doctest: +SKIP
    >>> await session.connect()  # doctest: +SKIP
    >>> [flow, raw] = await session.read(["flow", "40101:float32:CDAB"])  # doctest: +SKIP
    """

    def __init__(self, register_map: RegisterMap, *, host: str | None = None, port: int = 502,
                 serial_port: str | None = None, baudrate: int = 19200, parity: str = "N", stopbits: int = 1,
                 bytesize: int = 8, framer: str | None = None, unit: int = 1, timeout: float = 1.0,
                 retries: int = 1, reconnect_delay_max: float = 3.0, max_gap: int = 10,
                 max_registers: int = MAX_REGISTERS, max_bits: int = MAX_BITS):
        super().__init__(host=host, port=port, serial_port=serial_port, baudrate=baudrate, parity=parity,
                         stopbits=stopbits, bytesize=bytesize, framer=framer, unit=unit, timeout=timeout,
                         retries=retries, reconnect_delay_max=reconnect_delay_max)
        self.map = register_map
        self.max_gap, self.max_registers, self.max_bits = max_gap, max_registers, max_bits
        self._write_lock = asyncio.Lock()  # keeps a read-modify-write whole
        self._rejected: set[tuple[Area, int]] = set()  # "Illegal data address", until the next connect
        self._avoid: dict[tuple[Area, int], float] = {}  # transient exceptions: address -> monotonic expiry
        self._adhoc: dict[str, ModbusTag] = {}  # raw addresses used in place of tag names
        self._scheduler: PollScheduler | None = None

    @property
    def rejected_addresses(self) -> frozenset[tuple[Area, int]]:
        """Addresses the device answered "Illegal data address" for; reads are planned around them."""
        return frozenset(self._rejected)

    async def connect(self) -> None:
        """Open the connection; raises :class:`DeviceError` saying why it cannot."""
        if not self.connected:
            self._rejected.clear()  # a (re)connected device may have a new map
            self._avoid.clear()
        await super().connect()

    async def close(self) -> None:
        """End subscriptions, close the connection and stop reconnecting; safe to call at any time, and again."""
        if self._scheduler is not None:
            await self._scheduler.stop()
        await super().close()

    async def __aenter__(self) -> ModbusSession:
        await self.connect()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- tags

    def tag(self, name: str) -> ModbusTag:
        """The tag a name stands for: a register-map name, or a raw address (``40001:float32``, ``hr:0``)."""
        if name in self.map:
            return self.map[name]
        if name in self._adhoc:
            return self._adhoc[name]
        looks_like_address = name[:1].isdigit() or name[:3].lower() in {f"{code}:" for code in AREA_CODES}
        if not looks_like_address:
            self.map[name]  # raises "No tag … in the register map (tags: …)"
        tag = self._adhoc[name] = parse_address(name)
        return tag

    # ----------------------------------------------------------------- reading

    async def read(self, tags: list[str]) -> list[Sample]:
        """Read tags (names or raw addresses) in as few requests as the device allows.

        Tags the device refuses come back with quality BAD and the reason in ``status``; so do
        unknown names and malformed addresses. A lost connection, a silent device or an answer
        that is not Modbus raises :class:`DeviceError`.
        """
        samples: dict[str, Sample] = {}
        known: list[ModbusTag] = []
        for name in dict.fromkeys(tags):
            try:
                known.append(self.tag(name))
            except DeviceError as exc:
                samples[name] = Sample(name, None, BAD, status=str(exc))
        await self._read_tags(known, samples)
        return [samples[name] for name in tags]

    def _planning_exclusions(self) -> set[tuple[Area, int]]:
        now = time.monotonic()
        for key in [key for key, until in self._avoid.items() if until <= now]:
            del self._avoid[key]
        return self._rejected | self._avoid.keys()

    async def _read_tags(self, tags: Iterable[ModbusTag], samples: dict[str, Sample]) -> bool:
        """Plan and read; False if the device answered an exception on the way."""
        requests = plan_reads(tags, self.max_gap, self.max_registers, self.max_bits,
                              rejected=self._planning_exclusions())
        clean = True
        for request in requests:
            clean &= await self._read_request(request, samples)
        return clean

    async def _read_request(self, request: ReadRequest, samples: dict[str, Sample]) -> bool:
        try:
            values = await self._fetch(request.area, request.start, request.count)
        except ModbusDeviceError as exc:
            if exc.code is None:  # a malformed answer: nothing to isolate
                _mark_bad(request.tags, str(exc), samples)
                return True
            await self._isolate(request, exc.code, samples)
            return False
        now = time.time_ns()
        for name in request.tags:
            tag = self.tag(name)
            try:
                samples[name] = Sample(name, decode(tag, request.slice(tag, values)), GOOD, now, now)
            except DeviceError as exc:
                samples[name] = Sample(name, None, BAD, now, now, status=str(exc))
        return True

    async def _isolate(self, request: ReadRequest, code: int, samples: dict[str, Sample]) -> None:
        """Find what the device refused (exception ``code``) in a failed request by bisection.

        Tags are grouped into clusters of overlapping registers (a status word and its bits).
        A lone cluster that fails is itself refused: its tags are BAD and its addresses are
        remembered — for good after "Illegal data address", for a while after any other
        exception, so the next reads go around it without bisecting again. If both halves of a
        request read cleanly, the unused registers between them were the problem.
        """
        clusters = _clusters(self.tag(name) for name in request.tags)
        if len(clusters) == 1:
            [cluster] = clusters
            self._remember(request.area, range(cluster[0].address, max(t.end for t in cluster)), code)
            now = time.time_ns()
            for tag in cluster:
                message = exception_message(code, tag.reference, function_code=request.function_code, unit=self.unit)
                samples[tag.name] = Sample(tag.name, None, BAD, now, now, status=message)
            return
        first, second = clusters[: len(clusters) // 2], clusters[len(clusters) // 2:]
        first_clean = await self._read_tags([tag for cluster in first for tag in cluster], samples)
        second_clean = await self._read_tags([tag for cluster in second for tag in cluster], samples)
        if first_clean and second_clean:
            gap_start = max(tag.end for cluster in first for tag in cluster)
            self._remember_gap(request.area, gap_start, second[0][0].address, code)

    def _remember(self, area: Area, addresses: Iterable[int], code: int) -> None:
        if code == ILLEGAL_ADDRESS:
            self._rejected.update((area, a) for a in addresses)
            return
        # Busy, failed, acknowledged …: the device may answer next time, so only for a while.
        until = time.monotonic() + TRANSIENT_MEMORY_S
        self._avoid.update(((area, a), until) for a in addresses)

    def _remember_gap(self, area: Area, start: int, stop: int, code: int) -> None:
        """Remember the unused registers in ``[start, stop)``; mapped ones only if nothing else is left."""
        mapped = {a for tag in self.map if tag.area is area for a in range(tag.address, tag.end)}
        gap = set(range(start, stop))
        self._remember(area, sorted(gap - mapped or gap), code)

    async def poll(self, tags: list[str], bus: LiveBus) -> list[Sample]:
        """Read once and publish every sample to ``bus`` (BAD as NaN); on a connection error publish BAD, re-raise.

        For continuous polling use :meth:`subscribe`, which marks outages once and keeps timestamps increasing.
        """
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

    async def subscribe(self, tags: Sequence[str], interval_ms: float, bus: LiveBus, *,
                        deadband: float = 0.0) -> ModbusSubscription:
        """Poll ``tags`` (names or raw addresses) every ``interval_ms`` into ``bus`` until the subscription is closed.

        ``deadband`` (absolute, in engineering units) suppresses changes smaller than it; a
        change of quality always goes through. Through an outage the subscription publishes one
        BAD sample per tag and resumes after the reconnect (:mod:`device_browser.modbus.poller`).
        Raises :class:`DeviceError` for unknown tags, tags too large to read, or a bad interval.
        """
        if not tags:
            raise DeviceError("Nothing to subscribe to: give at least one tag")
        if not (interval_ms > 0 and math.isfinite(interval_ms)):
            raise DeviceError(f"A poll interval must be a positive number of milliseconds, not {interval_ms}")
        if not (deadband >= 0 and math.isfinite(deadband)):
            raise DeviceError(f"A deadband must be zero or a positive number, not {deadband}")
        resolved = [self.tag(name) for name in dict.fromkeys(tags)]  # raises for unknown names
        plan_reads(resolved, self.max_gap, self.max_registers, self.max_bits)  # raises for unreadable tags
        if self._closing or self._status.state in (ConnectionState.DISCONNECTED, ConnectionState.FAILED):
            self._connected_client()  # raises "Not connected to …" with the reason
        if self._scheduler is None:
            self._scheduler = PollScheduler(self)
        subscription = ModbusSubscription(self._scheduler, tags, interval_ms, bus, deadband)
        self._scheduler.add(subscription)
        return subscription

    async def call(self, object_tag: str, method: str, args: Sequence[Any] = ()) -> list[Any]:
        """Modbus has no methods: raises :class:`DeviceError` pointing to command registers instead."""
        raise DeviceError(f"Modbus devices have no methods: '{method}' cannot be called on {self.endpoint}; "
                          "write the command register or coil the device's manual names instead")

    # ----------------------------------------------------------------- writing and browsing

    async def write(self, tag: str, value: Any) -> None:
        """Write one tag: FC5/FC15 for coils, FC6/FC16 for registers, read-modify-write for a bit of a register
        (writing and reading in one request, FC 23: :meth:`write_and_read`).

        Raises :class:`~device_browser.session.WriteRefused` before sending anything if the
        register map says the value must not go out; :class:`DeviceError` if the device refuses.
        """
        target = self.tag(tag)
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
        target = self.tag(tag)
        wanted = [self.tag(name) for name in read_tags]
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

