"""The publisher keys this machine trusts: one PEM file per key, named by its fingerprint.

The store is ``platformdirs.user_config_dir("millwright")/trusted-keys`` unless a folder is
given or ``MILLWRIGHT_TRUST_DIR`` names one. ``FINGERPRINT.pem`` holds the public key after two
comment lines, its name and the day it was added, so that the file alone says what it is::

    # name: Acme pump apps
    # added: 2026-11-30
    -----BEGIN PUBLIC KEY-----
    …

A file whose key does not have the fingerprint of its name is ignored and reported: whoever
renamed it cannot make the store trust another key under a known fingerprint.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app_packager.errors import AppError
from app_packager.signing import fingerprint, parse_public_key, public_pem, read_public_key
from nodes.atomic_file import atomic_write_bytes

TRUST_DIR_ENV = "MILLWRIGHT_TRUST_DIR"
MIN_PREFIX = 8  # hex digits of a fingerprint that name a key to remove


@dataclass(frozen=True)
class TrustedKey:
    fingerprint: str
    name: str
    added: str  # ISO date
    public_key: Ed25519PublicKey


def trust_dir(folder: Path | None = None) -> Path:
    """The trust store: ``folder``, else ``$MILLWRIGHT_TRUST_DIR``, else the user's config folder."""
    if folder is not None:
        return Path(folder)
    if os.environ.get(TRUST_DIR_ENV):
        return Path(os.environ[TRUST_DIR_ENV])
    return Path(platformdirs.user_config_dir("millwright")) / "trusted-keys"


def trusted_keys(folder: Path | None = None) -> tuple[list[TrustedKey], list[str]]:
    """The trusted keys by fingerprint order, and the problems of the store's files that were skipped."""
    store = trust_dir(folder)
    keys, problems = [], []
    for path in sorted(store.glob("*.pem")) if store.is_dir() else []:
        try:
            keys.append(_read_entry(path))
        except AppError as exc:
            problems.append(str(exc))
    return keys, problems


def add_trusted_key(pem: Path, name: str = "", folder: Path | None = None) -> tuple[TrustedKey, bool]:
    """Trust the public key in the PEM file ``pem``; returns it and whether it is new to the store.

    ``name`` defaults to the file's name without ``.pub.pem``. A key trusted already keeps its
    name and date.
    """
    pem = Path(pem)
    public_key = read_public_key(pem)
    key_id = fingerprint(public_key)
    existing = next((k for k in trusted_keys(folder)[0] if k.fingerprint == key_id), None)
    if existing is not None:
        return existing, False
    name = " ".join((name or pem.name.removesuffix(".pem").removesuffix(".pub")).split())  # one line
    key = TrustedKey(key_id, name, dt.datetime.now(dt.UTC).date().isoformat(), public_key)
    store = trust_dir(folder)
    store.mkdir(parents=True, exist_ok=True)
    header = f"# name: {key.name}\n# added: {key.added}\n"
    atomic_write_bytes(store / f"{key_id}.pem", header.encode("utf-8") + public_pem(public_key))
    return key, True


def remove_trusted_key(fingerprint_or_prefix: str, folder: Path | None = None) -> TrustedKey:
    """Stop trusting the key with this fingerprint, or the only one starting with this prefix."""
    key = find_trusted_key(fingerprint_or_prefix, folder)
    (trust_dir(folder) / f"{key.fingerprint}.pem").unlink()
    return key


def find_trusted_key(fingerprint_or_prefix: str, folder: Path | None = None) -> TrustedKey:
    """The trusted key named by a fingerprint or a unique prefix of at least :data:`MIN_PREFIX` hex digits."""
    prefix = fingerprint_or_prefix.strip().lower()
    if len(prefix) < MIN_PREFIX or any(c not in "0123456789abcdef" for c in prefix):
        raise AppError(f"'{fingerprint_or_prefix}' is not a fingerprint: give at least {MIN_PREFIX} of its hex "
                       "digits (see `millwright app trust list`)")
    matches = [k for k in trusted_keys(folder)[0] if k.fingerprint.startswith(prefix)]
    if not matches:
        raise AppError(f"no trusted key has a fingerprint starting with {prefix} (see `millwright app trust list`)")
    if len(matches) > 1:
        raise AppError(f"{prefix} starts the fingerprints of {len(matches)} keys "
                       f"({', '.join(k.name or k.fingerprint[:16] for k in matches)}); give more digits")
    return matches[0]


def trusted_public_keys(folder: Path | None = None, extra: Iterable[Path] = ()) -> dict[str, Ed25519PublicKey]:
    """Fingerprint → key: the trust store's keys and those in the PEM files ``extra`` (``--trust KEY.pem``)."""
    keys = {k.fingerprint: k.public_key for k in trusted_keys(folder)[0]}
    for pem in extra:
        public_key = read_public_key(pem)
        keys[fingerprint(public_key)] = public_key
    return keys


def _read_entry(path: Path) -> TrustedKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AppError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    public_key = parse_public_key(data, str(path))
    actual = fingerprint(public_key)
    if actual != path.stem:
        raise AppError(f"{path}: holds the key {actual}, not the one its name says; it is not trusted")
    header = {}
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.startswith("# "):
            break
        field, _, value = line[2:].partition(":")
        header[field.strip()] = value.strip()
    return TrustedKey(actual, header.get("name", ""), header.get("added", ""), public_key)
