"""Comments, frames and reroute points on the canvas, with their undo commands.

The model is the graph's ``ui`` section (:class:`nodes.graph_ui.GraphUi`); commands edit it, and
:class:`AnnotationLayer` makes and updates items from its events, as the scene does for nodes.
Frames sit behind nodes, comments and reroute points above wires. A drag of a comment or frame
moves the item freely and commits one move command on release; a drag of its bottom-right
handle resizes it, one resize command on release. A double-click (or F2) edits its text in place
(:class:`TextEditor`). Reroute points bend their wire (:attr:`EdgeItem.bends
<model_designer.canvas.items.EdgeItem>`): Alt+click on a wire adds one, a drag moves it, a
double-click removes it.

The gestures live on the items, on a scene event filter (:class:`_WireClicks`) and on a viewport
event filter (:class:`_PointPresses`), so the view needs no knowledge of annotations.
"""

from __future__ import annotations

from qtpy.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, Qt
from qtpy.QtGui import QBrush, QColor, QPen, QUndoCommand
from qtpy.QtWidgets import QGraphicsItem, QGraphicsView, QPlainTextEdit, QWidget

from model_designer.canvas.items import EdgeItem, snap, style
from nodes.graph import Graph
from nodes.graph_ui import COMMENT, FRAME, Annotation, Point

_MOVE_ID, _RESIZE_ID, _EDIT_ID, _REROUTE_ID = 1811, 1812, 1813, 1814
_TITLE_HEIGHT = 24.0
_REROUTE_RADIUS = 5.0
_HANDLE = 12.0  # the resize handle: a square this wide in the bottom-right corner


def _tr(text: str) -> str:
    return QCoreApplication.translate("GraphCommand", text)


# -- commands ------------------------------------------------------------------------------------
class AddAnnotation(QUndoCommand):
    def __init__(self, graph: Graph, annotation: Annotation):
        super().__init__(_tr("Add a comment") if annotation.kind == COMMENT else _tr("Add a frame"))
        self.graph, self.annotation = graph, _copy(annotation)

    def redo(self) -> None:
        self.graph.ui.add(_copy(self.annotation))

    def undo(self) -> None:
        self.graph.ui.remove(self.annotation.id)


class RemoveAnnotation(QUndoCommand):
    def __init__(self, graph: Graph, annotation_id: str):
        super().__init__(_tr("Remove {name}").format(name=annotation_id))
        self.graph, self.annotation = graph, _copy(graph.ui.annotations[annotation_id])

    def redo(self) -> None:
        self.graph.ui.remove(self.annotation.id)

    def undo(self) -> None:
        self.graph.ui.add(_copy(self.annotation))


class _ChangeAnnotation(QUndoCommand):
    """Set one field of an annotation; changes in the same ``gesture`` (one drag, one typing run) merge."""

    field = ""
    command_id = 0

    def __init__(self, graph: Graph, annotation_id: str, value, gesture: object = None):
        super().__init__()
        self.graph, self.annotation_id, self.gesture = graph, annotation_id, gesture
        self.old, self.new = getattr(graph.ui.annotations[annotation_id], self.field), value

    def id(self) -> int:
        return self.command_id

    def mergeWith(self, other: QUndoCommand) -> bool:
        if type(other) is not type(self) or self.gesture is None or other.gesture != self.gesture \
                or other.annotation_id != self.annotation_id:
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self.graph.ui.update(self.annotation_id, **{self.field: self.new})

    def undo(self) -> None:
        self.graph.ui.update(self.annotation_id, **{self.field: self.old})


class MoveAnnotation(_ChangeAnnotation):
    field, command_id = "position", _MOVE_ID

    def __init__(self, graph: Graph, annotation_id: str, position: Point, gesture: object = None):
        super().__init__(graph, annotation_id, (float(position[0]), float(position[1])), gesture)
        self.setText(_tr("Move {name}").format(name=annotation_id))


class ResizeAnnotation(_ChangeAnnotation):
    field, command_id = "size", _RESIZE_ID

    def __init__(self, graph: Graph, annotation_id: str, size: Point, gesture: object = None):
        super().__init__(graph, annotation_id, (max(float(size[0]), 40.0), max(float(size[1]), 30.0)), gesture)
        self.setText(_tr("Resize {name}").format(name=annotation_id))


