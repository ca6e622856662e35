"""Publisher keys and signatures: key files and the keyring, RECORD.sig, signing an archive reproducibly."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import keyring
import keyring.backends.null
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from keyrings.alt.file import PlaintextKeyring

from app_packager.archive import RECORD, SIGNATURE, record_bytes, write_archive, zip_bytes
from app_packager.errors import AppError
from app_packager.signing import (
    KEYRING_SERVICE,
    fingerprint,
    generate_key,
    load_private_key,
    parse_signature,
    read_private_key_file,
    read_public_key,
    record_problems,
    sign_archive,
    store_private_key,
    write_private_key_file,
    write_public_key,
)
from app_packager.zip_safety import read_entries

ENTRIES = {"app.yaml": b"id: org.example.pump\n", "graph.json": b'{"nodes": []}\n',
           "tests/nominal/input.csv": b"time,flow\n0,12.5\n"}


@pytest.fixture
def file_keyring(tmp_path):
    """keyrings.alt's PlaintextKeyring writing to a file in tmp_path: the real keyring is never touched."""
    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "org.example.pump-1.0.0.iapp"
    write_archive(path, ENTRIES)
    return path


def test_the_fingerprint_is_the_hex_sha256_of_the_raw_public_key():
    key = generate_key().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32
    assert fingerprint(key) == hashlib.sha256(raw).hexdigest()


def test_a_private_key_file_is_readable_by_its_owner_only_and_reads_back(tmp_path):
    key = generate_key()
    path = tmp_path / "keys" / "publisher.pem"
    path.parent.mkdir()
    previous = os.umask(0)  # the mode must come from the creation itself, not from the user's umask
    try:
        write_private_key_file(path, key)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert fingerprint(read_private_key_file(path).public_key()) == fingerprint(key.public_key())
    assert sorted(p.name for p in path.parent.iterdir()) == ["publisher.pem"]  # no temporary file left


def test_missing_folders_of_a_private_key_file_are_made_for_its_owner_only(tmp_path):
    path = tmp_path / "keys" / "acme" / "publisher.pem"
    write_private_key_file(path, generate_key())
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_private_key_file_is_never_overwritten(tmp_path):
    path = tmp_path / "publisher.pem"
    write_private_key_file(path, generate_key())
    before = path.read_bytes()
    with pytest.raises(AppError, match="exists already"):
        write_private_key_file(path, generate_key())
    assert path.read_bytes() == before


@pytest.mark.parametrize("inside", ["publisher.pem", "keys/publisher.pem", "apps/pump/keys/publisher.pem"])
def test_a_private_key_is_refused_inside_a_project(tmp_path, inside):
    project = tmp_path / "pump_station"
    project.mkdir()
    (project / "project.json").write_text("{}")
    path = project / inside
    path.parent.mkdir(parents=True, exist_ok=True)
    with pytest.raises(AppError, match="must never be kept in a project") as caught:
        write_private_key_file(path, generate_key())
    assert str(project) in str(caught.value)
    assert not path.exists() and not list(path.parent.glob(".*.tmp"))


def test_a_private_key_is_refused_in_a_project_reached_through_a_link(tmp_path):
    project = tmp_path / "pump_station"
    project.mkdir()
    (project / "project.json").write_text("{}")
    (tmp_path / "elsewhere").symlink_to(project, target_is_directory=True)
    with pytest.raises(AppError, match="must never be kept in a project"):
        write_private_key_file(tmp_path / "elsewhere" / "publisher.pem", generate_key())
    assert sorted(p.name for p in project.iterdir()) == ["project.json"]


def test_a_private_key_beside_a_project_is_accepted(tmp_path):
    (tmp_path / "pump_station").mkdir()
    (tmp_path / "pump_station" / "project.json").write_text("{}")
    write_private_key_file(tmp_path / "publisher.pem", generate_key())
    assert (tmp_path / "publisher.pem").is_file()


def test_the_keyring_keeps_the_key_under_its_name(file_keyring):
    key = generate_key()
    store_private_key("acme", key)
    text = keyring.get_password(KEYRING_SERVICE, "acme")
    assert text.startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8 PEM
    assert fingerprint(load_private_key("acme").public_key()) == fingerprint(key.public_key())
    with pytest.raises(AppError, match="'acme' is in the keyring already"):
        store_private_key("acme", generate_key())
    assert keyring.get_password(KEYRING_SERVICE, "acme") == text


