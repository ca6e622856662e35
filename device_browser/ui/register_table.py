"""A Modbus device's register map as an editable table with live values.

Each row is a :class:`~device_browser.modbus.registers.ModbusTag`: name, area, address 0-based
and as in the manual (``40001``), type, byte order, scale, unit, writable, write limits, and the
tag's newest value and quality from the :class:`~device_browser.bus.LiveBus` (read for the rows
on screen at ~30 Hz, :mod:`device_browser.ui.live_refresh`). An edit is checked as the driver
checks a tag (:meth:`ModbusTag.check`) and refused with a message naming the row; an accepted
edit emits :attr:`RegisterTable.map_changed` with the new map, which the caller saves. Rows drag
as tags (:mod:`device_browser.ui.tag_mime`); "Add to watch" emits the names; Import…/Export…
read and write CSV (:mod:`device_browser.modbus.register_csv`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from qtpy.QtCore import QAbstractTableModel, QEvent, QMimeData, QModelIndex, QObject, Qt, Signal
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from device_browser.bus import LiveBus
from device_browser.display import format_value
from device_browser.modbus.addresses import parse_address
from device_browser.modbus.register_csv import parse_decimal, read_register_csv, write_register_csv
from device_browser.modbus.registers import LAST_ADDRESS, Area, ByteOrder, DataType, ModbusTag, RegisterMap
from device_browser.session import DeviceError
from device_browser.tags import TagRef
from device_browser.ui.live_refresh import VisibleRowsRefresher
from device_browser.ui.tag_mime import TAG_MIME, tags_mime_data
from device_browser.ui.watch_list import QUALITY_COLOURS
from nodes.quality import Quality


class Column(enum.IntEnum):
    NAME = 0
    AREA = 1
    ADDRESS = 2  # 0-based
    MANUAL = 3  # 40001
    TYPE = 4
    ORDER = 5
    SCALE = 6
    UNIT = 7
    WRITABLE = 8
    MIN = 9
    MAX = 10
    VALUE = 11
    QUALITY = 12


WATCH_KEY = QKeySequence("Ctrl+Shift+W")
_EDITABLE = frozenset(Column) - {Column.VALUE, Column.QUALITY, Column.WRITABLE}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_COLOURS = {int(quality): colour for quality, colour in QUALITY_COLOURS.items()}


def default_bus_key(tag: ModbusTag) -> str:
    """The bus tag of a register: the name its session publishes under."""
    return tag.name


class RegisterTableModel(QAbstractTableModel):
    """Rows of ModbusTags; edits are validated, refusals announced by :attr:`refused`."""

    refused = Signal(str)  # why an edit was not taken, naming the row
    edited = Signal()  # an edit, insertion or removal was taken

    def __init__(self, registers: RegisterMap, bus: LiveBus | None = None,
                 bus_key: Callable[[ModbusTag], str] = default_bus_key, parent: QObject | None = None):
        super().__init__(parent)
        self.tags: list[ModbusTag] = list(registers)
        self.bus = bus
        self.bus_key = bus_key
        self._seen: dict[str, int] = {}  # bus key -> samples written when last shown
        self._values: dict[str, tuple[str, int]] = {}  # bus key -> (value text, quality)

    # -- the map ---------------------------------------------------------------------------

    def register_map(self) -> RegisterMap:
        return RegisterMap(self.tags)

    def set_tags(self, tags: Sequence[ModbusTag]) -> None:
        self.beginResetModel()
        self.tags = list(tags)
        self.endResetModel()
        self.edited.emit()

    def insert_tag(self, row: int, tag: ModbusTag) -> None:
        self.beginInsertRows(QModelIndex(), row, row)
        self.tags.insert(row, tag)
        self.endInsertRows()
        self.edited.emit()

    def remove_rows(self, rows: Sequence[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.tags[row]
            self.endRemoveRows()
        self.edited.emit()

    def replace(self, row: int, tag: ModbusTag) -> bool:
        """Put ``tag`` in ``row`` if it is a valid tag whose name no other row uses; else say why."""
        try:
            tag.check()
            clash = next((i for i, other in enumerate(self.tags) if other.name == tag.name and i != row), None)
            if clash is not None:
                raise DeviceError(f"the name '{tag.name}' is used in row {clash + 1} already")
        except DeviceError as exc:
            self.refuse(row, str(exc))
            return False
        self.tags[row] = tag
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
        self.edited.emit()
        return True

    def refuse(self, row: int, reason: str) -> None:
        self.refused.emit(self.tr("Row %1 (%2) not changed: %3").replace("%1", str(row + 1))
                          .replace("%2", self.tags[row].name).replace("%3", reason))

    def setData(self, index: QModelIndex, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        row, column = index.row(), index.column()
        tag = self.tags[row]
        if column == Column.WRITABLE and role == Qt.ItemDataRole.CheckStateRole:
            return self.replace(row, dataclasses.replace(tag, writable=_checked(value)))
        if role != Qt.ItemDataRole.EditRole:
            return False
        try:
            changed = _edited(tag, Column(column), value)
        except (DeviceError, ValueError) as exc:
            self.refuse(row, str(exc))
            return False
        return changed == tag or self.replace(row, changed)

    # -- live values -------------------------------------------------------------------------

    def set_bus(self, bus: LiveBus | None) -> None:
        self.bus = bus
        self._seen.clear()
        self._values.clear()
        if self.tags:
            self.dataChanged.emit(self.index(0, Column.VALUE), self.index(len(self.tags) - 1, Column.QUALITY))

    def refresh(self, first: int, last: int) -> bool:
        """Read the bus for rows ``first … last``; one ``dataChanged`` for the live columns if any changed."""
        bus = self.bus
        if bus is None or not self.tags:
            return False
        changed = [row for row in range(max(0, first), min(last, len(self.tags) - 1) + 1) if self._take(bus, row)]
        if changed:
            self.dataChanged.emit(self.index(changed[0], Column.VALUE), self.index(changed[-1], Column.QUALITY))
        return bool(changed)

    def _take(self, bus: LiveBus, row: int) -> bool:
        tag = self.tags[row]
        key = self.bus_key(tag)
        written = bus.written(key)
        if written == self._seen.get(key, 0):
            return False  # nothing new: no lock, no read
        latest = bus.latest(key)
        if latest is None:
            return False
        self._seen[key] = written
        _, value, quality = latest
        shown = "" if isinstance(value, float) and math.isnan(value) else format_value(value, tag.data_type)
        self._values[key] = (shown, quality)
        return True

    # -- QAbstractTableModel -------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.tags)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def text(self, row: int, column: int) -> str:
        """What cell (``row``, ``column``) shows."""
        tag = self.tags[row]
        live = self._values.get(self.bus_key(tag))
        match column:
            case Column.NAME:
                return tag.name
            case Column.AREA:
                return tag.area.label
            case Column.ADDRESS:
                return str(tag.address)
            case Column.MANUAL:
                return tag.reference
            case Column.TYPE:
                return f"{tag.data_type}[{tag.length}]" if tag.data_type is DataType.STRING else str(tag.data_type)
            case Column.ORDER:
                return str(tag.byte_order) if tag.register_count > 1 and not tag.area.is_bit else ""
            case Column.SCALE:
                return _number(tag.scale) if tag.data_type.is_numeric and tag.scale != 1.0 else ""
            case Column.UNIT:
                return tag.unit
            case Column.MIN:
                return _number(tag.write_min)
            case Column.MAX:
                return _number(tag.write_max)
            case Column.VALUE:
                return live[0] if live else ""
            case Column.QUALITY:
                return self.quality_text(live[1]) if live else ""
        return ""

    def quality_text(self, quality: int) -> str:
        return {Quality.GOOD: self.tr("good"), Quality.UNCERTAIN: self.tr("uncertain")}.get(quality, self.tr("bad"))

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row, column = index.row(), index.column()
        tag = self.tags[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return "" if column == Column.WRITABLE else self.text(row, column)
        if role == Qt.ItemDataRole.EditRole:
            return {Column.ADDRESS: tag.address, Column.AREA: tag.area.value, Column.TYPE: tag.data_type.value,
                    Column.ORDER: tag.byte_order.value, Column.SCALE: _number(tag.scale)}.get(
                        Column(column), self.text(row, column))
        if role == Qt.ItemDataRole.CheckStateRole and column == Column.WRITABLE:
            return Qt.CheckState.Checked if tag.writable else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (Column.ADDRESS, Column.SCALE, Column.MIN,
                                                                     Column.MAX, Column.VALUE):
            return _RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and column == Column.QUALITY:
            live = self._values.get(self.bus_key(tag))
            return _COLOURS.get(min(live[1], Quality.BAD)) if live else None
        if role == Qt.ItemDataRole.ToolTipRole and column == Column.NAME:
            return tag.description or None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Name"), self.tr("Area"), self.tr("Address"), self.tr("Manual"), self.tr("Type"),
                self.tr("Order"), self.tr("Scale"), self.tr("Unit"), self.tr("Writable"), self.tr("Min"),
                self.tr("Max"), self.tr("Value"), self.tr("Quality"))[section]

    def flags(self, index: QModelIndex) -> Qt.ItemFlag:
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        if index.column() in _EDITABLE:
            flags |= Qt.ItemFlag.ItemIsEditable
        if index.column() == Column.WRITABLE:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags | Qt.ItemFlag.ItemNeverHasChildren

    # -- drag ------------------------------------------------------------------------------------

    device_id = ""

    def mimeTypes(self) -> list[str]:
        return [TAG_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        refs = [TagRef(self.device_id, point=self.tags[row].name, data_type=str(self.tags[row].data_type),
                       unit=self.tags[row].unit) for row in rows]
        return tags_mime_data(refs)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction


def _edited(tag: ModbusTag, column: Column, value: object) -> ModbusTag:
    """The tag with one field changed as typed; raises DeviceError/ValueError for text that is no value."""
    text = str(value).strip()
    match column:
        case Column.NAME:
            return dataclasses.replace(tag, name=text)
        case Column.AREA:
            return _with_area(tag, Area(text))
        case Column.ADDRESS:
            if not text.isdigit() or int(text) > LAST_ADDRESS:
                raise DeviceError(f"'{text}' is not an address 0…{LAST_ADDRESS} (0-based)")
            return dataclasses.replace(tag, address=int(text))
        case Column.MANUAL:
            return _at_address(tag, text)
        case Column.TYPE:
            return _with_type(tag, DataType(text))
        case Column.ORDER:
            return dataclasses.replace(tag, byte_order=ByteOrder(text.upper()))
        case Column.SCALE:
            return dataclasses.replace(tag, scale=_float(text, "a scale"))
        case Column.UNIT:
            return dataclasses.replace(tag, unit=text)
        case Column.MIN:
            return dataclasses.replace(tag, write_min=_float(text, "a limit") if text else None)
        case Column.MAX:
            return dataclasses.replace(tag, write_max=_float(text, "a limit") if text else None)
    return tag


def _with_area(tag: ModbusTag, area: Area) -> ModbusTag:
    if area.is_bit == tag.area.is_bit:
        return dataclasses.replace(tag, area=area, writable=tag.writable and area.writable_area)
    # From registers to bits or back: the type cannot stay; start from the area's plain type.
    return _with_type(dataclasses.replace(tag, area=area, writable=tag.writable and area.writable_area),
                      DataType.BOOL if area.is_bit else DataType.UINT16)


def _with_type(tag: ModbusTag, data_type: DataType) -> ModbusTag:
    numeric = data_type.is_numeric
    return dataclasses.replace(tag, data_type=data_type, bit=tag.bit if data_type is DataType.BIT else 0,
                               length=tag.length if data_type is DataType.STRING else 1,
                               scale=tag.scale if numeric else 1.0, offset=tag.offset if numeric else 0.0,
                               write_min=tag.write_min if numeric else None,
                               write_max=tag.write_max if numeric else None)


def _at_address(tag: ModbusTag, text: str) -> ModbusTag:
    """``40001``, ``40013.3``, ``hr:17:string:8``: the address, and the type and order if the text gives them."""
    parsed = parse_address(text)
    parts = text.split(":")
    typed = parsed.data_type is DataType.BIT or len(parts) > (2 if parts[0].isalpha() else 1)
    if typed:
        retyped = _with_type(dataclasses.replace(tag, area=parsed.area), parsed.data_type)
        return dataclasses.replace(retyped, address=parsed.address, bit=parsed.bit, length=parsed.length,
                                   byte_order=parsed.byte_order)
    moved = tag if parsed.area is tag.area else _with_area(tag, parsed.area)
    return dataclasses.replace(moved, address=parsed.address)


def _float(text: str, what: str) -> float:
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise DeviceError(f"'{text}' {exc} ({what})") from None


def _number(value: float | None) -> str:
    if value is None:
        return ""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _checked(value: object) -> bool:
    return value in (Qt.CheckState.Checked, int(Qt.CheckState.Checked.value), True)


class RegisterDelegate(QStyledItemDelegate):
    """Combo boxes for area, type and byte order, a spin box for the 0-based address."""

    def createEditor(self, parent: QWidget, option, index: QModelIndex) -> QWidget:
        column = index.column()
        if column == Column.ADDRESS:
            spin = QSpinBox(parent)
            spin.setRange(0, LAST_ADDRESS)
            return spin
        choices = self.choices(index)
        if choices is None:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        for label, value in choices:
            combo.addItem(label, value)
        return combo

    def choices(self, index: QModelIndex) -> list[tuple[str, str]] | None:
        column = index.column()
        if column == Column.AREA:
            return [(area.label, area.value) for area in Area]
        if column == Column.ORDER:
            return [(order.value, order.value) for order in ByteOrder]
        if column == Column.TYPE:
            bit_area = index.model().tags[index.row()].area.is_bit
            kinds = [DataType.BOOL] if bit_area else [kind for kind in DataType if kind is not DataType.BOOL]
            return [(kind.value, kind.value) for kind in kinds]
        return None

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(index.data(Qt.ItemDataRole.EditRole))))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(index.data(Qt.ItemDataRole.EditRole)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractTableModel, index: QModelIndex) -> None:
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData())
        elif isinstance(editor, QSpinBox):
            editor.interpretText()
            model.setData(index, editor.value())
        else:
            super().setModelData(editor, model, index)


class RegisterView(QTableView):
    """Enter edits the current cell; Delete removes rows; Ctrl+Shift+W watches them; the menu key opens the actions."""

    delete_pressed = Signal()
    watch_pressed = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.state() != self.State.EditingState:
            current = self.currentIndex()
            if current.isValid() and current.flags() & Qt.ItemFlag.ItemIsEditable:
                self.edit(current)
                event.accept()
                return
        if event.matches(QKeySequence.StandardKey.Delete):
            self.delete_pressed.emit()
        elif QKeySequence(event.keyCombination()) == WATCH_KEY:
            self.watch_pressed.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


class RegisterTable(QWidget):
    """The register map of device ``device_id`` with live values from ``bus``.

    Signals: ``map_changed(RegisterMap)`` after every accepted edit, import, addition or removal;
    ``watch_requested(list[str])`` with the names of the rows to add to the watch list.
    """

    map_changed = Signal(object)
    watch_requested = Signal(list)

    def __init__(self, device_id: str, registers: RegisterMap, bus: LiveBus | None = None,
                 parent: QWidget | None = None, bus_key: Callable[[ModbusTag], str] = default_bus_key):
        super().__init__(parent)
        self.device_id = device_id
        self.model = RegisterTableModel(registers, bus, bus_key, self)
        self.model.device_id = device_id
        self.table = RegisterView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegate(RegisterDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setDragEnabled(True)
        self.table.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)  # the rest keep their widths
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.delete_pressed.connect(self.remove_selected)
        self.table.watch_pressed.connect(self.request_watch)
        width = self.fontMetrics().averageCharWidth()
        for column, chars in zip(Column, (22, 15, 8, 9, 10, 6, 7, 7, 8, 7, 7, 20, 9), strict=True):
            self.table.setColumnWidth(column, chars * width + 14)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.hide()
        self.buttons = {name: QPushButton(self) for name in ("add", "remove", "watch", "import", "export")}
        for name, slot in (("add", self.add_tag), ("remove", self.remove_selected), ("watch", self.request_watch),
                           ("import", self.choose_import), ("export", self.choose_export)):
            self.buttons[name].clicked.connect(slot)
        bar = QHBoxLayout()
        for name in ("add", "remove", "watch"):
            bar.addWidget(self.buttons[name])
        bar.addStretch(1)
        for name in ("import", "export"):
            bar.addWidget(self.buttons[name])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.refresher = VisibleRowsRefresher(self.table, self.model.refresh)
        self.model.refused.connect(self.show_message)
        self.model.edited.connect(self._announce)
        self.retranslate()

    # -- the map --------------------------------------------------------------------------------

    def register_map(self) -> RegisterMap:
        return self.model.register_map()

    def set_bus(self, bus: LiveBus | None) -> None:
        self.model.set_bus(bus)

    def _announce(self) -> None:
        self.show_message("")
        self.map_changed.emit(self.model.register_map())

    def show_message(self, text: str) -> None:
        """Show (or, with "", hide) a problem above the table."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def message_text(self) -> str:
        return self.message.text() if self.message.isVisibleTo(self) else ""

    def selected_rows(self) -> list[int]:
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def add_tag(self) -> None:
        """A new holding register after the last one, named to be renamed; its name cell opens for editing."""
        tags = self.model.tags
        end = max((tag.end for tag in tags if tag.area is Area.HOLDING_REGISTER), default=0)
        names = {tag.name for tag in tags}
        number = next(n for n in range(len(tags) + 1, len(tags) + 2 + len(names)) if f"tag_{n}" not in names)
        row = len(tags)
        self.model.insert_tag(row, ModbusTag(f"tag_{number}", Area.HOLDING_REGISTER, min(end, LAST_ADDRESS)))
        index = self.model.index(row, Column.NAME)
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    def remove_selected(self) -> None:
        rows = self.selected_rows()
        if rows:
            self.model.remove_rows(rows)

    def request_watch(self) -> None:
        names = [self.model.tags[row].name for row in self.selected_rows()]
        if names:
            self.watch_requested.emit(names)

    def import_csv(self, path: Path) -> bool:
        """Replace the map with the CSV file's; a problem is shown and the map kept. True if imported."""
        try:
            registers = read_register_csv(Path(path))
        except DeviceError as exc:
            self.show_message(str(exc))
            return False
        self.model.set_tags(list(registers))
        return True

    def export_csv(self, path: Path) -> bool:
        try:
            write_register_csv(self.model.register_map(), Path(path))
        except (OSError, DeviceError) as exc:
            self.show_message(self.tr("Cannot write %1: %2").replace("%1", str(path)).replace("%2", str(exc)))
            return False
        return True

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import register map"), "", self.tr("CSV files (*.csv)"),
                                              options=QFileDialog.Option.DontUseNativeDialog)
        if path:
            self.import_csv(Path(path))

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export register map"), f"{self.device_id}.csv",
                                              self.tr("CSV files (*.csv)"),
                                              options=QFileDialog.Option.DontUseNativeDialog)
        if path:
            self.export_csv(Path(path))

    # -- menus and language -------------------------------------------------------------------------

    def _context_menu(self, position) -> None:
        menu = QMenu(self)
        has_selection = bool(self.selected_rows())
        watch = menu.addAction(self.tr("Add to watch"), self.request_watch)
        watch.setShortcut(WATCH_KEY)
        watch.setEnabled(has_selection)
        menu.addAction(self.tr("Add register"), self.add_tag)
        remove = menu.addAction(self.tr("Remove"), self.remove_selected)
        remove.setShortcut(QKeySequence.StandardKey.Delete)
        remove.setEnabled(has_selection)
        menu.addSeparator()
        menu.addAction(self.tr("Import CSV…"), self.choose_import)
        menu.addAction(self.tr("Export CSV…"), self.choose_export)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(position))  # not exec(): no nested event loop under qasync

    def retranslate(self) -> None:
        texts = {"add": self.tr("&Add register"), "remove": self.tr("Re&move"), "watch": self.tr("Add to &watch"),
                 "import": self.tr("&Import…"), "export": self.tr("&Export…")}
        for name, text in texts.items():
            self.buttons[name].setText(text)
        self.buttons["watch"].setToolTip(self.tr("Add the selected registers to the watch list (Ctrl+Shift+W)"))
        self.table.setToolTip(self.tr("Double-click or Enter to edit; drag rows to the watch list or the canvas"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
