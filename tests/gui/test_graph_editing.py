"""Graphs in the window: opened from the Project panel onto a canvas tab, edited with the palette
and the inspector, undone with Edit → Undo, saved with File → Save."""

from __future__ import annotations

import shutil

from model_designer.editor import GraphEditor
from nodes.resources import example_project
from tests.gui.conftest import run, until


def open_example_graph(make_window, loop, tmp_path, name="vibration_alarm.json"):
    project = tmp_path / "pump_station"
    shutil.copytree(example_project(), project)
    window = make_window()
    assert run(loop, window.open_project(project, remember=False))
    path = project / "graphs" / name
    window.views["project"].file_activated.emit(path)  # what a double click on the file does
    run(loop, until(lambda: window.editor_area.current_editor() is not None))  # read on a worker thread
    editor = window.editor_area.current_editor()
    assert isinstance(editor, GraphEditor) and editor.path == path
    return window, editor, path


def test_a_graph_opens_on_a_canvas_tab_and_saves_unchanged(make_window, loop, tmp_path):
    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    original = path.read_bytes()
    assert window.editor_area.tabText(window.editor_area.currentIndex()) == "Vibration alarm"
    # Again (what the second double click runs): the same tab, not a second one.
    assert run(loop, window.editor_area.open_graph_file(path)) is editor
    assert len(window.editor_area.editors()) == 1
    editor.graph.set_param("alarm", "high", editor.graph.nodes["alarm"].params["high"])  # no real change
    window.actions.save.trigger()
    assert path.read_bytes() == original


def test_inspector_edits_are_undone_from_the_edit_menu_and_saved(make_window, loop, tmp_path):
    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    original = path.read_bytes()
    editor.canvas.select(["alarm"])
    inspector = window.views["inspector"]
    assert inspector.currentWidget() is inspector.node
    inspector._edit("alarm", "high", 3.5)  # what committing the field does
    assert editor.graph.nodes["alarm"].params["high"] == 3.5 and editor.dirty
    assert window.editor_area.tabText(window.editor_area.currentIndex()).endswith("*")
    window.actions.undo.trigger()
    assert editor.graph.nodes["alarm"].params["high"] != 3.5 and not editor.dirty
    window.actions.redo.trigger()
    window.actions.save.trigger()
    assert not editor.dirty and b'"high": 3.5' in path.read_bytes() and path.read_bytes() != original
    window.editor_area.setCurrentIndex(0)  # the start page: the inspector shows the project again
    assert inspector.currentWidget() is inspector.project


def test_a_component_chosen_in_the_palette_lands_on_the_canvas_in_front(make_window, loop, tmp_path):
    window, editor, _ = open_example_graph(make_window, loop, tmp_path)
    before = set(editor.graph.nodes)
    window.views["palette"].component_chosen.emit("signal.moving_average")
    added = set(editor.graph.nodes) - before
    assert len(added) == 1 and editor.graph.nodes[added.pop()].type == "signal.moving_average"
    window.actions.undo.trigger()
    assert set(editor.graph.nodes) == before


