"""Modbus subscriptions (a poll loop into the live bus) against the real pymodbus simulator on loopback.

No clocks: every test waits for a condition under a generous deadline and then asserts counts,
order and the absence of duplicates (PITFALLS, "Tests on a busy 2-core machine").
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time

import numpy as np
import pytest

from device_browser.bus import LiveBus
from device_browser.modbus.client import ModbusSession
from device_browser.modbus.poller import ModbusSubscription
from device_browser.session import BAD, GOOD, NO_COMMUNICATION, ConnectionState, DeviceError, SubscriptionStats
from device_browser.simulators.modbus import SIMULATOR_MAP, start_simulator

TAGS = ["flow", "speed", "device_name", "running", "40001:float32"]  # names, a string, a bit and a raw address
DEADLINE_S = 20.0


def run(scenario, timeout: float = 60.0):
    return asyncio.run(asyncio.wait_for(scenario, timeout))


async def wait_for(condition, what: str, timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not in {timeout} s: {what}"
        await asyncio.sleep(0.02)


def _session(port: int) -> ModbusSession:
    # Short timeouts and no retry: the outage tests then spend their time on the outage, not on waiting.
    return ModbusSession(SIMULATOR_MAP, host="127.0.0.1", port=port, timeout=0.5, retries=0,
                         reconnect_delay_max=0.5)


def _check_history(bus: LiveBus, tags: list[str], gaps: int) -> dict[str, np.ndarray]:
    """Per tag: strictly increasing timestamps, exactly ``gaps`` BAD NaN samples, each between good ones."""
    qualities = {}
    for tag in tags:
        chunk = bus.snapshot(tag)
        assert np.all(np.diff(chunk.t) > 0), f"{tag}: timestamps not strictly increasing"
        bad = np.flatnonzero(chunk.q == BAD)
        assert len(bad) == gaps, f"{tag}: {len(bad)} BAD samples instead of {gaps}"
        assert np.all(np.isnan(chunk.v[bad]))
        if gaps:
            assert chunk.q[0] == GOOD and chunk.q[-1] == GOOD, f"{tag}: the gap must lie between good values"
        qualities[tag] = chunk.q
    return qualities


def test_subscribe_delivers_every_tag_with_stats():
    async def scenario():
        simulator = await start_simulator(port=0)
        session = _session(simulator.port)
        bus = LiveBus(capacity=10_000)
        try:
            await session.connect()
            subscription = await session.subscribe(TAGS, 50, bus)
            await wait_for(lambda: all(n >= 5 for n in subscription.stats.updates.values()), "5 updates per tag")
            stats = subscription.stats
            latest = dict(subscription.latest)
            await subscription.close()
            await subscription.close()  # again: harmless
            settled = {tag: len(bus.snapshot(tag)) for tag in TAGS}
            requests = session.counters.requests
            await _polls(session, 0)  # nothing polls any more: the request count stays
            return stats, latest, settled, {tag: len(bus.snapshot(tag)) for tag in TAGS}, requests, session
        finally:
            await session.close()
            await simulator.stop()

    stats, latest, settled, after_close, requests, session = run(scenario())
    assert isinstance(stats, SubscriptionStats) and stats.gaps == 0 and stats.stale is False
    assert set(stats.updates) == set(TAGS) and stats.newest_age_s < DEADLINE_S
    assert latest["device_name"].value == "PUMP-STATION-01" and latest["running"].value is True
    assert latest["40001:float32"].quality == GOOD and 0 < latest["flow"].value < 200
    assert after_close == settled and session.counters.requests == requests
    assert session.counters.errors == 0 and session.counters.reconnects == 0


async def _polls(session: ModbusSession, count: int) -> None:
    """Let ``count`` more requests happen (0: just let the loop turn a few times)."""
    target = session.counters.requests + count
    for _ in range(5):
        await asyncio.sleep(0)
    await wait_for(lambda: session.counters.requests >= target, f"{count} more requests")


def test_deadband_suppresses_small_changes_only():
    async def scenario():
        simulator = await start_simulator(port=0)
        session = _session(simulator.port)
        bus = LiveBus()
        try:
            await session.connect()
            await simulator.set_value("flow", 100.0)  # pinned: the model cannot move it
            subscription = await session.subscribe(["flow"], 20, bus, deadband=1.0)
            await wait_for(lambda: subscription.stats.updates["flow"] == 1, "the first value")
            await simulator.set_value("flow", 100.5)
            await _polls(session, 5)  # at least four polls saw 100.5
            small = subscription.stats.updates["flow"]
            await simulator.set_value("flow", 102.0)
            await wait_for(lambda: subscription.stats.updates["flow"] == 2, "the large change")
            return small, subscription.latest["flow"].value, bus.snapshot("flow").v.tolist()
        finally:
            await session.close()
            await simulator.stop()

    small, value, published = run(scenario())
    assert small == 1 and value == 102.0 and published == [100.0, 102.0]


def test_the_server_killed_and_restarted_gives_one_gap_sample_per_tag_then_resumes():
    async def scenario():
        simulator = await start_simulator(port=0)
        port = simulator.port
        session = _session(port)
        bus = LiveBus(capacity=10_000)
        try:
            await session.connect()
            subscription = await session.subscribe(TAGS, 50, bus)
            await wait_for(lambda: all(n >= 3 for n in subscription.stats.updates.values()), "values before")
            await simulator.stop()
            await wait_for(lambda: subscription.stats.gaps == 1, "the gap marked")
            during = dict(subscription.latest)
            await wait_for(lambda: session.status.attempt >= 3, "a few reconnect attempts")  # a real outage
            stats_down = subscription.stats
            before = dict(subscription.stats.updates)
            simulator = await start_simulator(port=port)
            await wait_for(lambda: all(subscription.stats.updates[t] >= before[t] + 3 for t in TAGS), "resumed")
            await subscription.close()
            return subscription.stats, stats_down, during, session.counters
        finally:
            await session.close()
            await simulator.stop()

    stats, stats_down, during, counters = run(scenario())
    assert stats.gaps == 1 and stats_down.stale is False  # not connected: an outage, not a stale device
    assert all(during[t].quality == BAD and during[t].status == NO_COMMUNICATION for t in TAGS)
    assert all(math.isnan(during[t].value) for t in TAGS)
    assert counters.reconnects == 1  # the polls while down were refused at once: not sent, not counted as errors


class DroppingProxy:
    """A TCP relay that can silently drop all traffic, as a firewall or a dead switch port does: no reset."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.drop = False
        self.connections = 0
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, upstream_writer]
        pipes = [asyncio.ensure_future(self._pipe(reader, upstream_writer)),
                 asyncio.ensure_future(self._pipe(upstream_reader, writer))]
        self._tasks.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        for each in (writer, upstream_writer):
            each.close()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(4096):
                if not self.drop:
                    sink.write(data)
                    await sink.drain()

    async def close(self) -> None:
        self.server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()


