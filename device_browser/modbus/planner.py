"""Read planning: turn a set of tags into the fewest Modbus read requests a device accepts.

Every request costs a round trip (tens of milliseconds on serial lines), so reading 500 tags
one by one is far too slow, while one huge request is refused. The planner coalesces tags of
one area into requests, reading a few unused registers between tags when that saves a trip.

Algorithm: per area, sort the tags' address intervals ``[address, address + count)`` by start
and sweep once, keeping an open request ``[start, end)``. The next tag joins the open request
when all of these hold, otherwise it opens a new one:

* it overlaps the request, or the gap ``tag.address - end`` is at most ``max_gap`` registers
  (``16 * max_gap`` bits in coil and discrete-input areas, where one register's worth of
  bytes carries 16 bits);
* the request would still span at most ``max_registers`` (``max_bits``) addresses;
* the gap holds no rejected address.

A tag is never split across requests. A tag that itself contains a rejected address (one the
device answered "Illegal data address" for) cannot be read by any request; it is planned
alone, outside the sweep, so the client reads it, gets the exception and reports that tag
only. The sweep never spans a rejected address, since clean tags do not contain one and the
gaps are checked. A tag larger than the limit cannot be read at all and raises
:class:`DeviceError` (strings are capped at 125 registers by :meth:`ModbusTag.check`).

Because the open request only grows while every condition holds, and any sub-run of a
feasible run is feasible, the greedy sweep gives the fewest requests for non-overlapping tags.
Requests of one area overlap only where two of their tags overlap and the limit forces them
apart. Runtime is O(n log n) for the sort plus O(log r) per gap for r rejected addresses.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from device_browser.modbus.registers import MAX_BITS, MAX_REGISTERS, Area, ModbusTag
from device_browser.session import DeviceError

__all__ = ["MAX_BITS", "MAX_REGISTERS", "ReadRequest", "plan_reads"]


@dataclass(frozen=True)
class ReadRequest:
    """One read on the wire: ``count`` registers (or bits) of ``area`` from 0-based ``start``."""

    area: Area
    start: int  # 0-based
    count: int  # registers or bits
    tags: tuple[str, ...]

    @property
    def end(self) -> int:
        """First address after the request (exclusive end)."""
        return self.start + self.count

    @property
    def function_code(self) -> int:
        """FC1 coils, FC2 discrete inputs, FC3 holding registers, FC4 input registers."""
        return self.area.read_function_code

    def covers(self, tag: ModbusTag) -> bool:
        """Whether the whole tag lies inside this request."""
        return tag.area == self.area and self.start <= tag.address and tag.end <= self.end

    def slice(self, tag: ModbusTag, values: list) -> list:
        """The tag's registers (or bits) out of this request's response values."""
        first = tag.address - self.start
        return values[first:first + tag.register_count]


def plan_reads(tags: Iterable[ModbusTag], max_gap: int = 10, max_registers: int = MAX_REGISTERS,
               max_bits: int = MAX_BITS, rejected: Collection[tuple[Area, int]] = ()) -> list[ReadRequest]:
    """The requests reading every tag, sorted by (area, start); see the module docstring for the rules."""
    if max_gap < 0 or max_registers < 1 or max_bits < 1:
        raise ValueError(f"max_gap must be >= 0 and the limits >= 1 (got {max_gap}, {max_registers}, {max_bits})")
    by_area: dict[Area, list[ModbusTag]] = defaultdict(list)
    for tag in tags:
        by_area[tag.area].append(tag)
    bad = _rejected_by_area(rejected)
    requests: list[ReadRequest] = []
    for area, area_tags in by_area.items():
        limit, gap = (max_bits, 16 * max_gap) if area.is_bit else (max_registers, max_gap)
        requests += _plan_area(area, area_tags, limit, gap, bad.get(area, []))
    return sorted(requests, key=lambda request: (request.area, request.start, request.count, request.tags))


def _rejected_by_area(rejected: Collection[tuple[Area, int]]) -> dict[Area, list[int]]:
    addresses: dict[Area, set[int]] = defaultdict(set)
    for area, address in rejected:
        addresses[Area(area)].add(address)
    return {area: sorted(found) for area, found in addresses.items()}


def _plan_area(area: Area, tags: list[ModbusTag], limit: int, gap: int, rejected: list[int]) -> list[ReadRequest]:
    requests = []
    run: list[ModbusTag] = []
    start = end = 0
    for tag in sorted(tags, key=lambda tag: (tag.address, tag.end, tag.name)):
        _require_fits(tag, limit)
        if _contains_rejected(rejected, tag.address, tag.end):
            requests.append(ReadRequest(area, tag.address, tag.register_count, (tag.name,)))
        elif run and _joins(tag, start, end, limit, gap, rejected):
            run.append(tag)
            end = max(end, tag.end)
        else:
            if run:
                requests.append(_request(area, start, end, run))
            run, start, end = [tag], tag.address, tag.end
    if run:
        requests.append(_request(area, start, end, run))
    return requests


def _joins(tag: ModbusTag, start: int, end: int, limit: int, gap: int, rejected: list[int]) -> bool:
    """Whether reading from ``start`` through ``tag`` in one request is allowed and worth it."""
    if max(end, tag.end) - start > limit:
        return False
    if tag.address <= end:
        return True
    return tag.address - end <= gap and not _contains_rejected(rejected, end, tag.address)


def _contains_rejected(rejected: list[int], first: int, stop: int) -> bool:
    """Whether any rejected address lies in ``[first, stop)``; ``rejected`` is sorted."""
    index = bisect_left(rejected, first)
    return index < len(rejected) and rejected[index] < stop


def _require_fits(tag: ModbusTag, limit: int) -> None:
    if tag.register_count > limit:
        unit = "bits" if tag.area.is_bit else "registers"
        raise DeviceError(f"Tag '{tag.name}' ({tag.reference}) spans {tag.register_count} {unit}, more than "
                          f"the {limit} one read request may carry")


def _request(area: Area, start: int, end: int, run: list[ModbusTag]) -> ReadRequest:
    return ReadRequest(area, start, end - start, tuple(tag.name for tag in run))
