"""User preferences, window layout and recent projects, kept as JSON in the config folder."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from workbench.jsonfile import FileFormatError, read_json, write_json

log = logging.getLogger(__name__)

LANGUAGES = ("system", "en", "zh_CN")
THEMES = ("system", "light", "dark")
MAX_RECENT = 10


@dataclass
class Settings:
    """Everything the workbench remembers between sessions.

    ``window_geometry`` and ``window_state`` are base64 text of Qt's own opaque blobs.
    """

    language: str = "system"
    theme: str = "system"
    autosave_seconds: int = 60
    recent_projects: list[str] = field(default_factory=list)
    window_geometry: str = ""
    window_state: str = ""

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read settings; a missing or damaged file gives defaults and a log line, never an error.

        A damaged file is moved aside (see :func:`keep_damaged_copy`) before the defaults are
        used, because the next save would otherwise replace it and the recent-projects list in
        it would be gone for good.
        """
        path = Path(path)
        if not path.exists():
            return cls()
        try:
            data = read_json(path)
        except FileFormatError as exc:
            _reset_warning(path, str(exc))
            return cls()
        if not isinstance(data, dict):
            _reset_warning(path, f"{path} does not hold a JSON object")
            return cls()
        settings = cls()
        for f in fields(cls):
            value = data.get(f.name, getattr(settings, f.name))
            if type(value) is type(getattr(settings, f.name)):
                setattr(settings, f.name, value)
            else:
                log.warning("Setting %r in %s has the wrong type; using the default", f.name, path)
        if settings.language not in LANGUAGES:
            settings.language = "system"
        if settings.theme not in THEMES:
            settings.theme = "system"
        settings.autosave_seconds = max(5, settings.autosave_seconds)
        settings.recent_projects = [p for p in settings.recent_projects if isinstance(p, str)]
        return settings

    def save(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_json(path, asdict(self))

    def add_recent(self, project_root: Path) -> None:
        """Put a project at the top of the recent list (most recent first, no duplicates)."""
        entry = str(Path(project_root).resolve())
        self.recent_projects = [entry] + [p for p in self.recent_projects if p != entry]
        del self.recent_projects[MAX_RECENT:]

    def forget_recent(self, project_root: Path) -> None:
        entry = str(Path(project_root).resolve())
        self.recent_projects = [p for p in self.recent_projects if p != entry]


def keep_damaged_copy(path: Path) -> Path:
    """Move a damaged settings file aside and return where it went; never overwrite a backup.

    The first backup is ``settings.json.bak``, the name a user (or a support answer) looks
    for. If that exists it is an older damaged copy, kept as it is, and this one gets the time
    it was found: ``settings.json.20250131-142501.bak`` (a counter is added if that exists
    too), so names sort by age. The file is renamed, not copied: a rename keeps the exact bytes
    and the date of the last write, and works for a file this user may not even read.
    Raises :class:`OSError` if the file cannot be moved.
    """
    path = Path(path)
    candidate = path.with_name(f"{path.name}.bak")
    if candidate.exists():
        stamp = time.strftime("%Y%m%d-%H%M%S")
        candidate = path.with_name(f"{path.name}.{stamp}.bak")
        count = 1
        while candidate.exists():
            count += 1
            candidate = path.with_name(f"{path.name}.{stamp}-{count}.bak")
    os.replace(path, candidate)
    return candidate


def _reset_warning(path: Path, problem: str) -> None:
    """Keep the damaged file and say so in the log (the Log panel shows WARNING records)."""
    if not path.is_file():  # a folder in its place: nothing of the user's to keep or to lose
        log.warning("Settings were reset because %s", problem)
        return
    try:
        backup = keep_damaged_copy(path)
    except OSError as exc:
        log.warning("Settings were reset because %s. The damaged file could not be kept (%s) and will be "
                    "replaced when settings are next saved", problem, exc.strerror or exc)
        return
    log.warning("Settings were reset because %s. The damaged file %s was kept as %s", problem, path, backup)
