"""The one recorder of live data: samples in, kept by sinks (the recording store, CSV/Parquet files).

A recording on site may last hours and meet device outages, ``kill -9``, power cuts and a full
disk. What every sink needs from a recorder is the same, so it lives here once: which tags are
recorded, start and stop, counts, duration and size for the UI and the CLI, a commit at least
every ``commit_s`` seconds (default 1: a kill loses at most the last second), outages of a device
turned into gaps (opened when its session loses the connection, ended when it is back), and a
failure of any sink (a full disk above all) stopping the recording cleanly with a message that
names the path, keeping what was committed. Sinks only keep samples:

* :class:`~device_browser.store_sink.StoreSink` appends blocks to the recording store
  (:mod:`device_browser.store`), compacts them every ``compact_s`` seconds and at stop, and
  records gaps;
* :class:`FileSink` writes the CSV/Parquet files of :mod:`device_browser.recorder` (what
  ``millwright device poll -o FILE`` writes).

Samples arrive as chunks read from the live bus (:meth:`LiveRecorder.add_chunks`, what
subscriptions deliver, see :func:`record_from_bus`) or as whole polls (:meth:`LiveRecorder.add_row`).
No Qt here; a view listens to :attr:`LiveRecorder.status_changed` (psygnal).
"""

from __future__ import annotations

import abc
import asyncio
import collections
import contextlib
import errno
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from psygnal import Signal

from device_browser.recorder import Recorder as FileRecorder
from device_browser.recorder import RecorderError, number
from device_browser.session import ConnectionState
from nodes.chunk import Chunk

if TYPE_CHECKING:
    from device_browser.bus import BusReader
    from device_browser.session import ConnectionStatus, DeviceSession

log = logging.getLogger(__name__)

COMMIT_S = 1.0  # the most a kill or power cut may lose
COMMIT_AIM = 0.8  # commits are started at this fraction of commit_s
COMPACT_S = 60.0  # small per-second blocks are merged this often (and at stop)
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class RecorderState:
    IDLE, RECORDING, STOPPED, FAILED = "idle", "recording", "stopped", "failed"


@dataclass(frozen=True)
class RecorderStatus:
    """What a recording has done so far: shown by the data view and printed by ``millwright data record``."""

    state: str = RecorderState.IDLE
    samples: int = 0  # accepted from the devices
    committed: int = 0  # safe on disk (survives a kill)
    duration_s: float = 0.0
    size_bytes: int = 0  # what the sinks hold on disk
    gaps: int = 0  # device outages recorded
    message: str = ""  # why a failed recording stopped (names the path)
    slow_commits: int = 0  # commits that took longer than commit_s (a kill then loses more than that)
    longest_commit_s: float = 0.0

    def text(self) -> str:
        return (f"{self.committed} samples committed, {self.duration_s:.1f} s, {format_size(self.size_bytes)}, "
                f"{self.gaps} gap(s)")


class Sink(abc.ABC):
    """Where a recorder's samples go. Called from one thread at a time, except :meth:`compact`, which
    :func:`record_from_bus` runs on a thread of its own while commits go on (a sink whose compaction
    is not thread-safe against its commits must not do any)."""

    location: str = ""  # the file, folder or store a message names

    @abc.abstractmethod
    def write(self, chunks: Mapping[str, Chunk]) -> None:
        """New samples of some tags, each with its own timestamps (kept until :meth:`commit`)."""

    def write_row(self, t: int, values: Sequence[Any], qualities: Sequence[int], statuses: Sequence[str],
                  tags: Sequence[str]) -> None:
        """One poll of every tag at one time; by default the same as one-sample chunks."""
        self.write({tag: Chunk(np.array([t], np.int64), np.array([number(v)]), np.array([q], np.uint8))
                    for tag, v, q in zip(tags, values, qualities, strict=True)})

    def gap_started(self, device: str, t_ns: int, reason: str) -> None:  # noqa: B027 - optional for a sink
        """A device's connection was lost at ``t_ns``."""

    def gap_ended(self, device: str, t_ns: int) -> None:  # noqa: B027 - optional for a sink
        """The device is back."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make everything written so far durable (fsync or a database commit)."""

    def compact(self) -> None:  # noqa: B027 - optional for a sink
        """Tidy what per-second commits left (merge small blocks); nothing for most sinks."""

    def size_bytes(self) -> int:
        return 0

    @abc.abstractmethod
    def close(self, failed: bool = False) -> None:
        """Commit (unless ``failed``) and release the sink; safe to call twice."""


