"""The Data view on a real SQLite recording store: recordings, tag statistics, a decimated plot of a
10 M-sample tag that keeps the UI responsive, annotations created, edited and deleted through the UI,
and export of a range."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from qtpy.QtCore import QEvent, QPointF, Qt
from qtpy.QtGui import QMouseEvent
from qtpy.QtWidgets import QApplication

from device_browser.store import TagInfo, open_store, project_store_path
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_console import longest_gap_while
from tests.postgres import postgres_server  # noqa: F401  (the fixture postgres_url needs)
from tests.postgres import postgres_url as postgres_url
from workbench.ui.data_browser import DataBrowserView

T0 = 1_764_057_600_000_000_000  # 2025-11-25 08:00 UTC
BIG = 10_000_000  # samples of "vibration": 1 kHz for 10,000 s
SPIKE_AT = 7_654_321
DEADLINE = 60.0


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A store with a 10 M-sample tag (one spike), a small tag with a unit, a gap, and a second recording."""
    path = tmp_path_factory.mktemp("data") / "recordings.sqlite"
    with open_store(path) as store:
        rec = store.create_recording("bearing test", operator="li.wei", devices=["pump_station"],
                                     notes="fault injected at 2 h", started=T0)
        store.define_tags(rec, [TagInfo("vibration", "mm/s", "pump_station"), TagInfo("flow", "m^3/h", "pump_station")])
        t = T0 + np.arange(BIG, dtype=np.int64) * 1_000_000
        vibration = np.sin(np.arange(BIG) / 5e4)
        vibration[SPIKE_AT] = 9.5
        store.append(rec, {"vibration": (t, vibration)})
        flow_t = T0 + np.arange(20_000, dtype=np.int64) * 500_000_000
        store.append(rec, {"flow": (flow_t, 120 + np.cos(np.arange(20_000) / 300.0))})
        store.add_gap(rec, T0 + 3_000 * 10**9, T0 + 3_060 * 10**9, device="pump_station", reason="link lost")
        store.finish_recording(rec, T0 + BIG * 1_000_000)
        short = store.create_recording("short run", operator="anna", started=T0 + 86_400 * 10**9)
        store.append(short, {"speed": (T0 + 86_400 * 10**9 + np.arange(100, dtype=np.int64) * 10**9,
                                       np.linspace(1400, 1500, 100))})
    return path


@pytest.fixture
def store_copy(store_path, tmp_path):
    """A copy for tests that write (annotations), so each starts from the same store."""
    target = tmp_path / "recordings.sqlite"
    shutil.copy(store_path, target)
    return target


@pytest.fixture
def view(qtbot, loop):
    widget = DataBrowserView()
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.close()  # closes the store and ends its tasks


def opened(loop, view, path, recording="bearing test") -> None:
    run(loop, view.open_location(str(path)), DEADLINE)
    assert view.error == ""
    view.choose_recording(recording)
    run(loop, until(lambda: view.tags and not view.busy, DEADLINE), DEADLINE + 5)


def test_recordings_and_tag_statistics(loop, view, store_path):
    opened(loop, view, store_path)
    table = view.recordings_table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["bearing test", "short run"]
    assert table.item(0, 1).text() == "li.wei"
    assert table.item(0, 3).text() == "2:46:40"  # 10,000 s
    assert table.item(0, 4).text() == "pump_station"
    assert table.item(0, 5).text() == f"{BIG + 20_000:,}"
    assert table.item(0, 6).text().endswith("MB")
    assert table.item(0, 0).toolTip() == "fault injected at 2 h"
    tags = {tag.name: tag for tag in view.tags}
    assert set(tags) == {"vibration", "flow"}
    assert tags["vibration"].count == BIG and tags["vibration"].max == 9.5
    assert tags["vibration"].gaps == 1 and tags["vibration"].unit == "mm/s"
    flow = 120 + np.cos(np.arange(20_000) / 300.0)
    assert tags["flow"].mean == pytest.approx(flow.mean())
    assert tags["flow"].min == pytest.approx(flow.min())
    row = [t.name for t in view.tags].index("flow")
    assert view.tags_table.item(row, 1).text() == "m^3/h"
    assert view.tags_table.item(row, 2).text() == "20,000"
    (gap,) = view.plot.gap_regions  # the outage, shaded
    assert gap.getRegion() == (pytest.approx(T0 / 1e9 + 3_000), pytest.approx(T0 / 1e9 + 3_060))
    assert gap.toolTip() == "link lost"
    view.choose_recording("short run")
    run(loop, until(lambda: [t.name for t in view.tags] == ["speed"] and not view.busy, DEADLINE), DEADLINE + 5)
    assert view.plot.gap_regions == []


