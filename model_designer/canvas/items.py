"""Canvas items: a node box with its ports, and the wires between ports.

Items only draw what the scene tells them; they never edit the graph. Painting is uniform and
cached (one set of pens, brushes and fonts for every item, ``DeviceCoordinateCache``), because a
1,000-node graph has a few thousand of them. Below :data:`TEXT_DETAIL` zoom there is no text, the
port items are hidden (:func:`set_port_detail`) and a node is a thumbnail (:func:`thumbnail`): its
outline with the port dots, drawn once per zoom for all the nodes that look alike. At fit-all zoom
the ~4,000 port items were most of a frame, every zoom step re-rendered each item's own cache, and
then painting a thousand outlines one by one still was.
"""

from __future__ import annotations

import math
from functools import cache

from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPixmap,
)
from qtpy.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
)

from nodes.component import Component, Kind, Port
from nodes.composite import COMPOSITE_TYPE
from nodes.graph import Edge, Node

NODE_WIDTH = 170.0  # the shipped graphs place nodes 200 apart: leave room for the wires
HEADER_HEIGHT = 40.0
PORT_ROW = 20.0
PORT_RADIUS = 5.0
PORT_GRAB = PORT_RADIUS * 2  # a generous target: ports are small
GRID = 10.0
_WIRE_GRAB = 5.0  # half the width a click on a wire hits: an easy target; wider than any wire pen
TEXT_DETAIL = 0.5  # below this zoom, text is a few pixels high: unreadable, and drawing it was most of a frame

KIND_COLOURS = {Kind.SIGNAL: "#2f7fd8", Kind.BOOLEAN: "#2e9e4f", Kind.SCALAR: "#e08a1e",
                Kind.SPECTRUM: "#8a4fd0", Kind.TABLE: "#8c6239", Kind.EVENTS: "#d0457a"}
_UNKNOWN_KIND = "#9a9a9a"


class _Style:
    """Pens, brushes and fonts shared by every item (made once, after the application exists)."""

    def __init__(self):
        self.body = QBrush(QColor("#fbfbfc"))
        self.header = QBrush(QColor("#e6ebf2"))
        self.group_header = QBrush(QColor("#e4def3"))  # a group (composite): violet, not a component's grey-blue
        self.group_border = QPen(QColor("#7a63b8"), 1.5, Qt.PenStyle.DashLine)
        self.border = QPen(QColor("#8a94a3"), 1.0)
        self.selected = QPen(QColor("#1f6fd1"), 2.0)
        self.invalid = QPen(QColor("#d0302f"), 2.0)
        self.text = QPen(QColor("#1c2430"))
        self.faint_text = QPen(QColor("#6b7380"))
        self.title_font = QFont()
        self.title_font.setBold(True)
        self.title_metrics = QFontMetricsF(self.title_font)
        self.small_font = QFont()
        self.small_font.setPointSizeF(max(self.small_font.pointSizeF() * 0.85, 6.0))
        self.small_metrics = QFontMetricsF(self.small_font)
        self.wire = QPen(QColor("#59667a"), 2.0)
        self.wire_selected = QPen(QColor("#1f6fd1"), 3.0)
        self.wire_refused = QPen(QColor("#d0302f"), 2.0, Qt.PenStyle.DashLine)
        self.wire_pending = QPen(QColor("#1f6fd1"), 2.0, Qt.PenStyle.DashLine)
        self.highlight = QPen(QColor("#19a34a"), 2.5)
        self.kind_brushes = {kind: QBrush(QColor(colour)) for kind, colour in KIND_COLOURS.items()}
        self.unknown_brush = QBrush(QColor(_UNKNOWN_KIND))


@cache
def style() -> _Style:
    return _Style()


