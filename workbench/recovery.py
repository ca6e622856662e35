"""Recovery copies of unsaved work, written while a project is dirty and offered after a crash."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from workbench.jsonfile import FileFormatError, read_json, write_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecoveryEntry:
    """One project's unsaved state as it was at ``saved_at`` (seconds since the epoch)."""

    file: Path
    project_root: Path
    project_name: str
    saved_at: float
    snapshot: dict[str, Any]


class RecoveryStore:
    """A folder of recovery copies, one file per project folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _file_for(self, project_root: Path) -> Path:
        key = hashlib.sha256(str(Path(project_root).resolve()).encode()).hexdigest()[:16]
        return self.folder / f"{key}.json"

    def save(self, project_root: Path, project_name: str, snapshot: dict[str, Any]) -> Path:
        """Write (atomically) the recovery copy of a project."""
        self.folder.mkdir(parents=True, exist_ok=True)
        file = self._file_for(project_root)
        write_json(file, {"project_root": str(Path(project_root).resolve()),
                          "project_name": project_name, "saved_at": time.time(),
                          "pid": os.getpid(), "pid_started": psutil.Process().create_time(),
                          "snapshot": snapshot})
        return file

    def discard(self, project_root: Path) -> None:
        """Forget the recovery copy of a project (after it was saved or closed on purpose)."""
        self._file_for(project_root).unlink(missing_ok=True)

    def pending(self) -> list[RecoveryEntry]:
        """Recovery copies left by a session that did not end normally, newest first.

        Copies that belong to another workbench still running are not offered.
        """
        entries = []
        for file in sorted(self.folder.glob("*.json")):
            try:
                data = read_json(file)
                if not isinstance(data, dict):
                    raise TypeError("not a JSON object")
                if _still_running(data.get("pid"), data.get("pid_started")):
                    continue
                entries.append(RecoveryEntry(file, Path(data["project_root"]),
                                             str(data["project_name"]), float(data["saved_at"]),
                                             dict(data["snapshot"])))
            except (FileFormatError, KeyError, TypeError, ValueError, AttributeError) as exc:
                # A damaged recovery copy must not stop the workbench from starting.
                log.warning("Ignoring damaged recovery file %s: %s", file, exc)
        return sorted(entries, key=lambda e: e.saved_at, reverse=True)


def _still_running(pid: object, started: object) -> bool:
    """Whether the workbench that wrote a copy still runs (a reused PID after a reboot does not count)."""
    if pid == os.getpid() or not isinstance(pid, int):
        return False
    try:
        return abs(psutil.Process(pid).create_time() - float(started)) < 1.0
    except (psutil.Error, TypeError, ValueError):
        return False