def test_reload_shows_what_a_recorder_added_and_keeps_the_ticked_tags(loop, qtbot, view, store_copy):
    opened(loop, view, store_copy, "short run")
    view.set_tag_checked("speed")
    run(loop, until(lambda: view.plot.points_drawn == 100 and not view.busy, DEADLINE), DEADLINE + 5)
    shown = view.plot.visible_ns()
    start = T0 + 86_400 * 10**9
    with open_store(store_copy) as store:  # as a recorder does meanwhile
        store.append("short run", {"speed": (start + np.arange(100, 150, dtype=np.int64) * 10**9,
                                             np.full(50, 1490.0))})
        store.create_recording("night shift", started=start + 10**12)
    qtbot.keyClick(view.recordings_table, Qt.Key.Key_F5)
    run(loop, until(lambda: len(view.rows) == 3 and view.tags and view.tags[0].count == 150 and not view.busy,
                    DEADLINE), DEADLINE + 5)
    assert view.recording.recording.name == "short run" and view.checked_tags() == ["speed"]
    assert view.recordings_table.item(1, 5).text() == "150"
    assert view.plot.visible_ns() == pytest.approx(shown, abs=10**9)  # the range looked at is kept


def test_ten_million_samples_are_drawn_decimated_without_blocking_the_ui(loop, view, store_path):
    opened(loop, view, store_path)
    plotted: list[int] = []
    view.plotted.connect(lambda: plotted.append(view.plot.points_drawn))
    stall = longest_gap_while(loop, lambda: view.set_tag_checked("vibration"), lambda: plotted and not view.busy,
                              DEADLINE)
    assert view.error == ""
    assert stall < 1.0, f"the UI thread stalled for {stall:.2f} s while 10 M samples were read"
    drawn = view.plot.curves["vibration"]
    assert 0 < view.plot.points_drawn <= 2 * view.queried_width
    assert np.nanmax(drawn.yData) == 9.5  # the one-sample spike survives decimation
    assert np.nanmin(drawn.yData) == pytest.approx(-1.0, abs=1e-6)
    # zoomed in around the spike: re-read (debounced), only the visible range, the samples themselves
    spike_ns = T0 + SPIKE_AT * 1_000_000
    before = len(plotted)
    view.plot.show_ns(spike_ns - 200_000_000, spike_ns + 200_000_000)
    run(loop, until(lambda: len(plotted) > before and not view.busy, DEADLINE), DEADLINE + 5)
    drawn = view.plot.curves["vibration"]
    assert 300 <= len(drawn.xData) <= 2 * view.queried_width
    assert np.nanmax(drawn.yData) == 9.5
    assert np.all(np.diff(drawn.xData) > 0)  # samples, in time order, not min/max pairs
    # a pan of a wide view is answered from the overview kept after the first read
    reader = view.readers["vibration"]
    assert reader.has_overview
    envelope = reader.envelope(T0, T0 + BIG * 1_000_000, 800)
    assert envelope.read == 0 and len(envelope) <= 1600


def test_a_plot_read_can_be_cancelled(loop, view, store_path):
    opened(loop, view, store_path)
    view.set_tag_checked("vibration")  # starts the read of 10 M samples for the overview
    assert view.busy and view.cancel_button.isVisible()
    view.cancel()
    run(loop, until(lambda: not view.busy, DEADLINE), DEADLINE + 5)
    assert view.error == ""
    assert not view.readers["vibration"].has_overview  # called off before it was complete
    assert view.plot.points_drawn == 0
    assert not view.progress.isVisible()
    view.refresh_plot()  # asked again, it completes
    run(loop, until(lambda: view.plot.points_drawn > 0 and not view.busy, DEADLINE), DEADLINE + 5)


def drag(widget, start: QPointF, end: QPointF, modifiers) -> None:
    """A left-button drag on a widget (pyqtgraph reads the buttons held from the move events)."""
    left = Qt.MouseButton.LeftButton
    events = [(QEvent.Type.MouseButtonPress, start, left, left)]
    events += [(QEvent.Type.MouseMove, start + (end - start) * (i / 10), Qt.MouseButton.NoButton, left)
               for i in range(1, 11)]
    events += [(QEvent.Type.MouseButtonRelease, end, left, Qt.MouseButton.NoButton)]
    for kind, at, button, buttons in events:
        QApplication.sendEvent(widget, QMouseEvent(kind, at, widget.mapToGlobal(at), button, buttons, modifiers))
        QApplication.processEvents()


