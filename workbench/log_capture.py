"""Collects Python logging records from any thread for the Log panel to pick up."""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class LogEntry:
    """A log record reduced to what the Log panel shows."""

    created: float  # seconds since the epoch
    level: int
    source: str
    text: str

    @property
    def level_name(self) -> str:
        return logging.getLevelName(self.level)


class LogCapture(logging.Handler):
    """A logging handler that queues entries; the UI drains them on its own timer.

    Draining in batches (instead of one Qt signal per record) keeps a flood of records from a
    driver thread from starving the UI thread. When the queue is full the oldest records go
    and the count of dropped records is kept, so the panel can say so.
    """

    def __init__(self, capacity: int = 10_000, level: int = logging.DEBUG):
        super().__init__(level)
        self._pending: deque[LogEntry] = deque(maxlen=capacity)
        self._guard = threading.Lock()
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
            if record.exc_info:
                text = f"{text}\n{logging.Formatter().formatException(record.exc_info)}"
            entry = LogEntry(record.created, record.levelno, record.name, text)
        except Exception:  # noqa: BLE001 - a bad log call must never break the caller
            self.handleError(record)
            return
        with self._guard:
            if len(self._pending) == self._pending.maxlen:
                self.dropped += 1
            self._pending.append(entry)

    def drain(self) -> list[LogEntry]:
        """Take every entry queued since the last call."""
        with self._guard:
            entries = list(self._pending)
            self._pending.clear()
        return entries
