"""The data browser's plot: envelopes of recorded tags, annotations as labelled regions, a selected range.

Curves receive envelopes (:class:`device_browser.data_browser.Envelope`), never raw recordings, so
the points drawn stay bounded by the plot's width whatever a tag holds. The x axis is time in
seconds since the epoch (local clock labels, as the Trends view). Shift+drag selects a time range
(as does :meth:`DataPlot.select_middle`); annotations are shaded regions labelled at their start,
and clicking one announces it.
"""

from __future__ import annotations

from collections.abc import Callable

import pyqtgraph as pg
from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QWidget

from device_browser.data_browser import Envelope
from device_browser.store import Annotation, Gap
from device_browser.ui.trends import SERIES_COLOURS, ClockAxis

ANNOTATION_COLOUR = "#e6a700"  # amber: reads on light and dark backgrounds, apart from the series colours


class _SelectingViewBox(pg.ViewBox):
    """A view box where Shift+drag selects a time range instead of panning."""

    def __init__(self, on_select: Callable[[float, float, bool], None]):
        super().__init__()
        self._on_select = on_select

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            ev.accept()
            x0 = self.mapSceneToView(ev.buttonDownScenePos()).x()
            x1 = self.mapSceneToView(ev.scenePos()).x()
            self._on_select(min(x0, x1), max(x0, x1), ev.isFinish())
            return
        super().mouseDragEvent(ev, axis)


class _AnnotationRegion(pg.LinearRegionItem):
    """An annotation's shaded range; a click on it announces the annotation."""

    def __init__(self, annotation: Annotation, on_click: Callable[[int], None]):
        super().__init__((annotation.start_ns / 1e9, annotation.end_ns / 1e9), movable=False)
        self.annotation = annotation
        self._on_click = on_click
        self.label = pg.InfLineLabel(self.lines[0], text=annotation.label, position=0.93, anchor=(0, 0.5))

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_click(self.annotation.id)


