"""Comments, frames and reroute points: drawn from the graph's ui section, edited by undoable commands."""

from __future__ import annotations

from qtpy.QtGui import QUndoStack

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
from nodes.graph import Graph
from nodes.graph_ui import COMMENT, FRAME, Annotation
from nodes.registry import default_registry
from nodes.resources import example_project

SHIPPED = (example_project() / "graphs" / "vibration_alarm.json").read_text(encoding="utf-8")
WIRE = ("acc.y", "band.x")


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
