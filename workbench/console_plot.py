"""Inline plots in the console without matplotlib: ``plot(frame)`` draws its columns over time as SVG.

Millwright does not depend on matplotlib (tens of MB for a picture), and ipykernel's inline
backend needs it; where it is installed, ``%matplotlib inline`` works as in any Jupyter
console. This is the plot that always works: the console shows any object with
``_repr_svg_`` as a picture, so :class:`SvgPlot` is drawn inline and can also be saved
(``plot(out).save("efficiency.svg")``).

Each series is reduced to the minimum and maximum of each pixel column before drawing, so a
2 kHz recording of an hour is as quick to draw as a minute and no spike is lost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nodes.atomic_file import atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 150, 28, 40  # margins: axis labels left and below, legend right
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
MAX_SERIES = len(COLOURS)


class SvgPlot:
    """A finished line plot as SVG text; Jupyter shows it through ``_repr_svg_``."""

    def __init__(self, svg: str, series: list[str]):
        self.svg = svg
        self.series = series

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<plot of {', '.join(self.series)}>"

    def save(self, path: str | Path) -> Path:
        """Write the SVG to ``path`` (whole or not at all)."""
        atomic_write_text(Path(path), self.svg)
        return Path(path)


def plot(data: pd.DataFrame | pd.Series, columns: Sequence[str] | None = None, *, title: str = "") -> SvgPlot:
    """Plot ``columns`` of ``data`` (default: every numeric column, up to eight) against its time.

    The time is the ``time`` column when there is one (as :func:`recording` and ``run`` give),
    else the index; the x axis shows seconds from the first sample.
    """
    import pandas as pd

    frame = data.to_frame() if isinstance(data, pd.Series) else data
    if columns is None:
        columns = [c for c in frame.columns if c != "time" and pd.api.types.is_numeric_dtype(frame[c])]
    else:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"no column(s) {', '.join(map(repr, missing))} (columns: "
                             f"{', '.join(map(str, frame.columns))})")
    columns = list(columns)[:MAX_SERIES]
    if not columns:
        raise ValueError("nothing to plot: the data has no numeric columns besides its time")
    x, x_label = _seconds(frame)
    series = {str(c): pd.to_numeric(frame[c], errors="coerce").to_numpy(np.float64) for c in columns}
    return SvgPlot(_draw(x, series, x_label, title), list(series))


def _seconds(frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    import pandas as pd

    times = frame["time"] if "time" in frame.columns else frame.index.to_series()
    if pd.api.types.is_datetime64_any_dtype(times):
        stamps = pd.to_datetime(times, utc=True)
        ns = stamps.dt.tz_localize(None).to_numpy("datetime64[ns]").view(np.int64)
        start = stamps.iloc[0] if len(stamps) else None
        label = f"seconds from {start:%Y-%m-%d %H:%M:%S} UTC" if start is not None else "seconds"
        return (ns - (ns[0] if len(ns) else 0)) / 1e9, label
    return pd.to_numeric(times, errors="coerce").to_numpy(np.float64), str(times.name or "index")


def _draw(x: np.ndarray, series: dict[str, np.ndarray], x_label: str, title: str) -> str:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    finite_x = x[np.isfinite(x)]
    x0, x1 = _limits(finite_x)
    finite_y = np.concatenate([v[np.isfinite(v)] for v in series.values()])
    y0, y1 = _limits(finite_y)

    def px(value: np.ndarray) -> np.ndarray:
        return LEFT + (value - x0) / (x1 - x0) * plot_w

    def py(value: np.ndarray) -> np.ndarray:
        return TOP + plot_h - (value - y0) / (y1 - y0) * plot_h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    if title:
        parts.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="16" text-anchor="middle" font-size="13">'
                     f'{escape(title)}</text>')
    for tick in _ticks(y0, y1):
        y = py(np.float64(tick))
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for tick in _ticks(x0, x1):
        x_px = px(np.float64(tick))
        parts.append(f'<line x1="{x_px:.1f}" x2="{x_px:.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#e4e4e4"/>'
                     f'<text x="{x_px:.1f}" y="{TOP + plot_h + 15}" text-anchor="middle">{tick:g}</text>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#888"/>'
                 f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>')
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        for run_x, run_y in _runs(*_envelope(x, values, plot_w)):
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(run_x), py(run_y), strict=True))
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{points}"/>')
        y = TOP + 8 + index * 16
        parts.append(f'<line x1="{WIDTH - RIGHT + 12}" x2="{WIDTH - RIGHT + 32}" y1="{y}" y2="{y}" '
                     f'stroke="{colour}" stroke-width="2"/><text x="{WIDTH - RIGHT + 38}" y="{y + 4}">'
                     f'{escape(name[:18])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _limits(values: np.ndarray) -> tuple[float, float]:
    """The range to draw: the data's, widened a little; never empty."""
    if not len(values):
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if low == high:
        return low - 1.0, high + 1.0
    pad = (high - low) * 0.04
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) inside ``low``..``high``."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step) + 1)]


def _envelope(x: np.ndarray, y: np.ndarray, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """At most two points per pixel column (its minimum and maximum, in time order); NaN gaps kept."""
    if len(x) <= 2 * pixels or not np.all(np.diff(x) >= 0):  # unsorted times: draw them as they are
        return x, y
    bucket = np.minimum(((x - x[0]) / max(x[-1] - x[0], 1e-300) * pixels).astype(np.int64), pixels - 1)
    starts = np.flatnonzero(np.diff(bucket, prepend=-1))
    xs, ys = [], []
    for a, b in zip(starts, [*starts[1:], len(x)], strict=True):
        values = y[a:b]
        if np.isnan(values).all():
            xs.append(x[a])
            ys.append(np.nan)
            continue
        for i in sorted({a + int(np.nanargmin(values)), a + int(np.nanargmax(values))}):
            xs.append(x[i])
            ys.append(y[i])
    return np.asarray(xs), np.asarray(ys)


def _runs(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stretches without NaN: a gap in the data is a gap in the line, never a bridge across it."""
    good = np.isfinite(x) & np.isfinite(y)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], good.astype(np.int8), [0]])))
    return [(x[a:b], y[a:b]) for a, b in zip(edges[::2], edges[1::2], strict=True)]
