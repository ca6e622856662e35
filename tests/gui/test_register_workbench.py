"""The Modbus register workbench against `millwright simulate modbus` in its own process, through a DeviceHost:
the range reader, the interpret-as view, exceptions in words, the traffic monitor, and the map's edits."""

from __future__ import annotations

import struct

import pytest
from qtpy.QtCore import Qt
from qtpy.QtGui import QGuiApplication

from device_browser.bus import LiveBus
from device_browser.host import DeviceHost
from device_browser.modbus.registers import Area, ByteOrder, DataType
from device_browser.simulators.modbus import SIMULATOR_MAP
from device_browser.ui.register_table import Column
from device_browser.ui.register_workbench import RegisterWorkbench
from device_browser.urls import modbus_session_from_url
from tests.gui.conftest import run, until
from tests.simulator_process import SimulatorProcess

DEADLINE = 30.0
LIMIT = 12.5  # written to pressure_limit (40016, FLOAT32) in CDAB order: only the CDAB column reads it


@pytest.fixture
def simulator(tmp_path, free_tcp_port):
    process = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def host():
    device_host = DeviceHost()
    yield device_host
    device_host.close()


@pytest.fixture
def workbench(qtbot):
    def make(handle=None, bus=None) -> RegisterWorkbench:
        view = RegisterWorkbench("pump_station", handle, SIMULATOR_MAP, bus)
        qtbot.addWidget(view)
        view.resize(1280, 800)
        view.show()
        return view

    return make


def test_reader_interpret_and_traffic_against_the_simulator(loop, simulator, host, workbench, qtbot):
    async def connect():
        handle = await host.open(lambda: modbus_session_from_url(simulator.url))
        await handle.connect()
        await handle.write("hr:15:float32:CDAB", LIMIT)
        return handle

    handle = run(loop, connect(), timeout=DEADLINE)
    view = workbench(handle)
    reader, interpret = view.reader, view.interpret
    view.tabs.setCurrentIndex(1)

    reader.start_edit.setText("40016")
    reader.count_box.setValue(2)
    assert run(loop, reader.read_once(), timeout=DEADLINE)
    expected = struct.unpack(">2H", struct.pack(">f", LIMIT))
    assert reader.model.values == [expected[1], expected[0]]  # CDAB: the low word first
    assert reader.model.text(0, 0) == "40016" and reader.model.text(0, 1) == "hr:15"
    assert reader.model.text(1, 3) == f"0x{expected[0]:04X}"
    assert reader.model.text(1, 4) == f"{expected[0] >> 8:08b} {expected[0] & 0xFF:08b}"

    # The whole range went to the interpret-as view: 12.5 in CDAB only, the ABCD reading dimmed.
    assert (interpret.start_address, interpret.area, interpret.registers) == (15, Area.HOLDING_REGISTER,
                                                                              reader.model.values)
    assert interpret.cell(0, DataType.FLOAT32, ByteOrder.CDAB) == "12.5"
    assert not interpret.is_dimmed(0, DataType.FLOAT32, ByteOrder.CDAB)
    assert interpret.is_dimmed(0, DataType.FLOAT32, ByteOrder.ABCD)
    chosen = []
    interpret.interpretation_chosen.connect(lambda *args: chosen.append(args))
    interpret.table.setCurrentItem(interpret._cell_item(0, DataType.FLOAT32, ByteOrder.CDAB))
    qtbot.keyClick(interpret.table, Qt.Key.Key_Return)
    assert chosen == [(15, "float32", "CDAB")]

    # The simulator's hole at 40026–40030 answers "Illegal data address", shown in words.
    reader.start_edit.setText("hr25")
    reader.count_box.setValue(3)
    assert not run(loop, reader.read_once(), timeout=DEADLINE)
    assert reader.status.text() == "Illegal data address (exception 2) at 40026–40028"
    reader.start_edit.setText("30001")  # the manual form picks its own area
    assert run(loop, reader.read_once(), timeout=DEADLINE)
    assert reader.area is Area.INPUT_REGISTER and len(reader.model.values) == 3

    # The traffic monitor saw the write, the three reads and the exception.
    view.tabs.setCurrentIndex(2)
    monitor = view.traffic_view
    run(loop, until(lambda: monitor.tick() or monitor.model.rowCount() >= 3, timeout=DEADLINE))
    texts = [[monitor.model.text(row, column) for column in range(9)] for row in range(monitor.model.rowCount())]
    assert [row[1] for row in texts] == ["03 read holding registers", "03 read holding registers",
                                         "04 read input registers"]
    assert texts[0][3] == "40016 (hr:15)" and texts[0][4] == "2" and texts[0][6] == "OK"
    assert texts[1][6] == "Illegal data address (exception 2)" and texts[1][8].split()[7] == "83"
    assert "3 requests, 1 exceptions, 0 timeouts" in monitor.totals.text()
    monitor.set_paused(True)
    assert run(loop, reader.read_once(), timeout=DEADLINE)
    monitor.tick()
    assert monitor.model.rowCount() == 3 and view.traffic.totals().requests == 4  # paused: the log goes on
    monitor.set_paused(False)
    assert monitor.model.rowCount() == 4
    monitor.table.selectAll()
    qtbot.keyClick(monitor.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().text().splitlines()
    assert len(copied) == 5 and copied[2].split("\t")[6] == "Illegal data address (exception 2)"
    view.set_handle(None)
    assert handle.session.traffic is None


def test_the_map_shows_live_values_and_refuses_a_bad_edit_naming_the_row(workbench, qtbot, tmp_path):
    bus = LiveBus(capacity=8)
    view = workbench(bus=bus)
    table = view.registers
    model = table.model
    changes = []
    table.map_changed.connect(changes.append)
    row = next(i for i, tag in enumerate(model.tags) if tag.name == "flow_cdab")
    assert model.text(row, Column.MANUAL) == "40101" and model.text(row, Column.ORDER) == "CDAB"
    bus.publish("flow_cdab", 1, 123.25, 0)
    table.refresher.tick()
    table.table.scrollTo(model.index(row, 0))
    qtbot.waitUntil(lambda: model.text(row, Column.VALUE) == "123.25", timeout=5000)
    assert model.text(row, Column.QUALITY) == "good"

    assert not model.setData(model.index(row, Column.TYPE), "bool")  # bool is for coils
    assert table.message_text().startswith(f"Row {row + 1} (flow_cdab) not changed: ")
    assert not model.setData(model.index(row, Column.SCALE), "ten")
    assert "'ten' is not a number" in table.message_text()
    assert not model.setData(model.index(row, Column.NAME), "flow")
    assert "the name 'flow' is used in row 1 already" in table.message_text()
    assert changes == [] and model.tags[row].data_type is DataType.FLOAT32

    assert model.setData(model.index(row, Column.MANUAL), "40111")
    assert table.message_text() == "" and model.tags[row].address == 110
    assert changes[-1]["flow_cdab"].address == 110

    path = tmp_path / "map.csv"
    assert table.export_csv(path)
    path.write_text(path.read_text(encoding="utf-8-sig").replace("float32", "floot32", 1), encoding="utf-8")
    assert not table.import_csv(path)
    assert table.message_text().startswith("map.csv line 2, data_type: 'floot32' is not a data type")

    watched = []
    table.watch_requested.connect(watched.append)
    table.table.selectRow(row)
    qtbot.keyClick(table.table, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert watched == [["flow_cdab"]]
