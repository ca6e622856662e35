"""The recorder layer on the recording store: live OPC UA data from the simulator (its own process)
into SQLite and a real PostgreSQL, a device outage stored as a gap while recording goes on, and a
full disk (a real full filesystem, and a real file-size limit) stopping the recorder cleanly with
everything committed kept."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from device_browser.bus import LiveBus
from device_browser.connect import open_session
from device_browser.live_recorder import FileSink, LiveRecorder, RecorderState, record_from_bus
from device_browser.profiles import load_profile
from device_browser.recorder import open_recorder
from device_browser.store import TagInfo, open_store
from device_browser.store_sink import StoreSink
from nodes.chunk import Chunk
from nodes.quality import Quality
from tests.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.simulator_process import SimulatorProcess

TAGS = ["flow", "speed", "discharge_pressure"]
DEADLINE = 60.0


@pytest.fixture
def opcua(tmp_path, free_tcp_port):
    sim = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / "recordings.sqlite"
    return request.getfixturevalue("postgres_url")


async def until(condition, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline:g} s: {what}")
        await asyncio.sleep(0.05)


class LiveRun:
    """A recording of TAGS from the simulator into ``store`` through the recorder layer, in this process."""

    def __init__(self, sim: SimulatorProcess, store, name: str):
        self.sim, self.store, self.name = sim, store, name
        self.profile = load_profile(sim.profile())

    async def __aenter__(self) -> LiveRun:
        self.session = open_session(self.profile)
        await self.session.connect()
        infos = [TagInfo(t, unit=self.profile.point(t).unit, device=self.profile.id, point=t,
                         ref=f"{self.profile.id}/{t}") for t in TAGS]
        self.sink = StoreSink(self.store, self.name, infos, devices=[self.profile.id])
        self.recorder = LiveRecorder(TAGS, [self.sink])
        bus = LiveBus()
        reader = bus.reader(TAGS, from_start=True)
        self.subscription = await self.session.subscribe(TAGS, 200, bus)
        self.undo = self.recorder.follow(self.session, self.profile.id)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(record_from_bus(self.recorder, reader, stop=self.stop))
        return self

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        self.status = await asyncio.wait_for(self.task, DEADLINE)
        self.undo()
        await self.subscription.close()
        await self.session.close()


def committed_per_tag(store, name: str) -> dict[str, int]:
    stats = store.statistics(recording=name)
    return dict(zip(stats.index, stats["count"].tolist(), strict=True))


def test_live_samples_are_committed_to_the_store_with_their_tags(opcua, location):
    with open_store(location) as store:

        async def main():
            async with LiveRun(opcua, store, "site run") as run:
                await until(lambda: min(committed_per_tag(store, "site run").values(), default=0) >= 4,
                            "four committed samples of every tag")
            return run

        run = asyncio.run(main())
        status = run.status
        assert status.state == RecorderState.STOPPED
        counts = committed_per_tag(store, "site run")
        assert set(counts) == set(TAGS) and min(counts.values()) >= 4
        assert sum(counts.values()) == status.committed == status.samples  # stop committed the rest
        assert status.size_bytes == store.stored_bytes("site run") > 0
        rec = store.recording("site run")
        assert rec.ended_ns is not None and rec.devices == (run.profile.id,)
        assert {t.name: t.unit for t in store.tags(rec)} == {t: run.profile.point(t).unit for t in TAGS}
        assert store.compact(rec) == 0  # compacted at stop already
        frame = store.read(TAGS, recording=rec)
        for tag in TAGS:
            samples = frame[frame.tag == tag]
            assert samples.time.is_monotonic_increasing and not samples.time.duplicated().any()
            assert np.isfinite(samples.value).all() and (samples.quality == Quality.GOOD).all()


def test_an_outage_is_stored_as_a_gap_and_recording_goes_on(opcua, tmp_path):
    with open_store(tmp_path / "recordings.sqlite") as store:

        async def main():
            async with LiveRun(opcua, store, "outage") as run:
                await until(lambda: run.recorder.status.committed >= 6, "samples before the outage")
                await asyncio.to_thread(opcua.kill)
                await until(lambda: run.recorder.status.gaps == 1 and len(store.gaps("outage")) == 1,
                            "the gap committed")
                assert store.gaps("outage")[0].end_ns is None  # open while the device is away
                await asyncio.to_thread(opcua.start)
                await until(lambda: store.gaps("outage")[0].end_ns is not None, "the gap ended on reconnect")
                back = store.gaps("outage")[0].end_ns
                await until(lambda: len(store.read(TAGS, back, recording="outage")) >= 6,
                            "samples after the reconnect")
            return run

        run = asyncio.run(main())
        assert run.status.state == RecorderState.STOPPED and run.status.gaps == 1
        (gap,) = store.gaps("outage")
        assert gap.device == run.profile.id and gap.start_ns < gap.end_ns and gap.reason
        frame = store.read(TAGS, recording="outage")
        ns = frame.time.dt.tz_convert(None).to_numpy("datetime64[ns]").view(np.int64)
        assert (ns < gap.start_ns).any() and (ns >= gap.end_ns).any()  # recorded before and after
        bad = frame[frame.quality == Quality.BAD]
        assert set(bad.tag) == set(TAGS) and bad.value.isna().all()  # the session's marker of the loss
        assert store.statistics(recording="outage")["gaps"].tolist() == [1, 1, 1]


# -- a full disk ------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB filesystem (tmpfs), mounted for the test: writes beyond it fail with ENOSPC."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}); the RLIMIT_FSIZE test covers it")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def noise(rng: np.random.Generator, start: int, n: int) -> Chunk:
    """Incompressible samples: a disk fills at the rate they arrive."""
    return Chunk(start + np.arange(n, dtype=np.int64) * 1_000_000, rng.standard_normal(n), np.zeros(n, np.uint8))


def fill(recorder: LiveRecorder, rounds: int = 2000) -> None:
    rng = np.random.default_rng(7)
    recorder.start()
    t = time.time_ns()
    for _ in range(rounds):
        recorder.add_chunks({"a": noise(rng, t, 5000), "b": noise(rng, t, 5000)})
        t += 5000 * 1_000_000
        recorder.commit()
        if not recorder.recording:
            return
    raise AssertionError("the disk never filled")


def test_a_full_disk_stops_the_store_sink_cleanly_keeping_every_committed_sample(small_disk):
    path = small_disk / "recordings.sqlite"
    with open_store(path) as store:
        recorder = LiveRecorder(["a", "b"], [StoreSink(store, "r", [TagInfo("a"), TagInfo("b")])])
        seen = []
        recorder.status_changed.connect(seen.append)
        fill(recorder)
        status = recorder.status
        assert status.state == RecorderState.FAILED and seen[-1].state == RecorderState.FAILED
        assert str(path.resolve()) in status.message and "disk is full" in status.message
        assert status.committed > 0 and status.samples > status.committed  # the last second was refused
        recorder.stop()  # stopping a failed recorder is harmless
    with open_store(path, read_only=True) as reopened:
        assert sum(committed_per_tag(reopened, "r").values()) == status.committed


def test_a_full_disk_stops_the_file_sink_cleanly_naming_the_file(small_disk):
    path = small_disk / "run.csv"
    recorder = LiveRecorder(["a", "b"], [FileSink(open_recorder(path, ["a", "b"]))])
    fill(recorder)
    status = recorder.status
    assert status.state == RecorderState.FAILED
    assert str(path) in status.message and "disk is full" in status.message
    whole_lines = path.read_bytes().count(b"\n")
    assert whole_lines - 1 >= status.committed > 0  # every committed row is in the file


FILE_LIMIT_SCRIPT = textwrap.dedent("""
    import json, resource, signal, sys
    sys.path.insert(0, sys.argv[2])
    from tests.device_browser.test_recorder_store import fill
    from device_browser.live_recorder import LiveRecorder
    from device_browser.store import TagInfo, open_store
    from device_browser.store_sink import StoreSink

    store = open_store(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write beyond the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_500_000, 1_500_000))
    recorder = LiveRecorder(["a", "b"], [StoreSink(store, "r", [TagInfo("a"), TagInfo("b")])])
    fill(recorder)
    status = recorder.status
    print(json.dumps({"state": status.state, "message": status.message, "committed": status.committed}))
