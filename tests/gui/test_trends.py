"""The trend view on a real live bus: axes per unit, follow and pause, gaps, exports, history, drops."""

from __future__ import annotations

import datetime
import threading
import time

import numpy as np
import pandas as pd
import pytest
from qtpy.QtCore import QPoint, QPointF, Qt, QTimer
from qtpy.QtGui import QDropEvent, QImage, QWheelEvent
from qtpy.QtWidgets import QApplication

from device_browser.bus import LiveBus
from device_browser.tags import TagRef
from device_browser.trend import NS, TimeWindow
from device_browser.ui.tag_mime import tags_mime_data
from device_browser.ui.trends import TrendView
from nodes.quality import Quality

T0 = 1_700_000_000 * NS
STEP = 10_000_000  # 100 Hz


@pytest.fixture
def bus():
    return LiveBus(capacity=100_000)


@pytest.fixture
def make_view(qtbot):
    def make(bus: LiveBus | None) -> TrendView:
        view = TrendView(bus)
        qtbot.addWidget(view)
        view.resize(900, 500)
        view.show()
        qtbot.waitExposed(view)
        return view

    return make


def publish(bus: LiveBus, key: str, first: int, count: int, offset: float = 0.0, bad: tuple[int, ...] = ()) -> None:
    """``count`` samples at 100 Hz from sample number ``first``; the samples numbered in ``bad`` are gap markers."""
    n = np.arange(first, first + count)
    values = offset + n.astype(np.float64)
    quality = np.where(np.isin(n, bad), Quality.BAD, Quality.GOOD).astype(np.uint8)
    values[quality == Quality.BAD] = np.nan
    bus.publish(key, T0 + n * STEP, values, quality)


def drawn(view: TrendView, key: str, count: int) -> bool:
    return len(view.data(key)) == count


def test_two_units_get_two_axes_linked_in_time_and_bad_samples_are_gaps(make_view, bus, qtbot):
    publish(bus, "plc1/speed", 0, 1000, bad=(500,))
    publish(bus, "plc1/temperature", 0, 1000, offset=20.0)
    publish(bus, "plc1/speed2", 0, 1000, offset=5.0)
    view = make_view(bus)
    assert view.pages.currentWidget() is view.hint  # the empty state until a series exists
    view.add_series("plc1/speed", "Speed", "rpm")
    view.add_series("plc1/temperature", "Temperature", "°C")
    view.add_series("plc1/speed2", "Speed 2", "rpm")
    qtbot.waitUntil(lambda: all(drawn(view, s.key, 1000) for s in view.series()), timeout=30_000)
    assert view.pages.currentWidget() is view.plot
    assert view.axis_units() == ["rpm", "degC"]
    assert view.view_box("rpm") is view.view_box("rpm") is not view.view_box("°C")
    assert view.view_box("degC") is view.view_box("°C")  # one axis per unit, however it is spelled
    qtbot.waitUntil(lambda: view.view_box("°C").viewRange()[0] == view.view_box("rpm").viewRange()[0])
    speed = view.curve("plc1/speed").yData
    assert np.isnan(speed[500]) and np.isfinite(np.delete(speed, 500)).all()
    assert view.curve("plc1/speed").opts["connect"] == "finite"  # so the NaN breaks the line
    view.remove_series("plc1/temperature")
    assert view.axis_units() == ["rpm"]
    assert [s.label for s in view.series()] == ["Speed", "Speed 2"]
    view.clear()
    assert view.series() == [] and view.pages.currentWidget() is view.hint


def test_follow_slides_with_new_samples_and_a_zoom_pauses(make_view, bus, qtbot):
    publish(bus, "k", 0, 2000)
    view = make_view(bus)
    view.set_window(TimeWindow.SECONDS_10)
    view.add_series("k", "K", "bar")
    newest = T0 + 1999 * STEP
    qtbot.waitUntil(lambda: abs(view.visible_range_ns()[1] - newest) < 1000, timeout=30_000)
    assert abs(view.visible_range_ns()[0] - (newest - 10 * NS)) < 1000
    publish(bus, "k", 2000, 500)  # five seconds more: the window slides
    newest = T0 + 2499 * STEP
    qtbot.waitUntil(lambda: abs(view.visible_range_ns()[1] - newest) < 1000, timeout=30_000)

    with qtbot.waitSignal(view.follow_changed, timeout=5_000) as paused:  # a wheel zoom over the plot
        centre = view.plot.viewport().rect().center()
        wheel = QWheelEvent(QPointF(centre), QPointF(view.plot.viewport().mapToGlobal(centre)), QPoint(0, 0),
                            QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view.plot.viewport(), wheel)
    assert paused.args == [False] and not view.following and not view.follow_action.isChecked()
    frozen = view.visible_range_ns()
    publish(bus, "k", 2500, 500)
    qtbot.waitUntil(lambda: drawn(view, "k", 3000), timeout=30_000)  # the data keep arriving …
    assert view.visible_range_ns() == frozen  # … and the view stays where the user put it

    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_F)  # Follow again, from the keyboard
    assert view.following
    newest = T0 + 2999 * STEP
    qtbot.waitUntil(lambda: abs(view.visible_range_ns()[1] - newest) < 1000, timeout=30_000)
    view.set_window(TimeWindow.ALL)
    assert abs(view.visible_range_ns()[0] - T0) < 1000


