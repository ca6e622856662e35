"""What keeps a large canvas fast: wires re-pathed once per move, zoomed-out nodes drawn from shared thumbnails."""

from __future__ import annotations

import math

from qtpy.QtCore import QPointF
from qtpy.QtGui import QTransform
from qtpy.QtTest import QTest

from model_designer.canvas.items import TEXT_DETAIL, EdgeItem, thumbnail
from model_designer.commands import MoveNodes, new_gesture
from nodes.graph import Graph
from tests.gui.test_canvas import make_canvas  # noqa: F401 - fixture


def _chain() -> Graph:
    graph = Graph("chain")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("smooth", "signal.ewma", position=(250, 0))
    graph.add_node("gain", "signal.scale", {"gain": 2.0}, position=(500, 0))
    graph.add_node("twin", "signal.ewma", position=(250, 200))
    graph.connect("flow.y", "smooth.x")
    graph.connect("smooth.y", "gain.x")
    graph.connect("flow.y", "twin.x")
    return graph


def _ends_at_ports(wire: EdgeItem) -> bool:
    path = wire.path()
    start, end = path.elementAt(0), path.elementAt(path.elementCount() - 1)
    return (QPointF(start.x, start.y), QPointF(end.x, end.y)) == (wire.source.scenePos(), wire.target.scenePos())


def test_moving_every_node_re_paths_each_wire_once(make_canvas, qtbot, monkeypatch):  # noqa: F811
    canvas = make_canvas(_chain())
    re_pathed: list[EdgeItem] = []
    update_path = EdgeItem.update_path
    monkeypatch.setattr(EdgeItem, "update_path", lambda wire: (re_pathed.append(wire), update_path(wire)))
    positions = {node_id: (x + 30, y + 20) for node_id, (x, y) in
                 ((i, n.position) for i, n in canvas.graph.nodes.items())}
    canvas.undo_stack.push(MoveNodes(canvas.graph, positions, new_gesture()))
    qtbot.waitUntil(lambda: len(re_pathed) >= 3, timeout=10_000)  # on the next turn of the event loop
    wires = list(canvas.scene.edges.values())
    assert sorted(map(id, re_pathed)) == sorted(map(id, wires))  # each once, though both ends of two moved
    assert all(_ends_at_ports(wire) for wire in wires)
    canvas.undo_stack.undo()
    qtbot.waitUntil(lambda: len(re_pathed) >= 6, timeout=10_000)
    assert all(_ends_at_ports(wire) for wire in wires) and len(re_pathed) == 6


def test_a_repaint_right_after_a_move_shows_the_wires_at_their_nodes(make_canvas):  # noqa: F811
    canvas = make_canvas(_chain())
    assert QTest.qWaitForWindowExposed(canvas)  # a window not yet exposed does not paint
    canvas.undo_stack.push(MoveNodes(canvas.graph, {"smooth": (260.0, 90.0)}, new_gesture()))
    wires = [wire for edge, wire in canvas.scene.edges.items() if "smooth" in (edge.source, edge.target)]
    assert not any(_ends_at_ports(wire) for wire in wires)  # not yet: the re-path waits for the event loop
    canvas.view.viewport().repaint()  # a synchronous paint (as grab() and the benchmark do) comes first
    assert all(_ends_at_ports(wire) for wire in wires)
    other = next(wire for edge, wire in canvas.scene.edges.items() if edge.target == "twin")
    assert _ends_at_ports(other)


def test_zoomed_out_nodes_that_look_alike_share_one_thumbnail_drawn_at_the_zoom(make_canvas, qtbot):  # noqa: F811
    canvas = make_canvas(_chain())
    zoom = TEXT_DETAIL * 0.6
    canvas.view.setTransform(QTransform.fromScale(zoom, zoom))
    qtbot.waitUntil(lambda: not canvas.scene.nodes["twin"].detailed, timeout=10_000)  # set when the view paints
    smooth, twin, gain = (canvas.scene.nodes[n] for n in ("smooth", "twin", "gain"))
    picture, source = thumbnail(smooth, zoom)
    assert thumbnail(twin, zoom)[0] is picture and thumbnail(gain, zoom)[0] is picture  # one input, one output each
    assert thumbnail(canvas.scene.nodes["flow"], zoom)[0] is not picture  # an output only
    rect = smooth.boundingRect()
    assert (source.width(), source.height()) == (math.ceil(rect.width() * zoom), math.ceil(rect.height() * zoom))
    assert thumbnail(smooth, zoom * 1.03)[0] is not picture
    twin.setSelected(True)  # a selected node is outlined in the selection colour
    assert thumbnail(twin, zoom)[0] is not picture
    twin.setSelected(False)
    twin.set_problem("error: x: not connected")  # a node with a problem is outlined red
    assert thumbnail(twin, zoom)[0] is not picture
    twin.set_problem(None)
    assert thumbnail(twin, zoom)[0] is picture
    canvas.scene.port_item("twin.x", False).set_state("dim")  # a wire being dragged that cannot end here
    assert thumbnail(twin, zoom)[0] is not picture
    canvas.scene.port_item("twin.x", False).set_state("normal")
    assert thumbnail(twin, zoom)[0] is picture
