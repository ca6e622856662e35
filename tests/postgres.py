"""A real PostgreSQL server for the tests and the benchmark: Debian's ``postgresql`` package, run
with ``initdb`` and ``pg_ctl`` in a temporary folder on a free port of 127.0.0.1.

Debian does not put ``initdb``/``pg_ctl`` on PATH; they live in ``/usr/lib/postgresql/<major>/bin``.
PostgreSQL refuses to run as root (CI runs as root): then the server runs as the ``postgres`` system
user the package creates, in a folder that user owns (under /tmp, since pytest's own temporary
folders are private to root). Without the binaries the tests that need it are skipped with the
reason, except on CI (``CI=true``), where ``.ci/run`` installs the package and a missing server fails.

Use from a test module or conftest::

    from tests.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)

    def test_something(postgres_url):  # a fresh, empty database per test
        store = open_store(postgres_url)
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from device_browser.simulators.opcua.simulation import free_port

START_DEADLINE = 60.0  # seconds for initdb + start on a loaded 2-core machine
SYSTEM_USER = "postgres"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (with initdb and pg_ctl), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


def postgres_missing() -> str | None:
    """Why no server can run here (None when it can); on CI a missing server is a failure, not a skip."""
    if postgres_bin() is None:
        reason = "PostgreSQL is not installed (Debian package postgresql; .ci/run installs it on CI)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        return reason
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_USER)
        except KeyError:
            reason = f"running as root needs the '{SYSTEM_USER}' user of the postgresql package to run the server"
            if os.environ.get("CI") == "true":
                pytest.fail(reason, pytrace=False)
            return reason
    return None


class PostgresServer:
    """``initdb`` + ``pg_ctl start`` in ``folder`` on 127.0.0.1:``port`` (socket in the folder); trust auth."""

    def __init__(self, folder: Path | None = None, port: int | None = None, *, durable: bool = False):
        """``durable`` keeps fsync on (the benchmark); tests run without it, as nothing there needs a power cut."""
        self.durable = durable
        self.bin = postgres_bin()
        self.folder = Path(folder or tempfile.mkdtemp(prefix="millwright-pg-"))
        self.data = self.folder / "data"
        self.port = port or free_port("127.0.0.1")
        self.running = False
        self._as_system_user = os.geteuid() == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = START_DEADLINE) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_system_user:
            command = ["runuser", "-u", SYSTEM_USER, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False,
                              stdin=subprocess.DEVNULL)

    def start(self) -> None:
        if self._as_system_user:
            user = pwd.getpwnam(SYSTEM_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        if not self.data.exists():
            result = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                               "--no-sync")
            if result.returncode:
                raise RuntimeError(f"initdb failed ({result.returncode}): {result.stderr or result.stdout}")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=50"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        result = self._run("pg_ctl", "-D", str(self.data), "-w", "-t", str(int(START_DEADLINE)), "-l",
                           str(self.folder / "server.log"), "-o", options, "start")
        if result.returncode:
            log_file = self.folder / "server.log"
            log = log_file.read_text(errors="replace") if log_file.exists() else ""
            raise RuntimeError(f"pg_ctl start failed ({result.returncode}): {result.stderr}{log[-2000:]}")
        self.running = True
        atexit.register(self.stop)  # also when the session ends without the fixture's teardown

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its SQLAlchemy URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """``pg_ctl stop -m fast`` and remove the folder; safe to call twice."""
        if self.running:
            self.running = False
            result = self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            if result.returncode:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        with contextlib.suppress(OSError):
            shutil.rmtree(self.folder)


def serve_postgres() -> Iterator[PostgresServer]:
    """The body of a server fixture: ``yield from serve_postgres()`` (skips with the reason if missing)."""
    reason = postgres_missing()
    if reason:
        print(f"PostgreSQL tests skipped: {reason}")
        pytest.skip(reason)
    server = PostgresServer()
    for attempt in range(3):  # the free port may be taken between choosing and binding it
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == 2:
                server.stop()
                raise
            server.port = free_port("127.0.0.1")
            time.sleep(0.5)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session, stopped at its end."""
    yield from serve_postgres()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh empty database on the session's server, dropped after the test."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)
