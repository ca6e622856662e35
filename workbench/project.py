"""A Millwright project: a folder that engineers can keep under git.

Layout::

    my-project/
      project.json      name, schema version, Millwright version that wrote it
      devices/  graphs/  components/  data/  apps/

``project.json`` is written with sorted keys and two-space indentation, atomically.
Keys this version does not know are kept and written back unchanged, so a file edited by a
plug-in or a newer minor release loses nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psygnal import Signal

from device_browser.store.files import GITIGNORE_PATTERNS, STORE_COMPANIONS, STORE_SUFFIX
from nodes.atomic_file import TEMP_PREFIX, atomic_write_text, remove_stale_temp_files
from nodes.json_structure import StructureProblem, shipped_schema, structure_problems
from workbench import __version__
from workbench.jsonfile import FileFormatError, dumps_stable, read_json

SCHEMA_VERSION = 1
PROJECT_FILE = "project.json"
PROJECT_FOLDERS = ("devices", "graphs", "components", "data", "apps")
_KNOWN_KEYS = {"schema_version", "name", "description", "millwright_version"}


class ProjectError(Exception):
    """A project cannot be opened, created or saved; ``str()`` is a message for the user."""

    def __init__(self, message: str, path: Path | None = None):
        super().__init__(message)
        self.path = path


class CopyCancelled(Exception):
    """The user cancelled Save As while the project folder was being copied."""


class Project:
    """The open project: its folder, its metadata and whether it has unsaved changes.

    Every change goes through a setter that bumps :attr:`revision` and emits ``changed``;
    views listen and never write the fields directly.
    """

    changed = Signal(str)  # name of the field that changed
    dirty_changed = Signal(bool)
    root_changed = Signal(object)

    def __init__(self, root: Path, name: str, description: str = "", *,
                 file_schema: int = SCHEMA_VERSION, written_by: str = __version__,
                 extra: dict[str, Any] | None = None, read_only_reason: str | None = None):
        self.root = Path(root)
        self.name = name
        self.description = description
        self.file_schema = file_schema
        self.written_by = written_by
        self.extra = dict(extra or {})
        self.read_only_reason = read_only_reason
        self.revision = 0
        self._saved_revision = 0

    # -- life cycle -------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, name: str) -> Project:
        """Create a new project folder (which must not exist or be empty) and save it."""
        root = Path(root).expanduser().resolve()
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise ProjectError(f"Cannot create a project in {root}: the folder is not empty.", root)
        if not name.strip():
            raise ProjectError("A project needs a name.", root)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"Cannot create the folder {root}: {exc.strerror}.", root) from None
        project = cls(root, name.strip())
        project.save()
        # what `millwright app build` writes, and recording stores (large, binary, live while recording)
        atomic_write_text(root / ".gitignore", "\n".join(("build/", *GITIGNORE_PATTERNS)) + "\n")
        return project

    @classmethod
    def open(cls, location: Path, *, remove_temp_files: bool = True) -> Project:
        """Open the project in folder ``location`` (or whose ``project.json`` it names).

        ``project.json`` is checked against ``resources/schemas/project.schema.json``; every
        problem is named with its key, line and column. Temporary files left by a killed save are
        removed unless ``remove_temp_files`` is false (``project check`` only reports them).
        """
        location = Path(location).expanduser().resolve()
        root = location.parent if location.name == PROJECT_FILE else location
        if not root.is_dir():
            raise ProjectError(f"{root} is not a folder, so it cannot be a Millwright project.", root)
        path = root / PROJECT_FILE
        if not path.exists():
            raise ProjectError(f"{root} is not a Millwright project: it has no {PROJECT_FILE}.", path)
        try:
            document = read_json(path)
        except FileFormatError as exc:
            raise ProjectError(str(exc), path) from None
        project = cls._from_document(root, document, _text_for_positions)
        if project.read_only_reason is None and remove_temp_files:
            remove_stale_temp_files(root)
        return project

    @classmethod
    def _from_document(cls, root: Path, document: Any,
                       text: Callable[[Path], str | None] = lambda path: None) -> Project:
        path = root / PROJECT_FILE
        problems = project_problems(document)
        if problems:  # positions only now: finding them reads the file again
            problems = project_problems(document, text(path))
            raise ProjectError("\n".join(p.describe(str(path)) for p in problems), path)
        schema = document["schema_version"]
        name = document["name"]
        description = document.get("description", "")
        written_by = str(document.get("millwright_version", "unknown"))
        reason = None
        if schema > SCHEMA_VERSION:
            reason = (f"{path} was written by Millwright {written_by} (project schema {schema}); "
                      f"this Millwright {__version__} understands schema {SCHEMA_VERSION} and older. "
                      "The project is open read-only so that nothing in it is lost; "
                      "update Millwright to edit it.")
        extra = {k: v for k, v in document.items() if k not in _KNOWN_KEYS}
        return cls(root, name, description, file_schema=schema, written_by=written_by,
                   extra=extra, read_only_reason=reason)

    # -- state ------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def dirty(self) -> bool:
        return self.revision != self._saved_revision

    def set_name(self, name: str) -> None:
        if not name.strip():
            raise ProjectError("A project needs a name.", self.path)
        self._set("name", name.strip())

    def set_description(self, description: str) -> None:
        self._set("description", description)

    def _set(self, field: str, value: Any) -> None:
        if self.read_only:
            raise ProjectError(self.read_only_reason or "", self.path)
        if getattr(self, field) == value:
            return
        was_dirty = self.dirty
        setattr(self, field, value)
        self.revision += 1
        self.changed.emit(field)
        if not was_dirty:
            self.dirty_changed.emit(True)

    def document(self) -> dict[str, Any]:
        """The content of ``project.json`` as it would be saved now."""
        return {**self.extra, "schema_version": SCHEMA_VERSION, "name": self.name,
                "description": self.description, "millwright_version": __version__}

    def snapshot(self) -> dict[str, Any]:
        """Unsaved state for crash recovery (see :mod:`workbench.recovery`)."""
        return {"project.json": self.document()}

    def restore(self, snapshot: dict[str, Any]) -> None:
        """Apply a recovery snapshot; the project is dirty afterwards."""
        recovered = self._from_document(self.root, snapshot["project.json"])
        self.extra = recovered.extra
        self._set("name", recovered.name)
        self._set("description", recovered.description)
        if not self.dirty:  # the snapshot matched the file: still offer to save it once
            self.revision += 1
            self.dirty_changed.emit(True)

    # -- saving -------------------------------------------------------------------------
    def save(self) -> None:
        """Write ``project.json`` atomically and create the standard sub-folders."""
        revision = self.revision
        self.write(self.root, dumps_stable(self.document()))
        self.mark_saved(revision)

    def write(self, root: Path, text: str) -> None:
        """Write serialised ``project.json`` text into ``root``; safe to call from a worker thread."""
        if self.read_only:
            raise ProjectError(self.read_only_reason or "", self.path)
        try:
            for folder in PROJECT_FOLDERS:
                (root / folder).mkdir(parents=True, exist_ok=True)
            atomic_write_text(root / PROJECT_FILE, text)
        except OSError as exc:
            # Name what the user knows: a folder we made, else project.json (not our temporary file).
            named = exc.filename and TEMP_PREFIX not in Path(exc.filename).name
            where = exc.filename if named else root / PROJECT_FILE
            raise ProjectError(f"Cannot save the project to {where}: {exc.strerror}.", root) from None

    def mark_saved(self, revision: int) -> None:
        """Record that ``revision`` is on disk; later edits keep the project dirty."""
        self._saved_revision = revision
        self.file_schema = SCHEMA_VERSION
        self.written_by = __version__
        self.dirty_changed.emit(self.dirty)

    def move_to(self, root: Path) -> None:
        """Point the project at ``root`` after Save As copied it there."""
        self.root = Path(root)
        self.root_changed.emit(self.root)


def project_problems(document: Any, text: str | None = None) -> list[StructureProblem]:
    """What ``project.schema.json`` refuses in a ``project.json`` document; ``text`` adds line and column."""
    return structure_problems(document, shipped_schema("project.schema.json"), text)


def _text_for_positions(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def copy_project_tree(source: Path, target: Path,
                      progress: Callable[[int, int], None] = lambda done, total: None,
                      cancelled: Callable[[], bool] = lambda: False) -> None:
    """Copy a project folder for Save As, file by file so that it can report and be cancelled.

    ``.git`` and temporary files are not copied. On cancel or error the partial copy is removed
    and the source is untouched.
    """
    source, target = Path(source), Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ProjectError(f"Cannot save the project into {target}: the folder is not empty.", target)
    try:
        if target.resolve().is_relative_to(source.resolve()):
            raise ProjectError(f"Cannot save the project inside its own folder ({target}).", target)
        files = list(_project_files(source))
        total = sum(p.stat().st_size for p in files)
        done = 0
        target.mkdir(parents=True, exist_ok=True)
        for file in files:
            if cancelled():
                raise CopyCancelled()
            destination = target / file.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            if file.name.endswith(STORE_SUFFIX):
                _copy_store(file, destination)
            else:
                shutil.copy2(file, destination)
            done += file.stat().st_size
            progress(done, total)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise ProjectError(f"Cannot copy the project to {target}: {exc.strerror} "
                           f"({exc.filename}).", target) from None
    except CopyCancelled:
        shutil.rmtree(target, ignore_errors=True)
        raise


_STORE_COMPANION_FILES = tuple(STORE_SUFFIX + companion for companion in STORE_COMPANIONS)


def _project_files(source: Path):
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            # A recording store is copied whole through SQLite (its -wal holds committed samples).
            if not name.startswith(TEMP_PREFIX) and not name.endswith(_STORE_COMPANION_FILES):
                yield Path(folder) / name


def _copy_store(source: Path, destination: Path) -> None:
    """A consistent copy of a recording store, also while a recorder writes to it (SQLite's backup).

    Copying the file and its -wal separately could catch them at different moments: a copy that
    misses committed samples or does not open.
    """
    reader = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        writer = sqlite3.connect(destination)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    except sqlite3.Error as exc:
        raise OSError(0, f"the recording store cannot be copied ({exc})", str(source)) from None
    finally:
        reader.close()