def test_silently_dropped_traffic_gives_one_gap_then_resumes():
    async def scenario():
        simulator = await start_simulator(port=0)
        proxy = DroppingProxy(simulator.port)
        session = _session(await proxy.start())
        bus = LiveBus(capacity=10_000)
        try:
            await session.connect()
            subscription = await session.subscribe(TAGS, 50, bus)
            await wait_for(lambda: all(n >= 3 for n in subscription.stats.updates.values()), "values before")
            proxy.drop = True
            await wait_for(lambda: subscription.stats.gaps == 1, "the gap marked")
            errors = session.counters.errors
            await wait_for(lambda: session.counters.errors >= errors + 3, "more unanswered polls")  # one gap only
            # After two unanswered requests the session drops the connection and makes a new one.
            await wait_for(lambda: proxy.connections >= 2, "a new connection")
            before = dict(subscription.stats.updates)
            proxy.drop = False
            await wait_for(lambda: all(subscription.stats.updates[t] >= before[t] + 3 for t in TAGS), "resumed")
            await subscription.close()
            return subscription.stats, session.status.state
        finally:
            await session.close()
            await proxy.close()
            await simulator.stop()

    stats, state = run(scenario())
    assert stats.gaps == 1 and state is ConnectionState.CONNECTED


def test_two_subscriptions_share_one_poll_task_and_both_mark_the_gap():
    async def scenario():
        simulator = await start_simulator(port=0)
        port = simulator.port
        session = _session(port)
        bus = LiveBus(capacity=10_000)
        try:
            await session.connect()
            fast = await session.subscribe(["flow", "speed"], 30, bus)
            slow = await session.subscribe(["suction_pressure", "co:0"], 90, bus)
            tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("Modbus poll")]
            await wait_for(lambda: min(slow.stats.updates.values()) >= 2, "both polled")
            await simulator.stop()
            await wait_for(lambda: fast.stats.gaps == 1 and slow.stats.gaps == 1, "both gaps")
            simulator = await start_simulator(port=port)
            await wait_for(lambda: all(s.latest[t].quality == GOOD for s in (fast, slow) for t in s.tags), "resumed")
            await session.close()  # ends both subscriptions
            return len(tasks), fast.stats, slow.stats
        finally:
            await session.close()
            await simulator.stop()

    tasks, fast, slow = run(scenario())
    assert tasks == 1 and fast.gaps == 1 and slow.gaps == 1
    assert fast.updates["flow"] >= 2 and slow.updates["co:0"] >= 2


