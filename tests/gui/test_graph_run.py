"""Running a graph from its canvas: the run bar, node badges and wire probes (pytest-qt).

Conditions are awaited under generous deadlines; nothing asserts a rate or a duration except
that the UI thread's timer is never held up for a whole second.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import pytest
from psygnal import Signal
from qtpy.QtCore import QPointF, Qt, QTimer
from qtpy.QtGui import QDropEvent
from qtpy.QtTest import QTest

from device_browser.bus import LiveBus
from device_browser.tags import TagRef
from device_browser.ui.tag_mime import tags_mime_data
from device_browser.watch import WatchList
from device_browser.workspace import DeviceWorkspace
from device_browser.writes import AuditLog
from model_designer.editor import GraphEditor
from model_designer.probe import probe_key
from model_designer.run import RunState
from model_designer.run_bar import RunBar
from nodes.chunk import GOOD
from nodes.graph import Graph
from nodes.library import builtin_components
from nodes.registry import ComponentRegistry, default_registry
from tests.gui.conftest import run, until
from tests.model_designer.test_graph_runner import Fragile, flow_graph
from tests.simulator_process import SimulatorProcess

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "pump_station"
RECORDING = EXAMPLE / "data" / "pump_run.csv"
DEADLINE_MS = 30_000


class FakeWorkspace:
    """What the run bar uses of a DeviceWorkspace: its bus, watch list, trend list, devices and units."""

    devices_changed = Signal()

    def __init__(self):
        self.bus, self.watch, self.trend = LiveBus(), WatchList(), WatchList()
        self.entries = []

    @staticmethod
    def unit_of(ref: TagRef) -> str:
        return ref.unit


@pytest.fixture
def open_editor(qtbot, tmp_path):
    bars: list[RunBar] = []

    def make(path: Path, registry: ComponentRegistry, workspace=None) -> tuple[GraphEditor, RunBar]:
        editor = GraphEditor.open(path, registry)
        bar = RunBar(editor, workspace)
        editor.layout().insertWidget(0, bar)
        qtbot.addWidget(editor)
        editor.resize(1200, 700)
        editor.show()
        qtbot.waitExposed(editor)
        editor.canvas.fit()
        editor.activateWindow()
        editor.canvas.view.setFocus()  # the run keys work where the focus is in the graph's tab
        qtbot.waitUntil(editor.canvas.view.hasFocus)
        bars.append(bar)
        return editor, bar

    yield make
    for bar in bars:
        bar.shutdown()


def finished(bar: RunBar) -> bool:
    return bar.runner is not None and bar.runner.snapshot().state not in RunState.ACTIVE and not bar.timer.isActive()


def test_a_batch_run_shows_badges_and_a_probe_and_keeps_the_ui_responsive(qtbot, open_editor, tmp_path):
    graph = tmp_path / "project" / "graphs" / "vibration_alarm.json"
    graph.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE / "graphs" / "vibration_alarm.json", graph)
    workspace = FakeWorkspace()
    editor, bar = open_editor(graph, default_registry(), workspace)
    bar.set_recording(RECORDING)
    assert bar.speed.currentData() == 0.0  # as fast as possible

    gaps, last = [], [time.monotonic()]

    def beat() -> None:
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    heart = QTimer(interval=10)
    heart.timeout.connect(beat)
    heart.start()
    QTest.keyClick(editor.canvas.view, Qt.Key.Key_F5)  # Run
    qtbot.waitUntil(lambda: finished(bar), timeout=DEADLINE_MS)
    heart.stop()
    assert max(gaps) < 1.0, f"the UI thread stalled for {max(gaps):.2f} s"

    snapshot = bar.runner.snapshot()
    assert snapshot.state == RunState.FINISHED and "Finished" in bar.status.text()
    badges = bar.overlay.badges
    assert set(badges) == set(editor.graph.nodes)
    assert badges["rms"].status.state == "ok" and badges["rms"].text() == "20 samples"  # one RMS a second
    assert badges["band"].status.samples_out == 40_000 and badges["out_rms"].status.samples_out == 20

    wire = next(item for edge, item in editor.canvas.scene.edges.items() if edge.source == "rms")
    where = editor.canvas.view.mapFromScene(wire.path().pointAtPercent(0.5))
    QTest.mouseClick(editor.canvas.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    bubble = bar.probes.bubbles["rms.rms"]
    assert bubble.isVisible() and "(good)" in bubble.value.text()
    assert len(bubble.sparkline.values) == 20
    bubble.pin.click()
    key = probe_key("vibration_alarm", "rms.rms")
    assert workspace.bus.written(key) == 20 and [str(i.ref) for i in workspace.trend] == [key]
    bubble.close_button.click()
    assert "rms.rms" not in bar.probes.bubbles


def test_a_failing_node_shows_its_error_on_itself_and_in_the_log(qtbot, open_editor, tmp_path, caplog):
    caplog.set_level(logging.ERROR)
    registry = ComponentRegistry()
    for cls in (*builtin_components(), Fragile):
        registry.register(cls)
    path = tmp_path / "graphs" / "fragile.json"
    path.parent.mkdir()
    path.write_text(flow_graph("test.fragile").to_text(), encoding="utf-8")
    editor, bar = open_editor(path, registry)
    bar.set_recording(RECORDING)
    bar.run_action.trigger()
    qtbot.waitUntil(lambda: finished(bar), timeout=DEADLINE_MS)
    badge = bar.overlay.badges["mid"]
    assert badge.text() == "failed" and "division by zero" in badge.toolTip()
    assert badge.boundingRect().bottom() > editor.canvas.scene.nodes["mid"].boundingRect().bottom()  # shown below
    assert bar.overlay.badges["twice"].status.state == "ok"
    assert "1 node(s) failed" in bar.status.text()
    assert "Node 'mid' (test.fragile) failed: ZeroDivisionError" in caplog.text


def test_the_run_bar_pauses_steps_and_stops_a_replay(qtbot, open_editor, tmp_path):
    path = tmp_path / "graphs" / "flow.json"
    path.parent.mkdir()
    path.write_text(flow_graph().to_text(), encoding="utf-8")
    editor, bar = open_editor(path, default_registry())
    bar.set_recording(RECORDING)
    bar.speed.setCurrentIndex(bar.speed.findData(1.0))
    assert not bar.pause_action.isEnabled()
    bar.run_action.trigger()
    qtbot.waitUntil(lambda: bar.runner.snapshot().ticks >= 2, timeout=DEADLINE_MS)
    assert not bar.source.isEnabled() and bar.stop_action.isEnabled()
    bar.pause_action.trigger()
    qtbot.waitUntil(lambda: "Paused" in bar.status.text(), timeout=DEADLINE_MS)
    assert bar.run_action.isEnabled() and not bar.pause_action.isEnabled()
    qtbot.wait(300)
    ticks = bar.runner.snapshot().ticks
    QTest.keyClick(editor.canvas.view, Qt.Key.Key_F10)  # Step
    qtbot.waitUntil(lambda: bar.runner.snapshot().ticks == ticks + 1, timeout=DEADLINE_MS)
    bar.stop_action.trigger()
    qtbot.waitUntil(lambda: finished(bar), timeout=DEADLINE_MS)
    assert "Stopped" in bar.status.text() and bar.source.isEnabled()


def test_live_without_bindings_says_what_to_do(qtbot, open_editor, tmp_path):
    path = tmp_path / "project" / "graphs" / "flow.json"
    path.parent.mkdir(parents=True)
    path.write_text(flow_graph().to_text(), encoding="utf-8")
    editor, bar = open_editor(path, default_registry(), FakeWorkspace())
    bar.source.setCurrentIndex(bar.source.findData("live"))
    messages = []
    editor.canvas.message.connect(messages.append)
    bar.run()
    assert bar.runner is None and "Bind the graph's inputs" in messages[0]


def test_live_refuses_a_tag_whose_unit_cannot_feed_its_input_and_reads_the_fixed_file(qtbot, open_editor, tmp_path):
    path = tmp_path / "project" / "graphs" / "flow.json"
    path.parent.mkdir(parents=True)
    path.write_text(flow_graph().to_text(), encoding="utf-8")  # input "flow" in m^3/h
    bindings = tmp_path / "project" / "bindings.yaml"
    bindings.write_text("schema_version: 1\nbindings:\n  flow: {device: pump, point: discharge_pressure, unit: bar}\n",
                        encoding="utf-8")
    workspace = FakeWorkspace()
    editor, bar = open_editor(path, default_registry(), workspace)
    bar.source.setCurrentIndex(bar.source.findData("live"))
    messages = []
    editor.canvas.message.connect(messages.append)
    bar.run()
    assert bar.runner is None and messages == [
        "The graph cannot run on live data: input 'flow' cannot read pump/discharge_pressure: 'bar' cannot be "
        "converted to 'm^3/h' (a pressure is not a volume flow)"]
    bindings.write_text(bindings.read_text(encoding="utf-8").replace("discharge_pressure, unit: bar",
                                                                     "flow, unit: l/s"), encoding="utf-8")
    workspace.bus.publish("pump/flow", time.time_ns(), 2.0, GOOD)  # 2 l/s is 7.2 m^3/h
    bar.run()  # the file as it is now, not as it was read
    qtbot.waitUntil(lambda: len(bar.runner.output("y")) > 0, timeout=DEADLINE_MS)
    assert bar.runner.output("y").v[0] == pytest.approx(7.2)
    assert [str(item.ref) for item in workspace.watch] == ["pump/flow"]


def test_a_tag_dropped_on_the_canvas_runs_live_on_the_simulated_pump(qtbot, open_editor, loop, tmp_path,
                                                                      free_tcp_port):
    simulator = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    simulator.start()
    project = tmp_path / "project"
    (project / "devices").mkdir(parents=True)
    text, _ = simulator.profile_text()
    (project / "devices" / "pump.yaml").write_text(text.replace("id: pump-station-opcua", "id: pump"),
                                                   encoding="utf-8")
    graph = Graph("live")
    graph.add_node("out", "io.output", {"column": "y"})
    path = project / "graphs" / "live.json"
    path.parent.mkdir()
    path.write_text(graph.to_text(), encoding="utf-8")
    workspace = DeviceWorkspace(AuditLog(tmp_path / "audit.jsonl"))
    editor, bar = open_editor(path, default_registry(), workspace)
    try:
        run(loop, workspace.open_folder(project / "devices"))
        view = editor.canvas.view
        mime = tags_mime_data([TagRef("pump", point="flow")])  # as the address space drags it: no unit
        view.dropEvent(QDropEvent(QPointF(view.viewport().rect().center()), Qt.DropAction.CopyAction, mime,
                                  Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
        assert editor.graph.nodes["flow1"].params == {"column": "flow", "unit": "m^3/h", "kind": "signal"}
        assert (project / "bindings.yaml").read_text(encoding="utf-8").endswith(
            "schema_version: 1\nbindings:\n  flow:\n    device: pump\n    point: flow\n    unit: m^3/h\n")
        assert editor.canvas.connect("flow1.y", "out.x") is None
        run(loop, workspace.connect("pump"), timeout=30)
        bar.source.setCurrentIndex(bar.source.findData("live"))
        bar.run()

        def good_values() -> int:
            y = bar.runner.output("y")
            return len(set(y.v[y.q == GOOD]))

        run(loop, until(lambda: good_values() >= 3, 30), 35)
        assert bar.runner.snapshot().state == RunState.RUNNING
    finally:
        bar.shutdown()
        run(loop, workspace.aclose(), 30)
        simulator.stop()
