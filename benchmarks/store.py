"""Recording store throughput against the naive pandas path, SQLite and PostgreSQL, in the same run.

* insert: 10 M samples (100 tags × 100,000, in 10 appends of 1 M samples: each append one durable
  transaction, as a recorder commits) into a new store, encoding included; the better of two runs;
* range query: 10 M samples of one tag, a window cut out of the middle of a 12 M-sample tag (the
  blocks at both ends are cut), as a Chunk (``read_chunk``) and as a long DataFrame (``read``);
* naive baseline: one indexed row per sample (``time, tag, value, quality``, index on
  ``(tag, time)``) written with ``DataFrame.to_sql`` (the better of two runs, as the store's) and
  read back with ``pandas.read_sql``. It
  runs on 1 M samples (10 M would take minutes); its 10 M-sample times are extrapolated linearly,
  which flatters it (an index only gets slower as it grows).

PostgreSQL is Debian's server started by :mod:`tests.postgres` with fsync on (``durable``).
Targets (issue 21): ≥ 1 M samples/s insert into SQLite; a 10 M-sample range query < 2 s; both
≥ 5× the naive pandas path. Results: benchmarks/results/store.json.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from benchmarks import best_of
from device_browser.store import open_store

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "store.json"
T0 = 1_764_748_800_000_000_000
TAGS, PER_TAG, APPENDS = 100, 100_000, 10  # 10 M samples inserted
QUERY_TAG_SAMPLES, QUERY_SAMPLES = 12_000_000, 10_000_000
NAIVE_SAMPLES = 1_000_000


def _signal(n: int, seed: int, start: int = T0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A sensor at 1 kHz with timestamp jitter: a slow sine plus noise, 3 decimals, as a PLC gives."""
    rng = np.random.default_rng(seed)
    t = start + np.arange(n, dtype=np.int64) * 1_000_000 + rng.integers(0, 20_000, n)
    v = np.round(50 + 10 * np.sin(np.arange(n) / 5000.0) + rng.normal(0, 0.2, n), 3)
    return t, v, np.zeros(n, np.uint8)


def _store_insert(make_url) -> dict:
    """The faster of two runs, each into a new store (the less disturbed by a shared machine)."""
    data = [_signal(PER_TAG, seed) for seed in range(TAGS)]
    per_call = PER_TAG // APPENDS
    runs = []
    for _ in range(2):
        with open_store(make_url()) as store:
            rec = store.create_recording("insert")
            started = time.perf_counter()
            for call in range(APPENDS):
                part = slice(call * per_call, (call + 1) * per_call)
                store.append(rec, {f"tag{i:03d}": (t[part], v[part], q[part]) for i, (t, v, q) in enumerate(data)})
            runs.append(time.perf_counter() - started)
            stored = store.stored_bytes(rec)
    total, seconds = TAGS * PER_TAG, min(runs)
    return {"samples": total, "seconds": round(seconds, 3), "samples_per_s": round(total / seconds),
            "stored_bytes_per_sample": round(stored / total, 2)}


def _store_query(url: str) -> dict:
    t, v, q = _signal(QUERY_TAG_SAMPLES, 7)
    with open_store(url) as store:
        store.append(store.create_recording("query"), {"vib": (t, v, q)})
        lo = (QUERY_TAG_SAMPLES - QUERY_SAMPLES) // 2
        start, end = int(t[lo]), int(t[lo + QUERY_SAMPLES])
        chunk = store.read_chunk("vib", start, end)
        assert len(chunk) == QUERY_SAMPLES and np.array_equal(chunk.v, v[lo:lo + QUERY_SAMPLES])
        chunk_s = best_of(3, lambda: store.read_chunk("vib", start, end))
        frame_s = best_of(3, lambda: store.read("vib", start, end))
    return {"samples": QUERY_SAMPLES, "chunk_seconds": round(chunk_s, 3), "dataframe_seconds": round(frame_s, 3)}


