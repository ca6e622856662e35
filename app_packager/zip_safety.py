"""Reading an ``.iapp`` zip that a stranger may have crafted, without extracting anything.

An archive is checked in three passes, each before the next reads more of it:

1. the end record and the central directory: no comment or appended bytes, no zip64, at most
   :data:`MAX_ENTRIES` entries; each name a plain relative path (no ``..``, no absolute or drive
   path, no backslash, no control character), a regular file (no directory, symlink or special
   file), not encrypted, deflated or stored, unique even to a file system that ignores case,
   within the size caps, and not compressed beyond :data:`MAX_RATIO` to one;
2. the local headers: each names the same entry as the directory, and no two entries share bytes
   (the "overlapping files" zip bomb reuses one compressed stream for many entries);
3. the data, decompressed with a cap of the declared size plus one byte: an entry that yields
   more than it declared is refused as soon as the extra byte appears, and its CRC must match.

Every refusal names the entry. Only the standard library's parser of the central directory is
used; the entries' data is read from the file directly, so what is checked is what is read.
"""

from __future__ import annotations

import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app_packager.errors import AppError

MiB = 1024 * 1024
MAX_ENTRY_SIZE = 256 * MiB
MAX_TOTAL_SIZE = 1024 * MiB
MAX_RATIO = 200  # uncompressed : compressed, checked for entries over RATIO_CHECKED_ABOVE
RATIO_CHECKED_ABOVE = 1 * MiB  # small text compresses well beyond 200:1 (a file of spaces) and is harmless
MAX_ENTRIES = 10_000  # an app holds tens of files; the directory is read into memory before anything else
MAX_DIRECTORY_SIZE = 16 * MiB

_END = struct.Struct("<4s4H2LH")  # end of central directory record
_END_SIGNATURE = b"PK\x05\x06"
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED = 0x01 | 0x40  # traditional and strong encryption flag bits
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


class UnsafeArchiveError(AppError):
    """An archive refused before anything in it is used; the message names the archive and the entry."""


@dataclass(frozen=True)
class _Span:
    info: zipfile.ZipInfo
    data_start: int

    @property
    def data_end(self) -> int:
        return self.data_start + self.info.compress_size


