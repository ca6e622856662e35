"""Publisher keys and signatures: ed25519 over an archive's RECORD (see ``docs/apps.md``).

A publisher's private key lives in the OS keyring (service :data:`KEYRING_SERVICE`, the key's
name as user, PKCS#8 PEM text) or in a PEM file readable by its owner only, and never in a
project folder, which is shared through git. The public key is a PEM file given to sites; it is
known by its fingerprint, the lower-case hex SHA-256 of its raw 32 bytes.

``RECORD.sig`` is canonical JSON (sorted keys, no spaces): ed25519 signatures are deterministic,
so signing the same archive with the same key always gives the same bytes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app_packager.archive import RECORD, SIGNATURE, digest, parse_record, record_bytes, write_archive
from app_packager.errors import AppError
from app_packager.zip_safety import read_entries
from nodes.atomic_file import atomic_write_bytes

KEYRING_SERVICE = "millwright-app-signing"
DEFAULT_KEY_NAME = "default"  # the key `app keygen` makes and `app sign` uses unless told another
ALGORITHM = "ed25519"
PROJECT_FILE = "project.json"  # marks a project folder (workbench.project, which this layer cannot import)
MAX_SIGNATURE_SIZE = 4096  # RECORD.sig is some 200 bytes: anything larger is not parsed at all


@dataclass(frozen=True)
class Signature:
    """The content of ``RECORD.sig``: which key signed RECORD, and the signature."""

    key: str  # the signing key's fingerprint
    signature: bytes

    def matches(self, record: bytes, public_key: Ed25519PublicKey) -> bool:
        """Whether this is ``public_key``'s signature of ``record``."""
        try:
            public_key.verify(self.signature, record)
        except InvalidSignature:
            return False
        return True

    def to_bytes(self) -> bytes:
        data = {"algorithm": ALGORITHM, "key": self.key, "signature": base64.b64encode(self.signature).decode("ascii")}
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("ascii")


# -- keys ------------------------------------------------------------------------------------------