def _naive(engine: sa.Engine) -> dict:
    """One indexed row per sample through pandas: to_sql in, read_sql out."""
    t, v, q = _signal(NAIVE_SAMPLES, 7)
    frame = pd.DataFrame({"time": t, "tag": "vib", "value": v, "quality": q.astype(np.int16)})

    def insert() -> float:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS naive_samples"))
            connection.execute(sa.text("CREATE TABLE naive_samples (time BIGINT NOT NULL, tag TEXT NOT NULL, "
                                       "value DOUBLE PRECISION, quality SMALLINT NOT NULL)"))
            connection.execute(sa.text("CREATE INDEX ix_naive_tag_time ON naive_samples (tag, time)"))
        started = time.perf_counter()
        frame.to_sql("naive_samples", engine, if_exists="append", index=False, chunksize=50_000)
        return time.perf_counter() - started

    insert_s = min(insert() for _ in range(2))  # the better of two, as the store's insert is
    query = sa.text("SELECT time, value, quality FROM naive_samples WHERE tag = :tag AND time >= :lo "
                    "AND time < :hi ORDER BY time")
    params = {"tag": "vib", "lo": int(t[0]), "hi": int(t[-1]) + 1}

    def read() -> None:
        with engine.connect() as connection:
            got = pd.read_sql(query, connection, params=params)
        assert len(got) == NAIVE_SAMPLES

    read_s = best_of(2, read)
    scale = QUERY_SAMPLES / NAIVE_SAMPLES
    return {"samples": NAIVE_SAMPLES, "insert_seconds": round(insert_s, 3),
            "insert_samples_per_s": round(NAIVE_SAMPLES / insert_s), "read_seconds": round(read_s, 3),
            "read_10m_seconds_extrapolated": round(read_s * scale, 2)}


def _sqlite_engine(path: Path) -> sa.Engine:
    """The naive path's SQLite with the store's durability (WAL, synchronous=FULL): a fair comparison."""
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute("PRAGMA synchronous = FULL")

    return engine


def _backend(name: str, make_url, naive_engine) -> dict:
    result = {"insert": _store_insert(make_url), "range_query": _store_query(make_url())}
    engine = naive_engine()
    try:
        result["naive_pandas"] = naive = _naive(engine)
    finally:
        engine.dispose()
    result["insert_vs_naive"] = round(result["insert"]["samples_per_s"] / naive["insert_samples_per_s"], 1)
    result["query_vs_naive"] = round(naive["read_10m_seconds_extrapolated"]
                                     / result["range_query"]["dataframe_seconds"], 1)
    ins, qry = result["insert"], result["range_query"]
    print(f"{name:10s} insert {ins['samples_per_s']:>12,} samples/s ({ins['stored_bytes_per_sample']} B/sample), "
          f"naive {naive['insert_samples_per_s']:>9,}/s → {result['insert_vs_naive']}×; "
          f"10 M range query {qry['chunk_seconds']} s chunk, {qry['dataframe_seconds']} s DataFrame, "
          f"naive {naive['read_10m_seconds_extrapolated']} s (extrapolated) → {result['query_vs_naive']}×")
    return result


def main() -> None:
    from tests.postgres import PostgresServer, postgres_missing

    folder = Path(tempfile.mkdtemp(prefix="millwright-store-bench-"))
    result: dict = {"tags": TAGS, "appends": APPENDS, "naive_samples": NAIVE_SAMPLES,
                    "note": "naive pandas runs on 1 M samples; its 10 M read time is extrapolated linearly"}
    try:
        counter = iter(range(100))
        result["sqlite"] = _backend("SQLite", lambda: str(folder / f"store{next(counter)}.sqlite"),
                                    lambda: _sqlite_engine(folder / "naive.sqlite"))
        reason = postgres_missing()
        if reason:
            result["postgresql"] = {"skipped": reason}
            print(f"PostgreSQL skipped: {reason}")
        else:
            server = PostgresServer(durable=True)
            server.start()
            try:
                result["postgresql"] = _backend("PostgreSQL", server.create_database,
                                                lambda: sa.create_engine(server.create_database()))
            finally:
                server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"Targets: SQLite insert ≥ 1,000,000 samples/s, 10 M range query < 2 s, both ≥ 5× naive pandas. "
          f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
