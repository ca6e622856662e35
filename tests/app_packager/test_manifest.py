"""The app manifest: schema problems by line and column, classification rules, checks against the graph."""

from __future__ import annotations

import zipfile

import pytest

from app_packager.app_checks import component_problems, derive_manifest, graph_problems
from app_packager.archive import RECORD, SIGNATURE, digest, parse_record, write_archive
from app_packager.errors import AppError
from app_packager.manifest import (
    GENERALITY,
    LEVELS,
    LIFECYCLE_STAGES,
    AppManifest,
    ManifestError,
    definitions,
    industry_sections,
    load_manifest,
    parse_manifest,
)
from device_browser.tags import load_bindings
from nodes.graph import load_graph
from nodes.registry import default_registry
from nodes.resources import example_project

EXAMPLE = example_project()
MANIFEST = EXAMPLE / "apps" / "pump_efficiency" / "app.yaml"


@pytest.fixture(scope="module")
def text() -> str:
    return MANIFEST.read_text(encoding="utf-8")


def problems_of(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, "apps/x/app.yaml")
    return str(caught.value)


def test_the_example_manifest_is_valid_and_matches_its_graph():
    manifest = load_manifest(MANIFEST)
    assert manifest.archive_name == "org.millwright.examples.pump-efficiency-1.0.0.iapp"
    assert set(manifest.inputs) == {"discharge_pressure", "flow", "motor_current"}
    assert manifest.inputs["flow"].binding is not None and manifest.inputs["flow"].binding.point == "flow"
    assert manifest.tests[0].tolerance_of("efficiency").relative == 1e-6
    graph = load_graph(EXAMPLE / manifest.graph)
    assert graph_problems(manifest, graph, default_registry()) == []


def test_written_data_reads_back_the_same(text):
    manifest = parse_manifest(text)
    again = parse_manifest(manifest.to_yaml())
    assert again == manifest
    assert again.to_yaml() == manifest.to_yaml()


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("version: 1.0.0", "version: 1.0", "(line 3, column 10): version: 1.0 is not a semantic version"),
    ("version: 1.0.0", "version: v1", "is not a semantic version: write MAJOR.MINOR.PATCH"),
    ("id: org.millwright.examples.pump-efficiency", "id: PumpEfficiency", "is not a reverse-DNS id"),
    ("level: device", "level: machine",
     "(line 18, column 10): classification.level: 'machine' is not one of device, line, plant, enterprise"),
    ("industry: D46", "industry: Z1", "is not a GB/T 4754-2017 industry"),
    ("industry: D46", "industry: D47",
     "classification.industry: division 47 is not in section D (Production and supply of electricity, heat, gas "
     "and water, divisions 44–46)"),
    ("maturity: 2", "maturity: 6", "classification.maturity: 6 is greater than the maximum of 5"),
    ("    minimum: 0.1\n    maximum: 1000", "    minimum: 10\n    maximum: 1",
     "parameters.rated_power: minimum is above maximum"),
])
def test_problems_name_line_column_and_reason(text, old, new, expected):
    assert old in text
    assert expected in problems_of(text.replace(old, new, 1))


def test_a_second_test_of_the_same_name_is_refused(text):
    tests = text[text.index("tests:\n") + len("tests:\n"):]
    assert "a second test named 'nominal'" in problems_of(text + tests)


def test_a_write_permission_must_name_an_output(text):
    changed = text.replace("  read_tags: true\n", "  read_tags: true\n  write_tags:\n  - output: speed_setpoint\n"
                                                  "    minimum: 0\n    maximum: 1500\n")
    assert "permissions.write_tags.0.output: 'speed_setpoint' is not an output of the app" in problems_of(changed)


def test_classification_values_all_have_definitions_in_both_languages():
    for name, values in (("lifecycle", LIFECYCLE_STAGES), ("level", LEVELS), ("generality", GENERALITY)):
        defined = definitions(name)
        assert set(defined) == set(values)
        assert all(d["en"] and d["zh"] for d in defined.values())
    sections = industry_sections()
    assert list(sections) == [chr(c) for c in range(ord("A"), ord("T") + 1)]
    assert sections["C"]["divisions"] == [13, 43]
    divisions = [d for s in sections.values() for d in range(s["divisions"][0], s["divisions"][1] + 1)]
    assert len(divisions) == len(set(divisions))  # each division in one section only


