"""The local catalogue: publish, list, search and pull real built archives through a folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app_packager.catalog import INDEX, Catalog
from app_packager.errors import AppError
from app_packager.manifest import Text
from app_packager.publish import SearchFilter, open_publisher, parse_reference
from tests.app_packager.archives import EXAMPLE_ID, variant

ROOT = Path(__file__).resolve().parents[2]


def test_publish_then_pull_gives_the_same_bytes_and_an_index_that_diffs_well(example_build, publisher_key,
                                                                              tmp_path):
    archive = variant(example_build, tmp_path / "build", publisher_key)
    catalog = open_publisher(f"catalog:{tmp_path / 'catalog'}")

    stored = Path(catalog.publish(archive))
    pulled = catalog.pull(EXAMPLE_ID, "1.0.0", tmp_path / "pulled")

    assert stored == tmp_path / "catalog" / EXAMPLE_ID / "1.0.0" / f"{EXAMPLE_ID}-1.0.0.iapp"
    assert pulled.name == f"{EXAMPLE_ID}-1.0.0.iapp"
    assert pulled.read_bytes() == stored.read_bytes() == archive.read_bytes()
    text = (tmp_path / "catalog" / INDEX).read_text(encoding="utf-8")
    index = json.loads(text)
    assert text == json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False) + "\n"  # stable, readable
    entry = index["apps"][EXAMPLE_ID]["1.0.0"]
    assert entry["publisher_key"] == publisher_key.fingerprint
    assert entry["classification"] == {"industry": "D46", "lifecycle": "operation_maintenance", "level": "device",
                                       "generality": "industry_general", "maturity": 2}
    assert entry["name"] == {"en": "Pump efficiency", "zh": "泵效率"}
    assert entry["size"] == archive.stat().st_size
    [summary] = catalog.list()
    assert summary.latest.sha256 == entry["sha256"] and summary.latest.created == entry["created"]


def test_versions_are_listed_in_semantic_order_and_pull_takes_the_newest_release(example_build, tmp_path):
    catalog = Catalog(tmp_path / "catalog")
    for version in ("1.10.0", "1.2.0", "1.2.0-rc.1", "2.0.0-beta", "1.9.3"):
        catalog.publish(variant(example_build, tmp_path / version, version=version))

    [summary] = catalog.list()

    assert summary.versions == ("1.2.0-rc.1", "1.2.0", "1.9.3", "1.10.0", "2.0.0-beta")
    assert summary.latest.version == "1.10.0"
    assert catalog.pull(EXAMPLE_ID, None, tmp_path / "out").name == f"{EXAMPLE_ID}-1.10.0.iapp"
    assert catalog.pull(EXAMPLE_ID, "2.0.0-beta", tmp_path / "out").name == f"{EXAMPLE_ID}-2.0.0-beta.iapp"


def test_search_by_text_and_classification(example_build, tmp_path):
    catalog = Catalog(tmp_path / "catalog")
    catalog.publish(example_build)  # D46 (water supply), operation & maintenance, device, maturity 2
    mill = {"id": "com.example.mill-vibration", "name": Text("Mill vibration", "磨机振动"),
            "description": Text("Vibration severity of a ball mill's drive", "球磨机传动的振动烈度"),
            "industry": "C34", "lifecycle": "production", "level": "line"}
    catalog.publish(variant(example_build, tmp_path / "a", **mill, generality="enterprise_specific", maturity=4))
    catalog.publish(variant(example_build, tmp_path / "b", **mill, version="1.1.0", maturity=1))

    def found(text: str = "", **filters) -> dict[str, tuple[str, ...]]:
        return {app.id: app.versions for app in catalog.search(text, SearchFilter(**filters))}

    assert found(industry="C") == {"com.example.mill-vibration": ("1.0.0", "1.1.0")}  # a section holds C34
    assert found(industry="c34", maturity=3) == {"com.example.mill-vibration": ("1.0.0",)}
    assert found(industry="C35") == {}
    assert found(lifecycle="operation_maintenance") == {EXAMPLE_ID: ("1.0.0",)}
    assert found(level="line", generality="enterprise_specific") == {"com.example.mill-vibration": ("1.0.0",)}
    assert found("泵效率") == found("PUMP efficiency") == {EXAMPLE_ID: ("1.0.0",)}
    assert found("振动 MILL") == found("example.mill") == {"com.example.mill-vibration": ("1.0.0", "1.1.0")}
    assert found("pump ball") == {}
    with pytest.raises(AppError, match="'plant_wide' is not a application level"):
        SearchFilter(level="plant_wide")


def test_a_published_version_never_changes(example_build, tmp_path):
    catalog = Catalog(tmp_path / "catalog")
    first = variant(example_build, tmp_path / "first", version="1.0.1")
    catalog.publish(first)
    index_before = (tmp_path / "catalog" / INDEX).read_bytes()

    catalog.publish(first)  # the same bytes again: nothing changes
    other = variant(example_build, tmp_path / "other", version="1.0.1", maturity=5)
    with pytest.raises(AppError, match=r"1\.0\.1 is already in .* with other content.*new version"):
        catalog.publish(other)

    assert (tmp_path / "catalog" / INDEX).read_bytes() == index_before
    assert catalog.pull(EXAMPLE_ID, "1.0.1", tmp_path / "out").read_bytes() == first.read_bytes()


_PUBLISH_ALL = """
import sys
from pathlib import Path
from app_packager.catalog import Catalog
catalog = Catalog(Path(sys.argv[1]))
for archive in sys.argv[2:]:
    catalog.publish(Path(archive))
