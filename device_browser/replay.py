"""Replay: a recording as a graph source, at once (batch) or paced in real time or ×N.

A replay takes tags from a stored recording (:mod:`device_browser.store`), an exchange file
(:mod:`device_browser.exchange`: CSV, Parquet, Excel, historian exports) or a DataFrame, puts
them on one time base with an explicit rule per tag (:mod:`nodes.align`: hold, linear, none;
a period or the union of the tags' times) and gives the engine chunks in which every column
shares its timestamps, as :class:`nodes.sources.Source` asks.

``chunks(columns, rows)`` is batch mode: aligned chunks of ``rows`` samples, as fast as they
can be read (a stored recording is read block by block, never whole). ``stream(columns,
speed=10)`` paces the same samples against a clock: at wall time ``w`` after the start it has
released the samples recorded up to ``t0 + speed·w``, one chunk per ``tick``. The clock is
injectable (:class:`ManualClock` advances only when asked), so tests never sleep; the
concatenation of a stream is exactly the batch output.

Example
-------
>>> replay = Replay.from_store(store, "pump test 3", rules={"flow": Rule("linear")}, period_ns=10**8)
>>> run = run_batch(compiled, replay.chunks(list(compiled.inputs), 100_000), sink.write)
>>> for chunk in replay.stream(["flow", "speed"], speed=10.0):
...     run.push(chunk)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from device_browser.recordings import RecordingError
from nodes.align import HOLD, Aligner, AlignError, Rule
from nodes.chunk import BAD, Chunk
from nodes.units import UnitError, conversion

if TYPE_CHECKING:
    import pandas as pd

    from device_browser.exchange import CsvMapping, Imported

Feed = Callable[[str], Iterator[Chunk]]  # a tag's samples, in time order, in pieces


class Clock(Protocol):
    """Where a paced replay reads the time (seconds, monotonic) and waits."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The machine's monotonic clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class ManualClock:
    """A clock that moves only when slept on (tests, and simulations that must not wait)."""

    def __init__(self, start: float = 0.0):
        self.now = start
        self.sleeps = 0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += max(0.0, seconds)