class FileSink(Sink):
    """The CSV/Parquet files of :mod:`device_browser.recorder` as a sink; a full disk names the file."""

    def __init__(self, recorder: FileRecorder):
        self.recorder = recorder
        self.location = str(recorder.path)
        self._closed = False

    @property
    def rows(self) -> int:
        return self.recorder.rows

    def write(self, chunks: Mapping[str, Chunk]) -> None:
        with self._disk("write"):
            for tag, chunk in chunks.items():
                for t, v, q in zip(chunk.t.tolist(), chunk.v.tolist(), chunk.q.tolist(), strict=True):
                    self.recorder.add(tag, t, v, q)

    def write_row(self, t: int, values: Sequence[Any], qualities: Sequence[int], statuses: Sequence[str],
                  tags: Sequence[str]) -> None:
        with self._disk("write"):
            self.recorder.add_row(t, values, qualities, statuses)

    def commit(self) -> None:
        with self._disk("write"):
            self.recorder.flush()

    def size_bytes(self) -> int:
        path = self.recorder.path
        try:
            if path.is_dir():
                return sum(p.stat().st_size for p in path.iterdir())
            return path.stat().st_size
        except OSError:
            return 0

    def close(self, failed: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        if failed:  # the disk refused: keep what was flushed, drop what was not, raise nothing more
            with contextlib.suppress(OSError, RecorderError, ValueError):
                self.recorder.close()
            return
        with self._disk("close"):
            self.recorder.close()

    @contextlib.contextmanager
    def _disk(self, what: str):
        try:
            yield
        except OSError as exc:
            raise file_error(self.location, exc, what) from None


def file_error(location: str, exc: OSError, what: str = "write") -> RecorderError:
    """A recorder error naming ``location``: a full disk (or file size limit) said as such."""
    if exc.errno in DISK_FULL_ERRNOS:
        limit = " (the file reached the size limit)" if exc.errno == errno.EFBIG else ""
        return RecorderError(f"{location}: the disk is full{limit}; recording stopped, what was written before "
                             "is kept")
    return RecorderError(f"{location}: cannot {what} ({exc.strerror or exc}); recording stopped")


class LiveRecorder:
    """Samples of chosen tags into sinks, committed at least every ``commit_s`` seconds.

    Parameters
    ----------
    tags
        The recorded tags (the names the sinks keep); samples of other tags are ignored.
    sinks
        Where samples go; every sink sees every sample.
    commit_s, compact_s
        Longest time between commits (what a kill can lose) and between compactions.
    clock
        Monotonic seconds (tests may pass their own).

    Use: :meth:`start`, then :meth:`add_chunks`/:meth:`add_row` and :meth:`tick` (or let
    :func:`record_from_bus` do it), then :meth:`stop`. A sink that fails (a full disk) stops the
    recording: :attr:`status` is FAILED and its message names the path; the other sinks are closed
    with what they had committed.
    """

    status_changed = Signal(object)  # RecorderStatus, after each commit and at start/stop

    def __init__(self, tags: Sequence[str], sinks: Sequence[Sink], *, commit_s: float = COMMIT_S,
                 compact_s: float = COMPACT_S, clock: Callable[[], float] = time.monotonic):
        if not tags:
            raise RecorderError("choose at least one tag to record")
        self.tags = list(dict.fromkeys(tags))
        self.sinks = list(sinks)
        self.commit_s, self.compact_s, self._clock = commit_s, compact_s, clock
        self._wanted = frozenset(self.tags)
        self._status = RecorderStatus()
        self._started = self._last_commit = self._last_compact = 0.0
        self._pending = 0  # samples written to the sinks since the last commit
        self._events: collections.deque[tuple[str, str, int, str]] = collections.deque()  # gap events, any thread
        self._lost: set[str] = set()  # devices now in a gap
        self._lock = threading.Lock()

    # -- state ------------------------------------------------------------------------------------
    @property
    def status(self) -> RecorderStatus:
        if self._status.state == RecorderState.RECORDING:
            return replace(self._status, duration_s=self._clock() - self._started)
        return self._status

    @property
    def recording(self) -> bool:
        return self._status.state == RecorderState.RECORDING

    @property
    def failed(self) -> bool:
        return self._status.state == RecorderState.FAILED

    def start(self) -> None:
        self._started = self._last_commit = self._last_compact = self._clock()
        self._set(state=RecorderState.RECORDING)

    # -- samples ----------------------------------------------------------------------------------
    def add_chunks(self, chunks: Mapping[str, Chunk]) -> int:
        """New samples per tag (what a :class:`~device_browser.bus.BusReader` returns); how many were taken."""
        if not self.recording:
            return 0
        chunks = {tag: chunk for tag, chunk in chunks.items() if tag in self._wanted and len(chunk)}
        if not chunks:
            return 0
        count = sum(len(chunk) for chunk in chunks.values())
        if self._each_sink(lambda sink: sink.write(chunks)):
            self._pending += count
            self._status = replace(self._status, samples=self._status.samples + count)
        return count

    def add_row(self, t: int, values: Sequence[Any], qualities: Sequence[int], statuses: Sequence[str]) -> None:
        """One poll: a value of every recorded tag at time ``t`` (ns), in :attr:`tags` order."""
        if not self.recording:
            return
        if self._each_sink(lambda sink: sink.write_row(t, values, qualities, statuses, self.tags)):
            self._pending += len(self.tags)
            self._status = replace(self._status, samples=self._status.samples + len(self.tags))

    # -- devices ----------------------------------------------------------------------------------
    def device_lost(self, device: str, t_ns: int | None = None, reason: str = "") -> None:
        """``device`` is unreachable from ``t_ns`` (now): a gap begins at the next commit. Any thread."""
        self._events.append(("lost", device, t_ns or time.time_ns(), reason))

    def device_back(self, device: str, t_ns: int | None = None) -> None:
        """``device`` answers again: its open gap ends. Any thread."""
        self._events.append(("back", device, t_ns or time.time_ns(), ""))

    def follow(self, session: DeviceSession, device: str) -> Callable[[], None]:
        """Turn ``session``'s connection losses and reconnects into gaps of ``device``; returns the undo."""

        def changed(status: ConnectionStatus) -> None:
            if status.state in (ConnectionState.RECONNECTING, ConnectionState.DISCONNECTED, ConnectionState.FAILED):
                self.device_lost(device, reason=status.reason or str(status.state))
            elif status.state == ConnectionState.CONNECTED:
                self.device_back(device)

        session.status_changed.connect(changed)

        def undo() -> None:
            with contextlib.suppress(TypeError, ValueError):
                session.status_changed.disconnect(changed)

        return undo

    # -- commits ----------------------------------------------------------------------------------
    def commit_due(self) -> bool:
        return self.recording and self.until_commit() <= 0

    def until_commit(self) -> float:
        """Seconds until the next commit is due: aimed at 80 % of ``commit_s``, so that the commit's
        own fsync still ends within ``commit_s`` of the previous one."""
        return self._last_commit + COMMIT_AIM * self.commit_s - self._clock()

    def tick(self) -> bool:
        """Commit, and then compact, when due (in this thread); False once the recording has stopped or failed."""
        if self.commit_due():
            self.commit()
        if self.compact_due():
            self.compact()
        return self.recording

    def commit(self) -> None:
        """Make every sample and gap so far durable in every sink."""
        if not self.recording:
            return
        began = self._clock()
        self._apply_events()
        if not self._each_sink(lambda sink: sink.commit()):
            return
        now = self._clock()
        self._last_commit = now
        committed, self._pending = self._status.samples, 0
        took = now - began
        slow = took > self.commit_s
        self._set(committed=committed, size_bytes=sum(sink.size_bytes() for sink in self.sinks),
                  slow_commits=self._status.slow_commits + slow,
                  longest_commit_s=max(self._status.longest_commit_s, took))

    def compact_due(self) -> bool:
        return self.recording and self._clock() - self._last_compact >= self.compact_s

    def compact(self) -> None:
        """Merge the small blocks of per-second commits (every ``compact_s``; may run beside commits)."""
        self._last_compact = self._clock()
        self._each_sink(lambda sink: sink.compact())

    def stop(self) -> RecorderStatus:
        """Commit the rest, compact, close the sinks; the final status."""
        if self.recording:
            self.commit()
        if self.recording:
            duration = self._clock() - self._started
            closed = self._each_sink(lambda sink: sink.close())
            if closed:
                self._set(state=RecorderState.STOPPED, duration_s=duration,
                          size_bytes=sum(sink.size_bytes() for sink in self.sinks))
        return self._status

    def _apply_events(self) -> None:
        while self._events:
            kind, device, t_ns, reason = self._events.popleft()
            if kind == "lost" and device not in self._lost:
                self._lost.add(device)
                if self._each_sink(lambda sink: sink.gap_started(device, t_ns, reason)):  # noqa: B023
                    self._status = replace(self._status, gaps=self._status.gaps + 1)
            elif kind == "back" and device in self._lost:
                self._lost.discard(device)
                self._each_sink(lambda sink: sink.gap_ended(device, t_ns))  # noqa: B023

    def _each_sink(self, call: Callable[[Sink], None]) -> bool:
        """Run ``call`` on every sink; a failure stops the recording cleanly (False)."""
        for sink in self.sinks:
            try:
                call(sink)
            except (RecorderError, ValueError) as exc:  # StoreError is a ValueError, RecorderError names the file
                self._fail(str(exc))
                return False
            except OSError as exc:
                self._fail(str(file_error(sink.location, exc)))
                return False
        return True

    def _fail(self, message: str) -> None:
        log.info("recording stopped: %s", message)  # the caller shows the message (CLI line, view)
        duration = self._clock() - self._started
        for sink in self.sinks:
            with contextlib.suppress(Exception):
                sink.close(failed=True)
        self._set(state=RecorderState.FAILED, message=message, duration_s=duration)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)
            status = self.status
        self.status_changed.emit(status)