"""


def test_concurrent_publishers_lose_no_entry(example_build, tmp_path):
    """Two processes publishing at once: the index lock keeps every entry of both."""
    batches = [[variant(example_build, tmp_path / f"{p}.{n}", version=f"{p}.{n}.0") for n in range(6)]
               for p in (1, 2)]
    processes = [subprocess.Popen([sys.executable, "-c", _PUBLISH_ALL, str(tmp_path / "catalog"), *map(str, batch)],
                                  cwd=ROOT) for batch in batches]
    assert [p.wait(60) for p in processes] == [0, 0]

    [summary] = Catalog(tmp_path / "catalog").list()
    assert len(summary.versions) == 12


def test_an_archive_changed_in_the_catalogue_is_not_pulled(example_build, tmp_path):
    catalog = Catalog(tmp_path / "catalog")
    stored = Path(catalog.publish(example_build))
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(bytes(data))

    with pytest.raises(AppError, match=r"is not the one published .* changed or damaged"):
        catalog.pull(EXAMPLE_ID, None, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_missing_app_or_version_is_named_with_the_versions_there_are(example_build, tmp_path):
    catalog = open_publisher(f"catalog:{tmp_path / 'catalog'}")
    catalog.publish(example_build)

    with pytest.raises(AppError, match=r"no app 'com\.example\.none' in catalog:"):
        catalog.pull("com.example.none", None, tmp_path)
    with pytest.raises(AppError, match=r"has no version 3\.0\.0 in catalog:.* \(it has 1\.0\.0\)"):
        catalog.pull(EXAMPLE_ID, "3.0.0", tmp_path)
    assert parse_reference(f"{EXAMPLE_ID}@1.0.0-rc.1") == (EXAMPLE_ID, "1.0.0-rc.1")
    with pytest.raises(AppError, match="not a semantic version"):
        parse_reference(f"{EXAMPLE_ID}@v1")


def test_a_damaged_index_is_reported_with_its_line(tmp_path):
    (tmp_path / INDEX).write_text('{"apps": {\n  "x": ,\n}}\n', encoding="utf-8")

    with pytest.raises(AppError, match=r"index\.json \(line 2, column 8\): the catalogue's index is not valid JSON"):
        Catalog(tmp_path).list()


def test_an_url_that_names_no_catalogue_or_registry_is_explained():
    with pytest.raises(AppError, match="write catalog:PATH or oci://HOST"):
        open_publisher("/srv/apps")
