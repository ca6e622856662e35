"""Save as Component: a selection of vibration_alarm becomes a project component, listed in the palette,
used by another graph, computing what the selection computed; undo gives the original file back."""

from __future__ import annotations

import pandas as pd
from qtpy.QtGui import QContextMenuEvent
from qtpy.QtWidgets import QApplication, QDialogButtonBox, QMenu, QMessageBox

from model_designer.palette import TYPE_ROLE
from model_designer.save_component import SaveComponentDialog
from nodes.graph import load_graph
from nodes.registry import default_registry
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_graph_editing import open_example_graph
from workbench.cli import main

VELOCITY_CHAIN = ["band", "velocity", "drift", "rms", "mm_s"]  # acc → … → mm/s, read by alarm, zone and out_rms


def save_dialog(window) -> SaveComponentDialog:
    dialogs = [d for d in window.findChildren(SaveComponentDialog) if d.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def fill_and_save(dialog: SaveComponentDialog, name: str, title: str = "", zh: str = "", description: str = "") -> None:
    dialog.name.setText(name)
    dialog.title_en.setText(title)
    dialog.title_zh.setText(zh)
    dialog.description.setPlainText(description)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()


def run_graph(path, out) -> pd.DataFrame:
    data = example_project() / "data" / "pump_run.csv"
    assert main(["run-graph", str(path), "--input", str(data), "--output", str(out), "--quiet"]) == 0
    return pd.read_csv(out)


def test_a_selection_saved_as_a_component_is_listed_used_and_undone(make_window, loop, tmp_path):
    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    project = path.parent.parent
    original = path.read_bytes()
    editor.canvas.select(VELOCITY_CHAIN)
    window.editor_area.save_component_action.trigger()  # Model → Save as Component…
    fill_and_save(save_dialog(window), "velocity_rms", "Velocity RMS", "速度有效值", "Band-pass, integrate, 1 s RMS.")

    component = project / "components" / "velocity_rms.json"
    inner = load_graph(component)  # graph JSON, as in graphs/
    assert component.read_text(encoding="utf-8") == inner.to_text()
    assert sorted(inner.nodes) == sorted(VELOCITY_CHAIN) and inner.name == "Velocity RMS"
    assert [p.name for p in inner.exposed_inputs] == ["band_x"]
    assert [p.name for p in inner.exposed_outputs] == ["mm_s_y"]
    graph = editor.graph
    assert not set(VELOCITY_CHAIN) & set(graph.nodes)
    assert graph.nodes["velocity_rms1"].type == "project.velocity_rms"
    assert editor.canvas.selected_node_ids() == ["velocity_rms1"]
    assert {str(e) for e in graph.edges if "velocity_rms1" in (e.source, e.target)} == {
        "acc.y → velocity_rms1.band_x", "velocity_rms1.mm_s_y → alarm.x", "velocity_rms1.mm_s_y → out_rms.x",
        "velocity_rms1.mm_s_y → zone.v"}
    editor.canvas.scene.revalidate()
    assert not [p for p in editor.canvas.scene.resolution.problems if p.severity == "error"]
    assert "project.velocity_rms" not in default_registry()

    palette = window.views["palette"]
    palette.set_filter("速度有效值")
    assert palette.current_type() == "project.velocity_rms"
    palette.set_filter("")
    groups = [palette.tree.topLevelItem(i) for i in range(palette.tree.topLevelItemCount())]
    project_group = next(g for g in groups if g.text(0).startswith("Project"))
    assert project_group.text(0) == "Project (1)"
    assert project_group.child(0).data(0, TYPE_ROLE) == "project.velocity_rms"

    window.actions.save.trigger()
    used = run_graph(project / "graphs" / "vibration_alarm.json", tmp_path / "with_component.csv")
    shipped = run_graph(example_project() / "graphs" / "vibration_alarm.json", tmp_path / "shipped.csv")
    assert list(used.columns) == list(shipped.columns) and len(used) == len(shipped) > 0
    for column in shipped.columns:
        assert used[column].tolist() == shipped[column].tolist(), column

    window.actions.undo.trigger()  # one step back to the five nodes
    window.actions.save.trigger()
    assert path.read_bytes() == original
    assert component.exists()  # saved like a file: undo does not delete it

    window.views["project"].file_activated.emit(project / "graphs" / "pump_efficiency.json")
    run(loop, until(lambda: window.editor_area.current_editor() is not editor))
    second = window.editor_area.current_editor()
    assert second is not editor
    palette.component_chosen.emit("project.velocity_rms")
    added = [n for n in second.graph.nodes.values() if n.type == "project.velocity_rms"]
    assert len(added) == 1
    item = second.canvas.scene.nodes[added[0].id]
    assert set(item.ports) == {("band_x", False), ("mm_s_y", True)}


def test_the_canvas_context_menu_offers_it_for_the_node_clicked(make_window, loop, qtbot, tmp_path):
    window, editor, path = open_example_graph(make_window, loop, tmp_path)
    original = path.read_bytes()
    view = editor.canvas.view
    centre = view.mapFromScene(editor.canvas.scene.nodes["rms"].sceneBoundingRect().center())
    view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre,
                                            view.viewport().mapToGlobal(centre)))
    assert editor.canvas.selected_node_ids() == ["rms"]  # the right-clicked node, selected first
    menu = view.findChild(QMenu)
    texts = [action.text() for action in menu.actions()]
    assert "Save as Co&mponent…" in texts and "&Group selected nodes" in texts
    next(a for a in menu.actions() if a.text() == "Save as Co&mponent…").trigger()
    menu.close()
    dialog = save_dialog(window)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled()  # no name yet
    qtbot.keyClicks(dialog.name, "Pump station")  # the capital and the space cannot be in a type name
    assert dialog.name.text() == "umpstation" and save.isEnabled()
    assert dialog.type_label.text() == "Component type: project.umpstation"
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert not (path.parent.parent / "components" / "velocity_rms.json").exists()
    assert editor.graph.to_text().encode() == original and not editor.dirty