class PortItem(QGraphicsItem):
    """One input (left edge) or output (right edge) of a node: a dot in the kind's colour, name and unit."""

    def __init__(self, node_item: NodeItem, name: str, output: bool, kind: Kind | None, row: int, title: str = ""):
        super().__init__(node_item)
        self.node_item, self.name, self.output, self.kind = node_item, name, output, kind
        self.title, self.unit = title or name, ""
        self.state = "normal"  # "normal", "fit" (may take the dragged wire) or "dim" (may not)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setPos(NODE_WIDTH if output else 0.0, HEADER_HEIGHT + PORT_ROW * (row + 0.5))
        self.setAcceptHoverEvents(True)

    @property
    def ref(self) -> str:
        return f"{self.node_item.node_id}.{self.name}"

    def set_unit(self, unit: str) -> None:
        if unit != self.unit:
            self.unit = unit
            self.update()
            self.setToolTip(f"{self.title} [{unit}]" if unit else self.title)

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()
            self.node_item.ports_changed()  # its node draws the dot below the detail zoom

    def boundingRect(self) -> QRectF:
        return _OUTPUT_RECT if self.output else _INPUT_RECT  # asked for thousands of times a frame

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), PORT_GRAB, PORT_GRAB)
        return path

    def paint_dot(self, painter: QPainter, centre: QPointF) -> None:
        """The port's dot at ``centre``: kind colour, green when it may take the dragged wire, faint when not."""
        s = style()
        painter.setOpacity(0.3 if self.state == "dim" else 1.0)
        painter.setPen(s.highlight if self.state == "fit" else s.border)
        painter.setBrush(s.kind_brushes.get(self.kind, s.unknown_brush))
        painter.drawEllipse(centre, PORT_RADIUS, PORT_RADIUS)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = style()
        self.paint_dot(painter, QPointF(0, 0))
        if paint_zoom(option, painter) < TEXT_DETAIL:
            return
        painter.setFont(s.small_font)
        text = f"{self.title} [{self.unit}]" if self.unit else self.title
        width = NODE_WIDTH / 2 - PORT_RADIUS * 3
        text = s.small_metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
        painter.setPen(s.text)
        if self.output:
            rect = QRectF(-PORT_RADIUS * 2 - width, -PORT_ROW / 2, width, PORT_ROW)
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
        else:
            rect = QRectF(PORT_RADIUS * 2, -PORT_ROW / 2, width, PORT_ROW)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)


