"""The live data bus: per-tag ring buffers that drivers write and trends, engine and recorder read.

Writers never wait: :meth:`LiveBus.publish` copies into a fixed ring and returns. Readers
keep their own cursor (:class:`BusReader`) and take what arrived since their last read; a
reader too slow to keep up loses the oldest samples, and is told how many, instead of slowing
the driver. Memory is bounded: ``capacity`` samples per tag.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable

import numpy as np

from nodes.chunk import Chunk
from nodes.quality import Quality

_SCALARS = frozenset({float, int, bool})
_QUALITIES = frozenset({int, bool}) | {type(q) for q in Quality}


INITIAL_SIZE = 256  # samples a ring holds before it first grows


class TagRing:
    """A ring of (timestamp ns, value, quality) for one tag, with a running write count.

    The arrays start small and double as samples arrive, up to ``capacity``: 5,000 watched tags
    with a 100,000-sample capacity would otherwise hold 8.5 GB from the first sample on. Until
    the ring is full its samples sit at ``[0, written)``, so the ring arithmetic (modulo
    ``capacity``) is the same before and after it stops growing.
    """

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.written = 0  # total samples ever written: the cursor space of readers
        self.latest_raw: object = None  # last value as the device gave it (text, arrays …)
        self._allocate(min(capacity, INITIAL_SIZE))

    def _allocate(self, size: int) -> None:
        t, v, q = np.zeros(size, np.int64), np.full(size, np.nan), np.zeros(size, np.uint8)
        if self.written:  # still growing: the samples are at the start, in order
            kept = min(self.written, len(self.t))
            t[:kept], v[:kept], q[:kept] = self.t[:kept], self.v[:kept], self.q[:kept]
        self.t, self.v, self.q = t, v, q

    def _room_for(self, n: int) -> None:
        size = len(self.t)
        if size < self.capacity and self.written + n > size:
            self._allocate(min(self.capacity, max(2 * size, self.written + n)))

    def append(self, t: np.ndarray, v: np.ndarray, q: np.ndarray) -> None:
        n = len(t)
        if n > self.capacity:  # only the newest fit
            t, v, q = t[-self.capacity:], v[-self.capacity:], q[-self.capacity:]
            self.written += n - self.capacity
            n = self.capacity
        self._room_for(n)
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        self.t[start:start + first], self.v[start:start + first], self.q[start:start + first] = \
            t[:first], v[:first], q[:first]
        if first < n:
            rest = n - first
            self.t[:rest], self.v[:rest], self.q[:rest] = t[first:], v[first:], q[first:]
        self.written += n

    def append_one(self, t: int, v: float, q: int) -> None:
        if self.written >= len(self.t) and len(self.t) < self.capacity:
            self._room_for(1)
        i = self.written % self.capacity
        self.t[i], self.v[i], self.q[i] = t, v, q
        self.written += 1

    def since(self, cursor: int) -> tuple[Chunk, int, int]:
        """Samples written after ``cursor``: the chunk, the new cursor, how many were lost."""
        oldest = max(0, self.written - self.capacity)
        lost = max(0, oldest - cursor)
        begin = max(cursor, oldest)
        start = begin % self.capacity
        stop = start + self.written - begin
        if stop <= self.capacity:  # the usual case, one piece: slices are cheaper than an index array
            chunk = Chunk(self.t[start:stop].copy(), self.v[start:stop].copy(), self.q[start:stop].copy())
        else:
            index = np.arange(begin, self.written) % self.capacity
            chunk = Chunk(self.t[index], self.v[index], self.q[index])
        return chunk, self.written, lost


class LiveBus:
    """Tag name → ring buffer. Thread-safe; publishing never blocks on readers."""

    def __init__(self, capacity: int = 100_000):
        self.capacity = capacity
        self._rings: dict[str, TagRing] = {}
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def tags(self) -> list[str]:
        with self._lock:
            return sorted(self._rings)

    def publish(self, tag: str, t, values, quality) -> None:
        """Append samples of one tag (scalars or arrays). Non-numeric values are kept as latest only."""
        # The common case, one notification, goes in without building numpy arrays.
        single = type(t) is int and type(values) in _SCALARS and type(quality) in _QUALITIES
        if not single:
            raw = values
            t = np.atleast_1d(np.asarray(t, np.int64))
            try:
                values = np.atleast_1d(np.asarray(values, np.float64))
            except (TypeError, ValueError):
                values = np.full(len(t), np.nan)
            quality = np.atleast_1d(np.asarray(quality, np.uint8))
            if len(quality) == 1 and len(t) > 1:
                quality = np.full(len(t), quality[0], np.uint8)
        with self._lock:
            ring = self._rings.get(tag)
            if ring is None:
                ring = self._rings[tag] = TagRing(self.capacity)
            if single:
                ring.append_one(t, values, quality)
                ring.latest_raw = values
            else:
                ring.append(t, values, quality)
                ring.latest_raw = raw if np.ndim(raw) == 0 else np.asarray(raw)[-1]
            waiters = self._waiters and list(self._waiters)
        for loop, event in waiters or ():
            loop.call_soon_threadsafe(event.set)

    def snapshot(self, tag: str, last: int | None = None) -> Chunk:
        """A copy of what the ring holds for ``tag`` (the newest ``last`` samples if given)."""
        with self._lock:
            ring = self._rings.get(tag)
            if ring is None:
                return Chunk.empty()
            start = 0 if last is None else max(0, ring.written - last)
            chunk, _, _ = ring.since(start)
        return chunk

    def written(self, tag: str) -> int:
        """Samples ever published for ``tag`` (0 for a tag never seen): an update counter for views."""
        ring = self._rings.get(tag)  # one attribute read: atomic under the GIL, no need to wait for the lock
        return ring.written if ring is not None else 0

    def latest(self, tag: str) -> tuple[int, object, int] | None:
        """(timestamp ns, raw value, quality) of the newest sample, or None."""
        with self._lock:
            ring = self._rings.get(tag)
            if ring is None or ring.written == 0:
                return None
            i = (ring.written - 1) % ring.capacity
            return int(ring.t[i]), ring.latest_raw, int(ring.q[i])

    def reader(self, tags: Iterable[str], from_start: bool = False) -> BusReader:
        return BusReader(self, list(tags), from_start)

    def _cursor(self, tag: str, from_start: bool) -> int:
        with self._lock:
            ring = self._rings.get(tag)
            return 0 if ring is None or from_start else ring.written


class BusReader:
    """A consumer's cursor over some tags: read what is new, never block the writers."""

    def __init__(self, bus: LiveBus, tags: list[str], from_start: bool):
        self.bus = bus
        self.cursors = {tag: bus._cursor(tag, from_start) for tag in tags}
        self.lost = dict.fromkeys(tags, 0)

    def read(self) -> dict[str, Chunk]:
        """New samples per tag since the last read (samples overwritten meanwhile are counted in ``lost``)."""
        out = {}
        with self.bus._lock:  # once for all tags: the runtime reads 1,000 of them ten times a second
            for tag, cursor in self.cursors.items():
                ring = self.bus._rings.get(tag)
                if ring is None:
                    out[tag] = Chunk.empty()
                    continue
                out[tag], self.cursors[tag], lost = ring.since(cursor)
                self.lost[tag] += lost
        return out

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait (without polling) until anything is published; False on timeout."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self.bus._lock:
            self.bus._waiters.append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self.bus._lock:
                self.bus._waiters.remove(entry)


class RenamingPublisher:
    """What a device session publishes into, renaming its tags to the bus's keys on the way.

    Several devices share one bus: each session knows its tags by point name or address
    (``flow``, ``40001``), the bus by tag reference (``pump1/flow``, ``plc@40001``).
    """

    def __init__(self, bus: LiveBus, keys: dict[str, str]):
        self.bus = bus
        self.keys = dict(keys)  # session tag → bus key; a tag not listed keeps its name

    def publish(self, tag: str, t, values, quality) -> None:
        self.bus.publish(self.keys.get(tag, tag), t, values, quality)
