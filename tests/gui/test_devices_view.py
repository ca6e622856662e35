"""The Devices and Watch docks in the window, against a real Modbus simulator process.

Connect from the Devices view with the keyboard, watch tags, see an outage as reconnecting and
the values resume; the window's loop keeps turning while the device is dead (a property: the
longest gap of a 10 ms Qt timer stays under a second, not a rate).
"""

from __future__ import annotations

import itertools
import time

from qtpy.QtCore import Qt, QTimer

from device_browser.session import ConnectionState
from device_browser.tags import TagRef
from device_browser.ui.devices_view import Column
from tests.gui.conftest import run, until
from tests.simulator_process import SimulatorProcess
from workbench.project import Project

DEADLINE = 30.0
MAX_GAP_S = 1.0


def make_project(tmp_path, simulator: SimulatorProcess):
    Project.create(tmp_path / "p", "Pump")
    text, _ = simulator.profile_text()
    (tmp_path / "p" / "devices" / "pump.yaml").write_text(text.replace("id: pump-station-modbus", "id: pump"),
                                                         encoding="utf-8")
    return tmp_path / "p"


def state_text(view, row: int = 0) -> str:
    return view.model.index(row, Column.STATE).data()


def test_connect_watch_outage_and_resume_in_the_window(make_window, loop, qtbot, tmp_path, free_tcp_port):
    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    simulator.start()
    window = make_window()
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    try:
        assert run(loop, window.open_project(make_project(tmp_path, simulator), remember=False))
        devices, watch = window.views["devices"], window.views["watch"]
        run(loop, until(lambda: devices.model.rowCount() == 1))
        assert window.devices_label.text() == "Devices: 0/1 connected"

        devices.table.setFocus()
        devices.select("pump")
        qtbot.keyClick(devices.table, Qt.Key.Key_Return)  # Enter: connect and browse
        run(loop, until(lambda: state_text(devices) == "connected", DEADLINE), timeout=DEADLINE + 5)
        assert window.devices.active == "pump"
        assert window.devices_label.text() == "Devices: 1/1 connected"

        window.devices.watch.extend([TagRef("pump", point="flow"), TagRef("pump", point="speed")])
        run(loop, until(lambda: watch.model.updates(0) >= 2 and watch.model.updates(1) >= 2, DEADLINE),
            timeout=DEADLINE + 5)
        assert watch.model.text(0, 3) == "good"

        timer.start(10)
        simulator.kill()
        run(loop, until(lambda: "reconnecting" in state_text(devices), DEADLINE), timeout=DEADLINE + 5)
        assert window.devices_label.text() == "Devices: 0/1 connected"
        run(loop, until(lambda: watch.model.text(0, 3) == "bad", DEADLINE), timeout=DEADLINE + 5)
        run(loop, until(lambda: len(ticks) >= 50, DEADLINE), timeout=DEADLINE + 5)  # the UI turns while it is dead
        timer.stop()
        simulator.start()
        run(loop, until(lambda: state_text(devices) == "connected", DEADLINE), timeout=DEADLINE + 5)
        resumed = watch.model.updates(0)
        run(loop, until(lambda: watch.model.updates(0) >= resumed + 2 and watch.model.text(0, 3) == "good",
                        DEADLINE), timeout=DEADLINE + 5)
        assert int(devices.model.index(0, Column.RECONNECTS).data()) >= 1

        devices.disconnect_action.trigger()
        run(loop, until(lambda: window.devices.entry("pump").status.state is ConnectionState.DISCONNECTED))
    finally:
        timer.stop()
        simulator.stop()
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert max(gaps) < MAX_GAP_S, f"the UI stalled {max(gaps):.2f} s while the device was dead"


def test_a_device_that_is_not_there_fails_with_the_reason_and_the_window_stays_responsive(
        make_window, loop, tmp_path, free_tcp_port):
    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)  # never started: nobody listens
    window = make_window()
    assert run(loop, window.open_project(make_project(tmp_path, simulator), remember=False))
    devices = window.views["devices"]
    run(loop, until(lambda: devices.model.rowCount() == 1))
    devices.select("pump")
    devices.connect_action.trigger()
    run(loop, until(lambda: state_text(devices).startswith("failed"), DEADLINE), timeout=DEADLINE + 5)
    assert str(simulator.port) in devices.message.text()
    assert devices.connect_action.isEnabled()  # try again


