"""A form to call an OPC UA method: one typed field per declared input argument, the outputs in words.

The dialog reads the method's InputArguments and OutputArguments on the device loop
(:func:`device_browser.opcua.ua_nodes.method_arguments`) and builds a field per input: a spin box
with the type's range for small integer types, a check box for Boolean, a combo box for an
enumeration, a line edit for everything else (numbers are checked by the driver, which names
the argument in its refusal). Call runs ``handle.call`` off the UI thread; a refusal or a bad
status is shown in words. Enter calls. Open it with ``open()`` (never ``exec()`` inside a coroutine).
"""

from __future__ import annotations

import asyncio
from typing import Any

from asyncua import ua
from qtpy.QtCore import QEvent, Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.host import SessionHandle
from device_browser.opcua.ua_nodes import ArgumentSpec, describe_value, method_arguments
from device_browser.session import DeviceError

# Integer types a QSpinBox (a C int) can hold whole.
_SPIN_RANGES = {
    ua.VariantType.SByte: (-(2**7), 2**7 - 1),
    ua.VariantType.Byte: (0, 2**8 - 1),
    ua.VariantType.Int16: (-(2**15), 2**15 - 1),
    ua.VariantType.UInt16: (0, 2**16 - 1),
    ua.VariantType.Int32: (-(2**31), 2**31 - 1),
}


class MethodCallDialog(QDialog):
    """Call ``method_tag`` on ``object_tag`` of ``handle``'s server with typed arguments."""

    def __init__(self, handle: SessionHandle, object_tag: str, method_tag: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.handle, self.object_tag, self.method_tag = handle, object_tag, method_tag
        self.inputs: list[ArgumentSpec] = []
        self.outputs: list[ArgumentSpec] = []
        self.fields: list[QWidget] = []
        self.results: list[Any] | None = None  # the outputs of the last successful call
        self._task: asyncio.Future[None] | None = None
        self.heading = QLabel(method_tag, self)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form = QFormLayout()
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.output_table = QTreeWidget(self)
        self.output_table.setColumnCount(3)
        self.output_table.setRootIsDecorated(False)
        self.output_table.hide()
        self.buttons = QDialogButtonBox(self)
        self.call_button = QPushButton(self)
        self.call_button.setDefault(True)  # Enter calls
        self.call_button.setEnabled(False)
        self.buttons.addButton(self.call_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setAutoDefault(False)
        self.call_button.clicked.connect(self.call)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.output_table, 1)
        layout.addWidget(self.buttons)
        self.resize(520, 360)
        self._retranslate()
        self._say(self.tr("Reading the method's arguments…"))
        self._task = asyncio.ensure_future(self._load())
        self.finished.connect(self._cancel)

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Call method"))
        self.call_button.setText(self.tr("Call"))
        self.output_table.setHeaderLabels([self.tr("Output"), self.tr("Type"), self.tr("Value")])

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;" if error else "")
        self.message.setVisible(bool(text))

    def _cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    @property
    def busy(self) -> bool:
        """The arguments are being read or a call is on its way."""
        return self._task is not None and not self._task.done()

    # -- the fields ------------------------------------------------------------------------------

    async def _load(self) -> None:
        handle = self.handle
        try:
            self.inputs, self.outputs = await handle.host.call(method_arguments, handle.session, self.method_tag)
        except DeviceError as exc:
            self._say(str(exc), error=True)
            return
        for spec in self.inputs:
            field = self._field(spec)
            field.setToolTip(spec.description)
            label = QLabel(f"{spec.name} ({spec.data_type or '?'})", self)
            label.setToolTip(spec.description)
            label.setBuddy(field)
            self.fields.append(field)
            self.form.addRow(label, field)
        if self.fields:
            self.fields[0].setFocus()
        self._say("" if self.inputs else self.tr("This method takes no arguments."))
        self.call_button.setEnabled(True)

    def _field(self, spec: ArgumentSpec) -> QWidget:
        scalar = spec.value_rank < 0
        if spec.enum_names and scalar:
            combo = QComboBox(self)
            for value, name in sorted(spec.enum_names.items()):
                combo.addItem(f"{name} ({value})", value)
            return combo
        if spec.variant_type == ua.VariantType.Boolean and scalar:
            return QCheckBox(self)
        if spec.variant_type in _SPIN_RANGES and scalar:
            spin = QSpinBox(self)
            spin.setRange(*_SPIN_RANGES[spec.variant_type])
            return spin
        edit = QLineEdit(self)
        if not scalar:
            edit.setPlaceholderText(self.tr("values separated by commas"))
        elif spec.variant_type in (ua.VariantType.Float, ua.VariantType.Double):
            edit.setText("0")
        return edit

    @staticmethod
    def field_value(field: QWidget, spec: ArgumentSpec) -> Any:
        """What ``field`` holds, as the driver takes it (it converts to the declared type)."""
        if isinstance(field, QComboBox):
            return field.currentData()
        if isinstance(field, QCheckBox):
            return field.isChecked()
        if isinstance(field, QSpinBox):
            return field.value()
        text = field.text()
        if spec.value_rank >= 0:
            return [part.strip() for part in text.split(",") if part.strip()]
        return text

    # -- calling ---------------------------------------------------------------------------------

    def call(self) -> None:
        """Call the method with the fields' values; the outputs or the refusal appear below the form."""
        if self.busy or not self.call_button.isEnabled():
            return
        args = [self.field_value(f, s) for f, s in zip(self.fields, self.inputs, strict=True)]
        self.call_button.setEnabled(False)
        self._say(self.tr("Calling…"))
        self._task = asyncio.ensure_future(self._call(args))

    async def _call(self, args: list[Any]) -> None:
        try:
            results = await self.handle.call(self.object_tag, self.method_tag, args)
        except DeviceError as exc:
            self._say(str(exc), error=True)
            return
        finally:
            self.call_button.setEnabled(True)
        self.results = results
        self._say(self.tr("Called.") if results else self.tr("Called; the method returns no outputs."))
        self.output_table.clear()
        for k, value in enumerate(results):
            spec = self.outputs[k] if k < len(self.outputs) else None
            QTreeWidgetItem(self.output_table, [
                spec.name if spec else str(k + 1), spec.data_type if spec else "",
                describe_value(value, spec.enum_names if spec else None)])
        self.output_table.setVisible(bool(results))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
