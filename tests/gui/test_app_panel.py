"""The App panel on a copy of the example project: the manifest editor, build, publish and the catalogue browser."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import socket
import zipfile
from pathlib import Path

import pytest
from qtpy.QtCore import Qt, QTimer
from qtpy.QtTest import QTest
from qtpy.QtWidgets import QApplication, QMessageBox

from app_packager.archive import SIGNATURE
from app_packager.build import build_app
from app_packager.manifest import load_manifest, parse_manifest
from app_packager.signing import sign_archive
from app_packager.ui.app_panel import AppPanel, PanelSetup
from app_packager.ui.new_app import NewAppDialog
from app_packager.ui.panel_memory import PanelMemory
from app_packager.ui.signing_keys import NewKey, load_key
from nodes.registry import default_registry
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.registry import serve_registry

APP = Path("apps") / "pump_efficiency" / "app.yaml"


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    return copy


@pytest.fixture
def panel(qtbot, loop, project, tmp_path) -> AppPanel:
    """The panel alone on the example project, its app open."""
    setup = PanelSetup(default_registry, lambda graph: f"com.example.pump-station.{graph.replace('_', '-')}",
                       PanelMemory.load(), f"catalog:{tmp_path / 'catalog'}")
    panel = AppPanel(setup)
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


def test_the_dock_lists_the_example_app_of_the_opened_project(make_window, loop, project):
    window = make_window()
    assert run(loop, window.open_project(project, remember=False))
    panel = window.views["apps"]
    run(loop, until(lambda: panel.editor.path == project / APP))
    assert [panel.apps.itemText(i) for i in range(panel.apps.count())] == ["pump_efficiency"]
    assert panel.editor.form.id_edit.text() == "org.millwright.examples.pump-efficiency"
    assert panel.editor.problems == [] and not panel.editor.dirty
    assert panel.editor.summary.text() == "No problems: the manifest matches its graph"


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


# -- build -----------------------------------------------------------------------------------------

def test_build_shows_progress_the_golden_report_and_the_signed_archive(loop, panel, project, tmp_path):
    view = panel.build_view
    steps = []
    view.progress.valueChanged.connect(steps.append)
    spec_fingerprint = run(loop, view.create_key(NewKey("tester", tmp_path / "tester.key.pem",
                                                        tmp_path / "tester.pub.pem", trust=True)))
    assert view.signing.chosen() == f"file:{tmp_path / 'tester.key.pem'}"
    run(loop, until(lambda: PanelMemory.load().keys == [view.signing.chosen()]))  # remembered for the next session
    panel.show_page(view)
    result = run(loop, view.build(), timeout=60)
    archive = project / "build" / "org.millwright.examples.pump-efficiency-1.0.0.iapp"
    assert result is not None and result.path == archive and archive.is_file()
    assert steps == sorted(steps) and len(set(steps)) >= 4 and steps[-1] == 1000  # step by step, to the end
    assert view.outcome.text() == f"Built {archive.name}, signed"
    assert view.sha256.text() == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert view.size.text() == f"{archive.stat().st_size:,} bytes"
    rows = [[view.report.item(r, c).text() for c in range(3)] for r in range(view.report.rowCount())]
    assert rows == [["nominal", output, "passed"] for output in
                    ("efficiency", "energy", "hydraulic_power", "shaft_power", "specific_energy", "volume")]
    with zipfile.ZipFile(archive) as zipped:
        signature = json.loads(zipped.read(SIGNATURE))
    assert signature["key"] == spec_fingerprint
    assert view.build_button.isEnabled() and not view.cancel_button.isEnabled()


def test_a_failing_golden_test_refuses_the_build_and_names_output_time_and_difference(loop, panel, project):
    expected = project / "apps" / "pump_efficiency" / "tests" / "nominal_expected.csv"
    lines = expected.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace("80.98902006", "79.5", 1)  # efficiency at the third sample
    expected.write_text("".join(lines), encoding="utf-8")
    view = panel.build_view
    assert run(loop, view.build(), timeout=60) is None
    assert not (project / "build").exists() or not any((project / "build").glob("*.iapp"))
    assert view.outcome.text().startswith("Cannot build apps/pump_efficiency/app.yaml: 1 of 1 golden test(s) failed")
    failed = next(r for r in range(view.report.rowCount()) if view.report.item(r, 2).text() == "failed")
    cells = [view.report.item(failed, c).text() for c in range(7)]
    assert cells[:4] == ["nominal", "efficiency", "failed", "2026-11-25T08:00:00.001000Z"]
    assert cells[4:] == ["79.5", "80.98902006", "+1.48902"]
    assert "output 'efficiency'" in view.problems.item(0).text()


def test_cancel_stops_the_build_and_writes_nothing(loop, panel, project):
    view = panel.build_view
    task = asyncio.ensure_future(view.build())
    run(loop, until(lambda: view.cancel_button.isEnabled()))
    view.cancel_button.click()
    assert run(loop, task, timeout=60) is None
    assert view.outcome.text() == "Cancelled: nothing was written"
    assert not any((project / "build").glob("*.iapp")) if (project / "build").exists() else True
    assert view.build_button.isEnabled()


def test_a_key_that_cannot_be_read_leaves_the_archive_built_and_says_it_is_unsigned(loop, panel, project, tmp_path):
    view = panel.build_view
    view.signing.add(f"file:{tmp_path / 'gone.key.pem'}")
    result = run(loop, view.build(), timeout=60)
    assert result is not None and result.path.is_file()
    with zipfile.ZipFile(result.path) as zipped:
        assert SIGNATURE not in zipped.namelist()
    assert view.outcome.text().startswith(f"Built {result.path.name}, but it could not be signed: ")
    assert "gone.key.pem: cannot read the private key" in view.outcome.text()


def test_an_edited_manifest_is_saved_before_it_is_built(qtbot, loop, panel, project):
    type_into(qtbot, panel.editor.form.version_edit, "1.2.0")
    assert run(loop, panel.build_view.build(), timeout=60) is not None
    assert load_manifest(project / APP).version == "1.2.0" and not panel.editor.dirty
    assert (project / "build" / "org.millwright.examples.pump-efficiency-1.2.0.iapp").is_file()


# -- publish, browse, install ------------------------------------------------------------------------

@pytest.fixture
def signed_archive(project, tmp_path) -> Path:
    """The example app built and signed with a key trusted on this (test's) computer."""
    spec, _fingerprint = NewKey("site-test", tmp_path / "site-test.key.pem", tmp_path / "site-test.pub.pem",
                                trust=True).create()
    archive = build_app(project, project / APP).path
    sign_archive(archive, load_key(spec))
    return archive


def publish(loop, panel: AppPanel, archive: Path, url: str, allow_unsigned: bool = False):
    view = panel.publish_view
    view.set_archive(archive)
    view.target.url.setText(url)
    view.allow_unsigned.setChecked(allow_unsigned)
    return run(loop, view.publish(), timeout=30)


def browse(loop, panel: AppPanel, url: str) -> bool:
    panel.catalog.source.url.setText(url)
    return run(loop, panel.catalog.browse(), timeout=30)


def listed(panel: AppPanel) -> list[str]:
    return [panel.catalog.table.item(r, 0).text() for r in range(panel.catalog.table.rowCount())]


def test_published_app_is_found_in_the_catalogue_by_text_and_classification(loop, panel, signed_archive, tmp_path):
    url = f"catalog:{tmp_path / 'shared-catalogue'}"
    published = publish(loop, panel, signed_archive, url)
    assert published is not None and published.version == "1.0.0" and published.publisher_key
    assert panel.publish_view.outcome.text().startswith("Published org.millwright.examples.pump-efficiency 1.0.0")
    run(loop, until(lambda: PanelMemory.load().targets == [url]))  # offered again next time
    assert panel.catalog.source.choices.findData(url) > 0

    assert browse(loop, panel, url)
    catalog = panel.catalog
    app_id = "org.millwright.examples.pump-efficiency"
    assert listed(panel) == [app_id]
    cells = [catalog.table.item(0, c).text() for c in range(catalog.table.columnCount())]
    assert cells == [app_id, "Pump efficiency", "1.0.0", "1.0.0", "D46", "Operation and maintenance", "Device", "2",
                     "trusted"]
    assert "Industry general: applies across one industry" in catalog.details.toPlainText()

    def shown_with(**choices) -> list[str]:
        for name, value in choices.items():
            combo = catalog.filters[name]
            combo.setCurrentIndex(combo.findData(value))
        shown = listed(panel)
        for combo in catalog.filters.values():
            combo.setCurrentIndex(0)
        return shown

    assert shown_with(industry="D") == [app_id] and shown_with(industry="C") == []
    assert shown_with(maturity=2) == [app_id] and shown_with(maturity=3) == []
    assert shown_with(lifecycle="operation_maintenance", level="device") == [app_id]
    assert shown_with(lifecycle="production") == [] and shown_with(generality="basic_common") == []
    catalog.search.setText("泵效率")
    assert listed(panel) == [app_id]
    pulled = run(loop, catalog.pull_to(tmp_path / "pulled"), timeout=30)
    assert pulled == tmp_path / "pulled" / f"{app_id}-1.0.0.iapp" and pulled.read_bytes() == signed_archive.read_bytes()
    assert catalog.status.text() == f"Pulled to {pulled}"
    catalog.search.setText("conveyor")
    assert listed(panel) == [] and not catalog.install_button.isEnabled()


def test_install_checks_the_bindings_first_and_refuses_with_reasons(loop, qtbot, panel, signed_archive, project,
                                                                     tmp_path):
    url = f"catalog:{tmp_path / 'cat'}"
    assert publish(loop, panel, signed_archive, url) is not None
    assert browse(loop, panel, url)
    dialog = panel.catalog._open_install()
    qtbot.addWidget(dialog)
    assert dialog.target.text() == str(project)
    assert dialog.where.text().endswith("apps/installed/org.millwright.examples.pump-efficiency/1.0.0")

    partial = tmp_path / "partial-bindings.yaml"
    partial.write_text("schema_version: 1\nbindings:\n  flow: {device: plc, point: flow, unit: m^3/h}\n"
                       "  pressure: {device: plc, point: p, unit: bar}\n", encoding="utf-8")
    dialog.bindings.setText(str(partial))
    assert not run(loop, dialog.check(), timeout=30)
    found = [dialog.findings.item(i).text() for i in range(dialog.findings.count())]
    assert "input 'motor_current' is not bound to a tag (the app reads discharge_pressure, flow, motor_current)" \
        in found
    assert any("'pressure' is not an input of the app" in line for line in found)

    dialog.bindings.setText(str(project / "bindings.yaml"))
    assert run(loop, dialog.check(), timeout=30)
    found = [dialog.findings.item(i).text() for i in range(dialog.findings.count())]
    assert found[0].startswith("Every check passed (signed by ") and "flow [m^3/h] ← pump-station-opcua/flow" in found
    assert not (project / "apps" / "installed").exists()  # a check installs nothing
    installed = run(loop, dialog.install(), timeout=30)
    assert installed == project / "apps" / "installed" / "org.millwright.examples.pump-efficiency" / "1.0.0"
    assert (installed / "app.yaml").is_file() and (installed / "bindings.yaml").is_file()
    dialog.close()


def test_an_unsigned_app_is_published_only_when_allowed_and_shown_as_unsigned(loop, panel, project, tmp_path):
    archive = build_app(project, project / APP).path
    url = f"catalog:{tmp_path / 'cat'}"
    assert publish(loop, panel, archive, url) is None
    assert "not signed" in panel.publish_view.outcome.text()
    assert publish(loop, panel, archive, url, allow_unsigned=True) is not None
    assert browse(loop, panel, url)
    assert panel.catalog.table.item(0, panel.catalog.table.columnCount() - 1).text() == "unsigned"


def test_a_registry_that_never_answers_leaves_the_panel_responsive_and_says_why(loop, panel, free_tcp_port):
    port = free_tcp_port()
    silent = socket.create_server(("127.0.0.1", port))  # accepts connections, never answers a request
    try:
        catalog = panel.catalog
        catalog.timeout = 2.0
        catalog.source.url.setText(f"oci://127.0.0.1:{port}/apps")
        task = asyncio.ensure_future(catalog.browse())
        ticks = []
        timer = QTimer(panel)
        timer.timeout.connect(lambda: ticks.append(catalog.status.text()))
        timer.start(20)
        run(loop, until(lambda: len(ticks) >= 5, timeout=10))  # the UI thread runs timers while the request waits
        assert not task.done() and ticks[-1] == f"Reading oci://127.0.0.1:{port}/apps…"
        assert catalog.cancel_button.isEnabled() and not catalog.open_button.isEnabled()
        panel.show_page(panel.editor)  # the rest of the panel works meanwhile
        assert not run(loop, task, timeout=30)
        timer.stop()
        assert f"127.0.0.1:{port}" in catalog.status.text() and "Traceback" not in catalog.status.text()
        assert catalog.open_button.isEnabled() and listed(panel) == []
    finally:
        silent.close()


def test_a_dead_registry_reports_its_error_and_cancel_stops_waiting(loop, panel, free_tcp_port):
    catalog = panel.catalog
    catalog.source.url.setText(f"oci://127.0.0.1:{free_tcp_port()}/apps")  # nothing listens there
    assert not run(loop, catalog.browse(), timeout=30)
    assert "127.0.0.1" in catalog.status.text()
    silent = socket.create_server(("127.0.0.1", port := free_tcp_port()))
    try:
        catalog.source.url.setText(f"oci://127.0.0.1:{port}/apps")
        catalog.open_button.click()
        run(loop, until(lambda: catalog.cancel_button.isEnabled()))
        catalog.cancel_button.click()
        run(loop, until(lambda: catalog.open_button.isEnabled()))
        assert catalog.status.text() == f"Stopped waiting for oci://127.0.0.1:{port}/apps"
    finally:
        silent.close()


@pytest.fixture
def oci_registry(tmp_path_factory):
    yield from serve_registry(tmp_path_factory)


def test_publish_to_a_loopback_registry_and_find_it_there(loop, panel, signed_archive, oci_registry):
    url = oci_registry.url("panel-test")
    assert publish(loop, panel, signed_archive, url) is not None
    assert panel.publish_view.outcome.text().endswith(
        f"{oci_registry.host}/panel-test/org.millwright.examples.pump-efficiency:1.0.0")
    assert browse(loop, panel, url)
    assert listed(panel) == ["org.millwright.examples.pump-efficiency"]
    assert panel.catalog.table.item(0, panel.catalog.table.columnCount() - 1).text() == "trusted"


def _open_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_closing_the_window_asks_about_an_unsaved_manifest(qtbot, make_window, loop, project):
    window = make_window()
    assert run(loop, window.open_project(project, remember=False))
    panel = window.views["apps"]
    run(loop, until(lambda: panel.editor.path == project / APP))
    type_into(qtbot, panel.editor.form.version_edit, "1.2.0")
    run(loop, until(lambda: panel.editor.dirty))

    assert not window.close()  # the manifest is not lost: the window asks first
    run(loop, until(lambda: _open_boxes()))
    [box] = _open_boxes()
    box.button(QMessageBox.StandardButton.Cancel).click()
    run(loop, until(lambda: not _open_boxes()))
    assert window.isVisible() and panel.editor.dirty

    window.close()
    run(loop, until(lambda: _open_boxes()))
    _open_boxes()[0].button(QMessageBox.StandardButton.Save).click()
    run(loop, until(lambda: not window.isVisible()))
    assert load_manifest(project / APP).version == "1.2.0"