def read_entries(path: Path) -> dict[str, bytes]:
    """Every entry of the zip at ``path`` by name, once all the checks above have passed.

    Raises :class:`UnsafeArchiveError` naming the archive and the first offending entry; nothing
    is written anywhere. The memory used is bounded by :data:`MAX_TOTAL_SIZE`.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            directory_start = _check_end_record(file, path)
            spans = _locate(file, _directory(file, path), directory_start, path)
            return {span.info.orig_filename: _read(file, span, path) for span in spans}
    except OSError as exc:
        raise AppError(f"{path}: cannot be read ({exc.strerror or exc})") from None


# -- pass 1: the end record and the central directory ---------------------------------------------

def _directory(file: BinaryIO, path: Path) -> list[zipfile.ZipInfo]:
    try:
        infos = zipfile.ZipFile(file).infolist()
    except (zipfile.BadZipFile, ValueError, struct.error) as exc:
        raise UnsafeArchiveError(f"{path.name}: the zip's directory is damaged ({exc})") from None
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        name = info.orig_filename
        problem = name_problem(name) or _kind_problem(info) or _size_problem(info)
        if problem:
            raise UnsafeArchiveError(f"{path.name}: entry {name!r} {problem}")
        folded = unicodedata.normalize("NFC", name).casefold()
        if folded in seen:
            raise UnsafeArchiveError(f"{path.name}: entry {name!r} {_duplicate(name, seen[folded])}")
        seen[folded] = name
        total += info.file_size
        if total > MAX_TOTAL_SIZE:
            raise UnsafeArchiveError(f"{path.name}: entry {name!r} takes the archive over {_size(MAX_TOTAL_SIZE)} "
                                     "uncompressed")
    return infos


def _check_end_record(file: BinaryIO, path: Path) -> int:
    """Where the central directory starts, once the end record has shown a small, single-file zip.

    The record must end the file (no comment, nothing appended) and its directory must end where
    the record starts (nothing prepended to the zip, which would shift every offset).
    """
    size = file.seek(0, 2)
    if size > MAX_TOTAL_SIZE:
        raise UnsafeArchiveError(f"{path.name}: the file is {_size(size)}; an app archive is at most "
                                 f"{_size(MAX_TOTAL_SIZE)}")
    if size < _END.size:
        raise UnsafeArchiveError(f"{path.name}: not a zip archive (the file is {size} bytes long)")
    file.seek(size - _END.size)
    signature, disk, first_disk, _, entries, directory_size, directory_start, comment = _END.unpack(
        file.read(_END.size))
    if signature != _END_SIGNATURE or comment:
        raise UnsafeArchiveError(_no_end_record(file, size, path))
    if disk or first_disk:
        raise UnsafeArchiveError(f"{path.name}: a zip split over several disks; an app archive is one file")
    if entries == 0xFFFF or directory_start == 0xFFFFFFFF or directory_size == 0xFFFFFFFF:
        raise UnsafeArchiveError(f"{path.name}: a zip64 archive; an app archive is never large enough to need it")
    if entries > MAX_ENTRIES or directory_size > MAX_DIRECTORY_SIZE:
        raise UnsafeArchiveError(f"{path.name}: {entries} entries in a directory of {_size(directory_size)}; "
                                 f"an app archive has at most {MAX_ENTRIES} entries")
    directory_end = size - _END.size
    if directory_start + directory_size != directory_end:
        raise UnsafeArchiveError(f"{path.name}: {directory_end - directory_start - directory_size} bytes that "
                                 "belong to no entry (data prepended to the zip, or between its directory and "
                                 "its end record); an archive built by Millwright has none")
    return directory_start


def _no_end_record(file: BinaryIO, size: int, path: Path) -> str:
    tail_start = max(0, size - 0x10000 - _END.size)
    file.seek(tail_start)
    found = file.read().rfind(_END_SIGNATURE)
    if found < 0:
        return f"{path.name}: not a zip archive (no end of central directory record)"
    return (f"{path.name}: {size - tail_start - found - _END.size} bytes follow the zip's end record (a comment "
            "or appended data, which no signature covers); an archive built by Millwright has none")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a file in an archive that may be unpacked anywhere, or None."""
    if not name:
        return "has an empty name"
    if any(ord(c) < 0x20 or c == "\x7f" for c in name):
        return "has a control character in its name"
    if "\\" in name:
        return "has a backslash in its name (a folder separator on Windows): write folders with '/'"
    if name.startswith("/") or ":" in name:
        return "is an absolute path, a drive or a Windows stream name: entries must be relative paths"
    if name.endswith("/"):
        return "is a folder entry where only files are expected"
    parts = name.split("/")
    if ".." in parts:
        return "climbs out of the folder it is unpacked into ('..' in its path: zip-slip)"
    if "" in parts or "." in parts:
        return "has an empty or '.' folder in its path"
    return None


def _kind_problem(info: zipfile.ZipInfo) -> str | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "is a symbolic link; an app archive holds regular files only"
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG) or info.external_attr & 0x10:  # 0x10: MS-DOS folder flag
        return "is a folder or special file; an app archive holds regular files only"
    if info.flag_bits & _ENCRYPTED:
        return "is encrypted; an app archive is signed, not encrypted"
    if info.compress_type not in _METHODS:
        return f"is compressed with zip method {info.compress_type}; only stored and deflated entries are read"
    return None


def _size_problem(info: zipfile.ZipInfo) -> str | None:
    if info.file_size > MAX_ENTRY_SIZE:
        return f"is {_size(info.file_size)} uncompressed; an entry may be at most {_size(MAX_ENTRY_SIZE)}"
    if info.file_size > RATIO_CHECKED_ABOVE and info.file_size > MAX_RATIO * info.compress_size:
        ratio = info.file_size / max(info.compress_size, 1)
        return (f"expands {ratio:,.0f} times ({_size(info.compress_size)} to {_size(info.file_size)}), which marks "
                f"a zip bomb; at most {MAX_RATIO}:1 is accepted")
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        return f"is stored uncompressed but declares {info.compress_size} bytes stored for {info.file_size}"
    return None