class EditAnnotation(_ChangeAnnotation):
    field, command_id = "text", _EDIT_ID

    def __init__(self, graph: Graph, annotation_id: str, text: str, gesture: object = None):
        super().__init__(graph, annotation_id, text, gesture)
        self.setText(_tr("Edit {name}").format(name=annotation_id))


class SetReroutes(QUndoCommand):
    """Set the bends of a wire (add, move or remove reroute points); one drag of a point merges."""

    def __init__(self, graph: Graph, wire: tuple[str, str], points: list[Point], gesture: object = None):
        super().__init__(_tr("Reroute {source} → {target}").format(source=wire[0], target=wire[1]))
        self.graph, self.wire, self.gesture = graph, wire, gesture
        self.old = list(graph.ui.reroutes.get(wire, []))
        self.new = [(float(x), float(y)) for x, y in points]

    def id(self) -> int:
        return _REROUTE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetReroutes) or self.gesture is None or other.gesture != self.gesture \
                or other.wire != self.wire:
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True

    def redo(self) -> None:
        self.graph.ui.set_reroutes(self.wire, self.new)

    def undo(self) -> None:
        self.graph.ui.set_reroutes(self.wire, self.old)


def add_reroute(graph: Graph, wire: tuple[str, str], point: Point) -> SetReroutes:
    """The command that puts a bend at ``point`` on ``wire``, between the bends it lies between.

    Bends are kept ordered from the source: the new one goes before the first bend further right.
    """
    points = list(graph.ui.reroutes.get(wire, []))
    index = next((i for i, p in enumerate(points) if p[0] > point[0]), len(points))
    return SetReroutes(graph, wire, [*points[:index], point, *points[index:]])


def _copy(annotation: Annotation) -> Annotation:
    return Annotation(annotation.id, annotation.kind, annotation.text, annotation.position, annotation.size,
                      dict(annotation.extra))


# -- items ---------------------------------------------------------------------------------------
class AnnotationItem(QGraphicsItem):
    """A comment (a yellow note with text) or a frame (a titled rectangle behind nodes).

    Dragging it moves it freely, dragging its corner handle resizes it; on release the layer
    commits one move or resize command. Double-click or F2 edits its text.
    """

    def __init__(self, layer: AnnotationLayer, annotation: Annotation):
        super().__init__()
        self.layer, self.annotation_id, self.kind = layer, annotation.id, annotation.kind
        self.text, self.size = annotation.text, annotation.size
        self._resizing: tuple[QPointF, tuple[float, float]] | None = None  # (press point, size then)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1.0 if self.kind == FRAME else 0.5)
        self.setPos(*annotation.position)

    def handle_rect(self) -> QRectF:
        """The resize handle, in item coordinates."""
        return QRectF(self.size[0] - _HANDLE, self.size[1] - _HANDLE, _HANDLE, _HANDLE)

    def follow(self, annotation: Annotation) -> None:
        self.prepareGeometryChange()
        self.text, self.size = annotation.text, annotation.size
        self.setPos(*annotation.position)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, *self.size).adjusted(-2, -2, 2, 2)

    def paint(self, painter, option, widget=None) -> None:
        s = style()
        rect = QRectF(0, 0, *self.size)
        painter.setPen(s.selected if self.isSelected() else s.border)
        if self.kind == FRAME:
            painter.setBrush(QBrush(QColor(90, 120, 170, 28)))
            painter.drawRoundedRect(rect, 6, 6)
            painter.setFont(s.title_font)
            painter.setPen(s.text)
            painter.drawText(rect.adjusted(8, 0, -8, _TITLE_HEIGHT - rect.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, self.text)
        else:
            painter.setBrush(QBrush(QColor("#fff6c8")))
            painter.drawRect(rect)
            painter.setPen(s.text)
            painter.drawText(rect.adjusted(6, 4, -6, -4), Qt.TextFlag.TextWordWrap, self.text)
        handle = self.handle_rect()
        painter.setPen(s.faint_text)
        for inset in (3.0, 7.0):  # two diagonal strokes: the usual look of a size grip
            painter.drawLine(QPointF(handle.right() - inset, handle.bottom() - 1),
                             QPointF(handle.right() - 1, handle.bottom() - inset))

    def hoverMoveEvent(self, event) -> None:
        on_handle = self.handle_rect().contains(event.pos())
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if on_handle else Qt.CursorShape.ArrowCursor)
        super().hoverMoveEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.handle_rect().contains(event.pos()):
            self._resizing = (event.scenePos(), self.size)  # not passed on: the base class would move the item
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._resizing is None:
            super().mouseMoveEvent(event)
            return
        start, (width, height) = self._resizing
        delta = event.scenePos() - start
        self.prepareGeometryChange()
        self.size = (max(width + delta.x(), 40.0), max(height + delta.y(), 30.0))
        self.update()

    def mouseReleaseEvent(self, event) -> None:
        if self._resizing is not None:
            self._resizing = None
            self.layer.item_resized(self)
            return
        super().mouseReleaseEvent(event)
        self.layer.item_dropped(self)

    def mouseDoubleClickEvent(self, event) -> None:
        self.layer.edit_text(self.annotation_id)
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_F2, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.layer.edit_text(self.annotation_id)
            return
        super().keyPressEvent(event)


