"""DeviceHost: device sessions on their own loop and thread, seen from a caller's loop.

The simulators run in their own processes (``millwright simulate``), as on a real network and so
that they do not compete with the client for the GIL while the caller's loop is timed; killing the
process is the outage. The caller's loop runs a 10 ms timer throughout, and its longest gap must
stay under a second while the device loop is busy or the server is dead: a property, not a rate.
Nothing waits a fixed time and then counts: each step waits for its condition under a deadline.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from psygnal import Signal

from device_browser.bus import LiveBus
from device_browser.connect import open_session
from device_browser.host import DeviceHost, SessionHandle
from device_browser.profiles import parse_profile
from device_browser.session import (
    BAD,
    GOOD,
    ConnectionState,
    ConnectionStatus,
    DeviceError,
    DeviceSession,
    SessionCounters,
)
from tests.simulator_process import SimulatorProcess

TAGS = ["flow", "discharge_pressure", "speed"]
DEADLINE = 30.0  # seconds: generous, for a loaded 2-core machine
MAX_GAP_S = 1.0


def session_factory(sim: SimulatorProcess) -> Callable[[], DeviceSession]:
    text, name = sim.profile_text()
    return lambda: open_session(parse_profile(text, name))


@pytest.fixture(params=["modbus", "opcua"])
def simulator(request, tmp_path, free_tcp_port) -> Iterator[SimulatorProcess]:
    sim = SimulatorProcess(request.param, free_tcp_port(), tmp_path)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def host() -> Iterator[DeviceHost]:
    device_host = DeviceHost()
    yield device_host
    device_host.close()


class GapProbe:
    """A 10 ms timer on the caller's loop that remembers the longest time between two of its ticks."""

    def __init__(self) -> None:
        self.longest = 0.0
        self.ticks = 0
        self._task: asyncio.Task | None = None

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            self.longest = max(self.longest, now - last)
            self.ticks += 1
            last = now

    def __enter__(self) -> GapProbe:
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()


async def wait_for(condition: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline:g} s: {what}")
        await asyncio.sleep(0.05)


def block_the_loop(seconds: float) -> Callable[[], object]:
    """A coroutine function that holds its loop for ``seconds`` (a driver that forgot to await)."""

    async def blocking() -> str:
        time.sleep(seconds)
        return "done"

    return blocking


# -- the host without a device ----------------------------------------------------------------------------


def test_call_runs_on_the_device_thread_and_returns_or_raises(host):
    async def where() -> int:
        return threading.get_ident()

    async def refuse(register: int) -> None:
        raise DeviceError(f"Register {register} is outside the device's map (30001–30120)")

    async def scenario() -> None:
        device_thread = await host.call(where)
        assert device_thread != threading.get_ident()
        assert await host.call(where) == device_thread  # one thread for every session
        with pytest.raises(DeviceError, match="Register 40001 is outside the device's map"):
            await host.call(refuse, 40001)

    asyncio.run(scenario())