class DataPlot(pg.PlotWidget):
    """Recorded tags over time, with annotations and a selected range."""

    range_changed = Signal()  # the visible time range moved (zoom, pan)
    resized = Signal()  # the plot area changed size (also when the y axis' labels widen)
    selection_changed = Signal()
    annotation_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        self._box = _SelectingViewBox(self._selected_by_drag)
        super().__init__(parent, viewBox=self._box, axisItems={"bottom": ClockAxis(orientation="bottom")})
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.2)
        self.legend = item.addLegend(offset=(-10, 10))  # top right: annotation labels sit top left of their region
        self._box.disableAutoRange(pg.ViewBox.XAxis)  # x follows the user; y fits what is shown
        self._box.enableAutoRange(pg.ViewBox.YAxis)
        self._box.setAutoVisible(y=True)
        self._box.sigXRangeChanged.connect(lambda *_: self.range_changed.emit())
        self._box.sigResized.connect(lambda *_: self.resized.emit())
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.regions: dict[int, _AnnotationRegion] = {}
        self.gap_regions: list[pg.LinearRegionItem] = []
        self.selected_annotation: int | None = None
        self.selection = pg.LinearRegionItem(movable=True)
        self.selection.hide()
        self.selection.setZValue(20)
        self.selection.sigRegionChanged.connect(lambda *_: self.selection_changed.emit())
        item.addItem(self.selection, ignoreBounds=True)
        self._apply_palette()

    # -- curves -------------------------------------------------------------------------------
    def set_curve(self, tag: str, label: str, envelope: Envelope | None) -> pg.PlotDataItem:
        """Show ``tag`` (created on first use, with the next colour) as ``envelope``."""
        curve = self.curves.get(tag)
        if curve is None:
            colour = SERIES_COLOURS[len(self.curves) % len(SERIES_COLOURS)]
            curve = pg.PlotDataItem(pen=pg.mkPen(colour, width=1), connect="finite", name=label)
            curve.setClipToView(False)  # the envelope is already cut to the view
            self.addItem(curve)
            self.curves[tag] = curve
        if envelope is not None:
            x, y = envelope.points()
            curve.setData(x, y)
        return curve

    def remove_curve(self, tag: str) -> None:
        curve = self.curves.pop(tag, None)
        if curve is not None:
            self.removeItem(curve)

    def clear_curves(self) -> None:
        for tag in list(self.curves):
            self.remove_curve(tag)

    @property
    def points_drawn(self) -> int:
        """Points handed to the curves now (what the 10 M-sample test bounds)."""
        return sum(0 if curve.xData is None else len(curve.xData) for curve in self.curves.values())

    # -- range --------------------------------------------------------------------------------
    def visible_ns(self) -> tuple[int, int]:
        x0, x1 = self._box.viewRange()[0]
        return int(x0 * 1e9), int(x1 * 1e9)

    def show_ns(self, start_ns: int, end_ns: int, padding: float = 0.01) -> None:
        self._box.setXRange(start_ns / 1e9, max(end_ns, start_ns + 1) / 1e9, padding=padding)

    def width_px(self) -> int:
        return max(100, int(self._box.width()))

    # -- selection ----------------------------------------------------------------------------
    def _selected_by_drag(self, x0: float, x1: float, _finished: bool) -> None:
        self.set_selection_ns(int(x0 * 1e9), int(x1 * 1e9))

    def set_selection_ns(self, start_ns: int, end_ns: int) -> None:
        self.selection.setRegion((start_ns / 1e9, end_ns / 1e9))
        self.selection.show()
        self.selection_changed.emit()

    def select_middle(self) -> None:
        """Select the middle half of what is shown (a range chosen without a mouse)."""
        start, end = self.visible_ns()
        quarter = (end - start) // 4
        self.set_selection_ns(start + quarter, end - quarter)

    def clear_selection(self) -> None:
        self.selection.hide()
        self.selection_changed.emit()

    def selection_ns(self) -> tuple[int, int] | None:
        if not self.selection.isVisible():
            return None
        x0, x1 = self.selection.getRegion()
        return round(x0 * 1e9), round(x1 * 1e9)

    # -- annotations --------------------------------------------------------------------------
    def set_annotations(self, annotations: list[Annotation]) -> None:
        for region in self.regions.values():
            self.removeItem(region)
        self.regions = {}
        for annotation in annotations:
            region = _AnnotationRegion(annotation, self.annotation_clicked.emit)
            region.setZValue(-10)
            self.addItem(region, ignoreBounds=True)
            self.regions[annotation.id] = region
        if self.selected_annotation not in self.regions:
            self.selected_annotation = None
        self._colour_regions()

    def set_gaps(self, gaps: list[Gap], until_ns: int | None = None) -> None:
        """Device outages as grey bands behind the data (an open gap lasts to the end of what is recorded)."""
        for region in self.gap_regions:
            self.removeItem(region)
        self.gap_regions = []
        grey = QColor(self.palette().color(QPalette.ColorRole.Mid))
        grey.setAlpha(90)
        for gap in gaps:
            end = gap.end_ns if gap.end_ns is not None else max(gap.start_ns, until_ns or gap.start_ns)
            region = pg.LinearRegionItem((gap.start_ns / 1e9, end / 1e9), movable=False, brush=grey,
                                         pen=pg.mkPen(None))
            region.setToolTip(gap.reason or gap.device)
            region.setZValue(-20)
            self.addItem(region, ignoreBounds=True)
            self.gap_regions.append(region)

    def highlight_annotation(self, annotation_id: int | None) -> None:
        self.selected_annotation = annotation_id
        self._colour_regions()

    def _colour_regions(self) -> None:
        text = self.palette().color(QPalette.ColorRole.Text)
        for annotation_id, region in self.regions.items():
            fill = QColor(ANNOTATION_COLOUR)
            fill.setAlpha(110 if annotation_id == self.selected_annotation else 45)
            region.setBrush(fill)
            edge = QColor(ANNOTATION_COLOUR)
            for line in region.lines:
                line.setPen(pg.mkPen(edge, width=2 if annotation_id == self.selected_annotation else 1))
            region.label.setColor(text)

    # -- theme --------------------------------------------------------------------------------
    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and hasattr(self, "selection"):  # not while constructed
            self._apply_palette()

    def _apply_palette(self) -> None:
        palette = self.palette()
        background, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        self.setBackground(background)
        item = self.getPlotItem()
        for name in ("left", "bottom"):
            item.getAxis(name).setPen(text)
            item.getAxis(name).setTextPen(text)
        self.legend.setLabelTextColor(text)
        legend_background = QColor(background)
        legend_background.setAlpha(200)
        self.legend.setBrush(legend_background)
        highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
        highlight.setAlpha(60)
        self.selection.setBrush(highlight)
        self._colour_regions()