def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """The lower-case hex SHA-256 of the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def write_public_key(path: Path, public_key: Ed25519PublicKey) -> None:
    atomic_write_bytes(Path(path), public_pem(public_key))


def read_public_key(path: Path) -> Ed25519PublicKey:
    """The ed25519 public key in the PEM file ``path``; AppError names the file when it holds none."""
    return parse_public_key(_key_file(path, "public key"), str(path))


def parse_public_key(data: bytes, source: str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise AppError(f"{source}: not a PEM public key (it should start with -----BEGIN PUBLIC KEY-----)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise AppError(f"{source}: a {type(key).__name__.removeprefix('_')} key; app signatures use ed25519 keys "
                       "(make one with `millwright app keygen`)")
    return key


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _parse_private_key(data: bytes, source: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:  # TypeError: the key is protected by a password
        raise AppError(f"{source}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AppError(f"{source}: not an ed25519 private key; make one with `millwright app keygen`")
    return key


def create_key_pair(name: str, public_file: Path, private_file: Path | None = None) -> Ed25519PrivateKey:
    """A new key: its private half in the keyring as ``name`` (or in ``private_file``), its public half in
    ``public_file``.

    Refused before anything is made when ``public_file`` exists (it may be another key's); the
    private half follows :func:`store_private_key` or :func:`write_private_key_file`.
    """
    public_file = Path(public_file)
    if public_file.exists():
        raise AppError(f"{public_file}: exists already; choose another file for the public key")
    key = generate_key()
    if private_file is not None:
        write_private_key_file(private_file, key)
    else:
        store_private_key(name, key)
    write_public_key(public_file, key.public_key())
    return key


# -- private key storage -------------------------------------------------------------------------------

def project_holding(path: Path) -> Path | None:
    """The project folder that ``path`` would lie in (its folder or a parent holds project.json), or None."""
    folder = Path(path).resolve().parent  # resolved: a linked folder may lead into a project
    return next((p for p in (folder, *folder.parents) if (p / PROJECT_FILE).is_file()), None)


def write_private_key_file(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` to a new PEM file that only its owner can read (mode 0600 from its creation).

    Refused when ``path`` lies in a project (projects are shared through git) or already exists
    (an existing key is never overwritten). The file appears whole or not at all.
    """
    path = Path(path)
    project = project_holding(path)
    if project is not None:
        raise AppError(f"{path}: lies in the project {project}; a private key must never be kept in a project "
                       "(it would be shared with the project). Choose a file outside it, or use the keyring")
    exists = AppError(f"{path}: exists already; a private key is never overwritten. Choose another file")
    if path.exists():
        raise exists
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(_private_pem(key))
                file.flush()
                os.fsync(file.fileno())
            os.link(tmp, path)  # unlike a rename, a link never replaces a file that appeared meanwhile
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    except FileExistsError:
        raise exists from None
    except OSError as exc:
        raise AppError(f"{path}: cannot write the key file ({exc.strerror or exc})") from None


def read_private_key_file(path: Path) -> Ed25519PrivateKey:
    return _parse_private_key(_key_file(path, "private key"), str(path))


def _key_file(path: Path, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise AppError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None


def store_private_key(name: str, key: Ed25519PrivateKey) -> None:
    """Keep ``key`` in the OS keyring as ``name``; an existing key of that name is never replaced."""
    import keyring.errors  # here, not at the top: verifying (the runtime) needs no keyring

    if _keyring_text(name) is not None:
        raise AppError(f"a signing key named '{name}' is in the keyring already; choose another --name")
    text = _private_pem(key).decode("ascii")
    try:
        keyring.set_password(KEYRING_SERVICE, name, text)
    except keyring.errors.KeyringError as exc:
        raise AppError(f"the keyring cannot keep the key '{name}' ({exc}); write it to a file with --file PATH "
                       "instead") from None
    if _keyring_text(name) != text:  # the null backend accepts and keeps nothing
        raise AppError(f"the keyring on this machine does not keep keys; write '{name}' to a file with --file PATH "
                       "instead")


def load_private_key(name: str) -> Ed25519PrivateKey:
    """The key ``name`` from the OS keyring."""
    text = _keyring_text(name)
    if text is None:
        raise AppError(f"no signing key named '{name}' in the keyring (service {KEYRING_SERVICE}); make one with "
                       f"`millwright app keygen --name {name}`, or sign with --key-file PATH")
    return _parse_private_key(text.encode("ascii"), f"keyring key '{name}'")


def _keyring_text(name: str) -> str | None:
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, name)
    except keyring.errors.KeyringError as exc:
        raise AppError(f"the keyring cannot be read ({exc})") from None


# -- signatures ---------------------------------------------------------------------------------------

def sign_record(record: bytes, key: Ed25519PrivateKey) -> Signature:
    return Signature(fingerprint(key.public_key()), key.sign(record))


def parse_signature(data: bytes, source: str = SIGNATURE) -> Signature:
    """RECORD.sig's content; AppError when it is anything but the small JSON object of docs/apps.md."""
    if len(data) > MAX_SIGNATURE_SIZE:
        raise AppError(f"{source}: {len(data):,} bytes; a signature is a few hundred")
    try:
        fields = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AppError(f"{source}: not JSON") from None
    if not isinstance(fields, dict) or set(fields) != {"algorithm", "key", "signature"}:
        raise AppError(f"{source}: expected the fields algorithm, key and signature")
    if fields["algorithm"] != ALGORITHM:
        raise AppError(f"{source}: signed with {fields['algorithm']!r}; only {ALGORITHM} signatures are accepted")
    key, text = fields["key"], fields["signature"]
    if not isinstance(key, str) or len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise AppError(f"{source}: the key {key!r} is not a fingerprint (64 lower-case hex digits)")
    try:
        signature = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except binascii.Error:
        signature = b""
    if len(signature) != 64:
        raise AppError(f"{source}: the signature is not 64 bytes of base64")
    return Signature(key, signature)


def record_problems(entries: Mapping[str, bytes]) -> list[str]:
    """How RECORD disagrees with the other entries: each one unlisted, missing or changed, by name."""
    if RECORD not in entries:
        return ["there is no RECORD: the archive lists no hashes of its files"]
    try:
        lines = parse_record(entries[RECORD])
    except AppError as exc:
        return [str(exc)]
    problems = [f"RECORD lists '{name}', which it must not (RECORD and RECORD.sig are not listed)"
                for name in sorted(lines) if name in (RECORD, SIGNATURE)]
    problems += [f"'{name}' is in the archive but not in RECORD" for name in sorted(entries)
                 if name not in lines and name not in (RECORD, SIGNATURE)]
    for name, line in sorted(lines.items()):
        data = entries.get(name)
        if data is None and name not in (RECORD, SIGNATURE):
            problems.append(f"RECORD lists '{name}', which is not in the archive")
        elif data is not None and (digest(data) != line.digest or len(data) != line.size):
            problems.append(f"'{name}' does not match its hash in RECORD: it was changed after the build")
    return problems


def sign_archive(path: Path, key: Ed25519PrivateKey) -> Signature:
    """Sign the archive at ``path`` in place: its entries unchanged, RECORD.sig added or replaced.

    The archive is read through :func:`~app_packager.zip_safety.read_entries`; an archive whose
    RECORD no longer matches its entries is refused (it was changed after the build, and a
    signature would vouch for the change). Signing again with the same key gives the same bytes.
    """
    path = Path(path)
    entries = read_entries(path)
    problems = record_problems(entries) if RECORD in entries else []
    if problems:
        raise AppError(f"{path.name}: {problems[0]}; rebuild the app before signing it")
    unsigned = {name: data for name, data in entries.items() if name not in (RECORD, SIGNATURE)}
    signature = sign_record(record_bytes(unsigned), key)
    write_archive(path, unsigned, signature.to_bytes())
    return signature