def test_annotations_created_edited_and_deleted_through_the_ui(loop, qtbot, view, store_copy):
    opened(loop, view, store_copy)
    view.set_tag_checked("flow")
    run(loop, until(lambda: view.plot.points_drawn and not view.busy, DEADLINE), DEADLINE + 5)
    # Shift+drag selects a range on the plot
    viewport = view.plot.viewport()
    box = view.plot.getPlotItem().getViewBox()
    rect = view.plot.mapFromScene(box.sceneBoundingRect()).boundingRect()
    y = rect.center().y()
    drag(viewport, QPointF(rect.left() + 0.05 * rect.width(), y), QPointF(rect.left() + 0.2 * rect.width(), y),
         Qt.KeyboardModifier.ShiftModifier)
    selection = view.plot.selection_ns()
    assert selection is not None
    visible = view.plot.visible_ns()
    span = visible[1] - visible[0]
    assert selection[0] == pytest.approx(visible[0] + 0.05 * span, rel=0, abs=0.03 * span)
    assert selection[1] == pytest.approx(visible[0] + 0.2 * span, rel=0, abs=0.03 * span)
    # the label typed, Ctrl+M annotates
    view.label_edit.setFocus()
    qtbot.keyClicks(view.label_edit, "pump cavitating")
    qtbot.keyClicks(view.note_edit, "noise at the inlet")
    qtbot.keyClick(view.label_edit, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    run(loop, until(lambda: len(view.annotations) == 1 and not view.busy, DEADLINE), DEADLINE + 5)
    with open_store(store_copy, read_only=True) as store:
        (saved,) = store.annotations("bearing test")
    assert (saved.label, saved.note, saved.start_ns, saved.end_ns) == ("pump cavitating", "noise at the inlet",
                                                                      *selection)
    assert list(view.plot.regions) == [saved.id]
    # a second one from the keyboard only: Ctrl+L selects the middle of the plot
    qtbot.keyClick(view.plot, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    view.label_edit.setText("bearing fault injected")
    view.note_edit.clear()
    qtbot.keyClick(view.plot, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    run(loop, until(lambda: len(view.annotations) == 2 and not view.busy, DEADLINE), DEADLINE + 5)
    # a click on the first region chooses it; its label is edited and applied
    first = view.plot.regions[saved.id]
    centre = view.plot.mapFromScene(first.mapToScene(first.boundingRect().center()))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=centre)
    run(loop, until(lambda: view.chosen_annotation() is not None, DEADLINE), DEADLINE + 5)
    assert view.chosen_annotation().id == saved.id
    assert view.label_edit.text() == "pump cavitating"
    view.label_edit.setText("pump cavitating (severe)")
    qtbot.keyClick(view.label_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    run(loop, until(lambda: any(a.label == "pump cavitating (severe)" for a in view.annotations)
                    and not view.busy, DEADLINE), DEADLINE + 5)
    assert view.plot.regions[saved.id].label.format == "pump cavitating (severe)"
    # Delete removes the chosen one
    view.choose_annotation(saved.id)
    view.annotations_table.setFocus()
    qtbot.keyClick(view.annotations_table, Qt.Key.Key_Delete)
    run(loop, until(lambda: len(view.annotations) == 1 and not view.busy, DEADLINE), DEADLINE + 5)
    with open_store(store_copy, read_only=True) as store:
        assert [a.label for a in store.annotations("bearing test")] == ["bearing fault injected"]
    assert saved.id not in view.plot.regions


def test_an_annotation_needs_a_selection_and_a_label(loop, view, store_copy):
    opened(loop, view, store_copy)
    view.label_edit.setText("x")
    assert view.annotate_selection() is None
    assert "Select a range" in view.status.text()
    view.plot.select_middle()
    view.label_edit.clear()
    assert view.annotate_selection() is None
    assert "label" in view.status.text()
    assert view.annotations == []


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_export_of_a_selected_range(loop, view, store_path, tmp_path, suffix):
    opened(loop, view, store_path)
    view.set_tag_checked("flow")
    view.set_tag_checked("vibration")
    start, end = T0 + 1_000 * 10**9, T0 + 1_010 * 10**9
    view.plot.set_selection_ns(start, end)
    target = tmp_path / f"range{suffix}"
    run(loop, view.export_to(target), DEADLINE)
    assert view.error == ""
    read = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel}[suffix]
    frame = read(target)
    assert list(frame.columns)[1:] == ["vibration [mm/s]", "flow [m³/h]"]  # the tags' order, units in headers
    assert len(frame) == 10_000  # 1 kHz for 10 s; the flow's 20 samples fall on the same times
    assert frame["flow [m³/h]"].notna().sum() == 20
    with open_store(store_path, read_only=True) as store:
        expected = store.read(["vibration"], start, end, recording="bearing test", form="wide")
    assert np.allclose(frame["vibration [mm/s]"].to_numpy(), expected["vibration"].to_numpy())
    assert view.last_export == (target, 10_000)
    assert str(target) in view.status.text()
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left beside it


def test_a_cancelled_export_leaves_no_file(loop, view, store_path, tmp_path):
    opened(loop, view, store_path)
    view.set_tag_checked("vibration")
    view.show_whole_recording()
    target = tmp_path / "all.csv"
    task = view.export_to(target)
    view.cancel()
    run(loop, task, DEADLINE)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert view.last_export is None


def test_a_store_that_cannot_be_opened_is_named(loop, view, tmp_path):
    missing = tmp_path / "no such folder" / "recordings.sqlite"
    run(loop, view.open_location(str(missing)), DEADLINE)
    assert str(tmp_path / "no such folder") in view.error
    assert view.store is None and view.recordings_table.rowCount() == 0


def test_the_data_dock_shows_the_projects_store(make_window, loop, tmp_path, store_path):
    bare, recorded = tmp_path / "bare", tmp_path / "recorded"
    shutil.copytree(example_project(), bare)
    shutil.copytree(example_project(), recorded)
    shutil.copy(store_path, project_store_path(recorded))
    window = make_window()
    view = window.views["data"]
    assert run(loop, window.open_project(bare, remember=False))
    assert view.store is None and "no recordings yet" in view.status.text()
    assert not project_store_path(bare).exists()  # looking creates no store
    assert run(loop, window.open_project(recorded, remember=False))
    run(loop, until(lambda: view.rows and not view.busy, DEADLINE), DEADLINE + 5)
    assert [r.recording.name for r in view.rows] == ["bearing test", "short run"]
    assert view.location.text() == str(project_store_path(recorded))


def test_a_postgresql_store_by_url(loop, qtbot, view, postgres_url):
    with open_store(postgres_url) as store:
        rec = store.create_recording("site week 48", operator="wang.fang", devices=["line3"], started=T0)
        store.define_tags(rec, [TagInfo("pressure", "bar", "line3")])
        store.append(rec, {"pressure": (T0 + np.arange(50_000, dtype=np.int64) * 10**8, np.linspace(4, 5, 50_000))})
    view.location.setText(postgres_url)
    view.location.setFocus()
    qtbot.keyClick(view.location, Qt.Key.Key_Return)  # typed URL + Enter opens it
    run(loop, until(lambda: view.rows and not view.busy, DEADLINE), DEADLINE + 5)
    assert view.store.dialect == "postgresql"
    view.choose_recording("site week 48")
    run(loop, until(lambda: view.tags and not view.busy, DEADLINE), DEADLINE + 5)
    assert (view.tags[0].count, view.tags[0].max) == (50_000, 5.0)
    view.set_tag_checked("pressure")
    run(loop, until(lambda: view.plot.points_drawn and not view.busy, DEADLINE), DEADLINE + 5)
    view.plot.select_middle()
    view.label_edit.setText("valve test")
    run(loop, view.annotate_selection(), DEADLINE)
    with open_store(postgres_url, read_only=True) as store:
        assert [a.label for a in store.annotations("site week 48")] == ["valve test"]


def test_a_store_of_a_newer_millwright_is_browsed_but_not_annotated(loop, view, store_copy):
    import sqlite3

    with sqlite3.connect(store_copy) as connection:  # as a newer Millwright's migration would leave it
        connection.execute("UPDATE millwright_store_version SET version_num = 'f999_from_the_future'")
    run(loop, view.open_location(str(store_copy)), DEADLINE)
    assert view.store.read_only
    view.choose_recording("bearing test")
    run(loop, until(lambda: view.tags and not view.busy, DEADLINE), DEADLINE + 5)
    view.plot.select_middle()
    assert not view.annotate_button.isEnabled() and view.select_button.isEnabled()
    assert "Read-only:" in view.status.text() and "newer version of Millwright" in view.status.text()


def test_keyboard_order_and_shortcuts_are_discoverable(view):
    expected = [view.location, view.open_button, view.browse_button, view.recordings_table, view.tags_table, view.plot,
                view.select_button, view.annotate_button, view.apply_button, view.delete_button, view.whole_button,
                view.export_button, view.label_edit, view.note_edit, view.annotations_table]
    chain, widget = [], view.location
    for _ in range(300):  # Tab visits them in this order (their inner widgets in between)
        chain.append(widget)
        widget = widget.nextInFocusChain()
    at = [chain.index(w) for w in expected]
    assert at == sorted(at)
    assert "(Ctrl+M)" in view.annotate_button.toolTip() and "(Ctrl+E)" in view.export_button.toolTip()
    assert view.label_label.buddy() is view.label_edit  # Alt+L reaches the label field


def test_the_dock_module_leaves_the_database_layer_unloaded():
    """The dock is built at every start-up; SQLAlchemy, Alembic and the exchange wait for a store to open."""
    code = ("import sys, workbench.ui.docks.data; "
            "print(sorted(m for m in ('sqlalchemy', 'alembic', 'device_browser.exchange') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                           env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6"})
    assert found.stdout.strip() == "[]"
