"""The Log panel: Python logging records in a filterable table that can be copied and exported."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from pathlib import Path

from qtpy.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer
from qtpy.QtGui import QAction, QBrush, QColor, QKeySequence
from qtpy.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from nodes.atomic_file import atomic_write_text
from workbench.log_capture import LogCapture, LogEntry
from workbench.ui.text_limits import elide_end

# A cell or tooltip lays out its whole text on the UI thread; a logged 400 kB line must not.
CELL_CHARS = 1_000
TOOLTIP_CHARS = 4_000
LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
_LEVEL_COLOURS = {logging.WARNING: QColor(200, 130, 0), logging.ERROR: QColor(220, 50, 47),
                  logging.CRITICAL: QColor(220, 50, 47)}


def first_line(text: str) -> str:
    """The text up to its first line break, without splitting all of a huge text into lines."""
    end = min((i for i in (text.find("\n"), text.find("\r")) if i >= 0), default=len(text))
    return text[:end]


def entry_time(entry: LogEntry) -> str:
    return dt.datetime.fromtimestamp(entry.created).strftime("%H:%M:%S.%f")[:-3]


class LogTableModel(QAbstractTableModel):
    """The newest ``capacity`` log entries, appended in batches from a :class:`LogCapture`."""

    COLUMNS = 4  # time, level, source, text

    def __init__(self, capture: LogCapture, capacity: int = 10_000, parent=None):
        super().__init__(parent)
        self._capture = capture
        self._capacity = capacity
        self.entries: list[LogEntry] = []

    def pull(self) -> int:
        """Move queued entries into the table; returns how many arrived."""
        new = self._capture.drain()
        if not new:
            return 0
        overflow = len(self.entries) + len(new) - self._capacity
        if overflow > 0:
            drop = min(overflow, len(self.entries))
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self.entries[:drop]
            self.endRemoveRows()
            new = new[-self._capacity:]
        self.beginInsertRows(QModelIndex(), len(self.entries), len(self.entries) + len(new) - 1)
        self.entries.extend(new)
        self.endInsertRows()
        return len(new)

    def clear(self) -> None:
        self.beginResetModel()
        self.entries.clear()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == 0:
                return entry_time(entry)
            if column == 1:
                return entry.level_name
            if column == 2:
                return entry.source
            return elide_end(first_line(entry.text), CELL_CHARS)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return elide_end(entry.text, TOOLTIP_CHARS)
        if role == Qt.ItemDataRole.ForegroundRole and entry.level in _LEVEL_COLOURS:
            return QBrush(_LEVEL_COLOURS[entry.level])
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return (self.tr("Time"), self.tr("Level"), self.tr("Source"), self.tr("Message"))[section]
        return None


class LogFilter(QSortFilterProxyModel):
    """Keeps entries at or above a level whose source or text contains the filter text."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.minimum_level = logging.INFO
        self.text = ""

    def set_filter(self, minimum_level: int, text: str) -> None:
        self.beginFilterChange()
        self.minimum_level, self.text = minimum_level, text.casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        entry = self.sourceModel().entries[row]
        if entry.level < self.minimum_level:
            return False
        return not self.text or self.text in entry.source.casefold() or self.text in entry.text.casefold()


