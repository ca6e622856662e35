"""Align tags sampled at different times onto one time base, with an explicit rule per tag.

Site data never shares a clock: a flow polled every second, a pressure sent on change, a
vibration block at 2 kHz. A graph needs its inputs on common timestamps, so replay puts every
tag on one time base first: a fixed ``period`` (multiples of it since the Unix epoch, so a 1 s
grid falls on whole seconds) or the union of all the tags' timestamps. Each tag says how its
value at a time ``τ`` of the base is found from its samples ``(t_k, v_k, q_k)`` (times in
order); ``k* = max{k : t_k ≤ τ}`` is the last sample at or before ``τ``:

``hold`` (zero-order hold, the last value)
    ``y(τ) = v_{k*}``, ``q(τ) = q_{k*}``. With a maximum age ``A``: where ``τ − t_{k*} > A``
    the value is kept but ``q(τ) = bad`` (a value that old is not to be trusted).

``linear``
    ``y(τ) = v_k + (v_{k+1} − v_k)·(τ − t_k)/(t_{k+1} − t_k)`` for ``t_k ≤ τ < t_{k+1}``,
    ``k = k*``; ``q(τ) = max(q_k, q_{k+1})`` (``q_k`` where ``τ = t_k``). Outside the first and
    last samples: NaN and bad (no extrapolation). With ``A``: a gap ``t_{k+1} − t_k > A`` gives bad.

``none``
    ``y(τ) = v_{k*}`` if ``τ − t_{k*} ≤ A`` (default ``A = 0``: a sample exactly at ``τ``),
    else NaN and bad.

Before a tag's first sample every rule gives NaN and bad. Of samples sharing one time, the last
counts. Everything is vectorised with ``searchsorted``; no loop over samples.

:class:`Aligner` does the same chunk by chunk, carrying each tag's last samples across chunks,
so aligning a recording in pieces gives exactly what :func:`align` gives at once: a time of the
base is emitted only when every tag has a sample at or after it (nothing later can change it).

References
----------
A. V. Oppenheim, R. W. Schafer, *Discrete-Time Signal Processing*, 3rd ed., §4.6 (reconstruction
by zero-order hold and linear interpolation), 2010.

Example
-------
>>> import numpy as np
>>> from nodes.chunk import Chunk
>>> flow = Chunk.of([0, 10, 20], [1.0, 2.0, 3.0])
>>> speed = Chunk.of([5, 15], [100.0, 200.0])
>>> out = align({"flow": flow, "speed": speed}, {"flow": Rule("linear"), "speed": Rule("hold")})
>>> out["flow"].v.tolist(), out["speed"].v.tolist()[1:]
([1.0, 1.5, 2.0, 2.5, 3.0], [100.0, 100.0, 200.0, 200.0])
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nodes.chunk import BAD, Chunk

RULES = ("hold", "linear", "none")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ns|us|µs|ms|s|min|h|d)?\s*$")
_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, "min": 60_000_000_000,
       "h": 3_600_000_000_000, "d": 86_400_000_000_000}


class AlignError(ValueError):
    """A rule or time base that cannot work; the message names the tag or the setting."""


@dataclass(frozen=True)
class Rule:
    """How one tag's value at a time of the base is found: ``kind`` and an optional ``max_age_ns``."""

    kind: str = "hold"
    max_age_ns: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in RULES:
            raise AlignError(f"'{self.kind}' is not an alignment rule; choose {', '.join(RULES)}")
        if self.max_age_ns is not None and self.max_age_ns < 0:
            raise AlignError(f"a maximum age cannot be negative ({self.max_age_ns} ns)")

    @classmethod
    def parse(cls, text: str) -> Rule:
        """``"hold"``, ``"hold 5s"``, ``"linear 2 min"``, ``"none 500ms"`` → a rule."""
        kind, _, age = text.strip().partition(" ")
        return cls(kind.lower(), duration_ns(age) if age.strip() else None)


def duration_ns(text: str) -> int:
    """Nanoseconds of a duration as engineers write it: ``5s``, ``500 ms``, ``2min``, ``1h`` (plain: seconds)."""
    match = _DURATION.match(text)
    if match is None:
        raise AlignError(f"'{text}' is not a duration (write e.g. 5s, 500ms, 2min, 1h)")
    return round(float(match.group(1)) * _NS[match.group(2) or "s"])


