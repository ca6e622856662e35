"""The PostgreSQL fixture itself: a server that really serves, and that leaves nothing behind."""

from __future__ import annotations

import os
import time

import psycopg
import pytest

from tests.postgres import PostgresServer, postgres_missing


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone for our purpose
        return stat.read().split(") ")[1][0] != "Z"


def test_a_server_starts_serves_and_stops_without_orphans():
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    server.start()
    try:
        pid = int((server.data / "postmaster.pid").read_text().splitlines()[0])
        assert _alive(pid)
        url = server.create_database("fixture_check")
        with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=fixture_check") as connection:
            assert connection.execute("SELECT current_database()").fetchone()[0] == "fixture_check"
        if os.geteuid() == 0:  # PostgreSQL refuses root: the server runs as the package's postgres user
            assert os.stat(f"/proc/{pid}").st_uid != 0
        server.drop_database(url)
    finally:
        server.stop()
    deadline = time.monotonic() + 30
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid) and not server.folder.exists()
    server.stop()  # twice is harmless
