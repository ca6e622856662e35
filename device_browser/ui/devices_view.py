"""The Devices view: the project's devices with their live connection state and counters.

:class:`DevicesModel` adapts a :class:`~device_browser.workspace.DeviceWorkspace` to a table;
:class:`DevicesView` adds the actions a commissioning engineer needs on a device — connect,
disconnect, add, edit, duplicate, remove, enable writes — with the keyboard as well as the
mouse. Connecting never waits on the UI thread: the workspace runs sessions on its device
thread, and a failure shows as the device's state with the reason, never as a dialog.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from qtpy.QtCore import QAbstractTableModel, QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from qtpy.QtGui import QAction, QColor, QKeySequence
from qtpy.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QMenu,
    QMessageBox,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from device_browser.session import ConnectionState, ConnectionStatus
from device_browser.ui.tasks import TaskSet
from device_browser.workspace import DeviceEntry, DeviceWorkspace

COUNTERS_MS = 1000  # counters change with every request: once a second is enough to read them


class Column(enum.IntEnum):
    DEVICE = 0
    STATE = 1
    PROTOCOL = 2
    ADDRESS = 3
    REQUESTS = 4
    ERRORS = 5
    RECONNECTS = 6


STATE_COLOURS = {ConnectionState.CONNECTED: QColor(46, 160, 67), ConnectionState.CONNECTING: QColor(230, 160, 0),
                 ConnectionState.RECONNECTING: QColor(230, 160, 0), ConnectionState.FAILED: QColor(215, 45, 45),
                 ConnectionState.DISCONNECTED: QColor(128, 128, 128)}
PROTOCOL_NAMES = {"opcua": "OPC UA", "modbus": "Modbus"}


class DevicesModel(QAbstractTableModel):
    """One row per device of the workspace, in id order."""

    def __init__(self, workspace: DeviceWorkspace, parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self._entries: list[DeviceEntry] = workspace.entries
        workspace.devices_changed.connect(self._reset)
        workspace.status_changed.connect(self._status)
        workspace.writes_changed.connect(lambda device_id, _on: self._status(device_id))

    def entry(self, row: int) -> DeviceEntry:
        return self._entries[row]

    def row_of(self, device_id: str) -> int:
        return next((i for i, e in enumerate(self._entries) if e.id == device_id), -1)

    def _reset(self) -> None:
        self.beginResetModel()
        self._entries = self.workspace.entries
        self.endResetModel()

    def _status(self, device_id: str, _status: ConnectionStatus | None = None) -> None:
        row = self.row_of(device_id)
        if row >= 0:
            self._entries[row] = self.workspace.entry(device_id)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))

    def refresh_counters(self) -> None:
        if self._entries:
            self.dataChanged.emit(self.index(0, Column.REQUESTS), self.index(len(self._entries) - 1,
                                                                              Column.RECONNECTS))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return {Column.DEVICE: self.tr("Device"), Column.PROTOCOL: self.tr("Protocol"),
                Column.ADDRESS: self.tr("Address"), Column.STATE: self.tr("State"),
                Column.REQUESTS: self.tr("Requests"), Column.ERRORS: self.tr("Errors"),
                Column.RECONNECTS: self.tr("Reconnects")}[Column(section)]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry, column = self._entries[index.row()], Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(entry, column)
        if role == Qt.ItemDataRole.DecorationRole and column is Column.DEVICE:
            return STATE_COLOURS[ConnectionState.FAILED] if entry.problem else STATE_COLOURS[entry.status.state]
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.problem or entry.status.reason or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= Column.REQUESTS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def text(self, entry: DeviceEntry, column: Column) -> str:
        if column is Column.DEVICE:
            return entry.id + (" ✎" if entry.writes_enabled else "")
        if column is Column.PROTOCOL:
            return PROTOCOL_NAMES.get(entry.protocol, entry.protocol)
        if column is Column.ADDRESS:
            return entry.address
        if column is Column.STATE:
            return self.state_text(entry)
        if entry.status.state is ConnectionState.DISCONNECTED and self.workspace.handle(entry.id) is None:
            return ""
        counters = self.workspace.counters(entry.id)
        return str({Column.REQUESTS: counters.requests, Column.ERRORS: counters.errors,
                    Column.RECONNECTS: counters.reconnects}[column])

    def state_text(self, entry: DeviceEntry) -> str:
        if entry.problem:
            return self.tr("profile not usable: {problem}").format(problem=entry.problem)
        status = entry.status
        if status.state is ConnectionState.CONNECTED:
            return self.tr("connected")
        if status.state is ConnectionState.CONNECTING:
            return self.tr("connecting…")
        if status.state is ConnectionState.RECONNECTING:
            return self.tr("reconnecting (attempt {attempt}): {reason}").format(attempt=status.attempt,
                                                                               reason=status.reason)
        if status.state is ConnectionState.FAILED:
            return self.tr("failed: {reason}").format(reason=status.reason)
        return self.tr("not connected")


class DevicesView(QWidget):
    """The Devices dock: the table, a toolbar, a context menu and a message line.

    Enter or a double click on a device connects it and makes it the workspace's active device,
    whose address space or register map the browser view shows. ``edit_requested(device_id)``
    asks for the device dialog ("" adds a device), ``certificates_requested()`` for the
    certificate manager. The dialogs live with the window,
    which knows the parent and the trust prompt.
    """

    edit_requested = Signal(str)
    certificates_requested = Signal()

    def __init__(self, workspace: DeviceWorkspace, parent: QWidget | None = None, *,
                 decide: Callable[[], Any] | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.decide = decide  # makes the trust prompt for an OPC UA connection (None: unknown certificates refused)
        self._tasks = TaskSet()
        self.model = DevicesModel(workspace, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.activated.connect(lambda index: self.browse(self.model.entry(index.row()).id))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self._build_actions()
        toolbar = QToolBar(self)
        toolbar.setIconSize(toolbar.iconSize() * 0.75)
        for action in (self.add_action, self.connect_action, self.disconnect_action, self.writes_action):
            toolbar.addAction(action)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(toolbar)
        layout.addWidget(self.table)
        layout.addWidget(self.message)
        self.table.selectionModel().currentRowChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self.model.dataChanged.connect(self._update_actions)
        self.timer = QTimer(self)
        self.timer.setInterval(COUNTERS_MS)
        self.timer.timeout.connect(self.model.refresh_counters)
        self._init_columns()
        self.retranslate()
        self._update_actions()

    def _build_actions(self) -> None:
        def action(shortcut: QKeySequence | QKeySequence.StandardKey | None, slot: Callable[[], object],
                   checkable: bool = False) -> QAction:
            made = QAction(self)
            if shortcut is not None:
                made.setShortcut(shortcut)
                made.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            made.setCheckable(checkable)
            made.triggered.connect(slot)
            self.addAction(made)
            return made

        self.connect_action = action(QKeySequence("Ctrl+Return"), lambda: self._on_current(self.connect_device))
        self.disconnect_action = action(QKeySequence("Ctrl+Shift+Return"),
                                        lambda: self._on_current(self.disconnect_device))
        self.add_action = action(QKeySequence("Ins"), lambda: self.edit_requested.emit(""))
        self.edit_action = action(QKeySequence("F2"), lambda: self._on_current(self.edit_requested.emit))
        self.duplicate_action = action(QKeySequence("Ctrl+D"), lambda: self._on_current(self.duplicate))
        self.remove_action = action(QKeySequence(QKeySequence.StandardKey.Delete),
                                    lambda: self._on_current(self.confirm_remove))
        self.writes_action = action(None, lambda: self._on_current(self.toggle_writes), checkable=True)
        self.certificates_action = action(None, self.certificates_requested.emit)

    def retranslate(self) -> None:
        for action, text, tip in (
            (self.connect_action, self.tr("&Connect"), self.tr("Connect to the selected device")),
            (self.disconnect_action, self.tr("&Disconnect"), self.tr("Close the connection to the selected device")),
            (self.add_action, self.tr("&Add device…"), self.tr("Add an OPC UA or Modbus device to the project")),
            (self.edit_action, self.tr("&Edit…"), self.tr("Change the selected device's connection")),
            (self.duplicate_action, self.tr("D&uplicate"), self.tr("Copy the selected device under a new id")),
            (self.remove_action, self.tr("&Remove…"), self.tr("Delete the selected device's profile")),
            (self.writes_action, self.tr("Enable &writes"),
             self.tr("Allow writes to the selected device (off by default for every device)")),
            (self.certificates_action, self.tr("Certi&ficates…"),
             self.tr("Trusted and rejected server certificates, and this workbench's own")),
        ):
            action.setText(text)
            action.setToolTip(tip)
            action.setStatusTip(tip)
        self.table.setToolTip(self.tr("Enter opens the device's tags; the context menu has every action."))

    def _init_columns(self) -> None:
        width = self.table.fontMetrics().averageCharWidth()
        for column, chars in ((Column.DEVICE, 18), (Column.STATE, 14), (Column.PROTOCOL, 8), (Column.ADDRESS, 26),
                              (Column.REQUESTS, 9), (Column.ERRORS, 7), (Column.RECONNECTS, 9)):
            self.table.setColumnWidth(column, chars * width + 12)
        self.model.modelReset.connect(lambda: self.table.resizeColumnToContents(Column.DEVICE))

    # -- the selected device ---------------------------------------------------------------------------

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.entry(index.row()).id if index.isValid() else None

    def select(self, device_id: str) -> None:
        row = self.model.row_of(device_id)
        if row >= 0:
            self.table.setCurrentIndex(self.model.index(row, 0))

    def _on_current(self, act: Callable[[str], object]) -> None:
        device_id = self.current_id()
        if device_id is not None:
            act(device_id)

    def _update_actions(self, *_: object) -> None:
        device_id = self.current_id()
        entry = self.workspace.entry(device_id) if device_id else None
        state = entry.status.state if entry else None
        usable = entry is not None and not entry.problem
        self.connect_action.setEnabled(usable and state in (ConnectionState.DISCONNECTED, ConnectionState.FAILED))
        self.disconnect_action.setEnabled(entry is not None and self.workspace.handle(entry.id) is not None)
        for action in (self.edit_action, self.duplicate_action):
            action.setEnabled(usable)
        self.remove_action.setEnabled(entry is not None)
        self.writes_action.setEnabled(usable)
        self.writes_action.setChecked(bool(entry and entry.writes_enabled))

    # -- actions ---------------------------------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, object]) -> asyncio.Task:
        """Run ``work`` on the loop; a DeviceError shows in the message line, a bug in the log too."""
        return self._tasks.spawn_guarded(work, "Devices view", self.show_message)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def connect_device(self, device_id: str) -> asyncio.Task:
        self.show_message("")
        decide = self.decide() if self.decide else None
        return self.spawn(self.workspace.connect(device_id, decide=decide))

    def disconnect_device(self, device_id: str) -> asyncio.Task:
        return self.spawn(self.workspace.disconnect(device_id))

    def browse(self, device_id: str) -> None:
        """Connect if needed, and ask for the device's tags to be shown."""
        entry = self.workspace.entry(device_id)
        if entry.problem:
            self.show_message(entry.problem)
            return
        if self.workspace.handle(device_id) is None or entry.status.state is ConnectionState.FAILED:
            self.connect_device(device_id)
        self.workspace.active = device_id

    def duplicate(self, device_id: str) -> asyncio.Task:
        profile = self.workspace.entry(device_id).profile
        copy = replace(profile, id=self.workspace.duplicate_id(device_id), source=None)

        async def save() -> None:
            await self.workspace.save_profile(copy)
            self.select(copy.id)

        return self.spawn(save())

    def confirm_remove(self, device_id: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Remove device"),
                          self.tr("Remove '{device}' from the project? Its profile file is deleted.").format(
                              device=device_id),
                          QMessageBox.StandardButton.Cancel, self)
        remove = box.addButton(self.tr("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: button is remove and self.spawn(self.workspace.remove(device_id)))
        box.open()

    def toggle_writes(self, device_id: str) -> None:
        entry = self.workspace.entry(device_id)
        if entry.writes_enabled:
            self.workspace.enable_writes(device_id, False)
            return
        self.writes_action.setChecked(False)  # checked only once the user confirmed
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Enable writes"),
                          self.tr("Allow writes to '{device}'? Each write still asks for confirmation and is "
                                  "recorded in the audit log.").format(device=device_id),
                          QMessageBox.StandardButton.Cancel, self)
        enable = box.addButton(self.tr("Enable writes"), QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: button is enable and self.workspace.enable_writes(device_id, True))
        box.open()

    # -- events ----------------------------------------------------------------------------------------

    def menu_actions(self) -> list[QAction]:
        """The actions in menu order (the context menu, and the window's Device menu)."""
        separator = QAction(self)
        separator.setSeparator(True)
        return [self.connect_action, self.disconnect_action, separator, self.add_action, self.edit_action,
                self.duplicate_action, self.remove_action, separator, self.writes_action, self.certificates_action]

    def _menu(self, position) -> None:
        menu = QMenu(self)
        menu.addActions(self.menu_actions())
        menu.popup(self.table.viewport().mapToGlobal(position))

    def contextMenuEvent(self, event: QEvent) -> None:  # the menu key with the focus on the toolbar
        self._menu(self.table.viewport().mapFromGlobal(event.globalPos()))

    def showEvent(self, event: QEvent) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QEvent) -> None:
        self.timer.stop()
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
            self.model.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(Column) - 1)
        super().changeEvent(event)
