"""Live tags as graph inputs: bus samples converted to each input's unit and held onto a time grid.

A graph runs on regular samples; devices deliver values when they change, each in its own unit.
:class:`LiveResampler` reads the bound tags from a :class:`~device_browser.bus.LiveBus`, converts
each from its binding's unit to its input's (the conversions of
:func:`~device_browser.bindings.check_bindings`), and resamples them onto a grid of ``rate_hz``:
each grid point holds the last value, marked uncertain once older than ``stale_after_s`` (bad
before any value arrived; a device that loses its connection publishes a bad sample, which is
then held). The workbench's live run and the headless app runtime share it; no Qt here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from device_browser.bindings import check_bindings
from device_browser.bus import LiveBus
from device_browser.tags import BindingError, TagRef
from nodes.chunk import BAD, UNCERTAIN, Chunk
from nodes.units import Conversion

NS = 1_000_000_000


@dataclass(frozen=True)
class LiveTag:
    """Where a graph input's values come from: the bus key and the conversion into the input's unit."""

    key: str
    convert: Conversion


def live_tags(input_units: Mapping[str, str], bound: Mapping[str, TagRef],
              what: str = "This graph") -> dict[str, LiveTag]:
    """Input column → :class:`LiveTag` for inputs bound by column; :class:`BindingError` names every
    unbound input and every tag whose unit cannot feed its input (``what`` starts the message)."""
    check = check_bindings(input_units, bound)
    if not check.ok:
        raise BindingError(f"{what} cannot run on live data: {check.message()}")
    return {column: LiveTag(str(ref), check.conversions[column]) for column, ref in bound.items()
            if column in input_units}


class TagHold:
    """Sample-and-hold of one live tag onto a time grid, ageing into uncertain quality."""

    def __init__(self, stale_after_ns: int):
        self.stale_after_ns = stale_after_ns
        self.t, self.v, self.q = np.empty(0, np.int64), np.empty(0), np.empty(0, np.uint8)

    def add(self, chunk: Chunk) -> None:
        """Keep the last held sample and the new ones (in time order)."""
        if len(chunk):
            order = np.argsort(chunk.t, kind="stable")
            self.t = np.concatenate([self.t[-1:], chunk.t[order]])
            self.v = np.concatenate([self.v[-1:], np.asarray(chunk.v, np.float64)[order]])
            self.q = np.concatenate([self.q[-1:], chunk.q[order]])

    def resample(self, grid: np.ndarray) -> Chunk:
        if not len(self.t):
            return Chunk(grid, np.full(len(grid), np.nan), np.full(len(grid), BAD, np.uint8))
        # A sample stamped slightly after a grid point (clocks differ) still counts for it.
        index = np.clip(np.searchsorted(self.t, grid, side="right") - 1, 0, None)
        age = grid - self.t[index]
        quality = np.where(age > self.stale_after_ns, np.maximum(self.q[index], UNCERTAIN), self.q[index])
        chunk = Chunk(grid, self.v[index], quality.astype(np.uint8))
        self.t, self.v, self.q = self.t[-1:], self.v[-1:], self.q[-1:]
        return chunk


class LiveResampler:
    """The bound tags of a graph, read from the bus and held onto a grid of ``rate_hz``.

    Call :meth:`take` with the wall-clock time whenever a tick is due: it returns the inputs of
    the grid points passed since the last call (None when none has), each input's chunk on the
    same timestamps. A value from before the start holds until the next one arrives.
    """

    def __init__(self, bus: LiveBus, tags: Mapping[str, LiveTag], rate_hz: float, stale_after_s: float,
                 start_ns: int):
        self.tags = dict(tags)
        self.period_ns = max(int(NS / rate_hz), 1)
        self._reader = bus.reader(sorted({tag.key for tag in self.tags.values()}))
        self._holds = {column: TagHold(int(stale_after_s * NS)) for column in self.tags}
        for column, tag in self.tags.items():
            self._holds[column].add(_converted(bus.snapshot(tag.key, last=1), tag.convert))
        self._next_grid = (start_ns // self.period_ns + 1) * self.period_ns

    @property
    def next_grid_ns(self) -> int:
        """The time of the next grid point to be produced."""
        return self._next_grid

    def take(self, now_ns: int) -> dict[str, Chunk] | None:
        fresh = self._reader.read()
        for column, tag in self.tags.items():
            self._holds[column].add(_converted(fresh[tag.key], tag.convert))
        grid = np.arange(self._next_grid, now_ns + 1, self.period_ns, dtype=np.int64)
        if not len(grid):
            return None
        self._next_grid = int(grid[-1]) + self.period_ns
        return {column: hold.resample(grid) for column, hold in self._holds.items()}


def _converted(chunk: Chunk, convert: Conversion) -> Chunk:
    if convert.identity or not len(chunk):
        return chunk
    return Chunk(chunk.t, convert(np.asarray(chunk.v, np.float64)), chunk.q)
