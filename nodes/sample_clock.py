"""Regular sampling: a component that takes a ``sample_rate`` refuses a stream that is not at it.

A Butterworth filter or an FFT is designed for samples exactly ``1/f_s`` apart. Fed a polled tag
with jitter, a recording with a gap or a 10 Hz stream declared as 1000 Hz, it gives wrong numbers
without a word. A :class:`SampleClock` watches one input's timestamps against the declared rate
and carries the last timestamp across chunks, so a recording is refused at the same sample
however it is cut into chunks.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from nodes.component import Component, Kind

# Each interval may differ from the declared period by 10 %. DAQ hardware clocks are exact (their
# timestamps differ only by the 1 ns rounding) and live runs resample onto an exact grid; what
# jitters is a software-timestamped poll (OS scheduling and network: a few ms on a 100 ms poll).
# 10 % lets that jitter through, while one missing sample (+100 %) cannot pass.
TOLERANCE = 0.10
# A steady rate error passes the interval test (1024 Hz data is only 2.4 % off 1000 Hz), yet it moves
# every frequency of the design, cut-offs, FFT bins and bearing lines, by that fraction. So every
# WINDOW samples, counted from the stream's first, must also span WINDOW periods within 1 % (plus
# one interval's jitter): a cut-off 1 % off is within a filter's own tolerance.
RATE_TOLERANCE = 0.01
WINDOW = 100
NS_PER_S = 1_000_000_000
# A long chunk's intervals are computed BLOCK at a time into a reused buffer that stays in the CPU
# cache: a 1 M-sample chunk then costs half of what a fresh array of all its differences would.
BLOCK = 32_768
# The ufuncs' own reductions: ndarray.min/max add a microsecond of Python on a 100-sample tick.
_least, _most = np.minimum.reduce, np.maximum.reduce
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DURATION_UNITS = (("d", 86_400e9), ("h", 3_600e9), ("min", 60e9), ("s", 1e9), ("ms", 1e6), ("µs", 1e3))


class IrregularSampling(ValueError):
    """An input's timestamps do not fit the sample rate its component declares."""


class SampleClock:
    """The regular-sampling check of one input at ``rate_hz``.

    Parameters
    ----------
    port : str
        The input's name, for the messages.
    rate_hz : float
        The declared sample rate.
    """

    def __init__(self, port: str, rate_hz: float):
        self.port = port
        self.rate_hz = rate_hz
        self.period_ns = NS_PER_S / rate_hz
        self.shortest, self.longest = _bounds(self.period_ns, TOLERANCE * self.period_ns)
        window_ns = WINDOW * self.period_ns
        self.window_shortest, self.window_longest = _bounds(
            window_ns, TOLERANCE * self.period_ns + RATE_TOLERANCE * window_ns)
        self.count = 0  # samples taken so far
        self.last: int | None = None  # the last sample's timestamp
        self.mark: int | None = None  # the timestamp of the last window boundary
        self.steady = False  # an interval within tolerance has been seen
        self._intervals = np.empty(0, np.int64)

    def check(self, t: np.ndarray) -> None:
        """Take the next chunk's timestamps (int64 ns); raise :class:`IrregularSampling` at the first fault."""
        if not len(t):
            return
        _, marks = self._marks(t)
        if not (self._intervals_regular(t) and self._windows_regular(marks)):
            raise IrregularSampling(self._describe(t))
        self.steady = self.steady or self.last is not None or len(t) > 1
        self.last = t.item(-1)
        if len(marks):
            self.mark = marks.item(-1)
        self.count += len(t)

    def _intervals_regular(self, t: np.ndarray) -> bool:
        if self.last is not None and not self.shortest <= t.item(0) - self.last <= self.longest:
            return False
        if len(t) <= BLOCK:  # a streaming tick: one small array
            intervals = t[1:] - t[:-1]
            return not len(intervals) or (self.shortest <= _least(intervals) and _most(intervals) <= self.longest)
        if len(self._intervals) < BLOCK:
            self._intervals = np.empty(BLOCK, np.int64)
        for start in range(0, len(t) - 1, BLOCK):
            stop = min(start + BLOCK, len(t) - 1)
            intervals = np.subtract(t[start + 1:stop + 1], t[start:stop], out=self._intervals[:stop - start])
            if _least(intervals) < self.shortest or _most(intervals) > self.longest:
                return False
        return True

    def _windows_regular(self, marks: np.ndarray) -> bool:
        if len(marks) == 1 and self.mark is not None:  # a streaming tick crosses one boundary at most
            return self.window_shortest <= marks.item(0) - self.mark <= self.window_longest
        spans = _spans(self.mark, marks)
        return not len(spans) or (_least(spans) >= self.window_shortest and _most(spans) <= self.window_longest)

    def _marks(self, t: np.ndarray) -> tuple[int, np.ndarray]:
        """Where the chunk's first window boundary is, and the boundaries' timestamps."""
        offset = -self.count % WINDOW
        return offset, t[offset::WINDOW]

    def _describe(self, t: np.ndarray) -> str:
        """Why the chunk was refused, at its first fault (the slow path: it runs once, when the node fails)."""
        intervals = _spans(self.last, t)
        skipped = int(self.last is None)  # intervals[k] ends at t[k + skipped]
        faults = np.flatnonzero((intervals < self.shortest) | (intervals > self.longest))
        offset, marks = self._marks(t)
        spans = _spans(self.mark, marks)
        window_faults = np.flatnonzero((spans < self.window_shortest) | (spans > self.window_longest))
        at_window = offset + (window_faults[0] + int(self.mark is None)) * WINDOW if len(window_faults) else len(t)
        if not len(faults) or at_window < faults[0] + skipped:
            return self._wrong_rate(_number(WINDOW * NS_PER_S / float(spans[window_faults[0]]), 4))
        first = int(faults[0])
        if not self.steady and first == 0:
            other_rate = self._other_rate(intervals)
            if other_rate:
                return other_rate
        fault = _interval_fault(int(intervals[first]), self.period_ns, int(t[first + skipped]))
        return (f"input '{self.port}' is not sampled regularly: {fault} "
                f"(expected {_duration(self.period_ns)} between samples); a component with a sample_rate needs a "
                "regular stream: resample the source, or run live, where inputs are resampled onto the run's rate")

    def _other_rate(self, intervals: np.ndarray) -> str | None:
        """The message for a stream that never was at the declared rate, or None when it was (only a fault)."""
        forward = intervals[intervals > 0]
        if not len(forward):
            return None
        typical = float(np.median(forward))
        if self.shortest <= typical <= self.longest:
            return None
        if np.all(np.abs(intervals - typical) <= TOLERANCE * typical):
            return self._wrong_rate(_number(NS_PER_S / float(intervals.mean()), 4))
        return (f"input '{self.port}' arrives at about {_number(NS_PER_S / typical, 2)} Hz, not regularly, but "
                f"sample_rate is {_number(self.rate_hz, None)} Hz: resample the source onto a regular rate and set "
                "sample_rate to that rate")

    def _wrong_rate(self, rate: str) -> str:
        return (f"input '{self.port}' arrives at {rate} Hz, but sample_rate is {_number(self.rate_hz, None)} Hz: "
                f"set sample_rate to {rate} Hz, or resample the source")


