"""Engines for a store: an SQLite file (the embedded default) or a PostgreSQL server by URL.

SQLite runs in WAL mode (readers never wait for the writer, nor the writer for readers) with
``synchronous=FULL``: in WAL mode NORMAL may lose the last committed transactions in a power cut,
which a recorder promises not to do. Write transactions start with ``BEGIN IMMEDIATE``, so a second
writer waits (``busy_timeout``) for the first instead of failing half-way with "database is locked".
A read-only store is opened with SQLite's ``mode=ro`` or PostgreSQL's
``default_transaction_read_only``, so the database itself refuses writes, not only our code.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from pathlib import Path

import sqlalchemy as sa

from device_browser.store.errors import StoreError

BUSY_TIMEOUT_MS = 60_000  # a writer waits this long for another one before giving up


def parse_location(location: str | os.PathLike) -> sa.URL | Path:
    """A PostgreSQL URL (``postgresql+psycopg://`` or plain ``postgresql://``), or an SQLite file path."""
    text = os.fspath(location)
    if "://" not in text:
        return Path(text).expanduser()
    try:
        url = sa.make_url(text)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"'{text}' is not a store URL ({exc})") from None
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg"):
        return url.set(drivername="postgresql+psycopg")
    if url.drivername == "sqlite" and url.database:
        return Path(url.database).expanduser()
    raise StoreError(f"'{url.render_as_string(hide_password=True)}': a store is an SQLite file path or a "
                     "postgresql+psycopg://user@host/database URL")


def sqlite_engine(path: Path, *, read_only: bool) -> sa.Engine:
    """An engine on the SQLite file ``path``; a missing folder or file (read-only) is a clear error."""
    path = path.resolve()
    if not path.parent.is_dir():
        raise StoreError(f"{path}: the folder {path.parent} does not exist")
    if read_only and not path.exists():
        raise StoreError(f"{path}: the store does not exist")
    uri = f"file:{urllib.parse.quote(str(path))}?mode={'ro' if read_only else 'rwc'}"

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            connection.execute("PRAGMA journal_mode = WAL")  # persistent; a no-op once the store is in WAL
        return connection

    engine = sa.create_engine(f"sqlite:///{path}", creator=connect, poolclass=sa.pool.QueuePool,
                              pool_size=4, max_overflow=8)

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        # sqlite3 with isolation_level=None leaves transactions to us (SQLAlchemy's documented recipe).
        write = connection.get_execution_options().get("store_write") and not read_only
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise StoreError(f"{path}: cannot be opened as a recording store ({exc.orig})") from None
    return engine


def postgres_engine(url: sa.URL, *, read_only: bool) -> sa.Engine:
    """An engine on a PostgreSQL database; a server that does not answer is a clear error."""
    connect_args = {"connect_timeout": 10}
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    engine = sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"{url.render_as_string(hide_password=True)}: cannot connect ({reason})") from None
    return engine


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL or PostgreSQL's disk_full (53100) / out of memory in its temp space."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    return getattr(orig, "sqlstate", None) in ("53100", "53200")
