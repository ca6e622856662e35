"""The device views on the example project, connected to both simulators, in English and Chinese.

Writes ``screenshots/VIEW.LANG.png`` (and, with ``MILLWRIGHT_DOCS_IMAGES=1``, the copies in
``docs/images/`` the README shows): the OPC UA tree with the attributes of a variable
(``device-tree``), the register workbench with the interpret-as view (``register-workbench``)
and the watch list with live values beside a trend (``watch-trend``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from qtpy.QtCore import QModelIndex, Qt
from qtpy.QtGui import QColor, QImage, QPainter

from device_browser.session import ConnectionState
from device_browser.tags import TagRef
from device_browser.trend import TimeWindow
from device_browser.ui.device_browser_view import ModbusPage, OpcUaPage
from device_browser.watch import WatchItem
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_address_space import child, open_path
from tests.simulator_process import SimulatorProcess
from workbench.ui import i18n

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
DEADLINE = 30.0
OPCUA, MODBUS = "pump-station-opcua", "pump-station-modbus"
WATCHED = ("flow", "discharge_pressure", "speed", "motor_current", "vibration", "bearing_temperature",
           "status_running", "speed_setpoint")


@pytest.fixture
def site(tmp_path, free_tcp_port):
    """The example project with its devices pointing at two simulator processes."""
    opcua = SimulatorProcess("opcua", free_tcp_port(), tmp_path, args=("--extra-tags", "200"))
    modbus = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    project = tmp_path / "pump_station"
    shutil.copytree(example_project(), project)
    devices = project / "devices"
    for simulator, name in ((opcua, "pump_station_opcua.yaml"), (modbus, "pump_station_modbus.yaml")):
        text = (devices / name).read_text(encoding="utf-8")
        (devices / name).write_text(text.replace("port: 5020", f"port: {modbus.port}")
                                    .replace("127.0.0.1:4840", f"127.0.0.1:{opcua.port}"), encoding="utf-8")
        simulator.start()
    yield project
    opcua.stop()
    modbus.stop()


def save(image: QImage, name: str) -> None:
    targets = [SHOTS] + ([DOCS_IMAGES] if os.environ.get("MILLWRIGHT_DOCS_IMAGES") else [])
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        assert image.save(str(folder / name))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 5, f"{name} rendered blank"


def side_by_side(left: QImage, right: QImage, background: QColor) -> QImage:
    """One picture of two views next to each other (two docks, or one dock's two tabs)."""
    combined = QImage(left.width() + right.width(), max(left.height(), right.height()), QImage.Format.Format_RGB32)
    combined.fill(background)
    painter = QPainter(combined)
    painter.drawImage(0, 0, left)
    painter.drawImage(left.width(), 0, right)
    painter.end()
    return combined


def open_site(make_window, loop, qapp, site, language: str):
    """A 1440×900 window in ``language`` on the example project of ``site``, its two devices listed."""
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme("light")
    assert run(loop, window.open_project(site, remember=False))
    window.resize(1440, 900)
    window.reset_layout()
    run(loop, until(lambda: len(window.devices.entries) == 2))
    return window


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_device_views_screenshots(make_window, loop, qapp, site, language):
    window = open_site(make_window, loop, qapp, site, language)
    workspace = window.devices
    for device in (OPCUA, MODBUS):
        run(loop, workspace.connect(device), timeout=DEADLINE)
    assert workspace.counts() == (2, 2)
    browser, devices = window.docks["browser"], window.views["devices"]
    window.resizeDocks([browser], [760], Qt.Orientation.Horizontal)
    window.resizeDocks([window.docks["watch"]], [300], Qt.Orientation.Vertical)

    # The OPC UA tree with the attributes of a variable.
    devices.select(OPCUA)
    workspace.active = OPCUA
    page = window.views["browser"].page(OPCUA)
    assert isinstance(page, OpcUaPage)
    run(loop, until(lambda: page.tree.model.settled(QModelIndex()), DEADLINE), DEADLINE + 5)
    pump = open_path(loop, page.tree, "Objects", "PumpStation")
    page.tree.tree.setCurrentIndex(child(page.tree, pump, "Flow"))
    run(loop, until(lambda: page.details.attribute("DataType") != "", DEADLINE), DEADLINE + 5)
    workspace.watch.extend(WatchItem(TagRef(MODBUS, point=name), interval_ms=100) for name in WATCHED)
    workspace.trend.extend(TagRef(MODBUS, point=name) for name in ("flow", "discharge_pressure"))
    trends = window.views["trends"]
    trends.set_window(TimeWindow.SECONDS_10)
    watch = window.views["watch"]
    run(loop, until(lambda: all(watch.model.updates(row) >= 60 for row in range(len(WATCHED))), DEADLINE),
        DEADLINE + 5)  # a few seconds of history for the trend
    qapp.processEvents()
    save(window.grab().toImage(), f"device-tree.{language}.png")

    # The register workbench: a range read and what it means in every type and byte order.
    devices.select(MODBUS)
    workspace.active = MODBUS
    registers = window.views["browser"].page(MODBUS)
    assert isinstance(registers, ModbusPage)
    registers.tabs.setCurrentIndex(1)
    registers.reader.start_edit.setText("40001")
    registers.reader.count_box.setValue(8)
    assert run(loop, registers.reader.read_once(), timeout=DEADLINE)
    registers.reader.table.selectRow(0)
    registers.reader.table.selectionModel().select(
        registers.reader.model.index(1, 0), registers.reader.table.selectionModel().SelectionFlag.Select
        | registers.reader.table.selectionModel().SelectionFlag.Rows)
    run(loop, until(lambda: registers.interpret.table.rowCount() > 0))
    browser.setFloating(True)
    browser.resize(1280, 720)
    qapp.processEvents()
    save(browser.grab().toImage(), f"register-workbench.{language}.png")
    browser.setFloating(False)

    # The watch list with live values beside a trend of two of them.
    run(loop, until(lambda: workspace.entry(MODBUS).status.state is ConnectionState.CONNECTED))
    window.docks["trends"].raise_()
    bottom = [window.docks["watch"], window.docks["trends"]]
    for dock in bottom:
        dock.setFloating(True)
    window.docks["watch"].resize(760, 420)
    window.docks["trends"].resize(760, 420)
    run(loop, until(lambda: len(trends.series()) == 2 and all(len(trends.data(s.key).t) > 5
                                                               for s in trends.series()), DEADLINE), DEADLINE + 5)
    qapp.processEvents()
    left, right = window.docks["watch"].grab().toImage(), window.docks["trends"].grab().toImage()
    save(side_by_side(left, right, window.palette().window().color()), f"watch-trend.{language}.png")
    for dock in bottom:
        dock.setFloating(False)
