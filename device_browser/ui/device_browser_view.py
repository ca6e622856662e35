"""The device browser: the tags of the workspace's active device, as its protocol shows them.

An OPC UA device shows its address space (tree) beside the selected node's attributes,
references and events; a Modbus device shows the register workbench (register map with live
values, range reader with the interpret-as view, traffic monitor). One page is kept per device
while the project is open, so switching devices keeps each one's expanded tree and edits.
Everything a page asks for — watch these tags, trend this history, save this map — goes to the
:class:`~device_browser.workspace.DeviceWorkspace`, never to another view.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from qtpy.QtCore import QEvent, Qt, QTimer
from qtpy.QtWidgets import QLabel, QSplitter, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from device_browser.connect import profile_from_register_map, register_map
from device_browser.modbus.registers import RegisterMap
from device_browser.profiles import DeviceProfile, Point
from device_browser.session import ConnectionState, DeviceError
from device_browser.tags import TagRef
from device_browser.ui.address_space import AddressSpaceView
from device_browser.ui.events_view import EventsView
from device_browser.ui.node_details import NodeDetailsView
from device_browser.ui.register_workbench import RegisterWorkbench
from device_browser.ui.save_profile_dialog import SaveProfileDialog
from device_browser.ui.tasks import TaskSet
from device_browser.workspace import DeviceWorkspace

log = logging.getLogger(__name__)

HISTORY_S = 3600  # a history read asks for the last hour: what a commissioning check looks back on
MAP_SAVE_DELAY_MS = 1500  # edits of the register map are saved once typing pauses


class OpcUaPage(QSplitter):
    """Address-space tree | attributes and references, events."""

    def __init__(self, workspace: DeviceWorkspace, device_id: str, parent: QWidget | None = None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.workspace, self.device_id = workspace, device_id
        self.tree = AddressSpaceView(device_id, None, self)
        self.details = NodeDetailsView(self)
        self.events = EventsView(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.details, "")
        self.tabs.addTab(self.events, "")
        self.addWidget(self.tree)
        self.addWidget(self.tabs)
        self.setStretchFactor(0, 2)
        self.setStretchFactor(1, 3)
        self.setSizes([400, 600])  # names like DischargePressure fit; the attribute values get the rest
        self.tree.node_selected.connect(self._show_node)
        self.tree.watch_requested.connect(self._watch)
        self.tree.history_requested.connect(self._history)
        self.tree.events_requested.connect(self._events)
        self.tree.save_profile_requested.connect(self._save_profile)
        self.retranslate()

    def set_handle(self, handle) -> None:
        if handle is not self.tree.handle:
            self.tree.set_handle(handle)

    def _show_node(self, tag: str) -> None:
        if self.tree.handle is not None:
            self.details.show_node(self.tree.handle, tag)

    def _ref(self, tag: str) -> TagRef:
        return TagRef(self.device_id, address=tag)

    def _watch(self, tags: list[str]) -> None:
        self.workspace.watch.extend(self._ref(tag) for tag in tags)

    def _history(self, tag: str) -> None:
        now = time.time_ns()
        spawn(self.workspace.read_history(self._ref(tag), now - HISTORY_S * 1_000_000_000, now), self.details)

    def _events(self, tag: str) -> None:
        if self.tree.handle is not None:
            self.events.show_source(self.tree.handle, tag)
            self.tabs.setCurrentWidget(self.events)

    def _save_profile(self, items: list) -> None:
        dialog = SaveProfileDialog(self.workspace, self.device_id, items, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def retranslate(self) -> None:
        self.tabs.setTabText(0, self.tr("Attributes"))
        self.tabs.setTabText(1, self.tr("Events"))


class ModbusPage(RegisterWorkbench):
    """The register workbench of one device; map edits are saved to its profile."""

    def __init__(self, workspace: DeviceWorkspace, device_id: str, registers: RegisterMap,
                 parent: QWidget | None = None):
        super().__init__(device_id, None, registers, workspace.bus, parent)
        self.workspace = workspace
        self.registers.model.bus_key = lambda tag: f"{device_id}/{tag.name}"  # the workspace bus keys
        self.registers.watch_requested.connect(
            lambda names: workspace.watch.extend(TagRef(device_id, point=name) for name in names))
        self._edited: RegisterMap | None = None
        self.save_timer = QTimer(self)
        self.save_timer.setSingleShot(True)
        self.save_timer.setInterval(MAP_SAVE_DELAY_MS)
        self.save_timer.timeout.connect(self._save)
        self.registers.map_changed.connect(self._map_changed)

    def _map_changed(self, registers: RegisterMap) -> None:
        self._edited = registers
        self.save_timer.start()

    def _save(self) -> None:
        if self._edited is not None:
            spawn(self.save_map(self._edited), self)
            self._edited = None

    async def save_map(self, registers: RegisterMap) -> None:
        """Write the map into the device's profile; a connected device reconnects with it."""
        entry = self.workspace.entry(self.device_id)
        old = entry.profile
        profile = profile_from_register_map(registers, old.id, old.nameplate, old.connection)
        profile.title, profile.description = old.title, old.description
        profile.points = [_keep_what_the_map_lacks(point, old) for point in profile.points]
        connected = self.workspace.handle(self.device_id) is not None
        await self.workspace.save_profile(profile, replacing=self.device_id)
        log.info("The register map of %s is saved to %s", self.device_id, entry.path.name)
        if connected:
            await self.workspace.connect(self.device_id)