class NodeItem(QGraphicsItem):
    """A node: header with its title and id, inputs on the left, outputs on the right.

    A node with problems (validation errors) is outlined red, the problems in its tooltip. A group
    (an embedded composite) has a violet header and a dashed outline, and says so under its title.
    """

    def __init__(self, node: Node, cls: type[Component] | None, language: str):
        super().__init__()
        self.node_id = node.id
        self.cls = cls
        self.group = node.type == COMPOSITE_TYPE
        self.problem: str | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1.0)
        self.ports: dict[tuple[str, bool], PortItem] = {}
        self.detailed = True  # False: the port items are hidden and paint() draws a thumbnail
        self._look: tuple | None = None  # what the thumbnail shows (see look()), kept until it changes
        params = node.params
        for row, port in enumerate(cls.inputs if cls else ()):
            self._add_port(port, False, row, cls, params, language)
        for row, port in enumerate(cls.outputs if cls else ()):
            self._add_port(port, True, row, cls, params, language)
        self._rect = self._outline()
        self.title = ""
        self.set_title(node, language)
        self.setPos(*node.position)

    def _add_port(self, port: Port, output: bool, row: int, cls: type[Component], params: dict,
                  language: str) -> None:
        self.ports[(port.name, output)] = PortItem(self, port.name, output, _kind(cls, port, params), row,
                                                   port.title.get(language))

    def refresh_kinds(self, params: dict) -> None:
        """Port colours after a parameter change (a graph input may switch to a boolean signal)."""
        for port in (self.cls.inputs + self.cls.outputs) if self.cls else ():
            item = self.ports.get((port.name, port in self.cls.outputs))
            kind = _kind(self.cls, port, params)
            if item is not None and item.kind != kind:
                item.kind = kind
                item.update()
                self.ports_changed()

    def port(self, name: str, output: bool) -> PortItem:
        """The port ``name``; a port the component does not declare (a missing component) is made grey."""
        item = self.ports.get((name, output))
        if item is None:
            row = sum(1 for (_, out) in self.ports if out == output)
            item = self.ports[(name, output)] = PortItem(self, name, output, None, row)
            item.setVisible(self.detailed)
            self.prepareGeometryChange()
            self._rect = self._outline()
            self.ports_changed()
        return item

    def ports_changed(self) -> None:
        """A port's dot changed (kind, state, a new port): the thumbnail is out of date."""
        self._look = None
        if not self.detailed:
            self.update()

    def look(self) -> tuple:
        """Everything the thumbnail shows: nodes with equal looks share one."""
        if self._look is None:
            dots = tuple((port.pos().y(), port.output, port.kind, port.state) for port in self.ports.values())
            self._look = (self._rect.height(), self.group, self.isSelected(), self.problem is not None, dots)
        return self._look

    def set_title(self, node: Node, language: str) -> None:
        """Title line: the node's own title, else the component's title in the UI language."""
        component = self.cls.title.get(language) if self.cls else node.type
        self.title = node.title or component
        self.subtitle = f"{node.id} · {component}" if node.title or self.group else node.id
        self.update()

    def set_problem(self, problem: str | None) -> None:
        if problem != self.problem:
            self.problem = problem
            self._look = None
            self.setToolTip(problem or "")
            self.update()

    def set_detailed(self, detailed: bool) -> None:
        """Port items shown (``True``), or hidden with the node drawn as a thumbnail."""
        if detailed != self.detailed:
            self.detailed = detailed
            for port in self.ports.values():
                port.setVisible(detailed)
            # Zoomed out a node is a shared thumbnail: a cache of its own would be re-rendered at every zoom step.
            self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache if detailed
                              else QGraphicsItem.CacheMode.NoCache)
            self.update()

    def port_near(self, scene_pos: QPointF, output: bool | None = None) -> PortItem | None:
        """The port whose dot is within grabbing distance of ``scene_pos`` (hit tests miss hidden ports)."""
        pos = self.mapFromScene(scene_pos)
        for port in self.ports.values():
            offset = pos - port.pos()
            if (output is None or port.output == output) and QPointF.dotProduct(offset, offset) <= PORT_GRAB ** 2:
                return port
        return None

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSceneHasChanged and value is not None:
            self.set_detailed(value.property(_PORT_DETAIL) is not False)  # as the scene's other nodes
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self._look = None
        return super().itemChange(change, value)

    def paint_outline(self, painter: QPainter) -> None:
        """The thumbnail's picture: body, header band and port dots, in square corners a few pixels wide."""
        s = style()
        body = self._rect.adjusted(2, 2, -2, -2)
        painter.setPen(self._border_pen())
        painter.setBrush(s.body)
        painter.drawRect(body)
        painter.fillRect(QRectF(body.left(), body.top(), body.width(), HEADER_HEIGHT),
                         s.group_header if self.group else s.header)
        for port in self.ports.values():
            port.paint_dot(painter, port.pos())

    def _border_pen(self) -> QPen:
        s = style()
        if self.isSelected():
            return s.selected
        return s.invalid if self.problem else s.group_border if self.group else s.border

    def boundingRect(self) -> QRectF:
        return self._rect  # asked for thousands of times a frame: kept, not counted anew from the ports

    def _outline(self) -> QRectF:
        rows = max([sum(1 for (_, out) in self.ports if out == side) for side in (False, True)], default=0)
        return QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT + PORT_ROW * max(rows, 1) + 6).adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if not self.detailed:
            picture, source = thumbnail(self, paint_zoom(option, painter) * painter.device().devicePixelRatio())
            painter.drawPixmap(self._rect, picture, source)
            return
        s = style()
        body = self.boundingRect().adjusted(2, 2, -2, -2)
        painter.setPen(self._border_pen())
        painter.setBrush(s.body)
        painter.drawRoundedRect(body, 5, 5)
        header = QRectF(body.left(), body.top(), body.width(), HEADER_HEIGHT)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(s.group_header if self.group else s.header)
        painter.drawRoundedRect(header.adjusted(1, 1, -1, 0), 4, 4)
        if paint_zoom(option, painter) < TEXT_DETAIL:
            return
        painter.setPen(s.text)
        painter.setFont(s.title_font)
        text_rect = header.adjusted(8, 3, -8, -HEADER_HEIGHT / 2)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         s.title_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, text_rect.width()))
        painter.setPen(s.faint_text)
        painter.setFont(s.small_font)
        painter.drawText(header.adjusted(8, HEADER_HEIGHT / 2, -8, -3),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.subtitle)


class EdgeItem(QGraphicsPathItem):
    """A wire: a cubic Bézier from an output to an input, with the unit conversion it makes, if any."""

    def __init__(self, edge: Edge, source: PortItem, target: PortItem):
        super().__init__()
        self.edge, self.source, self.target = edge, source, target
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setPen(style().wire)
        self.label: ConversionLabel | None = None
        self._shape: QPainterPath | None = None  # made when first hit-tested, not on every move
        self._bounds = QRectF()
        self.bends: list[QPointF] = []  # reroute points, set by the annotation layer from the graph's ui section
        self.update_path()

    def update_path(self) -> None:
        path = wire_path(self.source.scenePos(), self.target.scenePos(), self.bends)
        self.prepareGeometryChange()  # before the bounds change: the scene's index finds the item by its old bounds
        self._bounds = path.controlPointRect().adjusted(-_WIRE_GRAB, -_WIRE_GRAB, _WIRE_GRAB, _WIRE_GRAB)
        self._shape = None
        self.setPath(path)
        if self.label is not None:
            self._place_label()

    def boundingRect(self) -> QRectF:
        # QGraphicsPathItem's own strokes the shape for it after every change: a move would stroke every wire
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:  # a select-all move re-routes 1,500 wires; few of them are clicked before the next
            stroker = QPainterPathStroker()
            stroker.setWidth(2 * _WIRE_GRAB)
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def set_conversion(self, text: str | None) -> None:
        """Show ``"mm/s → m/s"`` at the middle of the wire when the engine converts along it."""
        if not text:
            if self.label is not None:
                self.label.hide()
            return
        if self.label is None:
            self.label = ConversionLabel(self)
            self.label.setFont(style().small_font)
            self.label.setBrush(QBrush(QColor("#59667a")))
        self.label.setText(text)
        self.label.show()
        self._place_label()

    def _place_label(self) -> None:
        middle = self.path().pointAtPercent(0.5)
        rect = self.label.boundingRect()
        self.label.setPos(middle.x() - rect.width() / 2, middle.y() - rect.height() - 2)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.setPen(style().wire_selected if value else style().wire)
        return super().itemChange(change, value)