class RerouteItem(QGraphicsItem):
    """One bend of a wire: a dot that can be dragged (committed on release), removed with Delete or a double-click.

    While dragged, its wire follows it (view state only, until the release commits).
    """

    def __init__(self, layer: AnnotationLayer, wire: tuple[str, str], index: int, point: Point):
        super().__init__()
        self.layer, self.wire, self.index = layer, wire, index
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setZValue(2.0)
        self.setPos(*point)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)  # after setPos: no echo while made

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.layer.reroute_moving(self)
        return super().itemChange(change, value)

    def mouseDoubleClickEvent(self, event) -> None:
        self.layer.remove_reroute(self)
        event.accept()

    def boundingRect(self) -> QRectF:
        r = _REROUTE_RADIUS + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter, option, widget=None) -> None:
        painter.setPen(QPen(QColor("#1f6fd1"), 2.0) if self.isSelected() else style().border)
        painter.setBrush(QBrush(QColor("#59667a")))
        painter.drawEllipse(QPointF(0, 0), _REROUTE_RADIUS, _REROUTE_RADIUS)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        self.layer.reroute_dropped(self)


class AnnotationLayer:
    """Annotation and reroute items of ``canvas`` (a :class:`GraphCanvas`), following ``graph.ui``.

    Call :meth:`detach` with the canvas's own ``detach``.
    """

    def __init__(self, canvas):
        self.canvas = canvas
        self.ui = canvas.graph.ui
        self.items: dict[str, AnnotationItem] = {}
        self.reroutes: dict[tuple[str, str], list[RerouteItem]] = {}
        self.editor: TextEditor | None = None  # the in-place text editor, while one is open
        self._wire_clicks = _WireClicks(self)
        canvas.scene.installEventFilter(self._wire_clicks)
        self._point_presses = _PointPresses(canvas.view)
        canvas.view.viewport().installEventFilter(self._point_presses)
        for annotation in self.ui.annotations.values():
            self._on_added(annotation)
        for wire in list(self.ui.reroutes):
            self._on_reroutes(wire)
        self._connections = [(self.ui.annotation_added, self._on_added), (self.ui.annotation_removed, self._on_removed),
                             (self.ui.annotation_changed, self._on_changed),
                             (self.ui.reroutes_changed, self._on_reroutes),
                             (canvas.graph.edge_added, self._on_edge), (canvas.graph.edge_removed, self._on_edge)]
        for signal, slot in self._connections:
            signal.connect(slot)

    def detach(self) -> None:
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self.canvas.scene.removeEventFilter(self._wire_clicks)
        self.canvas.view.viewport().removeEventFilter(self._point_presses)
        if self.editor is not None:
            self.editor.cancel()

    # -- editing through commands ----------------------------------------------------------------
    def add(self, kind: str, position: Point, text: str = "", size: Point | None = None) -> str:
        """Add a comment or frame at ``position`` (snapped); returns its id (``comment1``, ``frame1`` …)."""
        annotation_id = self.ui.free_id(kind)
        annotation = Annotation(annotation_id, kind, text, (snap(position[0]), snap(position[1])),
                                size or ((400.0, 240.0) if kind == FRAME else (200.0, 80.0)))
        self.canvas.undo_stack.push(AddAnnotation(self.canvas.graph, annotation))
        return annotation_id

    def frame_selection(self, title: str = "") -> str | None:
        """A frame around the selected nodes, titled ``title``."""
        nodes = [self.canvas.scene.nodes[n] for n in self.canvas.selected_node_ids()]
        if not nodes:
            return None
        rect = QRectF()
        for item in nodes:
            rect = rect.united(item.sceneBoundingRect())
        rect.adjust(-20, -20 - _TITLE_HEIGHT, 20, 20)
        return self.add(FRAME, (rect.x(), rect.y()), title, (rect.width(), rect.height()))

    def item_dropped(self, item: AnnotationItem) -> None:
        position = (snap(item.pos().x()), snap(item.pos().y()))
        if position != self.ui.annotations[item.annotation_id].position:
            self.canvas.undo_stack.push(MoveAnnotation(self.canvas.graph, item.annotation_id, position))
        else:
            item.setPos(*position)

    def item_resized(self, item: AnnotationItem) -> None:
        """Commit the size a handle drag gave ``item`` (one undo step), snapped to the grid."""
        size = (snap(item.size[0]), snap(item.size[1]))
        if size != self.ui.annotations[item.annotation_id].size:
            self.canvas.undo_stack.push(ResizeAnnotation(self.canvas.graph, item.annotation_id, size))
        else:
            item.follow(self.ui.annotations[item.annotation_id])

    def edit_text(self, annotation_id: str) -> TextEditor:
        """Open the in-place editor over annotation ``annotation_id``; it commits one edit command."""
        if self.editor is not None:
            self.editor.commit()
        item = self.items[annotation_id]
        view = self.canvas.view
        self.editor = TextEditor(self, annotation_id, item.text, view.viewport())
        rect = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
        if item.kind == FRAME:  # a frame's text is its title line
            rect.setHeight(max(int(_TITLE_HEIGHT * view.transform().m11()), 28))
        self.editor.setGeometry(rect)
        self.editor.show()
        self.editor.setFocus()
        return self.editor

    def text_edited(self, editor: TextEditor, text: str | None) -> None:
        """The editor closed: ``text`` to commit, or None when it was cancelled."""
        if editor is self.editor:
            self.editor = None
        annotation = self.ui.annotations.get(editor.annotation_id)
        if text is not None and annotation is not None and text != annotation.text:
            self.canvas.undo_stack.push(EditAnnotation(self.canvas.graph, editor.annotation_id, text))
        self.canvas.view.setFocus()

    def add_reroute_at(self, wire: tuple[str, str], point: QPointF) -> None:
        """Put a reroute point on ``wire`` at ``point`` (snapped), one undo step."""
        self.canvas.undo_stack.push(add_reroute(self.canvas.graph, wire, (snap(point.x()), snap(point.y()))))

    def remove_reroute(self, item: RerouteItem) -> None:
        points = list(self.ui.reroutes.get(item.wire, []))
        if item.index < len(points):
            del points[item.index]
            self.canvas.undo_stack.push(SetReroutes(self.canvas.graph, item.wire, points))

    def reroute_moving(self, item: RerouteItem) -> None:
        """Bend the wire through ``item`` while it is dragged (the graph changes on release)."""
        edge_item = self._edge_item(item.wire)
        if edge_item is not None and item.index < len(edge_item.bends):
            edge_item.bends[item.index] = item.pos()
            edge_item.update_path()

    def reroute_dropped(self, item: RerouteItem) -> None:
        points = list(self.ui.reroutes.get(item.wire, []))
        moved = (snap(item.pos().x()), snap(item.pos().y()))
        if item.index < len(points) and points[item.index] != moved:
            points[item.index] = moved
            self.canvas.undo_stack.push(SetReroutes(self.canvas.graph, item.wire, points))

    def remove_selected(self) -> bool:
        """Remove the selected annotations and reroute points as one undo step; False if none was selected."""
        selected = self.canvas.scene.selectedItems()
        notes = [i.annotation_id for i in selected if isinstance(i, AnnotationItem)]
        bends: dict[tuple[str, str], set[int]] = {}
        for item in selected:
            if isinstance(item, RerouteItem):
                bends.setdefault(item.wire, set()).add(item.index)
        if not notes and not bends:
            return False
        stack = self.canvas.undo_stack
        stack.beginMacro(_tr("Remove {count} annotations").format(count=len(notes) + len(bends)))
        try:
            for annotation_id in notes:
                stack.push(RemoveAnnotation(self.canvas.graph, annotation_id))
            for wire, indexes in bends.items():
                points = [p for i, p in enumerate(self.ui.reroutes.get(wire, [])) if i not in indexes]
                stack.push(SetReroutes(self.canvas.graph, wire, points))
        finally:
            stack.endMacro()
        return True

    # -- following the model ---------------------------------------------------------------------
    def _on_added(self, annotation: Annotation) -> None:
        item = self.items[annotation.id] = AnnotationItem(self, annotation)
        self.canvas.scene.addItem(item)

    def _on_removed(self, annotation_id: str) -> None:
        item = self.items.pop(annotation_id, None)
        if item is not None:
            self.canvas.scene.removeItem(item)

    def _on_changed(self, annotation_id: str) -> None:
        self.items[annotation_id].follow(self.ui.annotations[annotation_id])

    def _on_edge(self, edge) -> None:
        self._on_reroutes(edge.wire)  # a wire back from an undo brings its bends back

    def _on_reroutes(self, wire: tuple[str, str]) -> None:
        for item in self.reroutes.pop(wire, []):
            self.canvas.scene.removeItem(item)
        edge_item = self._edge_item(wire)
        points = self.ui.reroutes.get(wire, []) if edge_item is not None else []
        self.reroutes[wire] = [RerouteItem(self, wire, i, p) for i, p in enumerate(points)]
        for item in self.reroutes[wire]:
            self.canvas.scene.addItem(item)
        if edge_item is not None:
            edge_item.bends = [QPointF(*p) for p in points]
            edge_item.update_path()

    def _edge_item(self, wire: tuple[str, str]) -> EdgeItem | None:
        return next((item for edge, item in self.canvas.scene.edges.items() if edge.wire == wire), None)


