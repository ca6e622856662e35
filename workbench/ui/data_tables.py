"""The Data view's tables: recordings, tags with statistics, annotations, filled from the model's rows.

Cells are read-only text (a tag's name cell carries its tick box); each row's first cell holds the
row's key (recording id, tag name, annotation id) as user data. Times are shown on the local clock,
as the plot's axis shows them.
"""

from __future__ import annotations

import datetime as dt

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from device_browser.data_browser import RecordingRow, TagRow
from device_browser.store import Annotation


def time_text(ns: int | None) -> str:
    if ns is None:
        return ""
    return dt.datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


def size_text(size: float) -> str:
    """Bytes as people read them (2.7 KB, 845.4 KB, 44.8 MB)."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def data_table(columns: int) -> QTableWidget:
    """A read-only table choosing one whole row at a time."""
    table = QTableWidget(0, columns)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    return table


def _item(text: str, data: object = None, right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    if right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _fill(table: QTableWidget, rows: list[list[QTableWidgetItem]]) -> None:
    table.blockSignals(True)  # filling is not the user choosing or ticking
    table.setRowCount(len(rows))
    for r, cells in enumerate(rows):
        for c, cell in enumerate(cells):
            table.setItem(r, c, cell)
    table.blockSignals(False)


def fill_recordings(table: QTableWidget, rows: list[RecordingRow]) -> None:
    """Name (notes as its tool tip), operator, start, duration, devices, samples, size."""
    lines = []
    for row in rows:
        rec = row.recording
        name = _item(rec.name, rec.id)
        if rec.notes:
            name.setToolTip(rec.notes)
        lines.append([name, _item(rec.operator), _item(time_text(rec.started_ns or row.first_ns)),
                      _item(duration_text(row.duration_s), right=True), _item(", ".join(rec.devices)),
                      _item(f"{row.samples:,}", right=True), _item(size_text(row.size_bytes), right=True)])
    _fill(table, lines)


def fill_tags(table: QTableWidget, tags: list[TagRow]) -> None:
    """Tick box and name (device as its tool tip), unit, count, min, max, mean, gaps; all unticked."""
    lines = []
    for tag in tags:
        name = _item(tag.name, tag.name)
        name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        name.setCheckState(Qt.CheckState.Unchecked)
        if tag.device:
            name.setToolTip(tag.device)
        numbers = [_item(f"{value:.7g}" if tag.values else "", right=True)  # a statistic, not a reading
                   for value in (tag.min, tag.max, tag.mean)]
        lines.append([name, _item(tag.unit), _item(f"{tag.count:,}", right=True), *numbers,
                      _item(str(tag.gaps), right=True)])
    _fill(table, lines)


def fill_annotations(table: QTableWidget, annotations: list[Annotation]) -> None:
    """Label, start, end, note."""
    _fill(table, [[_item(a.label, a.id), _item(time_text(a.start_ns)), _item(time_text(a.end_ns)), _item(a.note)]
                  for a in annotations])
