"""What the workbench's data browser shows of a recording store, computed without Qt.

The data browser lists a store's recordings (name, operator, start, duration, devices, samples,
size), the tags of one with their statistics, and plots chosen tags over a range. A tag may hold
10 M samples; a plot is a few hundred pixels wide, so the view never receives the samples: it asks
:class:`EnvelopeReader` for the *envelope* of a range, the minimum and maximum of the samples that
fall in each pixel's time bucket, which draws exactly what a line through every sample would draw
at that width (spikes included) with at most two points per pixel.

Reading is bounded by what the view needs:

* the first request builds an *overview* of the whole tag at :data:`OVERVIEW_BUCKETS` buckets by
  streaming the store's blocks (:meth:`~device_browser.store.RecordingStore.iter_chunks`), with
  progress and cancel between blocks; every later request whose buckets are at least as wide as
  the overview's (zooming out, panning a wide view) is answered from it without any I/O;
* a request zoomed in deeper streams only the visible range, and one that holds few samples
  (:data:`EXACT_FACTOR` per bucket or less) returns those samples as they are.

Everything here runs on a worker thread; cancel is a callable polled between blocks, so a query
the user has scrolled away from stops within one block.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nodes.chunk import BAD

if TYPE_CHECKING:
    from device_browser.store import Recording, RecordingStore

OVERVIEW_BUCKETS = 8192  # a 4K screen's width twice over: zooming out never needs the store again
EXACT_FACTOR = 2  # at most this many samples per bucket: draw the samples themselves
Progress = Callable[[int, int], None]  # samples read, samples to read


class Cancelled(Exception):
    """The caller called the request off (it scrolled away, or closed the store)."""


@dataclass(frozen=True)
class RecordingRow:
    """One line of the recordings table: a recording with what it holds."""

    recording: Recording
    tags: int
    samples: int
    size_bytes: int
    first_ns: int | None  # the first and last sample of any tag
    last_ns: int | None

    @property
    def duration_s(self) -> float | None:
        """How long it ran: start to end when it was finished, else start (or first sample) to last sample."""
        rec = self.recording
        start = rec.started_ns if rec.started_ns is not None else self.first_ns
        end = rec.ended_ns if rec.ended_ns is not None else self.last_ns
        if start is None or end is None:
            return None
        return max(0, end - start) / 1e9


@dataclass(frozen=True)
class TagRow:
    """One line of the tags table: a tag of a recording with its statistics over the whole recording."""

    name: str
    unit: str
    device: str
    count: int
    values: int  # samples that are numbers (not NaN)
    min: float
    max: float
    mean: float
    gaps: int
    first_ns: int | None
    last_ns: int | None


@dataclass(frozen=True)
class Envelope:
    """What one tag looks like over ``[start_ns, end_ns)``: per bucket its min and max, or its samples.

    ``exact`` envelopes hold the samples themselves (``lo`` is ``hi``); otherwise ``t`` is each
    non-empty bucket's centre. ``read`` is how many samples the store decoded for it (0 when it
    came from the overview).
    """

    t: np.ndarray  # int64 ns
    lo: np.ndarray
    hi: np.ndarray
    exact: bool
    read: int = 0

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """x (seconds since the epoch, as pyqtgraph's date axis wants) and y of the line to draw.

        A bucket is drawn as a vertical stroke from its min to its max, joined to the next:
        at most two points per bucket.
        """
        x = self.t.astype(np.float64) / 1e9
        if self.exact:
            return x, self.lo
        return np.repeat(x, 2), np.column_stack((self.lo, self.hi)).ravel()

    def __len__(self) -> int:
        return len(self.t) if self.exact else 2 * len(self.t)


def recording_rows(store: RecordingStore) -> list[RecordingRow]:
    """The store's recordings with their tag count, samples and size (block metadata only; no samples decoded)."""
    rows = []
    for rec in store.recordings():
        stats = store.statistics(recording=rec)
        counted = stats[stats["count"] > 0]
        first = int(counted["first"].min().value) if len(counted) else None
        last = int(counted["last"].max().value) if len(counted) else None
        rows.append(RecordingRow(rec, len(stats), int(stats["count"].sum()), store.stored_bytes(rec), first, last))
    return rows


def tag_rows(store: RecordingStore, recording: Recording | int | str) -> list[TagRow]:
    """The tags of a recording with count, min, max, mean and gaps, from ``store.statistics``."""
    stats = store.statistics(recording=recording)
    devices = {tag.name: tag.device for tag in store.tags(recording)}
    rows = []
    for name, row in stats.iterrows():
        found = row["count"] > 0
        rows.append(TagRow(str(name), str(row["unit"] or ""), devices.get(str(name), ""), int(row["count"]),
                           int(row["values"]), float(row["min"]), float(row["max"]), float(row["mean"]),
                           int(row["gaps"]), int(row["first"].value) if found else None,
                           int(row["last"].value) if found else None))
    return rows


class _Buckets:
    """Running min, max and count per bucket of ``[start_ns, end_ns)``, fed chunk by chunk."""

    def __init__(self, start_ns: int, end_ns: int, buckets: int):
        self.start_ns, self.end_ns, self.n = start_ns, max(end_ns, start_ns + 1), max(1, buckets)
        self.lo = np.full(self.n, np.nan)
        self.hi = np.full(self.n, np.nan)
        self.count = np.zeros(self.n, np.int64)

    @property
    def width_ns(self) -> float:
        return (self.end_ns - self.start_ns) / self.n

    def index(self, t: np.ndarray) -> np.ndarray:
        # float: a year in ns times 8192 buckets overflows int64
        at = ((t - self.start_ns).astype(np.float64) * (self.n / (self.end_ns - self.start_ns))).astype(np.int64)
        return np.clip(at, 0, self.n - 1)

    def add(self, t: np.ndarray, v: np.ndarray, q: np.ndarray | None = None) -> None:
        """Fold sorted samples in (bad-quality values count as missing)."""
        if not len(t):
            return
        if q is not None:
            v = np.where(q == BAD, np.nan, v)
        at = self.index(t)
        starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
        where = at[starts]
        with np.errstate(invalid="ignore"):
            self.lo[where] = np.fmin(self.lo[where], np.fmin.reduceat(v, starts))
            self.hi[where] = np.fmax(self.hi[where], np.fmax.reduceat(v, starts))
        self.count[where] += np.diff(np.r_[starts, len(t)])

    def merge(self, lo: np.ndarray, hi: np.ndarray, count: np.ndarray, t: np.ndarray) -> None:
        """Fold in finer buckets given by their centre times ``t``."""
        inside = (t >= self.start_ns) & (t < self.end_ns) & (count > 0)
        if not inside.any():
            return
        at = self.index(t[inside])
        self.add_buckets(at, lo[inside], hi[inside], count[inside])

    def add_buckets(self, at: np.ndarray, lo: np.ndarray, hi: np.ndarray, count: np.ndarray) -> None:
        starts = np.flatnonzero(np.r_[True, at[1:] != at[:-1]])
        where = at[starts]
        with np.errstate(invalid="ignore"):
            self.lo[where] = np.fmin(self.lo[where], np.fmin.reduceat(lo, starts))
            self.hi[where] = np.fmax(self.hi[where], np.fmax.reduceat(hi, starts))
        self.count[where] += np.add.reduceat(count, starts)

    def centres(self) -> np.ndarray:
        edges = self.start_ns + np.arange(self.n, dtype=np.float64) * self.width_ns
        return (edges + self.width_ns / 2).astype(np.int64)

    def envelope(self, read: int) -> Envelope:
        full = self.count > 0
        return Envelope(self.centres()[full], self.lo[full], self.hi[full], exact=False, read=read)


class EnvelopeReader:
    """Envelopes of one tag of one recording, with the whole tag's overview kept after the first read.

    Thread-safe: requests may run on several workers; the overview is built once.
    """

    def __init__(self, store: RecordingStore, recording: Recording | int | str, tag: str, first_ns: int,
                 last_ns: int, count: int, overview_buckets: int = OVERVIEW_BUCKETS):
        self.store, self.recording, self.tag = store, recording, tag
        self.first_ns, self.last_ns, self.count = first_ns, last_ns, count
        self.overview_buckets = overview_buckets
        self._overview: _Buckets | None = None
        self._lock = threading.Lock()

    @property
    def has_overview(self) -> bool:
        return self._overview is not None

    def envelope(self, start_ns: int, end_ns: int, buckets: int, *, cancelled: Callable[[], bool] = lambda: False,
                 progress: Progress | None = None) -> Envelope:
        """The tag over ``[start_ns, end_ns)`` at ``buckets`` buckets (the plot's width in pixels).

        Raises :class:`Cancelled` when ``cancelled()`` turns true between two blocks.
        """
        start_ns, end_ns = max(start_ns, self.first_ns), min(end_ns, self.last_ns + 1)
        empty = Envelope(np.empty(0, np.int64), np.empty(0), np.empty(0), exact=True)
        if end_ns <= start_ns or self.count == 0:
            return empty
        buckets = max(1, buckets)
        few = self.count <= EXACT_FACTOR * buckets  # a short tag is drawn as its samples, at any zoom
        wide = not few and self._wide(start_ns, end_ns, buckets)
        overview = self._overview_for(cancelled, progress) if wide else None
        if overview is not None and (end_ns - start_ns) / buckets >= overview.width_ns:
            target = _Buckets(start_ns, end_ns, buckets)
            target.merge(overview.lo, overview.hi, overview.count, overview.centres())
            return target.envelope(read=0)
        target = _Buckets(start_ns, end_ns, buckets)
        kept: list = []
        read = self._stream(target, start_ns, end_ns, self._expected(start_ns, end_ns), cancelled, progress,
                            keep=(kept, EXACT_FACTOR * buckets))
        if read <= EXACT_FACTOR * buckets:  # few enough to draw as they are
            t = np.concatenate([c.t for c in kept]) if kept else np.empty(0, np.int64)
            values = np.concatenate([np.where(c.q == BAD, np.nan, c.v) for c in kept]) if kept else np.empty(0)
            return Envelope(t, values, values, exact=True, read=read)
        return target.envelope(read)

    def _expected(self, start_ns: int, end_ns: int) -> int:
        """About how many samples ``[start_ns, end_ns)`` holds (for progress): from the overview if built."""
        overview = self._overview
        if overview is not None:
            inside = (overview.centres() >= start_ns) & (overview.centres() < end_ns)
            return int(overview.count[inside].sum())
        return int(self.count * (end_ns - start_ns) / max(1, self.last_ns + 1 - self.first_ns))

    def _wide(self, start_ns: int, end_ns: int, buckets: int) -> bool:
        """Whether the request's buckets are as wide as the overview's (so the overview answers it)."""
        width = (self.last_ns + 1 - self.first_ns) / self.overview_buckets
        return (end_ns - start_ns) / buckets >= width

    def _overview_for(self, cancelled: Callable[[], bool], progress: Progress | None) -> _Buckets:
        with self._lock:  # one worker builds it; another asking meanwhile waits for it
            if self._overview is None:
                overview = _Buckets(self.first_ns, self.last_ns + 1, self.overview_buckets)
                self._stream(overview, self.first_ns, self.last_ns + 1, self.count, cancelled, progress)
                self._overview = overview
            return self._overview

    def _stream(self, target: _Buckets, start_ns: int, end_ns: int, expected: int, cancelled: Callable[[], bool],
                progress: Progress | None, keep: tuple[list, int] | None = None) -> int:
        """Fold the range's blocks into ``target``; ``keep=(list, n)`` also keeps the chunks while at most n samples."""
        read = 0
        for chunk in self.store.iter_chunks(self.tag, start_ns, end_ns, recording=self.recording):
            if cancelled():
                raise Cancelled(f"reading {self.tag} was called off")
            target.add(chunk.t, chunk.v, chunk.q)
            read += len(chunk.t)
            if keep is not None and read <= keep[1]:
                keep[0].append(chunk)
            if progress is not None:
                progress(read, max(expected, read))
        return read

