"""The ``.iapp`` archive format: reproducible zip writing, RECORD and the signature entry.

See ``docs/apps.md``. Every entry is a regular file stored with deflate, a fixed timestamp and
mode 0644, in name order, so the same entries always give the same bytes. ``RECORD`` lists every
other entry as ``NAME,sha256=DIGEST,SIZE`` (the wheel convention, PEP 376/427) and ``RECORD.sig``
carries the publisher's signature over RECORD's bytes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app_packager.errors import AppError
from nodes.atomic_file import atomic_write_bytes

RECORD = "RECORD"
SIGNATURE = "RECORD.sig"
SUFFIX = ".iapp"
DOS_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
FILE_MODE = 0o100644  # a regular file, rw-r--r--


def build_timestamp() -> tuple[int, int, int, int, int, int]:
    """The entries' timestamp: ``SOURCE_DATE_EPOCH`` (reproducible-builds.org) or 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return DOS_EPOCH
    try:
        stamp = time.gmtime(int(epoch))
    except (ValueError, OverflowError):
        raise AppError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970") from None
    return max(DOS_EPOCH, tuple(stamp[:6]))


def digest(data: bytes) -> str:
    """``sha256=`` and the urlsafe base64 of the SHA-256 without padding, as in a wheel's RECORD."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class RecordLine:
    name: str
    digest: str
    size: int


def record_bytes(entries: Mapping[str, bytes]) -> bytes:
    """RECORD for ``entries`` (RECORD and RECORD.sig themselves excluded), sorted by name."""
    lines = [f"{name},{digest(data)},{len(data)}\n" for name, data in sorted(entries.items())
             if name not in (RECORD, SIGNATURE)]
    return "".join(lines).encode("utf-8")


def parse_record(data: bytes, source: str = RECORD) -> dict[str, RecordLine]:
    """RECORD's lines by entry name; a malformed or repeated line raises :class:`AppError` naming it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise AppError(f"{source}: not UTF-8 text") from None
    lines: dict[str, RecordLine] = {}
    for number, line in enumerate(text.splitlines(), 1):
        entry, hashed, size = ([*line.rsplit(",", 2), "", ""])[:3]
        if not entry or not hashed.startswith("sha256=") or not size.isdigit():
            raise AppError(f"{source} (line {number}): {line!r} is not NAME,sha256=DIGEST,SIZE")
        if entry in lines:
            raise AppError(f"{source} (line {number}): '{entry}' is listed twice")
        lines[entry] = RecordLine(entry, hashed, int(size))
    return lines


def write_archive(path: Path, entries: Mapping[str, bytes], signature: bytes | None = None) -> bytes:
    """Write ``entries`` plus their RECORD (and ``signature`` as RECORD.sig) to ``path`` atomically.

    Returns RECORD's bytes (what a signature signs). The same entries always give the same file.
    """
    record = record_bytes(entries)
    members = {name: data for name, data in entries.items() if name not in (RECORD, SIGNATURE)}
    members[RECORD] = record
    if signature is not None:
        members[SIGNATURE] = signature
    atomic_write_bytes(Path(path), zip_bytes(members))
    return record


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    """A zip of ``members`` in name order, every entry with the build timestamp and mode 0644."""
    stamp = build_timestamp()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the mode below is read as such
            info.external_attr = FILE_MODE << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()
