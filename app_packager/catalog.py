"""The local app catalogue: a folder that engineers can share, back up or keep in git.

Layout (docs/apps.md)::

    PATH/index.json                        every app, version, classification, signer and hash
    PATH/ID/VERSION/ID-VERSION.iapp        the archives, byte for byte as published
    PATH/.index.lock                       taken while the index changes (never committed)

``index.json`` is written atomically with sorted keys and an indent, so a change diffs as the
lines of the one version added. Publishers in several processes take an exclusive lock on
``.index.lock`` around reading, changing and writing the index, so none loses another's entry.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app_packager.errors import AppError
from app_packager.publish import Publisher, Release, read_archive, write_checked
from nodes.atomic_file import atomic_write_bytes, atomic_write_text

INDEX = "index.json"
LOCK = ".index.lock"
INDEX_SCHEMA_VERSION = 1


class Catalog(Publisher):
    """The catalogue in ``folder`` (created on the first publish)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.url = f"catalog:{self.folder}"

    def publish(self, archive: Path) -> str:
        published = read_archive(archive)
        release = published.release
        target = self.folder / self.archive_path(release)
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._locked():
            index = self._read_index()
            held = index["apps"].get(release.id, {}).get(release.version)
            if held is not None:
                if held["sha256"] != release.sha256:
                    raise AppError(f"{release.id} {release.version} is already in {self.url} with other content "
                                   f"(SHA-256 {held['sha256'][:12]}…, this file {release.sha256[:12]}…): a published "
                                   "version never changes; give the app a new version")
                return str(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, published.data)
            index["apps"].setdefault(release.id, {})[release.version] = release.to_data()
            atomic_write_text(self.folder / INDEX, json.dumps(index, indent=2, sort_keys=True, ensure_ascii=False)
                              + "\n")
        return str(target)

    def releases(self, app_id: str | None = None) -> list[Release]:
        apps = self._read_index()["apps"]
        chosen = [app_id] if app_id is not None else sorted(apps)
        try:
            return [Release.from_data(i, version, data) for i in chosen for version, data in apps.get(i, {}).items()]
        except (KeyError, TypeError, ValueError) as exc:
            raise AppError(f"{self.folder / INDEX}: an entry is incomplete ({exc}); was the file edited by hand?") \
                from None

    def fetch(self, release: Release, target: Path) -> None:
        source = self.folder / self.archive_path(release)
        try:
            with open(source, "rb") as file:
                write_checked(iter(lambda: file.read(1 << 20), b""), target, release, str(source))
        except FileNotFoundError:
            raise AppError(f"{source}: the catalogue lists {release.id} {release.version} but its archive is "
                           "missing") from None

    @staticmethod
    def archive_path(release: Release) -> Path:
        """Where a version's archive lives, relative to the catalogue folder."""
        return Path(release.id) / release.version / release.archive_name

    # -- the index ------------------------------------------------------------------------------
    def _read_index(self) -> dict[str, Any]:
        path = self.folder / INDEX
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"schema_version": INDEX_SCHEMA_VERSION, "apps": {}}
        except (OSError, UnicodeDecodeError) as exc:
            raise AppError(f"{path}: the catalogue's index cannot be read ({exc})") from None
        try:
            index = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AppError(f"{path} (line {exc.lineno}, column {exc.colno}): the catalogue's index is not valid "
                           f"JSON: {exc.msg}") from None
        if not isinstance(index, dict) or not isinstance(index.get("apps"), dict):
            raise AppError(f"{path}: not a Millwright catalogue index (no 'apps')")
        if index.get("schema_version", 0) > INDEX_SCHEMA_VERSION:
            raise AppError(f"{path}: written by a newer Millwright (index version {index['schema_version']}); "
                           "update Millwright to use this catalogue")
        return index

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock on the catalogue between processes, held until the index is written."""
        with open(self.folder / LOCK, "a+b") as lock:
            _lock(lock.fileno())
            try:
                yield
            finally:
                _unlock(lock.fileno())


if os.name == "nt":  # pragma: no cover - the suite runs on Linux
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
