"""Comments, frames and reroute points: drawn from the graph's ui section, edited by undoable commands."""

from __future__ import annotations

from qtpy.QtCore import QEvent, QPointF, Qt
from qtpy.QtGui import QMouseEvent, QUndoStack
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication

from model_designer.annotations import (
    AddAnnotation,
    AnnotationLayer,
    EditAnnotation,
    MoveAnnotation,
    RemoveAnnotation,
    ResizeAnnotation,
    SetReroutes,
    add_reroute,
)
from model_designer.canvas import GraphCanvas
from model_designer.canvas.items import snap
from nodes.graph import Graph
from nodes.graph_ui import COMMENT, FRAME, Annotation
from nodes.registry import default_registry
from nodes.resources import example_project

SHIPPED = (example_project() / "graphs" / "vibration_alarm.json").read_text(encoding="utf-8")
WIRE = ("acc.y", "band.x")
LONG_WIRE = ("mm_s.y", "out_rms.x")  # room for a bend away from the ports (a click near a port starts a wire)


def make(qtbot, graph: Graph | None = None) -> tuple[GraphCanvas, AnnotationLayer]:
    canvas = GraphCanvas(graph or Graph.from_text(SHIPPED), default_registry(), QUndoStack())
    qtbot.addWidget(canvas)
    return canvas, AnnotationLayer(canvas)


def test_each_command_undoes_back_to_the_original_file_and_redoes(qtbot):
    canvas, layer = make(qtbot)
    graph, stack = canvas.graph, canvas.undo_stack
    note = Annotation("comment1", COMMENT, "Band 10–800 Hz", (0, -100), (200, 60))
    commands = [lambda: AddAnnotation(graph, note), lambda: MoveAnnotation(graph, "comment1", (40, -120)),
                lambda: ResizeAnnotation(graph, "comment1", (260, 90)),
                lambda: EditAnnotation(graph, "comment1", "频带 10–800 Hz"),
                lambda: add_reroute(graph, WIRE, (100, 40))]
    states = [graph.to_text()]
    for command in commands:  # made one after the other: each reads the state the one before left
        stack.push(command())
        states.append(graph.to_text())
    stack.push(SetReroutes(graph, WIRE, []))
    stack.push(RemoveAnnotation(graph, "comment1"))
    assert graph.to_text() == SHIPPED and not layer.items
    stack.undo()
    stack.undo()
    assert graph.to_text() == states[-1]
    item = layer.items["comment1"]
    assert item.text == "频带 10–800 Hz" and item.size == (260.0, 90.0) and (item.x(), item.y()) == (40.0, -120.0)
    for state in reversed(states[:-1]):
        stack.undo()
        assert graph.to_text() == state
    assert graph.to_text() == SHIPPED and not layer.items
    while stack.canRedo():
        stack.redo()
    assert graph.to_text() == SHIPPED  # the last two commands took everything away again
    canvas.detach()
    layer.detach()


def test_a_drag_of_a_comment_is_one_move_and_reroutes_bend_their_wire(qtbot):
    canvas, layer = make(qtbot)
    layer.add(COMMENT, (13, 27), "note")
    item = layer.items["comment1"]
    assert (item.x(), item.y()) == (10.0, 30.0)
    item.setPos(55, 78)  # what dragging does to the item, before the release
    layer.item_dropped(item)
    assert canvas.graph.ui.annotations["comment1"].position == (60.0, 80.0)
    wire = next(i for e, i in canvas.scene.edges.items() if e.wire == WIRE)
    straight = wire.path().boundingRect()
    canvas.undo_stack.push(add_reroute(canvas.graph, WIRE, (100, 300)))
    assert wire.path().boundingRect().bottom() > straight.bottom() + 200 and len(layer.reroutes[WIRE]) == 1
    bend = layer.reroutes[WIRE][0]
    bend.setSelected(True)
    assert layer.remove_selected()
    assert canvas.graph.ui.reroutes == {} and wire.path().boundingRect() == straight
    canvas.undo_stack.undo()
    assert canvas.graph.ui.reroutes == {WIRE: [(100.0, 300.0)]}
    canvas.detach()
    layer.detach()


def test_annotations_survive_save_and_reopen(qtbot):
    canvas, layer = make(qtbot)
    canvas.select(["band", "velocity"])
    frame = layer.frame_selection("Filters")
    layer.add(COMMENT, (0, 200), "ISO 10816")
    canvas.undo_stack.push(add_reroute(canvas.graph, WIRE, (100, 40)))
    text = canvas.graph.to_text()
    canvas.detach()
    layer.detach()
    again, layer2 = make(qtbot, Graph.from_text(text))
    assert layer2.items[frame].kind == FRAME and layer2.items[frame].text == "Filters"
    assert layer2.items["comment1"].text == "ISO 10816" and len(layer2.reroutes[WIRE]) == 1
    assert again.graph.to_text() == text
    again.detach()
    layer2.detach()


def mouse(canvas: GraphCanvas, kind, scene_pos, modifiers=Qt.KeyboardModifier.NoModifier,
          buttons=Qt.MouseButton.LeftButton) -> None:
    """A mouse event on the canvas's viewport at ``scene_pos``, as a person's hand makes it."""
    viewport = canvas.view.viewport()
    local = QPointF(canvas.view.mapFromScene(QPointF(*scene_pos)))
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    QApplication.sendEvent(viewport, QMouseEvent(kind, local, viewport.mapToGlobal(local), button, buttons,
                                                 modifiers))


