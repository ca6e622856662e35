"""The watch list view: chosen tags with live values from the bus, redrawn ~30 times a second.

:class:`WatchTableModel` adapts a :class:`~device_browser.watch.WatchList` (the user's
choice) and a :class:`~device_browser.bus.LiveBus` (the values) to a ``QTableView``. Values
are never pushed per sample: a timer in :class:`WatchListView` asks the model to refresh the
rows that are on screen, and the model emits one ``dataChanged`` for the live columns of the
rows that changed. 5,000 rows cost what the ~30 visible rows cost.

Run standalone with simulated values: ``python -m device_browser.ui.watch_list``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence

from qtpy.QtCore import QAbstractTableModel, QEvent, QMimeData, QModelIndex, QObject, Qt, Signal
from qtpy.QtGui import QAction, QColor, QGuiApplication, QKeyEvent, QKeySequence, QPainter
from qtpy.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from device_browser.bus import LiveBus
from device_browser.display import format_time
from device_browser.tags import TagRef
from device_browser.ui.live_refresh import VisibleRowsRefresher
from device_browser.ui.tag_mime import TAG_MIME, tags_from_mime, tags_mime_data
from device_browser.units import display_symbol
from device_browser.watch import DisplayFormat, WatchItem, WatchList
from nodes.quality import Quality


class Column(enum.IntEnum):
    NAME = 0
    VALUE = 1
    UNIT = 2
    QUALITY = 3
    SOURCE_TIME = 4
    UPDATES = 5


LIVE_COLUMNS = (Column.VALUE, Column.UPDATES)  # the range a refresh announces (unit sits inside, unchanged)

# Translucent, so that they read on the light and the dark theme alike.
QUALITY_COLOURS = {Quality.GOOD: QColor(46, 160, 67, 90), Quality.UNCERTAIN: QColor(230, 160, 0, 110),
                   Quality.BAD: QColor(215, 45, 45, 110)}


_DISPLAY = int(Qt.ItemDataRole.DisplayRole)  # plain ints: data() runs ~1,500 times per repaint
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_ROW_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
              | Qt.ItemFlag.ItemNeverHasChildren)
_COLOURS = {int(quality): colour for quality, colour in QUALITY_COLOURS.items()}
_NO_TEXT = ("", "", "", "")


def default_bus_key(item: WatchItem) -> str:
    """The bus key a watch item reads: its tag reference (``pump1/flow``), as the device workspace publishes."""
    return str(item.ref)


class WatchTableModel(QAbstractTableModel):
    """Rows of a :class:`WatchList` with the newest value of each from a :class:`LiveBus`."""

    def __init__(self, watch: WatchList, bus: LiveBus | None = None,
                 bus_key: Callable[[WatchItem], str] = default_bus_key, parent: QObject | None = None,
                 unit_of: Callable[[WatchItem], str] | None = None):
        super().__init__(parent)
        self.watch = watch
        self.bus = bus
        self.bus_key = bus_key
        self.unit_of = unit_of  # where a unit the item does not carry comes from (its device's profile)
        self._keys = [bus_key(item) for item in watch]
        self._latest: list[tuple[int, object, int] | None] = [None] * len(self._keys)
        self._base = [self._written(key) for key in self._keys]  # updates are counted from when a row came
        self._counts = [0] * len(self._keys)
        self._texts: list[tuple[str, str, str, str]] = [_NO_TEXT] * len(self._keys)  # value, quality, time, updates
        watch.inserted.connect(self._inserted)
        watch.removed.connect(self._removed)
        watch.moved.connect(self._moved)
        watch.changed.connect(self._changed)

    # -- values ---------------------------------------------------------------------------

    def set_bus(self, bus: LiveBus | None) -> None:
        """Read values from ``bus`` from now on (None: no devices connected, no values)."""
        self.bus = bus
        self._latest = [None] * len(self._keys)
        self._base = [self._written(key) for key in self._keys]
        self._counts = [0] * len(self._keys)
        self._texts = [_NO_TEXT] * len(self._keys)
        if self._keys:
            self.dataChanged.emit(self.index(0, LIVE_COLUMNS[0]), self.index(len(self._keys) - 1, LIVE_COLUMNS[1]))

    def refresh(self, first: int, last: int) -> bool:
        """Read the bus for rows ``first … last``; one ``dataChanged`` for those that changed.

        Returns whether anything changed.
        """
        bus = self.bus
        if bus is None or not self._keys:
            return False
        first, last = max(0, first), min(last, len(self._keys) - 1)
        changed_first = changed_last = -1
        latest, counts, base, keys = self._latest, self._counts, self._base, self._keys
        for row in range(first, last + 1):
            key = keys[row]
            written = bus.written(key)
            count = written - base[row]
            if count == counts[row] and (latest[row] is not None or not written):
                continue  # nothing new for this tag: no lock, no read
            value = bus.latest(key)
            if value is None:
                continue
            counts[row], latest[row] = count, value
            self._texts[row] = self._format(row)  # once per change, not once per paint
            if changed_first < 0:
                changed_first = row
            changed_last = row
        if changed_first < 0:
            return False
        self.dataChanged.emit(self.index(changed_first, LIVE_COLUMNS[0]), self.index(changed_last, LIVE_COLUMNS[1]))
        return True

    def latest(self, row: int) -> tuple[int, object, int] | None:
        """(source time ns, value, quality) shown in ``row``, or None before any value."""
        return self._latest[row]

    def updates(self, row: int) -> int:
        """Samples that reached the bus for ``row`` since it was added (or since the bus was set)."""
        return self._counts[row]

    def _format(self, row: int) -> tuple[str, str, str, str]:
        latest = self._latest[row]
        if latest is None:
            return _NO_TEXT
        t, value, quality = latest
        return self.watch[row].format(value), self.quality_text(quality), format_time(t), str(self._counts[row])

    def _written(self, key: str) -> int:
        return self.bus.written(key) if self.bus is not None else 0

    # -- the watch list's events ------------------------------------------------------------

    def _inserted(self, first: int, items: list[WatchItem]) -> None:
        keys = [self.bus_key(item) for item in items]
        self.beginInsertRows(QModelIndex(), first, first + len(items) - 1)
        self._keys[first:first] = keys
        self._latest[first:first] = [None] * len(keys)
        self._base[first:first] = [self._written(key) for key in keys]
        self._counts[first:first] = [0] * len(keys)
        self._texts[first:first] = [_NO_TEXT] * len(keys)
        self.endInsertRows()

    def _removed(self, first: int, items: list[WatchItem]) -> None:
        last = first + len(items) - 1
        self.beginRemoveRows(QModelIndex(), first, last)
        for column in (self._keys, self._latest, self._base, self._counts, self._texts):
            del column[first:last + 1]
        self.endRemoveRows()

    def _moved(self, source: int, destination: int) -> None:
        # Qt's destination is the row *before which* the moved row goes, counted before the move.
        self.beginMoveRows(QModelIndex(), source, source, QModelIndex(),
                           destination + 1 if destination > source else destination)
        for column in (self._keys, self._latest, self._base, self._counts, self._texts):
            column.insert(destination, column.pop(source))
        self.endMoveRows()

    def _changed(self, index: int, item: WatchItem) -> None:
        self._texts[index] = self._format(index)
        self.dataChanged.emit(self.index(index, 0), self.index(index, len(Column) - 1))

    # -- QAbstractTableModel ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.column_title(Column(section))

    def column_title(self, column: Column) -> str:
        return {Column.NAME: self.tr("Name"), Column.VALUE: self.tr("Value"), Column.UNIT: self.tr("Unit"),
                Column.QUALITY: self.tr("Quality"), Column.SOURCE_TIME: self.tr("Source time"),
                Column.UPDATES: self.tr("Updates")}[column]

    def quality_text(self, quality: int) -> str:
        return {Quality.GOOD: self.tr("good"), Quality.UNCERTAIN: self.tr("uncertain")}.get(quality, self.tr("bad"))

    def data(self, index: QModelIndex, role: int = _DISPLAY):
        if role == _DISPLAY:
            return self.text(index.row(), index.column())
        if role == _BACKGROUND:
            if index.column() == Column.QUALITY:
                latest = self._latest[index.row()]
                return None if latest is None else _COLOURS.get(min(latest[2], Quality.BAD))
        elif role == _ALIGNMENT:
            if index.column() in (Column.VALUE, Column.UPDATES):
                return _RIGHT
        elif role == _TOOLTIP and index.column() == Column.NAME:
            return self.tooltip(self.watch[index.row()])
        return None

    def text(self, row: int, column: int) -> str:
        """What cell (``row``, ``column``) shows."""
        if column == Column.NAME:
            return self.watch[row].display_name
        if column == Column.UNIT:
            item = self.watch[row]
            return display_symbol(item.unit or (self.unit_of(item) if self.unit_of else item.display_unit))
        return self._texts[row][(0, 0, 0, 1, 2, 3)[column]]

    def tooltip(self, item: WatchItem) -> str:
        lines = [str(item.ref)]
        if item.interval_ms:
            lines.append(self.tr("Sampling interval: %1 ms").replace("%1", f"{item.interval_ms:g}"))
        if item.deadband:
            lines.append(self.tr("Deadband: %1").replace("%1", f"{item.deadband:g}"))
        return "\n".join(lines)

    def row_tsv(self, row: int) -> str:
        return "\t".join(self.text(row, column).replace("\t", " ").replace("\n", " ") for column in Column)

    # -- drag and drop ---------------------------------------------------------------------

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return _ROW_FLAGS

    def mimeTypes(self) -> list[str]:
        return [TAG_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        return tags_mime_data((self.watch[row].ref for row in rows), "\n".join(self.row_tsv(row) for row in rows))

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction  # never Move: Qt would then remove the dragged rows here

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: QModelIndex) -> bool:
        return data.hasFormat(TAG_MIME)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex) -> bool:
        refs = tags_from_mime(data)
        if not refs:
            return False
        if row < 0 and parent.isValid():
            row = parent.row()  # dropped onto a row: insert before it
        self.watch.extend(refs, row if row >= 0 else None)
        return True


class WatchTable(QTableView):
    """The table: uniform rows, no per-row widgets, a hint while empty, Delete and Copy keys."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.hint = ""
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setDragDropOverwriteMode(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.setCornerButtonEnabled(False)
        self.verticalHeader().hide()
        vertical = self.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform rows: no per-row measuring
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)

    delete_pressed = Signal()
    copy_pressed = Signal()
    paste_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Before QAbstractItemView's own handling, which would copy only the current cell.
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace:
            self.delete_pressed.emit()
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy_pressed.emit()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste_pressed.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def paintEvent(self, event: QEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.hint and (model is None or model.rowCount() == 0):
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect().adjusted(16, 16, -16, -16),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.hint)
            painter.end()


