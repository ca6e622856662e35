"""Wire probes: click a wire while a graph runs to see its latest value, quality and a sparkline.

A :class:`ProbeBubble` floats over the canvas at the wire's middle; "Pin to Trends" publishes the
probe's samples into the live bus under ``probe:GRAPH/NODE.PORT`` (and adds that key to the
workspace's trend list), so the Trends dock plots it like a device tag. Probes read the run's
snapshot; they never touch the graph.
"""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QEvent, QObject, QPoint, QPointF, QSize, Qt, Signal
from qtpy.QtGui import QColor, QPainter, QPainterPath, QPen
from qtpy.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from device_browser.bus import LiveBus
from device_browser.tags import TagRef
from model_designer.canvas.items import EdgeItem
from model_designer.run import ProbeReading
from nodes.quality import QUALITY_NAMES

CLICK_SLOP = 4  # pixels a press may move and still be a click


def probe_key(graph_name: str, ref: str) -> str:
    """The bus key of a pinned probe: ``probe:vibration_alarm/rms.rms``."""
    return f"probe:{graph_name}/{ref}"


class Sparkline(QWidget):
    """The recent values of a probe as a line, scaled to its own range."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.values = np.empty(0)
        self.setMinimumSize(QSize(140, 32))

    def set_values(self, values: np.ndarray) -> None:
        self.values = values[np.isfinite(values)]
        self.update()

    def paintEvent(self, event) -> None:
        if len(self.values) < 2:
            return
        low, high = float(self.values.min()), float(self.values.max())
        span = (high - low) or 1.0
        w, h = self.width() - 2, self.height() - 2
        xs = np.linspace(1, w, len(self.values))
        ys = 1 + h - (self.values - low) / span * h
        path = QPainterPath(QPointF(xs[0], ys[0]))
        for x, y in zip(xs[1:], ys[1:], strict=True):
            path.lineTo(QPointF(x, y))
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#1f6fd1"), 1.5))
        painter.drawPath(path)


class ProbeBubble(QFrame):
    """Latest value, quality and sparkline of one output port; ``pin_requested``/``closed`` from its buttons."""

    pin_requested = Signal(str)
    closed = Signal(str)

    def __init__(self, ref: str, edge_item: EdgeItem, parent: QWidget):
        super().__init__(parent)
        self.ref, self.edge_item = ref, edge_item
        self.pinned = False
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet("ProbeBubble { background: #ffffff; border: 1px solid #8a94a3; border-radius: 4px; }")
        self.title = QLabel(ref)
        self.value = QLabel()
        self.sparkline = Sparkline()
        self.pin = QToolButton()
        self.pin.clicked.connect(lambda: self.pin_requested.emit(self.ref))
        self.close_button = QToolButton()
        self.close_button.setText("×")
        self.close_button.clicked.connect(lambda: self.closed.emit(self.ref))
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(top)
        layout.addWidget(self.value)
        layout.addWidget(self.sparkline)
        layout.addWidget(self.pin)
        self.retranslate()

    def retranslate(self) -> None:
        self.pin.setText(self.tr("Pinned to Trends") if self.pinned else self.tr("Pin to Trends"))
        self.close_button.setToolTip(self.tr("Close the probe"))

    def show_reading(self, reading: ProbeReading | None) -> None:
        latest = reading.latest if reading is not None else None
        if latest is None:
            self.value.setText(self.tr("no value yet"))
            return
        _, value, quality = latest
        self.value.setText(self.tr("{value:.6g} ({quality})").format(
            value=value, quality=QUALITY_NAMES.get(quality, str(quality))))
        self.sparkline.set_values(reading.v)

    def place(self, view) -> None:
        """Beside the middle of its wire, in the view's coordinates."""
        middle = self.edge_item.path().pointAtPercent(0.5)
        self.move(view.mapFromScene(middle) + QPoint(8, 8))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class ProbeController(QObject):
    """Opens a probe on a clicked wire of ``canvas`` and feeds the open probes from run snapshots.

    ``bus`` and ``trend`` (a :class:`~device_browser.watch.WatchList`) receive pinned probes; without
    a bus, pinning is not offered.
    """

    def __init__(self, canvas, graph_name: str, bus: LiveBus | None = None, trend=None):
        super().__init__(canvas)
        self.canvas, self.graph_name, self.bus, self.trend = canvas, graph_name, bus, trend
        self.bubbles: dict[str, ProbeBubble] = {}
        self._published: dict[str, int] = {}  # pinned ref -> newest timestamp published
        self._pressed: QPoint | None = None
        self._readings: dict[str, ProbeReading] = {}
        canvas.view.viewport().installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
            self._pressed = event.position().toPoint()
        elif kind == QEvent.Type.MouseButtonRelease and self._pressed is not None:
            pos, pressed, self._pressed = event.position().toPoint(), self._pressed, None
            if (pos - pressed).manhattanLength() <= CLICK_SLOP:
                edge = next((i for i in self.canvas.view.items(pos) if isinstance(i, EdgeItem)), None)
                if edge is not None and not self.canvas.view.node_at(pos):
                    self.open(edge)
        return False  # the canvas still selects the wire as usual

    def open(self, edge_item: EdgeItem) -> ProbeBubble:
        """Probe the output feeding ``edge_item`` (one bubble per output port)."""
        ref = f"{edge_item.edge.source}.{edge_item.edge.source_port}"
        bubble = self.bubbles.get(ref)
        if bubble is None:
            bubble = self.bubbles[ref] = ProbeBubble(ref, edge_item, self.canvas.view.viewport())
            bubble.pin.setEnabled(self.bus is not None)
            bubble.pin_requested.connect(self.pin)
            bubble.closed.connect(self.close)
            bubble.show_reading(self._readings.get(ref))
        bubble.place(self.canvas.view)
        bubble.show()
        bubble.raise_()
        return bubble

    def probe_selected(self) -> None:
        """Open a probe on each selected wire (the keyboard's way to probe)."""
        for edge in self.canvas.scene.selected_edges():
            item = self.canvas.scene.edges.get(edge)
            if item is not None:
                self.open(item)

    def close(self, ref: str) -> None:
        bubble = self.bubbles.pop(ref, None)
        if bubble is not None:
            bubble.deleteLater()
        self._published.pop(ref, None)

    def pin(self, ref: str) -> None:
        """Publish this probe's samples into the bus from now on, and plot them in the Trends dock."""
        if self.bus is None or ref in self._published:
            return
        self._published[ref] = -1
        bubble = self.bubbles[ref]
        bubble.pinned = True
        bubble.retranslate()
        self._publish(ref)
        if self.trend is not None:
            self.trend.add(TagRef.parse(probe_key(self.graph_name, ref)))

    def show(self, probes: dict[str, ProbeReading]) -> None:
        """New readings from a run snapshot."""
        self._readings = probes
        for ref, bubble in list(self.bubbles.items()):
            if bubble.edge_item.scene() is None:  # its wire was removed
                self.close(ref)
                continue
            bubble.show_reading(probes.get(ref))
            bubble.place(self.canvas.view)
            if ref in self._published:
                self._publish(ref)

    def _publish(self, ref: str) -> None:
        reading = self._readings.get(ref)
        if reading is None or not len(reading.t):
            return
        new = reading.t > self._published[ref]
        if new.any():
            self.bus.publish(probe_key(self.graph_name, ref), reading.t[new], reading.v[new], reading.q[new])
            self._published[ref] = int(reading.t[-1])

    def clear(self) -> None:
        for ref in list(self.bubbles):
            self.close(ref)