def test_csv_export_holds_the_visible_samples(make_view, bus, qtbot, tmp_path):
    publish(bus, "speed", 0, 3000, bad=(2500,))
    publish(bus, "temperature", 0, 3000, offset=20.0)
    view = make_view(bus)
    view.set_window(TimeWindow.SECONDS_10)  # the last 1,001 samples of each: 19.99 s … 29.99 s
    view.add_series("speed", "Speed", "rpm")
    view.add_series("temperature", "Temperature", "°C")
    qtbot.waitUntil(lambda: drawn(view, "speed", 3000) and drawn(view, "temperature", 3000), timeout=30_000)
    path = tmp_path / "visible.csv"
    rows = view.export_csv(path)
    frame = pd.read_csv(path)
    assert rows == len(frame) == 1001
    assert list(frame.columns) == ["time", "Speed [rpm]", "Temperature [°C]"]
    expected = np.arange(1999, 3000, dtype=np.float64)
    assert frame["Temperature [°C]"].tolist() == (expected + 20.0).tolist()
    speed = frame["Speed [rpm]"]
    assert speed.isna().sum() == 1 and np.isnan(speed[2500 - 1999])  # the gap is an empty cell
    assert speed.dropna().tolist() == np.delete(expected, 2500 - 1999).tolist()
    assert frame["time"].iloc[-1] == pd.Timestamp(T0 + 2999 * STEP, tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_png_export_writes_the_plot(make_view, bus, qtbot, tmp_path):
    publish(bus, "k", 0, 1000)
    view = make_view(bus)
    view.add_series("k", "K", "bar")
    qtbot.waitUntil(lambda: drawn(view, "k", 1000), timeout=30_000)
    path = tmp_path / "trend.png"
    view.export_png(path)
    image = QImage(str(path))
    assert image.width() == view.plot.width() and image.height() == view.plot.height()
    background = image.pixel(2, 2)
    differing = sum(image.pixel(x, y) != background
                    for x in range(0, image.width(), 7) for y in range(0, image.height(), 7))
    assert differing > 100  # axes, ticks, legend and the line: not a blank picture
    assert [p.name for p in tmp_path.iterdir()] == ["trend.png"]


def test_history_samples_stay_while_the_bus_refreshes(make_view, bus, qtbot):
    view = make_view(bus)
    t = T0 + np.arange(100)[::-1] * NS  # a history read may come newest first
    view.show_samples("plc1/level", "Level (history)", "m", t, np.arange(100.0)[::-1],
                      np.full(100, Quality.GOOD, np.uint8))
    assert view.pages.currentWidget() is view.plot
    assert list(view.data("plc1/level").v[:3]) == [0.0, 1.0, 2.0]
    qtbot.waitUntil(lambda: abs(view.visible_range_ns()[1] - (T0 + 99 * NS)) < 1000)
    publish(bus, "plc1/level", 0, 10)  # the same key live: not drawn over the history
    publish(bus, "plc1/flow", 0, 10)
    view.add_series("plc1/flow", "Flow", "m³/h")
    qtbot.waitUntil(lambda: drawn(view, "plc1/flow", 10), timeout=30_000)
    assert len(view.data("plc1/level")) == 100
    view.set_cursor((T0 + 50 * NS + NS // 2) / NS)
    assert "Level (history): 50.0 m" in view.readout.text()


def test_dropped_tags_are_announced_for_the_owner_to_add(make_view, qtbot):
    view = make_view(None)
    refs = [TagRef("plc1", point="Line1.Speed", unit="rpm"), TagRef("plc2", address="40001")]
    mime = tags_mime_data(refs)
    drop = QDropEvent(QPointF(view.rect().center()), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(view.series_dropped, timeout=5_000) as dropped:
        view.dropEvent(drop)
    assert dropped.args == [refs] and drop.isAccepted()


def test_the_event_loop_keeps_running_while_20_long_series_refresh(make_view, qtbot):
    bus = LiveBus(capacity=100_000)
    keys = [f"plc1/tag{i}" for i in range(20)]
    for i, key in enumerate(keys):
        publish(bus, key, 0, 100_000, offset=i * 1000.0)
    view = make_view(bus)
    view.set_window(TimeWindow.ALL)
    for i, key in enumerate(keys):
        view.add_series(key, f"Tag {i}", ("rpm", "bar", "°C")[i % 3])
    stop = threading.Event()

    def publisher() -> None:  # every series changes before every refresh
        n = 100_000
        while not stop.wait(0.01):
            for key in keys:
                publish(bus, key, n, 1)
            n += 1

    gaps, last = [], [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(beat)
    refreshes = []
    view.timer.timeout.connect(lambda: refreshes.append(len(view.data(keys[-1]))))
    thread = threading.Thread(target=publisher, daemon=True)
    heartbeat.start()
    thread.start()
    try:
        qtbot.waitUntil(lambda: len(refreshes) >= 20 and len(view.data(keys[-1])) == 100_000, timeout=60_000)
    finally:
        stop.set()
        thread.join(5)
        heartbeat.stop()
    assert all(len(view.data(key)) == 100_000 for key in keys)
    assert len(gaps) >= 10 and max(gaps) < 1.0


def test_the_time_axis_names_hour_minute_and_second_below_a_minute(qapp):
    from device_browser.ui.trends import ClockAxis

    axis = ClockAxis(orientation="bottom")
    t = datetime.datetime(2026, 12, 2, 12, 39, 51).timestamp()
    assert axis.tickStrings([t], 1.0, 5.0) == ["12:39:51"]
    assert axis.tickStrings([t + 0.25], 1.0, 0.25) == ["12:39:51.250"]
