"""Every store test runs on both back-ends, for real: an SQLite file and a PostgreSQL server."""

from __future__ import annotations

import pytest

from tests.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """Where a new, empty store lives: an SQLite file path, or a fresh PostgreSQL database URL."""
    if request.param == "sqlite":
        (tmp_path / "data").mkdir()
        return str(tmp_path / "data" / "recordings.sqlite")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url):
    from device_browser.store import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