class _WireClicks(QObject):
    """Alt+click on a wire adds a reroute point there (a scene event filter: the view stays unaware)."""

    def __init__(self, layer: AnnotationLayer):
        super().__init__()
        self.layer = layer

    def eventFilter(self, watched, event) -> bool:
        if event.type() != QEvent.Type.GraphicsSceneMousePress or event.button() != Qt.MouseButton.LeftButton \
                or not event.modifiers() & Qt.KeyboardModifier.AltModifier:
            return False
        for item in self.layer.canvas.scene.items(event.scenePos()):
            wire = item if isinstance(item, EdgeItem) else item.parentItem()
            if isinstance(wire, EdgeItem):
                self.layer.add_reroute_at(wire.edge.wire, event.scenePos())
                event.accept()
                return True
        return False


class _PointPresses(QObject):
    """A press or double-click on a reroute point goes to the point, also where it lies over a node.

    The view looks for ports and nodes under a press before the scene hands it to the top item, so
    a point drawn over a node (it is above nodes) would lose the click to the node underneath.
    """

    def __init__(self, view: QGraphicsView):
        super().__init__()
        self.view = view

    def eventFilter(self, watched, event) -> bool:
        if event.type() not in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick) \
                or event.button() != Qt.MouseButton.LeftButton or self.view.interaction is not None \
                or not isinstance(self.view.itemAt(event.position().toPoint()), RerouteItem):
            return False
        if event.type() == QEvent.Type.MouseButtonPress:  # the plain view's handling: the scene's top item takes it
            QGraphicsView.mousePressEvent(self.view, event)
        else:
            QGraphicsView.mouseDoubleClickEvent(self.view, event)
        return True


class TextEditor(QPlainTextEdit):
    """The text of a comment or frame, edited where it is drawn.

    Ctrl+Enter or leaving the editor commits one edit command; Esc cancels.
    """

    def __init__(self, layer: AnnotationLayer, annotation_id: str, text: str, parent: QWidget):
        super().__init__(text, parent)
        self.layer, self.annotation_id = layer, annotation_id
        self._closed = False
        self.selectAll()
        self._retranslate()

    def _retranslate(self) -> None:
        self.setPlaceholderText(self.tr("Text (Ctrl+Enter to finish, Esc to cancel)"))
        self.setToolTip(self.placeholderText())

    def commit(self) -> None:
        self._close(self.toPlainText())

    def cancel(self) -> None:
        self._close(None)

    def _close(self, text: str | None) -> None:
        if self._closed:  # hiding the editor takes its focus away, which commits again
            return
        self._closed = True
        self.hide()
        self.deleteLater()
        self.layer.text_edited(self, text)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.commit()
        else:
            super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.commit()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)