def test_cancelling_the_caller_cancels_the_device_side(host):
    started, cancelled = threading.Event(), threading.Event()

    async def long_request() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def scenario() -> None:
        task = asyncio.create_task(host.call(long_request))
        await asyncio.to_thread(started.wait, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.to_thread(cancelled.wait, 10), "the device-side coroutine was not cancelled"

    asyncio.run(scenario())


def test_a_busy_device_loop_leaves_the_caller_running(host):
    async def scenario() -> None:
        with GapProbe() as probe:
            assert await host.call(block_the_loop(1.5)) == "done"
        assert probe.longest < MAX_GAP_S, f"the caller's loop stalled {probe.longest:.2f} s"
        # The control: the same coroutine on the caller's own loop stalls the probe, so the probe
        # would have seen it had the host run its work on the caller's loop.
        with GapProbe() as probe:
            await asyncio.sleep(0.05)
            await block_the_loop(1.5)()
            await asyncio.sleep(0.05)
        assert probe.longest >= MAX_GAP_S

    asyncio.run(scenario())


class HangingSession:
    """A session whose device never answers the goodbye: close() must still end in bounded time."""

    status_changed = Signal(ConnectionStatus)

    def __init__(self) -> None:
        self.counters = SessionCounters()
        self.status = ConnectionStatus(ConnectionState.CONNECTED)

    async def close(self) -> None:
        await asyncio.sleep(3600)


def test_close_is_bounded_safe_twice_and_refuses_new_work():
    host = DeviceHost(close_timeout=1.0)

    async def scenario() -> SessionHandle:
        return await host.open(HangingSession)

    asyncio.run(scenario())
    started = time.monotonic()
    host.close()
    assert time.monotonic() - started < 5
    assert not host._thread.is_alive()
    host.close()  # again: nothing to do

    async def after() -> None:
        with pytest.raises(DeviceError, match="shut down"):
            await host.call(asyncio.sleep, 0)

    asyncio.run(after())


# -- real sessions through the host -----------------------------------------------------------------------


def test_sessions_run_behind_the_host(simulator, host):
    async def scenario() -> None:
        caller = threading.get_ident()
        seen: list[tuple[int, ConnectionState]] = []
        everywhere: list[tuple[int, ConnectionState]] = []
        host.notify(lambda handle, status: everywhere.append((threading.get_ident(), status.state)))
        with GapProbe() as probe:
            handle = await host.open(session_factory(simulator))
            handle.notify(lambda status: seen.append((threading.get_ident(), status.state)))
            await handle.connect()
            assert handle.status.state is ConnectionState.CONNECTED

            samples = await handle.read(TAGS)
            assert [s.tag for s in samples] == TAGS and all(s.quality == GOOD for s in samples)
            await handle.write("speed_setpoint", 1000)
            [readback] = await handle.read(["speed_setpoint"])
            assert readback.value == 1000
            assert handle.counters.requests >= 3 and handle.counters.errors == 0

            bus = LiveBus(capacity=10_000)
            subscription = await handle.subscribe(TAGS, 200, bus)
            await wait_for(lambda: all(len(bus.snapshot(t).t) >= 3 for t in TAGS), "three samples of every tag")

            await asyncio.to_thread(simulator.kill)
            await wait_for(lambda: handle.status.state is ConnectionState.RECONNECTING, "RECONNECTING read")
            await wait_for(lambda: all((bus.snapshot(t).q == BAD).any() for t in TAGS), "a gap marker on every tag")
            with pytest.raises(DeviceError):  # meanwhile requests fail at once, with the reason
                await asyncio.wait_for(handle.read(["flow"]), 10)
            await asyncio.to_thread(simulator.start)
            marks = {t: len(bus.snapshot(t).t) for t in TAGS}
            await wait_for(lambda: all(len(bus.snapshot(t).t) >= marks[t] + 3 for t in TAGS),
                           "every tag resuming after the outage")
            await wait_for(lambda: (caller, ConnectionState.CONNECTED) in seen[-1:], "CONNECTED seen by the caller")
            stats = await subscription.stats()
            assert stats.gaps >= 1 and all(stats.updates.get(t, 0) >= 6 for t in TAGS)
            await subscription.close()
        assert probe.longest < MAX_GAP_S, f"the caller's loop stalled {probe.longest:.2f} s"

        states = [state for _, state in seen]
        assert {thread for thread, _ in seen} == {caller}, "a status callback ran on a foreign thread"
        assert ConnectionState.RECONNECTING in states
        assert states.index(ConnectionState.RECONNECTING) < len(states) - 1 - states[::-1].index(
            ConnectionState.CONNECTED)
        assert [state for _, state in everywhere] == states and {t for t, _ in everywhere} == {caller}
        assert handle.counters.reconnects >= 1
        for tag in TAGS:
            assert np.all(np.diff(bus.snapshot(tag).t) > 0), f"{tag}: timestamps repeat or go back"

        started = time.monotonic()
        await handle.close()
        await handle.close()  # safe twice
        assert time.monotonic() - started < 10
        assert handle.status.state is ConnectionState.DISCONNECTED
        assert handle not in host.handles

    asyncio.run(scenario())


def test_close_ends_sessions_reconnecting_to_a_dead_server(simulator):
    host = DeviceHost()

    async def scenario() -> SessionHandle:
        handle = await host.open(session_factory(simulator))
        await handle.connect()
        await handle.subscribe(TAGS, 200, LiveBus())
        await asyncio.to_thread(simulator.kill)
        with GapProbe() as probe:
            await wait_for(lambda: handle.status.state is ConnectionState.RECONNECTING, "reconnecting")
            await asyncio.sleep(1)  # some reconnect attempts against nothing
        assert probe.longest < MAX_GAP_S, f"the caller's loop stalled {probe.longest:.2f} s"
        return handle

    handle = asyncio.run(scenario())
    started = time.monotonic()
    host.close()
    assert time.monotonic() - started < host.close_timeout + 2
    assert handle.status.state is ConnectionState.DISCONNECTED
    assert not host._thread.is_alive()