def test_history_through_a_restart_has_one_bad_sample_and_no_duplicates():
    bus = LiveBus(capacity=10_000)

    async def scenario():
        simulator = await start_simulator(port=0)
        port = simulator.port
        session = _session(port)
        try:
            await session.connect()
            subscription = await session.subscribe(TAGS, 40, bus)
            await wait_for(lambda: all(n >= 2 for n in subscription.stats.updates.values()), "values before")
            await simulator.stop()
            await wait_for(lambda: subscription.stats.gaps == 1, "the gap marked")
            simulator = await start_simulator(port=port)
            before = dict(subscription.stats.updates)
            await wait_for(lambda: all(subscription.stats.updates[t] >= before[t] + 2 for t in TAGS), "resumed")
        finally:
            await session.close()
            await simulator.stop()

    run(scenario())
    _check_history(bus, TAGS, gaps=1)


def test_subscribe_refuses_what_it_cannot_poll():
    async def scenario():
        simulator = await start_simulator(port=0)
        session = _session(simulator.port)
        refusals = []
        try:
            with pytest.raises(DeviceError) as not_connected:
                await session.subscribe(["flow"], 100, LiveBus())
            refusals.append(str(not_connected.value))
            await session.connect()
            for tags, interval, deadband in ((["no_such_tag"], 100, 0.0), (["hr:99999"], 100, 0.0), ([], 100, 0.0),
                                             (["flow"], 0, 0.0), (["flow"], 100, -1.0)):
                with pytest.raises(DeviceError) as refused:
                    await session.subscribe(tags, interval, LiveBus(), deadband=deadband)
                refusals.append(str(refused.value))
            return refusals
        finally:
            await session.close()
            await simulator.stop()

    refusals = run(scenario())
    assert refusals[0].startswith("Not connected to 127.0.0.1:")
    assert "No tag 'no_such_tag'" in refusals[1] and "whole numbers 0…65535" in refusals[2]
    assert "at least one tag" in refusals[3] and "positive number of milliseconds" in refusals[4]
    assert "deadband" in refusals[5]


def test_polls_that_cannot_be_kept_on_schedule_are_counted_as_dropped():
    class Scheduler:  # just enough of a scheduler for the arithmetic
        session = None

    subscription = ModbusSubscription(Scheduler(), ["flow"], 100, LiveBus())
    subscription.due = 10.0
    subscription.count_missed(10.05)  # late, but within the interval: polled now, nothing lost
    assert subscription.due == 10.0 and subscription._stats.dropped == 0
    subscription.count_missed(10.35)  # the polls due at 10.0, 10.1 and 10.2 passed: only 10.3 is kept
    assert subscription._stats.dropped == 3 and subscription.due == pytest.approx(10.3)
