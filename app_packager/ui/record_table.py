"""An editable table of records (authors, inputs, tests …) with add and remove buttons.

A manifest holds lists and name-keyed maps of small objects; each is edited here as rows of
cells. A :class:`Column` names the record's key (dotted for nested values: ``description.en``)
and how its text becomes a value. Empty cells leave their key out, so optional values stay
optional. A cell whose text cannot become a value (a number that is not one, a binding that is
not a tag reference) is left out of the record and reported as a problem naming the row and
column, which the editor lists beside the manifest's own problems.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from qtpy.QtCore import QEvent, Signal
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.modbus.register_csv import parse_decimal


def number_from_text(text: str) -> int | float:
    """A number as typed (``12,5`` too); a whole number without a point stays an int."""
    try:
        value = parse_decimal(text)
    except ValueError as exc:
        raise ValueError(f"'{text}' {exc}") from None
    return int(value) if value.is_integer() and not any(c in text for c in ".,eE") else value


def text_of(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Column:
    """One column: the record key it edits and how a cell's text becomes the value.

    ``parse`` raises ValueError (any exception with a message) when the text cannot be a value;
    ``choices`` makes the cell a drop-down list of these values.
    """

    key: str
    parse: Callable[[str], Any] = str
    show: Callable[[Any], str] = text_of
    choices: tuple[str, ...] = ()


NUMBER = {"parse": number_from_text}
MIN_ROWS, MAX_ROWS = 2, 10  # rows a table shows without scrolling


@dataclass(frozen=True)
class CellProblem:
    row: int
    key: str
    message: str


class RecordTable(QWidget):
    """Rows of records; ``edited`` after every change a user makes (typing, choosing, adding, removing)."""

    edited = Signal()

    def __init__(self, columns: Iterable[Column], parent: QWidget | None = None, *,
                 new_record: Callable[[int], dict[str, Any]] = lambda _row: {}):
        super().__init__(parent)
        self.columns = tuple(columns)
        self._new_record = new_record
        self._extra: list[dict[str, Any]] = []  # per row: the record's keys no column shows (kept as they were)
        self.table = QTableWidget(0, len(self.columns), self)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.table.itemChanged.connect(lambda _item: self.edited.emit())
        self.add_button, self.remove_button = QPushButton(self), QPushButton(self)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)
        self.retranslate()

    def retranslate(self) -> None:
        self.add_button.setText(self.tr("Add"))
        self.remove_button.setText(self.tr("Remove"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_headers(self, labels: list[str], tooltips: list[str] | None = None) -> None:
        self.table.setHorizontalHeaderLabels(labels)
        for i, tip in enumerate(tooltips or ()):
            self.table.horizontalHeaderItem(i).setToolTip(tip)

    # -- records ---------------------------------------------------------------------------------
    def set_records(self, records: list[dict[str, Any]]) -> None:
        """Show ``records`` (no ``edited``: this is loading, not editing)."""
        self.table.blockSignals(True)
        try:
            self.table.setRowCount(0)
            self._extra = []
            for record in records:
                self._append(record)
        finally:
            self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self._fit_height()

    def records(self) -> tuple[list[dict[str, Any]], list[CellProblem]]:
        """The rows as records, and the cells that could not be read."""
        records, problems = [], []
        for row in range(self.table.rowCount()):
            record = dict(self._extra[row])
            for col, column in enumerate(self.columns):
                text = self.cell_text(row, col).strip()
                if not text:
                    continue
                try:
                    _put(record, column.key, column.parse(text))
                except Exception as exc:  # noqa: BLE001 - a parser's message is the problem shown
                    problems.append(CellProblem(row, column.key, str(exc)))
            records.append(record)
        return records, problems

    def cell_text(self, row: int, col: int) -> str:
        combo = self.table.cellWidget(row, col)
        if isinstance(combo, QComboBox):
            return combo.currentText()
        item = self.table.item(row, col)
        return item.text() if item is not None else ""

    def set_cell_text(self, row: int, col: int, text: str) -> None:
        """Type ``text`` into a cell, as a user does (``edited`` follows)."""
        combo = self.table.cellWidget(row, col)
        if isinstance(combo, QComboBox):
            combo.setCurrentText(text)
        else:
            self.table.setItem(row, col, QTableWidgetItem(text))

    def column_of(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def focus_row(self, row: int, key: str = "") -> None:
        """Select ``row`` and put the cursor in the column of ``key`` (the first column if none)."""
        if not 0 <= row < self.table.rowCount():
            self.table.setFocus()
            return
        col = next((i for i, c in enumerate(self.columns) if key and (key == c.key or key.startswith(c.key + "."))), 0)
        self.table.setCurrentCell(row, col)
        self.table.scrollToItem(self.table.item(row, col) or QTableWidgetItem())
        self.table.setFocus()

    # -- rows ----------------------------------------------------------------------------------
    def _fit_height(self) -> None:
        """As tall as its rows (two at least, ten at most): a form of tables should not hold empty space."""
        rows = min(max(self.table.rowCount(), MIN_ROWS), MAX_ROWS)
        row_height = self.table.verticalHeader().defaultSectionSize()
        scrollbar = self.table.horizontalScrollBar().sizeHint().height()
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + rows * row_height + scrollbar
                                  + 2 * self.table.frameWidth())

    def add_row(self) -> None:
        self._append(self._new_record(self.table.rowCount()))
        self._fit_height()
        self.table.setCurrentCell(self.table.rowCount() - 1, 0)
        self.edited.emit()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()}, reverse=True)
        for row in rows:
            self.table.removeRow(row)
            del self._extra[row]
        self._fit_height()
        if rows:
            self.edited.emit()

    def _append(self, record: dict[str, Any]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        shown = {column.key.split(".")[0] for column in self.columns}
        self._extra.append({k: v for k, v in record.items() if k not in shown})
        for col, column in enumerate(self.columns):
            value = _get(record, column.key)
            text = "" if value is None else column.show(value)
            if column.choices:
                combo = QComboBox(self.table)
                combo.addItems(column.choices)
                combo.setCurrentText(text or column.choices[0])
                combo.currentIndexChanged.connect(lambda _index: self.edited.emit())
                self.table.setCellWidget(row, col, combo)
            else:
                self.table.setItem(row, col, QTableWidgetItem(text))


def _get(record: dict[str, Any], key: str) -> Any:
    value: Any = record
    for part in key.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _put(record: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    for part in parents:
        record = record.setdefault(part, {})
    record[last] = value


def records_of(mapping: Any) -> list[dict[str, Any]]:
    """A name-keyed map of the manifest (inputs, outputs, parameters) as records with a ``name``."""
    if not isinstance(mapping, dict):
        return []
    return [{"name": name, **(value if isinstance(value, dict) else {})} for name, value in mapping.items()]


def mapping_of(records: list[dict[str, Any]], what: str) -> tuple[dict[str, Any], list[str]]:
    """Records back to a name-keyed map, and what is wrong with their names (missing, twice)."""
    mapping, problems = {}, []
    for i, record in enumerate(records):
        record = dict(record)
        name = record.pop("name", "")
        if not name:
            problems.append(f"{what}: row {i + 1} has no name")
        elif name in mapping:
            problems.append(f"{what}.{name}: a second row named '{name}'; each needs its own name")
        else:
            mapping[name] = record
    return mapping, problems
