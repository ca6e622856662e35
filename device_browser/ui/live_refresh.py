"""Refresh only what is on screen, only while it is shown: the watch list's way of reading the bus, for any table.

A view of live values must not be called per sample. :class:`VisibleRowsRefresher` runs a
~30 Hz timer while its table is shown and asks the model to refresh the rows in the viewport;
5,000 rows then cost what the 30 visible rows cost, and a hidden tab reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import QEvent, QObject, QTimer
from qtpy.QtWidgets import QTableView

REFRESH_MS = 33  # ~30 Hz: what the eye can follow, and what the bus's design promises the UI


class VisibleRowsRefresher(QObject):
    """Calls ``refresh(first, last)`` for the rows of ``table`` on screen every ``interval_ms`` while it is shown."""

    def __init__(self, table: QTableView, refresh: Callable[[int, int], bool], interval_ms: int = REFRESH_MS):
        super().__init__(table)
        self.table = table
        self.refresh = refresh
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        table.installEventFilter(self)
        if table.isVisible():
            self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.timer.start()
        elif event.type() == QEvent.Type.Hide:
            self.timer.stop()  # a hidden table reads nothing
        return False

    def tick(self) -> bool:
        """Refresh the rows on screen; returns whether any changed."""
        first, last = self.visible_rows()
        return first >= 0 and self.refresh(first, last)

    def visible_rows(self) -> tuple[int, int]:
        """First and last row on screen, or (-1, -1)."""
        first = self.table.rowAt(0)
        if first < 0:
            return (-1, -1)
        last = self.table.rowAt(self.table.viewport().height() - 1)
        return first, self.table.model().rowCount() - 1 if last < 0 else last
