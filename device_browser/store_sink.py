"""The recording store as a sink of the live recorder: blocks per commit, compaction, gaps.

Each :meth:`StoreSink.commit` appends what arrived since the last one as one transaction (all
tags or none: a kill between commits loses that second, never half of it), so the store holds
many small blocks; :meth:`StoreSink.compact` (every minute, and at close) merges them into full
ones. A device outage becomes a gap row, opened at once and ended when the device is back, so
that statistics and the data browser show an outage as such and not as a flat line.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from device_browser.live_recorder import Sink
from nodes.chunk import Chunk

if TYPE_CHECKING:
    from device_browser.store import Recording, RecordingStore, TagInfo

SIZE_EVERY_S = 10.0  # stored_bytes is a query over every block of the recording: not every second
# Small blocks one compaction may merge while recording. The store merges up to a million samples
# in one write transaction, and merging costs about 0.1-0.4 ms per block on a 2-core machine: a
# minute of 1,000 tags (60,000 one-second blocks) would hold the store's write lock, and so the
# recorder's next commit, for many seconds (benchmarks/recorder.py). Past this many blocks the
# merge waits for the end of the recording, so that commits keep their second.
LIVE_COMPACT_BLOCKS = 6_000


class StoreSink(Sink):
    """Appends a new recording ``name`` of ``store``; the recording's tags are ``tags`` (units, sources).

    Parameters
    ----------
    store
        An open, writable :class:`~device_browser.store.RecordingStore` (the caller closes it).
    name
        The new recording's name; an existing name is refused by the store.
    tags
        :class:`~device_browser.store.TagInfo` of each recorded tag (name, unit, device, point, ref).
    operator, devices, notes
        What the store keeps about the recording session.
    """

    def __init__(self, store: RecordingStore, name: str, tags: Sequence[TagInfo], *, operator: str = "",
                 devices: Sequence[str] = (), notes: str = ""):
        self.store = store
        self.location = store.location
        self.recording: Recording = store.create_recording(name, operator=operator, devices=devices, notes=notes)
        store.define_tags(self.recording, tags)
        self._pending: dict[str, list[Chunk]] = defaultdict(list)
        self._open_gaps: dict[str, int] = {}  # device -> gap id
        self._gap_ops: list[tuple[str, str, int, str]] = []
        self._size = 0
        self._size_at = 0.0
        self._closed = False
        self.committed = 0  # samples of this recording safe in the store
        self.small_blocks = 0  # blocks appended since the last compaction (one per tag and commit)
        self.deferred_compactions = 0  # compactions left to the end: too many blocks to merge between commits

    def write(self, chunks: Mapping[str, Chunk]) -> None:
        for tag, chunk in chunks.items():
            if len(chunk):
                self._pending[tag].append(chunk)

    def gap_started(self, device: str, t_ns: int, reason: str) -> None:
        self._gap_ops.append(("start", device, t_ns, reason))

    def gap_ended(self, device: str, t_ns: int) -> None:
        self._gap_ops.append(("end", device, t_ns, ""))

    def commit(self) -> None:
        with self._database("commit samples"):
            self._commit()

    def _commit(self) -> None:
        if self._pending:
            samples = {tag: _joined(chunks) for tag, chunks in self._pending.items()}
            self.committed += self.store.append(self.recording, samples)  # StoreFullError: nothing kept
            self.small_blocks += len(samples)
            self._pending.clear()
        for kind, device, t_ns, reason in self._gap_ops:
            if kind == "start":
                self._open_gaps[device] = self.store.add_gap(self.recording, t_ns, device=device, reason=reason).id
            elif device in self._open_gaps:
                self.store.end_gap(self._open_gaps.pop(device), t_ns)
        self._gap_ops.clear()

    def compact(self) -> None:
        """Merge the small blocks, unless there are so many that the merge would hold commits back
        for seconds (see ``LIVE_COMPACT_BLOCKS``): then it is left to :meth:`close`."""
        if self.small_blocks > LIVE_COMPACT_BLOCKS:
            self.deferred_compactions += 1
            return
        self.small_blocks = 0
        with self._database("compact blocks"):
            self.store.compact(self.recording)
        self._size_at = 0.0  # measure again

    def size_bytes(self) -> int:
        if time.monotonic() - self._size_at >= SIZE_EVERY_S:
            with self._database("measure the recording"):
                self._size = self.store.stored_bytes(self.recording)
            self._size_at = time.monotonic()
        return self._size

    def close(self, failed: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        if failed:
            return  # the store refused a write: what was committed stays as it is
        with self._database("finish the recording"):
            self._commit()
            now = time.time_ns()
            for gap in self._open_gaps.values():  # the recording ends during an outage: the gap ends with it
                self.store.end_gap(gap, now)
            self._open_gaps.clear()
            self.store.compact(self.recording)
            self.store.finish_recording(self.recording, now)
        self._size_at = 0.0

    @contextlib.contextmanager
    def _database(self, what: str) -> Iterator[None]:
        """The store's own errors pass; a database failure it does not word (an I/O error, a file
        over the size limit, a server gone) becomes a :class:`StoreError` naming the store."""
        from sqlalchemy.exc import DBAPIError

        from device_browser.store import StoreError

        try:
            yield
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            if "disk I/O error" in reason:  # SQLite's word for a write the OS refused (EFBIG, EIO, ...)
                reason += ": is the disk full, or the file at its size limit?"
            raise StoreError(f"{self.location}: could not {what} ({reason}); recording stopped, what was "
                             "committed before is kept") from None


def _joined(chunks: list[Chunk]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(chunks) == 1:
        return chunks[0].t, chunks[0].v, chunks[0].q
    return (np.concatenate([c.t for c in chunks]), np.concatenate([c.v for c in chunks]),
            np.concatenate([c.q for c in chunks]))
