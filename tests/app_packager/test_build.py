"""``build_app``: the same bytes every time, the archive of docs/apps.md, and every refusal named."""

from __future__ import annotations

import json
import os
import shutil
import zipfile

import pytest

from app_packager.app_checks import derive_manifest
from app_packager.archive import FILE_MODE, RECORD, digest, parse_record
from app_packager.build import BuildError, build_app, find_manifest, ignore_build_folder, project_registry
from app_packager.errors import AppError
from app_packager.golden import Cancelled
from app_packager.manifest import ManifestError, parse_manifest
from nodes.component import Text
from nodes.graph import ExposedPort, Graph
from nodes.project_components import save_project_component
from nodes.registry import default_registry
from nodes.resources import example_project

EXAMPLE = example_project()
APP = "apps/pump_efficiency/app.yaml"
ARCHIVE = "org.millwright.examples.pump-efficiency-1.0.0.iapp"


def copy_example(target):
    """The example project without its 20 s recording (no app of it reads that)."""
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns("data"))
    return target


@pytest.fixture
def project(tmp_path):
    return copy_example(tmp_path / "pump_station")


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def refusal(project, **kw) -> str:
    with pytest.raises(BuildError) as caught:
        build_app(project, **kw)
    assert not (project / "build").exists() or not list((project / "build").iterdir())  # nothing half-written
    return str(caught.value)


