"""Schema revisions of a store, with Alembic configured in code (no alembic.ini).

:func:`prepare` brings a store to the newest revision this code knows, in one transaction (on
PostgreSQL under an advisory lock, on SQLite under the write lock, so two programs opening an old
store at once upgrade it once), or says why it cannot: a store written by a newer Millwright is
left alone and opened read-only by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from device_browser.store.schema import VERSION_TABLE

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x4D57_5354  # "MWST": the advisory lock id migrations hold on PostgreSQL


@dataclass(frozen=True)
class Revision:
    """Where a store stands: its revision (None = empty) and the newest this code knows."""

    current: str | None
    head: str
    known: bool

    @property
    def newer(self) -> bool:
        """Written by a newer version: a revision this code has never heard of."""
        return self.current is not None and not self.known

    @property
    def outdated(self) -> bool:
        return self.current != self.head and not self.newer


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration for the store's migrations, pointing inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["version_table"] = VERSION_TABLE
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    return _scripts().get_current_head()


def revision_of(connection: sa.Connection) -> Revision:
    current = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
    known = current is None or current in {s.revision for s in _scripts().walk_revisions()}
    return Revision(current, head(), known)


def prepare(engine: sa.Engine, target: str = "head") -> Revision:
    """Upgrade the store to ``target`` unless it is newer than this code; the revision found first.

    Everything happens in one transaction: a power cut during an upgrade leaves the old revision.
    """
    with engine.connect() as connection:
        connection.execution_options(store_write=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK})
            found = revision_of(connection)
            if not found.newer and found.current != (head() if target == "head" else target):
                command.upgrade(alembic_config(connection), target)
    return found
