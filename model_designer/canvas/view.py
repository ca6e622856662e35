"""The graph view: pan, zoom, fit, select, and the mouse gestures that edit (move, wire).

A gesture is an :class:`Interaction` object with ``move``/``release``/``cancel`` (orange-canvas-core's
idea), so the view's mouse handlers stay short and a gesture's state lives in one place. Gestures
edit through the canvas's undo commands only; what they draw while under way (the loose wire, the
dimmed ports) is view state that never reaches the graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qtpy.QtCore import QPoint, QPointF, QRectF, Qt
from qtpy.QtGui import QKeySequence, QPainter, QPixmapCache
from qtpy.QtWidgets import QGraphicsPathItem, QGraphicsView, QMenu

from device_browser.ui.tag_mime import TAG_MIME, tags_from_mime
from model_designer.canvas.items import (
    GRID,
    PORT_GRAB,
    NodeItem,
    PortItem,
    set_port_detail,
    snap,
    style,
    wire_path,
)
from model_designer.canvas.quick_add import QuickAdd
from model_designer.commands import MoveNodes, new_gesture

if TYPE_CHECKING:
    from model_designer.canvas.widget import GraphCanvas

COMPONENT_MIME = "application/x-millwright-component"
_ZOOM_RANGE = (0.1, 4.0)
PIXMAP_CACHE_KB = 64 * 1024  # item caches of a 1,000-node graph: Qt's default 10 MB thrashes at fit-all zoom


class Interaction:
    """One mouse gesture on the view, from press to release."""

    def __init__(self, view: GraphView):
        self.view = view

    def move(self, scene_pos: QPointF, view_pos: QPoint) -> None:
        """Follow the mouse."""

    def release(self, scene_pos: QPointF) -> None:
        """Finish: commit what the gesture did."""

    def cancel(self) -> None:
        """Escape: leave the graph as it was when the gesture started."""


class Pan(Interaction):
    """Middle mouse button, or Space with the left button: scroll the canvas with the hand."""

    def __init__(self, view: GraphView, view_pos: QPoint):
        super().__init__(view)
        self.last = view_pos
        view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, scene_pos: QPointF, view_pos: QPoint) -> None:
        delta = view_pos - self.last
        self.last = view_pos
        self.view.horizontalScrollBar().setValue(self.view.horizontalScrollBar().value() - delta.x())
        self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().value() - delta.y())

    def release(self, scene_pos: QPointF) -> None:
        self.view.viewport().unsetCursor()

    cancel = release


class MoveNodesDrag(Interaction):
    """Drag the selected nodes; every step goes to the graph, and the whole drag merges into one undo step."""

    def __init__(self, view: GraphView, scene_pos: QPointF, node_ids: list[str]):
        super().__init__(view)
        self.start = scene_pos
        graph = view.canvas.graph
        self.origins = {node_id: graph.nodes[node_id].position for node_id in node_ids}
        self.gesture = new_gesture()
        self.moved = False

    def move(self, scene_pos: QPointF, view_pos: QPoint) -> None:
        dx, dy = scene_pos.x() - self.start.x(), scene_pos.y() - self.start.y()
        positions = {node_id: (snap(x + dx), snap(y + dy)) for node_id, (x, y) in self.origins.items()}
        graph = self.view.canvas.graph
        if any(graph.nodes[node_id].position != position for node_id, position in positions.items()):
            self.moved = True
            self.view.canvas.undo_stack.push(MoveNodes(graph, positions, self.gesture))

    def cancel(self) -> None:
        if self.moved:
            self.view.canvas.undo_stack.push(MoveNodes(self.view.canvas.graph, self.origins, self.gesture))


class WireDrag(Interaction):
    """Draw a wire from a port: ports that may take it light up, the others dim.

    Released on a port, it connects or says why not; on a node, it takes the first port that fits;
    on empty canvas, it opens the quick-add box to add a component and wire it.
    """

    def __init__(self, view: GraphView, port: PortItem):
        super().__init__(view)
        self.port = port
        self.problems: dict[PortItem, str | None] = {}
        self.wire = QGraphicsPathItem()
        self.wire.setPen(style().wire_pending)
        self.wire.setZValue(2.0)
        view.scene().addItem(self.wire)
        view.canvas.scene.revalidate()  # the checks below read the resolution of the graph as it is now
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        for node in view.scene().items(visible):  # through the nodes: their port items may be hidden
            for item in node.ports.values() if isinstance(node, NodeItem) else ():
                if item.output != port.output:
                    item.set_state("dim" if self.problem(item) else "fit")

    def problem(self, other: PortItem) -> str | None:
        if other not in self.problems:
            source, target = (self.port, other) if self.port.output else (other, self.port)
            self.problems[other] = self.view.canvas.connection_problem(source.ref, target.ref)
        return self.problems[other]

    def move(self, scene_pos: QPointF, view_pos: QPoint) -> None:
        end = scene_pos
        target = self.view.port_at(view_pos, not self.port.output)
        if target is not None:
            end = target.scenePos()
        start = self.port.scenePos()
        self.wire.setPath(wire_path(start, end) if self.port.output else wire_path(end, start))
        refused = target is not None and self.problem(target) is not None
        self.wire.setPen(style().wire_refused if refused else style().wire_pending)

    def release(self, scene_pos: QPointF) -> None:
        view_pos = self.view.mapFromScene(scene_pos)
        target = self.view.port_at(view_pos, not self.port.output)
        node = self.view.node_at(view_pos)
        self.cancel()
        if target is None and node is not None and node.node_id != self.port.node_item.node_id:
            target = next((p for p in node.ports.values() if p.output != self.port.output
                           and self.problem(p) is None), None)
            if target is None:
                self.view.canvas.show_message(self.view.tr("No port of {node} fits this wire").format(
                    node=node.node_id))
                return
        if target is not None:
            source, destination = (self.port, target) if self.port.output else (target, self.port)
            self.view.canvas.connect(source.ref, destination.ref)
        elif node is None:
            self.view.open_quick_add(scene_pos, self.port)

    def cancel(self) -> None:
        for node in self.view.canvas.scene.nodes.values():
            for item in node.ports.values():
                item.set_state("normal")
        self.view.scene().removeItem(self.wire)


class GraphView(QGraphicsView):
    """The canvas's graphics view; edits go through ``canvas`` (a :class:`GraphCanvas`)."""

    def __init__(self, canvas: GraphCanvas):
        super().__init__(canvas.scene, canvas)
        self.canvas = canvas
        self.interaction: Interaction | None = None
        self._space = False
        self.quick_add: QuickAdd | None = None
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    # -- hit tests -------------------------------------------------------------------------------
    def port_at(self, view_pos: QPoint, output: bool | None = None) -> PortItem | None:
        for item in self.items(view_pos):
            if isinstance(item, PortItem) and (output is None or item.output == output):
                return item
        scene_pos = self.mapToScene(view_pos)  # below the detail zoom the port items are hidden: ask the nodes
        around = QRectF(scene_pos.x() - PORT_GRAB, scene_pos.y() - PORT_GRAB, PORT_GRAB * 2, PORT_GRAB * 2)
        for item in self.scene().items(around):
            port = item.port_near(scene_pos, output) if isinstance(item, NodeItem) else None
            if port is not None:
                return port
        return None

    def node_at(self, view_pos: QPoint) -> NodeItem | None:
        for item in self.items(view_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def paintEvent(self, event) -> None:
        set_port_detail(self.scene(), self.transform().m11())  # every zoom (wheel, fit, scale) paints after it
        super().paintEvent(event)

    # -- mouse -----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:
        if self.interaction is not None:
            return
        button, pos = event.button(), event.position().toPoint()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self.interaction = Pan(self, pos)
            return
        if button == Qt.MouseButton.LeftButton:
            port = self.port_at(pos)
            if port is not None:
                self.interaction = WireDrag(self, port)
                return
            node = self.node_at(pos)
            if node is not None and self._select_for_drag(node, event.modifiers()):
                self.interaction = MoveNodesDrag(self, self.mapToScene(pos), self.canvas.selected_node_ids())
                return
            if node is not None:
                return
        super().mousePressEvent(event)

    def _select_for_drag(self, node: NodeItem, modifiers) -> bool:
        """Click selection as in every editor; False when a Ctrl-click took the node out of the selection."""
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            node.setSelected(not node.isSelected())
            return node.isSelected()
        if not node.isSelected():
            self.scene().clearSelection()
            node.setSelected(True)
        return True

    def mouseMoveEvent(self, event) -> None:
        if self.interaction is not None:
            pos = event.position().toPoint()
            self.interaction.move(self.mapToScene(pos), pos)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self.interaction is not None:
            interaction, self.interaction = self.interaction, None
            interaction.release(self.mapToScene(event.position().toPoint()))
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        node = self.node_at(event.position().toPoint())
        if node is not None:
            self.canvas.node_activated.emit(node.node_id)
            return
        super().mouseDoubleClickEvent(event)

    def wheelEvent(self, event) -> None:
        factor = 1.0015 ** event.angleDelta().y()
        zoom = self.transform().m11()
        factor = min(max(zoom * factor, _ZOOM_RANGE[0]), _ZOOM_RANGE[1]) / zoom
        self.scale(factor, factor)  # around the cursor: the transformation anchor is under the mouse

    def contextMenuEvent(self, event) -> None:
        """The actions the canvas's host added to the view (group, save as component …), on the selection.

        A right click on a node outside the selection selects that node first, as editors do.
        """
        if not self.actions():
            super().contextMenuEvent(event)
            return
        node = self.node_at(event.pos())
        if node is not None and not node.isSelected():
            self.canvas.select([node.node_id])
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addActions(self.actions())
        menu.popup(event.globalPos())

    # -- drops from the palette ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(COMPONENT_MIME) or event.mimeData().hasFormat(TAG_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:
        scene_pos = self.mapToScene(event.position().toPoint())
        position = (scene_pos.x(), scene_pos.y())
        if event.mimeData().hasFormat(TAG_MIME):  # tags from the device browser or the watch list
            if self.canvas.add_tag_inputs(tags_from_mime(event.mimeData()), position):
                event.acceptProposedAction()
            return
        if not event.mimeData().hasFormat(COMPONENT_MIME):
            event.ignore()
            return
        type_name = bytes(event.mimeData().data(COMPONENT_MIME)).decode("utf-8").strip()
        if self.canvas.add_node(type_name, position):
            event.acceptProposedAction()

    # -- keyboard --------------------------------------------------------------------------------
    def focusNextPrevChild(self, next_: bool) -> bool:
        return False  # Tab opens the quick-add box instead of moving the focus

    def keyPressEvent(self, event) -> None:
        key, modifiers = event.key(), event.modifiers()
        arrows = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
        shortcuts = [(QKeySequence.StandardKey.Copy, self.canvas.copy),
                     (QKeySequence.StandardKey.Paste, self.canvas.paste),
                     (QKeySequence.StandardKey.Cut, self.canvas.cut),
                     (QKeySequence.StandardKey.SelectAll, self.canvas.select_all),
                     (QKeySequence.StandardKey.Delete, self.canvas.delete_selection)]
        for sequence, action in shortcuts:
            if event.matches(sequence):
                action()
                return
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key == Qt.Key.Key_Escape and self.interaction is not None:
            interaction, self.interaction = self.interaction, None
            interaction.cancel()
        elif key == Qt.Key.Key_Backspace:
            self.canvas.delete_selection()
        elif key == Qt.Key.Key_D and modifiers & Qt.KeyboardModifier.ControlModifier:
            self.canvas.duplicate()
        elif key in (Qt.Key.Key_F, Qt.Key.Key_Home) and not modifiers & Qt.KeyboardModifier.ControlModifier:
            self.canvas.fit()
        elif key == Qt.Key.Key_Tab:
            pending = self.interaction.port if isinstance(self.interaction, WireDrag) else None
            if self.interaction is not None:
                interaction, self.interaction = self.interaction, None
                interaction.cancel()
            self.open_quick_add(self._cursor_scene_pos(), pending)
        elif key in arrows:
            step = GRID * (5 if modifiers & Qt.KeyboardModifier.ShiftModifier else 1)
            self.canvas.nudge(arrows[key][0] * step, arrows[key][1] * step)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    def _cursor_scene_pos(self) -> QPointF:
        pos = self.viewport().mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(pos):
            pos = self.viewport().rect().center()
        return self.mapToScene(pos)

    def open_quick_add(self, scene_pos: QPointF, pending: PortItem | None = None) -> None:
        """The quick-add box at ``scene_pos``; the chosen component is wired to ``pending`` if given."""
        box = QuickAdd(self.canvas.registry, self.viewport())
        pending_ref = (pending.ref, pending.output) if pending is not None else None
        box.chosen.connect(lambda type_name: self.canvas.add_and_wire(type_name, (scene_pos.x(), scene_pos.y()),
                                                                      pending_ref))
        box.move(self.mapFromScene(scene_pos))
        box.show()
        box.setFocus(Qt.FocusReason.OtherFocusReason)
        self.quick_add = box