def test_a_device_added_through_the_dialog_is_saved_connected_and_browsed_as_registers(
        make_window, loop, qtbot, tmp_path, free_tcp_port):
    from device_browser.profiles import load_profile
    from device_browser.ui.device_browser_view import ModbusPage
    from device_browser.ui.device_dialog import DeviceDialog, Transport

    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    simulator.start()
    window = make_window()
    try:
        Project.create(tmp_path / "p", "Pump")
        assert run(loop, window.open_project(tmp_path / "p", remember=False))
        devices = window.views["devices"]
        devices.table.setFocus()
        qtbot.keyClick(devices.table, Qt.Key.Key_Insert)  # Ins: add a device
        run(loop, until(lambda: any(isinstance(w, DeviceDialog) and w.isVisible()
                                    for w in window.findChildren(DeviceDialog))))
        [dialog] = [w for w in window.findChildren(DeviceDialog) if w.isVisible()]
        qtbot.keyClicks(dialog.device_id, "plc1")
        dialog.protocol.setCurrentIndex(dialog.protocol.findData(Transport.MODBUS_TCP.value))
        qtbot.keyClicks(dialog.network_page.host, "127.0.0.1")
        dialog.network_page.port.setValue(simulator.port)
        qtbot.keyClick(dialog.device_id, Qt.Key.Key_Return)
        run(loop, until(lambda: devices.model.rowCount() == 1))
        assert load_profile(tmp_path / "p" / "devices" / "plc1.yaml").connection["port"] == simulator.port

        devices.select("plc1")
        qtbot.keyClick(devices.table, Qt.Key.Key_Return)
        run(loop, until(lambda: state_text(devices) == "connected", DEADLINE), timeout=DEADLINE + 5)
        page = window.views["browser"].page("plc1")
        assert isinstance(page, ModbusPage) and page.handle is not None
        page.reader.start_edit.setText("40001")
        page.reader.count_box.setValue(4)
        assert run(loop, page.reader.read_once(), timeout=DEADLINE)
        assert page.reader.model.rowCount() == 4
    finally:
        simulator.stop()


def test_a_thousand_opcua_tags_watched_from_the_window_all_get_values(make_window, loop, tmp_path, free_tcp_port):
    from device_browser.watch import WatchItem

    simulator = SimulatorProcess("opcua", free_tcp_port(), tmp_path, args=("--extra-tags", "1000",
                                                                          "--extra-interval", "0.2"))
    simulator.start()
    window = make_window()
    try:
        Project.create(tmp_path / "p", "Pump")
        text, _ = simulator.profile_text()
        (tmp_path / "p" / "devices" / "ua.yaml").write_text(text.replace("id: pump-station-opcua", "id: ua"),
                                                           encoding="utf-8")
        assert run(loop, window.open_project(tmp_path / "p", remember=False))
        workspace, watch = window.devices, window.views["watch"]
        run(loop, until(lambda: len(workspace.entries) == 1))
        handle = run(loop, workspace.connect("ua"), timeout=DEADLINE)
        items = run(loop, handle.browse("nsu=urn:millwright:pumpstation;s=Extra"), timeout=DEADLINE)
        assert len(items) == 1000
        workspace.watch.extend(WatchItem(TagRef("ua", address=item.tag), interval_ms=200) for item in items)
        keys = [str(item.ref) for item in workspace.watch]
        run(loop, until(lambda: all(workspace.bus.written(key) >= 2 for key in keys), DEADLINE), DEADLINE + 5)
        first, last = watch.visible_rows()
        run(loop, until(lambda: all(watch.model.updates(row) >= 1 for row in range(first, last + 1)), DEADLINE),
            DEADLINE + 5)
        assert watch.model.rowCount() == 1000 and watch.model.text(first, 3) == "good"
    finally:
        simulator.stop()


def test_the_device_menu_offers_the_devices_actions(make_window):
    window = make_window()
    texts = [action.text() for action in window.actions.menus["device"].actions() if not action.isSeparator()]
    assert texts[:2] == ["&Connect", "&Disconnect"] and "&Add device…" in texts and "Certi&ficates…" in texts
    assert texts[-1] == "Open &Devices Folder"


def test_saving_an_edited_register_map_keeps_what_the_map_does_not_hold(make_window, loop, tmp_path, free_tcp_port):
    from device_browser.profiles import load_profile
    from device_browser.ui.device_browser_view import ModbusPage

    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)  # not started: no connection needed
    window = make_window()
    path = make_project(tmp_path, simulator)
    assert run(loop, window.open_project(path, remember=False))
    run(loop, until(lambda: window.devices.counts() == (0, 1)))
    before = load_profile(path / "devices" / "pump.yaml")
    window.devices.active = "pump"
    page = window.views["browser"].page("pump")
    assert isinstance(page, ModbusPage)
    run(loop, page.save_map(page.registers.register_map()))
    after = load_profile(path / "devices" / "pump.yaml")
    assert [p.description for p in after.points] == [p.description for p in before.points]
    assert [p.name for p in after.points] == [p.name for p in before.points]