def test_a_missing_keyring_key_says_how_to_make_one(file_keyring):
    with pytest.raises(AppError, match=r"no signing key named 'nobody'.*app keygen --name nobody"):
        load_private_key("nobody")


def test_a_keyring_that_keeps_nothing_is_refused():
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    try:
        with pytest.raises(AppError, match=r"does not keep keys.*--file"):
            store_private_key("acme", generate_key())
    finally:
        keyring.set_keyring(previous)


def test_public_keys_round_trip_and_other_algorithms_are_refused(tmp_path):
    key = generate_key().public_key()
    write_public_key(tmp_path / "acme.pub.pem", key)
    assert fingerprint(read_public_key(tmp_path / "acme.pub.pem")) == fingerprint(key)
    ecdsa = generate_private_key(SECP256R1()).public_key()
    (tmp_path / "ec.pem").write_bytes(ecdsa.public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(AppError, match=r"ec\.pem.*use ed25519 keys"):
        read_public_key(tmp_path / "ec.pem")
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(AppError, match=r"junk\.pem: not a PEM public key"):
        read_public_key(tmp_path / "junk.pem")


def test_signing_twice_with_one_key_gives_the_same_bytes(archive, tmp_path):
    key = generate_key()
    signature = sign_archive(archive, key)
    first = archive.read_bytes()
    sign_archive(archive, key)
    assert archive.read_bytes() == first
    entries = read_entries(archive)
    assert {n: d for n, d in entries.items() if n not in (RECORD, SIGNATURE)} == ENTRIES  # files unchanged
    assert entries[RECORD] == record_bytes(ENTRIES)
    assert signature.key == fingerprint(key.public_key())


def test_record_sig_is_canonical_json(archive):
    key = generate_key()
    sign_archive(archive, key)
    text = read_entries(archive)[SIGNATURE].decode("ascii")
    data = json.loads(text)
    assert list(data) == ["algorithm", "key", "signature"] and data["algorithm"] == "ed25519"
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"))
    key.public_key().verify(base64.b64decode(data["signature"]), read_entries(archive)[RECORD])


def test_signing_again_with_another_key_replaces_the_signature(archive):
    sign_archive(archive, generate_key())
    other = generate_key()
    sign_archive(archive, other)
    assert parse_signature(read_entries(archive)[SIGNATURE]).key == fingerprint(other.public_key())


def test_an_archive_changed_after_its_build_is_not_signed(archive):
    entries = read_entries(archive)
    archive.write_bytes(zip_bytes({**entries, "graph.json": b'{"nodes": ["changed"]}\n'}))
    before = archive.read_bytes()
    with pytest.raises(AppError, match=r"'graph\.json' does not match its hash in RECORD.*rebuild"):
        sign_archive(archive, generate_key())
    assert archive.read_bytes() == before


def test_record_problems_name_each_entry():
    record = record_bytes(ENTRIES)
    changed = {**ENTRIES, "graph.json": b"{}", "extra.txt": b"x", RECORD: record}
    del changed["app.yaml"]
    assert record_problems(changed) == [
        "'extra.txt' is in the archive but not in RECORD",
        "RECORD lists 'app.yaml', which is not in the archive",
        "'graph.json' does not match its hash in RECORD: it was changed after the build"]
    assert record_problems({**ENTRIES, RECORD: record}) == []


@pytest.mark.parametrize(("data", "message"), [
    (b"not json", "not JSON"),
    (b"[]", "expected the fields"),
    (b'{"algorithm": "rsa", "key": "' + b"0" * 64 + b'", "signature": ""}', "only ed25519"),
    (b'{"algorithm": "ed25519", "key": "ABC", "signature": ""}', "not a fingerprint"),
    (b'{"algorithm": "ed25519", "key": "' + b"0" * 64 + b'", "signature": "!!"}', "not 64 bytes"),
    (b" " * 5000, "a signature is a few hundred"),
])
def test_a_malformed_signature_is_refused(data, message):
    with pytest.raises(AppError, match=message):
        parse_signature(data, "x.iapp!RECORD.sig")
