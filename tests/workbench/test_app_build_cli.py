"""`millwright app new` and `millwright app build` on the example project."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from app_packager.app_checks import graph_problems
from app_packager.build import project_registry
from app_packager.manifest import load_manifest
from app_packager.new_app import default_app_id
from nodes.graph import load_graph
from tests.app_packager.test_build import APP, ARCHIVE, copy_example
from tests.app_packager.test_signing import file_keyring  # noqa: F401 (a fixture, used by name)
from workbench.cli import main
from workbench.project import Project

NEW = "apps/vibration_alarm/app.yaml"


def test_app_new_writes_a_manifest_that_matches_its_graph(tmp_path, capsys):
    project = copy_example(tmp_path / "pump_station")
    assert main(["app", "new", str(project), "graphs/vibration_alarm.json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Wrote {NEW}: 1 input(s), 3 output(s), 0 with a suggested binding.\n"
                          f"Complete in {NEW} before building:\n  - id: replace com.example")
    assert "Fix before building" not in out and "classification: industry (GB/T 4754)" in out
    manifest = load_manifest(project / NEW)
    assert manifest.id == "com.example.pump-station.vibration-alarm"
    assert manifest.graph == "graphs/vibration_alarm.json" and list(manifest.outputs) == ["alarm", "velocity_rms",
                                                                                          "zone"]
    assert graph_problems(manifest, load_graph(project / manifest.graph), project_registry(project)[0]) == []

    assert main(["app", "new", str(project), str(project / "graphs" / "vibration_alarm.json"), "--id",
                 "cn.example.plant.vibration"]) == 1
    assert capsys.readouterr().err == f"millwright: {NEW} exists already; give --force to replace it\n"
    assert main(["app", "new", str(project), "graphs/vibration_alarm.json", "--id", "cn.example.plant.vibration",
                 "--force"]) == 0
    assert load_manifest(project / NEW).id == "cn.example.plant.vibration"
    assert "replace com.example" not in capsys.readouterr().out


def test_app_new_takes_the_projects_bindings_as_suggestions(tmp_path, capsys):
    project = copy_example(tmp_path / "pump_station")
    shutil.rmtree(project / "apps")
    assert main(["app", "new", str(project), "graphs/pump_efficiency.json"]) == 0
    assert "3 with a suggested binding" in capsys.readouterr().out
    manifest = load_manifest(project / "apps" / "pump_efficiency" / "app.yaml")
    assert str(manifest.inputs["flow"].binding) == "pump-station-opcua/flow"
    assert manifest.inputs["flow"].unit == "m^3/h"


def test_app_new_refuses_a_graph_outside_the_project(tmp_path, capsys):
    project = copy_example(tmp_path / "pump_station")
    outside = tmp_path / "elsewhere.json"
    shutil.copy(project / "graphs" / "vibration_alarm.json", outside)
    assert main(["app", "new", str(project), str(outside)]) == 1
    assert "the graph is outside the project" in capsys.readouterr().err


def test_app_build_prints_progress_the_golden_report_and_the_archive(tmp_path, capsys):
    project = copy_example(tmp_path / "pump_station")
    assert main(["app", "build", str(project)]) == 0
    out = capsys.readouterr().out
    archive = project / "build" / ARCHIVE
    data = archive.read_bytes()
    assert out.startswith("[  0%] Reading the manifest\n[ 10%] Checking the graph")
    assert "[ 20%] Running golden test 'nominal'\n" in out
    assert "golden test 'nominal' passed: 6 output(s), 4,000 rows\n" in out
    assert out.endswith(f"Built {archive} ({len(data):,} bytes)\nSHA-256 {hashlib.sha256(data).hexdigest()}\n")


@pytest.mark.usefixtures("file_keyring")
def test_app_build_signs_with_a_key_from_the_keyring_and_verifies(tmp_path, capsys, monkeypatch):
    project = copy_example(tmp_path / "pump_station")
    monkeypatch.chdir(tmp_path)
    assert main(["app", "build", str(project), "--sign", "plant-a"]) == 1  # no such key yet: nothing built
    assert "plant-a" in capsys.readouterr().err and not (project / "build" / ARCHIVE).exists()
    assert main(["app", "keygen", "--name", "plant-a"]) == 0
    assert main(["app", "build", str(project), "--sign", "plant-a"]) == 0
    out = capsys.readouterr().out
    fingerprint = out.rsplit("Signed with key ", 1)[1].strip()
    archive = project / "build" / ARCHIVE
    assert main(["app", "verify", str(archive), "--trust", str(tmp_path / "plant-a.pub.pem")]) == 0
    assert f"Publisher key: {fingerprint}" in capsys.readouterr().out


def test_app_build_names_the_app_to_build_and_fails_with_the_report(tmp_path, capsys):
    project = copy_example(tmp_path / "pump_station")
    assert main(["app", "new", str(project), "graphs/vibration_alarm.json"]) == 0
    assert main(["app", "build", str(project)]) == 1
    assert "has 2 apps (apps/pump_efficiency/app.yaml, apps/vibration_alarm/app.yaml)" in capsys.readouterr().err
    out = tmp_path / "alarm.iapp"
    assert main(["app", "build", str(project), "graphs/vibration_alarm.json", "-o", str(out)]) == 0
    assert "note: apps/vibration_alarm/app.yaml: the app has no golden tests" in capsys.readouterr().out
    assert out.is_file()

    expected = project / "apps" / "pump_efficiency" / "tests" / "nominal_expected.csv"
    row = "\n2026-11-25T08:00:00.500000Z,"
    expected.write_text(expected.read_text().replace(row, f"{row}7"))
    assert main(["app", "build", str(project), APP]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.startswith(f"millwright: Cannot build {APP}: 1 of 1 golden test(s) failed:\n"
                                   "  golden test 'nominal' FAILED:\n"
                                   "    output 'efficiency' at 2026-11-25T08:00:00.500000Z (0.5 s into the test): "
                                   "expected 7")
    assert not (project / "build" / ARCHIVE).exists()


def test_a_new_project_ignores_its_build_folder(tmp_path):
    project = Project.create(tmp_path / "p", "P")
    assert (project.root / ".gitignore").read_text().splitlines()[0] == "build/"


def test_default_ids_are_reverse_dns_labels():
    assert default_app_id("Pump station 泵站", "2nd_stage") == "com.example.pump-station.app-2nd-stage"
    assert default_app_id("泵站", "flow") == "com.example.app.flow"
