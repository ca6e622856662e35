"""Where a project keeps its embedded store and which files belong to it (no database imports here,
so the project model and ``project check`` can use it without loading SQLAlchemy).

SQLite in WAL mode keeps two companion files beside the store while it is open (``-wal`` holds
committed transactions not yet folded back, ``-shm`` the index of it). They are part of the store:
deleting the ``-wal`` file loses committed samples, so they are never "leftovers" to clean up, and a
project's git ignores them with the store itself.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_STORE_NAME = "recordings.sqlite"
STORE_SUFFIX = ".sqlite"
STORE_COMPANIONS = ("-wal", "-shm", "-journal")  # SQLite's own files beside a store
GITIGNORE_PATTERNS = (f"*{STORE_SUFFIX}", *(f"*{STORE_SUFFIX}{c}" for c in STORE_COMPANIONS))


def project_store_path(project_root: Path, *, create: bool = False) -> Path:
    """Where a project keeps its embedded store: ``data/recordings.sqlite`` (``create`` makes ``data/``)."""
    folder = Path(project_root) / "data"
    if create:
        folder.mkdir(exist_ok=True)
    return folder / DEFAULT_STORE_NAME


def is_store_file(name: str) -> bool:
    """A store or one of SQLite's companion files of a store (by name)."""
    return name.endswith(STORE_SUFFIX) or any(name.endswith(STORE_SUFFIX + c) for c in STORE_COMPANIONS)
