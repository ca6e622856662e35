"""``millwright app publish|search|list|pull|install`` as a publisher and a site run them."""

from __future__ import annotations

import json

import pytest

from nodes.resources import resources_dir
from tests.app_packager.archives import EXAMPLE_ID, build_example, make_key, variant
from tests.registry import serve_registry
from workbench.cli import main

EXAMPLE_BINDINGS = resources_dir() / "examples" / "pump_station" / "bindings.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The example app built once for this module, and a publisher key."""
    folder = tmp_path_factory.mktemp("built")
    return build_example(folder), make_key(folder)


@pytest.fixture(scope="module")
def oci_registry(tmp_path_factory):
    yield from serve_registry(tmp_path_factory)


@pytest.fixture
def signed(built, tmp_path):
    example, key = built
    return variant(example, tmp_path / "build", key), key


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["app", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_a_publisher_and_a_site_through_the_default_catalogue(signed, built, tmp_path, capsys, monkeypatch):
    archive, key = signed
    monkeypatch.delenv("MILLWRIGHT_CATALOG", raising=False)
    catalogue = tmp_path / "user" / "data" / "millwright" / "catalog"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user" / "data"))

    code, _, err = run(capsys, "publish", str(archive))
    assert code == 1 and "which is not trusted here" in err and "--trust KEY.pem" in err
    assert not catalogue.exists()
    code, _, err = run(capsys, "publish", str(built[0]))
    assert code == 1 and "not signed" in err and "--allow-unsigned" in err

    code, out, _ = run(capsys, "publish", str(archive), "--trust", str(key.pem))
    assert code == 0 and f"Published {EXAMPLE_ID} 1.0.0 (signed by {key.fingerprint}) to catalog:{catalogue}" in out
    code, out, _ = run(capsys, "list")
    assert code == 0 and f"{EXAMPLE_ID}  1.0.0  (versions: 1.0.0)" in out and "Pump efficiency · 泵效率" in out
    code, out, _ = run(capsys, "search", "pump", "--industry", "d46", "--level", "device", "--json")
    [found] = json.loads(out)
    assert (found["id"], found["versions"], found["releases"][0]["publisher_key"]) == (EXAMPLE_ID, ["1.0.0"],
                                                                                       key.fingerprint)
    code, out, _ = run(capsys, "search", "--industry", "C")
    assert code == 0 and "No app in catalog:" in out

    code, out, _ = run(capsys, "pull", f"{EXAMPLE_ID}@1.0.0", "-o", str(tmp_path / "pulled"))
    assert code == 0 and (tmp_path / "pulled" / archive.name).read_bytes() == archive.read_bytes()
    code, out, _ = run(capsys, "install", EXAMPLE_ID, "--into", str(tmp_path / "site"), "--bind",
                       str(EXAMPLE_BINDINGS), "--trust", str(key.pem))
    assert code == 0 and f"Installed {EXAMPLE_ID} 1.0.0 (signed by {key.fingerprint})" in out
    assert (tmp_path / "site" / EXAMPLE_ID / "1.0.0" / "bindings.yaml").read_bytes() == EXAMPLE_BINDINGS.read_bytes()


def test_the_catalogue_named_by_the_environment_and_an_unsigned_app_allowed(built, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MILLWRIGHT_CATALOG", str(tmp_path / "shared"))

    code, out, _ = run(capsys, "publish", str(built[0]), "--allow-unsigned")
    assert code == 0 and f"(unsigned) to catalog:{tmp_path / 'shared'}" in out
    code, out, _ = run(capsys, "install", str(built[0]), "--into", str(tmp_path / "site"), "--bind",
                       str(EXAMPLE_BINDINGS), "--allow-unsigned")
    assert code == 0 and "(unsigned, as allowed)" in out
    assert (tmp_path / "shared" / "index.json").is_file()


def test_a_registry_round_trip_through_the_command_line(signed, oci_registry, tmp_path, capsys):
    archive, key = signed
    url = oci_registry.url("cli")

    code, out, _ = run(capsys, "publish", str(archive), "--to", url, "--trust", str(key.pem))
    assert code == 0 and f"{oci_registry.host}/cli/{EXAMPLE_ID}:1.0.0" in out
    code, out, _ = run(capsys, "list", "--from", url)
    assert code == 0 and f"signed by {key.fingerprint[:16]}…" in out
    code, out, _ = run(capsys, "pull", EXAMPLE_ID, "--from", url, "-o", str(tmp_path / "pulled"))
    assert code == 0 and (tmp_path / "pulled" / archive.name).read_bytes() == archive.read_bytes()
    bad = tmp_path / "bad-bindings.yaml"
    bad.write_text(EXAMPLE_BINDINGS.read_text(encoding="utf-8").replace("unit: A", "unit: degC"), encoding="utf-8")
    code, _, err = run(capsys, "install", EXAMPLE_ID, "--from", url, "--into", str(tmp_path / "site"), "--bind",
                       str(bad), "--trust", str(key.pem))
    assert code == 1 and "input 'motor_current' cannot read pump-station-opcua/motor_current: 'degC' cannot be " \
                         "converted to 'A'" in err
    assert not (tmp_path / "site").exists()


def test_mistakes_end_with_a_message_not_a_traceback(free_tcp_port, capsys):
    host = f"127.0.0.1:{free_tcp_port()}"
    code, _, err = run(capsys, "list", "--from", f"oci://{host}/apps", "--timeout", "5")
    assert code == 1 and f"The registry {host} cannot be reached" in err
    code, _, err = run(capsys, "search", "--lifecycle", "operations", "--from", "catalog:/nonexistent")
    assert code == 1 and "'operations' is not a lifecycle stage" in err
    code, _, err = run(capsys, "pull", "org.example.app@1.0", "--from", "catalog:/nonexistent")
    assert code == 1 and "'1.0' is not a semantic version" in err
