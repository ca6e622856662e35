"""Align and distribute the selection on the canvas: one undo step each."""

from __future__ import annotations

import pytest
from qtpy.QtCore import Qt
from qtpy.QtGui import QUndoStack
from qtpy.QtTest import QTest

from model_designer.align import Box, aligned, distributed
from model_designer.canvas import GraphCanvas
from nodes.graph import Graph
from nodes.registry import default_registry


@pytest.fixture
def canvas(qtbot):
    canvas = GraphCanvas(Graph(), default_registry(), QUndoStack())
    qtbot.addWidget(canvas)
    canvas.resize(900, 600)
    canvas.show()
    qtbot.waitExposed(canvas)
    yield canvas
    canvas.undo_stack.clear()
    canvas.detach()


def positions(canvas: GraphCanvas, ids: list[str]) -> list[tuple[float, float]]:
    return [canvas.graph.nodes[i].position for i in ids]


def test_align_left_gives_the_selected_nodes_one_x_in_one_undo_step(canvas):
    ids = [canvas.add_node("signal.ewma", p) for p in [(100, 40), (30, 200), (250, 330)]]
    other = canvas.add_node("signal.ewma", (400, 0))
    before = positions(canvas, ids)
    canvas.select(ids)
    steps = canvas.undo_stack.count()
    canvas.align("left")
    assert positions(canvas, ids) == [(30, 40), (30, 200), (30, 330)]
    assert canvas.graph.nodes[other].position == (400, 0)  # not selected: not moved
    assert canvas.undo_stack.count() == steps + 1
    canvas.undo_stack.undo()
    assert positions(canvas, ids) == before
    assert canvas.scene.nodes[ids[0]].pos().x() == 100  # the canvas follows the undone graph


def test_the_keyboard_aligns_the_right_edges(canvas):
    ids = [canvas.add_node("signal.ewma", p) for p in [(100, 40), (30, 200)]]
    canvas.select(ids)
    canvas.view.setFocus()
    QTest.keyClick(canvas.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert positions(canvas, ids) == [(100, 40), (100, 200)]  # equal widths: right edges meet at the same x
    texts = [action.text() for action in canvas.align_actions()]
    assert "Align Left" in texts and "Distribute Vertically" in texts


def test_distribute_spaces_three_nodes_evenly(canvas):
    ids = [canvas.add_node("signal.ewma", p) for p in [(0, 0), (400, 100), (600, 50)]]
    canvas.select(ids)
    canvas.distribute("horizontal")
    xs = [x for x, _ in positions(canvas, ids)]
    width = canvas.scene.nodes[ids[0]].boundingRect().width() - 4
    assert xs[0] == 0 and xs[2] == 600  # the outermost stay
    assert xs[1] - (xs[0] + width) == pytest.approx(xs[2] - (xs[1] + width))
    assert [y for _, y in positions(canvas, ids)] == [0, 100, 50]
    canvas.undo_stack.undo()
    assert positions(canvas, ids) == [(0, 0), (400, 100), (600, 50)]


def test_distribute_keeps_equal_gaps_between_nodes_of_different_heights():
    boxes = {"a": Box(0, 0, 10, 10), "b": Box(0, 15, 10, 50), "c": Box(0, 100, 10, 20)}
    new = distributed(boxes, "vertical")
    assert new == {"a": (0, 0), "b": (0, 30), "c": (0, 100)}  # gaps of 20 above and below b


def test_centre_and_bottom_alignment_use_the_common_span():
    boxes = {"a": Box(0, 0, 10, 10), "b": Box(30, 20, 30, 40)}
    assert aligned(boxes, "centre") == {"a": (25, 0), "b": (15, 20)}
    assert aligned(boxes, "bottom") == {"a": (0, 50), "b": (30, 20)}
    with pytest.raises(ValueError, match="align to one of"):
        aligned(boxes, "diagonal")