def test_a_taken_name_asks_before_replacing(make_window, loop, qtbot, tmp_path):
    window, editor, _ = open_example_graph(make_window, loop, tmp_path)
    component = tmp_path / "pump_station" / "components" / "smooth.json"
    editor.canvas.select(["rms"])
    window.editor_area.save_component_action.trigger()
    fill_and_save(save_dialog(window), "smooth", "First")
    first = component.read_bytes()
    editor.canvas.select(["zone"])
    before = editor.graph.to_text()

    def answer(button):
        window.editor_area.save_component_action.trigger()
        fill_and_save(save_dialog(window), "smooth", "Second")
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        assert "already a component 'smooth'" in box.text()
        box.button(button).click()

    answer(QMessageBox.StandardButton.No)
    assert component.read_bytes() == first and editor.graph.to_text() == before
    answer(QMessageBox.StandardButton.Yes)
    assert load_graph(component).name == "Second"
    assert editor.graph.nodes["smooth2"].type == "project.smooth" and "zone" not in editor.graph.nodes


def test_a_group_saved_as_a_component_keeps_its_ports(make_window, loop, tmp_path):
    window, editor, _ = open_example_graph(make_window, loop, tmp_path)
    editor.canvas.select(["band", "velocity", "drift"])
    window.editor_area.group_action.trigger()
    group = editor.canvas.selected_node_ids()
    assert group == ["group1"]
    wires = sorted(str(e).replace("group1", "X") for e in editor.graph.edges if "group1" in (e.source, e.target))
    window.editor_area.save_component_action.trigger()
    fill_and_save(save_dialog(window), "velocity")
    inner = load_graph(tmp_path / "pump_station" / "components" / "velocity.json")
    assert sorted(inner.nodes) == ["band", "drift", "velocity"]  # the group's inside, not the group
    assert inner.name == "velocity"  # no title given: the name
    node_id = editor.canvas.selected_node_ids()[0]
    assert editor.graph.nodes[node_id].type == "project.velocity"
    assert sorted(str(e).replace(node_id, "X") for e in editor.graph.edges if node_id in (e.source, e.target)) == wires
    window.actions.undo.trigger()
    assert editor.graph.nodes["group1"].type == "composite"


def test_nothing_selected_says_so(make_window, loop, tmp_path):
    window, editor, _ = open_example_graph(make_window, loop, tmp_path)
    editor.canvas.select([])
    window.editor_area.save_component_action.trigger()
    assert not window.findChildren(SaveComponentDialog)
    assert editor.canvas.note.text() == "Select the nodes to save as a component first"
