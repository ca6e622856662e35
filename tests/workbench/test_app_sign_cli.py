"""``millwright app keygen|sign|verify|trust`` as a publisher and a site run them."""

from __future__ import annotations

import datetime as dt
import stat
import zipfile

import keyring
import pytest

from app_packager.archive import write_archive
from app_packager.signing import KEYRING_SERVICE
from tests.app_packager.test_signing import file_keyring  # noqa: F401 (a fixture, used by name)
from tests.app_packager.test_verify import example_app_entries
from workbench.cli import main

ARCHIVE_NAME = "org.millwright.examples.pump-efficiency-1.0.0.iapp"


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / ARCHIVE_NAME
    write_archive(path, example_app_entries())
    return path


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The trust store, through the environment as a site's service would set it."""
    monkeypatch.setenv("MILLWRIGHT_TRUST_DIR", str(tmp_path / "trusted"))
    return tmp_path / "trusted"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["app", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def fingerprint_in(out: str) -> str:
    return next(line.split()[-1] for line in out.splitlines() if line.startswith("Fingerprint:"))


@pytest.mark.usefixtures("file_keyring")
def test_publish_side_and_site_side_round_trip(tmp_path, capsys, archive, store, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "keygen", "--name", "acme")
    assert code == 0 and "the keyring (service millwright-app-signing, user acme)" in out
    key_id = fingerprint_in(out)
    assert keyring.get_password(KEYRING_SERVICE, "acme").startswith("-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "acme.pub.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")

    code, out, _ = run(capsys, "sign", str(archive), "--key", "acme")
    assert code == 0 and out == f"Signed {archive} with key {key_id}\n"

    code, out, _ = run(capsys, "verify", str(archive))
    assert code == 1
    assert out.splitlines()[:2] == ["✓ archive structure: 6 entries, none unsafe",
                                    f"✗ signature: {ARCHIVE_NAME}!RECORD.sig: signed by key {key_id}, which is not "
                                    "trusted here; trust the publisher's public key with `millwright app trust add "
                                    "KEY.pem`, or name it for this check with --trust KEY.pem"]
    assert out.splitlines()[-2:] == [f"Publisher key: {key_id} (not trusted)", f"{archive}: NOT verified"]

    code, out, _ = run(capsys, "trust", "add", "acme.pub.pem", "--name", "Acme Pumps")
    assert code == 0 and out.startswith(f"Trusted {key_id} (Acme Pumps) in {store}")
    code, out, _ = run(capsys, "verify", str(archive))
    assert code == 0
    assert [line[:2] for line in out.splitlines()[:5]] == ["✓ "] * 5
    assert f"Publisher key: {key_id} (Acme Pumps)" in out and out.endswith(f"{archive}: verified\n")

    code, out, _ = run(capsys, "trust", "list")
    header, row = out.splitlines()
    assert header.split() == ["FINGERPRINT", "ADDED", "NAME"]
    assert row.split(maxsplit=2) == [key_id, dt.datetime.now(dt.UTC).date().isoformat(), "Acme Pumps"]
    code, out, _ = run(capsys, "trust", "remove", key_id[:10])
    assert code == 0 and out == f"No longer trusted: {key_id} (Acme Pumps)\n"
    assert run(capsys, "trust", "list")[1] == f"No trusted keys in {store}\n"


def test_a_key_given_with_trust_is_accepted_for_one_check(tmp_path, capsys, archive, store):
    (tmp_path / "keys").mkdir()
    code, out, _ = run(capsys, "keygen", "--file", str(tmp_path / "keys" / "acme.pem"), "--public-out",
                       str(tmp_path / "acme.pub.pem"))
    assert code == 0 and f"{tmp_path / 'keys' / 'acme.pem'} (readable by you only)" in out
    assert stat.S_IMODE((tmp_path / "keys" / "acme.pem").stat().st_mode) == 0o600
    assert run(capsys, "sign", str(archive), "--key-file", str(tmp_path / "keys" / "acme.pem"))[0] == 0
    code, out, _ = run(capsys, "verify", str(archive), "--trust", str(tmp_path / "acme.pub.pem"))
    assert code == 0 and "(a key given with --trust)" in out
    assert not store.exists()  # --trust does not add the key to the store


def test_keygen_refuses_a_private_key_inside_a_project(tmp_path, capsys):
    project = tmp_path / "pump_station"
    project.mkdir()
    (project / "project.json").write_text("{}")
    code, _, err = run(capsys, "keygen", "--file", str(project / "signing.pem"), "--public-out",
                       str(tmp_path / "p.pub.pem"))
    assert code == 1 and err.startswith(f"millwright: {project / 'signing.pem'}: lies in the project {project}")
    assert sorted(p.name for p in project.iterdir()) == ["project.json"]
    assert not (tmp_path / "p.pub.pem").exists()


@pytest.mark.usefixtures("file_keyring")
def test_keygen_keeps_an_existing_public_key_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "default.pub.pem").write_text("someone's key")
    code, _, err = run(capsys, "keygen")
    assert code == 1 and "default.pub.pem: exists already" in err
    assert keyring.get_password(KEYRING_SERVICE, "default") is None  # nothing half made


def test_an_unsigned_app_verifies_only_when_allowed(capsys, archive, store):
    code, out, _ = run(capsys, "verify", str(archive))
    assert code == 1 and f"✗ signature: {ARCHIVE_NAME}: not signed (no RECORD.sig)" in out
    code, out, _ = run(capsys, "verify", str(archive), "--allow-unsigned")
    assert code == 0 and "✓ signature: unsigned, accepted as asked (--allow-unsigned)" in out


def test_verify_names_the_unsafe_entry_of_a_crafted_archive(tmp_path, capsys, store):
    path = tmp_path / "crafted.iapp"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app.yaml", b"x")
        archive.writestr("../../etc/cron.d/evil", b"* * * * * root sh\n")
    code, out, _ = run(capsys, "verify", str(path))
    assert code == 1
    assert out.splitlines()[0] == ("✗ archive structure: crafted.iapp: entry '../../etc/cron.d/evil' climbs out of "
                                   "the folder it is unpacked into ('..' in its path: zip-slip)")


@pytest.mark.usefixtures("file_keyring")
def test_sign_with_a_missing_key_says_how_to_make_one(capsys, archive):
    code, _, err = run(capsys, "sign", str(archive), "--key", "nobody")
    assert code == 1 and "no signing key named 'nobody'" in err


def test_a_key_name_that_cannot_name_a_file_is_refused(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["app", "keygen", "--name", "../acme"])
    assert exited.value.code == 2 and "is not a key name" in capsys.readouterr().err
