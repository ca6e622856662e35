"""The node canvas: a view of the graph, edited only through undo commands."""

from __future__ import annotations

import json
import time

import pytest
from qtpy.QtCore import QMimeData, QPoint, QPointF, Qt
from qtpy.QtGui import QDropEvent, QGuiApplication, QUndoStack
from qtpy.QtTest import QTest

from model_designer.canvas import COMPONENT_MIME, GraphCanvas
from model_designer.canvas.items import EdgeItem
from model_designer.commands import MoveNodes, SetParam, SetTitle
from nodes.graph import Graph
from nodes.registry import default_registry
from nodes.resources import resources_dir

SHIPPED = resources_dir() / "examples" / "pump_station" / "graphs" / "vibration_alarm.json"

@pytest.fixture
def make_canvas(qtbot):
    canvases = []

    def make(graph: Graph | None = None) -> GraphCanvas:
        canvas = GraphCanvas(graph if graph is not None else Graph(), default_registry(), QUndoStack())
        qtbot.addWidget(canvas)
        canvas.resize(1000, 700)
        canvas.show()
        qtbot.waitExposed(canvas)
        canvases.append(canvas)
        return canvas

    yield make
    for canvas in canvases:
        canvas.detach()

def shipped_text() -> str:
    return SHIPPED.read_text(encoding="utf-8")

def viewport_pos(canvas: GraphCanvas, scene_pos: QPointF) -> QPoint:
    return canvas.view.mapFromScene(scene_pos)

def port_pos(canvas: GraphCanvas, ref: str, output: bool) -> QPoint:
    return viewport_pos(canvas, canvas.scene.port_item(ref, output).scenePos())

def drag(canvas: GraphCanvas, start: QPoint, end: QPoint, steps: int = 5) -> None:
    viewport = canvas.view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * i / steps)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)