def sample_clocks(component: Component) -> list[SampleClock]:
    """One clock per signal input of ``component`` when it needs a regular stream (see ``Component.regular_input``)."""
    cls = type(component)
    rate = component.p.get("sample_rate")
    wanted = rate is not None if cls.regular_input is None else cls.regular_input
    if not wanted:
        return []
    if rate is None:
        raise TypeError(f"component '{cls.type_name}' asks for a regular input stream but has no 'sample_rate' "
                        "parameter to check it against")
    return [SampleClock(port.name, rate) for port in cls.inputs if port.kind == Kind.SIGNAL]


def _interval_fault(interval: int, period_ns: float, at: int) -> str:
    when = _utc(at)
    if interval >= 1.5 * period_ns:  # at least one sample missing
        return f"a gap of {_duration(interval)} at {when}"
    if interval > period_ns:
        return f"samples {_duration(interval, period_ns)} apart at {when}"
    if interval > 0:
        return f"samples only {_duration(interval, period_ns)} apart at {when}"
    if interval == 0:
        return f"two samples at the same time, {when}"
    return f"time goes back {_duration(-interval)} at {when}"


def _bounds(expected_ns: float, slack_ns: float) -> tuple[int, int]:
    """The shortest and longest whole-nanosecond span within ``slack_ns`` of ``expected_ns`` (at least 1 ns)."""
    slack_ns = max(slack_ns, 1.0)
    return math.ceil(expected_ns - slack_ns), math.floor(expected_ns + slack_ns)


def _spans(previous: int | None, points: np.ndarray) -> np.ndarray:
    """Differences between consecutive ``points``, the first from ``previous`` when there is one."""
    return np.diff(points) if previous is None else np.diff(points, prepend=previous)


def _duration(ns: float, like: float | None = None) -> str:
    """``ns`` in the largest unit that fits it (or fits ``like``, to compare with it)."""
    for unit, size in _DURATION_UNITS:
        if (like or ns) >= size:
            return f"{_number(ns / size)} {unit}"
    return f"{_number(ns)} ns"


def _number(value: float, digits: int | None = 3) -> str:
    """``value`` to ``digits`` significant digits (None: as given), without an exponent or trailing zeros."""
    return np.format_float_positional(value, precision=digits, unique=digits is None, fractional=False, trim="-")


def _utc(ns: int) -> str:
    """``ns`` since the epoch as UTC, to the ms, µs or ns as needed: 2026-05-01 10:00:03.250 UTC."""
    seconds, fraction = divmod(ns, NS_PER_S)
    # Added to the epoch: datetime.fromtimestamp refuses times before 1970 on Windows.
    text = (_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
    digits = f"{fraction:09d}"
    while digits.endswith("000"):
        digits = digits[:-3]
    return f"{text}.{digits} UTC" if digits else f"{text} UTC"