def entries_as_tsv(entries: list[LogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    for entry in entries:
        writer.writerow([entry_time(entry), entry.level_name, entry.source, entry.text])
    return out.getvalue()


def entries_as_csv(entries: list[LogEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", "level", "source", "message"])
    for entry in entries:
        stamp = dt.datetime.fromtimestamp(entry.created).astimezone().isoformat(timespec="milliseconds")
        writer.writerow([stamp, entry.level_name, entry.source, entry.text])
    return out.getvalue()


class LogPanel(QWidget):
    """Filter bar (level, text), the table, and Copy / Export / Clear."""

    def __init__(self, capture: LogCapture, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = LogTableModel(capture, parent=self)
        self.proxy = LogFilter(self)
        self.proxy.setSourceModel(self.model)
        self.level = QComboBox()
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.copy_button, self.export_button, self.clear_button = QPushButton(), QPushButton(), QPushButton()
        self.dropped = QLabel()
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        header = self.table.horizontalHeader()
        # Fixed starting widths: ResizeToContents would measure all 10,000 rows on every batch.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        digit = self.fontMetrics().horizontalAdvance("0")
        for column, chars in enumerate((14, 10, 30)):
            header.resizeSection(column, digit * chars)
        bar = QHBoxLayout()
        for widget in (self.level, self.search, self.dropped, self.copy_button, self.export_button,
                       self.clear_button):
            bar.addWidget(widget, 1 if widget is self.search else 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.table)

        self.level.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self.copy_button.clicked.connect(self.copy_selection)
        self.export_button.clicked.connect(self._ask_export)
        self.clear_button.clicked.connect(self.model.clear)
        self.table.addAction(self._copy_action())
        self._capture = capture
        self._timer = QTimer(self)
        self._timer.setInterval(100)  # 10 Hz: batches floods, still feels live
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.retranslate()
        self.level.setCurrentIndex(LEVELS.index(logging.INFO))

    def _copy_action(self) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence.StandardKey.Copy)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(self.copy_selection)
        return action

    def retranslate(self) -> None:
        current = max(self.level.currentIndex(), 0)
        self.level.blockSignals(True)
        self.level.clear()
        for name in (self.tr("Debug and above"), self.tr("Info and above"),
                     self.tr("Warnings and errors"), self.tr("Errors only")):
            self.level.addItem(name)
        self.level.setCurrentIndex(current)
        self.level.blockSignals(False)
        self.search.setPlaceholderText(self.tr("Filter by source or text"))
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy the selected rows (or all shown rows) as tab-separated text"))
        self.export_button.setText(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the shown rows as a CSV file"))
        self.clear_button.setText(self.tr("Clear"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, LogTableModel.COLUMNS - 1)
        self._show_dropped()

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def refresh(self) -> None:
        at_bottom = self.table.verticalScrollBar().value() >= self.table.verticalScrollBar().maximum() - 2
        if self.model.pull() and at_bottom:
            self.table.scrollToBottom()
        self._show_dropped()

    def _show_dropped(self) -> None:
        dropped = self._capture.dropped
        self.dropped.setVisible(dropped > 0)
        self.dropped.setText(self.tr("{count} records dropped").format(count=dropped))

    def _apply_filter(self) -> None:
        self.proxy.set_filter(LEVELS[max(self.level.currentIndex(), 0)], self.search.text())

    def shown_entries(self) -> list[LogEntry]:
        return [self.model.entries[self.proxy.mapToSource(self.proxy.index(row, 0)).row()]
                for row in range(self.proxy.rowCount())]

    def selected_entries(self) -> list[LogEntry]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.entries[self.proxy.mapToSource(self.proxy.index(r, 0)).row()] for r in rows]

    def copy_selection(self) -> None:
        QApplication.clipboard().setText(entries_as_tsv(self.selected_entries() or self.shown_entries()))

    def export(self, path: Path) -> None:
        atomic_write_text(Path(path), entries_as_csv(self.shown_entries()))

    def _ask_export(self) -> None:
        dialog = QFileDialog(self, self.tr("Export log"), "millwright-log.csv",
                             self.tr("CSV files (*.csv)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.fileSelected.connect(lambda name: self._export_or_report(Path(name)))
        dialog.open()

    def _export_or_report(self, path: Path) -> None:
        try:
            self.export(path)
        except OSError as exc:
            logging.getLogger(__name__).error("Cannot export the log to %s: %s", path, exc.strerror)
        else:
            logging.getLogger(__name__).info("Exported %d log records to %s", len(self.shown_entries()), path)
