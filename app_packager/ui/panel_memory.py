"""What the App panel remembers between sessions: recent publish targets and the signing keys used.

Kept as JSON in the user's config folder (``app-panel.json`` beside the workbench's settings),
never in a project: a target may name a private registry and a key file's path is personal.
The keyring cannot list its entries, so the names of keyring keys made or used here are
remembered to offer them again. Nothing secret is stored: a key is named, never copied.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import platformdirs

from nodes.atomic_file import atomic_write_text

FILE_NAME = "app-panel.json"
MAX_RECENT = 8
log = logging.getLogger(__name__)


def memory_path() -> Path:
    return Path(platformdirs.user_config_dir("millwright", appauthor=False)) / FILE_NAME


@dataclass
class PanelMemory:
    """Recent targets (newest first), signing keys (``keyring:NAME`` or ``file:PATH``), the last choices."""

    targets: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    sign: bool = False
    path: Path = field(default_factory=memory_path, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | None = None) -> PanelMemory:
        """What was saved at ``path``; defaults (and a log line) when it is missing or damaged."""
        path = Path(path) if path is not None else memory_path()
        memory = cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return memory
        except (OSError, ValueError) as exc:
            log.warning("The App panel's remembered targets and keys in %s could not be read (%s); starting afresh",
                        path, exc)
            return memory
        if isinstance(data, dict):
            memory.targets = _strings(data.get("targets"))
            memory.keys = _strings(data.get("keys"))
            memory.sign = data.get("sign") is True
        return memory

    def save(self) -> None:
        """Write the file (on a worker thread: the panel calls it through ``in_worker``)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        atomic_write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def remember_target(self, target: str) -> None:
        self.targets = _first(target, self.targets)

    def remember_key(self, key: str) -> None:
        self.keys = _first(key, self.keys)


def _first(item: str, items: list[str]) -> list[str]:
    return ([item] + [i for i in items if i != item])[:MAX_RECENT]


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)][:MAX_RECENT] if isinstance(value, list) else []
