"""State helpers that make windowed components give the same result for any chunking.

* :class:`Tail` keeps the last ``size - 1`` samples so a sliding window can look back across
  the chunk boundary.
* :class:`Blocks` cuts a stream into consecutive blocks of ``size`` samples (tumbling windows),
  keeping the incomplete block for the next chunk.
"""

from __future__ import annotations

import numpy as np

from nodes.chunk import Chunk


class Tail:
    """The newest ``keep`` samples seen so far, for sliding windows."""

    def __init__(self, keep: int, dtype=np.float64):
        self.keep = keep
        self.t = np.empty(0, np.int64)
        self.v = np.empty(0, dtype)
        self.q = np.empty(0, np.uint8)

    def extend(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray, int]:
        """Values and qualities of tail + chunk, and how many of them are from the tail."""
        values = np.concatenate([self.v, chunk.v])
        quality = np.concatenate([self.q, chunk.q])
        times = np.concatenate([self.t, chunk.t])
        offset = len(self.v)
        if self.keep > 0:
            self.v, self.q, self.t = values[-self.keep:].copy(), quality[-self.keep:].copy(), times[-self.keep:].copy()
        else:
            self.v, self.q, self.t = values[:0].copy(), quality[:0].copy(), times[:0].copy()
        return values, quality, offset


def sliding_worst_quality(quality: np.ndarray, size: int) -> np.ndarray:
    """Worst quality over each trailing window of ``size`` samples (shorter at the start)."""
    if size <= 1 or len(quality) == 0:
        return quality.copy()
    padded = np.concatenate([np.zeros(size - 1, np.uint8), quality])
    return np.lib.stride_tricks.sliding_window_view(padded, size).max(axis=1)


class Blocks:
    """Cuts samples into consecutive blocks of ``size``; the partial block waits for more data.

    The partial block lives in a preallocated buffer, so a stream of small ticks that completes
    no block costs one copy per tick instead of re-concatenating the whole partial block; when no
    block is pending, the complete blocks are a view of the chunk itself (no copy). Callers must
    not write into the blocks they get.
    """

    def __init__(self, size: int, dtype=np.float64):
        self.size = size
        self._v = np.empty(size, dtype)
        self._q = np.empty(size, np.uint8)
        self._fill = 0

    def feed(self, chunk: Chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Complete blocks: values ``(k, size)``, time of each block's last sample, worst quality."""
        size, fill, n = self.size, self._fill, len(chunk)
        if fill + n < size:
            self._store(chunk, 0, n)
            return np.empty((0, size), self._v.dtype), np.empty(0, np.int64), np.empty(0, np.uint8)
        need = size - fill  # samples of this chunk that complete the pending block
        k = (n - need) // size
        end = need + k * size
        if fill == 0 and chunk.v.dtype == self._v.dtype:  # nothing pending: the chunk's own samples, no copy
            values = chunk.v[:end].reshape(k + 1, size)
            quality = chunk.q[:end].reshape(k + 1, size).max(axis=1)
        else:
            values = np.concatenate([self._v[:fill], chunk.v[:end]]).reshape(k + 1, size)
            quality = np.concatenate([self._q[:fill], chunk.q[:end]]).reshape(k + 1, size).max(axis=1)
        stamps = chunk.t[need - 1:end:size]
        self._fill = 0
        self._store(chunk, end, n)
        return values, stamps, quality

    def pending(self) -> tuple[np.ndarray, int, int]:
        """The incomplete block's values (a copy, ``size`` long: the first are the pending samples'),
        how many samples are pending, and their worst quality: what a fused kernel takes over."""
        fill = self._fill
        return self._v.copy(), fill, int(self._q[:fill].max()) if fill else 0

    def restore(self, values: np.ndarray, fill: int, worst: int) -> None:
        """Give back the incomplete block (the kernel's): ``fill`` values, all of quality ``worst``
        (a block's output quality is its worst sample's, so nothing else about them matters)."""
        self._v[:fill] = values[:fill]
        self._q[:fill] = worst
        self._fill = fill

    def _store(self, chunk: Chunk, start: int, stop: int) -> None:
        count = stop - start
        fill = self._fill
        self._v[fill:fill + count] = chunk.v[start:stop]
        self._q[fill:fill + count] = chunk.q[start:stop]
        self._fill = fill + count
