"""The Modbus register workbench: the register map, the range reader with its interpret-as view, and the traffic.

One widget for a Modbus device, in three tabs: **Register map** (:class:`RegisterTable`),
**Range reader** (:class:`RangeReader` beside :class:`InterpretView`; the registers selected in
the reader are interpreted as every type and byte order) and **Traffic**
(:class:`TrafficView`). The workbench attaches its :class:`TrafficLog` to the device's session
while it shows that session, and detaches it for another (or none), so a session without a
monitor records nothing.

Run standalone against a simulator: ``python -m device_browser.ui.register_workbench``.
"""

from __future__ import annotations

from qtpy.QtCore import QEvent, Qt
from qtpy.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from device_browser.bus import LiveBus
from device_browser.host import SessionHandle
from device_browser.modbus.registers import Area, RegisterMap
from device_browser.modbus.traffic import TrafficLog
from device_browser.ui.interpret_view import InterpretView
from device_browser.ui.range_reader import RangeReader
from device_browser.ui.register_table import RegisterTable
from device_browser.ui.traffic_view import TrafficView


class RegisterWorkbench(QWidget):
    """Register map, range reader + interpret-as view, and traffic monitor of one Modbus device.

    ``handle`` is the device's session (None while disconnected: the map still edits, the
    reader waits); ``bus`` carries the live values the map shows. The parts are attributes
    (``registers``, ``reader``, ``interpret``, ``traffic_view``) for the caller to connect their
    signals: ``registers.map_changed``, ``registers.watch_requested``, ``interpret.interpretation_chosen``.
    """

    def __init__(self, device_id: str, handle: SessionHandle | None, registers: RegisterMap,
                 bus: LiveBus | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.device_id = device_id
        self.handle: SessionHandle | None = None
        self.traffic = TrafficLog()
        self.registers = RegisterTable(device_id, registers, bus, self)
        self.reader = RangeReader(None, self)
        self.interpret = InterpretView(self)
        self.traffic_view = TrafficView(self.traffic, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.reader)
        splitter.addWidget(self.interpret)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([450, 830])  # the reader's binary column fits at 1280 px
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.registers, "")
        self.tabs.addTab(splitter, "")
        self.tabs.addTab(self.traffic_view, "")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.reader.registers_selected.connect(self._interpret)
        self.set_handle(handle)
        self.retranslate()

    def set_handle(self, handle: SessionHandle | None) -> None:
        """Read from and monitor ``handle`` from now on (None: disconnected)."""
        if self.handle is not None and getattr(self.handle.session, "traffic", None) is self.traffic:
            self.handle.session.traffic = None  # one attribute: the device thread sees it at its next request
        self.handle = handle
        if handle is not None and hasattr(handle.session, "traffic"):
            handle.session.traffic = self.traffic
        self.reader.set_handle(handle)

    def set_bus(self, bus: LiveBus | None) -> None:
        self.registers.set_bus(bus)

    def _interpret(self, start: int, area: str, registers: list[int]) -> None:
        self.interpret.show_registers(start, Area(area), registers)

    def retranslate(self) -> None:
        for index, text in enumerate((self.tr("Register map"), self.tr("Range reader"), self.tr("Traffic"))):
            self.tabs.setTabText(index, text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _preview() -> None:  # pragma: no cover - a manual check: python -m device_browser.ui.register_workbench
    import asyncio
    import sys

    import qasync
    from qtpy.QtWidgets import QApplication

    from device_browser.host import DeviceHost
    from device_browser.modbus.client import ModbusSession
    from device_browser.simulators.modbus import SIMULATOR_MAP, start_simulator

    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    host = DeviceHost()

    async def start() -> RegisterWorkbench:
        simulator = await host.call(start_simulator, "127.0.0.1", 0)
        handle = await host.open(lambda: ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=simulator.port))
        await handle.connect()
        bus = LiveBus(capacity=64)
        await handle.subscribe([tag.name for tag in SIMULATOR_MAP], 500, bus)
        view = RegisterWorkbench("pump_station", handle, SIMULATOR_MAP, bus)
        view.resize(1280, 800)
        view.show()
        return view

    app.lastWindowClosed.connect(loop.stop)
    with loop:
        view = loop.run_until_complete(start())  # noqa: F841 (kept alive while the window is open)
        loop.run_forever()
    host.close()


if __name__ == "__main__":
    _preview()
