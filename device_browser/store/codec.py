"""Blocks of samples as compressed bytes: how one tag's run of samples is kept in one database row.

One row per sample cannot reach a million inserts a second or a 10 M-sample read in two seconds;
a block of up to tens of thousands of samples costs one row. Encoding 1:

* timestamps: the first is the block's ``t_first`` column; the rest are the differences to the
  previous one (never negative, samples are sorted), stored in the narrowest unsigned integer that
  holds the largest difference (``t_width`` bytes: 1, 2, 4 or 8). Regular sampling with jitter
  compresses to a fraction of a byte per sample.
* values: float64, byte-shuffled (all first bytes, then all second bytes, … as blosc does), so that
  the exponent and high mantissa bytes of slowly changing signals sit together and compress.
* quality: uint8 as is (nearly always constant, so it compresses to a few bytes).

Each array is compressed with zstd (level 1) through pyarrow, which the project already depends
on for Parquet; decompression needs the size, which follows from ``count`` and ``t_width``.
Block statistics (count, count of non-NaN values, min, max, sum) are computed here once, so that
statistics over whole blocks never decode them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

ENCODING = 1
_WIDTHS = ((1, np.uint8), (2, np.uint16), (4, np.uint32), (8, np.uint64))
_DTYPES = dict(_WIDTHS)
_LIMITS = tuple((w, d, int(np.iinfo(d).max)) for w, d in _WIDTHS)


@dataclass(frozen=True)
class EncodedBlock:
    """One block ready for the ``blocks`` table: time range, statistics and the three byte strings."""

    t_first: int
    t_last: int
    count: int
    n_values: int
    v_min: float | None
    v_max: float | None
    v_sum: float | None
    t_width: int
    t_data: bytes
    v_data: bytes
    q_data: bytes

    def row(self) -> dict:
        """The block as a row for the ``blocks`` table (without tag and recording ids)."""
        return {"t_first": self.t_first, "t_last": self.t_last, "count": self.count, "n_values": self.n_values,
                "v_min": self.v_min, "v_max": self.v_max, "v_sum": self.v_sum, "encoding": ENCODING,
                "t_width": self.t_width, "t_data": self.t_data, "v_data": self.v_data, "q_data": self.q_data}


@cache
def _codec():
    import pyarrow as pa

    return pa.Codec("zstd", compression_level=1)


def value_stats(v: np.ndarray) -> tuple[int, float | None, float | None, float | None]:
    """Count of non-NaN values, their min, max and sum (None when every value is NaN)."""
    finite = v[~np.isnan(v)]
    if not len(finite):
        return 0, None, None, None
    with np.errstate(invalid="ignore"):  # inf + -inf is NaN, as numpy says
        return len(finite), float(finite.min()), float(finite.max()), float(finite.sum())


def encode_block(t: np.ndarray, v: np.ndarray, q: np.ndarray) -> EncodedBlock:
    """Encode sorted int64 ``t``, float64 ``v`` and uint8 ``q`` of equal, non-zero length."""
    count = len(t)
    deltas = np.diff(t).view(np.uint64)  # never negative; as uint64 even a span beyond 2**63 is exact
    largest = int(deltas.max()) if count > 1 else 0
    width, dtype = next((w, d) for w, d, most in _LIMITS if largest <= most)
    codec = _codec()
    n_values, v_min, v_max, v_sum = value_stats(v)
    shuffled = np.ascontiguousarray(v, dtype=np.float64).view(np.uint8).reshape(count, 8).T.copy()
    return EncodedBlock(int(t[0]), int(t[-1]), count, n_values, v_min, v_max, v_sum, width,
                        codec.compress(deltas.astype(dtype), asbytes=True),
                        codec.compress(shuffled, asbytes=True),
                        codec.compress(np.ascontiguousarray(q, dtype=np.uint8), asbytes=True))


def decode_times(t_first: int, count: int, t_width: int, t_data: bytes, out: np.ndarray | None = None) -> np.ndarray:
    t = np.empty(count, np.int64) if out is None else out
    t[0] = t_first
    if count > 1:
        raw = _codec().decompress(t_data, decompressed_size=(count - 1) * t_width, asbytes=True)
        deltas = np.frombuffer(raw, _DTYPES[t_width])
        np.cumsum(deltas.view(np.int64) if t_width == 8 else deltas, out=t[1:], dtype=np.int64)
        t[1:] += t_first  # int64 arithmetic wraps, which undoes the uint64 view of huge steps exactly
    return t


def decode_values(count: int, v_data: bytes, out: np.ndarray | None = None) -> np.ndarray:
    v = np.empty(count, np.float64) if out is None else out
    raw = _codec().decompress(v_data, decompressed_size=count * 8, asbytes=True)
    v.view(np.uint8).reshape(count, 8)[:] = np.frombuffer(raw, np.uint8).reshape(8, count).T  # un-shuffle
    return v


def decode_quality(count: int, q_data: bytes, out: np.ndarray | None = None) -> np.ndarray:
    q = np.empty(count, np.uint8) if out is None else out
    q[:] = np.frombuffer(_codec().decompress(q_data, decompressed_size=count, asbytes=True), np.uint8)
    return q


def decode_block(t_first: int, count: int, encoding: int, t_width: int, t_data: bytes, v_data: bytes,
                 q_data: bytes, out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The block's ``(t, v, q)`` arrays (written into ``out``'s three arrays of ``count`` if given);
    refuses an encoding this version does not know."""
    if encoding != ENCODING:
        raise ValueError(f"block encoding {encoding} is not known to this version of Millwright")
    t_out, v_out, q_out = out if out is not None else (None, None, None)
    return (decode_times(t_first, count, t_width, t_data, t_out), decode_values(count, v_data, v_out),
            decode_quality(count, q_data, q_out))