HOLD = Rule("hold")


def align_at(tau: np.ndarray, t: np.ndarray, v: np.ndarray, q: np.ndarray, rule: Rule) -> tuple[np.ndarray, np.ndarray]:
    """Values and qualities of one tag's samples ``(t, v, q)`` (times in order) at the times ``tau``."""
    v = np.asarray(v, np.float64)
    k = np.searchsorted(t, tau, side="right") - 1
    before = k < 0
    kc = np.maximum(k, 0)
    if len(t) == 0:
        return np.full(len(tau), np.nan), np.full(len(tau), BAD, np.uint8)
    value = v[kc]
    quality = q[kc].astype(np.uint8)
    age = tau - t[kc]
    limit = rule.max_age_ns
    if rule.kind == "hold":
        if limit is not None:
            quality = np.where(age > limit, BAD, quality)
    elif rule.kind == "none":
        far = age > (limit or 0)
        value = np.where(far, np.nan, value)
        quality = np.where(far, BAD, quality)
    else:  # linear
        nxt = np.minimum(k + 1, len(t) - 1)
        exact = age == 0
        after = ~exact & (k + 1 >= len(t))
        span = (t[nxt] - t[kc]).astype(np.float64)
        fraction = np.divide(age, span, out=np.zeros(len(tau)), where=span > 0)
        value = np.where(exact, value, value + (v[nxt] - value) * fraction)
        quality = np.where(exact, quality, np.maximum(quality, q[nxt]))
        if limit is not None:
            quality = np.where(~exact & (span > limit), BAD, quality)
        value = np.where(after, np.nan, value)
        quality = np.where(after, BAD, quality)
    value = np.where(before, np.nan, value)
    quality = np.where(before, BAD, quality).astype(np.uint8)
    return value, quality


