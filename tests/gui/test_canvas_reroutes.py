"""A reroute point lying over a node is on top of it: the hand grabs the point, not the node."""

from __future__ import annotations

from qtpy.QtCore import QEvent, QPointF, Qt

from model_designer.annotations import RerouteItem, add_reroute
from model_designer.canvas.items import NodeItem
from tests.gui.test_annotations import LONG_WIRE, mouse, shown

OVER_ALARM = (1280.0, 150.0)  # inside the alarm node's body (1200, 100)–(1370, 166), away from its ports


def test_a_reroute_point_over_a_node_is_dragged_and_the_node_stays(qtbot):
    canvas, layer = shown(qtbot)
    canvas.view.centerOn(*OVER_ALARM)
    canvas.undo_stack.push(add_reroute(canvas.graph, LONG_WIRE, OVER_ALARM))
    bend = layer.reroutes[LONG_WIRE][0]
    alarm = canvas.scene.nodes["alarm"]
    assert alarm.sceneBoundingRect().contains(QPointF(*OVER_ALARM))
    assert isinstance(canvas.view.itemAt(canvas.view.mapFromScene(QPointF(*OVER_ALARM))), RerouteItem)
    wire = next(item for edge, item in canvas.scene.edges.items() if edge.wire == LONG_WIRE)
    to = (OVER_ALARM[0] + 60, OVER_ALARM[1] + 40)
    mouse(canvas, QEvent.Type.MouseButtonPress, OVER_ALARM)
    mouse(canvas, QEvent.Type.MouseMove, (OVER_ALARM[0] + 30, OVER_ALARM[1] + 20))
    mouse(canvas, QEvent.Type.MouseMove, to)
    assert (bend.x(), bend.y()) == to and wire.bends[0] == QPointF(*to)  # the wire follows before the release
    mouse(canvas, QEvent.Type.MouseButtonRelease, to, buttons=Qt.MouseButton.NoButton)
    assert canvas.graph.ui.reroutes == {LONG_WIRE: [to]}
    assert canvas.graph.nodes["alarm"].position == (1200.0, 100.0) and (alarm.x(), alarm.y()) == (1200.0, 100.0)
    assert canvas.undo_stack.count() == 2  # the bend added, then moved: no node move
    assert not [item for item in canvas.scene.selectedItems() if isinstance(item, NodeItem)]
    canvas.detach()
    layer.detach()


def test_a_double_click_on_a_reroute_point_over_a_node_removes_the_point(qtbot):
    canvas, layer = shown(qtbot)
    canvas.view.centerOn(*OVER_ALARM)
    canvas.undo_stack.push(add_reroute(canvas.graph, LONG_WIRE, OVER_ALARM))
    activated: list[str] = []
    canvas.node_activated.connect(activated.append)
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick,
                 QEvent.Type.MouseButtonRelease):
        mouse(canvas, kind, OVER_ALARM)
    assert canvas.graph.ui.reroutes == {} and activated == []
    mouse(canvas, QEvent.Type.MouseButtonDblClick, OVER_ALARM)  # with the point gone, the node is there
    assert activated == ["alarm"]
    canvas.detach()
    layer.detach()
