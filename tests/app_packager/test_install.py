"""Installing an app on a site: verified first, bindings checked against its inputs, unpacked whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_packager.errors import AppError
from app_packager.install import BINDINGS_NAME, install_app
from app_packager.zip_safety import read_entries
from nodes.resources import resources_dir
from tests.app_packager.archives import EXAMPLE_ID, variant

EXAMPLE_BINDINGS = resources_dir() / "examples" / "pump_station" / "bindings.yaml"

SITE_BINDINGS = """\
schema_version: 1
bindings:
  discharge_pressure:
    device: plc1
    address: "nsu=urn:site;s=P101.Pressure"
    unit: {pressure_unit}
  flow:
    device: plc1
    address: "nsu=urn:site;s=P101.Flow"
    unit: l/s
{more}"""


def _bindings(folder: Path, pressure_unit: str = "kPa", more: str = "  motor_current:\n    device: plc1\n"
                                                                    "    point: current\n    unit: A\n") -> Path:
    path = folder / "site-bindings.yaml"
    path.write_text(SITE_BINDINGS.format(pressure_unit=pressure_unit, more=more), encoding="utf-8")
    return path


@pytest.fixture
def signed(example_build, publisher_key, tmp_path):
    return variant(example_build, tmp_path / "build", publisher_key)


def test_install_unpacks_the_verified_app_with_the_site_bindings_beside_it(signed, publisher_key, tmp_path):
    bindings = _bindings(tmp_path)  # kPa and l/s: other units than the app's bar and m^3/h, convertible

    installed = install_app(signed, tmp_path / "site", bindings, trusted=publisher_key.trusted)

    assert installed.path == tmp_path / "site" / EXAMPLE_ID / "1.0.0"
    assert installed.publisher == publisher_key.fingerprint
    entries = read_entries(signed)
    files = {p.relative_to(installed.path).as_posix(): p.read_bytes() for p in installed.path.rglob("*") if p.is_file()}
    assert files == {**entries, BINDINGS_NAME: bindings.read_bytes()}
    assert [p.name for p in (tmp_path / "site" / EXAMPLE_ID).iterdir()] == ["1.0.0"]  # no partial folder left

    with pytest.raises(AppError, match=r"1\.0\.0 is already installed in .*remove that folder"):
        install_app(signed, tmp_path / "site", bindings, trusted=publisher_key.trusted)


def test_into_a_project_the_app_goes_under_apps_installed(signed, publisher_key, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "project.json").write_text('{"schema_version": 1, "name": "plant"}\n', encoding="utf-8")

    installed = install_app(signed, project, EXAMPLE_BINDINGS, trusted=publisher_key.trusted)

    assert installed.path == project / "apps" / "installed" / EXAMPLE_ID / "1.0.0"
    assert (installed.path / BINDINGS_NAME).read_bytes() == EXAMPLE_BINDINGS.read_bytes()


def test_a_missing_binding_is_refused_naming_the_input_and_nothing_is_written(signed, publisher_key, tmp_path):
    bindings = _bindings(tmp_path, more="")

    with pytest.raises(AppError, match=r"site-bindings\.yaml: org\.millwright\.examples\.pump-efficiency 1\.0\.0 "
                                       r"cannot run on these bindings:\n  input 'motor_current' is not bound"):
        install_app(signed, tmp_path / "site", bindings, trusted=publisher_key.trusted)
    assert not (tmp_path / "site").exists()


def test_a_unit_that_cannot_feed_its_input_is_refused_naming_the_input_both_units_and_the_line(
        signed, publisher_key, tmp_path):
    bindings = _bindings(tmp_path, pressure_unit="degC")

    with pytest.raises(AppError) as refused:
        install_app(signed, tmp_path / "site", bindings, trusted=publisher_key.trusted)

    message = str(refused.value)
    assert "site-bindings.yaml (line 6, column 11): input 'discharge_pressure' cannot read " in message
    assert "'degC' cannot be converted to 'bar'" in message
    assert not (tmp_path / "site").exists()


def test_a_binding_for_no_input_is_refused_with_its_line(signed, publisher_key, tmp_path):
    extra = "  motor_current:\n    device: plc1\n    point: current\n  speed:\n    device: plc1\n    point: rpm\n"
    bindings = _bindings(tmp_path, more=extra)

    with pytest.raises(AppError, match=r"\(line 15, column 5\): 'speed' is not an input of the app \(its inputs: "
                                       r"discharge_pressure, flow, motor_current\)"):
        install_app(signed, tmp_path / "site", bindings, trusted=publisher_key.trusted)


def test_unsigned_or_untrusted_apps_are_refused_unless_allowed(example_build, signed, tmp_path):
    with pytest.raises(AppError, match="not signed"):
        install_app(example_build, tmp_path / "site", EXAMPLE_BINDINGS, trusted={})
    with pytest.raises(AppError, match="which is not trusted here"):
        install_app(signed, tmp_path / "site", EXAMPLE_BINDINGS, trusted={})
    assert not (tmp_path / "site").exists()

    installed = install_app(example_build, tmp_path / "site", EXAMPLE_BINDINGS, trusted={}, allow_unsigned=True)
    assert installed.publisher is None


def test_an_app_that_cannot_be_written_leaves_nothing_behind(example_build, publisher_key, tmp_path):
    """A file and a folder of the same name pass every check of the archive but cannot both be written."""
    archive = variant(example_build, tmp_path / "build", publisher_key, extra={"notes": b"a file",
                                                                              "notes/inside": b"and a folder"})

    with pytest.raises(AppError, match=r"cannot be written there .* nothing was installed"):
        install_app(archive, tmp_path / "site", EXAMPLE_BINDINGS, trusted=publisher_key.trusted)
    assert not (tmp_path / "site").exists()
