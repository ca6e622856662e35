"""The trust store: publisher keys by fingerprint, with a name and the day they were added."""

from __future__ import annotations

import datetime as dt

import pytest

from app_packager.errors import AppError
from app_packager.signing import fingerprint, generate_key, write_public_key
from app_packager.trust import (
    add_trusted_key,
    remove_trusted_key,
    trust_dir,
    trusted_keys,
    trusted_public_keys,
)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "trusted-keys"


def public_file(folder, name: str):
    key = generate_key().public_key()
    path = folder / f"{name}.pub.pem"
    write_public_key(path, key)
    return path, fingerprint(key)


def test_the_store_folder_follows_the_argument_then_the_environment_then_the_config_folder(tmp_path, monkeypatch,
                                                                                             user_dirs):
    monkeypatch.delenv("MILLWRIGHT_TRUST_DIR", raising=False)
    assert trust_dir() == user_dirs / "config" / "millwright" / "trusted-keys"
    monkeypatch.setenv("MILLWRIGHT_TRUST_DIR", str(tmp_path / "env"))
    assert trust_dir() == tmp_path / "env"
    assert trust_dir(tmp_path / "given") == tmp_path / "given"


def test_a_key_is_added_listed_and_removed_by_fingerprint(tmp_path, store):
    path, key_id = public_file(tmp_path, "acme")
    key, added = add_trusted_key(path, folder=store)
    assert added and (key.fingerprint, key.name) == (key_id, "acme")
    assert key.added == dt.datetime.now(dt.UTC).date().isoformat()
    assert sorted(p.name for p in store.iterdir()) == [f"{key_id}.pem"]
    (listed,), problems = trusted_keys(store)
    assert (listed.fingerprint, listed.name, listed.added, problems) == (key_id, "acme", key.added, [])
    assert set(trusted_public_keys(store)) == {key_id}
    assert remove_trusted_key(key_id, store).fingerprint == key_id
    assert trusted_keys(store) == ([], [])


def test_adding_a_trusted_key_again_keeps_its_name(tmp_path, store):
    path, _ = public_file(tmp_path, "acme")
    add_trusted_key(path, "Acme Pumps 泵业", store)
    key, added = add_trusted_key(path, "someone else", store)
    assert not added and key.name == "Acme Pumps 泵业"


def test_a_unique_prefix_of_eight_digits_removes_a_key(tmp_path, store):
    first, first_id = public_file(tmp_path, "a")
    second, second_id = public_file(tmp_path, "b")
    add_trusted_key(first, folder=store)
    add_trusted_key(second, folder=store)
    with pytest.raises(AppError, match="at least 8"):
        remove_trusted_key(first_id[:7], store)
    elsewhere = "".join("1" if c == "0" else "0" for c in first_id[:8])  # differs from first_id in every digit
    with pytest.raises(AppError, match="no trusted key"):
        remove_trusted_key(elsewhere, store)
    assert remove_trusted_key(first_id[:8].upper(), store).fingerprint == first_id
    assert [k.fingerprint for k in trusted_keys(store)[0]] == [second_id]


def test_a_renamed_file_is_not_trusted_under_another_fingerprint(tmp_path, store):
    path, key_id = public_file(tmp_path, "a")
    add_trusted_key(path, folder=store)
    other_id = "f" * 64
    (store / f"{key_id}.pem").rename(store / f"{other_id}.pem")
    keys, problems = trusted_keys(store)
    assert keys == [] and f"holds the key {key_id}, not the one its name says" in problems[0]
    assert trusted_public_keys(store) == {}
