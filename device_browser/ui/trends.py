"""The trend view: chosen tags from the live bus as lines against time, one y-axis per unit.

A :class:`TrendView` reads the :class:`~device_browser.bus.LiveBus` from a ~20 Hz timer, and
only the series whose write counter moved; each is redrawn from a snapshot of its ring (at most
:data:`~device_browser.trend.MAX_POINTS` samples), downsampled to the screen and clipped to the
visible range by pyqtgraph. Series with the same unit share a y-axis; each further unit gets
its own axis and view box, linked in time. The time axis follows the newest sample until the
user zooms, pans or presses Follow (F) to pause; the data keep arriving in the bus meanwhile.
Bad samples are gaps, uncertain stretches are dashed (see :mod:`device_browser.trend`).

Run standalone with simulated values: ``python -m device_browser.ui.trends``.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtGui import QAction, QColor, QKeySequence, QPalette
from qtpy.QtWidgets import QComboBox, QFileDialog, QLabel, QMenu, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from device_browser.bus import LiveBus
from device_browser.display import format_value
from device_browser.recordings import RecordingError
from device_browser.tags import TagRef
from device_browser.trend import MAX_POINTS, NS, TimeWindow, TrendSeries, export_csv, lines, range_of, value_at
from device_browser.ui.tag_mime import TAG_MIME, tags_from_mime
from nodes.atomic_file import AtomicFile
from nodes.chunk import Chunk
from nodes.quality import Quality

REFRESH_MS = 50  # 20 Hz: smooth enough for a line that moves by a few pixels, cheap for 20 long series
CURSOR_RATE = 30  # cursor read-outs per second at most, however fast the mouse moves

# Tableau's ten: mid-tone colours that read on the light and the dark theme alike.
SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


@dataclass(eq=False)
class _Line:
    """A series on screen: its curves, the samples drawn and how far into the bus they reach."""

    series: TrendSeries
    curve: pg.PlotDataItem
    dashed: pg.PlotDataItem
    data: Chunk = field(default_factory=Chunk.empty)
    seen: int = -1  # the bus' write count at the last draw; -1: never drawn
    static: bool = False  # samples given by show_samples (a history read), never replaced by the bus
    box: pg.ViewBox | None = None  # the view box of the series' unit, while on screen


class ClockAxis(pg.DateAxisItem):
    """Local time that always names the hour and minute: pyqtgraph writes ``51.000`` below a minute."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing >= 60:  # minutes and longer: pyqtgraph's own labels (dates where the day changes)
            return super().tickStrings(values, scale, spacing)
        fraction = spacing < 1
        texts = []
        for value in values:
            try:
                moment = dt.datetime.fromtimestamp(value)
            except (OverflowError, ValueError, OSError):
                texts.append("")
                continue
            texts.append(moment.strftime("%H:%M:%S.%f")[:-3] if fraction else moment.strftime("%H:%M:%S"))
        return texts


