"""The watch list view: live values from a real bus, refreshed for visible rows in one signal per tick."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from qtpy.QtCore import QModelIndex, QPoint, Qt
from qtpy.QtGui import QGuiApplication
from qtpy.QtWidgets import QAbstractItemView

from device_browser.bus import LiveBus
from device_browser.tags import TagRef
from device_browser.ui.tag_mime import TAG_MIME, decode_tags, tags_mime_data
from device_browser.ui.watch_list import QUALITY_COLOURS, Column, WatchListView
from device_browser.watch import DisplayFormat, WatchItem, WatchList, format_watch_value
from nodes.quality import Quality

ROWS = 5000
ROUNDS = 20


def tag(i: int) -> TagRef:
    return TagRef("plc1", point=f"Line{i // 100}.Motor{i % 100}.Speed", unit="rpm")


def final_value(i: int) -> float:
    return float(ROUNDS * 10_000 + i)


@pytest.fixture
def bus():
    return LiveBus(capacity=64)


@pytest.fixture
def make_view(qtbot):
    def make(watch: WatchList, bus: LiveBus | None, timer: bool = True) -> WatchListView:
        view = WatchListView(watch, bus)
        qtbot.addWidget(view)  # closed and deleted after the test
        view.resize(800, 500)
        view.show()
        qtbot.waitExposed(view)
        if not timer:
            view.timer.stop()
        return view

    return make


def publish_rounds(bus: LiveBus, rows: int, rounds: int, quality: int = 0) -> None:
    for r in range(1, rounds + 1):
        for i in range(rows):
            bus.publish(str(tag(i)), 1_700_000_000_000_000_000 + r * 1_000_000, float(r * 10_000 + i), quality)


def rows_show_final_values(view: WatchListView, first: int, last: int) -> bool:
    model = view.model
    return all(model.text(row, Column.VALUE) == format_watch_value(final_value(row))
               and model.updates(row) == ROUNDS for row in range(first, last + 1))


def test_5000_rows_show_the_latest_values_published_from_another_thread(make_view, bus, qtbot):
    view = make_view(WatchList(tag(i) for i in range(ROWS)), bus)
    assert view.model.rowCount() == ROWS
    publisher = threading.Thread(target=publish_rounds, args=(bus, ROWS, ROUNDS))
    first, last = view.visible_rows()
    assert 0 == first < last < 100
    publisher.start()  # the view keeps ticking while the thread publishes
    qtbot.waitUntil(lambda: rows_show_final_values(view, first, last), timeout=30_000)
    publisher.join(10)
    assert view.model.text(0, Column.QUALITY) == "good"
    assert view.model.text(0, Column.SOURCE_TIME) == "2023-11-14T22:13:20.020Z"
    assert view.model.latest(ROWS - 1) is None  # rows off screen are not read
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: view.visible_rows()[1] == ROWS - 1, timeout=5_000)
    first, last = view.visible_rows()
    qtbot.waitUntil(lambda: rows_show_final_values(view, first, last), timeout=10_000)


def test_a_tick_emits_one_data_changed_whatever_the_number_of_samples(make_view, bus):
    view = make_view(WatchList(tag(i) for i in range(ROWS)), bus, timer=False)
    emitted: list[tuple[int, int, int, int]] = []
    view.model.dataChanged.connect(lambda a, b, roles=(): emitted.append((a.row(), a.column(), b.row(), b.column())))
    first, last = view.visible_rows()
    for rounds in (1, 10):  # 5,000 then 50,000 samples between two ticks
        emitted.clear()
        publish_rounds(bus, ROWS, rounds)
        assert view.tick()
        assert emitted == [(first, Column.VALUE, last, Column.UPDATES)]
    emitted.clear()
    assert not view.tick()  # nothing new: nothing announced
    bus.publish(str(tag(first + 2)), 1, 5.0, 0)
    assert view.tick()
    assert emitted == [(first + 2, Column.VALUE, first + 2, Column.UPDATES)]


def test_quality_is_named_and_coloured(make_view, bus):
    view = make_view(WatchList(tag(i) for i in range(4)), bus, timer=False)
    for i, quality in enumerate([Quality.GOOD, Quality.UNCERTAIN, Quality.BAD]):
        bus.publish(str(tag(i)), 1, 1.0, quality)
    view.tick()
    model = view.model
    assert [model.text(i, Column.QUALITY) for i in range(4)] == ["good", "uncertain", "bad", ""]
    colours = [model.data(model.index(i, Column.QUALITY), Qt.ItemDataRole.BackgroundRole) for i in range(4)]
    assert colours[:3] == [QUALITY_COLOURS[Quality.GOOD], QUALITY_COLOURS[Quality.UNCERTAIN],
                           QUALITY_COLOURS[Quality.BAD]]
    assert colours[3] is None
    assert len({c.name() for c in colours[:3]}) == 3


def test_display_format_and_name_changes_show_at_once(make_view, bus):
    watch = WatchList([tag(0)])
    view = make_view(watch, bus, timer=False)
    bus.publish(str(tag(0)), 1, 255, 0)
    view.tick()
    assert view.model.text(0, Column.VALUE) == "255"
    watch.update(0, display=DisplayFormat.HEX, name="Motor speed")
    assert view.model.text(0, Column.VALUE) == "0xFF"
    assert view.model.text(0, Column.NAME) == "Motor speed"
    assert view.model.text(0, Column.UNIT) == "rpm"


def test_rows_follow_moves_and_removals_of_the_list(make_view, bus):
    watch = WatchList(tag(i) for i in range(5))
    view = make_view(watch, bus, timer=False)
    for i in range(5):
        bus.publish(str(tag(i)), 1, float(i), 0)
    view.tick()
    watch.move(0, 3)
    watch.remove([0])
    assert [view.model.text(r, Column.VALUE) for r in range(4)] == ["2.0", "3.0", "0.0", "4.0"]
    assert [view.model.text(r, Column.NAME) for r in range(4)] == [str(tag(i)) for i in (2, 3, 0, 4)]


def select_rows(view: WatchListView, rows: list[int]) -> None:
    view.table.clearSelection()
    view.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
    for row in rows:
        view.table.selectRow(row)
    view.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)


def test_ctrl_c_copies_the_selected_rows_as_tsv_and_as_tags(make_view, bus, qtbot):
    watch = WatchList([WatchItem(tag(0), name="Speed A"), tag(1), WatchItem(tag(2), name="Speed C", unit="Hz")])
    view = make_view(watch, bus, timer=False)
    bus.publish(str(tag(0)), 1_700_000_000_000_000_000, 12.5, 0)
    bus.publish(str(tag(2)), 1_700_000_000_000_000_000, 7.0, 2)
    bus.publish(str(tag(2)), 1_700_000_000_001_000_000, 8.0, 2)
    view.tick()
    select_rows(view, [2, 0])
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.text().splitlines() == ["Speed A\t12.5\trpm\tgood\t2023-11-14T22:13:20.000Z\t1",
                                        "Speed C\t8.0\tHz\tbad\t2023-11-14T22:13:20.001Z\t2"]
    assert decode_tags(mime.data(TAG_MIME).data()) == [tag(0), tag(2)]


def test_delete_removes_the_selected_rows(make_view, bus, qtbot):
    watch = WatchList(tag(i) for i in range(5))
    view = make_view(watch, bus, timer=False)
    select_rows(view, [1, 3])
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Delete)
    assert [item.ref for item in watch] == [tag(0), tag(2), tag(4)]
    assert view.model.rowCount() == 3


def test_dragged_rows_carry_tags_that_a_drop_adds(make_view, bus):
    source = make_view(WatchList(tag(i) for i in range(4)), bus, timer=False)
    mime = source.model.mimeData([source.model.index(3, Column.VALUE), source.model.index(1, Column.NAME),
                                  source.model.index(1, Column.UNIT)])
    assert mime.hasFormat("application/x-millwright-tag")
    assert decode_tags(mime.data(TAG_MIME).data()) == [tag(1), tag(3)]
    assert source.model.supportedDragActions() == Qt.DropAction.CopyAction  # dragging out never removes

    target_list = WatchList([tag(10), tag(11)])
    target = make_view(target_list, bus, timer=False)
    model = target.model
    assert model.canDropMimeData(mime, Qt.DropAction.CopyAction, -1, -1, QModelIndex())
    assert model.dropMimeData(mime, Qt.DropAction.CopyAction, 1, 0, QModelIndex())  # between the two rows
    assert [item.ref for item in target_list] == [tag(10), tag(1), tag(3), tag(11)]
    assert model.dropMimeData(tags_mime_data([tag(3), tag(12)]), Qt.DropAction.CopyAction, -1, -1, QModelIndex())
    assert [item.ref for item in target_list][-1] == tag(12) and len(target_list) == 5  # no duplicates

    text_only = tags_mime_data([])
    text_only.removeFormat(TAG_MIME)
    assert not model.canDropMimeData(text_only, Qt.DropAction.CopyAction, -1, -1, QModelIndex())


def test_empty_view_says_what_to_do(make_view, bus):
    view = make_view(WatchList(), None)
    assert "Connect a device" in view.table.hint
    assert not view.tick()
    view.set_bus(bus)
    assert "Drag tags here" in view.table.hint
    image = view.grab().toImage()
    assert not image.isNull()
    view.add_tags([tag(0)])
    assert view.model.rowCount() == 1
    assert view.table.rowAt(0) == 0 and view.table.indexAt(QPoint(2, 2)).row() == 0


def test_a_process_that_copied_rows_exits_cleanly():
    # PySide6 crashes at exit while the clipboard holds a QMimeData made in Python; the workbench
    # puts the plain text in its place first (workbench.ui.application.keep_clipboard_text).
    code = """
import sys
from qtpy.QtWidgets import QApplication
from device_browser.tags import TagRef
from device_browser.ui.watch_list import WatchTableModel
from device_browser.watch import WatchList
from workbench.ui.application import keep_clipboard_text
app = QApplication(sys.argv)
model = WatchTableModel(WatchList([TagRef("pump", point="flow")]))
app.clipboard().setMimeData(model.mimeData([model.index(0, 0)]))
keep_clipboard_text()
print(repr(app.clipboard().text()))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("'pump/flow\\t")  # the rows' text stays on the clipboard
