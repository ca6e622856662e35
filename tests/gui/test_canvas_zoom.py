"""Below the detail zoom the port items hide and the nodes draw their dots; wiring still works."""

from __future__ import annotations

from qtpy.QtCore import QPoint
from qtpy.QtGui import QTransform, QUndoStack

from model_designer.canvas import GraphCanvas
from model_designer.canvas.items import TEXT_DETAIL
from nodes.graph import Graph
from nodes.registry import default_registry
from tests.gui.test_canvas import drag, port_pos


def _canvas(qtbot) -> GraphCanvas:
    graph = Graph("zoom")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("mid", "signal.scale", {"gain": 1.0}, position=(250, 0))
    canvas = GraphCanvas(graph, default_registry(), QUndoStack())
    qtbot.addWidget(canvas)
    canvas.resize(1000, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    return canvas


def _zoom(qtbot, canvas: GraphCanvas, zoom: float) -> None:
    canvas.view.setTransform(QTransform.fromScale(zoom, zoom))
    canvas.view.centerOn(canvas.scene.itemsBoundingRect().center())
    detailed = zoom >= TEXT_DETAIL  # the view follows its zoom when it next paints
    qtbot.waitUntil(lambda: canvas.scene.nodes["mid"].detailed == detailed, timeout=10_000)


def test_ports_hide_below_the_detail_zoom_and_come_back(qtbot):
    canvas = _canvas(qtbot)
    port = canvas.scene.port_item("mid.x", False)
    _zoom(qtbot, canvas, TEXT_DETAIL * 0.8)
    assert not port.isVisible() and not canvas.scene.nodes["mid"].detailed
    canvas.add_node("signal.ewma", (500, 0), node_id="smooth")  # a new node follows the scene's zoom
    assert not canvas.scene.port_item("smooth.x", False).isVisible()
    _zoom(qtbot, canvas, 1.0)
    assert port.isVisible() and canvas.scene.port_item("smooth.x", False).isVisible()
    canvas.detach()


def test_wiring_works_with_hidden_ports(qtbot):
    canvas = _canvas(qtbot)
    _zoom(qtbot, canvas, TEXT_DETAIL * 0.8)
    start, end = port_pos(canvas, "flow.y", True), port_pos(canvas, "mid.x", False)
    assert canvas.view.port_at(start) is canvas.scene.port_item("flow.y", True)
    assert canvas.view.port_at(start + QPoint(0, 30)) is None
    drag(canvas, start, end)
    assert [(e.source, e.target) for e in canvas.graph.edges] == [("flow", "mid")]
    canvas.detach()