def test_device_tags_dropped_on_the_canvas_become_bound_graph_inputs_in_one_undo_step(make_window, loop, tmp_path):
    from qtpy.QtCore import QPointF, Qt
    from qtpy.QtGui import QDropEvent

    from device_browser.tags import TagRef, load_bindings
    from device_browser.ui.tag_mime import tags_mime_data

    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    bindings = path.parents[1] / "bindings.yaml"
    before, bound = set(editor.graph.nodes), load_bindings(bindings)
    speed = TagRef("ua", address="nsu=urn:millwright:pumpstation;s=PumpStation.Speed")
    mime = tags_mime_data([TagRef("pump", point="flow", unit="m^3/h"), speed,
                           TagRef("pump-station-opcua", point="flow")])
    view = editor.canvas.view
    drop = QDropEvent(QPointF(view.viewport().rect().center()), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    view.dropEvent(drop)
    added = sorted(set(editor.graph.nodes) - before)
    assert added == ["PumpStation_Speed1", "flow1", "pump_flow1"]
    columns = {node_id: editor.graph.nodes[node_id].params["column"] for node_id in added}
    # "flow" is the project's name of pump-station-opcua/flow already: pump's flow is named after its device
    assert columns == {"PumpStation_Speed1": "PumpStation.Speed", "flow1": "flow", "pump_flow1": "pump_flow"}
    assert editor.graph.nodes["pump_flow1"].params["unit"] == "m^3/h"
    assert load_bindings(bindings) == {**bound, "pump_flow": TagRef("pump", point="flow", unit="m^3/h"),
                                       "PumpStation.Speed": speed}
    assert bindings.read_text(encoding="utf-8").startswith("# Graph inputs bound to device tags")  # comments kept
    window.actions.undo.trigger()
    assert set(editor.graph.nodes) == before
    assert "pump_flow" in load_bindings(bindings)  # harmless unused, and what redo needs
    window.actions.redo.trigger()
    assert sorted(set(editor.graph.nodes) - before) == added
    messages = []
    editor.canvas.message.connect(messages.append)
    assert editor.canvas.add_tag_inputs([TagRef("pump", point="flow")], (0.0, 0.0)) == []  # read already
    assert editor.canvas.selected_node_ids() == ["pump_flow1"]
    assert messages == ["Already an input of this graph: pump_flow"]
    run(loop, until(lambda: len(window.devices.entries) == 2))
    row = window.views["inspector"].node.binding  # the one selected input's "Bound to" row
    assert row.editor.text() == "pump/flow" and row.problem() == "The project has no device 'pump'."
    editor.canvas.select(["flow1"])
    row = window.views["inspector"].node.binding
    assert row.note.text() == "in m³/h · device pump-station-opcua is in the project" and row.problem() is None


def test_a_graph_tab_runs_its_graph_on_the_recording_from_its_run_bar(make_window, loop, tmp_path):
    from model_designer.run import RunState

    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    bar = window.editor_area.run_bars[editor]
    bar.set_recording(path.parents[1] / "data" / "pump_run.csv")
    bar.run()
    run(loop, until(lambda: bar.runner is not None and bar.runner.snapshot().state == RunState.FINISHED, 30), 35)
    assert bar.runner.snapshot().outputs["alarm"] > 0
    window.editor_area.close_tab(window.editor_area.indexOf(editor))  # unchanged: closes without asking
    assert editor not in window.editor_area.run_bars


def test_group_open_inside_and_problems_of_the_graph_in_front(make_window, loop, tmp_path):
    from model_designer.composites import CompositeEditor

    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    original = path.read_bytes()
    problems = window.views["problems"]
    editor.canvas.select(["band", "velocity", "drift"])
    window.editor_area.group_action.trigger()
    [group] = editor.canvas.selected_node_ids()
    editor.canvas.node_activated.emit(group)  # a double click on the group
    inside = window.editor_area.current_editor()
    assert isinstance(inside, CompositeEditor) and set(inside.graph.nodes) == {"band", "velocity", "drift"}
    window.editor_area.setCurrentWidget(editor)
    window.actions.undo.trigger()  # the group is gone; its tab goes when the outer tab closes
    assert group not in editor.graph.nodes and not editor.dirty
    window.editor_area.comment_action.trigger()
    assert len(editor.graph.ui.annotations) == 1 and editor.dirty
    window.actions.undo.trigger()
    assert problems.tree.topLevelItemCount() == 0
    editor.graph.remove_node("acc")  # a broken graph: the Problems view lists what is wrong
    run(loop, until(lambda: problems.tree.topLevelItemCount() > 0))
    window.editor_area.close_all()
    assert window.editor_area.editors() == [] and path.read_bytes() == original


def test_a_broken_graph_file_is_reported_and_opens_no_tab(make_window, loop, tmp_path):
    window, _, path = open_example_graph(make_window, loop, tmp_path)
    broken = path.with_name("broken.json")
    broken.write_text('{"nodes": [', encoding="utf-8")
    assert window.editor_area.open_graph(broken) is None
    assert "broken.json cannot be opened" in window.statusBar().currentMessage()
    assert len(window.editor_area.editors()) == 1


def test_the_outputs_view_follows_the_run_of_the_graph_in_front_and_the_model_menu_aligns(
        make_window, loop, tmp_path):
    from model_designer.run import RunState

    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    outputs = window.views["outputs"]
    bar = window.editor_area.run_bars[editor]
    bar.set_recording(path.parents[1] / "data" / "pump_run.csv")
    bar.run()
    run(loop, until(lambda: bar.runner.snapshot().state == RunState.FINISHED and outputs.runner is bar.runner
                    and outputs.model.rowCount() > 0, 30), 35)
    editor.canvas.select(["acc", "band"])
    window.editor_area.align_actions["left"].trigger()
    nodes = editor.graph.nodes
    assert nodes["acc"].position[0] == nodes["band"].position[0] and editor.dirty
