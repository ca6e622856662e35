"""Time-stamped chunks: the unit of data that flows along every edge of a graph.

A chunk holds ``n`` samples: int64 timestamps in nanoseconds since the Unix epoch (UTC), values
and a per-sample quality code (OPC UA style, reduced to good / uncertain / bad). Signals,
boolean signals and scalars carry one value per sample; spectra and tables carry a row per
sample, with the frequency axis or the column names alongside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nodes.quality import QUALITY_NAMES, Quality

GOOD, UNCERTAIN, BAD = np.uint8(Quality.GOOD), np.uint8(Quality.UNCERTAIN), np.uint8(Quality.BAD)
__all__ = ["BAD", "GOOD", "QUALITY_NAMES", "UNCERTAIN", "Chunk", "Quality"]


@dataclass(frozen=True, eq=False)
class Chunk:
    """``n`` samples: ``t`` (int64 ns), ``v`` (float64, bool or 2-D rows) and ``q`` (uint8).

    ``axis`` labels the columns of a spectrum (e.g. frequency in Hz) and ``labels`` names
    table columns or gives each event its text.
    """

    t: np.ndarray
    v: np.ndarray
    q: np.ndarray
    axis: np.ndarray | None = None
    labels: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def of(cls, t, v, q=None, **extra) -> Chunk:
        """Build a chunk from array-likes; quality defaults to good."""
        t = np.asarray(t, dtype=np.int64)
        v = np.asarray(v)
        if v.dtype != np.bool_:
            v = v.astype(np.float64, copy=False)
        q = np.zeros(len(t), np.uint8) if q is None else np.asarray(q, dtype=np.uint8)
        return cls(t, v, q, **extra)

    @classmethod
    def empty(cls, dtype=np.float64, width: int | None = None) -> Chunk:
        shape = (0,) if width is None else (0, width)
        return cls(np.empty(0, np.int64), np.empty(shape, dtype), np.empty(0, np.uint8))

    def with_values(self, v: np.ndarray, q: np.ndarray | None = None) -> Chunk:
        """Same timestamps, new values (and quality, if given)."""
        return Chunk(self.t, v, self.q if q is None else q, self.axis, self.labels)

    def bad(self) -> Chunk:
        """Same timestamps, NaN values, bad quality: what a failed node passes downstream."""
        return Chunk(self.t, np.full(len(self.t), np.nan), np.full(len(self.t), BAD, np.uint8))

    @staticmethod
    def join(parts: list[Chunk]) -> Chunk:
        """Consecutive chunks as one; event texts are joined, a spectrum's axis is kept."""
        if len(parts) == 1:
            return parts[0]
        first = parts[0]
        labels = sum((p.labels for p in parts), ()) if first.axis is None else first.labels
        return Chunk(np.concatenate([p.t for p in parts]), np.concatenate([p.v for p in parts]),
                     np.concatenate([p.q for p in parts]), first.axis, labels)

def worst_quality(*qualities: np.ndarray) -> np.ndarray:
    """Per-sample worst quality of several aligned inputs."""
    result = qualities[0]
    for q in qualities[1:]:
        result = np.maximum(result, q)
    return result


def require_aligned(node_port_chunks: dict[str, Chunk]) -> np.ndarray:
    """Timestamps shared by pointwise inputs; a clear error when they differ."""
    items = list(node_port_chunks.items())
    name0, first = items[0]
    for name, chunk in items[1:]:
        if len(chunk) != len(first) or not np.array_equal(chunk.t, first.t):
            raise ValueError(f"inputs '{name0}' and '{name}' are sampled at different times; "
                             "insert an 'Align by time' component before this one")
    return first.t
