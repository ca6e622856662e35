"""The App panel on a copy of the example project: the manifest editor, build, publish and the catalogue browser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from qtpy.QtCore import Qt
from qtpy.QtTest import QTest

from app_packager.manifest import load_manifest, parse_manifest
from app_packager.ui.app_panel import AppPanel
from app_packager.ui.new_app import NewAppDialog
from nodes.registry import default_registry
from nodes.resources import example_project
from tests.gui.conftest import run, until

APP = Path("apps") / "pump_efficiency" / "app.yaml"


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    return copy


@pytest.fixture
def panel(qtbot, loop, project) -> AppPanel:
    """The panel alone on the example project, its app open."""
    panel = AppPanel(default_registry, lambda graph: f"com.example.pump-station.{graph.replace('_', '-')}")
    qtbot.addWidget(panel)
    panel.resize(900, 1000)
    panel.show()
    run(loop, panel.show_project(project))
    yield panel
    panel.tasks.cancel()


def type_into(qtbot, edit, text: str) -> None:
    """Replace a line edit's text by typing, as a user does."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def problem_texts(panel: AppPanel) -> list[str]:
    return [str(p) for p in panel.editor.problems]


def test_a_bad_version_is_shown_as_typed_and_a_click_goes_to_its_field(qtbot, loop, panel, project):
    editor = panel.editor
    type_into(qtbot, editor.form.version_edit, "1.0")
    run(loop, until(lambda: editor.problems))
    assert problem_texts(panel) == ["version: '1.0' is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.0.0"]
    assert editor.dirty and panel.tabs.tabText(0) == "Manifest •"
    editor.form.id_edit.setFocus()
    item = editor.problem_list.item(0)
    QTest.mouseClick(editor.problem_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=editor.problem_list.visualItemRect(item).center())
    assert editor.form.version_edit.hasFocus()

    type_into(qtbot, editor.form.version_edit, "1.0.1")
    run(loop, until(lambda: not editor.problems))
    assert run(loop, editor.save())
    saved = load_manifest(project / APP)
    assert saved.version == "1.0.1" and saved.id == "org.millwright.examples.pump-efficiency"
    assert len(saved.tests) == 1 and saved.inputs["flow"].binding.point == "flow"  # nothing else lost
    assert not editor.dirty and panel.tabs.tabText(0) == "Manifest"


def test_a_unit_the_graph_does_not_give_and_a_bad_binding_name_their_rows(qtbot, loop, panel):
    editor = panel.editor
    inputs = editor.form.inputs
    flow = next(r for r in range(inputs.table.rowCount()) if inputs.cell_text(r, 0) == "flow")
    inputs.table.editItem(inputs.table.item(flow, inputs.column_of("unit")))
    inputs.set_cell_text(flow, inputs.column_of("unit"), "kg")
    inputs.set_cell_text(flow, inputs.column_of("binding"), "no device here")
    run(loop, until(lambda: len(editor.problems) == 2))
    binding, unit = sorted(editor.problems, key=lambda p: len(p.path), reverse=True)
    assert binding.path == ("inputs", "flow", "binding") and "is not a tag reference" in binding.message
    assert unit.path == ("inputs", "flow") and "declared in kg" in unit.message
    editor.form.focus_path(list(binding.path))
    assert (inputs.table.currentRow(), inputs.table.currentColumn()) == (flow, inputs.column_of("binding"))


def test_classification_lists_show_their_definitions_and_divisions_follow_the_section(loop, panel):
    fields = panel.editor.form.classification
    assert fields.data() == {"industry": "D46", "lifecycle": "operation_maintenance", "level": "device",
                             "generality": "industry_general", "maturity": 2}
    assert fields.notes["level"].text() == "Device: one machine or piece of equipment"
    level = fields.combos["level"]
    assert level.itemData(level.findData("plant"), Qt.ItemDataRole.ToolTipRole).startswith("Plant: a whole factory")
    assert [fields.division.itemData(i) for i in range(fields.division.count())] == ["", "44", "45", "46"]
    fields.section.setCurrentIndex(fields.section.findData("C"))
    assert fields.data()["industry"] == "C" and fields.division.count() == 1 + (43 - 13 + 1)
    run(loop, until(lambda: panel.editor.dirty))
    assert panel.editor.problems == []


def test_sync_from_graph_keeps_descriptions_and_bindings_and_restores_a_removed_input(loop, panel):
    editor = panel.editor
    inputs = editor.form.inputs
    inputs.table.selectRow(0)  # discharge_pressure
    inputs.remove_selected()
    run(loop, until(lambda: any("discharge_pressure" in str(p) for p in editor.problems)))
    editor.form.sync_button.click()
    run(loop, until(lambda: not editor.problems))
    data, _ = editor.form.data()
    assert data["inputs"]["discharge_pressure"] == {"unit": "bar", "kind": "signal",  # the node's title describes it
                                                    "description": {"en": "Discharge pressure"}}
    assert data["inputs"]["flow"]["description"] == {"en": "Pump flow", "zh": "泵流量"}
    assert data["inputs"]["flow"]["binding"] == {"device": "pump-station-opcua", "point": "flow"}
    assert data["requires"]["components"]["process.pump_power"] == 1


def test_new_app_from_graph_writes_a_manifest_that_parses(qtbot, loop, panel, project):
    task = panel.spawn(panel.new_app(), "new app")
    run(loop, until(lambda: panel.findChild(NewAppDialog) is not None))
    dialog = panel.findChild(NewAppDialog)
    dialog.graph.setCurrentText("graphs/vibration_alarm.json")
    assert dialog.app_id.text() == "com.example.pump-station.vibration-alarm"
    dialog.accept()
    run(loop, task)
    written = project / "apps" / "vibration_alarm" / "app.yaml"
    manifest = parse_manifest(written.read_text(encoding="utf-8"))
    assert manifest.graph == "graphs/vibration_alarm.json" and manifest.inputs
    assert panel.apps.currentText() == "vibration_alarm" and panel.editor.path == written
