"""Verify: every tampering with a signed app fails at the right check, naming the file; a sound app passes."""

from __future__ import annotations

import functools
import zipfile

import pytest

from app_packager.app_checks import derive_manifest
from app_packager.archive import RECORD, SIGNATURE, record_bytes, write_archive, zip_bytes
from app_packager.manifest import MANIFEST_NAME, load_manifest
from app_packager.signing import Signature, fingerprint, generate_key, sign_archive, sign_record, write_public_key
from app_packager.trust import add_trusted_key, trusted_public_keys
from app_packager.verify import VerifyError, verify_app
from app_packager.zip_safety import read_entries
from nodes.graph import ExposedPort, Graph
from nodes.project_components import component_type, project_component
from nodes.registry import default_registry
from nodes.resources import example_project

CHECKS = ["archive structure", "signature", "RECORD", "manifest", "graph and components"]
PUBLISHER = generate_key()
STRANGER = generate_key()
TRUSTED = {fingerprint(PUBLISHER.public_key()): PUBLISHER.public_key()}
ARCHIVE_NAME = "org.millwright.examples.pump-efficiency-1.0.0.iapp"


@functools.cache
def example_app_entries() -> dict[str, bytes]:
    """The example app's entries as a build lays them out (the manifest naming archive entries)."""
    project = example_project()
    manifest = load_manifest(project / "apps" / "pump_efficiency" / MANIFEST_NAME)
    (test,) = manifest.tests
    names = {test.name: (f"tests/{test.name}/input.csv", f"tests/{test.name}/expected.csv")}
    return {MANIFEST_NAME: manifest.with_paths("graph.json", names).to_yaml().encode("utf-8"),
            "graph.json": (project / manifest.graph).read_bytes(),
            names[test.name][0]: (project / test.input).read_bytes(),
            names[test.name][1]: (project / test.expected).read_bytes()}


@pytest.fixture
def example_entries() -> dict[str, bytes]:
    return dict(example_app_entries())


@pytest.fixture
def signed(tmp_path, example_entries):
    """The example app signed by PUBLISHER."""
    path = tmp_path / ARCHIVE_NAME
    write_archive(path, example_entries)
    sign_archive(path, PUBLISHER)
    return path


def rewrite(path, changes: dict[str, bytes | None]) -> None:
    """Rewrite the archive with entries changed (None: removed), keeping RECORD and RECORD.sig as they are."""
    entries = read_entries(path)
    for name, data in changes.items():
        if data is None:
            del entries[name]
        else:
            entries[name] = data
    path.write_bytes(zip_bytes(entries))


def failure(path, *, passed: int, **options) -> str:
    """The message of the check that fails after ``passed`` checks passed, in the order of docs/apps.md."""
    options.setdefault("trusted", TRUSTED)
    with pytest.raises(VerifyError) as caught:
        verify_app(path, **options)
    report = caught.value.report
    assert [c.name for c in report.checks] == CHECKS[:passed + 1]
    assert [c.passed for c in report.checks] == [True] * passed + [False]
    assert str(caught.value) == report.failure.detail
    return str(caught.value)


def test_a_signed_app_passes_every_check_in_order(signed, example_entries):
    report = verify_app(signed, trusted=TRUSTED)
    assert report.passed
    assert [c.name for c in report.checks] == CHECKS
    assert report.publisher == fingerprint(PUBLISHER.public_key())
    assert report.manifest.id == "org.millwright.examples.pump-efficiency"
    assert {n: d for n, d in report.entries.items() if n not in (RECORD, SIGNATURE)} == example_entries
    assert report.checks[2].detail == "4 files match their hashes"


def test_a_changed_file_fails_naming_it(signed):
    rewrite(signed, {"graph.json": b'{"nodes": []}\n'})
    message = failure(signed, passed=2)
    assert message.startswith(f"{ARCHIVE_NAME}: RECORD does not match the archive")
    assert "'graph.json' does not match its hash in RECORD" in message


