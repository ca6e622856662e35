"""The attributes and references of the node selected in the address-space tree.

:meth:`NodeDetailsView.show_node` reads everything about the node in one Browse and one Read on
the device loop (:func:`device_browser.opcua.ua_nodes.read_node`); while a Variable is shown its
Value, StatusCode and timestamps are read again every second (only while the view is visible).
Attribute names are the OPC UA specification's, as every OPC UA tool shows them; values are in
words (types by name, access levels spelled out, enumerations as ``Running (0)``).
"""

from __future__ import annotations

import asyncio

from qtpy.QtCore import QEvent, Qt, QTimer
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.host import SessionHandle
from device_browser.opcua import ua_nodes
from device_browser.session import DeviceError
from device_browser.ui.icons import node_class_icon

VALUE_REFRESH_MS = 1000


class NodeDetailsView(QWidget):
    """Attributes pane over references pane of one node, with a refresh button (F5)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.handle: SessionHandle | None = None
        self.tag = ""
        self.details: ua_nodes.NodeDetails | None = None
        self._task: asyncio.Future[None] | None = None
        self._value_task: asyncio.Future[None] | None = None
        self.title = QLabel(self)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.refresh_button = QToolButton(self)
        self.refresh_button.setShortcut(QKeySequence("F5"))
        self.refresh_button.clicked.connect(self.refresh)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.attributes = self._table(2)
        self.references = self._table(5)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.attributes)
        splitter.addWidget(self.references)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(VALUE_REFRESH_MS)
        self.timer.timeout.connect(self._refresh_value)
        self._retranslate()

    def _table(self, columns: int) -> QTreeWidget:
        table = QTreeWidget(self)
        table.setColumnCount(columns)
        table.setRootIsDecorated(False)
        table.setAlternatingRowColors(True)
        table.setWordWrap(True)
        table.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.header().setStretchLastSection(True)
        table.setColumnWidth(0, 190)
        return table

    def _retranslate(self) -> None:
        self.refresh_button.setText(self.tr("Refresh"))
        self.refresh_button.setToolTip(self.tr("Read the node again (F5)"))
        self.attributes.setHeaderLabels([self.tr("Attribute"), self.tr("Value")])
        self.references.setHeaderLabels([self.tr("Reference"), self.tr("Direction"), self.tr("Target"),
                                         self.tr("Target NodeId"), self.tr("Target node class")])
        if not self.tag:
            self.title.setText(self.tr("Select a node in the address space to see its attributes."))
        if self.details is not None:
            self._fill_references(self.details)

    # -- showing a node --------------------------------------------------------------------------

    def show_node(self, handle: SessionHandle, tag: str) -> None:
        """Read and show the node ``tag`` of ``handle``'s server (the previous read is abandoned)."""
        self.handle, self.tag = handle, tag
        self.title.setText(tag)
        self.timer.stop()
        self._cancel()
        self._task = asyncio.ensure_future(self._load(handle, tag))

    def refresh(self) -> None:
        if self.handle is not None and self.tag:
            self.show_node(self.handle, self.tag)

    def clear(self) -> None:
        """Show nothing (the device disconnected)."""
        self._cancel()
        self.timer.stop()
        self.handle, self.tag, self.details = None, "", None
        self.attributes.clear()
        self.references.clear()
        self.message.hide()
        self._retranslate()

    def _cancel(self) -> None:
        for task in (self._task, self._value_task):
            if task is not None and not task.done():
                task.cancel()
        self._task = self._value_task = None

    async def _load(self, handle: SessionHandle, tag: str) -> None:
        try:
            details = await handle.host.call(ua_nodes.read_node, handle.session, tag)
        except DeviceError as exc:
            self.details = None
            self.attributes.clear()
            self.references.clear()
            self._say(str(exc))
            return
        self.details = details
        self._say("")
        item = next((text for name, text in details.attributes if name == "DisplayName"), tag)
        self.title.setText(item)
        self.attributes.clear()
        for name, text in details.attributes:
            QTreeWidgetItem(self.attributes, [name, text]).setToolTip(1, text)
        self._fill_references(details)
        if details.node_class == "Variable" and self.isVisible():
            self.timer.start()

    def _fill_references(self, details: ua_nodes.NodeDetails) -> None:
        self.references.clear()
        forward, inverse = self.tr("Forward"), self.tr("Inverse")
        for ref in details.references:
            row = QTreeWidgetItem(self.references, [ref.reference_type, forward if ref.forward else inverse,
                                                    ref.target_name, ref.target_tag, ref.target_class])
            row.setIcon(2, node_class_icon(ref.target_class))

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def attribute(self, name: str) -> str:
        """The text shown for attribute ``name`` ("" if not shown)."""
        for row in range(self.attributes.topLevelItemCount()):
            item = self.attributes.topLevelItem(row)
            if item.text(0) == name:
                return item.text(1)
        return ""

    # -- the value, while shown ------------------------------------------------------------------

    def _refresh_value(self) -> None:
        if self.handle is None or self.details is None or (self._value_task and not self._value_task.done()):
            return  # a read still on its way (a slow server): no second one behind it
        self._value_task = asyncio.ensure_future(self._read_value(self.handle, self.details))

    async def _read_value(self, handle: SessionHandle, details: ua_nodes.NodeDetails) -> None:
        try:
            dv = await handle.host.call(ua_nodes.read_value, handle.session, details.tag)
        except DeviceError as exc:
            self._say(str(exc))
            return
        if details is not self.details:
            return
        self._say("")
        rows = dict(ua_nodes.value_rows(dv, details.enum_names))
        for row in range(self.attributes.topLevelItemCount()):
            item = self.attributes.topLevelItem(row)
            if item.text(0) in rows:
                item.setText(1, rows[item.text(0)])

    def showEvent(self, event: QEvent) -> None:
        super().showEvent(event)
        if self.details is not None and self.details.node_class == "Variable":
            self.timer.start()

    def hideEvent(self, event: QEvent) -> None:
        self.timer.stop()  # a hidden pane reads nothing
        super().hideEvent(event)

    def closeEvent(self, event: QEvent) -> None:
        self._cancel()
        super().closeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
