"""The validation panel lists every problem of the graph in front at once and takes you to the node."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtTest import QTest

from model_designer.commands import Connect
from model_designer.editor import GraphEditor
from model_designer.validation_panel import ValidationPanel
from nodes.registry import default_registry
from nodes.resources import example_project


def broken_editor(qtbot) -> GraphEditor:
    """The vibration alarm with three problems on three nodes."""
    editor = GraphEditor.open(example_project() / "graphs" / "vibration_alarm.json", default_registry())
    qtbot.addWidget(editor, before_close_func=lambda e: e.undo_stack.clear())  # no history outlives the test
    editor.resize(900, 600)
    editor.show()
    graph = editor.graph
    graph.disconnect(next(e for e in graph.edges if e.target == "velocity"))  # velocity.x unconnected
    graph.set_param("alarm", "high", "very")  # not a number
    graph.add_node("ghost", "signal.no_such_thing", position=(3000.0, 3000.0))  # far away: centring shows
    return editor


def make_panel(qtbot) -> ValidationPanel:
    panel = ValidationPanel()
    qtbot.addWidget(panel)
    panel.show()
    return panel


def row_of(panel: ValidationPanel, node: str) -> int:
    return next(i for i in range(panel.tree.topLevelItemCount()) if panel.tree.topLevelItem(i).text(1).split(".")[0]
                == node)


def test_every_problem_is_listed_at_once(qtbot):
    editor = broken_editor(qtbot)
    panel = make_panel(qtbot)
    panel.set_editor(editor)
    nodes = {panel.tree.topLevelItem(i).text(1).split(".")[0] for i in range(panel.tree.topLevelItemCount())}
    assert {"velocity", "alarm", "ghost"} <= nodes
    assert panel.summary.text().startswith(f"{sum(p.severity == 'error' for p in panel.problems)} errors")
    ghost = panel.tree.topLevelItem(row_of(panel, "ghost"))
    assert ghost.text(0) == "Error" and "not installed" in ghost.text(2) and not ghost.icon(0).isNull()
    editor.canvas.detach()


def test_clicking_a_problem_selects_and_centres_its_node_and_enter_does_too(qtbot):
    editor = broken_editor(qtbot)
    panel = make_panel(qtbot)
    panel.set_editor(editor)
    view, ghost = editor.canvas.view, editor.canvas.scene.nodes["ghost"]

    def ghost_in_sight() -> bool:
        return view.mapToScene(view.viewport().rect()).boundingRect().contains(ghost.sceneBoundingRect())

    assert not ghost_in_sight()
    item = panel.tree.topLevelItem(row_of(panel, "ghost"))
    QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     panel.tree.visualItemRect(item).center())
    assert editor.canvas.selected_node_ids() == ["ghost"] and ghost_in_sight()
    panel.tree.setFocus()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(row_of(panel, "alarm")))
    QTest.keyClick(panel.tree, Qt.Key.Key_Return)
    assert editor.canvas.selected_node_ids() == ["alarm"]
    editor.canvas.detach()


def test_the_list_follows_edits_after_they_settle_and_follows_the_editor_in_front(qtbot):
    editor = broken_editor(qtbot)
    panel = make_panel(qtbot)
    panel.set_editor(editor)
    counts = []
    panel.problems_changed.connect(counts.append)
    editor.undo_stack.push(Connect(editor.graph, "band.y", "velocity.x"))  # mends one problem
    editor.graph.remove_node("ghost")  # mends another, in the same burst
    qtbot.waitUntil(lambda: bool(counts), timeout=5000)
    assert counts == [1]  # one validation for the burst; the bad parameter is left
    assert [p.node for p in panel.problems] == ["alarm"]
    panel.set_editor(None)
    assert panel.tree.topLevelItemCount() == 0 and panel.summary.text() == "No graph is open"
    editor.graph.set_param("alarm", "high", 2.8)  # no longer followed: no validation
    qtbot.wait(300)
    assert counts == [1, 0]
    editor.canvas.detach()
