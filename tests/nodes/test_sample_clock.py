import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodes.component import Component, Kind, Param, Port, Text
from nodes.library.signal import BandPass, Scale
from nodes.library.vibration import FftSpectrum
from nodes.sample_clock import IrregularSampling, SampleClock, sample_clocks
from tests.nodes.helpers import SECOND, cut_points, signal

MAY_1 = 1_777_629_600 * SECOND  # 2026-05-01 10:00:00 UTC
MS = 1_000_000
ADVICE = ("a component with a sample_rate needs a regular stream: resample the source, or run live, "
          "where inputs are resampled onto the run's rate")
EMPTY = np.empty(0, np.int64)


def feed(clock: SampleClock, t: np.ndarray, cuts=()) -> str | None:
    """Push ``t`` cut at ``cuts`` (an empty chunk after each piece) through ``clock``; the refusal, or None."""
    try:
        for piece in np.split(t, sorted(set(c for c in cuts if 0 < c < len(t)))):
            clock.check(piece)
            clock.check(EMPTY)
    except IrregularSampling as refusal:
        return str(refusal)
    return None


def grid(rate: float, count: int, start: int = MAY_1) -> np.ndarray:
    return signal(np.zeros(count), rate, start).t


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([1000.0, 2048.0, 3.0, 25_600.0, 0.1]), cut_points(400))
def test_a_regular_stream_passes_in_any_chunking(rate, cuts):
    assert feed(SampleClock("x", rate), grid(rate, 400), cuts) is None


@pytest.mark.parametrize("rate", [10.0, 7.0, 2000.0, 3.3])
def test_the_live_runs_grid_passes(rate):
    period = max(int(SECOND / rate), 1)  # how model_designer/run.py lays its grid
    assert feed(SampleClock("x", rate), MAY_1 + np.arange(1000, dtype=np.int64) * period, range(0, 1000, 3)) is None


def test_empty_chunks_and_single_samples_pass():
    clock = SampleClock("x", 1000.0)
    for t in (EMPTY, grid(1000.0, 1), EMPTY, grid(1000.0, 1, MAY_1 + MS), grid(1000.0, 1, MAY_1 + 2 * MS)):
        clock.check(t)
    assert clock.last == MAY_1 + 2 * MS


def test_jitter_within_ten_percent_passes_and_beyond_fails():
    rng = np.random.default_rng(7)
    t = MAY_1 + np.arange(5000) * 100 * MS  # a 10 Hz poll, software-timestamped
    jittered = t + rng.integers(-4 * MS, 5 * MS, len(t))  # intervals within ±9 ms of 100 ms
    assert feed(SampleClock("flow", 10.0), jittered, range(0, 5000, 17)) is None
    late = jittered.copy()
    late[2500] = t[2500] + 20 * MS  # 115–124 ms after the sample before it
    message = feed(SampleClock("flow", 10.0), late, range(0, 5000, 17))
    assert message.startswith("input 'flow' is not sampled regularly: samples 1")
    assert " ms apart at 2026-05-01 10:04:10.020 UTC (expected 100 ms between samples)" in message


def test_a_gap_is_named_with_its_size_and_time():
    t = grid(1000.0, 100_000)  # one chunk longer than the check's block of intervals
    assert feed(SampleClock("acc", 1000.0), t) is None
    t[70_000:] += 3_200 * MS - MS  # samples 70000… come 3.2 s after sample 69999
    assert feed(SampleClock("acc", 1000.0), t) == (
        "input 'acc' is not sampled regularly: a gap of 3.2 s at 2026-05-01 10:01:13.199 UTC "
        f"(expected 1 ms between samples); {ADVICE}")


@settings(max_examples=25, deadline=None)
@given(cut_points(2000))
def test_a_fault_is_refused_at_the_same_sample_in_any_chunking(cuts):
    t = grid(2000.0, 2000)
    t[1234:] -= 300_000  # 0.2 ms after the sample before it
    expected = ("input 'acc' is not sampled regularly: samples only 200 µs apart at 2026-05-01 10:00:00.616700 UTC "
                f"(expected 500 µs between samples); {ADVICE}")
    assert feed(SampleClock("acc", 2000.0), t, cuts) == expected


