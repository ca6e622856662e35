"""The traffic monitor: every Modbus request and answer, with timings, exceptions and the frames in hex.

The view reads a :class:`~device_browser.modbus.traffic.TrafficLog` at ~10 Hz (the log is written
on the device thread, per request; the UI never is). **Pause** works as Modbus Poll's "Stop" in
its traffic window: the log keeps recording and the totals keep counting, but the table stands
still so a frame can be read and copied; **Resume** catches up with what the log still holds.
Ctrl+C copies the selected rows as tab-separated text.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence

from qtpy.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer
from qtpy.QtGui import QColor, QFontDatabase, QFontMetrics, QGuiApplication, QKeySequence
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from device_browser.modbus.traffic import CAPACITY, TIMEOUT, TrafficLog, TrafficRecord

REFRESH_MS = 100  # ~10 Hz: a list scrolling faster cannot be read anyway
EXCEPTION_COLOUR = QColor(215, 45, 45, 90)  # translucent: reads on the light and the dark theme
TIMEOUT_COLOUR = QColor(230, 160, 0, 100)


class Column(enum.IntEnum):
    TIME = 0
    FUNCTION = 1
    UNIT = 2
    ADDRESS = 3
    COUNT = 4
    DURATION = 5
    RESULT = 6
    REQUEST = 7
    RESPONSE = 8


_MONO_COLUMNS = (Column.REQUEST, Column.RESPONSE)
_RIGHT_COLUMNS = (Column.UNIT, Column.COUNT, Column.DURATION)


class TrafficModel(QAbstractTableModel):
    """The newest ``capacity`` records, appended in batches."""

    def __init__(self, capacity: int = CAPACITY, parent: QObject | None = None):
        super().__init__(parent)
        self.capacity = capacity
        self.records: list[TrafficRecord] = []
        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    def append(self, records: Sequence[TrafficRecord]) -> None:
        records = list(records)[-self.capacity:]
        if not records:
            return
        overflow = len(self.records) + len(records) - self.capacity
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.records[:overflow]
            self.endRemoveRows()
        first = len(self.records)
        self.beginInsertRows(QModelIndex(), first, first + len(records) - 1)
        self.records += records
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.records = []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def text(self, row: int, column: int) -> str:
        record = self.records[row]
        match column:
            case Column.TIME:
                # Local wall-clock time: traffic is read against what happened on site just now.
                moment = dt.datetime.fromtimestamp(record.time_ns / 1e9)
                return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
            case Column.FUNCTION:
                return record.function_text
            case Column.UNIT:
                return str(record.unit)
            case Column.ADDRESS:
                return record.where
            case Column.COUNT:
                return "" if record.count is None else str(record.count)
            case Column.DURATION:
                return f"{record.duration_ms:.1f}"
            case Column.RESULT:
                return self.result_text(record)
            case Column.REQUEST:
                return record.request.hex(" ").upper()
            case _:
                return record.response.hex(" ").upper()

    def result_text(self, record: TrafficRecord) -> str:
        if record.ok:
            return self.tr("OK")
        if record.error == TIMEOUT:
            return self.tr("No answer (timeout)")
        return record.result_text

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), column)
        if role == Qt.ItemDataRole.ToolTipRole and column in _MONO_COLUMNS:
            return self.text(index.row(), column)  # a long answer's whole frame
        if role == Qt.ItemDataRole.FontRole and column in _MONO_COLUMNS:
            return self.mono
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _RIGHT_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and column == Column.RESULT:
            record = self.records[index.row()]
            if record.exception_code is not None:
                return EXCEPTION_COLOUR
            return None if record.ok else TIMEOUT_COLOUR
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Time"), self.tr("Function"), self.tr("Unit"), self.tr("Address"), self.tr("Count"),
                self.tr("ms"), self.tr("Result"), self.tr("Request"), self.tr("Response"))[section]

    def rows_text(self, rows: Sequence[int]) -> str:
        """Tab-separated rows with a header line, for a spreadsheet or a support e-mail."""
        header = "\t".join(self.headerData(column, Qt.Orientation.Horizontal) for column in Column)
        return "\n".join([header, *("\t".join(self.text(row, column) for column in Column) for row in rows)])


class TrafficTable(QTableView):
    """Ctrl+C copies whole rows, not the current cell."""

    def __init__(self, view: TrafficView):
        super().__init__(view)
        self.view = view

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.view.copy_selected()
            event.accept()
            return
        super().keyPressEvent(event)


class TrafficView(QWidget):
    """Table, Pause/Resume, Clear, Copy and the totals, over a :class:`TrafficLog` (None: nothing to show)."""

    def __init__(self, traffic: TrafficLog | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.traffic: TrafficLog | None = None
        self.paused = False
        self._cursor = 0
        self.model = TrafficModel(parent=self)
        self.table = TrafficTable(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setStretchLastSection(True)
        width = self.fontMetrics().averageCharWidth()
        for column, chars in zip(Column, (13, 26, 5, 16, 6, 7, 34), strict=False):
            self.table.setColumnWidth(column, chars * width + 12)
        # A read request is 12 bytes in Modbus TCP: its hex fits without an ellipsis.
        self.table.setColumnWidth(Column.REQUEST, QFontMetrics(self.model.mono).horizontalAdvance("00 " * 12) + 12)
        self.pause_button = QPushButton(self)
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.clear_button = QPushButton(self)
        self.clear_button.clicked.connect(self.clear)
        self.copy_button = QPushButton(self)
        self.copy_button.clicked.connect(self.copy_selected)
        self.totals = QLabel(self)
        bar = QHBoxLayout()
        for button in (self.pause_button, self.clear_button, self.copy_button):
            bar.addWidget(button)
        bar.addSpacing(12)
        bar.addWidget(self.totals, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.tick)
        self.retranslate()
        self.set_traffic(traffic)

    def set_traffic(self, traffic: TrafficLog | None) -> None:
        """Show ``traffic`` from its beginning (None: no device attached)."""
        self.traffic = traffic
        self._cursor = 0
        self.model.clear()
        self.tick()

    def tick(self) -> None:
        """Take what the log recorded since the last tick (unless paused) and update the totals."""
        if self.traffic is not None and not self.paused:
            bar = self.table.verticalScrollBar()
            following = bar.value() >= bar.maximum()
            records, self._cursor = self.traffic.since(self._cursor)
            self.model.append(records)
            if records and following:
                self.table.scrollToBottom()
        self._show_totals()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.pause_button.setChecked(paused)
        self.retranslate()
        self.tick()

    def clear(self) -> None:
        """Empty the table and the log, totals included."""
        if self.traffic is not None:
            self.traffic.clear()
        self.model.clear()
        self.tick()

    def copy_selected(self) -> None:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        if rows:
            QGuiApplication.clipboard().setText(self.model.rows_text(rows))

    def _show_totals(self) -> None:
        if self.traffic is None:
            self.totals.setText(self.tr("No Modbus device attached."))
            return
        totals = self.traffic.totals()
        self.totals.setText(self.tr("%1 requests, %2 exceptions, %3 timeouts; mean %4 ms, max %5 ms")
                            .replace("%1", str(totals.requests)).replace("%2", str(totals.exceptions))
                            .replace("%3", str(totals.timeouts)).replace("%4", f"{totals.mean_ms:.1f}")
                            .replace("%5", f"{totals.max_ms:.1f}"))

    def retranslate(self) -> None:
        self.pause_button.setText(self.tr("&Resume") if self.paused else self.tr("&Pause"))
        self.pause_button.setToolTip(self.tr("Paused, the log keeps recording but the table stands still"))
        self.clear_button.setText(self.tr("C&lear"))
        self.copy_button.setText(self.tr("&Copy rows"))
        self.copy_button.setToolTip(self.tr("Copy the selected rows as text (Ctrl+C)"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)
        self._show_totals()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def showEvent(self, event: QEvent) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QEvent) -> None:
        self.timer.stop()  # the log keeps recording; the table catches up when shown again
        super().hideEvent(event)
