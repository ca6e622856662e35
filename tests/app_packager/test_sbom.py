"""The SBOM: valid CycloneDX 1.6, the same bytes for the same content, a serial number that follows the content."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from app_packager.manifest import load_manifest
from app_packager.sbom import UsedComponent, sbom_bytes
from nodes.resources import example_project

MANIFEST = load_manifest(example_project() / "apps" / "pump_efficiency" / "app.yaml")
COMPONENTS = [UsedComponent("signal.scale", 1, "built-in"),
              UsedComponent("project.head", 2, "project file components/head.json", "ab" * 32)]
ENTRIES = {"graph.json": b'{"nodes": []}', "app.yaml": b"id: x\n"}


def sbom(manifest=MANIFEST, components=COMPONENTS, runtime="0.1.0", entries=ENTRIES) -> dict:
    return json.loads(sbom_bytes(manifest, components, runtime, entries))


def test_the_sbom_is_valid_cyclonedx_1_6_describing_the_app_its_components_and_runtime():
    data = sbom_bytes(MANIFEST, COMPONENTS, "0.1.0", ENTRIES)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode("utf-8")) is None
    bom = json.loads(data)
    assert bom["specVersion"] == "1.6"
    app = bom["metadata"]["component"]
    assert (app["type"], app["name"], app["version"], app["bom-ref"]) == (
        "application", "Pump efficiency", "1.0.0", "org.millwright.examples.pump-efficiency")
    assert app["licenses"] == [{"license": {"id": "Apache-2.0"}}]
    assert app["authors"] == [{"name": "Millwright examples", "email": "examples@millwright.invalid"}]
    assert {"name": "millwright:classification:industry", "value": "D46"} in app["properties"]
    parts = {c["name"]: c for c in bom["components"]}
    assert set(parts) == {"millwright", "signal.scale", "project.head"}
    assert (parts["millwright"]["type"], parts["millwright"]["version"]) == ("framework", "0.1.0")
    assert parts["millwright"]["properties"] == [{"name": "millwright:requires", "value": ">=0.1.0"}]
    assert parts["signal.scale"]["properties"] == [{"name": "millwright:origin", "value": "built-in"}]
    assert parts["project.head"]["version"] == "2"
    assert parts["project.head"]["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]
    depends = next(d["dependsOn"] for d in bom["dependencies"] if d["ref"] == app["bom-ref"])
    assert sorted(depends) == ["component:project.head", "component:signal.scale", "millwright"]


def test_the_same_content_gives_the_same_bytes(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = sbom_bytes(MANIFEST, COMPONENTS, "0.1.0", ENTRIES)
    assert sbom_bytes(MANIFEST, list(reversed(COMPONENTS)), "0.1.0", dict(reversed(ENTRIES.items()))) == first
    assert json.loads(first)["metadata"]["timestamp"] == "1980-01-01T00:00:00+00:00"


def test_the_serial_number_is_a_uuid5_that_changes_with_the_content():
    serial = sbom()["serialNumber"]
    assert serial.startswith("urn:uuid:") and uuid.UUID(serial.removeprefix("urn:uuid:")).version == 5
    changed = [sbom(entries={**ENTRIES, "graph.json": b'{"nodes": [1]}'}), sbom(runtime="0.2.0"),
               sbom(manifest=replace(MANIFEST, version="1.0.1")), sbom(components=COMPONENTS[:1])]
    serials = {serial, *(bom["serialNumber"] for bom in changed)}
    assert len(serials) == 5


@pytest.mark.parametrize(("epoch", "stamp"), [("1700000000", "2023-11-14T22:13:20+00:00"),
                                              ("0", "1980-01-01T00:00:00+00:00")])  # zip times start in 1980
def test_the_timestamp_is_source_date_epoch(monkeypatch, epoch, stamp):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    assert sbom()["metadata"]["timestamp"] == stamp


def test_a_licence_expression_and_an_app_without_authors():
    bom = sbom(manifest=replace(MANIFEST, license="MIT OR Apache-2.0", authors=()))
    app = bom["metadata"]["component"]
    assert app["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert "authors" not in app and "supplier" not in app
