"""Run badges on the canvas: each node's run state, samples per second and last error, drawn on its item.

The badges show a :class:`~model_designer.run.RunSnapshot`; they are run-time decoration, made and
dropped by :class:`RunOverlay`, never part of the graph or its undo history. A failed node shows
its error under itself (the engine has written it to the log, which the Log panel shows).
"""

from __future__ import annotations

from qtpy.QtCore import QCoreApplication, QRectF, Qt
from qtpy.QtGui import QBrush, QColor, QPainter, QPen
from qtpy.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from model_designer.canvas.items import NODE_WIDTH, TEXT_DETAIL, NodeItem, paint_zoom, style
from model_designer.run import NodeStatus, RunSnapshot

STATE_COLOURS = {"ok": "#2e9e4f", "waiting": "#9a9a9a", "failed": "#d0302f"}
BADGE_HEIGHT = 16.0
ERROR_LINES = 3


def rate_text(samples_per_s: float) -> str:
    """``"2.0 k/s"``: short enough for a badge."""
    for limit, suffix in ((1e6, "M"), (1e3, "k")):
        if samples_per_s >= limit:
            return f"{samples_per_s / limit:.1f} {suffix}/s"
    return f"{samples_per_s:.0f} /s"


class NodeBadge(QGraphicsItem):
    """A pill above a node's top right corner (state colour, samples/s) and, on failure, the error below."""

    def __init__(self, node_item: NodeItem):
        super().__init__(node_item)
        self.status: NodeStatus | None = None
        self.running = False
        self.setZValue(2.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to the node underneath

    def show_status(self, status: NodeStatus, running: bool) -> None:
        if status != self.status or running != self.running:
            self.prepareGeometryChange()
            self.status, self.running = status, running
            self.setToolTip(status.error or "")
            self.update()

    def text(self) -> str:
        status = self.status
        if status.state == "failed":
            return QCoreApplication.translate("NodeBadge", "failed")
        if status.state == "waiting":
            return QCoreApplication.translate("NodeBadge", "waiting")
        return rate_text(status.samples_per_s) if self.running else \
            QCoreApplication.translate("NodeBadge", "{n} samples").format(n=status.samples_out)

    def _error_rect(self) -> QRectF:
        node = self.parentItem().boundingRect()
        height = style().small_metrics.height() * ERROR_LINES + 6
        return QRectF(0, node.bottom() + 2, NODE_WIDTH, height)

    def _pill_rect(self) -> QRectF:
        width = style().small_metrics.horizontalAdvance(self.text()) + BADGE_HEIGHT + 8
        return QRectF(NODE_WIDTH - width, -BADGE_HEIGHT - 3, width, BADGE_HEIGHT)

    def boundingRect(self) -> QRectF:
        if self.status is None:
            return QRectF()
        rect = self._pill_rect()
        return rect.united(self._error_rect()) if self.status.error else rect

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.status is None:
            return
        s = style()
        colour = QColor(STATE_COLOURS.get(self.status.state, STATE_COLOURS["waiting"]))
        pill = self._pill_rect()
        if paint_zoom(option, painter) < TEXT_DETAIL:  # zoomed out: the state's colour is what can still be seen
            painter.fillRect(pill, colour)
            if self.status.error:
                painter.fillRect(self._error_rect(), QColor("#fdecec"))
            return
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(QBrush(QColor("#ffffff")))
        painter.drawRoundedRect(pill, BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
        painter.setBrush(QBrush(colour))
        painter.setPen(Qt.PenStyle.NoPen)
        dot = BADGE_HEIGHT / 2 - 3
        painter.drawEllipse(pill.left() + BADGE_HEIGHT / 2, pill.center().y() - dot / 2, dot, dot)
        painter.setPen(s.text)
        painter.setFont(s.small_font)
        painter.drawText(pill.adjusted(BADGE_HEIGHT, 0, -4, 0), Qt.AlignmentFlag.AlignCenter, self.text())
        if self.status.error:
            box = self._error_rect()
            painter.setPen(QPen(colour, 1.0))
            painter.setBrush(QBrush(QColor("#fdecec")))
            painter.drawRoundedRect(box, 4, 4)
            painter.setPen(QPen(QColor("#7a1010")))
            painter.drawText(box.adjusted(4, 3, -4, -3), Qt.TextFlag.TextWordWrap, self.status.error)


class RunOverlay:
    """Keeps a badge on every node of a :class:`~model_designer.canvas.GraphCanvas` that a run reports."""

    def __init__(self, scene):
        self.scene = scene
        self.badges: dict[str, NodeBadge] = {}

    def show(self, snapshot: RunSnapshot, running: bool) -> None:
        """Badges from ``snapshot``; ``running`` shows rates, otherwise sample counts."""
        for node_id, status in snapshot.nodes.items():
            item = self.scene.nodes.get(node_id)
            if item is None:
                continue  # removed since the run started, or inside a composite
            badge = self.badges.get(node_id)
            if badge is None or badge.parentItem() is not item:  # a node re-added (undo) is a new item
                badge = self.badges[node_id] = NodeBadge(item)
            badge.show_status(status, running)

    def clear(self) -> None:
        for node_id, badge in self.badges.items():
            if self.scene.nodes.get(node_id) is badge.parentItem():
                self.scene.removeItem(badge)
        self.badges.clear()