class Replay:
    """A recording as an engine source (see the module docstring); build it with a ``from_*`` method."""

    def __init__(self, names: list[str], feed: Feed, *, units: Mapping[str, str] | None = None,
                 rules: Mapping[str, Rule] | Rule = HOLD, period_ns: int | None = None,
                 start_ns: int | None = None, end_ns: int | None = None, describe: str = "the recording"):
        self.names = list(names)
        self.units = dict(units or {})
        self.describe = describe
        self._feed = feed
        self._rules = rules
        self._period_ns = period_ns
        self._start_ns = start_ns
        self._end_ns = end_ns
        self._convert: dict[str, Any] = {}
        self.imported: Imported | None = None  # the import's problems and notes, for a file
        try:
            Aligner(self.names, rules, period_ns=period_ns)  # refuse bad rules now, not at the first chunk
        except AlignError as exc:
            raise RecordingError(f"{describe}: {exc}") from None

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def from_chunks(cls, chunks: Mapping[str, Chunk], *, units: Mapping[str, str] | None = None,
                    describe: str = "the data", **alignment: Any) -> Replay:
        """Replay per-tag chunks held in memory (each tag on its own times, in order)."""
        data = dict(chunks)
        return cls(list(data), lambda name: iter([data[name]]), units=units, describe=describe, **alignment)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, units: Mapping[str, str] | None = None, **alignment: Any) -> Replay:
        """Replay a wide DataFrame: a ``DatetimeIndex`` (or ``time`` column; naive = UTC), a column per tag;
        ``"<tag> quality"`` columns give quality levels, else NaN is bad."""
        import pandas as pd

        if not isinstance(frame.index, pd.DatetimeIndex):
            if "time" not in frame.columns:
                raise RecordingError("the table has no times (a DatetimeIndex or a 'time' column)")
            frame = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame["time"]))).drop(columns="time")
        index = frame.index if frame.index.tz is not None else frame.index.tz_localize("UTC")
        t = index.tz_convert("UTC").asi8
        chunks = {}
        for name in frame.columns:
            if str(name).endswith(" quality"):
                continue
            values = frame[name].to_numpy(np.float64)
            quality = frame.get(f"{name} quality")
            quality = (np.where(np.isnan(values), BAD, 0) if quality is None else quality.to_numpy()).astype(np.uint8)
            chunks[str(name)] = Chunk(t, values, quality)
        return cls.from_chunks(chunks, units=units, describe="the table", **alignment)

    @classmethod
    def from_file(cls, path: Path, mapping: CsvMapping | None = None, **alignment: Any) -> Replay:
        """Replay an exchange file (CSV, Parquet, Excel; historian exports with a mapping).

        Its import problems and notes are kept in :attr:`imported`; a file past the mapping's bad-row
        threshold is refused with :class:`~device_browser.exchange.ExchangeError`.
        """
        from device_browser.exchange import read_file

        imported = read_file(path, mapping)
        replay = cls.from_chunks(imported.chunks, units=imported.units, describe=str(path), **alignment)
        replay.imported = imported
        return replay

    @classmethod
    def from_store(cls, store: Any, recording: Any, tags: list[str] | None = None, *, start: Any = None,
                   end: Any = None, label: str | None = None, samples: int = 65_536, **alignment: Any) -> Replay:
        """Replay a stored recording (:class:`~device_browser.store.RecordingStore`), read block by block.

        ``start``/``end`` cut the range (``start <= t < end``); ``label`` replays only the samples inside
        the recording's annotations with that label (read at once).
        """
        from device_browser.store import StoreError

        try:
            rec = store.recording(recording)
            infos = {info.name: info for info in store.tags(rec)}
            names = list(infos) if tags is None else list(tags)
            missing = [n for n in names if n not in infos]
            if missing:
                raise RecordingError(f"{store.location}, recording '{rec.name}': no tag(s) "
                                     f"{', '.join(map(repr, missing))} (tags: {', '.join(infos)})")
            units = {n: infos[n].unit for n in names}
            describe = f"{store.location}, recording '{rec.name}'"
            if label is not None:
                chunks = store.read_chunks(names, start, end, recording=rec, label=label)
                return cls.from_chunks(chunks, units=units, describe=describe, **alignment)
        except StoreError as exc:
            raise RecordingError(str(exc)) from None

        def feed(name: str) -> Iterator[Chunk]:
            return store.iter_chunks(name, start, end, recording=rec, samples=samples)

        return cls(names, feed, units=units, describe=describe, **alignment)

    # -- the Source interface --------------------------------------------------------------------------
    def columns(self) -> list[str]:
        return list(self.names)

    def check_columns(self, wanted: list[str]) -> None:
        """Refuse columns the recording does not have, naming them and the ones it has."""
        missing = [c for c in wanted if c not in self.names]
        if missing:
            raise RecordingError(f"{self.describe}: the graph needs column(s) {', '.join(map(repr, missing))}, "
                                 f"which the recording does not have (tags: {', '.join(self.names)})")

    def convert_units(self, targets: Mapping[str, str]) -> None:
        """Convert tags to the units a graph's inputs declare (``compiled.input_units``) as they are replayed.

        A tag without a recorded unit, or a target of "", is passed as it is; units that measure
        different things are refused naming the tag.
        """
        for column, target in targets.items():
            source = self.units.get(column, "")
            if not source or not target or column not in self.names:
                continue
            try:
                self._convert[column] = conversion(source, target)
            except UnitError as exc:
                raise RecordingError(f"{self.describe}: tag '{column}' is recorded in '{source}' and the graph "
                                     f"wants '{target}': {exc}") from None

    def chunks(self, columns: list[str], rows: int) -> Iterator[dict[str, Chunk]]:
        """Batch mode: the columns aligned on one time base, ``rows`` samples a chunk (the last may be short)."""
        self.check_columns(columns)
        if rows < 1:
            raise RecordingError(f"{self.describe}: a chunk holds at least one sample (asked for {rows})")
        rules = self._rules if isinstance(self._rules, Rule) else {c: r for c, r in self._rules.items() if c in columns}
        aligner = Aligner(columns, rules, period_ns=self._period_ns, start_ns=self._start_ns, end_ns=self._end_ns)
        pending = _Pending(columns)
        feeds = {name: self._feed(name) for name in columns}
        last: dict[str, int] = {}
        while feeds:
            # Read next from the tag that holds the others back (the one read least far in time).
            name = min(feeds, key=lambda n: last.get(n, -(2**63)))
            piece = next(feeds[name], None)
            if piece is None:
                del feeds[name]
                pending.add(aligner.close(name))
            else:
                if len(piece):
                    last[name] = int(piece.t[-1])
                pending.add(aligner.push({name: piece}))
            while pending.rows >= rows:
                yield self._converted(pending.take(rows))
        pending.add(aligner.finish())
        while pending.rows:
            yield self._converted(pending.take(rows))

    def stream(self, columns: list[str], *, speed: float = 1.0, tick: float = 0.1, clock: Clock | None = None,
               rows: int = 65_536) -> Iterator[dict[str, Chunk]]:
        """Paced mode: each ``tick`` seconds of ``clock``, the samples recorded up to ``t0 + speed·elapsed``."""
        clock = clock or SystemClock()
        for step in self._paced(columns, speed, tick, clock.monotonic, rows):
            if isinstance(step, float):
                clock.sleep(step)
            else:
                yield step

    async def astream(self, columns: list[str], *, speed: float = 1.0, tick: float = 0.1,
                      rows: int = 65_536) -> AsyncIterator[dict[str, Chunk]]:
        """:meth:`stream` on the running asyncio loop (its clock; waiting never blocks the loop)."""
        loop = asyncio.get_running_loop()
        for step in self._paced(columns, speed, tick, loop.time, rows):
            if isinstance(step, float):
                await asyncio.sleep(step)
            else:
                yield step

    # -- internals ------------------------------------------------------------------------------------------
    def _paced(self, columns: list[str], speed: float, tick: float, now: Callable[[], float],
               rows: int) -> Iterator[float | dict[str, Chunk]]:
        """The schedule of a paced replay: a float is a wait in seconds, a dict a chunk to release."""
        if not speed > 0 or not tick > 0:
            raise RecordingError(f"{self.describe}: the replay speed and tick must be positive "
                                 f"(speed {speed}, tick {tick} s)")
        batches = self.chunks(columns, rows)
        pending = _Pending(columns)
        exhausted = False
        started = now()
        t0: int | None = None
        ticks = 0
        while True:
            due_s = (now() - started) * speed
            while not exhausted and (t0 is None or pending.last_time() <= t0 + due_s * 1e9):
                batch = next(batches, None)
                if batch is None:
                    exhausted = True
                else:
                    pending.add(batch)
                    if t0 is None and pending.rows:
                        t0 = pending.first_time()
            if t0 is not None and pending.rows:
                released = pending.take_until(t0 + int(due_s * 1e9))
                if released is not None:
                    yield released
            if exhausted and not pending.rows:
                return
            ticks += 1
            yield max(0.0, started + ticks * tick - now())

    def _converted(self, chunks: dict[str, Chunk]) -> dict[str, Chunk]:
        for column, convert in self._convert.items():
            if column in chunks:
                chunks[column] = chunks[column].with_values(convert(chunks[column].v))
        return chunks


