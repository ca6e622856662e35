import csv
import logging

from qtpy.QtWidgets import QApplication

from workbench.log_capture import LogCapture
from workbench.ui.log_panel import LogPanel


def _panel(qtbot, capacity=10_000):
    capture = LogCapture(capacity=capacity)
    logger = logging.getLogger("device_browser.modbus.test")
    logger.setLevel(logging.DEBUG)
    logger.addHandler(capture)
    panel = LogPanel(capture)
    qtbot.addWidget(panel)
    return panel, logger, capture


def test_records_appear_and_filter_by_level_and_text(qtbot):
    panel, logger, capture = _panel(qtbot)
    try:
        logger.debug("polling 12 registers")
        logger.info("connected to 10.0.0.7:502")
        logger.warning("Illegal data address: 40121 is not in the device's map")
        logger.error("timeout after 1.0 s on unit 3")
        panel.refresh()
        assert panel.model.rowCount() == 4
        assert [e.level_name for e in panel.shown_entries()] == ["INFO", "WARNING", "ERROR"]  # Info and above
        panel.level.setCurrentIndex(0)
        assert len(panel.shown_entries()) == 4
        panel.search.setText("40121")
        assert [e.text for e in panel.shown_entries()] == ["Illegal data address: 40121 is not in the device's map"]
        panel.search.setText("MODBUS")  # matches the source, case-insensitively
        assert len(panel.shown_entries()) == 4
        panel.level.setCurrentIndex(3)
        assert [e.level_name for e in panel.shown_entries()] == ["ERROR"]
    finally:
        logger.removeHandler(capture)


def test_copy_and_export(qtbot, tmp_path):
    panel, logger, capture = _panel(qtbot)
    try:
        logger.warning("first, with a comma")
        logger.error("second\nwith a second line")
        panel.refresh()
        panel.table.selectRow(1)
        panel.copy_selection()
        copied = QApplication.clipboard().text()
        assert copied.count("\n") == 2 and "\tERROR\tdevice_browser.modbus.test\t" in copied
        panel.export(tmp_path / "log.csv")
        with open(tmp_path / "log.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["time", "level", "source", "message"]
        assert [r[1:] for r in rows[1:]] == [["WARNING", "device_browser.modbus.test", "first, with a comma"],
                                             ["ERROR", "device_browser.modbus.test", "second\nwith a second line"]]
    finally:
        logger.removeHandler(capture)


def test_table_is_bounded(qtbot):
    panel, logger, capture = _panel(qtbot)
    panel.model._capacity = 50
    try:
        for i in range(120):
            logger.info("n=%d", i)
            if i % 40 == 0:
                panel.refresh()
        panel.refresh()
        assert panel.model.rowCount() == 50 and panel.model.entries[-1].text == "n=119"
    finally:
        logger.removeHandler(capture)
