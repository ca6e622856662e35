"""OPC UA subscriptions that hold through faults, against the real simulator on 127.0.0.1.

No assertion of a rate or a duration after a fixed sleep: each test waits for a condition under
a generous deadline and then checks counts, order and the absence of duplicates, so that it
passes on a busy two-core machine. The kill-and-restart test runs the simulator in its own
process (as a PLC would be), the others in a thread of this process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from asyncua import ua

from device_browser.bus import LiveBus
from device_browser.opcua.client import OpcUaSession
from device_browser.opcua.ua_publish import requests_needed
from device_browser.opcua.ua_values import is_overflow, quality_of, sample_of, status_name
from device_browser.session import BAD, GOOD, NO_COMMUNICATION, UNCERTAIN, ConnectionState, DeviceError
from device_browser.simulators.opcua.simulation import free_port
from tests.device_browser.test_opcua_client import SimThread, run, wait_until

NS = "nsu=urn:millwright:pumpstation;s="


def extra(i: int) -> str:
    return f"{NS}Extra.Tag{i:05d}"


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    server = SimThread(extra_tags=2500, extra_interval=0.1, pki_dir=tmp_path_factory.mktemp("sim-pki"),
                       security=False, limits={"MaxMonitoredItemsPerCall": 500, "MaxNotificationsPerPublish": 1000})
    yield server
    server.handle.publishing_paused = False
    server.close()


def session(sim: SimThread, tmp_path: Path, **kwargs) -> OpcUaSession:
    kwargs.setdefault("timeout", 3.0)
    kwargs.setdefault("keepalive_interval", 0.5)
    return OpcUaSession(sim.handle.url, pki_dir=tmp_path / "pki", **kwargs)


# --- values -------------------------------------------------------------------------------------


def test_status_bits_make_a_good_value_uncertain():
    overflow = ua.DataValue(ua.Variant(1.5), ua.StatusCode(0x480))
    sample = sample_of("t", overflow)
    assert sample.quality == UNCERTAIN and sample.status == "Good, Overflow" and is_overflow(overflow.StatusCode)
    assert quality_of(ua.StatusCode(0x400)) == GOOD  # InfoType DataValue without flags
    assert quality_of(ua.StatusCode(0x400 | 0x200)) == UNCERTAIN  # high limit
    assert status_name(ua.StatusCode(0x400 | 0x300)) == "Good, Constant"
    assert quality_of(ua.StatusCode(0x4000)) == UNCERTAIN  # semantics changed
    assert quality_of(ua.StatusCode(ua.StatusCodes.BadNoCommunication)) == BAD
    assert not is_overflow(ua.StatusCode(0x80))  # the overflow bit counts only with InfoType DataValue
    assert requests_needed(5000, 1) == 6 and requests_needed(50_000, 1) == 10 and requests_needed(10, 3) == 4


# --- several Publish requests in flight, bounded answers, overflow, staleness --------------------


def test_several_publish_requests_in_flight_and_every_tag_arrives(sim, tmp_path):
    tags = [extra(i) for i in range(2500)]

    async def main():
        async with session(sim, tmp_path) as s:
            bus = LiveBus(capacity=200)
            sim.handle.publishing_paused = True  # nothing answered: the requests pile up at the server
            try:
                before = sim.count("Publish")
                sub = await s.subscribe(tags, 100, bus)
                target = s.live.publisher.target
                assert await wait_until(lambda: sim.count("Publish") - before >= target, 30)
                await asyncio.sleep(0.3)  # (a negative check: no more requests than that while unanswered)
                queued = sim.count("Publish") - before
            finally:
                sim.handle.publishing_paused = False
            assert await wait_until(lambda: all(bus.latest(t) is not None for t in tags), 60)
            return target, queued, sub.stats, {t: bus.snapshot(t) for t in tags[:50]}

    target, queued, stats, chunks = run(main(), 120)
    assert target == requests_needed(2500, 1) == 4
    assert queued == target  # asyncua's client would have one
    assert sim.handle.largest_publish <= 1000  # the server's bound held, and 2,500 still arrived
    assert all(n >= 1 for n in stats.updates.values()) and len(stats.updates) == 2500
    for chunk in chunks.values():
        assert np.all(np.diff(chunk.t) > 0) and np.all(chunk.q == GOOD)


def test_an_overflowing_server_queue_makes_samples_uncertain_and_is_counted(sim, tmp_path):
    tags = [extra(i) for i in range(5)]

    async def main():
        async with session(sim, tmp_path) as s:
            bus = LiveBus()
            # values change every 100 ms, published every second, two kept per item: the server discards
            sub = await s.subscribe(tags, 1000, bus, sampling_interval_ms=100, queue_size=2)
            assert await wait_until(lambda: sub.stats.overflows >= 5, 60)
            return sub.stats, {t: bus.snapshot(t) for t in tags}

    stats, chunks = run(main(), 90)
    uncertain = sum(int(np.count_nonzero(c.q == UNCERTAIN)) for c in chunks.values())
    assert uncertain >= 5 and stats.dropped >= stats.overflows >= 5
    for chunk in chunks.values():
        assert np.all(np.diff(chunk.t) > 0) and not np.any(chunk.q == BAD)


def test_a_silent_subscription_is_flagged_stale_while_connected(sim, tmp_path):
    async def main():
        async with session(sim, tmp_path) as s:
            bus = LiveBus()
            sub = await s.subscribe([extra(7)], 100, bus)
            assert await wait_until(lambda: len(bus.snapshot(extra(7)).t) >= 3, 30)
            fresh = sub.stats.stale, sub.stats.newest_age_s
            sim.handle.publishing_paused = True  # the server answers reads but its subscriptions stall
            try:
                assert await wait_until(lambda: sub.stats.stale, 30)
                stale = sub.stats.stale, sub.stats.newest_age_s, s.status.state
            finally:
                sim.handle.publishing_paused = False
            assert await wait_until(lambda: not sub.stats.stale, 30)
            return fresh, stale, s.counters.reconnects, sub.stats.gaps

    (was_stale, young), (stale, age, state), reconnects, gaps = run(main(), 90)
    assert not was_stale and young < 60
    assert stale and age >= sub_stale_limit() and state == ConnectionState.CONNECTED
    assert reconnects == 0 and gaps == 0  # the server answered the probe: stale, not lost


def sub_stale_limit() -> float:
    return 3 * 0.5  # 3 × the keep-alive period (0.5 s at 100 ms publishing, keep-alive interval 0.5 s)


# --- a network outage: the same session, nothing the server queued is lost ----------------------


def test_after_a_network_outage_the_session_is_reused_and_queued_values_arrive(sim, tmp_path):
    tags = [extra(i) for i in range(20)]

    async def main():
        async with session(sim, tmp_path) as s:
            bus = LiveBus()
            sub = await s.subscribe(tags, 100, bus, queue_size=50)
            assert await wait_until(lambda: len(bus.snapshot(tags[0]).t) >= 5, 30)
            sessions = sim.count("CreateSession")
            await sim.run(sim.handle.drop_connections())
            assert await wait_until(lambda: s.counters.reconnects == 1 and s.status.state == ConnectionState.CONNECTED,
                                    30)
            n = len(bus.snapshot(tags[0]).t)
            assert await wait_until(lambda: len(bus.snapshot(tags[0]).t) >= n + 10, 30)
            stamps = sim.handle.extra_stamps
            return sim.count("CreateSession") - sessions, s.live.gaps, stamps, sub.stats, {
                t: bus.snapshot(t) for t in tags}

    new_sessions, gaps, stamps, stats, chunks = run(main(), 90)
    assert new_sessions == 0 and len(gaps) == 1 and stats.gaps == 1
    for tag, chunk in chunks.items():
        assert np.all(np.diff(chunk.t) > 0), tag
        bad = np.flatnonzero(chunk.q == BAD)
        assert list(chunk.t[bad]) == gaps, tag
        got = set(chunk.t[chunk.q == GOOD].tolist())
        after = [x for x in stamps if gaps[0] < x <= max(got)]
        assert after and set(after) <= got, f"{tag}: updates after the gap missing"


# --- aliases --------------------------------------------------------------------------------------


def test_point_names_work_as_tags_and_cost_no_parsing(sim, tmp_path, monkeypatch):
    aliases = {"flow": f"{NS}PumpStation.Flow", "trim": f"{NS}PumpStation.FlowTrim"}
    aliases |= {f"p{i}": extra(i) for i in range(1000)}

    async def main():
        async with session(sim, tmp_path, aliases=aliases) as s:
            first = await s.read(["flow", "p1", "nope", extra(2)])
            await s.read([f"p{i}" for i in range(1000)])  # parsed once here, then kept
            parsed = []
            original = ua.NodeId.from_string
            monkeypatch.setattr(ua.NodeId, "from_string", staticmethod(lambda t: parsed.append(t) or original(t)))
            many = await s.read([f"p{i}" for i in range(1000)])
            monkeypatch.undo()
            await s.write("trim", 1.5)
            trim = (await s.read(["trim"]))[0]
            await s.write("trim", 0.0)
            bus = LiveBus()
            await s.subscribe(["flow", "p3"], 100, bus)
            assert await wait_until(lambda: bus.latest("flow") is not None and bus.latest("p3") is not None, 30)
            with pytest.raises(DeviceError, match="neither a point"):
                s.to_nodeid("nope")
            return first, parsed, many, trim, bus.tags()

    first, parsed, many, trim, bus_tags = run(main())
    assert [x.tag for x in first] == ["flow", "p1", "nope", extra(2)]
    assert [x.quality for x in first] == [GOOD, GOOD, BAD, GOOD]
    # none of our tags parsed again (the session's own keep-alive probe may read i=2259 meanwhile)
    assert not set(parsed) & (set(aliases) | set(aliases.values()))
    assert len(many) == 1000 and all(x.quality == GOOD for x in many)
    assert trim.tag == "trim" and trim.value == pytest.approx(1.5)
    assert bus_tags == ["flow", "p3"]


# --- the simulator killed and started again: the session comes back by itself ---------------------


def _start_process(port: int, home: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "simulate", "opcua", "--port", str(port), "--no-security",
         "--extra-tags", "200", "--extra-interval", "0.1"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "XDG_DATA_HOME": str(home), "PYTHONUNBUFFERED": "1"},
    )
    line = process.stdout.readline()
    assert "listening" in line, line
    return process


def test_the_session_reconnects_by_itself_after_the_server_is_killed_and_restarted(tmp_path):
    port = free_port("127.0.0.1")
    url = f"opc.tcp://127.0.0.1:{port}/millwright/"
    tags = [f"{NS}PumpStation.Flow", f"{NS}PumpStation.Mode", *(extra(i) for i in range(200))]
    process = _start_process(port, tmp_path / "sim")

    async def main():
        nonlocal process
        s = OpcUaSession(url, pki_dir=tmp_path / "pki", timeout=3.0, keepalive_interval=0.5)
        states = []
        s.status_changed.connect(states.append)
        try:
            await s.connect()
            bus = LiveBus()
            sub = await s.subscribe(tags, 100, bus)
            assert await wait_until(lambda: all(bus.latest(t) is not None for t in tags), 60)
            process.send_signal(signal.SIGKILL)  # no goodbye: the socket just closes
            process.wait(10)
            assert await wait_until(lambda: s.status.state == ConnectionState.RECONNECTING, 30)
            await wait_until(lambda: s.status.attempt >= 2, 30)  # it keeps trying while nothing answers
            with pytest.raises(DeviceError):
                await s.read(tags[:1])  # at once, not after a timeout
            process = _start_process(port, tmp_path / "sim")
            assert await wait_until(lambda: s.status.state == ConnectionState.CONNECTED, 60)
            lengths = {t: len(bus.snapshot(t).t) for t in tags}
            assert await wait_until(
                lambda: all(bus.latest(t)[2] == GOOD and len(bus.snapshot(t).t) > lengths[t] for t in tags
                            if t != tags[1]), 60)
            assert await wait_until(lambda: bus.latest(tags[1])[2] == GOOD, 30)  # Mode: unchanged, good again
            return states, s.live.gaps, sub.stats, s.counters, {t: bus.snapshot(t) for t in tags}
        finally:
            await s.close()

    try:
        states, gaps, stats, counters, chunks = run(main(), 240)
    finally:
        process.terminate()
        process.wait(20)
    kinds = [x.state for x in states]
    assert kinds[:3] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED, ConnectionState.RECONNECTING]
    reconnecting = [x for x in states if x.state == ConnectionState.RECONNECTING]
    assert [x.attempt for x in reconnecting] == list(range(1, len(reconnecting) + 1))  # one per attempt, in order
    assert kinds[-2:] == [ConnectionState.CONNECTED, ConnectionState.DISCONNECTED]
    assert ConnectionState.FAILED not in kinds
    assert counters.reconnects == 1 and counters.errors >= 1
    assert len(gaps) == 1 and stats.gaps == 1
    for tag, chunk in chunks.items():
        assert np.all(np.diff(chunk.t) > 0), f"{tag}: timestamps repeat or go back"
        bad = np.flatnonzero(chunk.q == BAD)
        assert len(bad) == 1 and np.isnan(chunk.v[bad[0]]) and chunk.t[bad[0]] == gaps[0], tag
        assert bad[0] < len(chunk.t) - 1 and chunk.q[-1] == GOOD, f"{tag}: nothing after the gap"
    assert NO_COMMUNICATION == "BadNoCommunication"