class _Pending:
    """Aligned chunks waiting to be handed out, all columns sharing their times."""

    def __init__(self, columns: list[str]):
        self.columns = columns
        self.parts: list[dict[str, Chunk]] = []
        self.rows = 0

    def add(self, chunks: dict[str, Chunk]) -> None:
        size = len(next(iter(chunks.values()))) if chunks else 0
        if size:
            self.parts.append(chunks)
            self.rows += size

    def first_time(self) -> int:
        return int(next(iter(self.parts[0].values())).t[0])

    def last_time(self) -> int:
        return int(next(iter(self.parts[-1].values())).t[-1]) if self.parts else -(2**63)

    def take(self, rows: int) -> dict[str, Chunk]:
        joined = {c: Chunk.join([p[c] for p in self.parts]) for c in self.columns}
        head = {c: _cut(chunk, 0, rows) for c, chunk in joined.items()}
        rest = {c: _cut(chunk, rows, len(chunk)) for c, chunk in joined.items()}
        self.rows = max(0, self.rows - rows)
        self.parts = [rest] if self.rows else []
        return head

    def take_until(self, t_ns: int) -> dict[str, Chunk] | None:
        joined = {c: Chunk.join([p[c] for p in self.parts]) for c in self.columns}
        self.parts = [joined]
        count = int(np.searchsorted(next(iter(joined.values())).t, t_ns, side="right"))
        return self.take(count) if count else None


def _cut(chunk: Chunk, start: int, stop: int) -> Chunk:
    return Chunk(chunk.t[start:stop], chunk.v[start:stop], chunk.q[start:stop])
