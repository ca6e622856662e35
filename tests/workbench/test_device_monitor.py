"""`millwright device poll` and `watch` as a commissioning engineer runs them: through outages,
Ctrl-C and kill -9, with simulators in their own processes as on a real network."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.simulator_process import SimulatorProcess

DEADLINE = 60.0


def _millwright(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "workbench", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, **kwargs)


@pytest.fixture(params=["modbus", "opcua"])
def simulator(request, tmp_path, free_tcp_port):
    sim = SimulatorProcess(request.param, free_tcp_port(), tmp_path)
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def modbus(tmp_path, free_tcp_port):
    sim = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    sim.start()
    yield sim
    sim.stop()


def wait_until(condition, what: str, process: subprocess.Popen | None = None, deadline: float = DEADLINE) -> None:
    """Wait for ``condition``; fail at once with its output if ``process`` ended meanwhile."""
    end = time.monotonic() + deadline
    while not condition():
        if process is not None and process.poll() is not None:
            stdout, stderr = process.communicate()
            raise AssertionError(f"the command ended (exit {process.returncode}) before {what}:\n{stdout}{stderr}")
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline:g} s: {what}")
        time.sleep(0.05)


def rows_of(path: Path) -> int:
    return max(0, path.read_text(encoding="utf-8").count("\n") - 1) if path.exists() else 0


def _check_outage_recording(frame: pd.DataFrame, tags: list[str]) -> None:
    for tag in tags:
        rows = frame[frame["tag"] == tag]
        times = pd.to_datetime(rows["time"])
        assert times.is_monotonic_increasing and not times.duplicated().any(), f"{tag}: repeated times"
        gaps = rows[rows["status"] == "BadNoCommunication"]
        assert len(gaps) == 1 and (gaps["quality"] == "bad").all(), f"{tag}: {len(gaps)} gap rows"
        gap_at = gaps.index[0]
        assert (rows.loc[:gap_at - 1, "quality"] == "good").sum() >= 2, f"{tag}: no data before the outage"
        assert (rows.loc[gap_at + 1:, "quality"] == "good").sum() >= 2, f"{tag}: no data after the outage"


@pytest.mark.slow
def test_poll_keeps_recording_through_a_killed_server(simulator, tmp_path):
    out = tmp_path / "x.csv"
    tags = ["flow", "speed"]
    poll = _millwright("device", "poll", str(simulator.profile()), *tags, "--interval", "200", "-o", str(out))
    try:
        wait_until(lambda: rows_of(out) >= 6, "rows before the outage", poll)  # flushed while running
        simulator.kill()
        wait_until(lambda: "BadNoCommunication" in out.read_text(), "the gap recorded", poll)
        simulator.start()
        marked = rows_of(out)
        wait_until(lambda: rows_of(out) >= marked + 6, "rows after the server is back", poll)
    finally:
        poll.send_signal(signal.SIGINT)  # Ctrl-C ends the run cleanly
        stdout, stderr = poll.communicate(timeout=30)
    assert poll.returncode == 0, stderr
    assert "1 outage(s)" in stdout and "stopped by Ctrl-C" in stdout and "reconnects" in stdout
    _check_outage_recording(pd.read_csv(out), tags)


def test_parquet_parts_survive_kill_minus_nine(modbus, tmp_path):
    out = tmp_path / "rec.parquet"
    poll = _millwright("device", "poll", str(modbus.profile()), "flow", "speed", "--interval", "100", "-o", str(out))
    try:
        wait_until(lambda: len(list(out.glob("part-*.parquet"))) >= 2, "two parts written", poll)
    finally:
        poll.kill()
        poll.wait(10)
    frame = pd.read_parquet(out)  # every part file is whole: pandas reads the folder as one table
    assert len(frame) >= 4 and set(frame["tag"]) == {"flow", "speed"}
    assert (frame["quality"] == 0).all() and str(frame["time"].dtype).startswith("datetime64[ns")


def test_duration_ends_a_wide_poll_and_an_existing_file_is_never_overwritten(modbus, tmp_path):
    out = tmp_path / "wide.csv"
    args = ["device", "poll", str(modbus.profile()), "flow", "speed", "--interval", "100", "--duration", "1",
            "--layout", "wide", "-o", str(out)]
    done = subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["time", "flow", "speed", "flow.quality", "speed.quality"] and len(frame) >= 1
    before = out.read_text()
    again = subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert out.read_text() == before


def test_a_schedule_the_device_cannot_keep_is_reported(modbus, tmp_path):
    # 30 points read every millisecond: no Modbus device keeps that; the run says what it achieved.
    done = subprocess.run([sys.executable, "-m", "workbench", "device", "poll", str(modbus.profile()), "--interval",
                           "1", "--duration", "1.5", "-o", str(tmp_path / "fast.csv")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "cannot keep a 1 ms schedule" in done.stderr and "polls/s" in done.stderr
    assert "missed: a poll took longer than the interval" in done.stdout


@pytest.mark.slow
def test_watch_records_changes_through_a_killed_server(simulator, tmp_path):
    out = tmp_path / "w.csv"
    tags = ["flow", "discharge_pressure"]
    watch = _millwright("device", "watch", str(simulator.profile()), *tags, "--interval", "200", "-o", str(out))
    try:
        wait_until(lambda: rows_of(out) >= 6, "changes recorded", watch)
        simulator.kill()
        wait_until(lambda: ",bad," in out.read_text(), "the gap recorded", watch)
        simulator.start()
        marked = rows_of(out)
        wait_until(lambda: rows_of(out) >= marked + 6, "changes after the server is back", watch)
    finally:
        watch.send_signal(signal.SIGINT)
        stdout, stderr = watch.communicate(timeout=30)
    assert watch.returncode == 0, stderr
    assert "updates per tag" in stdout and "outages 1" in stdout
    frame = pd.read_csv(out)
    for tag in tags:
        rows = frame[frame["tag"] == tag]
        assert not pd.to_datetime(rows["time"]).duplicated().any()
        assert (rows["quality"] == "bad").sum() == 1


def test_a_device_that_cannot_be_reached_at_the_start_leaves_no_file(tmp_path, free_tcp_port):
    # a typo in the address fails at once, and the next try is not refused by an empty leftover file
    out = tmp_path / "never.csv"
    done = subprocess.run([sys.executable, "-m", "workbench", "device", "poll", f"modbus+tcp://127.0.0.1:{free_tcp_port()}/1",
                           "40001", "--duration", "60", "-o", str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "connection refused" in done.stderr and not out.exists()
