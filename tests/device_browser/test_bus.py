import asyncio
import threading
import time

import numpy as np

from device_browser.bus import LiveBus


def test_snapshot_latest_and_bounded_memory():
    bus = LiveBus(capacity=1000)
    for i in range(5):
        bus.publish("flow", np.arange(i * 500, (i + 1) * 500), np.arange(i * 500, (i + 1) * 500) * 0.1, 0)
    snap = bus.snapshot("flow")
    assert len(snap) == 1000 and snap.t[0] == 1500 and snap.t[-1] == 2499
    assert list(bus.snapshot("flow", last=3).t) == [2497, 2498, 2499]
    assert bus.latest("flow") == (2499, 249.9, 0)
    assert bus.snapshot("unknown").t.size == 0 and bus.latest("unknown") is None
    bus.publish("status", 7, "RUNNING", 0)  # text is kept as the latest value, the ring holds NaN
    assert bus.latest("status") == (7, "RUNNING", 0) and np.isnan(bus.snapshot("status").v[0])


def test_readers_see_each_sample_once_and_count_what_they_missed():
    bus = LiveBus(capacity=100)
    fast, slow = bus.reader(["a"]), bus.reader(["a"])
    seen = []
    for i in range(10):
        bus.publish("a", np.arange(i * 30, (i + 1) * 30), np.zeros(30), 0)
        seen.extend(fast.read()["a"].t.tolist())
    assert seen == list(range(300)) and fast.lost["a"] == 0
    late = slow.read()["a"]
    assert list(late.t) == list(range(200, 300)) and slow.lost["a"] == 200
    assert len(slow.read()["a"]) == 0


def test_a_stalled_reader_never_slows_a_writer():
    bus = LiveBus(capacity=10_000)
    bus.reader(["x"])  # a reader that never reads
    started = time.perf_counter()
    writer = threading.Thread(target=lambda: [bus.publish("x", np.arange(i * 100, i * 100 + 100), np.ones(100), 0)
                                              for i in range(2000)])
    writer.start()
    writer.join(timeout=10)
    assert not writer.is_alive() and bus.snapshot("x").t[-1] == 199_999
    assert time.perf_counter() - started < 10


def test_readers_can_await_new_data_from_another_thread():
    bus = LiveBus()

    async def scenario():
        reader = bus.reader(["p"])
        assert not await reader.wait(timeout=0.05)
        threading.Timer(0.05, lambda: bus.publish("p", 1, 2.5, 0)).start()
        assert await reader.wait(timeout=2)
        return reader.read()["p"]

    chunk = asyncio.run(scenario())
    assert list(chunk.v) == [2.5]


def test_single_samples_and_arrays_land_alike():
    one, many = LiveBus(capacity=4), LiveBus(capacity=4)
    for i in range(6):  # wraps the ring
        one.publish("a", 100 + i, float(i), i % 3)
    many.publish("a", [100 + i for i in range(6)], [float(i) for i in range(6)], [i % 3 for i in range(6)])
    a, b = one.snapshot("a"), many.snapshot("a")
    assert a.t.tolist() == b.t.tolist() == [102, 103, 104, 105]
    assert a.v.tolist() == b.v.tolist() and a.q.tolist() == b.q.tolist() == [2, 0, 1, 2]
    assert one.latest("a") == (105, 5.0, 2)
    one.publish("b", 1, True, 0)  # booleans are numbers on the bus, the raw value is kept as given
    assert one.latest("b") == (1, True, 0) and one.snapshot("b").v.tolist() == [1.0]


def test_a_ring_grows_as_samples_arrive_and_keeps_them_in_order():
    from device_browser.bus import INITIAL_SIZE, TagRing

    ring = TagRing(10_000)
    assert len(ring.t) == INITIAL_SIZE  # 5,000 tags must not cost their full capacity up front
    for i in range(300):
        ring.append_one(i, float(i), 0)
    ring.append(np.arange(300, 3000), np.arange(300, 3000, dtype=float), np.zeros(2700, np.uint8))
    chunk, cursor, lost = ring.since(0)
    assert cursor == 3000 and lost == 0 and list(chunk.t) == list(range(3000))
    assert INITIAL_SIZE < len(ring.t) <= 10_000
    ring.append(np.arange(3000, 25_000), np.arange(3000, 25_000, dtype=float), np.zeros(22_000, np.uint8))
    chunk, _, lost = ring.since(0)
    assert len(ring.t) == 10_000 and lost == 15_000 and list(chunk.t) == list(range(15_000, 25_000))


def test_more_samples_than_the_capacity_into_a_young_ring_keep_the_newest():
    from device_browser.bus import TagRing

    ring = TagRing(1000)
    ring.append_one(1, 1.0, 0)
    ring.append(np.arange(5000), np.arange(5000, dtype=float), np.zeros(5000, np.uint8))
    chunk, cursor, _ = ring.since(0)
    assert cursor == 5001 and list(chunk.v) == list(np.arange(4000, 5000, dtype=float))
