"""What a trend shows, without Qt: time windows, lines with gaps, cursor values and the CSV export.

A trend draws samples of a :class:`~nodes.chunk.Chunk` (int64 ns, float64, quality) as lines
against seconds since the epoch, the x unit of pyqtgraph's date axis. Quality decides how a
sample is drawn:

* **bad** samples and NaN values are gaps: the line stops and starts again after them, so an
  outage never looks like a straight ramp between the last value before and the first after;
* **uncertain** samples are drawn as a second, dashed line that joins its good neighbours, so
  the shape stays continuous and the doubt stays visible;
* **good** samples are the solid line.

The export writes a wide recording (:func:`device_browser.recordings.open_sink`): one row per
timestamp, one column per series, bad samples as empty cells. Spreadsheets chart that layout
directly (a time column and one value column per line) where a long layout needs a pivot
first; and it is the layout the canvas reads back as a recording, so a stretch seen in a trend
can be replayed through a graph. The time is ISO 8601 UTC with microseconds: OPC UA source
times have 100 ns steps, and milliseconds would merge distinct samples.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from device_browser.recordings import open_sink
from device_browser.units import pint_symbol
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk

NS = 1_000_000_000
MAX_POINTS = 100_000  # per series: the bus's ring; more is not readable on a screen anyway


class TimeWindow(enum.Enum):
    """The time-range presets; the value is the window in seconds (None: everything there is)."""

    SECONDS_10 = 10
    MINUTE_1 = 60
    MINUTES_10 = 600
    HOUR_1 = 3600
    ALL = None


@dataclass(frozen=True)
class TrendSeries:
    """One line: the bus key it reads, its name in the legend and its unit (which picks its y-axis)."""

    key: str
    label: str
    unit: str = ""

    @property
    def axis_unit(self) -> str:
        """The unit as computed with, so that "°C" and "degC" share one axis."""
        return pint_symbol(self.unit)


@dataclass(frozen=True)
class Lines:
    """A series ready to draw: x in seconds since the epoch, the solid line and the dashed one (or None)."""

    x: np.ndarray
    solid: np.ndarray
    dashed: np.ndarray | None


def seconds(t_ns: np.ndarray) -> np.ndarray:
    """Nanoseconds since the epoch as float seconds (the date axis' unit; microsecond precision)."""
    return np.asarray(t_ns, np.int64) / NS


def lines(chunk: Chunk) -> Lines:
    """Split ``chunk`` into the solid (good) and the dashed (uncertain) line, NaN where nothing is drawn.

    Drawn with ``connect="finite"``, a NaN breaks the line. The dashed line also holds the good
    neighbours of each uncertain run, so that the two lines meet instead of leaving a hole.
    """
    v = np.asarray(chunk.v, np.float64)
    q = chunk.q
    solid = np.where(q == GOOD, v, np.nan)
    uncertain = q == UNCERTAIN
    if not uncertain.any():
        return Lines(seconds(chunk.t), solid, None)
    near = uncertain.copy()
    near[1:] |= uncertain[:-1]
    near[:-1] |= uncertain[1:]
    dashed = np.where(near & (q != BAD), v, np.nan)
    return Lines(seconds(chunk.t), solid, dashed)


def window(chunk: Chunk, t0_ns: int, t1_ns: int) -> Chunk:
    """The samples of ``chunk`` with ``t0_ns <= t <= t1_ns``.

    A mask, not a binary search: a device whose clock was set back mid-run leaves the ring's
    times out of order, and its samples in the window must still be exported.
    """
    inside = (chunk.t >= t0_ns) & (chunk.t <= t1_ns)
    return Chunk(chunk.t[inside], chunk.v[inside], chunk.q[inside])


def value_at(chunk: Chunk, t_ns: int) -> tuple[float, int] | None:
    """The (value, quality) in force at ``t_ns``: the last sample at or before it; None before the first.

    A device reports a value when it changes (or when polled); it holds until the next sample,
    which is what the cursor should read, not an interpolation the device never produced.
    """
    i = int(np.searchsorted(chunk.t, t_ns, side="right")) - 1
    if i < 0:
        return None
    return float(chunk.v[i]), int(chunk.q[i])


def range_of(chunks: Mapping[str, Chunk]) -> tuple[int, int] | None:
    """The first and last timestamp over all ``chunks`` (ns), or None if they are all empty."""
    ends = [(int(c.t[0]), int(c.t[-1])) for c in chunks.values() if len(c)]
    if not ends:
        return None
    return min(e[0] for e in ends), max(e[1] for e in ends)


def column_names(series: Iterable[TrendSeries]) -> list[str]:
    """CSV column headers: each series' name with its unit, ``Motor 1 speed [rpm]``, made unique."""
    names: list[str] = []
    for s in series:
        name = base = f"{s.label} [{s.unit}]" if s.unit else s.label
        repeat = 1
        while name in names:  # two devices' "Speed [rpm]": both columns must survive
            repeat += 1
            name = f"{base} ({repeat})"
        names.append(name)
    return names


def export_csv(path: Path, data: Mapping[TrendSeries, Chunk], t0_ns: int | None = None,
               t1_ns: int | None = None) -> int:
    """Write the samples of ``data`` between ``t0_ns`` and ``t1_ns`` to a wide CSV file, atomically.

    Parameters
    ----------
    path
        The CSV file; replaced only once it is completely written.
    data
        Each series' samples (times ascending).
    t0_ns, t1_ns
        The visible time range; None for no bound.

    Returns
    -------
    int
        The number of rows written (distinct timestamps; repeated ones get a row each).

    Raises
    ------
    device_browser.recordings.RecordingError
        The file cannot be written; the message names ``path``.
    """
    low = np.iinfo(np.int64).min if t0_ns is None else t0_ns
    high = np.iinfo(np.int64).max if t1_ns is None else t1_ns
    sink = open_sink(Path(path))
    try:
        sink.write({name: window(chunk, low, high) for name, chunk in zip(column_names(data), data.values(),
                                                                             strict=True)})
    except BaseException:
        sink.abort()
        raise
    sink.close()
    return sink.rows