def test_an_app_signed_by_an_unknown_key_is_refused_unless_that_key_is_named(signed, tmp_path):
    sign_archive(signed, STRANGER)
    message = failure(signed, passed=1)
    assert f"{ARCHIVE_NAME}!RECORD.sig: signed by key {fingerprint(STRANGER.public_key())}, which is not trusted" \
        in message
    assert "--allow-unsigned" not in message
    failure(signed, passed=1, allow_unsigned=True)  # allowing unsigned apps does not allow unknown publishers
    write_public_key(tmp_path / "stranger.pub.pem", STRANGER.public_key())
    assert verify_app(signed, trusted=trusted_public_keys(tmp_path / "empty-store", [tmp_path / "stranger.pub.pem"]))


def test_a_signature_by_another_key_under_a_trusted_fingerprint_is_refused(signed):
    record = read_entries(signed)[RECORD]
    forged = Signature(fingerprint(PUBLISHER.public_key()), STRANGER.sign(record))
    rewrite(signed, {SIGNATURE: forged.to_bytes()})
    assert "the signature does not match RECORD" in failure(signed, passed=1)


def test_an_unsigned_app_is_refused_unless_allowed(tmp_path, example_entries):
    path = tmp_path / ARCHIVE_NAME
    write_archive(path, example_entries)
    assert "not signed (no RECORD.sig)" in failure(path, passed=1)
    report = verify_app(path, trusted=TRUSTED, allow_unsigned=True)
    assert report.passed and report.publisher is None
    assert report.checks[1].detail == "unsigned, accepted as asked (--allow-unsigned)"


def test_a_missing_record_line_fails_even_when_signed(tmp_path, example_entries):
    # The publisher signed a RECORD that leaves out one file: the file is in the archive but unaccounted for.
    listed = {n: d for n, d in example_entries.items() if n != "tests/nominal/expected.csv"}
    record = record_bytes(listed)
    path = tmp_path / ARCHIVE_NAME
    path.write_bytes(zip_bytes({**example_entries, RECORD: record,
                                SIGNATURE: sign_record(record, PUBLISHER).to_bytes()}))
    assert "'tests/nominal/expected.csv' is in the archive but not in RECORD" in failure(path, passed=2)


def test_an_entry_added_after_signing_fails_naming_it(signed):
    rewrite(signed, {"components/evil.py": b"import os\n"})
    assert "'components/evil.py' is in the archive but not in RECORD" in failure(signed, passed=2)


def test_an_entry_removed_after_signing_fails_naming_it(signed):
    rewrite(signed, {"tests/nominal/expected.csv": None})
    assert "RECORD lists 'tests/nominal/expected.csv', which is not in the archive" in failure(signed, passed=2)


def test_record_changed_after_signing_fails_the_signature(signed):
    entries = read_entries(signed)
    changed = {n: d for n, d in entries.items() if n not in (RECORD, SIGNATURE)}
    changed["graph.json"] = b'{"nodes": []}\n'
    rewrite(signed, {"graph.json": changed["graph.json"], RECORD: record_bytes(changed)})
    message = failure(signed, passed=1)
    assert "RECORD was changed after signing" in message


def test_a_manifest_against_the_schema_names_the_entry_and_line(tmp_path, example_entries):
    text = example_entries[MANIFEST_NAME].decode().replace("version: 1.0.0", "version: one")
    path = tmp_path / ARCHIVE_NAME
    write_archive(path, {**example_entries, MANIFEST_NAME: text.encode()})
    sign_archive(path, PUBLISHER)
    message = failure(path, passed=3)
    assert f"{ARCHIVE_NAME}!app.yaml (line 3, column 10): version: 'one' is not a semantic version" in message


def test_a_manifest_naming_a_file_the_archive_lacks_fails(tmp_path, example_entries):
    entries = {n: d for n, d in example_entries.items() if n != "tests/nominal/expected.csv"}
    path = tmp_path / ARCHIVE_NAME
    write_archive(path, entries)
    sign_archive(path, PUBLISHER)
    assert "app.yaml: names tests/nominal/expected.csv, not in the archive" in failure(path, passed=3)


