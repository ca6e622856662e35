"""The Data view's Record panel: a real LiveBus with samples published → record two ticked tags into a
real SQLite store on a worker thread → Stop → the store holds what the status said was committed and
the recordings list shows it; the UI thread keeps running meanwhile."""

from __future__ import annotations

import time

from qtpy.QtCore import Qt, QTimer

from device_browser.bus import LiveBus
from device_browser.store import open_store, project_store_path
from tests.gui.conftest import run, until
from tests.gui.test_console import longest_gap_while
from workbench.ui.data_browser import DataBrowserView
from workbench.ui.data_recorder import RecordPanel

DEADLINE = 30.0
TAGS = ["pump/flow", "pump/speed", "pump/temperature"]


def test_record_two_tags_from_the_live_bus(qtbot, loop, tmp_path):
    bus = LiveBus(capacity=10_000)
    path = project_store_path(tmp_path, create=True)
    view = DataBrowserView()
    qtbot.addWidget(view)
    panel = RecordPanel(bus, lambda: list(TAGS), lambda: path, view)
    panel.finished.connect(lambda _status: view.open_location(str(path)))
    view.layout().addWidget(panel)
    assert panel.checked_tags() == TAGS  # the Watch list's tags, all ticked
    panel.tag_list.item(2).setCheckState(Qt.CheckState.Unchecked)
    panel.name_edit.setText("pump trial")

    published = [0]

    def publish() -> None:
        now = time.time_ns()
        for i, tag in enumerate(TAGS):
            bus.publish(tag, now, float(published[0] + i), 192)
        published[0] += 1

    feeder = QTimer()
    feeder.setInterval(20)
    feeder.timeout.connect(publish)
    feeder.start()
    try:
        gap = longest_gap_while(
            loop, lambda: qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton),
            lambda: panel.last_status.committed >= 20, timeout=DEADLINE)
        assert panel.running and panel.stop_button.isEnabled() and not panel.start_button.isEnabled()
        assert gap < 1.0, f"the UI thread stalled {gap:.2f} s while recording"
        panel.stop_button.setFocus()
        qtbot.keyClick(panel.stop_button, Qt.Key.Key_Space)  # keyboard: Stop
        run(loop, until(lambda: not panel.running and any(r.recording.name == "pump trial" for r in view.rows),
                        DEADLINE), timeout=DEADLINE + 5)
    finally:
        feeder.stop()

    status = panel.last_status
    assert status.state == "stopped", status.message
    assert status.committed > 0 and status.committed == status.samples
    row = next(r for r in view.rows if r.recording.name == "pump trial")
    assert row.samples == status.committed
    with open_store(path, read_only=True) as store:
        assert sorted(tag.name for tag in store.tags("pump trial")) == TAGS[:2]  # the unticked tag is not recorded
    assert panel.state_label.text().startswith("Stopped")
    # The ended recorder holds no reference to the panel: a panel ↔ recorder cycle, collected on a
    # worker thread later, would destroy the widget there (a deadlock in Qt).
    assert len(panel.recorder.status_changed) == 0


def test_start_needs_a_tag_and_a_project(qtbot, tmp_path):
    bus = LiveBus(capacity=100)
    panel = RecordPanel(bus, lambda: ["pump/flow"], lambda: None)
    qtbot.addWidget(panel)
    assert not panel.start() and "project" in panel.state_label.text()
    panel._store_path = lambda: tmp_path / "recordings.sqlite"
    panel.tag_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert not panel.start() and "tag" in panel.state_label.text()
    assert not panel.running


def test_a_failure_shows_the_store_message_in_the_panel(qtbot, loop, tmp_path):
    path = project_store_path(tmp_path, create=True)
    with open_store(path) as store:
        store.create_recording("taken")
    panel = RecordPanel(LiveBus(capacity=100), lambda: ["pump/flow"], lambda: path)
    qtbot.addWidget(panel)
    panel.name_edit.setText("taken")
    assert panel.start()
    run(loop, until(lambda: not panel.running and panel.last_status.state == "failed", DEADLINE), timeout=DEADLINE + 5)
    assert "taken" in panel.state_label.text() and panel.start_button.isEnabled()