def _duplicate(name: str, first: str) -> str:
    if name == first:
        return "appears twice; unpacking would keep only one of them"
    return (f"and entry {first!r} differ only by letter case or Unicode form: on Windows and macOS one would "
            "overwrite the other")


# -- pass 2: local headers and overlaps ----------------------------------------------------------

def _locate(file: BinaryIO, infos: list[zipfile.ZipInfo], directory_start: int, path: Path) -> list[_Span]:
    """Where each entry's data lies, checked against the local headers; no bytes belong to two entries."""
    spans = sorted((_span(file, info, path) for info in infos), key=lambda s: s.info.header_offset)
    if spans and spans[0].info.header_offset:
        raise UnsafeArchiveError(f"{path.name}: {spans[0].info.header_offset} bytes precede the first entry "
                                 f"{spans[0].info.orig_filename!r} (data prepended to the zip)")
    bounds = [s.info.header_offset for s in spans[1:]] + [directory_start]
    for span, bound in zip(spans, bounds, strict=True):
        if span.data_end > bound:
            raise UnsafeArchiveError(f"{path.name}: entry {span.info.orig_filename!r} overlaps the next entry or "
                                     "the directory (entries sharing compressed data mark a zip bomb)")
    return sorted(spans, key=lambda s: s.info.orig_filename)


def _span(file: BinaryIO, info: zipfile.ZipInfo, path: Path) -> _Span:
    file.seek(info.header_offset)
    header = file.read(_LOCAL.size)
    fields = _LOCAL.unpack(header) if len(header) == _LOCAL.size else None
    shown = info.orig_filename
    if fields is None or fields[0] != _LOCAL_SIGNATURE:
        raise UnsafeArchiveError(f"{path.name}: entry {shown!r} has no local header where the directory points")
    name_length, extra_length = fields[10], fields[11]
    local_name = file.read(name_length)
    central_name = shown.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
    if local_name != central_name:
        raise UnsafeArchiveError(f"{path.name}: entry {shown!r} is named {local_name!r} in its local header "
                                 "(two names for one entry: tools would disagree on what it is)")
    if fields[3] & _ENCRYPTED:
        raise UnsafeArchiveError(f"{path.name}: entry {shown!r} is encrypted; an app archive is signed, not encrypted")
    return _Span(info, info.header_offset + _LOCAL.size + name_length + extra_length)


# -- pass 3: the data, with a hard cap -----------------------------------------------------------

def _read(file: BinaryIO, span: _Span, path: Path) -> bytes:
    info, shown = span.info, span.info.orig_filename
    file.seek(span.data_start)
    raw = file.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise UnsafeArchiveError(f"{path.name}: entry {shown!r} is cut short (the file ends inside it)")
    if info.compress_type == zipfile.ZIP_STORED:
        data = raw
    else:
        data = _inflate(raw, info.file_size, f"{path.name}: entry {shown!r}")
    if zlib.crc32(data) != info.CRC:
        raise UnsafeArchiveError(f"{path.name}: entry {shown!r} is damaged (its CRC-32 does not match its data)")
    return data


def _inflate(raw: bytes, size: int, where: str) -> bytes:
    """``raw`` deflated data, decompressed to at most ``size`` + 1 bytes: the extra byte proves a lie."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, size + 1)
    except zlib.error as exc:
        raise UnsafeArchiveError(f"{where} is damaged ({exc})") from None
    if len(data) > size:
        raise UnsafeArchiveError(f"{where} holds more than the {size} bytes it declares (a zip bomb hides its "
                                 "size this way)")
    if not inflater.eof or len(data) < size:
        raise UnsafeArchiveError(f"{where} is cut short: it holds {len(data)} of the {size} bytes it declares")
    if inflater.unused_data:
        raise UnsafeArchiveError(f"{where} has {len(inflater.unused_data)} bytes after its compressed data")
    return data


def _size(size: int) -> str:
    if size >= MiB:
        return f"{size / MiB:,.1f} MiB"
    return f"{size:,} bytes"
