"""Composites: group a selection, run it unchanged, ungroup it back to the same file, open its inside."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from qtpy.QtGui import QUndoStack

from model_designer.commands import SetParam
from model_designer.composites import (
    CompositeEditor,
    GroupNodes,
    UngroupNode,
    graph_problems,
    group_selection,
    open_composite,
    ungroup_selection,
)
from model_designer.editor import GraphEditor
from nodes.graph import Graph, load_graph
from nodes.registry import default_registry
from nodes.resources import example_project
from workbench.cli import main

EXAMPLE = example_project()
CHAIN = ["band", "velocity", "drift"]  # band-pass → integral → high-pass: three connected nodes


def shipped() -> str:
    return (EXAMPLE / "graphs" / "vibration_alarm.json").read_text(encoding="utf-8")


def run_graph(graph: Graph, folder) -> pd.DataFrame:
    folder.mkdir()
    (folder / "g.json").write_text(graph.to_text(), encoding="utf-8")
    assert main(["run-graph", str(folder / "g.json"), "--input", str(EXAMPLE / "data" / "pump_run.csv"),
                 "--output", str(folder / "out.csv"), "--quiet"]) == 0
    return pd.read_csv(folder / "out.csv")


def test_a_group_of_three_nodes_validates_and_computes_the_same(tmp_path):
    graph = Graph.from_text(shipped())
    stack = QUndoStack()
    group = GroupNodes(graph, CHAIN)
    stack.push(group)
    assert group.node_id == "group1" and not set(CHAIN) & set(graph.nodes)
    composite = graph.nodes["group1"]
    assert composite.position == (200.0, 0.0)
    assert [(p.name, p.node, p.port) for p in composite.graph.exposed_inputs] == [("band_x", "band", "x")]
    assert [(p.name, p.node, p.port) for p in composite.graph.exposed_outputs] == [("drift_y", "drift", "y")]
    assert {str(e) for e in graph.edges} >= {"acc.y → group1.band_x", "group1.drift_y → rms.x"}
    assert graph_problems(graph, default_registry()) == []
    before = run_graph(Graph.from_text(shipped()), tmp_path / "before")
    after = run_graph(Graph.from_text(graph.to_text()), tmp_path / "after")  # saved and reopened
    assert list(after.columns) == list(before.columns) and len(after) == len(before) > 0
    for column in before.columns:
        assert after[column].to_numpy().tolist() == before[column].to_numpy().tolist(), column


def test_a_group_inside_a_group_validates_computes_the_same_and_ungroups_back(tmp_path):
    graph = Graph.from_text(shipped())
    stack = QUndoStack()
    inner = GroupNodes(graph, CHAIN[:2])
    stack.push(inner)
    outer = GroupNodes(graph, [inner.node_id, "drift", "rms"])
    stack.push(outer)
    assert inner.node_id in graph.nodes[outer.node_id].graph.nodes  # nested: a group holds a group
    assert graph_problems(graph, default_registry()) == []
    before = run_graph(Graph.from_text(shipped()), tmp_path / "before")
    after = run_graph(Graph.from_text(graph.to_text()), tmp_path / "after")
    for column in before.columns:
        assert after[column].to_numpy().tolist() == before[column].to_numpy().tolist(), column
    stack.undo()
    stack.undo()
    assert graph.to_text() == shipped()


def test_ungroup_gives_back_the_original_file_and_undo_redo_walk_both_ways():
    graph = Graph.from_text(shipped())
    stack = QUndoStack()
    stack.push(GroupNodes(graph, CHAIN))
    grouped = graph.to_text()
    ungroup = UngroupNode(graph, "group1")
    stack.push(ungroup)
    assert sorted(ungroup.node_ids) == sorted(CHAIN)
    assert graph.to_text() == shipped()
    stack.undo()
    assert graph.to_text() == grouped
    stack.undo()
    assert graph.to_text() == shipped()
    stack.redo()
    stack.redo()
    assert graph.to_text() == shipped()


def test_ungrouping_next_to_nodes_with_the_same_ids_renames_the_inner_ones():
    graph = Graph.from_text(shipped())
    stack = QUndoStack()
    stack.push(GroupNodes(graph, ["band"]))
    graph.add_node("band", "signal.ewma")  # the id is taken again outside
    command = UngroupNode(graph, "group1")
    stack.push(command)
    assert command.node_ids == ["band1"] and "acc.y → band1.x" in {str(e) for e in graph.edges}


def test_a_problem_inside_a_group_is_placed_on_the_group():
    graph = Graph.from_text(shipped())
    QUndoStack().push(GroupNodes(graph, CHAIN))
    graph.nodes["group1"].graph.nodes["band"].params["low"] = -5.0
    problems = graph_problems(graph, default_registry())
    assert problems and {p.node for p in problems} == {"group1"}
    assert problems[0].message.startswith("band.low: ")


def test_group_and_ungroup_the_canvas_selection_and_edit_the_inside_in_its_own_tab(qtbot, tmp_path):
    path = tmp_path / "vibration_alarm.json"
    shutil.copy(EXAMPLE / "graphs" / "vibration_alarm.json", path)
    outer = GraphEditor.open(path, default_registry())
    qtbot.addWidget(outer, before_close_func=lambda e: e.undo_stack.clear())  # no history outlives the test
    outer.canvas.select(CHAIN)
    assert group_selection(outer.canvas) == "group1"
    assert outer.canvas.selected_node_ids() == ["group1"] and outer.dirty
    inside = open_composite(outer, "group1")
    qtbot.addWidget(inside)
    assert isinstance(inside, CompositeEditor) and inside.undo_stack is outer.undo_stack
    assert set(inside.canvas.scene.nodes) == set(CHAIN) and inside.title == "Vibration alarm › group1"
    inside.undo_stack.push(SetParam(inside.graph, "band", "low", 12.0))  # what the inspector does
    assert outer.graph.nodes["group1"].graph.nodes["band"].params["low"] == 12.0
    inside.save()  # saves the file the group lives in
    assert load_graph(path).nodes["group1"].graph.nodes["band"].params["low"] == 12.0 and not outer.dirty
    outer.undo_stack.undo()
    assert outer.graph.nodes["group1"].graph.nodes["band"].params["low"] != 12.0
    inside.canvas.detach()
    outer.canvas.select(["group1"])
    assert sorted(ungroup_selection(outer.canvas)) == sorted(CHAIN)
    assert outer.graph.to_text() == shipped()
    with pytest.raises(ValueError, match="not a group"):
        open_composite(outer, "band")
    outer.canvas.detach()


def test_a_group_on_the_canvas_has_its_exposed_ports_and_takes_wires_to_them(qtbot):
    from model_designer.canvas import GraphCanvas

    canvas = GraphCanvas(Graph.from_text(shipped()), default_registry(), QUndoStack())
    qtbot.addWidget(canvas)
    canvas.scene.revalidate()
    inner_units = (canvas.scene.port_item("band.x", False).unit, canvas.scene.port_item("drift.y", True).unit)
    assert group_selection_of(canvas, CHAIN) == "group1"
    canvas.scene.revalidate()
    item = canvas.scene.nodes["group1"]
    assert item.problem is None and item.toolTip() == "" and item.group
    assert set(item.ports) == {("band_x", False), ("drift_y", True)}
    assert item.ports[("band_x", False)].kind.value == "signal" and item.ports[("drift_y", True)].kind.value == "signal"
    assert (item.ports[("band_x", False)].unit, item.ports[("drift_y", True)].unit) == inner_units == ("m/s²", "m/s")
    canvas.graph.add_node("smooth", "signal.ewma")
    canvas.graph.add_node("spec", "vibration.fft_spectrum")
    canvas.graph.connect("acc.y", "spec.x")
    canvas.scene.revalidate()
    assert canvas.connection_problem("group1.drift_y", "smooth.x") is None
    assert canvas.connect("group1.drift_y", "smooth.x") is None
    assert "group1.drift_y → smooth.x" in {str(e) for e in canvas.graph.edges}
    canvas.graph.disconnect(next(e for e in canvas.graph.edges if e.target == "group1"))
    canvas.scene.revalidate()
    assert canvas.connection_problem("spec.spectrum", "group1.band_x") == "a spectrum cannot feed a signal input"
    assert canvas.connection_problem("acc.y", "group1.band_x") is None
    canvas.detach()


def group_selection_of(canvas, ids: list[str]) -> str | None:
    canvas.select(ids)
    return group_selection(canvas)
