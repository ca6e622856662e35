"""Several writers at once, on both back-ends: SQLite makes the second writer wait (BEGIN IMMEDIATE and
a busy timeout), PostgreSQL runs them side by side; two programs opening an empty or old store at once
migrate it once. And a writer process killed at random moments leaves a store that opens with every
committed append, whole (a kill tests atomicity; a power cut is what synchronous=FULL is for)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from device_browser.store import open_store
from device_browser.store.migrate import head
from device_browser.store.schema import VERSION_TABLE

DEADLINE = 60.0
ROOT = Path(__file__).resolve().parents[3]


def _threads(count: int, work) -> list[BaseException]:
    failures: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait(DEADLINE)
            work(index)
        except Exception as exc:  # noqa: BLE001  (reported by the test, not lost in the thread)
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    return failures


def test_two_writers_at_once_both_keep_every_sample(store_url):
    with open_store(store_url) as store:
        store.create_recording("r")
    stores = [open_store(store_url), open_store(store_url)]
    try:
        def write(index: int) -> None:
            for call in range(20):
                t = np.arange(call * 100, (call + 1) * 100, dtype=np.int64)
                stores[index].append("r", {f"w{index}": (t, np.full(100, float(index)))}, block_size=64)

        assert _threads(2, write) == []
        for index in range(2):
            chunk = stores[0].read_chunk(f"w{index}")
            assert np.array_equal(chunk.t, np.arange(2000)) and np.all(chunk.v == index)
    finally:
        for store in stores:
            store.close()


def test_programs_opening_a_new_store_at_once_create_it_once(store_url):
    opened = []
    failures = _threads(3, lambda _: opened.append(open_store(store_url)))
    try:
        assert failures == [] and len(opened) == 3
        assert any(s.revision.current is None for s in opened)
        with opened[0].engine.connect() as connection:
            assert connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == [head()]
    finally:
        for store in opened:
            store.close()


_WRITER = """
import sys, numpy as np
from device_browser.store import open_store
store = open_store(sys.argv[1])
rec = store.recording("r")
call = int(sys.argv[2])
while True:
    t = np.arange(call * 1000, (call + 1) * 1000, dtype=np.int64)
    store.append(rec, {"a": (t, t * 0.5), "b": (t, -t * 0.5)}, block_size=300)
    print(call, flush=True)
    call += 1
"""


def test_a_writer_killed_at_random_moments_leaves_every_committed_append(tmp_path):
    path = tmp_path / "r.sqlite"
    with open_store(path) as store:
        store.create_recording("r")
    rng = np.random.default_rng(21)
    committed = 0  # appends whose commit the writer reported before it was killed
    for _ in range(5):
        process = subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(committed)], cwd=ROOT,
                                   stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        reported = []
        deadline = time.monotonic() + DEADLINE
        wanted = int(rng.integers(3, 30))
        while len(reported) < wanted and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            reported.append(int(line))
        time.sleep(float(rng.uniform(0, 0.05)))  # somewhere inside a later append
        process.send_signal(signal.SIGKILL)
        process.wait(DEADLINE)
        reported += [int(line) for line in process.stdout.read().split()]
        process.stdout.close()
        assert reported, "the writer reported no commit before it was killed"
        with open_store(path) as store:
            a, b = store.read_chunk("a"), store.read_chunk("b")
            n = len(a)
            assert n % 1000 == 0 and n >= (reported[-1] + 1) * 1000, "a committed append was lost or torn"
            assert np.array_equal(a.t, np.arange(n)) and np.array_equal(a.v, a.t * 0.5)
            assert np.array_equal(b.t, a.t) and np.array_equal(b.v, -a.v)
            committed = n // 1000


def test_two_writers_creating_the_same_new_tag_at_once_both_keep_their_samples(store_url):
    """On PostgreSQL both transactions saw no tag and both inserted it: the second append failed on the unique
    (recording, name) constraint and its samples were lost. SQLite's BEGIN IMMEDIATE already serialised them."""
    with open_store(store_url) as store:
        store.create_recording("r")
    stores = [open_store(store_url), open_store(store_url)]
    rounds = 15
    try:
        def write(index: int) -> None:
            try:
                for round_ in range(rounds):
                    barrier.wait(DEADLINE)
                    t = np.arange(10, dtype=np.int64) + index * 10
                    stores[index].append("r", {f"new{round_}": (t, np.full(10, float(index)))})
            except Exception:
                barrier.abort()  # the other writer stops at once instead of waiting for the deadline
                raise

        barrier = threading.Barrier(2)
        assert _threads(2, write) == []
        for round_ in range(rounds):
            chunk = stores[0].read_chunk(f"new{round_}", recording="r")
            assert np.array_equal(chunk.t, np.arange(20)) and chunk.v.tolist() == [0.0] * 10 + [1.0] * 10
        assert len(stores[1].tags("r")) == rounds
    finally:
        for store in stores:
            store.close()


def test_two_programs_creating_the_same_recording_at_once_get_one_recording_and_a_clear_refusal(store_url):
    """On PostgreSQL the loser of the race got the database's IntegrityError instead of the store's message."""
    from device_browser.store import StoreError

    stores = [open_store(store_url), open_store(store_url)]
    rounds = 10
    refusals: list[list[str]] = [[], []]
    try:
        def create(index: int) -> None:
            try:
                for round_ in range(rounds):
                    barrier.wait(DEADLINE)
                    try:
                        stores[index].create_recording(f"run {round_}")
                    except StoreError as exc:
                        refusals[index].append(str(exc))
            except Exception:
                barrier.abort()
                raise

        barrier = threading.Barrier(2)
        assert _threads(2, create) == []
        assert [r.name for r in stores[0].recordings()] == [f"run {i}" for i in range(rounds)]
        messages = refusals[0] + refusals[1]
        assert len(messages) == rounds and all("there is already a recording named 'run " in m for m in messages)
    finally:
        for store in stores:
            store.close()


def test_two_programs_compacting_at_once_keep_every_sample_once(store_url):
    """On PostgreSQL both compactions read the same small blocks; the second deleted nothing (the first had) and
    inserted its merged copy as well: every sample twice. The blocks are now locked (FOR UPDATE) as they are read."""
    stores = [open_store(store_url), open_store(store_url)]
    try:
        rec = stores[0].create_recording("r")
        for round_ in range(6):
            for call in range(40):
                t = np.arange(call * 10, (call + 1) * 10, dtype=np.int64) + round_ * 1000
                stores[0].append(rec, {"x": (t, t * 0.5), "y": (t, -t * 0.5)})

            barrier = threading.Barrier(2)

            def compact(index: int, barrier: threading.Barrier = barrier) -> None:
                try:
                    barrier.wait(DEADLINE)
                    stores[index].compact(rec)
                except Exception:
                    barrier.abort()
                    raise

            assert _threads(2, compact) == []
            expected = np.concatenate([np.arange(400, dtype=np.int64) + r * 1000 for r in range(round_ + 1)])
            for name, sign in (("x", 1), ("y", -1)):
                chunk = stores[1].read_chunk(name, recording=rec)
                assert np.array_equal(chunk.t, expected), f"round {round_}: {len(chunk)} samples of {name}"
                assert np.array_equal(chunk.v, sign * expected * 0.5)
    finally:
        for store in stores:
            store.close()