def test_builds_are_byte_identical_whatever_the_folder_and_the_file_dates(project, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = build_app(project)
    assert first.path == project / "build" / ARCHIVE
    elsewhere = copy_example(tmp_path / "other" / "copy")
    for path in elsewhere.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    second = build_app(elsewhere, output=tmp_path / "second.iapp")
    assert second.path.read_bytes() == first.path.read_bytes()
    assert second.sha256 == first.sha256 and second.size == first.size

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dated = [build_app(project, output=tmp_path / f"dated{i}.iapp").path.read_bytes() for i in range(2)]
    assert dated[0] == dated[1] != first.path.read_bytes()
    with zipfile.ZipFile(tmp_path / "dated0.iapp") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_the_archive_holds_what_docs_apps_md_lists(project):
    result = build_app(project)
    assert result.entries == ("app.yaml", "devices/pump-station-opcua.yaml", "graph.json", "sbom.cdx.json",
                              "tests/nominal/expected.csv", "tests/nominal/input.csv")
    with zipfile.ZipFile(result.path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == [RECORD, *result.entries]
        assert {(i.date_time, i.external_attr >> 16, i.compress_type, i.extra) for i in infos} == {
            ((1980, 1, 1, 0, 0, 0), FILE_MODE, zipfile.ZIP_DEFLATED, b"")}
        data = {i.filename: archive.read(i) for i in infos}
    record = parse_record(data[RECORD])
    assert sorted(record) == list(result.entries)
    for name, line in record.items():
        assert (line.digest, line.size) == (digest(data[name]), len(data[name]))
    assert data["graph.json"] == (project / "graphs" / "pump_efficiency.json").read_bytes()
    assert data["devices/pump-station-opcua.yaml"] == (project / "devices" / "pump_station_opcua.yaml").read_bytes()
    tests = project / "apps" / "pump_efficiency" / "tests"
    assert data["tests/nominal/input.csv"] == (tests / "nominal_input.csv").read_bytes()
    assert data["tests/nominal/expected.csv"] == (tests / "nominal_expected.csv").read_bytes()
    manifest = parse_manifest(data["app.yaml"].decode("utf-8"), "app.yaml")
    assert manifest.graph == "graph.json"
    assert (manifest.tests[0].input, manifest.tests[0].expected) == ("tests/nominal/input.csv",
                                                                     "tests/nominal/expected.csv")
    assert manifest.inputs == result.manifest.inputs and manifest.classification == result.manifest.classification
    sbom = json.loads(data["sbom.cdx.json"])
    assert sbom["metadata"]["component"]["bom-ref"] == "org.millwright.examples.pump-efficiency"
    assert {c["name"] for c in sbom["components"]} == {"millwright", *result.manifest.requires_components}
    assert [r.passed for r in result.reports] == [True]


def test_a_failing_golden_test_blocks_the_build_naming_output_time_and_difference(project):
    expected = project / "apps" / "pump_efficiency" / "tests" / "nominal_expected.csv"
    lines = expected.read_text().splitlines()
    cells = lines[2001].split(",")  # 1 s into the test
    assert cells[0] == "2026-11-25T08:00:01.000000Z"
    cells[4] = f"{float(cells[4]) * 1.01:.10g}"  # shaft_power 1 % higher
    lines[2001] = ",".join(cells)
    expected.write_text("\n".join(lines) + "\n")
    with pytest.raises(BuildError) as caught:
        build_app(project)
    message = str(caught.value)
    assert message.startswith(f"Cannot build {APP}: 1 of 1 golden test(s) failed:")
    assert "output 'shaft_power' at 2026-11-25T08:00:01.000000Z (1 s into the test): expected" in message
    assert "1 of 4,000 samples out of tolerance" in message
    assert [r.failures[0].output for r in caught.value.reports] == ["shaft_power"]
    assert not (project / "build").exists()


def test_a_graph_that_does_not_validate_blocks_the_build_naming_the_node(project):
    edit(project / "graphs" / "pump_efficiency.json", '"rated_power": 22.0', '"rated_power": -5.0')
    message = refusal(project)
    assert message.startswith(f"Cannot build {APP} (1 problem(s)):")
    assert "graphs/pump_efficiency.json: error: motor.rated_power: parameter 'rated_power'" in message


def test_manifest_schema_errors_name_line_and_column(project):
    edit(project / APP, "version: 1.0.0", "version: '1.0'")
    with pytest.raises(ManifestError, match=r"app\.yaml \(line 3, column 10\): version: '1\.0' is not a semantic "
                                            r"version"):
        build_app(project)


def test_every_problem_is_named_at_once(project):
    app = project / APP
    edit(app, "device: pump-station-opcua\n      point: flow", "device: pump-station-opcua\n      point: flw")
    edit(app, "device: pump-station-opcua\n      point: motor_current", "device: pump-2\n      point: motor_current")
    edit(app, "input: apps/pump_efficiency/tests/nominal_input.csv", "input: ../nominal_input.csv")
    edit(app, "  volume:\n    unit: m^3", "  volume:\n    unit: m^3\n  head:\n    unit: m")
    message = refusal(project)
    assert message.startswith(f"Cannot build {APP} (4 problem(s)):")
    assert f"{APP}: outputs.head: the graph has no output 'head'" in message
    assert f"{APP}: tests.0.input: '../nominal_input.csv' is outside the project folder" in message
    assert f"{APP}: inputs.flow.binding: No data point 'flw' in profile 'pump-station-opcua'" in message
    assert f"{APP}: inputs.motor_current.binding: no profile in devices/ has the id 'pump-2'" in message


def test_project_components_the_graph_uses_are_packed_and_listed(project):
    inner = Graph("Double")
    inner.add_node("twice", "signal.scale", {"gain": 2.0})
    inner.exposed_inputs, inner.exposed_outputs = [ExposedPort("x", "twice", "x")], [ExposedPort("y", "twice", "y")]
    save_project_component(project / "components", "double", inner, Text("Double"))
    outer = Graph("Quadruple")
    outer.add_node("twice", "project.double")
    outer.exposed_inputs, outer.exposed_outputs = [ExposedPort("x", "twice", "x")], [ExposedPort("y", "twice", "y")]
    save_project_component(project / "components", "quadruple", outer, Text("Quadruple"))
    save_project_component(project / "components", "unused", inner, Text("Unused"))
    graph = Graph("Flow × 4")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("four", "project.quadruple")
    graph.add_node("out", "io.output", {"column": "flow4"})
    graph.connect("flow.y", "four.x")
    graph.connect("four.y", "out.x")
    (project / "graphs" / "flow4.json").write_text(graph.to_text())
    manifest = derive_manifest(graph, "graphs/flow4.json", project_registry(project)[0], app_id="com.example.flow4")
    (project / "apps" / "flow4").mkdir()
    (project / "apps" / "flow4" / "app.yaml").write_text(manifest.to_yaml())
    installed = len(default_registry())

    result = build_app(project, project / "apps" / "flow4" / "app.yaml")
    assert "components/double.json" in result.entries and "components/quadruple.json" in result.entries
    assert "components/unused.json" not in result.entries
    assert result.notes == ("apps/flow4/app.yaml: the app has no golden tests, so nothing checked its outputs",)
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("components/double.json") == (project / "components" / "double.json").read_bytes()
        sbom = json.loads(archive.read("sbom.cdx.json"))
    origins = {c["name"]: c["properties"][0]["value"] for c in sbom["components"] if c["name"] != "millwright"}
    assert origins == {"signal.scale": "built-in", "project.double": "project file components/double.json",
                       "project.quadruple": "project file components/quadruple.json"}
    assert len(default_registry()) == installed  # the project's types went to a copy


def test_progress_is_told_and_a_build_can_be_cancelled(project):
    steps = []
    build_app(project, progress=lambda step, done: steps.append((step, done)))
    assert [s for s, _ in steps] == ["Reading the manifest", "Checking the graph and the files the manifest names",
                                     "Running golden test 'nominal'", "Collecting the archive's files",
                                     "Writing the SBOM", f"Writing {ARCHIVE}", "Built"]
    assert [d for _, d in steps] == sorted(d for _, d in steps) and steps[-1][1] == 1.0
    (project / "build" / ARCHIVE).unlink()
    asked = []

    def cancel_at_the_golden_test() -> bool:
        asked.append(1)
        return len(asked) >= 3

    with pytest.raises(Cancelled, match="cancelled"):
        build_app(project, cancelled=cancel_at_the_golden_test)
    assert not (project / "build" / ARCHIVE).exists()


def test_build_is_added_to_the_projects_gitignore(project):
    build_app(project)
    assert not (project / ".gitignore").exists()  # a project not kept in git is left alone
    (project / ".gitignore").write_text("data/*.db")
    build_app(project)
    assert (project / ".gitignore").read_text() == "data/*.db\nbuild/\n"
    ignore_build_folder(project)
    assert (project / ".gitignore").read_text() == "data/*.db\nbuild/\n"


def test_one_app_is_built_without_naming_it_several_need_a_name(project):
    assert find_manifest(project) == project / APP
    shutil.copytree(project / "apps" / "pump_efficiency", project / "apps" / "second")
    with pytest.raises(AppError, match=r"has 2 apps .*apps/pump_efficiency/app\.yaml, apps/second/app\.yaml"):
        find_manifest(project)
    assert find_manifest(project, project / "apps" / "second") == project / "apps" / "second" / "app.yaml"
    with pytest.raises(AppError, match="several apps are built from this graph"):
        find_manifest(project, project / "graphs" / "pump_efficiency.json")
    shutil.rmtree(project / "apps" / "second")
    assert find_manifest(project, project / "graphs" / "pump_efficiency.json") == project / APP
    with pytest.raises(AppError, match="no app of the project is built from this graph"):
        find_manifest(project, project / "graphs" / "vibration_alarm.json")
