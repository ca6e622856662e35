"""The project folders whose Python this user trusts to run (script components in ``components/``).

Opening a project must not run a stranger's code, so a project with ``components/*.py`` is asked
about once — "Trust this folder?", as code editors do for workspaces — and the answer is kept
per user in ``platformdirs.user_config_dir("millwright")/trusted-folders.json``: one entry per
folder, keyed by the SHA-256 of its resolved path (the file lists no paths of the user's
projects), with the day it was trusted. The workbench asks; ``millwright run-graph`` and
``millwright app build`` accept a folder trusted here or ``--trust``. Apps installed from signed
archives are trusted through their publisher's signature instead (:mod:`app_packager.verify`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path

import platformdirs

from nodes.atomic_file import atomic_write_text

STORE_NAME = "trusted-folders.json"
log = logging.getLogger(__name__)


def store_path() -> Path:
    """The trust store of the current user."""
    return Path(platformdirs.user_config_dir("millwright")) / STORE_NAME


def folder_key(folder: Path) -> str:
    """The store's key of ``folder``: the SHA-256 of its resolved path (moving a project asks again)."""
    return hashlib.sha256(str(Path(folder).resolve()).encode("utf-8")).hexdigest()


class TrustedFolders:
    """The user's trusted project folders; read on each question, so two workbenches agree."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else store_path()

    def is_trusted(self, folder: Path) -> bool:
        return folder_key(folder) in self._read()

    def trust(self, folder: Path) -> None:
        """Remember ``folder`` as trusted (written whole or not at all)."""
        entries = self._read()
        entries[folder_key(folder)] = {"trusted": dt.date.today().isoformat()}
        self._write(entries)

    def forget(self, folder: Path) -> bool:
        """Trust ``folder`` no more; False when it was not trusted."""
        entries = self._read()
        if entries.pop(folder_key(folder), None) is None:
            return False
        self._write(entries)
        return True

    def _read(self) -> dict[str, dict]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            # A damaged store trusts nothing: asking again is safe, running code unasked is not.
            log.warning("%s cannot be read (%s); no project folder is trusted until it is fixed", self.path, exc)
            return {}
        folders = data.get("folders") if isinstance(data, dict) else None
        return dict(folders) if isinstance(folders, dict) else {}

    def _write(self, entries: dict[str, dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps({"schema_version": 1, "folders": dict(sorted(entries.items()))},
                                                indent=2) + "\n")
