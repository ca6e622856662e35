"""The Sparkplug edge node's store-and-forward buffer: DDATA messages the broker has not acknowledged.

One SQLite database in the runtime's data folder (WAL, so a write is one append and a crash
loses at most the last transaction). Each row is one message's metrics, oldest first by row id;
the edge node replays rows in id order and deletes a row once the broker acknowledged it.

Bounded at ``limit`` messages: when full, the **oldest** message is dropped to make room for the
new one (the newest data matter most to a plant after an outage), the drop is counted in
:attr:`ForwardStore.dropped` and logged once per outage. The same database keeps the node's
last Sparkplug ``bdSeq``, so a restart goes on with the next one.

Used from one thread only (the edge node's worker): sqlite3 connections refuse other threads.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger(__name__)

# (alias, timestamp in ms since the epoch, value or None for a bad-quality sample)
StoredMetric = tuple[int, int, float | bool | None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, metrics TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class ForwardStore:
    """Pending DDATA messages in ``path`` (created), at most ``limit`` of them."""

    def __init__(self, path: Path, limit: int):
        if limit < 1:
            raise ValueError(f"the store-and-forward buffer needs room for at least one message, not {limit}")
        self.path = Path(path)
        self.limit = limit
        self.dropped = 0
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process crash
        self._db.executescript(_SCHEMA)
        self._count = self._db.execute("SELECT count(*) FROM pending").fetchone()[0]
        self._warned = False

    def __len__(self) -> int:
        return self._count

    def append(self, messages: Sequence[Sequence[StoredMetric]]) -> None:
        """Store messages after the ones already pending; beyond the limit the oldest are dropped."""
        if not messages:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO pending (metrics) VALUES (?)",
                                 [(json.dumps(list(m)),) for m in messages])
            self._count += len(messages)
            overflow = self._count - self.limit
            if overflow > 0:
                self._db.execute("DELETE FROM pending WHERE id IN (SELECT id FROM pending ORDER BY id LIMIT ?)",
                                 (overflow,))
                self._count -= overflow
                self._note_dropped(overflow)

    def after(self, row_id: int, count: int) -> list[tuple[int, list[StoredMetric]]]:
        """Up to ``count`` pending messages with an id above ``row_id``, oldest first."""
        rows = self._db.execute("SELECT id, metrics FROM pending WHERE id > ? ORDER BY id LIMIT ?", (row_id, count))
        return [(rid, [tuple(m) for m in json.loads(text)]) for rid, text in rows]

    def remove(self, row_ids: Sequence[int]) -> None:
        """Forget messages the broker acknowledged (ids already dropped are ignored)."""
        if not row_ids:
            return
        with self._db:
            self._db.execute("BEGIN")
            before = self._db.total_changes
            self._db.executemany("DELETE FROM pending WHERE id = ?", [(r,) for r in row_ids])
            self._count -= self._db.total_changes - before
        if not self._count:
            self._warned = False

    def next_bd_seq(self) -> int:
        """The ``bdSeq`` of the next MQTT connection (0–255, wrapping), recorded before it is used."""
        row = self._db.execute("SELECT value FROM node WHERE key = 'bd_seq'").fetchone()
        bd_seq = 0 if row is None else (row[0] + 1) % 256
        self._db.execute("INSERT OR REPLACE INTO node (key, value) VALUES ('bd_seq', ?)", (bd_seq,))
        return bd_seq

    def close(self) -> None:
        self._db.close()

    def _note_dropped(self, count: int) -> None:
        self.dropped += count
        if not self._warned:
            log.warning("MQTT store-and-forward buffer %s is full (%d messages): dropping the oldest messages "
                        "until the broker is reachable again", self.path, self.limit)
            self._warned = True