def test_graph_mismatches_are_named():
    manifest = load_manifest(MANIFEST)
    graph = load_graph(EXAMPLE / manifest.graph)
    inputs = dict(manifest.inputs)
    inputs["flow"] = type(inputs["flow"])("degC", "signal")
    inputs["speed"] = type(inputs["flow"])("rpm", "signal")
    del inputs["motor_current"]
    problems = graph_problems(type(manifest)(**{**manifest.__dict__, "inputs": inputs}), graph, default_registry())
    assert any(p.startswith("inputs.flow: declared in degC, but the graph's is in m^3/h") for p in problems)
    assert "inputs.speed: the graph has no input 'speed' (it has discharge_pressure, flow, motor_current)" in problems
    assert "inputs: the graph's input 'motor_current' is missing; a site could not bind it" in problems


def test_required_components_must_be_installed_and_new_enough():
    registry = default_registry()
    assert component_problems({"signal.scale": 1}, registry) == []
    assert component_problems({"signal.scale": 99, "acme.magic": 1}, registry) == [
        "requires.components.acme.magic: this component is not installed",
        "requires.components.signal.scale: version 99 is required, version 1 is installed"]


def test_a_derived_manifest_is_valid_and_checks_clean_against_its_graph():
    registry = default_registry()
    for name in ("pump_efficiency", "vibration_alarm"):
        graph = load_graph(EXAMPLE / "graphs" / f"{name}.json")
        derived = derive_manifest(graph, f"graphs/{name}.json", registry, app_id="com.example.test-app",
                                  bindings=load_bindings(EXAMPLE / "bindings.yaml"))
        assert parse_manifest(derived.to_yaml()) == derived
        assert graph_problems(derived, graph, registry) == []
    assert derived.outputs["alarm"].kind == "boolean"
    assert "signal.ewma" in derived.requires_components or derived.requires_components


def test_archive_bytes_do_not_depend_on_order_or_file_times(tmp_path, monkeypatch):
    entries = {"graph.json": b"{}", "app.yaml": b"id: x\n", "tests/nominal/input.csv": b"time,x\n"}
    first = write_archive(tmp_path / "a.iapp", entries)
    write_archive(tmp_path / "b.iapp", dict(reversed(entries.items())))
    assert (tmp_path / "a.iapp").read_bytes() == (tmp_path / "b.iapp").read_bytes()
    record = parse_record(first)
    assert list(record) == sorted(entries)
    assert record["graph.json"].digest == digest(b"{}") and record["graph.json"].size == 2
    with zipfile.ZipFile(tmp_path / "a.iapp") as archive:
        assert archive.namelist() == sorted([*entries, RECORD])
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01
    write_archive(tmp_path / "c.iapp", entries, signature=b"{}")
    with zipfile.ZipFile(tmp_path / "c.iapp") as archive:
        assert archive.namelist() == sorted([*entries, RECORD, SIGNATURE])
        assert archive.getinfo("graph.json").date_time == (2026, 1, 1, 0, 0, 0)


def test_a_malformed_record_line_is_named():
    with pytest.raises(AppError, match=r"RECORD \(line 2\): 'b.txt,md5=x,3' is not NAME,sha256=DIGEST,SIZE"):
        parse_record(b"a.txt,sha256=abc,1\nb.txt,md5=x,3\n")
    with pytest.raises(AppError, match=r"'a\.txt' is listed twice"):
        parse_record(b"a.txt,sha256=abc,1\na.txt,sha256=abc,1\n")


def test_manifest_dataclass_is_frozen():
    manifest = load_manifest(MANIFEST)
    with pytest.raises(AttributeError):
        manifest.id = "x"  # type: ignore[misc]
    assert isinstance(manifest, AppManifest)