async def record_from_bus(recorder: LiveRecorder, reader: BusReader, duration_s: float | None = None,
                          stop: asyncio.Event | None = None) -> RecorderStatus:
    """Move samples from ``reader`` into ``recorder`` until ``duration_s`` passes, ``stop`` is set or a sink fails.

    Commits run on a worker thread (an fsync must not hold up the device sessions on this loop);
    samples are taken on this loop only. Compaction runs on another worker thread beside the
    commits: merging a minute of 10,000 tags' blocks takes many seconds, and the store lets an
    append in between its merge transactions, so commits keep their second. Cancelling (Ctrl-C)
    still commits what arrived and closes the sinks.
    """
    deadline = time.monotonic() + duration_s if duration_s else math.inf
    if not recorder.recording:
        recorder.start()
    compacting: asyncio.Future | None = None
    try:
        while recorder.recording and not (stop is not None and stop.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await reader.wait(max(0.01, min(left, recorder.until_commit())))
            recorder.add_chunks(reader.read())
            if recorder.commit_due():
                await asyncio.to_thread(recorder.commit)
            if recorder.compact_due() and (compacting is None or compacting.done()):
                compacting = asyncio.ensure_future(asyncio.to_thread(recorder.compact))
    finally:
        recorder.add_chunks(reader.read())
        if compacting is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(compacting)
        await asyncio.shield(asyncio.to_thread(recorder.stop))
    return recorder.status


def format_size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
