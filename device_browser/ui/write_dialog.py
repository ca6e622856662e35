"""The safe-write dialog: old value, new value, type and range check, confirmation, read-back.

A setpoint written by mistake moves a real pump, so the dialog walks the engineer through the
same steps every time, and never promises what the write path refuses:

1. It reads what it needs off the UI thread (the current value, and for OPC UA the node's type,
   value rank, access, EURange and the names of its values) and shows tag, device, data type,
   unit, limits and the old value with its quality and time.
2. The editor fits the type (a check box, an integer spin box with the type's range, a number
   field, text, a combo of names for an enumeration or a named two-state boolean, a comma list
   for an array; a structure is shown, not edited). A live check line runs the checks of the
   write path itself (:func:`~device_browser.writes.check_value` of the profile, the register
   map's encoder for Modbus, :func:`~device_browser.opcua.ua_io.check_write` for OPC UA).
3. "Write…" asks for confirmation (Cancel is the default), then writes through
   :meth:`DeviceWorkspace.write <device_browser.workspace.DeviceWorkspace.write>` — which refuses
   when writes to the device are disabled, and audits every attempt (the audit file and the
   ``millwright.audit`` logger the Log panel shows) — and shows the value read back or the
   reason in words.

Esc cancels the step at hand: the confirmation, else the dialog. No nested event loop: the
dialog is opened with ``open()`` (see :func:`device_browser.ui.dialogs.run_dialog`).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtGui import QKeyEvent
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from device_browser.connect import register_map
from device_browser.display import format_time, format_value
from device_browser.modbus.addresses import parse_address
from device_browser.modbus.registers import DataType, ModbusTag, encode, encode_bit
from device_browser.opcua.ua_facts import value_names
from device_browser.opcua.ua_io import check_write
from device_browser.opcua.ua_profile import PROFILE_TYPES
from device_browser.session import DeviceError, Sample, WriteRefused
from device_browser.tags import TagRef
from device_browser.ui.dialogs import run_dialog
from device_browser.ui.tasks import TaskSet
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import WriteRecord, check_value, integer_range
from nodes.quality import Quality

_INT32 = (-(2**31), 2**31 - 1)  # what a QSpinBox holds; wider integers are typed as text
_NOTHING_WRITTEN = "; nothing was written"  # the write path's ending, out of place in a check made before


class EditorKind(enum.StrEnum):
    BOOL = "bool"
    INTEGER = "integer"
    NUMBER = "number"
    TEXT = "text"
    NAMES = "names"  # an enumeration, or a boolean whose states have names
    ARRAY = "array"
    STRUCTURE = "structure"  # shown, not written


@dataclass
class WriteTarget:
    """What the dialog knows of the value to write: how to edit it, and the write path's check."""

    ref: TagRef
    data_type: str
    kind: EditorKind
    check: Callable[[Any], Any]  # the value as it will be written, or WriteRefused
    unit: str = ""
    limits: tuple[float, float] | None = None
    int_range: tuple[int, int] | None = None
    names: dict[Any, str] = field(default_factory=dict)  # value -> name
    element: EditorKind = EditorKind.TEXT  # of an array


async def write_target(workspace: DeviceWorkspace, ref: TagRef) -> WriteTarget:
    """The target of a write to ``ref``; OPC UA asks the device (through its session on the device thread)."""
    profile = workspace.entry(ref.device).profile
    if profile is None:
        raise DeviceError(workspace.entry(ref.device).problem)
    point = profile.point(ref.point) if ref.point else None

    def checked(value: Any) -> Any:  # the profile's own check first, as safe_write does
        return check_value(profile, point, value) if point is not None else value

    if profile.protocol == "modbus":
        tag = register_map(profile)[ref.point] if point is not None else parse_address(ref.address)
        return _modbus_target(ref, tag, point.write_limits or point.range if point else None, checked)
    handle = workspace.handle(ref.device)
    if handle is None:
        raise DeviceError(f"{ref.device} is not connected: connect it to write")
    [facts] = await handle.host.call(handle.session.node_facts, [ref.tag], properties=True)
    names = await handle.host.call(value_names, handle.session, ref.tag)
    vtype = facts.variant_type
    type_name = facts.data_type_name or (vtype.name if vtype else "")
    kind = _ua_kind(vtype.name if vtype else "", names)
    array = facts.value_rank >= 0 and kind is not EditorKind.STRUCTURE
    profile_type = PROFILE_TYPES.get(vtype.name if vtype else "", "")
    limits = (point.write_limits or point.range if point else None) or facts.eu_range
    return WriteTarget(ref, type_name + ("[]" if array else ""), EditorKind.ARRAY if array else kind,
                       lambda value: check_write(ref.tag, facts, checked(value)),
                       unit=(point.unit if point else "") or facts.unit, limits=limits,
                       int_range=integer_range(profile_type), names=names, element=kind)


