"""Read any register range of a connected Modbus device, no profile needed: Modbus Poll's first window.

Area, start (``40001``, ``0``, ``hr0`` or ``hr:0``), count and unit id; "Read" once or every N ms.
The read runs on the device loop (:meth:`ModbusConnection.read_raw
<device_browser.modbus.connection.ModbusConnection.read_raw>` through ``handle.host.call``), never
on the UI thread; the answer shows as address (both forms), decimal, hex and binary, and a
Modbus exception in words ("Illegal data address (exception 2) at 40100"). Selected registers
(or the whole range) are offered to the interpret-as view through :attr:`RangeReader.registers_selected`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from qtpy.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from device_browser.host import SessionHandle
from device_browser.modbus.addresses import AREA_CODES, parse_address, protocol_address
from device_browser.modbus.errors import ModbusDeviceError, exception_name, span_text
from device_browser.modbus.registers import LAST_ADDRESS, MAX_BITS, MAX_REGISTERS, Area, format_display_address
from device_browser.session import DeviceError
from device_browser.ui.tasks import TaskSet

_PROTOCOL_FORM = re.compile(r"^(co|di|ir|hr):?(\d+)$", re.IGNORECASE)
AREAS = (Area.HOLDING_REGISTER, Area.INPUT_REGISTER, Area.COIL, Area.DISCRETE_INPUT)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def parse_start(text: str, area: Area) -> tuple[Area, int]:
    """Area and 0-based address of a start typed as ``40001``/``400001`` (manual form, its own area),
    ``hr0``/``hr:0`` (protocol form) or a plain number under five digits (0-based in ``area``)."""
    text = text.strip()
    protocol = _PROTOCOL_FORM.match(text)
    if protocol:
        text = f"{protocol[1].lower()}:{protocol[2]}"
    elif text.isdigit() and len(text) < 5:
        if int(text) > LAST_ADDRESS:
            raise DeviceError(f"'{text}' is outside 0…{LAST_ADDRESS}")
        return area, int(text)
    tag = parse_address(text)
    return tag.area, tag.address


class RangeModel(QAbstractTableModel):
    """The registers (or bits) of the last answer: address, protocol address, decimal, hex, binary."""

    COLUMNS = 5

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.area = Area.HOLDING_REGISTER
        self.start = 0
        self.values: list[int] = []
        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    def set_values(self, area: Area, start: int, values: Sequence[int | bool]) -> None:
        self.beginResetModel()
        self.area, self.start, self.values = area, start, [int(v) for v in values]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.values)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def text(self, row: int, column: int) -> str:
        value, address = self.values[row], self.start + row
        if column == 0:
            return format_display_address(self.area, address)
        if column == 1:
            return protocol_address(self.area, address)
        if column == 2:
            return str(value)
        if self.area.is_bit:
            return ""
        return f"0x{value:04X}" if column == 3 else f"{value >> 8:08b} {value & 0xFF:08b}"

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.FontRole and index.column() >= 2:
            return self.mono
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 2:
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Address"), self.tr("Protocol"), self.tr("Decimal"), self.tr("Hex"), self.tr("Binary"))[section]


class RangeReader(QWidget):
    """The ad-hoc reader. ``registers_selected(start, area, registers)`` offers raw registers to interpret."""

    registers_selected = Signal(int, str, list)

    def __init__(self, handle: SessionHandle | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.handle: SessionHandle | None = None
        self._tasks = TaskSet()
        self.area_box = QComboBox(self)
        self.start_edit = QLineEdit("40001", self)
        self.count_box = QSpinBox(self)
        self.count_box.setRange(1, MAX_REGISTERS)
        self.count_box.setValue(10)
        self.unit_box = QSpinBox(self)
        self.unit_box.setRange(0, 247)
        self.unit_box.setValue(1)
        self.read_button = QPushButton(self)
        self.repeat_box = QCheckBox(self)
        self.interval_box = QSpinBox(self)
        self.interval_box.setRange(50, 600_000)
        self.interval_box.setValue(1000)
        self.interval_box.setSuffix(" ms")
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = RangeModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.horizontalHeader().setStretchLastSection(True)
        width = self.fontMetrics().averageCharWidth()
        for column, chars in enumerate((9, 10, 8, 8, 20)):
            self.table.setColumnWidth(column, chars * width + 16)
        self.repeat_timer = QTimer(self)
        self._layout()
        self.read_button.clicked.connect(self.read)
        self.start_edit.returnPressed.connect(self.read)
        self.area_box.currentIndexChanged.connect(self._area_changed)
        self.repeat_box.toggled.connect(self._repeat_toggled)
        self.interval_box.valueChanged.connect(self.repeat_timer.setInterval)
        self.repeat_timer.timeout.connect(self._repeat)
        self.table.selectionModel().selectionChanged.connect(self._offer_selection)
        self.retranslate()
        self.set_handle(handle)

    def _layout(self) -> None:
        form = QFormLayout()
        self.labels = [QLabel(self) for _ in range(4)]
        for label, field in zip(self.labels, (self.area_box, self.start_edit, self.count_box, self.unit_box),
                                strict=True):
            label.setBuddy(field)
            form.addRow(label, field)
        buttons = QHBoxLayout()
        buttons.addWidget(self.read_button)
        buttons.addWidget(self.repeat_box)
        buttons.addWidget(self.interval_box)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)

    # -- the device -----------------------------------------------------------------------

    def set_handle(self, handle: SessionHandle | None) -> None:
        """Read through ``handle`` (a Modbus session) from now on; None: nothing to read from."""
        self.handle = handle
        unit = getattr(handle.session, "unit", None) if handle is not None else None
        if isinstance(unit, int):
            self.unit_box.setValue(unit)
        self.read_button.setEnabled(handle is not None)
        self.repeat_box.setEnabled(handle is not None)
        if handle is None:
            self.repeat_box.setChecked(False)

    @property
    def area(self) -> Area:
        return AREAS[self.area_box.currentIndex()]

    def read(self) -> asyncio.Task | None:
        """Start one read (unless one is still on its way); returns its task."""
        if self._tasks:
            return None
        return self._tasks.spawn(self.read_once())

    async def read_once(self) -> bool:
        """Read the range as the fields say; the answer (or why there is none) is shown. True if it was read."""
        handle = self.handle
        if handle is None:
            self._show_problem(self.tr("No device: connect a Modbus device first."))
            return False
        try:
            area, start = parse_start(self.start_edit.text(), self.area)
        except DeviceError as exc:
            self._show_problem(str(exc))
            return False
        self.area_box.setCurrentIndex(AREAS.index(area))  # "30001" means input registers, whatever was chosen
        count = min(self.count_box.value(), LAST_ADDRESS + 1 - start)
        if not hasattr(handle.session, "read_raw"):
            self._show_problem(self.tr("Only a Modbus device has registers to read."))
            return False
        try:
            values = await handle.host.call(handle.session.read_raw, area, start, count, self.unit_box.value())
        except ModbusDeviceError as exc:
            text = str(exc)
            if exc.code is not None:
                text = f"{exception_name(exc.code)} (exception {exc.code}) at {span_text(area, start, count)}"
            self._show_problem(text, str(exc))
            return False
        except DeviceError as exc:
            self._show_problem(str(exc))
            return False
        self.model.set_values(area, start, values)
        self.status.setText(self.tr("%1: %2 values read").replace("%1", span_text(area, start, count))
                            .replace("%2", str(len(values))))
        self.status.setToolTip("")
        self.status.setStyleSheet("")
        self._offer_selection()
        return True

    def _show_problem(self, text: str, detail: str = "") -> None:
        self.status.setText(text)
        self.status.setToolTip(detail)
        self.status.setStyleSheet("color: #c62828;")

    # -- selection and repetition -----------------------------------------------------------

    def selected_registers(self) -> tuple[int, list[int]]:
        """Start address and values of the selected rows (first to last selected), or of the whole range."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        values = self.model.values
        if rows:
            return self.model.start + rows[0], values[rows[0]:rows[-1] + 1]
        return self.model.start, list(values)

    def _offer_selection(self, *_: object) -> None:
        if self.model.area.is_bit or not self.model.values:
            return
        start, values = self.selected_registers()
        self.registers_selected.emit(start, str(self.model.area), values)

    def _area_changed(self) -> None:
        self.count_box.setMaximum(MAX_BITS if self.area.is_bit else MAX_REGISTERS)

    def _repeat_toggled(self, on: bool) -> None:
        if on:
            self.repeat_timer.start(self.interval_box.value())
            self.read()
        else:
            self.repeat_timer.stop()

    def _repeat(self) -> None:
        self.read()  # skipped while the previous read is still on its way: no pile-up on a slow device

    # -- language -------------------------------------------------------------------------

    def retranslate(self) -> None:
        names = {Area.HOLDING_REGISTER: self.tr("Holding registers (4x, FC 3)"),
                 Area.INPUT_REGISTER: self.tr("Input registers (3x, FC 4)"),
                 Area.COIL: self.tr("Coils (0x, FC 1)"), Area.DISCRETE_INPUT: self.tr("Discrete inputs (1x, FC 2)")}
        current = max(self.area_box.currentIndex(), 0)
        self.area_box.blockSignals(True)
        self.area_box.clear()
        self.area_box.addItems([names[area] for area in AREAS])
        self.area_box.setCurrentIndex(current)
        self.area_box.blockSignals(False)
        for label, text in zip(self.labels, (self.tr("&Area:"), self.tr("&Start:"), self.tr("&Count:"),
                                             self.tr("&Unit id:")), strict=True):
            label.setText(text)
        codes = ", ".join(AREA_CODES)
        self.start_edit.setToolTip(self.tr("40001 or 400001 (manual form), hr0 or hr:0 (0-based, with %1), "
                                           "or a 0-based number below 10000 in the chosen area").replace("%1", codes))
        self.read_button.setText(self.tr("&Read"))
        self.repeat_box.setText(self.tr("Repeat every"))
        self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, RangeModel.COLUMNS - 1)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
