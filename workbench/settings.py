"""User preferences, window layout and recent projects, kept as JSON in the config folder."""

from __future__ import annotations

import logging
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
        """Read settings; a missing or damaged file gives defaults and a log line, never an error."""
        if not Path(path).exists():
            return cls()
        try:
            data = read_json(path)
        except FileFormatError as exc:
            log.warning("Settings were reset because %s", exc)
            return cls()
        if not isinstance(data, dict):
            log.warning("Settings were reset because %s does not hold a JSON object", path)
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