def _modbus_target(ref: TagRef, tag: ModbusTag, limits: tuple[float, float] | None,
                   checked: Callable[[Any], Any]) -> WriteTarget:
    def check(value: Any) -> Any:
        value = checked(value)
        encode_bit(tag, 0, value) if tag.data_type is DataType.BIT else encode(tag, value)  # what write() sends
        return value

    kind = tag.data_type
    scaled = tag.scale != 1.0 or tag.offset != 0.0
    if kind in (DataType.BOOL, DataType.BIT):
        editor = EditorKind.BOOL
    elif kind is DataType.STRING:
        editor = EditorKind.TEXT
    else:
        editor = EditorKind.INTEGER if kind.is_integer and not scaled else EditorKind.NUMBER
    if limits is None and tag.write_min is not None and tag.write_max is not None:
        limits = (tag.write_min, tag.write_max)
    return WriteTarget(ref, str(kind), editor, check, unit=tag.unit, limits=limits,
                       int_range=kind.range if editor is EditorKind.INTEGER else None)


def _ua_kind(variant: str, names: dict[Any, str]) -> EditorKind:
    if names:
        return EditorKind.NAMES
    if variant == "Boolean":
        return EditorKind.BOOL
    if integer_range(PROFILE_TYPES.get(variant, "")):
        return EditorKind.INTEGER
    if variant in ("Float", "Double"):
        return EditorKind.NUMBER
    if variant in ("String", "LocalizedText", "DateTime"):
        return EditorKind.TEXT
    return EditorKind.STRUCTURE  # structures, and types this client cannot build a value of


def parse_element(text: str, kind: EditorKind) -> Any:
    """What a typed element means for an editor ``kind`` (numbers as numbers: a Modbus write takes no text)."""
    text = text.strip()
    if kind is EditorKind.INTEGER:
        try:
            return int(text, 0)
        except ValueError:
            pass
    if kind in (EditorKind.INTEGER, EditorKind.NUMBER):
        try:
            return float(text)
        except ValueError:
            raise WriteRefused(f"{text!r} is not a number") from None
    return text  # booleans and text: the write path's check reads true/false itself


