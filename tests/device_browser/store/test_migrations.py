"""Alembic on real databases: a store of the first schema, with data, is upgraded on open; a store of a
newer schema than this code opens read-only with a message that says so."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from device_browser.store import StoreError, StoreReadOnlyError, open_store
from device_browser.store.codec import encode_block
from device_browser.store.connect import parse_location, postgres_engine, sqlite_engine
from device_browser.store.migrate import head, prepare
from device_browser.store.schema import VERSION_TABLE


def _engine(url: str, read_only: bool = False) -> sa.Engine:
    target = parse_location(url)
    return postgres_engine(target, read_only=read_only) if isinstance(target, sa.URL) else \
        sqlite_engine(target, read_only=read_only)


def _first_schema_store(url: str, t: np.ndarray, v: np.ndarray) -> None:
    """A store as the first release wrote it: revision 0001, blocks without sums, no gaps or annotations."""
    engine = _engine(url)
    prepare(engine, "0001")
    with engine.begin() as connection:
        rec = connection.execute(sa.text("INSERT INTO recordings (name, operator, started_ns, devices, notes) "
                                         "VALUES ('old', 'x', 1, '[\"plc1\"]', '') RETURNING id")).scalar()
        tag = connection.execute(sa.text("INSERT INTO tags (recording_id, name, unit, device, point, ref) "
                                         "VALUES (:r, 'flow', 'm^3/h', 'plc1', 'flow', 'plc1/flow') RETURNING id"),
                                 {"r": rec}).scalar()
        rows = []
        for i in range(0, len(t), 1000):
            row = encode_block(t[i:i + 1000], v[i:i + 1000], np.zeros(len(t[i:i + 1000]), np.uint8)).row()
            del row["n_values"], row["v_sum"]  # not in the first schema
            rows.append({**row, "tag_id": tag, "recording_id": rec})
        blocks = sa.table("blocks", *(sa.column(c) for c in rows[0]))
        connection.execute(blocks.insert(), rows)
    engine.dispose()


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_first_schema_store_with_data_is_upgraded_on_open(store_url):
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.integers(1, 10**6, 4500)).astype(np.int64)
    v = rng.normal(size=4500)
    v[::11] = np.nan
    _first_schema_store(store_url, t, v)
    assert "annotations" not in _tables(store_url)
    with pytest.raises(StoreError, match="revision 0001 and needs an upgrade to 0002; open it once for writing"):
        open_store(store_url, read_only=True)
    with open_store(store_url) as store:
        assert store.revision.current == "0001" and not store.read_only
        chunk = store.read_chunk("flow", recording="old")
        assert np.array_equal(chunk.t, t) and np.array_equal(chunk.v.view(np.int64), v.view(np.int64))
        stats = store.statistics("flow", recording="old").loc["flow"]  # sums filled in by the migration
        assert stats["values"] == np.count_nonzero(~np.isnan(v))
        assert stats["mean"] == pytest.approx(np.nanmean(v), rel=1e-12) and stats["unit"] == "m^3/h"
        store.annotate("old", t[0], t[10], "upgraded")
        store.append("old", {"flow": (t[-1] + np.arange(1, 4), np.ones(3))})
        assert len(store.read_chunk("flow", label="upgraded")) == 10
    with open_store(store_url, read_only=True) as store:
        assert store.revision.current == head() and len(store.read_chunk("flow")) == 4503


def test_a_store_of_a_newer_version_opens_read_only_with_the_reason(store_url, caplog):
    with open_store(store_url) as store:
        store.append(store.create_recording("r"), {"x": (np.arange(5), np.arange(5.0))})
    engine = _engine(store_url)
    with engine.begin() as connection:  # what a later release would do: a new revision, a new column
        connection.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0099'"))
        connection.execute(sa.text("ALTER TABLE blocks ADD COLUMN checksum BIGINT"))
    engine.dispose()
    with open_store(store_url) as store:
        assert store.read_only and store.revision.current == "0099"
        assert "written by a newer version of Millwright (schema revision 0099; this version knows up to 0002)" \
            in store.read_only_reason
        assert "opened read-only" in caplog.text
        assert store.read_chunk("x").v.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
        with pytest.raises(StoreReadOnlyError, match=r"cannot append samples to the recording 'r': .*newer version"):
            store.append("r", {"x": (np.arange(5, 7), np.ones(2))})
        with pytest.raises(sa.exc.DBAPIError), store.engine.begin() as connection:  # the database refuses too
            connection.execute(sa.text("DELETE FROM blocks"))
    engine = _engine(store_url)
    with engine.connect() as connection:  # untouched: not "upgraded" nor stamped back
        assert connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "0099"
        assert connection.execute(sa.text("SELECT count(*) FROM blocks")).scalar() == 1
    engine.dispose()


def test_opening_twice_does_not_migrate_twice(store_url):
    with open_store(store_url) as store:
        assert store.revision.current is None
    with open_store(store_url) as store:
        assert store.revision.current == head() and not store.revision.outdated


def test_an_empty_database_opened_read_only_is_named_as_no_store(store_url):
    engine = _engine(store_url)  # an empty SQLite file or PostgreSQL database
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    engine.dispose()
    with pytest.raises(StoreError, match="there is no recording store here yet; open it once for writing"):
        open_store(store_url, read_only=True)