class ConversionLabel(QGraphicsSimpleTextItem):
    """The unit conversion a wire makes, written at its middle; not drawn below the detail zoom."""

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if paint_zoom(option, painter) >= TEXT_DETAIL:  # below, a few pixels of grey that cost a text layout each
            super().paint(painter, option, widget)


_PORT_DETAIL = "portDetail"  # a scene property: False while its nodes draw their own port dots


def set_port_detail(scene: QGraphicsScene, zoom: float) -> None:
    """Show the port items at ``zoom`` from :data:`TEXT_DETAIL` up, else let the nodes draw the dots.

    Call it wherever a view's zoom changes; it touches the items only when the zoom crosses the threshold.
    """
    detailed = zoom >= TEXT_DETAIL
    if (scene.property(_PORT_DETAIL) is not False) == detailed:
        return
    scene.setProperty(_PORT_DETAIL, detailed)
    for item in scene.items():
        if isinstance(item, NodeItem):
            item.set_detailed(detailed)


_thumbnails: dict[tuple, tuple[QPixmap, QRectF]] = {}
_THUMBNAIL_LIMIT = 256  # looks × zooms kept; a graph has a handful of looks, a zoom gesture a new zoom per step


def thumbnail(node: NodeItem, scale: float) -> tuple[QPixmap, QRectF]:
    """``node`` below the detail zoom, at ``scale`` device pixels per scene unit, shared by the nodes that look alike.

    Drawn at the scale it is shown at (a zoom step draws each look once, not each node), so it is
    as sharp as painting the node itself. Returns the picture and its rectangle (the source to draw).
    """
    key = (node.look(), scale)
    found = _thumbnails.get(key)
    if found is None:
        if len(_thumbnails) >= _THUMBNAIL_LIMIT:
            _thumbnails.clear()
        rect = node.boundingRect()
        picture = QPixmap(math.ceil(rect.width() * scale), math.ceil(rect.height() * scale))
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.scale(scale, scale)
        painter.translate(-rect.topLeft())
        node.paint_outline(painter)
        painter.end()
        found = _thumbnails[key] = (picture, QRectF(picture.rect()))
    return found


_INPUT_RECT = QRectF(-PORT_RADIUS - 1, -PORT_ROW / 2, NODE_WIDTH / 2, PORT_ROW)
_OUTPUT_RECT = QRectF(-NODE_WIDTH / 2 + PORT_RADIUS + 1, -PORT_ROW / 2, NODE_WIDTH / 2, PORT_ROW)


def paint_zoom(option: QStyleOptionGraphicsItem, painter: QPainter) -> float:
    """The zoom the item is painted at (1 at 100 %), also when painted into its device-coordinate cache."""
    return option.levelOfDetailFromTransform(painter.worldTransform())


def _kind(cls: type[Component], port: Port, params: dict) -> Kind:
    try:
        return cls.port_kind(port, params)
    except ValueError:  # a bad parameter: the node shows that problem; colour the port as declared
        return port.kind


def wire_path(start: QPointF, end: QPointF, bends: list[QPointF] = ()) -> QPainterPath:
    """Cubic Béziers that leave an output rightwards and enter an input from the left, through ``bends``."""
    path = QPainterPath(start)
    for a, b in zip([start, *bends], [*bends, end], strict=True):
        bend = max(abs(b.x() - a.x()) / 2, 40.0)
        path.cubicTo(QPointF(a.x() + bend, a.y()), QPointF(b.x() - bend, b.y()), b)
    return path


def snap(value: float) -> float:
    """``value`` on the canvas grid."""
    return round(value / GRID) * GRID
