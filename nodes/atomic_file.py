"""Crash-safe file writes: the reader sees the old file or the new one, never a torn one.

The new content goes to a temporary file in the same folder, is flushed to disk with
``fsync``, then replaces the target with ``os.replace`` (atomic on POSIX and Windows), and
the folder entry itself is synced so the rename survives a power cut. Every layer writes files
this way (projects, graphs, recordings, audit logs), so it lives in the lowest one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

TEMP_PREFIX = ".~millwright-"


class AtomicFile:
    """A temporary file beside ``path`` that replaces it on :meth:`commit`, or vanishes on :meth:`abort`.

    For writers that stream (recordings): write to :attr:`tmp`, then commit.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = _create_temp(self.path.parent)

    def commit(self) -> None:
        try:
            fd = os.open(self.tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            if self.path.exists():  # keep the permissions the user gave the file
                os.chmod(self.tmp, self.path.stat().st_mode & 0o7777)
            os.replace(self.tmp, self.path)
        except BaseException:
            self.abort()
            raise
        _fsync_dir(self.path.parent)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


def _create_temp(folder: Path) -> Path:
    """A new empty file; created with mode 0666 so the kernel applies the user's umask
    (mkstemp's 0600 would hide outputs from colleagues, and reading the umask is racy)."""
    for _ in range(100):
        candidate = Path(folder) / f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return candidate
        except FileExistsError:
            continue
    raise FileExistsError(f"cannot create a temporary file in {folder}")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; on any error the old file is untouched."""
    target = AtomicFile(path)
    try:
        with open(target.tmp, "wb") as tmp:
            tmp.write(data)
    except BaseException:
        target.abort()
        raise
    target.commit()


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with UTF-8 ``text`` atomically (``\\n`` line endings on every OS)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def remove_stale_temp_files(folder: Path) -> list[Path]:
    """Delete temporary files left by a write that was killed before its rename."""
    removed = []
    for tmp in Path(folder).glob(f"{TEMP_PREFIX}*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