def period_grid(start_ns: int, end_ns: int, period_ns: int) -> np.ndarray:
    """The multiples of ``period_ns`` (since the epoch) in ``[start_ns, end_ns]``."""
    first = -(-start_ns // period_ns)
    last = end_ns // period_ns
    return np.arange(first, last + 1, dtype=np.int64) * period_ns


def _rules(names, rules: Mapping[str, Rule] | Rule) -> dict[str, Rule]:
    if isinstance(rules, Rule):
        return dict.fromkeys(names, rules)
    unknown = sorted(set(rules) - set(names))
    if unknown:
        raise AlignError(f"rules for tag(s) {', '.join(map(repr, unknown))} that are not aligned "
                         f"(tags: {', '.join(names)})")
    return {name: rules.get(name, HOLD) for name in names}


def _check_period(period_ns: int | None) -> None:
    if period_ns is not None and period_ns <= 0:
        raise AlignError(f"the period must be positive ({period_ns} ns)")


def align(series: Mapping[str, Chunk], rules: Mapping[str, Rule] | Rule = HOLD, *, period_ns: int | None = None,
          start_ns: int | None = None, end_ns: int | None = None) -> dict[str, Chunk]:
    """Every tag of ``series`` on one time base: the multiples of ``period_ns``, or the union of their times.

    The base spans ``[start_ns, end_ns]`` (default: the first to the last sample of any tag).
    ``rules`` maps tags to :class:`Rule` (default: hold, no maximum age). Returns a chunk per tag,
    all with the same timestamps.
    """
    _check_period(period_ns)
    rules = _rules(list(series), rules)
    times = [np.asarray(c.t, np.int64) for c in series.values() if len(c)]
    if not times:
        base = np.empty(0, np.int64)
    else:
        lo = min(int(t[0]) for t in times) if start_ns is None else start_ns
        hi = max(int(t[-1]) for t in times) if end_ns is None else end_ns
        if period_ns is not None:
            base = period_grid(lo, hi, period_ns)
        else:
            base = np.unique(np.concatenate(times))
            base = base[(base >= lo) & (base <= hi)]
    out = {}
    for name, chunk in series.items():
        value, quality = align_at(base, np.asarray(chunk.t, np.int64), chunk.v, chunk.q, rules[name])
        out[name] = Chunk(base, value, quality)
    return out


class Aligner:
    """:func:`align` chunk by chunk: :meth:`push` pieces of each tag's samples (in time order) as they come,
    take what is final, and :meth:`finish` for the rest. Results equal :func:`align` of the whole.
    """

    def __init__(self, names: list[str], rules: Mapping[str, Rule] | Rule = HOLD, *, period_ns: int | None = None,
                 start_ns: int | None = None, end_ns: int | None = None):
        _check_period(period_ns)
        self.names = list(names)
        self.rules = _rules(self.names, rules)
        self.period_ns = period_ns
        self.start_ns = start_ns
        self.end_ns = end_ns
        empty = (np.empty(0, np.int64), np.empty(0), np.empty(0, np.uint8))
        self._buffers = dict.fromkeys(self.names, empty)
        self._first: dict[str, int] = {}
        self._last: dict[str, int] = {}
        self._closed: set[str] = set()
        self._frontier: int | None = None  # every base time before it has been emitted

    def push(self, pieces: Mapping[str, Chunk]) -> dict[str, Chunk]:
        """Add samples (each tag's in time order, after its earlier ones); returns the base times now final."""
        for name, chunk in pieces.items():
            if name not in self._buffers:
                raise AlignError(f"'{name}' is not one of the aligned tags ({', '.join(self.names)})")
            if not len(chunk):
                continue
            t = np.asarray(chunk.t, np.int64)
            if name in self._last and t[0] < self._last[name]:
                raise AlignError(f"tag '{name}': samples at {t[0]} ns came after samples at {self._last[name]} ns; "
                                 "push each tag's samples in time order")
            bt, bv, bq = self._buffers[name]
            self._buffers[name] = (np.concatenate([bt, t]), np.concatenate([bv, np.asarray(chunk.v, np.float64)]),
                                   np.concatenate([bq, chunk.q]))
            self._first.setdefault(name, int(t[0]))
            self._last[name] = int(t[-1])
        return self._emit(final=False)

    def close(self, name: str) -> dict[str, Chunk]:
        """Say that tag ``name`` has no more samples, so that it no longer holds the others back."""
        self._closed.add(name)
        return self._emit(final=False)

    def finish(self) -> dict[str, Chunk]:
        """Every remaining time of the base (up to ``end_ns``, or the last sample of any tag)."""
        return self._emit(final=True)

    def _emit(self, final: bool) -> dict[str, Chunk]:
        open_tags = [n for n in self.names if n not in self._closed]
        if not final and any(n not in self._last for n in open_tags):
            return self._empty()
        if not self._first:
            return self._empty()
        start = min(self._first.values()) if self.start_ns is None else self.start_ns
        if final:
            stop = (max(self._last.values()) if self.end_ns is None else self.end_ns) + 1
        else:
            stop = min((self._last[n] for n in open_tags), default=None)
            if stop is None:
                stop = max(self._last.values()) + 1 if self.end_ns is None else self.end_ns + 1
            if self.end_ns is not None:
                stop = min(stop, self.end_ns + 1)
        lo = start if self._frontier is None else max(start, self._frontier)
        if stop <= lo:
            return self._empty()
        if self.period_ns is not None:
            base = period_grid(lo, stop - 1, self.period_ns)
        else:
            base = np.unique(np.concatenate([b[0] for b in self._buffers.values()]))
            base = base[(base >= lo) & (base < stop)]
        out = {}
        for name in self.names:
            t, v, q = self._buffers[name]
            value, quality = align_at(base, t, v, q, self.rules[name])
            out[name] = Chunk(base, value, quality)
            keep = max(0, int(np.searchsorted(t, stop, side="left")) - 1)  # the last sample before ``stop`` and on
            self._buffers[name] = (t[keep:], v[keep:], q[keep:])
        self._frontier = stop
        return out

    def _empty(self) -> dict[str, Chunk]:
        return {name: Chunk(np.empty(0, np.int64), np.empty(0), np.empty(0, np.uint8)) for name in self.names}
