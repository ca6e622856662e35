"""What only the embedded SQLite store promises: WAL with synchronous=FULL, readers that see committed
appends only and never wait for the writer, a full disk stopping a write cleanly, clear refusals."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import sqlalchemy as sa

from device_browser.store import StoreError, StoreFullError, open_store, project_store_path

DEADLINE = 60.0  # seconds: generous, the machine is shared


@pytest.fixture
def path(tmp_path):
    return project_store_path(tmp_path, create=True)


def test_a_project_store_is_in_wal_mode_with_full_sync(path, tmp_path):
    assert path == tmp_path / "data" / "recordings.sqlite"
    with open_store(path) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_reader_sees_its_snapshot_while_the_writer_commits(path):
    writer, reader = open_store(path), open_store(path)
    try:
        rec = writer.create_recording("r")
        writer.append(rec, {"x": (np.arange(100), np.ones(100))})
        done = threading.Event()
        with reader._read() as connection:
            count = "SELECT coalesce(sum(count), 0) FROM blocks"
            assert connection.exec_driver_sql(count).scalar() == 100
            thread = threading.Thread(target=lambda: (writer.append(rec, {"x": (np.arange(100, 200), np.ones(100))}),
                                                      done.set()))
            thread.start()
            assert done.wait(DEADLINE), "the writer waited for a reader: the store is not in WAL mode"
            assert connection.exec_driver_sql(count).scalar() == 100  # still the reader's snapshot
        thread.join()
        assert len(reader.read_chunk("x")) == 200
    finally:
        writer.close()
        reader.close()


def test_a_concurrent_reader_sees_only_whole_committed_appends(path):
    batch, batches = 500, 60
    t_all = np.arange(batch * batches, dtype=np.int64) * 1000
    v_all = np.random.default_rng(2).normal(size=len(t_all))
    writer = open_store(path)
    rec = writer.create_recording("r")
    reader = open_store(path, read_only=True)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for i in range(batches):
                s = slice(i * batch, (i + 1) * batch)
                writer.append(rec, {"x": (t_all[s], v_all[s]), "y": (t_all[s], -v_all[s])}, block_size=128)
        except Exception as exc:  # noqa: BLE001  (reported by the test, not lost in the thread)
            failures.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    seen = []
    deadline = time.monotonic() + DEADLINE
    try:
        while time.monotonic() < deadline:
            frame = reader.read(recording="r", form="wide") if reader.tags() else None
            n = 0 if frame is None else len(frame)
            if frame is not None:
                assert n % batch == 0, f"a reader saw {n} samples: part of an append"
                assert np.array_equal(frame.index.asi8, t_all[:n])
                assert np.array_equal(frame["x"].to_numpy(), v_all[:n]) and np.array_equal(frame["y"], -v_all[:n])
            seen.append(n)
            if n == len(t_all):
                break
    finally:
        thread.join()
        writer.close()
        reader.close()
    assert not failures, failures
    assert seen[-1] == len(t_all) and seen == sorted(seen)


def test_a_full_disk_stops_the_write_cleanly_and_keeps_what_was_committed(path):
    with open_store(path) as store:
        rec = store.create_recording("r")
        t = np.arange(1000, dtype=np.int64)
        store.append(rec, {"x": (t, np.arange(1000.0))})
        store.engine.dispose()
        with store.engine.connect() as connection:  # closed, or it stays checked out past the dispose below
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()

        @sa.event.listens_for(store.engine, "connect")
        def _small_disk(dbapi_connection, _record) -> None:  # SQLite's own SQLITE_FULL, as on a full disk
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

        store.engine.dispose()
        noise = np.random.default_rng(0).normal(size=200_000)
        with pytest.raises(StoreFullError, match="the disk is full; could not append samples to the recording 'r'"):
            store.append(rec, {"x": (np.arange(1000, 201_000), noise), "y": (np.arange(5), np.ones(5))})
    with open_store(path) as store:
        assert store.read_chunk("x").v.tolist() == list(np.arange(1000.0))
        assert [t.name for t in store.tags()] == ["x"]


def test_what_is_not_a_store_is_named(tmp_path):
    junk = tmp_path / "notes.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match=r"notes\.sqlite: cannot be opened as a recording store"):
        open_store(junk)
    with pytest.raises(StoreError, match=r"the folder .*missing does not exist"):
        open_store(tmp_path / "missing" / "r.sqlite")
    with pytest.raises(StoreError, match="the store does not exist"):
        open_store(tmp_path / "none.sqlite", read_only=True)
    with pytest.raises(StoreError, match="is an SQLite file path or a postgresql"):
        open_store("mysql://root@localhost/db")


def test_a_refused_block_size_opens_nothing(path):
    """It was checked after the engine had created, migrated and held open the file (3 descriptors leaked)."""
    with pytest.raises(StoreError, match="block size 0: a block holds at least one sample"):
        open_store(path, block_size=0)
    assert not path.exists()


def test_a_postgresql_server_that_does_not_answer_is_named(free_tcp_port):
    port = free_tcp_port()
    with pytest.raises(StoreError, match=rf"postgresql\+psycopg://u:\*\*\*@127.0.0.1:{port}/db: cannot connect"):
        open_store(f"postgresql://u:secret@127.0.0.1:{port}/db")


def test_paths_with_odd_characters_and_sqlite_urls_work(tmp_path):
    folder = tmp_path / "site data #1 ?%"
    folder.mkdir()
    with open_store(folder / "r e c.sqlite") as store:
        store.append(store.create_recording("r"), {"x": (np.arange(3), np.ones(3))})
    with open_store(folder / "r e c.sqlite", read_only=True) as store:
        assert len(store.read_chunk("x")) == 3
    with open_store(f"sqlite:///{tmp_path / 'plain.sqlite'}") as store:
        assert store.location == str(tmp_path / "plain.sqlite")
