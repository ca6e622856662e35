"""The commissioning puzzle on one screen: a raw register range read as every type in all four byte orders.

Rows are (address, type), columns the byte orders ABCD, CDAB, BADC and DCBA; the readings come
from :func:`device_browser.modbus.interpret.interpret`, the same as ``millwright device interpret``.
Floats that look like a measurement (finite, neither tiny nor astronomical) are highlighted, the
others dimmed, so the right order stands out. "Use this" on a cell emits
:attr:`InterpretView.interpretation_chosen` for a register-map entry.
"""

from __future__ import annotations

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtGui import QBrush, QColor, QFont, QFontDatabase, QKeyEvent
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.display import format_value
from device_browser.modbus.errors import span_text
from device_browser.modbus.interpret import interpret
from device_browser.modbus.registers import MAX_REGISTERS, Area, ByteOrder, DataType, ModbusTag, decode

ORDERS = tuple(ByteOrder)
FIRST_ORDER_COLUMN = 2  # columns: address, type, then one per byte order
CHOICE_ROLE = int(Qt.ItemDataRole.UserRole)  # (0-based address, data type, byte order) of a cell
PLAUSIBLE = QColor(46, 160, 67, 70)  # translucent: reads on the light and the dark theme


class InterpretTable(QTableWidget):
    """The grid; Enter on a cell means "use this"."""

    use_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.use_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class InterpretView(QWidget):
    """Every reading of one register range; ``interpretation_chosen(address, data_type, byte_order)``
    carries the 0-based address of the chosen value's first register (in :attr:`area`)."""

    interpretation_chosen = Signal(int, str, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.area = Area.HOLDING_REGISTER
        self.start_address = 0
        self.registers: list[int] = []
        self.title = QLabel(self)
        self.table = InterpretTable(self)
        self.table.setColumnCount(FIRST_ORDER_COLUMN + len(ORDERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_current())
        self.table.use_pressed.connect(self.use_current)
        self.table.currentItemChanged.connect(self._update_button)
        self.use_button = QPushButton(self)
        self.use_button.clicked.connect(self.use_current)
        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        width = self.fontMetrics().averageCharWidth()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, chars in enumerate((16, 9)):
            self.table.setColumnWidth(column, chars * width + 12)
        for column in range(FIRST_ORDER_COLUMN, FIRST_ORDER_COLUMN + len(ORDERS)):  # the orders share the rest
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(self.use_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.table)
        self.retranslate()
        self._update_button()

    def show_registers(self, start_address: int, area: Area, registers: list[int]) -> None:
        """Show every reading of ``registers`` (raw 16-bit values) read from ``start_address`` (0-based) of ``area``."""
        self.area, self.start_address = Area(area), start_address
        self.registers = [int(word) & 0xFFFF for word in registers[:MAX_REGISTERS]]
        self.table.setRowCount(0)
        rows: dict[tuple[int, DataType], dict[ByteOrder | None, object]] = {}
        for reading in interpret(self.registers):
            rows.setdefault((reading.offset, reading.data_type), {})[reading.byte_order] = reading
        self.table.setRowCount(len(rows) + (1 if self.registers else 0))
        for row, ((offset, data_type), readings) in enumerate(rows.items()):
            self._fill_row(row, offset, data_type, readings)
        if self.registers:
            self._fill_string_row(len(rows))
        self.retranslate()
        self._update_button()

    def _fill_row(self, row: int, offset: int, data_type: DataType, readings: dict) -> None:
        address = self.start_address + offset
        count = next(iter(readings.values())).count
        self.table.setItem(row, 0, _item(span_text(self.area, address, count)))
        self.table.setItem(row, 1, _item(str(data_type)))
        for reading in readings.values():
            column = FIRST_ORDER_COLUMN + (ORDERS.index(reading.byte_order) if reading.byte_order else 0)
            order = reading.byte_order or ByteOrder.ABCD
            item = self._value_item(format_value(reading.value, str(data_type)), reading.plausible,
                                    data_type.is_float, (address, str(data_type), str(order)))
            self.table.setItem(row, column, item)
            if reading.byte_order is None:  # one register: the order does not apply
                self.table.setSpan(row, column, 1, len(ORDERS))

    def _fill_string_row(self, row: int) -> None:
        count = len(self.registers)
        self.table.setItem(row, 0, _item(span_text(self.area, self.start_address, count)))
        self.table.setItem(row, 1, _item(str(DataType.STRING)))
        for index, order in enumerate(ORDERS):
            tag = ModbusTag("text", Area.HOLDING_REGISTER, 0, DataType.STRING, order, length=count)
            text = str(decode(tag, self.registers))
            printable = text.isprintable()
            shown = text if printable else "".join(c if c.isprintable() else "·" for c in text)
            self.table.setItem(row, FIRST_ORDER_COLUMN + index,
                               self._value_item(shown, printable and bool(text), False,
                                                (self.start_address, str(DataType.STRING), str(order))))

    def _value_item(self, text: str, plausible: bool, highlight: bool,
                    choice: tuple[int, str, str]) -> QTableWidgetItem:
        item = _item(text)
        item.setFont(self.mono)
        item.setData(CHOICE_ROLE, choice)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if not plausible:
            item.setForeground(self.palette().placeholderText())
        elif highlight:
            item.setBackground(QBrush(PLAUSIBLE))
            bold = QFont(self.mono)
            bold.setBold(True)
            item.setFont(bold)
        return item

    def cell(self, offset: int, data_type: DataType | str, order: ByteOrder | str = ByteOrder.ABCD) -> str:
        """The text shown for ``data_type`` at register ``offset`` in ``order`` ("" if there is none)."""
        item = self._cell_item(offset, data_type, order)
        return item.text() if item is not None else ""

    def is_dimmed(self, offset: int, data_type: DataType | str, order: ByteOrder | str = ByteOrder.ABCD) -> bool:
        """Whether that cell is shown as implausible."""
        item = self._cell_item(offset, data_type, order)
        return item is not None and item.foreground().color() == self.palette().placeholderText().color()

    def _cell_item(self, offset: int, data_type: DataType | str, order: ByteOrder | str) -> QTableWidgetItem | None:
        wanted = (self.start_address + offset, str(data_type), str(ByteOrder(order)))
        column = FIRST_ORDER_COLUMN + ORDERS.index(ByteOrder(order))
        for row in range(self.table.rowCount()):
            item = self.table.item(row, column)
            if item is not None and item.data(CHOICE_ROLE) == wanted:
                return item
        return None

    def use_current(self) -> None:
        """Emit :attr:`interpretation_chosen` for the current cell, if it holds a reading."""
        item = self.table.currentItem()
        choice = item.data(CHOICE_ROLE) if item is not None else None
        if choice:
            self.interpretation_chosen.emit(*choice)

    def _update_button(self, *_: object) -> None:
        item = self.table.currentItem()
        self.use_button.setEnabled(item is not None and bool(item.data(CHOICE_ROLE)))

    def _context_menu(self, position) -> None:
        item = self.table.itemAt(position)
        if item is None or not item.data(CHOICE_ROLE):
            return
        self.table.setCurrentItem(item)
        menu = QMenu(self)
        menu.addAction(self.tr("Use this as a register-map entry"), self.use_current)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(position))  # not exec(): no nested event loop under qasync

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([self.tr("Address"), self.tr("Type"), *[str(o) for o in ORDERS]])
        self.use_button.setText(self.tr("Use this"))
        self.use_button.setToolTip(self.tr("Add the selected reading to the register map (Enter)"))
        if not self.registers:
            self.title.setText(self.tr("Read a range and select registers to see them as every type and byte order."))
        else:
            where = span_text(self.area, self.start_address, len(self.registers))
            self.title.setText(self.tr("%1: %n register(s) as every type and byte order; plausible floats are "
                                       "highlighted", "", len(self.registers)).replace("%1", where))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _item(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    return item