class TrendView(QWidget):
    """Trends of bus tags and of static samples; the Trends dock's content.

    Tags dropped on it (MIME type ``application/x-millwright-tag``) are announced by
    :attr:`series_dropped`; the owner knows their bus keys and calls :meth:`add_series`.
    """

    series_dropped = Signal(list)  # list[TagRef]
    follow_changed = Signal(bool)

    def __init__(self, bus: LiveBus | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.bus = bus
        self._lines: dict[str, _Line] = {}
        self._boxes: dict[str, pg.ViewBox] = {}  # axis unit → its view box (the first unit: the plot's own)
        self._extra_axes: list[tuple[pg.AxisItem, pg.ViewBox]] = []
        self._window = TimeWindow.MINUTE_1
        self._follow = True
        self._colour = 0
        self._build()
        self._apply_palette()
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.retranslate()

    # -- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        self.plot = pg.PlotWidget(axisItems={"bottom": ClockAxis(orientation="bottom")})
        self.plot.setAcceptDrops(False)  # drops go to the view, which knows the tag MIME type
        self.plot.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)  # ours, not pyqtgraph's
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.2)
        self.legend = item.addLegend(offset=(10, 10))
        main = item.getViewBox()
        main.disableAutoRange(pg.ViewBox.XAxis)  # the x range is ours: follow or the user's zoom
        main.sigResized.connect(self._sync_boxes)
        main.sigRangeChangedManually.connect(self._zoomed)
        self.cursor = pg.InfiniteLine(angle=90, movable=False)
        self.cursor.hide()
        item.addItem(self.cursor, ignoreBounds=True)
        self._mouse = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=CURSOR_RATE, slot=self._mouse_moved)

        self.hint = QLabel()
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)  # the theme's disabled text colour, as the other docks' empty states
        self.hint.setMargin(12)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.hint)
        self.pages.addWidget(self.plot)
        self.readout = QLabel()  # the cursor's values, or the outcome of an export
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setWordWrap(True)

        self.follow_action = self._action(self.toggle_follow, "F", checkable=True)
        self.follow_action.setChecked(True)
        self.csv_action = self._action(self.ask_export_csv, QKeySequence("Ctrl+E"))
        self.png_action = self._action(self.ask_export_png, QKeySequence("Ctrl+Shift+E"))
        self.clear_action = self._action(self.clear)
        self.window_box = QComboBox()
        for preset in TimeWindow:
            self.window_box.addItem("", preset)
        self.window_box.setCurrentIndex(list(TimeWindow).index(self._window))
        self.window_box.currentIndexChanged.connect(lambda i: self.set_window(self.window_box.itemData(i)))
        self.toolbar = QToolBar()
        self.toolbar.addAction(self.follow_action)
        self.toolbar.addWidget(self.window_box)
        self.toolbar.addSeparator()
        for action in (self.csv_action, self.png_action, self.clear_action):
            self.toolbar.addAction(action)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.readout)
        self.setAcceptDrops(True)

    def _action(self, slot, shortcut=None, checkable: bool = False) -> QAction:
        action = QAction(self)
        action.setCheckable(checkable)
        action.triggered.connect(lambda *_: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)  # F elsewhere is not ours
        self.addAction(action)
        return action

    def retranslate(self) -> None:
        self.follow_action.setText(self.tr("Follow"))
        self.follow_action.setToolTip(self.tr("Follow the newest samples (F); zooming or panning pauses"))
        self.csv_action.setText(self.tr("Export CSV…"))
        self.csv_action.setToolTip(self.tr("Save the visible samples as a CSV file (Ctrl+E)"))
        self.png_action.setText(self.tr("Export PNG…"))
        self.png_action.setToolTip(self.tr("Save the plot as a PNG image (Ctrl+Shift+E)"))
        self.clear_action.setText(self.tr("Clear"))
        self.clear_action.setToolTip(self.tr("Remove every series from the trend"))
        self.window_box.setToolTip(self.tr("Time range shown"))
        for i, preset in enumerate(TimeWindow):
            self.window_box.setItemText(i, self.window_label(preset))
        self.hint.setText(self.tr("Drag tags here from the watch list or the device tree to trend them."))

    def window_label(self, preset: TimeWindow) -> str:
        return {TimeWindow.SECONDS_10: self.tr("10 s"), TimeWindow.MINUTE_1: self.tr("1 min"),
                TimeWindow.MINUTES_10: self.tr("10 min"), TimeWindow.HOUR_1: self.tr("1 h"),
                TimeWindow.ALL: self.tr("All")}[preset]

    # -- series ---------------------------------------------------------------------------

    def set_bus(self, bus: LiveBus | None) -> None:
        """Trend values from ``bus`` from now on (None: no devices connected)."""
        self.bus = bus
        for line in self._lines.values():
            if not line.static:
                line.seen, line.data = -1, Chunk.empty()
                self._draw(line)
        self.refresh()

    def add_series(self, key: str, label: str, unit: str) -> None:
        """Trend the bus tag ``key`` as ``label`` on the axis of ``unit`` (again: relabel, go live)."""
        line = self._line(TrendSeries(key, label, unit))
        line.static, line.seen = False, -1
        self.refresh()

    def show_samples(self, key: str, label: str, unit: str, t_ns: np.ndarray, values: np.ndarray,
                     quality: np.ndarray) -> None:
        """Show fixed samples (e.g. a history read) as series ``key``; the live refresh leaves them alone."""
        line = self._line(TrendSeries(key, label, unit))
        order = np.argsort(t_ns, kind="stable")  # a history read may come back newest first
        line.data = Chunk.of(np.asarray(t_ns)[order], np.asarray(values, np.float64)[order],
                             np.asarray(quality)[order])
        line.static = True
        self._draw(line)
        self._place_time(force=True)

    def remove_series(self, key: str) -> None:
        line = self._lines.pop(key, None)
        if line is None:
            return
        self._detach(line)
        self._arrange()

    def series(self) -> list[TrendSeries]:
        """The series shown, in the order they were added."""
        return [line.series for line in self._lines.values()]

    def clear(self) -> None:
        for key in list(self._lines):
            self.remove_series(key)
        self.readout.clear()

    def curve(self, key: str) -> pg.PlotDataItem:
        """The solid curve of series ``key`` (good samples; NaN at gaps and uncertain stretches)."""
        return self._lines[key].curve

    def data(self, key: str) -> Chunk:
        """The samples series ``key`` shows now."""
        return self._lines[key].data

    def _line(self, series: TrendSeries) -> _Line:
        line = self._lines.get(series.key)
        if line is None:
            colour = QColor(SERIES_COLOURS[self._colour % len(SERIES_COLOURS)])
            self._colour += 1
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1), connect="finite")
            dashed = pg.PlotDataItem(pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine), connect="finite")
            for c in (curve, dashed):
                c.setDownsampling(auto=True, method="peak")
                c.setClipToView(True)
            line = self._lines[series.key] = _Line(series, curve, dashed)
        line.series = series
        self._arrange()
        return line

    # -- axes -----------------------------------------------------------------------------

    def axis_units(self) -> list[str]:
        """The units that have a y-axis, left one first."""
        return list(self._boxes)

    def view_box(self, unit: str) -> pg.ViewBox:
        """The view box of the axis of ``unit`` (as a series gave it)."""
        return self._boxes[TrendSeries("", "", unit).axis_unit]

    def _arrange(self) -> None:
        """Give each unit an axis and each series its unit's view box; rebuild the legend."""
        item = self.plot.getPlotItem()
        for line in self._lines.values():
            self._detach(line)
        for axis, box in self._extra_axes:
            axis.unlinkFromView()
            item.layout.removeItem(axis)
            item.scene().removeItem(axis)
            item.scene().removeItem(box)
        self._extra_axes.clear()
        self.legend.clear()
        units: dict[str, str] = {}  # axis unit → unit as shown
        for line in self._lines.values():
            units.setdefault(line.series.axis_unit, line.series.unit)
        main = item.getViewBox()
        self._boxes = {}
        for i, (unit, shown) in enumerate(units.items()):
            if i == 0:
                box, axis = main, item.getAxis("left")
            else:
                box, axis = pg.ViewBox(), pg.AxisItem("right")
                item.layout.addItem(axis, 2, 2 + i)
                item.scene().addItem(box)
                axis.linkToView(box)
                box.setXLink(main)
                box.sigRangeChangedManually.connect(self._zoomed)
                self._extra_axes.append((axis, box))
            box.enableAutoRange(pg.ViewBox.YAxis)
            box.setAutoVisible(y=True)  # scale y to what is on screen, not to the whole ring
            axis.setLabel(shown)
            self._boxes[unit] = box
        for line in self._lines.values():
            line.box = self._boxes[line.series.axis_unit]
            for curve in (line.curve, line.dashed):
                # Parent first: added to the scene without one, a clipped curve asks the
                # GraphicsView for its range and fails (pyqtgraph's ViewBox.addItem order).
                curve.setParentItem(line.box.childGroup)
                line.box.addItem(curve)
            name = f"{line.series.label} [{line.series.unit}]" if line.series.unit else line.series.label
            self.legend.addItem(line.curve, name)
        if not units:
            item.getAxis("left").setLabel("")
        self.pages.setCurrentWidget(self.plot if self._lines else self.hint)
        self._apply_palette()
        self._sync_boxes()

    @staticmethod
    def _detach(line: _Line) -> None:
        if line.box is not None:
            line.box.removeItem(line.curve)
            line.box.removeItem(line.dashed)
            line.box = None

    def _sync_boxes(self) -> None:
        main = self.plot.getPlotItem().getViewBox()
        for _, box in self._extra_axes:
            box.setGeometry(main.sceneBoundingRect())
            box.linkedViewChanged(main, box.XAxis)

    # -- refresh and time range -------------------------------------------------------------

    def _tick(self) -> None:
        # Long series cost more to draw than a frame lasts: wait twice as long as the last redraw
        # took, so that the trend never holds the window more than a third of the time.
        started = time.perf_counter()
        if self.refresh():
            spent_ms = (time.perf_counter() - started) * 1000
            self.timer.setInterval(max(REFRESH_MS, round(2 * spent_ms)))

    def refresh(self) -> bool:
        """Redraw the live series that have new samples in the bus; returns whether any had."""
        bus, changed = self.bus, False
        if bus is not None:
            for line in self._lines.values():
                if line.static:
                    continue
                written = bus.written(line.series.key)
                if written == line.seen:
                    continue  # nothing new: no lock, no copy
                line.seen = written
                line.data = bus.snapshot(line.series.key, last=MAX_POINTS)
                self._draw(line)
                changed = True
        if changed:
            self._place_time()
        return changed

    def _draw(self, line: _Line) -> None:
        drawn = lines(line.data)
        line.curve.setData(drawn.x, drawn.solid)
        if drawn.dashed is not None:
            line.dashed.setData(drawn.x, drawn.dashed)
        elif line.dashed.xData is not None and len(line.dashed.xData):
            line.dashed.setData([], [])

    @property
    def following(self) -> bool:
        return self._follow

    @property
    def time_window(self) -> TimeWindow:
        return self._window

    def set_follow(self, follow: bool) -> None:
        """Slide the time axis with the newest sample (True) or freeze it where it is (False)."""
        if follow == self._follow:
            return
        self._follow = follow
        self.follow_action.setChecked(follow)
        if follow:
            for box in self._boxes.values():
                box.enableAutoRange(pg.ViewBox.YAxis)  # a zoom in y is undone with the pause it caused
            self._place_time(force=True)
        self.follow_changed.emit(follow)

    def toggle_follow(self) -> None:
        self.set_follow(not self._follow)

    def set_window(self, preset: TimeWindow) -> None:
        """Show ``preset``'s time range: ending at the newest sample when following, at the view's end when paused."""
        self._window = preset
        index = list(TimeWindow).index(preset)
        if self.window_box.currentIndex() != index:
            self.window_box.setCurrentIndex(index)  # comes back here once, with nothing left to do
            return
        if self._follow:
            self._place_time(force=True)
            return
        end = self.visible_range_ns()[1]
        self._show_range(end - preset.value * NS if preset.value else None, end)

    def visible_range_ns(self) -> tuple[int, int]:
        """The time range on screen, ns since the epoch, to the microsecond (what a float of seconds holds)."""
        t0, t1 = self.plot.getPlotItem().getViewBox().viewRange()[0]
        return round(t0 * 1e6) * 1000, round(t1 * 1e6) * 1000

    def _place_time(self, force: bool = False) -> None:
        if not self._follow and not force:
            return
        span = range_of({key: line.data for key, line in self._lines.items()})
        if span is None:
            return
        end = span[1]
        start = span[0] if self._window.value is None else end - self._window.value * NS
        self._show_range(start, end)

    def _show_range(self, start_ns: int | None, end_ns: int) -> None:
        if start_ns is None:
            span = range_of({key: line.data for key, line in self._lines.items()})
            start_ns = span[0] if span else end_ns - NS
        if end_ns <= start_ns:
            start_ns, end_ns = start_ns - NS // 2, end_ns + NS // 2  # one sample: a second around it
        self.plot.getPlotItem().getViewBox().setXRange(start_ns / NS, end_ns / NS, padding=0)

    def _zoomed(self, *_: object) -> None:
        self.set_follow(False)  # the user looks at something: stop moving it away

    # -- cursor ---------------------------------------------------------------------------

    def _mouse_moved(self, event: tuple) -> None:
        position = event[0]
        main = self.plot.getPlotItem().getViewBox()
        if not self._lines or not main.sceneBoundingRect().contains(position):
            return
        self.set_cursor(main.mapSceneToView(position).x())

    def set_cursor(self, t_s: float) -> None:
        """Put the cursor at ``t_s`` (seconds since the epoch) and show each series' value there."""
        self.cursor.setPos(t_s)
        self.cursor.show()
        self.readout.setText(self.cursor_text(t_s))

    def cursor_text(self, t_s: float) -> str:
        """The read-out at ``t_s``: the local time, as the axis shows it, then each series' value in force."""
        parts = [dt.datetime.fromtimestamp(t_s).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]]
        for line in self._lines.values():
            found = value_at(line.data, round(t_s * NS))
            if found is None:
                continue
            value, quality = found
            text = self.tr("no value") if math.isnan(value) else format_value(value)
            if line.series.unit and not math.isnan(value):
                text += f" {line.series.unit}"
            if quality != Quality.GOOD:
                text += f" ({self.quality_text(quality)})"
            parts.append(f"{line.series.label}: {text}")
        return "   ".join(parts)

    def quality_text(self, quality: int) -> str:
        return {Quality.GOOD: self.tr("good"), Quality.UNCERTAIN: self.tr("uncertain")}.get(quality, self.tr("bad"))

    # -- export ---------------------------------------------------------------------------

    def export_csv(self, path: Path) -> int:
        """Write the samples in the visible time range to ``path``; returns the rows written.

        Raises :class:`~device_browser.recordings.RecordingError` naming the file if it cannot be written.
        """
        t0, t1 = self.visible_range_ns()
        return export_csv(Path(path), {line.series: line.data for line in self._lines.values()}, t0, t1)

    def export_png(self, path: Path) -> None:
        """Save the plot as it looks on screen to ``path`` (PNG), atomically; OSError if it cannot."""
        target = AtomicFile(Path(path))
        if not self.plot.grab().save(str(target.tmp), "PNG"):
            target.abort()
            raise OSError(f"{path}: the image cannot be written")
        target.commit()

    def ask_export_csv(self) -> None:
        self._ask_path(self.tr("Export visible data"), self.tr("CSV files (*.csv)"), ".csv", self._export_csv_to)

    def ask_export_png(self) -> None:
        self._ask_path(self.tr("Export plot image"), self.tr("PNG images (*.png)"), ".png", self._export_png_to)

    def _ask_path(self, title: str, filter_: str, suffix: str, then) -> None:
        # open(), not exec(): a modal loop inside the qasync loop breaks running coroutines.
        dialog = QFileDialog(self, title, "", filter_)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.fileSelected.connect(lambda name: then(Path(name)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _export_csv_to(self, path: Path) -> None:
        try:
            rows = self.export_csv(path)
        except RecordingError as exc:
            self.readout.setText(str(exc))
            return
        self.readout.setText(self.tr("%1 rows written to %2").replace("%1", str(rows)).replace("%2", str(path)))

    def _export_png_to(self, path: Path) -> None:
        try:
            self.export_png(path)
        except OSError as exc:
            self.readout.setText(self.tr("%1: the image cannot be written (%2)").replace("%1", str(path))
                                 .replace("%2", exc.strerror or str(exc)))
            return
        self.readout.setText(self.tr("Plot saved to %1").replace("%1", str(path)))

    # -- events ---------------------------------------------------------------------------

    def dragEnterEvent(self, event: QEvent) -> None:
        if event.mimeData().hasFormat(TAG_MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QEvent) -> None:
        if event.mimeData().hasFormat(TAG_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QEvent) -> None:
        refs: list[TagRef] = tags_from_mime(event.mimeData())
        if refs:
            event.acceptProposedAction()
            self.series_dropped.emit(refs)

    def contextMenuEvent(self, event: QEvent) -> None:
        menu = QMenu(self)
        menu.addAction(self.follow_action)
        ranges = menu.addMenu(self.tr("Time range"))
        for preset in TimeWindow:
            action = ranges.addAction(self.window_label(preset), lambda p=preset: self.set_window(p))
            action.setCheckable(True)
            action.setChecked(preset == self._window)
        menu.addSeparator()
        for action in (self.csv_action, self.png_action, self.clear_action):
            action.setEnabled(bool(self._lines))
            menu.addAction(action)
        menu.aboutToHide.connect(lambda: [action.setEnabled(True) for action in (self.csv_action, self.png_action,
                                                                                  self.clear_action)])
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())  # not exec(): no nested event loop under qasync

    def showEvent(self, event: QEvent) -> None:
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def hideEvent(self, event: QEvent) -> None:
        self.timer.stop()  # a hidden dock reads nothing
        super().hideEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        elif event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def _apply_palette(self) -> None:
        """Plot colours from the widget's palette, so that the trend follows the light or dark theme."""
        palette = self.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.plot.setBackground(background)
        item = self.plot.getPlotItem()
        axes = [item.getAxis(name) for name in ("left", "bottom")] + [axis for axis, _ in self._extra_axes]
        for axis in axes:
            axis.setPen(text)
            axis.setTextPen(text)
        self.legend.setLabelTextColor(text)
        legend_background = QColor(background)
        legend_background.setAlpha(200)
        self.legend.setBrush(legend_background)
        self.legend.setPen(palette.color(QPalette.ColorRole.Mid))
        self.cursor.setPen(pg.mkPen(palette.color(QPalette.ColorRole.Highlight), width=1))


def _preview() -> None:  # pragma: no cover - a manual check: python -m device_browser.ui.trends
    import sys
    import threading
    import time

    from qtpy.QtWidgets import QApplication

    app = QApplication(sys.argv)
    bus = LiveBus()
    view = TrendView(bus)
    view.add_series("speed", "Motor speed", "rpm")
    view.add_series("temperature", "Bearing temperature", "°C")
    view.add_series("pressure", "Line pressure", "bar")
    stop = threading.Event()

    def publish() -> None:
        while not stop.wait(0.01):
            now = time.time_ns()
            second = now // NS
            quality = Quality.BAD if second % 20 == 0 else Quality.UNCERTAIN if second % 20 < 3 else Quality.GOOD
            bus.publish("speed", now, 1500 + 100 * math.sin(now / 2e9), int(quality))
            bus.publish("temperature", now, 60 + 5 * math.sin(now / 7e9), 0)
            bus.publish("pressure", now, 4 + 0.3 * math.cos(now / 3e9), 0)

    threading.Thread(target=publish, daemon=True).start()
    view.resize(1000, 500)
    view.show()
    app.exec()
    stop.set()


if __name__ == "__main__":
    _preview()
