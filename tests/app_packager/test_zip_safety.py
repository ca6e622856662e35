"""Zip safety: crafted archives (zip-slip, absolute paths, links, duplicates, zip bombs, lies) refused by entry name.

Each archive is built by hand, with :mod:`zipfile` where it writes what we need and byte by byte
where it would refuse to. Every refusal must name the entry, and reading must leave the folder
around the archive exactly as it was.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from app_packager.archive import write_archive, zip_bytes
from app_packager.errors import AppError
from app_packager.zip_safety import (
    MAX_ENTRIES,
    MAX_RATIO,
    MiB,
    UnsafeArchiveError,
    name_problem,
    read_entries,
)

ENTRIES = {"app.yaml": b"id: x\n", "graph.json": b"{}\n", "tests/nominal/input.csv": b"time,flow\n0,1\n"}


def raw_entry(name: str, data: bytes, offset: int, *, deflate: bool = False, declared: int | None = None,
              stored_size: int | None = None, crc: int | None = None, flags: int = 0, mode: int = 0o100644,
              local_name: str | None = None) -> tuple[bytes, bytes]:
    """(local header + data, central directory header) of one entry, its local header at ``offset``.

    ``declared`` is the uncompressed size the headers claim, ``stored_size`` the compressed size,
    ``crc`` the CRC-32: each the true one unless given.
    """
    stored = _deflated(data) if deflate else data
    size = len(data) if declared is None else declared
    checksum = zlib.crc32(data) if crc is None else crc
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    encoded, local_encoded = name.encode(), (local_name or name).encode()
    compressed = len(stored) if stored_size is None else stored_size
    local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, flags, method, 0, 0x21, checksum, compressed, size,
                        len(local_encoded), 0) + local_encoded + stored
    central = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, flags, method, 0, 0x21, checksum,
                          compressed, size, len(encoded), 0, 0, 0, 0, mode << 16, offset) + encoded
    return local, central


def _deflated(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def end_record(count: int, directory_size: int, directory_start: int) -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, directory_size, directory_start, 0)


def raw_zip(entries: list[tuple[str, bytes, dict]]) -> bytes:
    """A zip of ``entries`` (name, data, :func:`raw_entry` options), one after the other."""
    body, directory = b"", b""
    for name, data, options in entries:
        local, central = raw_entry(name, data, len(body), **options)
        body += local
        directory += central
    return body + directory + end_record(len(entries), len(directory), len(body))


def zipfile_archive(*members: tuple[zipfile.ZipInfo | str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def unix(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = mode << 16
    return info


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


def refused(tmp_path: Path, data: bytes, *names: str) -> str:
    """The refusal of an archive holding ``data``; it names each of ``names``, and nothing was written."""
    work = tmp_path / "work"
    work.mkdir()
    archive = work / "crafted.iapp"
    archive.write_bytes(data)
    before = tree(tmp_path)
    with pytest.raises(UnsafeArchiveError) as caught:
        read_entries(archive)
    assert tree(tmp_path) == before
    message = str(caught.value)
    assert message.startswith("crafted.iapp: "), message
    for name in names:
        assert repr(name) in message, message
    return message


def test_an_archive_written_by_millwright_reads_back_entry_for_entry(tmp_path):
    path = tmp_path / "app.iapp"
    record = write_archive(path, ENTRIES)
    assert read_entries(path) == {**ENTRIES, "RECORD": record}


def test_a_stored_archive_reads_too(tmp_path):
    path = tmp_path / "stored.iapp"
    path.write_bytes(raw_zip([(name, data, {}) for name, data in ENTRIES.items()]))
    assert read_entries(path) == ENTRIES


@pytest.mark.parametrize(("name", "reason"), [
    ("../evil.sh", "zip-slip"),
    ("tests/../../evil.sh", "zip-slip"),
    ("/etc/cron.d/evil", "absolute"),
    ("//server/share/evil", "absolute"),
    ("C:/Windows/evil.dll", "drive"),
    ("C:evil.dll", "drive"),
    ("app.yaml:hidden", "stream"),
    ("..\\evil.bat", "backslash"),
    ("C:\\evil.bat", "backslash"),
    ("\\\\server\\share\\evil", "backslash"),
    ("tests//input.csv", "empty or '.' folder"),
    ("./app.yaml", "empty or '.' folder"),
    ("tests/", "folder entry"),
])
def test_unsafe_names_are_refused_naming_the_entry(tmp_path, name, reason):
    message = refused(tmp_path, zipfile_archive(("app.yaml", b"id: x\n"), (name, b"#!/bin/sh\n")), name)
    assert reason in message
    assert not (tmp_path / "evil.sh").exists() and not (tmp_path.parent / "evil.sh").exists()


def test_an_empty_name_is_refused(tmp_path):
    assert "empty name" in refused(tmp_path, raw_zip([("", b"x", {})]))


def test_a_name_with_a_nul_is_refused(tmp_path):
    # zipfile cuts such a name at the NUL when it writes or reads one; the check sees the name as stored
    assert "control character" in refused(tmp_path, raw_zip([("app.yaml\x00.sh", b"x", {})]), "app.yaml\x00.sh")


def test_plain_relative_names_pass():
    for name in ("app.yaml", "tests/nominal/input.csv", "devices/pump-station.yaml", "components/泵.json"):
        assert name_problem(name) is None


def test_a_symbolic_link_is_refused(tmp_path):
    link = unix("devices/pump.yaml", stat.S_IFLNK | 0o777)
    message = refused(tmp_path, zipfile_archive(("app.yaml", b"x"), (link, b"/etc/passwd")), "devices/pump.yaml")
    assert "symbolic link" in message


@pytest.mark.parametrize("mode", [stat.S_IFIFO | 0o644, stat.S_IFCHR | 0o644, stat.S_IFDIR | 0o755])
def test_special_files_and_folders_are_refused(tmp_path, mode):
    message = refused(tmp_path, zipfile_archive((unix("graph.json", mode), b"{}")), "graph.json")
    assert "folder or special file" in message


def test_an_exact_duplicate_is_refused(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = zipfile_archive(("graph.json", b"{}"), ("graph.json", b'{"evil": 1}'))
    assert "appears twice" in refused(tmp_path, data, "graph.json")


@pytest.mark.parametrize(("first", "second"), [("app.yaml", "APP.yaml"),
                                                ("components/caf\u00e9.json", "components/cafe\u0301.json")])
def test_names_equal_to_windows_or_macos_are_refused_as_duplicates(tmp_path, first, second):
    message = refused(tmp_path, zipfile_archive((first, b"a"), (second, b"b")), first, second)
    assert "Windows and macOS" in message


def test_an_encrypted_entry_is_refused(tmp_path):
    message = refused(tmp_path, raw_zip([("app.yaml", b"x", {}), ("graph.json", b"{}", {"flags": 0x1})]),
                      "graph.json")
    assert "encrypted" in message


def test_a_zip_bomb_is_refused_from_the_directory_before_anything_is_inflated(tmp_path):
    bomb = b"\0" * (8 * MiB)
    message = refused(tmp_path, zipfile_archive(("app.yaml", b"x"), ("tests/nominal/input.csv", bomb)),
                      "tests/nominal/input.csv")
    assert "zip bomb" in message and f"{MAX_RATIO}:1" in message


def test_a_small_entry_may_compress_well(tmp_path):
    path = tmp_path / "spaces.iapp"
    path.write_bytes(zipfile_archive(("graph.json", b" " * 500_000)))
    assert read_entries(path) == {"graph.json": b" " * 500_000}


def test_an_entry_over_the_size_cap_is_refused(tmp_path):
    data = raw_zip([("app.yaml", b"x", {}), ("tests/big.csv", b"", {"declared": 300 * MiB})])
    assert "at most 256.0 MiB" in refused(tmp_path, data, "tests/big.csv")


def test_entries_over_the_total_cap_are_refused(tmp_path):
    # Stored entries claiming 250 MiB each; the fifth passes 1 GiB before any data is read.
    huge = {"declared": 250 * MiB, "stored_size": 250 * MiB}
    entries = [(f"tests/part{i}.csv", b"", huge) for i in range(5)]
    data = raw_zip(entries)
    assert "over 1,024.0 MiB" in refused(tmp_path, data, "tests/part4.csv")


def test_a_declared_size_that_lies_is_refused_as_soon_as_one_byte_too_many_comes_out(tmp_path):
    # 4 MiB of data declared as 1,000 bytes, with the CRC of those 1,000 bytes: the directory looks harmless
    # (small, ratio unchecked), and a reader trusting it would stop silently after 1,000 bytes.
    data = bytes(range(256)) * (4 * MiB // 256)
    crafted = raw_zip([("app.yaml", b"x", {}),
                       ("graph.json", data, {"deflate": True, "declared": 1000, "crc": zlib.crc32(data[:1000])})])
    assert "more than the 1000 bytes it declares" in refused(tmp_path, crafted, "graph.json")


def test_an_entry_shorter_than_declared_is_refused(tmp_path):
    crafted = raw_zip([("graph.json", b"{}" * 100, {"deflate": True, "declared": 500})])
    assert "cut short" in refused(tmp_path, crafted, "graph.json")


def test_a_wrong_crc_is_refused(tmp_path):
    crafted = raw_zip([("graph.json", b"{}", {"crc": 12345})])
    assert "CRC-32" in refused(tmp_path, crafted, "graph.json")


def test_overlapping_entries_are_refused(tmp_path):
    # The 'overlapping files' zip bomb: entry b's local header and data lie inside entry a's data, so one
    # compressed stream is read for both (Fifield, "A better zip bomb", 2019).
    inner_local, _ = raw_entry("b.csv", b"1,2,3\n", 0)
    outer_local, outer_central = raw_entry("a.csv", inner_local, 0)
    _, inner_central = raw_entry("b.csv", b"1,2,3\n", len(outer_local) - len(inner_local))
    directory = outer_central + inner_central
    crafted = outer_local + directory + end_record(2, len(directory), len(outer_local))
    assert "overlaps" in refused(tmp_path, crafted, "a.csv")


def test_two_directory_records_sharing_one_local_header_are_refused(tmp_path):
    local, central_a = raw_entry("a.csv", b"1,2\n", 0)
    _, central_b = raw_entry("b.csv", b"1,2\n", 0)
    crafted = local + central_a + central_b + end_record(2, len(central_a) + len(central_b), len(local))
    assert "local header" in refused(tmp_path, crafted, "b.csv")


def test_a_local_header_naming_another_entry_is_refused(tmp_path):
    crafted = raw_zip([("app.yaml", b"x", {"local_name": "../evil.sh"})])
    assert "local header" in refused(tmp_path, crafted, "app.yaml")


def test_appended_data_is_refused(tmp_path):
    assert "follow the zip's end record" in refused(tmp_path, zip_bytes(ENTRIES) + b"appended, unsigned")


def test_a_comment_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.yaml", b"x")
        archive.comment = b"not covered by any signature"
    assert "a comment" in refused(tmp_path, buffer.getvalue())


def test_prepended_data_is_refused(tmp_path):
    assert "prepended" in refused(tmp_path, b"MZ\x90\x00 a program stub " + zip_bytes(ENTRIES))


def test_too_many_entries_are_refused_before_the_directory_is_read(tmp_path):
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, MAX_ENTRIES + 1, MAX_ENTRIES + 1, 0, 0, 0)
    assert f"at most {MAX_ENTRIES} entries" in refused(tmp_path, end)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    assert "not a zip archive" in refused(tmp_path, b"graph: this is YAML, not a zip\n" * 10)


def test_a_missing_file_is_an_app_error(tmp_path):
    with pytest.raises(AppError, match="cannot be read"):
        read_entries(tmp_path / "missing.iapp")
