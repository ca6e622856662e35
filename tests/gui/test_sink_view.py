"""Sink views: the newest rows of every output of a run, and a plot of one."""

from __future__ import annotations

import numpy as np
import pytest

from device_browser.display import format_time
from model_designer.run import GraphRunner, RecordingInput, RunState
from model_designer.sink_view import ROWS, SinkView
from nodes.graph import Graph
from nodes.registry import default_registry
from nodes.resources import resources_dir
from tests.model_designer.test_graph_runner import flow_graph

EXAMPLE = resources_dir() / "examples" / "pump_station"
DEADLINE_MS = 30_000


@pytest.fixture
def view(qtbot):
    view = SinkView()
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.set_runner(None)


def test_the_sink_view_shows_the_rows_of_a_batch_run(qtbot, view):
    graph = Graph.from_text((EXAMPLE / "graphs" / "vibration_alarm.json").read_text(encoding="utf-8"))
    runner = GraphRunner(graph, default_registry(), RecordingInput(EXAMPLE / "data" / "pump_run.csv"))
    view.set_runner(runner)
    runner.start()
    qtbot.waitUntil(lambda: runner.snapshot().state not in RunState.ACTIVE and not view.timer.isActive(),
                    timeout=DEADLINE_MS)
    assert runner.snapshot().state == RunState.FINISHED
    model = view.model
    assert set(model.columns) == set(runner.snapshot().outputs) and model.columns
    assert model.columnCount() == 3 * len(model.columns)
    assert model.rowCount() == min(ROWS, max(runner.snapshot().outputs.values()))  # bounded

    column = model.columns.index("velocity_rms")  # one RMS a second: 20 rows over the recording
    rms = runner.output("velocity_rms")
    assert len(rms) == 20
    time_col, value_col, quality_col = 3 * column, 3 * column + 1, 3 * column + 2
    assert model.text(0, time_col) == format_time(int(rms.t[-1]))  # newest on top
    assert model.text(19, time_col) == format_time(int(rms.t[0]))
    assert model.text(20, time_col) == ""  # other outputs have more rows
    assert float(model.text(0, value_col)) == pytest.approx(float(rms.v[-1]), rel=1e-6)
    assert model.text(0, quality_col) == "good"
    assert model.headerData(value_col, view.table.horizontalHeader().orientation()) == "velocity_rms\nvalue"

    view.choice.setCurrentText("velocity_rms")
    x, y = view.curve.getData()
    assert len(x) == 20 and np.allclose(y, rms.v)


def test_the_table_keeps_the_newest_thousand_rows(qtbot, view):
    runner = GraphRunner(flow_graph(), default_registry(), RecordingInput(EXAMPLE / "data" / "pump_run.csv"))
    view.set_runner(runner)
    runner.start()
    qtbot.waitUntil(lambda: runner.snapshot().state not in RunState.ACTIVE and not view.timer.isActive(),
                    timeout=DEADLINE_MS)
    assert runner.snapshot().outputs["y"] == 40_000
    assert view.model.rowCount() == ROWS
    assert view.model.text(0, 0) == format_time(int(runner.output("y").t[-1]))
    assert len(view.curve.getData()[0]) == ROWS


def test_without_a_runner_the_view_is_empty_and_idle(view):
    assert view.model.rowCount() == 0 and not view.timer.isActive()
