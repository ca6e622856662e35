import contextlib
import errno
import os
import signal
import stat
from collections.abc import Iterator

import pytest

from nodes.atomic_file import TEMP_PREFIX, atomic_write_bytes, atomic_write_text, remove_stale_temp_files


def test_replaces_content_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old\n")
    atomic_write_text(target, "new ✓\n")
    assert target.read_bytes() == "new ✓\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_keeps_the_permissions_the_user_gave_the_file(tmp_path):
    target = tmp_path / "a.json"
    target.write_text("x")
    os.chmod(target, 0o640)
    atomic_write_text(target, "y")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_files_follow_the_umask_not_mkstemps_0600(tmp_path):
    target = tmp_path / "new.json"
    atomic_write_text(target, "y")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask


@contextlib.contextmanager
def _file_size_limit(size: int) -> Iterator[None]:
    """Make every write past ``size`` bytes fail with EFBIG, as a full disk fails a write midway.

    RLIMIT_FSIZE holds for root too (folder permissions do not), and SIGXFSZ, which would kill
    the process, is ignored so the write returns the error instead.
    """
    resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE is POSIX only")
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, old_limit[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")
    limit = 64 * 1024
    # The temporary file is created and filled up to the limit before the write fails, so only
    # the cleanup in atomic_write_bytes can remove it (a write that raised before creating it,
    # as this test once did, passed with no cleanup at all).
    with _file_size_limit(limit), pytest.raises(OSError) as failure:
        atomic_write_bytes(target, b"x" * (4 * limit))
    assert failure.value.errno == errno.EFBIG
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_a_failed_fsync_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    atomic_write_text(target, "old")
    written = []

    def failing_fsync(fd: int) -> None:
        # An I/O error reported at fsync (a network share, a failing disk): the temporary file
        # exists and holds the new content at this point.
        written.extend(p.read_text() for p in tmp_path.glob(f"{TEMP_PREFIX}*.tmp"))
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="Input/output error"):
        atomic_write_text(target, "new")
    monkeypatch.undo()
    assert written == ["new"]  # the failure came after the temporary file was written
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_target_is_a_folder_raises_and_cleans_up(tmp_path):
    (tmp_path / "a.json").mkdir()
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "a.json", "x")
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_stale_temporary_files_are_removed(tmp_path):
    stale = tmp_path / f"{TEMP_PREFIX}abc.tmp"
    stale.write_text("half")
    keep = tmp_path / "notes.tmp"
    keep.write_text("mine")
    assert remove_stale_temp_files(tmp_path) == [stale]
    assert keep.exists() and not stale.exists()
