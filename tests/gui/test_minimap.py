"""The minimap: the whole graph in the canvas's corner, its frame dragged to pan."""

from __future__ import annotations

import pytest
from qtpy.QtCore import QPoint, Qt
from qtpy.QtGui import QUndoStack
from qtpy.QtTest import QTest

from model_designer.canvas import GraphCanvas
from nodes.graph import Graph
from nodes.registry import default_registry
from nodes.resources import resources_dir

SHIPPED = resources_dir() / "examples" / "pump_station" / "graphs" / "vibration_alarm.json"


@pytest.fixture
def canvas(qtbot):
    canvas = GraphCanvas(Graph.from_text(SHIPPED.read_text(encoding="utf-8")), default_registry(), QUndoStack())
    qtbot.addWidget(canvas)
    canvas.resize(800, 500)
    canvas.show()
    qtbot.waitExposed(canvas)
    yield canvas
    canvas.detach()


def centre(canvas: GraphCanvas):
    return canvas.view.mapToScene(canvas.view.viewport().rect().center())


def test_the_minimap_shows_the_graph_and_its_frame_pans_the_view(qtbot, canvas):
    canvas.view.resetTransform()
    canvas.view.centerOn(canvas.scene.nodes["acc"])  # 100 %: a small part of the graph on screen
    minimap = canvas.minimap
    qtbot.waitUntil(minimap.isVisible, timeout=5000)
    for item in canvas.scene.nodes.values():  # every node is drawn inside the minimap
        assert minimap.rect().contains(minimap.map_from_scene(item.sceneBoundingRect()).toRect())
    frame = minimap.map_from_scene(minimap.visible_area)
    assert minimap.rect().contains(frame.toRect())

    before = centre(canvas)
    start = frame.center().toPoint()
    end = start + QPoint(40, 0)  # along the graph: at 100 % its height fits, its width does not
    QTest.mousePress(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, 5):
        QTest.mouseMove(minimap, start + (end - start) * i / 4)
    QTest.mouseRelease(minimap, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)
    moved = centre(canvas) - before
    scale = minimap.map_from_scene(minimap.visible_area).width() / minimap.visible_area.width()
    assert moved.x() == pytest.approx(40 / scale, abs=3 / scale)  # the view followed the hand, at the map's scale
    assert moved.y() == pytest.approx(0, abs=1)
    assert minimap.map_from_scene(minimap.visible_area).center().x() == pytest.approx(end.x(), abs=3)


def test_the_minimap_hides_when_the_whole_graph_is_visible_and_m_toggles_it(qtbot, canvas):
    canvas.view.resetTransform()
    canvas.view.centerOn(canvas.scene.nodes["acc"])
    qtbot.waitUntil(canvas.minimap.isVisible, timeout=5000)
    canvas.fit()
    qtbot.waitUntil(lambda: not canvas.minimap.isVisible(), timeout=5000)
    canvas.view.resetTransform()
    qtbot.waitUntil(canvas.minimap.isVisible, timeout=5000)
    canvas.view.setFocus()
    QTest.keyClick(canvas.view, Qt.Key.Key_M)
    assert not canvas.minimap.action.isChecked()
    qtbot.waitUntil(lambda: not canvas.minimap.isVisible(), timeout=5000)
    QTest.keyClick(canvas.view, Qt.Key.Key_M)
    qtbot.waitUntil(canvas.minimap.isVisible, timeout=5000)