def shown(qtbot) -> tuple[GraphCanvas, AnnotationLayer]:
    canvas, layer = make(qtbot)
    canvas.resize(1000, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.view.resetTransform()
    canvas.view.centerOn(200, 100)
    return canvas, layer


def test_a_double_click_edits_a_comment_in_place_one_step_and_esc_cancels(qtbot):
    canvas, layer = shown(qtbot)
    layer.add(COMMENT, (100, 200), "ISO 10816")
    stack, before = canvas.undo_stack, canvas.undo_stack.count()
    mouse(canvas, QEvent.Type.MouseButtonPress, (150, 240))
    mouse(canvas, QEvent.Type.MouseButtonRelease, (150, 240))
    mouse(canvas, QEvent.Type.MouseButtonDblClick, (150, 240))
    editor = layer.editor
    assert editor is not None and editor.isVisible() and editor.toPlainText() == "ISO 10816"
    QTest.keyClicks(editor, "zone B")  # replaces the selected text
    QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert layer.editor is None and canvas.graph.ui.annotations["comment1"].text == "zone B"
    assert stack.count() == before + 1 and layer.items["comment1"].text == "zone B"
    editor = layer.edit_text("comment1")
    QTest.keyClicks(editor, "thrown away")
    QTest.keyClick(editor, Qt.Key.Key_Escape)
    assert canvas.graph.ui.annotations["comment1"].text == "zone B" and stack.count() == before + 1
    stack.undo()
    assert canvas.graph.ui.annotations["comment1"].text == "ISO 10816"
    canvas.detach()
    layer.detach()


def test_dragging_the_corner_handle_resizes_in_one_undo_step(qtbot):
    canvas, layer = shown(qtbot)
    layer.add(COMMENT, (100, 200), "note", (200, 80))
    stack, before = canvas.undo_stack, canvas.undo_stack.count()
    mouse(canvas, QEvent.Type.MouseButtonPress, (296, 276))
    for step in range(1, 6):
        mouse(canvas, QEvent.Type.MouseMove, (296 + 12 * step, 276 + 8 * step))
    assert layer.items["comment1"].size == (260.0, 120.0)  # follows the hand before the release
    mouse(canvas, QEvent.Type.MouseButtonRelease, (356, 316), buttons=Qt.MouseButton.NoButton)
    annotation = canvas.graph.ui.annotations["comment1"]
    assert annotation.size == (260.0, 120.0) and annotation.position == (100.0, 200.0)
    assert stack.count() == before + 1
    stack.undo()
    assert canvas.graph.ui.annotations["comment1"].size == (200.0, 80.0)
    assert layer.items["comment1"].size == (200.0, 80.0)
    canvas.detach()
    layer.detach()


def test_alt_click_on_a_wire_adds_a_reroute_that_drags_is_removed_by_double_click_and_is_saved(qtbot):
    canvas, layer = shown(qtbot)
    canvas.view.centerOn(1300, 50)
    wire = next(i for e, i in canvas.scene.edges.items() if e.wire == LONG_WIRE)
    middle = wire.path().pointAtPercent(0.5)
    at = (middle.x(), middle.y())
    mouse(canvas, QEvent.Type.MouseButtonPress, at, Qt.KeyboardModifier.AltModifier)
    mouse(canvas, QEvent.Type.MouseButtonRelease, at, Qt.KeyboardModifier.AltModifier,
          buttons=Qt.MouseButton.NoButton)
    assert canvas.graph.ui.reroutes == {LONG_WIRE: [(snap(at[0]), snap(at[1]))]}
    assert canvas.undo_stack.count() == 1
    text = canvas.graph.to_text()
    again, layer2 = make(qtbot, Graph.from_text(text))
    assert again.graph.ui.reroutes == canvas.graph.ui.reroutes and len(layer2.reroutes[LONG_WIRE]) == 1
    assert again.graph.to_text() == text
    again.detach()
    layer2.detach()
    bend = layer.reroutes[LONG_WIRE][0]
    start = (bend.x(), bend.y())
    mouse(canvas, QEvent.Type.MouseButtonPress, start)
    to = (start[0] + 50, start[1] + 30)
    mouse(canvas, QEvent.Type.MouseMove, to)
    assert wire.bends[0] == QPointF(*to)  # the wire follows the dragged point before the release
    mouse(canvas, QEvent.Type.MouseButtonRelease, to, buttons=Qt.MouseButton.NoButton)
    moved = (snap(start[0] + 50), snap(start[1] + 30))
    assert canvas.graph.ui.reroutes == {LONG_WIRE: [moved]} and canvas.undo_stack.count() == 2
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                 QEvent.Type.MouseButtonRelease):
        mouse(canvas, kind, moved)
    assert canvas.graph.ui.reroutes == {} and canvas.graph.to_text() == SHIPPED
    canvas.undo_stack.undo()
    assert canvas.graph.ui.reroutes == {LONG_WIRE: [moved]}
    canvas.detach()
    layer.detach()