""")


def test_a_file_size_limit_stops_the_recorder_cleanly(tmp_path):
    """RLIMIT_FSIZE (set in a child process) makes the OS refuse writes as a full disk does, without root."""
    path = tmp_path / "recordings.sqlite"
    result = subprocess.run([sys.executable, "-c", FILE_LIMIT_SCRIPT, str(path), str(Path.cwd())],
                            capture_output=True, text=True, timeout=DEADLINE, check=False,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["state"] == RecorderState.FAILED
    assert str(path.resolve()) in report["message"] and "recording stopped" in report["message"]
    assert report["committed"] > 0
    with open_store(path) as store:  # opens, and holds exactly what was committed
        assert sum(committed_per_tag(store, "r").values()) == report["committed"]


class CountingStoreSink(StoreSink):
    """The store sink, counting its compactions."""

    compactions = 0

    def compact(self) -> None:
        super().compact()
        self.compactions += 1


def test_compaction_beside_commits_loses_and_doubles_nothing(tmp_path):
    tags = [f"line3/t{i:02d}" for i in range(50)]

    async def main(store):
        bus = LiveBus()
        reader = bus.reader(tags, from_start=True)
        sink = CountingStoreSink(store, "c", [TagInfo(t) for t in tags])
        recorder = LiveRecorder(tags, [sink], commit_s=0.2, compact_s=0.3)
        stop = asyncio.Event()
        task = asyncio.create_task(record_from_bus(recorder, reader, stop=stop))
        base = time.time_ns()
        for round_ in range(60):  # 10 samples per tag per round, while commits and compactions run
            t = base + (round_ * 10 + np.arange(10, dtype=np.int64)) * 1_000_000
            for tag in tags:
                bus.publish(tag, t, np.sin(t / 1e9), 0)
            await asyncio.sleep(0.03)
        await until(lambda: sink.compactions >= 2, "two compactions while recording")
        stop.set()
        return await asyncio.wait_for(task, DEADLINE)

    with open_store(tmp_path / "recordings.sqlite") as store:
        status = asyncio.run(main(store))
        assert status.state == RecorderState.STOPPED and status.committed == 50 * 600
        assert set(committed_per_tag(store, "c").values()) == {600}
        assert store.compact("c") == 0
        frame = store.read(tags[:3], recording="c")
        assert not frame.duplicated(["tag", "time"]).any()