def test_a_manifest_that_does_not_fit_its_graph_or_this_installation_fails(tmp_path, example_entries):
    text = example_entries[MANIFEST_NAME].decode()
    text = text.replace("millwright: '>=0.1.0'", "millwright: '>=99.0'").replace("signal.integral: 1",
                                                                                  "signal.integral: 7")
    text = text.replace("  motor_current:\n", "  level:\n    unit: m\n  motor_current:\n")
    path = tmp_path / ARCHIVE_NAME
    write_archive(path, {**example_entries, MANIFEST_NAME: text.encode()})
    sign_archive(path, PUBLISHER)
    message = failure(path, passed=4)
    assert message.startswith(f"{ARCHIVE_NAME}!app.yaml: the app does not fit its graph or this installation:")
    assert "requires.millwright: the app needs Millwright >=99.0; this is Millwright" in message
    assert "inputs.level: the graph has no input 'level'" in message
    assert "requires.components.signal.integral: version 7 is required" in message


def smoother() -> Graph:
    """raw → moving average → halve → smooth, as a project component."""
    graph = Graph("Smoother")
    graph.add_node("ma", "signal.moving_average", {"window": 4})
    graph.add_node("k", "signal.scale", {"gain": 0.5})
    graph.connect("ma.y", "k.x")
    graph.exposed_inputs = [ExposedPort("raw", "ma", "x")]
    graph.exposed_outputs = [ExposedPort("smooth", "k", "y")]
    return graph


def wrapper_of(type_name: str) -> Graph:
    graph = Graph("Wrapper")
    graph.add_node("c", type_name)
    graph.exposed_inputs = [ExposedPort("raw", "c", "raw")]
    graph.exposed_outputs = [ExposedPort("smooth", "c", "smooth")]
    return graph


def test_project_components_in_the_archive_are_loaded_as_data(tmp_path):
    # "outer" uses "smoother": loading in name order meets outer first, so its use must be resolved later.
    components = {"smoother": smoother(), "outer": wrapper_of(component_type("smoother"))}
    registry = default_registry().copy()
    for name in ("smoother", "outer"):
        registry.register(project_component(components[name], component_type(name), registry))
    graph = Graph("Smoothed flow")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h", "kind": "signal"})
    graph.add_node("s", component_type("outer"))
    graph.add_node("out", "io.output", {"column": "smooth_flow"})
    graph.connect("flow.y", "s.raw")
    graph.connect("s.smooth", "out.x")
    manifest = derive_manifest(graph, "graph.json", registry, app_id="org.example.smoothed-flow")
    entries = {MANIFEST_NAME: manifest.to_yaml().encode(), "graph.json": graph.to_text().encode(),
               **{f"components/{name}.json": g.to_text().encode() for name, g in components.items()}}
    path = tmp_path / "smoothed.iapp"
    write_archive(path, entries)
    sign_archive(path, PUBLISHER)
    assert verify_app(path, trusted=TRUSTED).passed

    del entries["components/smoother.json"]
    write_archive(path, entries)
    sign_archive(path, PUBLISHER)
    message = failure(path, passed=4)
    assert "smoothed.iapp!components/outer.json: node 'c' uses the component 'project.smoother', which is not " \
           "installed" in message


def test_an_unsafe_archive_fails_the_first_check_and_nothing_is_written(tmp_path, example_entries):
    path = tmp_path / "work" / ARCHIVE_NAME
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in example_entries.items():
            archive.writestr(name, data)
        archive.writestr("../../evil.sh", b"#!/bin/sh\n")
    before = sorted(tmp_path.rglob("*"))
    message = failure(path, passed=0)
    assert message == (f"{ARCHIVE_NAME}: entry '../../evil.sh' climbs out of the folder it is unpacked into "
                       "('..' in its path: zip-slip)")
    assert sorted(tmp_path.rglob("*")) == before and not (tmp_path.parent / "evil.sh").exists()


def test_the_trust_store_is_the_default(signed, tmp_path, monkeypatch):
    monkeypatch.setenv("MILLWRIGHT_TRUST_DIR", str(tmp_path / "trusted"))
    with pytest.raises(VerifyError, match="not trusted"):
        verify_app(signed)
    write_public_key(tmp_path / "acme.pub.pem", PUBLISHER.public_key())
    add_trusted_key(tmp_path / "acme.pub.pem")
    assert verify_app(signed).passed