class WriteDialog(QDialog):
    """Write one value to a device safely (see the module docstring).

    Emits ``written(WriteRecord)`` after a write that went through.
    """

    written = Signal(object)

    def __init__(self, workspace: DeviceWorkspace, ref: TagRef, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace, self.ref = workspace, ref
        self.target: WriteTarget | None = None
        self.old: Sample | None = None
        self.record: WriteRecord | None = None
        self.problem = ""  # why the dialog cannot write (could not read the target)
        self.result_text = ""
        self.busy = False
        self._tasks = TaskSet()
        self._build()
        workspace.writes_changed.connect(self._on_writes_changed)
        self.finished.connect(self._closed)
        self.retranslate()
        self._loading = asyncio.ensure_future(self._load())

    # -- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.tag_label, self.device_label, self.type_label = QLabel(), QLabel(), QLabel()
        self.unit_label, self.limits_label, self.old_label = QLabel(), QLabel(), QLabel()
        for label in (self.tag_label, self.old_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editors = QStackedWidget()
        self.check_label, self.writes_label, self.result_label = QLabel(), QLabel(), QLabel()
        for label in (self.check_label, self.writes_label, self.result_label):
            label.setWordWrap(True)
        self.enable_button = QPushButton()
        self.enable_button.clicked.connect(lambda: self._tasks.spawn(self._enable_writes()))
        self.form = QFormLayout()
        self._rows = [self.tag_label, self.device_label, self.type_label, self.unit_label, self.limits_label,
                      self.old_label, self.editors]
        self._captions = [QLabel() for _ in self._rows]
        for caption, widget in zip(self._captions, self._rows, strict=True):
            caption.setBuddy(widget)
            self.form.addRow(caption, widget)
        self.confirm_label = QLabel()
        self.confirm_label.setWordWrap(True)
        self.confirm_write, self.confirm_cancel = QPushButton(), QPushButton()
        self.confirm_write.clicked.connect(self._confirmed)
        self.confirm_cancel.clicked.connect(self.cancel_confirmation)
        self.confirm_panel = QWidget()
        confirm = QHBoxLayout(self.confirm_panel)
        confirm.setContentsMargins(0, 0, 0, 0)
        confirm.addWidget(self.confirm_label, 1)
        confirm.addWidget(self.confirm_write)
        confirm.addWidget(self.confirm_cancel)
        self.confirm_panel.hide()
        self.buttons = QDialogButtonBox()
        self.write_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.write_button.clicked.connect(self.ask_confirmation)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        for widget in (self.check_label, self.writes_label, self.enable_button, self.confirm_panel,
                       self.result_label, self.buttons):
            layout.addWidget(widget)

    def _make_editor(self, target: WriteTarget) -> None:
        kind = target.kind
        if kind is EditorKind.BOOL:
            editor: QWidget = QCheckBox()
            editor.toggled.connect(self._update)
        elif kind is EditorKind.NAMES:
            editor = QComboBox()
            for value, name in target.names.items():
                editor.addItem(f"{name} ({format_value(value)})", value)
            editor.currentIndexChanged.connect(self._update)
        elif kind is EditorKind.INTEGER and target.int_range and _INT32[0] <= target.int_range[0] \
                and target.int_range[1] <= _INT32[1]:
            editor = QSpinBox()
            editor.setRange(*target.int_range)
            editor.valueChanged.connect(self._update)
        else:
            editor = QLineEdit()
            editor.setReadOnly(kind is EditorKind.STRUCTURE)
            editor.textChanged.connect(self._update)
        self.editor = editor
        self.editors.addWidget(editor)
        self.editors.setCurrentWidget(editor)

    def _set_editor_value(self, value: Any) -> None:
        editor = self.editor
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        elif isinstance(editor, QSpinBox):
            if isinstance(value, int | float) and not isinstance(value, bool):
                editor.setValue(int(value))
        elif isinstance(value, list | tuple):
            editor.setText(", ".join(format_value(v, self.target.data_type) for v in value))
        elif value is not None:
            editor.setText(format_value(value, self.target.data_type))

    def new_value(self) -> Any:
        """The value in the editor, as the write will be asked to send it; WriteRefused if it cannot be read."""
        editor, target = self.editor, self.target
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentData()
        if isinstance(editor, QSpinBox):
            return editor.value()
        text = editor.text()
        if target.kind is EditorKind.ARRAY:
            return [parse_element(part, target.element) for part in text.split(",")] if text.strip() else []
        return parse_element(text, target.kind) if target.kind is not EditorKind.TEXT else text

    def checked_value(self) -> tuple[Any, str]:
        """(the value as it will be written, "") or (None, why the write would refuse it)."""
        if self.target is None or self.target.kind is EditorKind.STRUCTURE:
            return None, ""
        try:
            return self.target.check(self.new_value()), ""
        except WriteRefused as exc:
            return None, str(exc).removesuffix(_NOTHING_WRITTEN)

    # -- loading -----------------------------------------------------------------------------------


    async def _load(self) -> None:
        try:
            self.target = await write_target(self.workspace, self.ref)
            self._make_editor(self.target)
            await self._read_old()
            self._set_editor_value(self.old.value if self.old else None)
        except DeviceError as exc:
            self.problem = str(exc)
        self._update()

    async def _read_old(self) -> None:
        handle = self.workspace.handle(self.ref.device)
        if handle is not None:
            [self.old] = await handle.read([self.ref.tag])

    # -- steps -------------------------------------------------------------------------------------

    def writes_enabled(self) -> bool:
        return self.workspace.entry(self.ref.device).writes_enabled

    def can_write(self) -> bool:
        value_ok = self.checked_value()[1] == "" and self.target is not None \
            and self.target.kind is not EditorKind.STRUCTURE
        return value_ok and self.writes_enabled() and not self.busy and not self.problem

    def ask_confirmation(self) -> None:
        """Step 2: "Write 900 rpm to pump/speed_setpoint (was 750)?" with Cancel as the default."""
        if not self.can_write():
            return
        self.confirm_panel.show()
        self.write_button.setEnabled(False)
        self.editors.setEnabled(False)
        self.confirm_write.setDefault(False)
        self.confirm_write.setAutoDefault(False)
        self.confirm_cancel.setDefault(True)
        self.confirm_cancel.setFocus()
        self._update()

    def cancel_confirmation(self) -> None:
        self.confirm_panel.hide()
        self.editors.setEnabled(True)
        self.editor.setFocus()
        self._update()

    @property
    def confirming(self) -> bool:
        return not self.confirm_panel.isHidden()

    def _confirmed(self) -> None:
        value, _ = self.checked_value()
        self.confirm_panel.hide()
        self._tasks.spawn(self._write(value))

    async def _write(self, value: Any) -> None:
        self.busy, self.result_text = True, ""
        self._update()
        try:
            self.record = await self.workspace.write(self.ref, value)
            self.result_text = self.tr("✔ Written. Read back: %1").replace("%1", self._shown(self.record.readback))
            self.written.emit(self.record)
            await self._read_old()
        except DeviceError as exc:  # refused (and audited), or the device failed
            prefix = self.tr("✘ Refused: %1") if isinstance(exc, WriteRefused) else self.tr("✘ Failed: %1")
            self.result_text = prefix.replace("%1", str(exc))
        finally:
            self.busy = False
            self.editors.setEnabled(True)
            self._update()

    async def _enable_writes(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Enable writes"),
                          self.tr("Enable writes to %1? Values written change the device.")
                          .replace("%1", self.ref.device),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.enable_box = box
        if await run_dialog(box) == QMessageBox.StandardButton.Yes:
            self.workspace.enable_writes(self.ref.device, True)

    def _on_writes_changed(self, device_id: str, _enabled: bool) -> None:
        if device_id == self.ref.device:
            self._update()

    # -- showing -----------------------------------------------------------------------------------

    def _shown(self, value: Any) -> str:
        target = self.target
        if target is not None and target.names and not isinstance(value, list):
            name = target.names.get(value)
            if name:
                return f"{name} ({format_value(value)})"
        text = format_value(value, target.data_type if target else "")
        unit = target.unit if target else ""
        return f"{text} {unit}" if unit and text else text

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Write %1").replace("%1", str(self.ref)))
        labels = [self.tr("Tag"), self.tr("Device"), self.tr("Data type"), self.tr("Unit"), self.tr("Limits"),
                  self.tr("Current value"), self.tr("New value")]
        for caption, text in zip(self._captions, labels, strict=True):
            caption.setText(text)
        self.write_button.setText(self.tr("Write…"))
        self.confirm_write.setText(self.tr("Write"))
        self.confirm_cancel.setText(self.tr("Cancel"))
        self.enable_button.setText(self.tr("Enable writes for %1…").replace("%1", self.ref.device))
        self._update()

    def _update(self, *_: object) -> None:
        target = self.target
        self.tag_label.setText(self.ref.tag)
        self.device_label.setText(self.ref.device)
        self.type_label.setText(target.data_type if target else "")
        self.unit_label.setText(target.unit if target else "")
        self.limits_label.setText(self._limits_text())
        self.old_label.setText(self._old_text())
        enabled = self.writes_enabled()
        self.writes_label.setVisible(not enabled)
        self.enable_button.setVisible(not enabled)
        self.writes_label.setText(self.tr("Writes to %1 are disabled. Enable them in the Devices view "
                                          "(Device ▸ Enable writes).").replace("%1", self.ref.device))
        self.check_label.setText(self._check_text())
        self.confirm_label.setText(self._confirm_text())
        self.result_label.setText(self.tr("Writing…") if self.busy else self.result_text)
        self.result_label.setVisible(self.busy or bool(self.result_text))
        self.write_button.setEnabled(self.can_write() and not self.confirming)
        self.write_button.setDefault(not self.confirming)
        self.close_button.setEnabled(True)

    def _limits_text(self) -> str:
        target = self.target
        if target is None or target.limits is None:
            return self.tr("none")
        lo, hi = target.limits
        return f"{lo:g} … {hi:g}" + (f" {target.unit}" if target.unit else "")

    def _old_text(self) -> str:
        if self.old is None:
            return self.tr("reading…") if not self.problem and self.workspace.handle(self.ref.device) \
                else self.tr("not read (the device is not connected)")
        quality = {Quality.GOOD: self.tr("good"), Quality.UNCERTAIN: self.tr("uncertain")}.get(
            self.old.quality, self.tr("bad"))
        parts = [self._shown(self.old.value), quality, format_time(self.old.source_time)]
        if self.old.status:
            parts.append(self.old.status)
        return " · ".join(part for part in parts if part)

    def _check_text(self) -> str:
        if self.problem:
            return "✘ " + self.problem
        target = self.target
        if target is None:
            return self.tr("Reading the tag…")
        if target.kind is EditorKind.STRUCTURE:
            return self.tr("Writing structures (%1) is not supported by the driver: the value is shown only.") \
                .replace("%1", target.data_type or "?")
        value, why = self.checked_value()
        if why:
            return "✘ " + why
        if target.limits is not None and isinstance(value, int | float) and not isinstance(value, bool):
            lo, hi = target.limits
            return self.tr("✔ %1 within %2…%3").replace("%1", self._shown(value)).replace("%2", f"{lo:g}") \
                .replace("%3", f"{hi:g}")
        return self.tr("✔ %1 fits %2").replace("%1", self._shown(value)).replace("%2", target.data_type)

    def _confirm_text(self) -> str:
        if not self.confirming:
            return ""
        value, _ = self.checked_value()
        was = self._shown(self.old.value) if self.old is not None else self.tr("not read")
        return self.tr("Write %1 to %2 (was %3)?").replace("%1", self._shown(value)).replace("%2", str(self.ref)) \
            .replace("%3", was)

    # -- Qt ----------------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.confirming:
            self.cancel_confirmation()  # Esc cancels the step at hand: first the confirmation
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _closed(self, _result: int) -> None:
        # A write under way is left to finish (it is audited either way): cancelling it could stop
        # between the write and its read-back. Only the reading is given up.
        self.workspace.writes_changed.disconnect(self._on_writes_changed)
        self._loading.cancel()