class WatchListView(QWidget):
    """The watch dock's content: a :class:`WatchTable` over a :class:`WatchTableModel`, refreshed ~30 Hz.

    Only the rows on screen are read from the bus, and only while the view is shown.
    What needs a device is asked of the owner by signal: ``write_requested(TagRef)`` (Ctrl+W),
    ``trend_requested(list[TagRef])`` (Ctrl+T), ``save_profile_requested(list[TagRef])``.
    """

    write_requested = Signal(object)
    trend_requested = Signal(list)
    save_profile_requested = Signal(list)

    def __init__(self, watch: WatchList | None = None, bus: LiveBus | None = None,
                 bus_key: Callable[[WatchItem], str] = default_bus_key, parent: QWidget | None = None,
                 unit_of: Callable[[WatchItem], str] | None = None):
        super().__init__(parent)
        self.watch = watch if watch is not None else WatchList()
        self.model = WatchTableModel(self.watch, bus, bus_key, self, unit_of)
        self.table = WatchTable(self)
        self.table.setModel(self.model)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        self.refresher = VisibleRowsRefresher(self.table, self.model.refresh)
        self.timer = self.refresher.timer  # runs while the table is shown
        self.table.delete_pressed.connect(self.remove_selected)
        self.table.copy_pressed.connect(self.copy_selected)
        self.table.paste_pressed.connect(self.paste)
        self.model.rowsInserted.connect(self._update_hint)
        self.model.rowsRemoved.connect(self._update_hint)
        self._init_columns()
        self._update_hint()
        self.write_action = self._shortcut("Ctrl+W", self._request_write)
        self.trend_action = self._shortcut("Ctrl+T", lambda: self._request(self.trend_requested))
        self.sampling_action = self._shortcut("Ctrl+I", self.edit_sampling)
        self.table.doubleClicked.connect(lambda index: self._request_write())

    def _shortcut(self, keys: str, slot: Callable[[], object]) -> QAction:
        action = QAction(self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def selected_refs(self) -> list[TagRef]:
        return [self.watch[row].ref for row in self.selected_rows()]

    def _request(self, signal: Signal) -> None:
        refs = self.selected_refs()
        if refs:
            signal.emit(refs)

    def _request_write(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.write_requested.emit(self.watch[index.row()].ref)

    def edit_sampling(self) -> None:
        """Ask for the sampling interval and deadband of the selected items (one dialog for all)."""
        rows = self.selected_rows()
        if not rows:
            return
        first = self.watch[rows[0]]
        dialog = SamplingDialog(first.interval_ms, first.deadband, len(rows), self)
        dialog.accepted.connect(lambda: [self.watch.update(row, interval_ms=dialog.interval.value(),
                                                           deadband=dialog.deadband.value()) for row in rows])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _init_columns(self) -> None:
        # Set once from the font, never from the contents: measuring 5,000 rows on each update
        # is what makes big tables stutter.
        width = self.table.fontMetrics().averageCharWidth()
        for column, chars in ((Column.NAME, 32), (Column.VALUE, 20), (Column.UNIT, 8), (Column.QUALITY, 10),
                              (Column.SOURCE_TIME, 28), (Column.UPDATES, 8)):
            self.table.setColumnWidth(column, chars * width + 12)

    @property
    def bus(self) -> LiveBus | None:
        return self.model.bus

    def set_bus(self, bus: LiveBus | None) -> None:
        """Show values from ``bus`` (None: no devices connected)."""
        self.model.set_bus(bus)
        self._update_hint()

    def tick(self) -> bool:
        """Refresh the rows on screen from the bus; returns whether any changed."""
        return self.refresher.tick()

    def visible_rows(self) -> tuple[int, int]:
        """First and last row on screen, or (-1, -1)."""
        return self.refresher.visible_rows()

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def remove_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            current = rows[0]
            self.watch.remove(rows)
            if self.model.rowCount():
                self.table.setCurrentIndex(self.model.index(min(current, self.model.rowCount() - 1), 0))

    def copy_selected(self) -> None:
        """The selected rows to the clipboard: tab-separated text, and the tags for a paste or drop elsewhere."""
        rows = self.selected_rows()
        if rows:
            QGuiApplication.clipboard().setMimeData(self.model.mimeData([self.model.index(r, 0) for r in rows]))

    def paste(self) -> None:
        """Watch the tags on the clipboard (copied from a tree, a table or another watch list)."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None:
            self.watch.extend(tags_from_mime(mime))

    def set_display(self, display: DisplayFormat) -> None:
        for row in self.selected_rows():
            self.watch.update(row, display=display)

    def add_tags(self, refs: Sequence[TagRef]) -> int:
        return self.watch.extend(refs)

    # -- events ----------------------------------------------------------------------------

    def contextMenuEvent(self, event: QEvent) -> None:
        menu = QMenu(self)
        has_selection = bool(self.selected_rows())
        write = menu.addAction(self.tr("Write value…"), self._request_write)
        write.setShortcut(self.write_action.shortcut())
        write.setEnabled(self.table.currentIndex().isValid())
        trend = menu.addAction(self.tr("Trend"), lambda: self._request(self.trend_requested))
        trend.setShortcut(self.trend_action.shortcut())
        sampling = menu.addAction(self.tr("Sampling interval and deadband…"), self.edit_sampling)
        sampling.setShortcut(self.sampling_action.shortcut())
        save = menu.addAction(self.tr("Save as profile…"), lambda: self._request(self.save_profile_requested))
        for action in (trend, sampling, save):
            action.setEnabled(has_selection)
        menu.addSeparator()
        copy = menu.addAction(self.tr("Copy"), self.copy_selected)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setEnabled(has_selection)
        menu.addAction(self.tr("Paste tags"), self.paste).setShortcut(QKeySequence.StandardKey.Paste)
        remove = menu.addAction(self.tr("Remove"), self.remove_selected)
        remove.setShortcut(QKeySequence.StandardKey.Delete)
        remove.setEnabled(has_selection)
        formats = menu.addMenu(self.tr("Display format"))
        formats.setEnabled(has_selection)
        for display, label in self.display_labels().items():
            action = QAction(label, formats)
            action.triggered.connect(lambda _=False, d=display: self.set_display(d))
            formats.addAction(action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())  # not exec(): no nested event loop under qasync

    def display_labels(self) -> dict[DisplayFormat, str]:
        return {DisplayFormat.DECIMAL: self.tr("Decimal"), DisplayFormat.HEX: self.tr("Hexadecimal"),
                DisplayFormat.BINARY: self.tr("Binary"), DisplayFormat.ENGINEERING: self.tr("Engineering notation")}

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._update_hint()
            self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)
        super().changeEvent(event)

    def _update_hint(self, *_: object) -> None:
        if self.model.bus is None:
            self.table.hint = self.tr("No devices connected. Connect a device, then drag its tags here "
                                      "to watch their values.")
        else:
            self.table.hint = self.tr("Drag tags here from the device tree or a register table to watch them.")
        self.table.viewport().update()


class SamplingDialog(QDialog):
    """Sampling interval and deadband of watched items (0: the device's default, every change)."""

    def __init__(self, interval_ms: float, deadband: float, count: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sampling"))
        self.interval = QDoubleSpinBox(self)
        self.interval.setRange(0, 3_600_000)
        self.interval.setDecimals(0)
        self.interval.setSuffix(" ms")
        self.interval.setSpecialValueText(self.tr("device default"))
        self.interval.setValue(interval_ms)
        self.deadband = QDoubleSpinBox(self)
        self.deadband.setRange(0, 1e12)
        self.deadband.setDecimals(6)
        self.deadband.setSpecialValueText(self.tr("every change"))
        self.deadband.setValue(deadband)
        form = QFormLayout(self)
        form.addRow(QLabel(self.tr("For {count} selected item(s):").format(count=count), self))
        form.addRow(self.tr("Sampling &interval:"), self.interval)
        form.addRow(self.tr("&Deadband (absolute):"), self.deadband)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def _preview() -> None:  # pragma: no cover - a manual check: python -m device_browser.ui.watch_list
    import math
    import sys
    import threading
    import time

    from qtpy.QtWidgets import QApplication

    app = QApplication(sys.argv)
    bus = LiveBus(capacity=64)
    refs = [TagRef("plc1", point=f"Line{i // 100}.Motor{i % 100}.Speed", unit="rpm") for i in range(1000)]
    view = WatchListView(WatchList(refs), bus)
    view.watch.update(1, display=DisplayFormat.HEX)
    view.watch.update(2, display=DisplayFormat.ENGINEERING)
    stop = threading.Event()

    def publish() -> None:
        while not stop.wait(0.1):
            now = time.time_ns()
            for i, ref in enumerate(refs):
                bus.publish(str(ref), now, 1500 + 100 * math.sin(now / 1e9 + i), 0 if i % 17 else 1 + i % 2)

    threading.Thread(target=publish, daemon=True).start()
    view.resize(900, 600)
    view.show()
    app.exec()
    stop.set()


if __name__ == "__main__":
    _preview()
