"""Icons of the OPC UA node classes, drawn with QPainter (no image files to ship or license).

Instances are filled shapes and their types the same shape in outline, as UaExpert does it:
Object and ObjectType a square, Variable and VariableType a circle, Method a diamond, DataType a
hexagon, ReferenceType an arrow, View an eye. Colours read on the light and the dark theme.
"""

from __future__ import annotations

from functools import cache

from qtpy.QtCore import QPointF, QRectF, Qt
from qtpy.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap, QPolygonF

_SIZE = 32  # drawn at twice the usual 16 px: sharp on high-DPI screens, scaled down elsewhere

# node class -> (shape, colour, filled)
_STYLES = {
    "Object": ("square", QColor(52, 120, 198), True),
    "ObjectType": ("square", QColor(52, 120, 198), False),
    "Variable": ("circle", QColor(46, 150, 70), True),
    "VariableType": ("circle", QColor(46, 150, 70), False),
    "Method": ("diamond", QColor(214, 120, 20), True),
    "DataType": ("hexagon", QColor(140, 80, 180), False),
    "ReferenceType": ("arrow", QColor(110, 110, 110), True),
    "View": ("eye", QColor(20, 140, 150), True),
}


@cache
def node_class_icon(node_class: str) -> QIcon:
    """The icon of a node class name ("Object", "Variable", …); an empty icon for an unknown one."""
    style = _STYLES.get(node_class)
    if style is None:
        return QIcon()
    shape, colour, filled = style
    pixmap = QPixmap(_SIZE, _SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(colour.darker(130), 3))
    painter.setBrush(colour if filled else Qt.BrushStyle.NoBrush)
    painter.drawPath(_path(shape, QRectF(4, 4, _SIZE - 8, _SIZE - 8)))
    painter.end()
    return QIcon(pixmap)


def _path(shape: str, r: QRectF) -> QPainterPath:
    path = QPainterPath()
    c = r.center()
    if shape == "square":
        path.addRoundedRect(r, 4, 4)
    elif shape == "circle":
        path.addEllipse(r)
    elif shape == "diamond":
        path.addPolygon(QPolygonF([QPointF(c.x(), r.top()), QPointF(r.right(), c.y()), QPointF(c.x(), r.bottom()),
                                   QPointF(r.left(), c.y()), QPointF(c.x(), r.top())]))
    elif shape == "hexagon":
        w = r.width() / 4
        path.addPolygon(QPolygonF([QPointF(r.left() + w, r.top()), QPointF(r.right() - w, r.top()),
                                   QPointF(r.right(), c.y()), QPointF(r.right() - w, r.bottom()),
                                   QPointF(r.left() + w, r.bottom()), QPointF(r.left(), c.y()),
                                   QPointF(r.left() + w, r.top())]))
    elif shape == "arrow":
        path.addPolygon(QPolygonF([QPointF(r.left(), c.y() - 4), QPointF(c.x() + 2, c.y() - 4),
                                   QPointF(c.x() + 2, r.top() + 2), QPointF(r.right(), c.y()),
                                   QPointF(c.x() + 2, r.bottom() - 2), QPointF(c.x() + 2, c.y() + 4),
                                   QPointF(r.left(), c.y() + 4), QPointF(r.left(), c.y() - 4)]))
    else:  # eye
        path.moveTo(r.left(), c.y())
        path.quadTo(c.x(), r.top() - 4, r.right(), c.y())
        path.quadTo(c.x(), r.bottom() + 4, r.left(), c.y())
        path.addEllipse(c, 4, 4)
    return path