def test_repeated_and_backward_timestamps_are_named():
    t = grid(1000.0, 100)
    repeated, backward = t.copy(), t.copy()
    repeated[40] = repeated[39]
    backward[40] = backward[37]
    assert feed(SampleClock("x", 1000.0), repeated).startswith(
        "input 'x' is not sampled regularly: two samples at the same time, 2026-05-01 10:00:00.039 UTC (expected")
    assert feed(SampleClock("x", 1000.0), backward).startswith(
        "input 'x' is not sampled regularly: time goes back 2 ms at 2026-05-01 10:00:00.037 UTC (expected")


@pytest.mark.parametrize("cuts", [(), range(200)], ids=["one chunk", "one-sample ticks"])
def test_a_steady_stream_at_another_rate_names_both_rates(cuts):
    assert feed(SampleClock("x", 1000.0), grid(10.0, 200), cuts) == (
        "input 'x' arrives at 10 Hz, but sample_rate is 1000 Hz: set sample_rate to 10 Hz, or resample the source")
    assert feed(SampleClock("acc", 1024.0), grid(2048.0, 200), cuts) == (
        "input 'acc' arrives at 2048 Hz, but sample_rate is 1024 Hz: set sample_rate to 2048 Hz, "
        "or resample the source")


@settings(max_examples=25, deadline=None)
@given(cut_points(400), st.sampled_from([50, 150]))
def test_a_rate_a_little_off_is_found_within_a_window_of_samples(cuts, gap_at):
    """1024 Hz declared as 1000 Hz: each interval is within 10 %, but 100 of them span 2.4 % too little."""
    t = grid(1024.0, 400)
    t[gap_at:] += 10 * MS
    expected = ("input 'acc' arrives at 1024 Hz, but sample_rate is 1000 Hz: set sample_rate to 1024 Hz, "
                "or resample the source") if gap_at > 100 else (
                "input 'acc' is not sampled regularly: a gap of 11 ms at 2026-05-01 10:00:00.058828125 UTC "
                f"(expected 1 ms between samples); {ADVICE}")
    assert feed(SampleClock("acc", 1000.0), t, cuts) == expected


def test_a_jittery_stream_at_another_rate_gives_its_rough_rate():
    t = MAY_1 + np.arange(300) * 100 * MS + np.random.default_rng(2).integers(-30 * MS, 30 * MS, 300)
    assert feed(SampleClock("level", 1000.0), np.sort(t)) == (
        "input 'level' arrives at about 10 Hz, not regularly, but sample_rate is 1000 Hz: resample the source "
        "onto a regular rate and set sample_rate to that rate")


class Gated(Component):
    """Takes a sample rate, a signal and a boolean gate.

    References
    ----------
    None: test component.
    """

    type_name = "test.gated"
    title = Text("Gated")
    inputs = (Port("x"), Port("on", Kind.BOOLEAN, ""))
    params = (Param("sample_rate", "float", 100.0),)


class Resampling(Gated):
    """Takes a sample rate but reads the timestamps itself (a stand-in for an opt-out).

    References
    ----------
    None: test component.
    """

    type_name = "test.resampling"
    regular_input = False


class Insistent(Component):
    """Asks for a regular input without saying at which rate (a plug-in's mistake).

    References
    ----------
    None: test component.
    """

    type_name = "test.insistent"
    title = Text("Insistent")
    inputs = (Port("x"),)
    regular_input = True


def test_components_with_a_sample_rate_get_a_clock_per_signal_input():
    assert [(c.port, c.rate_hz) for c in sample_clocks(BandPass({"sample_rate": 500.0}))] == [("x", 500.0)]
    assert [c.port for c in sample_clocks(FftSpectrum())] == ["x"]
    assert [(c.port, c.rate_hz) for c in sample_clocks(Gated())] == [("x", 100.0)]
    assert sample_clocks(Scale()) == []
    assert sample_clocks(Resampling()) == []
    with pytest.raises(TypeError, match=r"'test\.insistent' asks for a regular input stream but has no 'sample_rate'"):
        sample_clocks(Insistent())