def test_open_then_save_is_byte_identical(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    assert set(canvas.scene.nodes) == {n["id"] for n in json.loads(shipped_text())["nodes"]}
    assert len(canvas.scene.edges) == 10
    assert canvas.graph.to_text() == shipped_text()

def test_build_the_vibration_alarm_through_the_canvas(make_canvas):
    shipped = Graph.from_text(shipped_text())
    canvas = make_canvas(Graph(shipped.name, shipped.description))
    stack = canvas.undo_stack
    for node in shipped.nodes.values():
        assert canvas.add_node(node.type, node.position, node_id=node.id) == node.id
        if node.title:
            stack.push(SetTitle(canvas.graph, node.id, node.title))
        for name, value in node.params.items():
            stack.push(SetParam(canvas.graph, node.id, name, value))
    for edge in shipped.edges:
        assert canvas.connect(f"{edge.source}.{edge.source_port}", f"{edge.target}.{edge.target_port}") is None
    assert canvas.graph.to_text() == shipped_text()
    assert Graph.from_text(canvas.graph.to_text()).to_text() == shipped_text()  # save, reopen: the same bytes

def test_new_nodes_get_ids_from_their_type_and_defaults_for_params(make_canvas):
    canvas = make_canvas()
    assert canvas.add_node("signal.ewma", (13, 27)) == "ewma1"
    assert canvas.add_node("signal.ewma", (0, 0)) == "ewma2"
    assert canvas.graph.nodes["ewma1"].position == (10.0, 30.0)  # snapped to the 10 px grid
    assert canvas.graph.nodes["ewma1"].params == default_registry().get("signal.ewma").resolve_params({})
    assert canvas.add_node("signal.nope", (0, 0)) is None

def test_refused_connections_say_why(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    messages = []
    canvas.message.connect(messages.append)
    canvas.add_node("vibration.fft_spectrum", (0, 200), node_id="fft")
    canvas.add_node("io.input", (0, 300), node_id="temp")
    canvas.undo_stack.push(SetParam(canvas.graph, "temp", "unit", "degC"))
    canvas.add_node("signal.ewma", (0, 400), node_id="ewma")
    canvas.add_node("vibration.iso_severity", (0, 500), node_id="zone2")
    canvas.connect("acc.y", "fft.x")
    before = canvas.graph.to_text()
    refusals = {
        ("fft.spectrum", "ewma.x"): "a spectrum cannot feed a signal input",
        ("temp.y", "zone2.v"): "°C cannot feed mm/s",
        ("acc.y", "temp.y"): "acc.y and temp.y are both outputs: an output can only feed an input",
        ("temp.y", "band.x"): "band.x is already fed by acc.y; disconnect that wire first",
    }
    for (source, target), reason in refusals.items():
        assert canvas.connect(source, target) == reason
    assert messages[-4:] == list(refusals.values())
    assert canvas.note.isVisible() and canvas.note.text() == refusals[("temp.y", "band.x")]
    assert canvas.graph.to_text() == before

def test_a_converting_wire_shows_the_conversion(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.add_node("signal.unit_convert", (1200, 300), node_id="in_m_s")
    assert canvas.connect("mm_s.y", "in_m_s.x") is None
    canvas.scene.revalidate()
    wire = next(item for item in canvas.scene.edges.values() if item.edge.target == "in_m_s")
    assert wire.label is not None and wire.label.isVisible() and wire.label.text() == "mm/s → m/s"
    assert canvas.scene.port_item("zone.v", False).unit == "mm/s"

def test_an_invalid_node_is_outlined_with_its_problem(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    assert canvas.scene.nodes["band"].problem is None
    canvas.undo_stack.push(SetParam(canvas.graph, "band", "low", 900.0))
    canvas.scene.revalidate()
    assert "low" in canvas.scene.nodes["band"].problem
    assert canvas.scene.nodes["band"].toolTip() == canvas.scene.nodes["band"].problem
    canvas.undo_stack.undo()
    canvas.scene.revalidate()
    assert canvas.scene.nodes["band"].problem is None

def test_undo_and_redo_of_every_command_type(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    stack = canvas.undo_stack
    canvas.add_node("signal.ewma", (0, 300), node_id="smooth")                      # AddNode
    canvas.connect("acc.y", "smooth.x")                                             # Connect
    stack.push(SetParam(canvas.graph, "rms", "block_size", 4000))                    # SetParam
    stack.push(SetParam(canvas.graph, "smooth", "alpha_unknown", 1))                 # SetParam of an unset one
    stack.push(SetTitle(canvas.graph, "out_zone", "Zone"))                           # SetTitle
    stack.push(MoveNodes(canvas.graph, {"acc": (-100.0, 50.0), "band": (200.0, 90.0)}))  # MoveNodes
    canvas.remove(["mm_s"], [canvas.graph.incoming("band")[0]])                      # RemoveItems (+Disconnect)
    canvas.select(["acc", "band"])
    canvas.copy()
    canvas.paste()                                                                   # Paste
    edited = canvas.graph.to_text()
    assert edited != shipped_text() and "mm_s" not in canvas.graph.nodes and "acc1" in canvas.graph.nodes
    while stack.canUndo():
        stack.undo()
    assert canvas.graph.to_text() == shipped_text()
    assert set(canvas.scene.nodes) == set(canvas.graph.nodes) and set(canvas.scene.edges) == set(canvas.graph.edges)
    while stack.canRedo():
        stack.redo()
    assert canvas.graph.to_text() == edited
    assert set(canvas.scene.edges) == set(canvas.graph.edges)

def test_a_drag_moves_the_selection_on_the_grid_in_one_undo_step(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.select(["band", "velocity"])
    start = viewport_pos(canvas, canvas.scene.nodes["band"].scenePos() + QPointF(60, 15))
    count = canvas.undo_stack.count()
    drag(canvas, start, start + QPoint(53, 41), steps=8)
    assert canvas.undo_stack.count() == count + 1
    band, velocity = canvas.graph.nodes["band"].position, canvas.graph.nodes["velocity"].position
    assert band != (200.0, 0.0) and all(v % 10 == 0 for v in band)
    assert (velocity[0] - band[0], velocity[1] - band[1]) == (200.0, 0.0)  # moved together
    assert canvas.scene.nodes["band"].pos() == QPointF(*band)  # the item follows the graph
    canvas.undo_stack.undo()
    assert canvas.graph.to_text() == shipped_text()

def test_arrow_keys_nudge_and_merge(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.select(["acc"])
    count = canvas.undo_stack.count()
    for _ in range(3):
        QTest.keyClick(canvas.view, Qt.Key.Key_Right)
    assert canvas.graph.nodes["acc"].position == (30.0, 0.0)
    assert canvas.undo_stack.count() == count + 1

def test_wiring_by_dragging_from_port_to_port(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.add_node("signal.ewma", (600, 250), node_id="smooth")
    canvas.add_node("vibration.fft_spectrum", (900, 250), node_id="fft")
    canvas.connect("band.y", "fft.x")
    canvas.fit()
    messages = []
    canvas.message.connect(messages.append)
    drag(canvas, port_pos(canvas, "rms.rms", True), port_pos(canvas, "smooth.x", False))
    assert any(e.source == "rms" and e.target == "smooth" for e in canvas.graph.edges)
    drag(canvas, port_pos(canvas, "fft.spectrum", True), port_pos(canvas, "out_rms.x", False))
    assert messages[-1] == "out_rms.x is already fed by mm_s.y; disconnect that wire first"

def test_ports_dim_while_a_wire_is_dragged(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.add_node("signal.ewma", (600, 250), node_id="smooth")
    canvas.fit()
    viewport = canvas.view.viewport()
    start = port_pos(canvas, "rms.rms", True)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, start + QPoint(30, 30))
    assert canvas.scene.port_item("smooth.x", False).state == "fit"
    assert canvas.scene.port_item("band.x", False).state == "dim"  # already wired
    QTest.keyClick(canvas.view, Qt.Key.Key_Escape)
    assert canvas.scene.port_item("band.x", False).state == "normal"
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start + QPoint(30, 30))
    assert canvas.graph.to_text().count('"from"') == 10

def test_copy_and_paste_two_connected_nodes(make_canvas):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.select(["rms", "mm_s"])
    QTest.keyClick(canvas.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert json.loads(QGuiApplication.clipboard().text())["edges"] == [{"from": "rms.rms", "to": "mm_s.x"}]
    QTest.keyClick(canvas.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert canvas.selected_node_ids() == ["mm_s1", "rms1"]
    assert len(canvas.graph.nodes) == 13
    new_edges = [e for e in canvas.graph.edges if {e.source, e.target} & {"rms1", "mm_s1"}]
    assert [str(e) for e in new_edges] == ["rms1.rms → mm_s1.x"]
    assert canvas.graph.nodes["rms1"].position == (820.0, 20.0)
    QTest.keyClick(canvas.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert canvas.selected_node_ids() == ["mm_s2", "rms2"]
    QTest.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert "rms2" not in canvas.graph.nodes and len(canvas.graph.nodes) == 13

def test_a_palette_drop_adds_the_component_where_it_falls(make_canvas, qtbot):
    canvas = make_canvas()
    mime = QMimeData()
    mime.setData(COMPONENT_MIME, b"signal.lowpass")
    target = canvas.view.mapFromScene(QPointF(100, 50))

    event = QDropEvent(QPointF(target), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    canvas.view.dropEvent(event)
    assert canvas.graph.nodes["lowpass1"].position == (100.0, 50.0)

def test_tab_opens_quick_add_which_adds_and_wires(make_canvas, qtbot):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    canvas.fit()
    canvas.view.open_quick_add(QPointF(1000, 300), canvas.scene.port_item("mm_s.y", True))
    box = canvas.view.quick_add
    qtbot.keyClicks(box, "signal.ewma")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert canvas.graph.nodes["ewma1"].type == "signal.ewma"
    assert any(str(e) == "mm_s.y → ewma1.x" for e in canvas.graph.edges)
    canvas.undo_stack.undo()  # adding and wiring is one step
    assert canvas.graph.to_text() == shipped_text()
    QTest.keyClick(canvas.view, Qt.Key.Key_Tab)
    assert canvas.view.quick_add is not box and canvas.view.quick_add.isVisible()
    canvas.view.quick_add.insert("指数加权")  # the Chinese title finds it too (QTest types ASCII only)
    QTest.keyClick(canvas.view.quick_add, Qt.Key.Key_Return)
    assert "ewma1" in canvas.graph.nodes

def test_selection_and_activation_signals(make_canvas, qtbot):
    canvas = make_canvas(Graph.from_text(shipped_text()))
    with qtbot.waitSignal(canvas.selection_changed) as blocker:
        canvas.select(["rms", "acc"])
    assert blocker.args == [["acc", "rms"]]
    with qtbot.waitSignal(canvas.node_activated) as blocker:
        pos = viewport_pos(canvas, canvas.scene.nodes["rms"].scenePos() + QPointF(60, 15))
        QTest.mouseDClick(canvas.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
    assert blocker.args == ["rms"]

def test_a_thousand_node_graph_opens(make_canvas):
    graph = Graph("big")
    for i in range(1000):
        graph.add_node(f"n{i}", "signal.ewma" if i % 40 else "io.input", position=((i % 40) * 250.0, (i // 40) * 120.0))
    for i in range(1, 1000):
        if i % 40:
            graph.connect(f"n{i - 1}.y", f"n{i}.x")
    started = time.perf_counter()
    canvas = make_canvas(graph)
    canvas.fit()
    QGuiApplication.processEvents()
    print(f"\n1,000 nodes, {len(graph.edges)} wires: canvas open in {time.perf_counter() - started:.2f} s")
    assert len(canvas.scene.nodes) == 1000 and len(canvas.scene.edges) == len(graph.edges)
    assert isinstance(next(iter(canvas.scene.edges.values())), EdgeItem)
