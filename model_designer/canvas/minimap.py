"""The minimap: an overview of the whole graph in the canvas's corner, with the visible area to drag.

It paints the nodes itself as plain rectangles rather than being a second view of the scene: a
second ``QGraphicsView`` would have the scene schedule every item update for it too and keep a
device cache of every node at the minimap's scale. It repaints from a timer at most ten times a
second, and only when the scene or the visible area changed, so the canvas's own frames stay as
cheap as without it. Hidden while the whole graph is on screen; ``M`` turns it off and on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtpy.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer
from qtpy.QtGui import QAction, QColor, QKeySequence, QPainter, QPen, QTransform
from qtpy.QtWidgets import QWidget

if TYPE_CHECKING:
    from model_designer.canvas.widget import GraphCanvas

REFRESH_MS = 100  # at most ~10 repaints a second: an overview need not follow every frame
SIZE = QSize(220, 150)
MARGIN = 8  # from the view's corner, and around the graph inside the minimap


class Minimap(QWidget):
    """The overview of ``canvas``'s graph; a press or drag centres the canvas's view there.

    :attr:`action` (checkable, shortcut M while the focus is in the canvas) shows or hides it.
    """

    def __init__(self, canvas: GraphCanvas):
        super().__init__(canvas.view.viewport())
        self.canvas = canvas
        self.setFixedSize(SIZE)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.bounds = QRectF()  # the graph's extent in scene coordinates, at the last refresh
        self.visible_area = QRectF()  # the part of the scene the canvas's view shows
        self._to_map = QTransform()
        self._dirty = True
        self._grab: QPointF | None = None  # while dragging: where in the visible area the mouse holds it
        self.action = QAction(canvas, checkable=True, checked=True)
        self.action.setShortcut(QKeySequence(Qt.Key.Key_M))
        self.action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action.toggled.connect(self._mark_dirty)
        canvas.addAction(self.action)
        canvas.scene.changed.connect(self._mark_dirty)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.retranslate()
        self.hide()

    def _mark_dirty(self, *_args) -> None:
        self._dirty = True

    def refresh(self) -> None:
        """Follow the graph and the view (called by the timer): repaint only if either changed."""
        if not self.canvas.isVisible():
            return
        visible = self.canvas.view.mapToScene(self.canvas.view.viewport().rect()).boundingRect()
        if not self._dirty and visible == self.visible_area:
            return
        self._dirty = False
        self.visible_area = visible
        if self._grab is None:  # the extent stays still under a drag
            self.bounds = self._graph_bounds()
        wanted = self.action.isChecked() and not self.bounds.isEmpty() \
            and (self._grab is not None or not visible.contains(self.bounds))
        if wanted:
            self._place()
            self.show()
            self.update()
        else:
            self.hide()

    def _graph_bounds(self) -> QRectF:
        bounds = QRectF()
        for item in self.canvas.scene.nodes.values():
            bounds = bounds.united(item.sceneBoundingRect())
        return bounds

    def _place(self) -> None:
        viewport = self.canvas.view.viewport().rect()
        self.move(viewport.right() - self.width() - MARGIN, viewport.bottom() - self.height() - MARGIN)
        self.raise_()
        if self._grab is not None:
            return  # the scale stays still under a drag, or the frame would slip from under the hand
        # Scale the graph and the visible area both in, so the frame can be dragged to any part.
        shown = self.bounds.united(self.visible_area)
        inner = QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        scale = min(inner.width() / max(shown.width(), 1.0), inner.height() / max(shown.height(), 1.0))
        offset = inner.center() - shown.center() * scale
        self._to_map = QTransform(scale, 0, 0, scale, offset.x(), offset.y())

    def map_from_scene(self, rect: QRectF) -> QRectF:
        """Where a scene rectangle is drawn on the minimap."""
        return self._to_map.mapRect(rect)

    def map_to_scene(self, point: QPointF) -> QPointF:
        return self._to_map.inverted()[0].map(point)

    # -- painting --------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(255, 255, 255, 225))
        painter.setPen(QPen(QColor("#8a94a3")))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        nodes, selected = [], []
        for item in self.canvas.scene.nodes.values():
            (selected if item.isSelected() else nodes).append(self.map_from_scene(item.sceneBoundingRect()))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#9aa6b8"))
        painter.drawRects(nodes)
        painter.setBrush(QColor("#1f6fd1"))
        painter.drawRects(selected)
        painter.setPen(QPen(QColor("#1f6fd1"), 1.5))
        painter.setBrush(QColor(31, 111, 209, 40))
        painter.drawRect(self.map_from_scene(self.visible_area))
        painter.end()

    # -- dragging the visible area ---------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        point = self.map_to_scene(event.position())
        # Grabbed inside the frame: keep that hold; outside: jump the frame's centre there first.
        self._grab = point - self.visible_area.center() if self.visible_area.contains(point) else QPointF()
        self.setCursor(Qt.CursorShape.ClosedHandCursor)
        self._pan_to(point)

    def mouseMoveEvent(self, event) -> None:
        if self._grab is not None:
            self._pan_to(self.map_to_scene(event.position()))

    def mouseReleaseEvent(self, event) -> None:
        if self._grab is not None:
            self._grab = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self._dirty = True

    def _pan_to(self, point: QPointF) -> None:
        self.canvas.view.centerOn(point - self._grab)
        self.refresh()  # the frame follows the hand at once, not at the next tick

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.action.setText(self.tr("Minimap"))
        self.setToolTip(self.tr("Drag the frame to move around the graph (M hides the minimap)"))
