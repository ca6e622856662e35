"""Events and alarms of one OPC UA node in a list, newest on top.

The subscription lives on the device loop (:class:`device_browser.opcua.ua_events.EventFeed`);
its records wait in the feed's deque and this view takes them ten times a second, so a burst
of alarms costs one insertion per tick and the device thread never touches Qt. At most
:data:`~device_browser.opcua.ua_events.MAX_EVENTS` rows are kept.
"""

from __future__ import annotations

import asyncio
import collections
import enum

from qtpy.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from qtpy.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QTableView, QToolButton, QVBoxLayout, QWidget

from device_browser.display import format_time
from device_browser.host import SessionHandle
from device_browser.opcua.ua_events import MAX_EVENTS, EventFeed, EventRecord, event_type_name
from device_browser.session import DeviceError

POLL_MS = 100


class Column(enum.IntEnum):
    TIME = 0
    SOURCE = 1
    SEVERITY = 2
    MESSAGE = 3
    EVENT_TYPE = 4


class EventTableModel(QAbstractTableModel):
    """Event records, newest first, at most ``max_rows``."""

    def __init__(self, max_rows: int = MAX_EVENTS, parent: QObject | None = None):
        super().__init__(parent)
        self.max_rows = max_rows
        self.records: collections.deque[EventRecord] = collections.deque()

    def add(self, records: list[EventRecord]) -> None:
        """Put ``records`` (oldest first) on top; the oldest rows beyond ``max_rows`` go."""
        records = records[-self.max_rows:]
        if not records:
            return
        self.beginInsertRows(QModelIndex(), 0, len(records) - 1)
        self.records.extendleft(records)  # extendleft reverses: the newest ends on top
        self.endInsertRows()
        excess = len(self.records) - self.max_rows
        if excess > 0:
            self.beginRemoveRows(QModelIndex(), self.max_rows, len(self.records) - 1)
            for _ in range(excess):
                self.records.pop()
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.records.clear()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {Column.TIME: self.tr("Time"), Column.SOURCE: self.tr("Source"), Column.SEVERITY: self.tr("Severity"),
                Column.MESSAGE: self.tr("Message"), Column.EVENT_TYPE: self.tr("Event type")}[Column(section)]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record = self.records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(record, Column(index.column()))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == Column.SEVERITY:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def text(record: EventRecord, column: Column) -> str:
        if column == Column.TIME:
            return format_time(record.time)
        if column == Column.SOURCE:
            return record.source_name
        if column == Column.SEVERITY:
            return str(record.severity)
        if column == Column.MESSAGE:
            return record.message
        return event_type_name(record.event_type)


class EventsView(QWidget):
    """The events of one node: ``show_source(handle, tag)``, then Start/Stop."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.handle: SessionHandle | None = None
        self.feed: EventFeed | None = None
        self._task: asyncio.Future[None] | None = None
        self.model = EventTableModel(parent=self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        width = self.table.fontMetrics().averageCharWidth()
        for column, chars in ((Column.TIME, 25), (Column.SOURCE, 16), (Column.SEVERITY, 8), (Column.MESSAGE, 50)):
            self.table.setColumnWidth(column, chars * width + 12)
        self.source = QLabel(self)
        self.state = QLabel(self)
        self.state.setWordWrap(True)
        self.start_button = QToolButton(self)
        self.stop_button = QToolButton(self)
        self.clear_button = QToolButton(self)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.clear_button.clicked.connect(self.model.clear)
        top = QHBoxLayout()
        top.addWidget(self.source, 1)
        for button in (self.start_button, self.stop_button, self.clear_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.state)
        layout.addWidget(self.table, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._retranslate()
        self._update_buttons()

    def _retranslate(self) -> None:
        self.start_button.setText(self.tr("Start"))
        self.stop_button.setText(self.tr("Stop"))
        self.clear_button.setText(self.tr("Clear"))
        if self.feed is None:
            self.source.setText(self.tr("Choose an object in the address space and \"Show events\"."))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)

    def _update_buttons(self) -> None:
        running = self.feed is not None and self.feed.running
        busy = self._task is not None and not self._task.done()
        self.start_button.setEnabled(self.feed is not None and not running and not busy)
        self.stop_button.setEnabled(running and not busy)

    def _say(self, text: str) -> None:
        self.state.setText(text)
        self.state.setVisible(bool(text))

    # -- the subscription ------------------------------------------------------------------------

    def show_source(self, handle: SessionHandle, tag: str) -> None:
        """Show the events of ``tag`` (stopping those of the node shown before) and start receiving."""
        self.stop()
        self.handle = handle
        self.feed = EventFeed(handle.session, tag)
        self.source.setText(tag)
        self.model.clear()
        self.start()

    def start(self) -> None:
        if self.feed is None or self.feed.running or self.handle is None:
            return
        self._task = asyncio.ensure_future(self._run(self.handle.host.call(self.feed.start), started=True))
        self._update_buttons()

    def stop(self) -> None:
        """Stop receiving (the rows stay)."""
        self.timer.stop()
        if self.feed is not None and self.handle is not None and self.feed.running:
            self._task = asyncio.ensure_future(self._run(self.handle.host.call(self.feed.stop), started=False))
        self._update_buttons()

    async def _run(self, request, started: bool) -> None:
        try:
            await request
        except DeviceError as exc:
            self._say(str(exc))
        else:
            self._say("")
            if started:
                self.timer.start()
        finally:
            self._task = None
            self._update_buttons()
        self.poll()

    def poll(self) -> int:
        """Take the events that arrived; returns how many."""
        records = self.feed.take() if self.feed is not None else []
        self.model.add(records)
        return len(records)

    def closeEvent(self, event: QEvent) -> None:
        self.stop()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