def _keep_what_the_map_lacks(point: Point, old: DeviceProfile) -> Point:
    """A point rebuilt from the register map, with what the map does not hold taken from the profile:
    the Chinese description, the range and the sampling interval (an edit must lose nothing)."""
    try:
        before = old.point(point.name)
    except DeviceError:
        return point
    return replace(point, description={**before.description, "en": point.description.get("en", "")},
                   range=before.range, interval_ms=before.interval_ms)


class DeviceBrowserView(QWidget):
    """The page of the workspace's active device, or a sentence saying what to do."""

    def __init__(self, workspace: DeviceWorkspace, parent: QWidget | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.pages: dict[str, QWidget] = {}
        self.stack = QStackedWidget(self)
        self.empty = QLabel(self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)
        self.empty.setMargin(12)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        workspace.active_changed.connect(self._show)
        workspace.status_changed.connect(self._status)
        workspace.devices_changed.connect(self._devices_changed)
        self._retranslate()
        self._show(workspace.active)

    def page(self, device_id: str) -> QWidget | None:
        return self.pages.get(device_id)

    def _show(self, device_id: str) -> None:
        previous = self.stack.currentWidget()
        if isinstance(previous, ModbusPage) and previous.device_id != device_id:
            self.workspace.watch_all_points(previous.device_id, False)
        if not device_id:
            self.stack.setCurrentWidget(self.empty)
            return
        page = self.pages.get(device_id) or self._make_page(device_id)
        if page is None:
            self.stack.setCurrentWidget(self.empty)
            return
        if isinstance(page, ModbusPage):
            self.workspace.watch_all_points(device_id, True)
        self._attach(device_id)
        self.stack.setCurrentWidget(page)

    def _make_page(self, device_id: str) -> QWidget | None:
        try:
            entry = self.workspace.entry(device_id)
        except DeviceError:
            return None
        if entry.profile is None:
            return None
        if entry.protocol == "opcua":
            page: QWidget = OpcUaPage(self.workspace, device_id, self)
        else:
            page = ModbusPage(self.workspace, device_id, register_map(entry.profile), self)
        self.pages[device_id] = page
        self.stack.addWidget(page)
        return page

    def _attach(self, device_id: str) -> None:
        """Give the page its session once the device is connected (None while it is not)."""
        page = self.pages.get(device_id)
        if page is None:
            return
        handle = self.workspace.handle(device_id)
        connected = handle is not None and self.workspace.entry(device_id).status.state in (
            ConnectionState.CONNECTED, ConnectionState.RECONNECTING)
        page.set_handle(handle if connected else None)

    def _status(self, device_id: str, _status: object) -> None:
        self._attach(device_id)

    def _devices_changed(self) -> None:
        # A project was opened or a profile changed: pages of devices that are gone or whose profile
        # was rewritten are made again on demand.
        for device_id in list(self.pages):
            try:
                entry = self.workspace.entry(device_id)
            except DeviceError:
                entry = None
            page = self.pages[device_id]
            stale = entry is None or (isinstance(page, ModbusPage) and page._edited is None
                                      and page.registers.register_map() != register_map(entry.profile))
            if stale:
                self.stack.removeWidget(page)
                page.deleteLater()
                del self.pages[device_id]
        self._show(self.workspace.active)

    def _retranslate(self) -> None:
        self.empty.setText(self.tr("Choose a device in the Devices view (Enter) to browse its tags here."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            for page in self.pages.values():
                if isinstance(page, OpcUaPage):
                    page.retranslate()
        super().changeEvent(event)


_tasks = TaskSet()


def spawn(work: Coroutine[Any, Any, object], where: QWidget) -> asyncio.Task:
    """Run ``work`` on the loop; a DeviceError is logged as a warning (the Log panel shows it)."""
    return _tasks.spawn_guarded(work, type(where).__name__)
