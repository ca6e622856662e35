"""Helpers for component tests: build chunks, run a component over any chunking, compare."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from nodes.chunk import Chunk

SECOND = 1_000_000_000


def signal(values, rate: float = 1000.0, start: int = 1_700_000_000 * SECOND, quality=None) -> Chunk:
    """A uniformly sampled chunk of ``values`` at ``rate`` Hz."""
    values = np.asarray(values)
    t = start + np.round(np.arange(len(values)) * (SECOND / rate)).astype(np.int64)
    return Chunk.of(t, values, quality)


def split(chunk: Chunk, cuts) -> list[Chunk]:
    """Cut a chunk at the given sample indices."""
    edges = [0, *sorted(set(c for c in cuts if 0 < c < len(chunk))), len(chunk)]
    return [Chunk(chunk.t[a:b], chunk.v[a:b], chunk.q[a:b], chunk.axis, chunk.labels)
            for a, b in itertools.pairwise(edges)]


def run(component, inputs: dict[str, Chunk], cuts=()) -> dict[str, Chunk]:
    """Run ``component`` over its aligned inputs cut at ``cuts``; outputs concatenated."""
    state = component.init_state()
    pieces = {name: split(chunk, cuts) for name, chunk in inputs.items()}
    count = len(next(iter(pieces.values())))
    outputs: dict[str, list[Chunk]] = {}
    for i in range(count):
        result = component.process({name: parts[i] for name, parts in pieces.items()}, state)
        for name, chunk in result.items():
            outputs.setdefault(name, []).append(chunk)
    return {name: Chunk.join(parts) for name, parts in outputs.items()}


def run_with_empty_chunks(component, inputs: dict[str, Chunk], cuts=()) -> dict[str, Chunk]:
    """Like :func:`run`, with an empty chunk before, between and after the pieces."""
    state = component.init_state()
    pieces = {name: split(chunk, cuts) for name, chunk in inputs.items()}
    empty = {name: Chunk(c.t[:0], c.v[:0], c.q[:0], c.axis) for name, c in inputs.items()}
    count = len(next(iter(pieces.values())))
    outputs: dict[str, list[Chunk]] = {}
    for piece in [empty, *[part for i in range(count) for part in ({n: p[i] for n, p in pieces.items()}, empty)]]:
        for name, chunk in component.process(piece, state).items():
            outputs.setdefault(name, []).append(chunk)
    return {name: Chunk.join(parts) for name, parts in outputs.items()}


def cut_points(n: int):
    """Hypothesis strategy: a random chunking of ``n`` samples (list of cut indices)."""
    return st.lists(st.integers(min_value=1, max_value=max(1, n - 1)), max_size=min(20, n))


def assert_same(a: dict[str, Chunk], b: dict[str, Chunk], rtol: float = 1e-9, atol: float = 1e-9) -> None:
    """Two runs gave the same outputs (to float rounding)."""
    assert a.keys() == b.keys()
    for name in a:
        x, y = a[name], b[name]
        np.testing.assert_array_equal(x.t, y.t, err_msg=f"timestamps of '{name}'")
        np.testing.assert_array_equal(x.q, y.q, err_msg=f"quality of '{name}'")
        np.testing.assert_allclose(np.asarray(x.v, float), np.asarray(y.v, float), rtol=rtol, atol=atol,
                                   err_msg=f"values of '{name}'", equal_nan=True)
        assert x.labels == y.labels, f"labels of '{name}'"
