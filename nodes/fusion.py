"""Fusion: a chain of per-sample components runs as one compiled pass over each chunk.

Each component of a chain such as band-pass → integral → high-pass → block RMS makes its own full
pass over memory when it runs its vectorised ``process``; on a 1 M-sample chunk that is several
8 MB temporaries per component, and on a 100-sample tick it is several Python calls per component.
Components that declare a per-sample step (:mod:`nodes.kernels`) are instead joined into one loop
that takes each sample through every step, written as Python source and compiled by numba
(``@njit``), with quality and the bad-sample rules handled in the same pass.

Where a chain may run fused (:func:`find_chains`):

* every node of it declares a kernel, has one input, and its output feeds only the next node;
* a wire someone watches (a probe, a graph output, a fan-out to several nodes) ends a chain there,
  so what the user sees is still computed and kept;
* a node that checks its input's sample rate stays before any block component of the chain (its
  check runs on the chain's input timestamps);
* chains have at least two nodes (one node gains little and would cost a compilation).

numba is optional (the ``fast`` extra): it is imported only when a run finds a chain, never by the
registry or the headless runtime of an app whose graph has none. Without it (or with
``MILLWRIGHT_NO_NUMBA=1``), or when a kernel cannot compile, the run uses the unfused path. Compiled
kernels are cached on disk (the generated module and numba's cache under the user cache directory,
``MILLWRIGHT_KERNEL_CACHE`` to move it), so a second process loads them instead of compiling; if the
cache cannot be written the kernels compile in a temporary folder and still run.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from collections.abc import Collection, Iterable
from typing import Any

import numpy as np

from nodes.chunk import Chunk
from nodes.component import Kind
from nodes.kernels import Kernel, KernelState
from nodes.kernels_source import compile_source, generate_source, layout_of

log = logging.getLogger(__name__)


def available() -> bool:
    """Whether fusion can run here: numba is installed and not switched off (``MILLWRIGHT_NO_NUMBA``)."""
    if os.environ.get("MILLWRIGHT_NO_NUMBA", "").strip() not in ("", "0"):
        return False
    if sys.modules.get("numba") is not None:
        return True
    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # blocked, or a broken installation
        return False


# -- where chains are -----------------------------------------------------------------------------

def find_chains(plans: list, kernels: dict[str, Kernel], observe: Collection[str],
                checked: Collection[str], kinds: dict[tuple[str, str], Kind]) -> list[list]:
    """Chains of at least two consecutive fusable nodes, in schedule order.

    ``plans`` are the compiled graph's node plans in order; ``kernels`` maps the id of each node that
    may fuse to its kernel; ``observe`` holds watched wires (``node.port``) or nodes (``node``);
    ``checked`` the nodes that check their input's sample rate; ``kinds`` the kind of every output.
    """
    consumers: dict[str, list[str]] = {}
    for plan in plans:
        for wire in plan.wires.values():
            consumers.setdefault(wire.source, []).append(plan.id)
    by_id = {plan.id: plan for plan in plans}

    def fusable(plan) -> bool:
        return plan.role == "node" and plan.id in kernels and len(plan.wires) == 1

    def head_accepts(plan) -> bool:
        wire = next(iter(plan.wires.values()))
        return kernels[plan.id].accepts_boolean or kinds.get((wire.source, wire.port)) != Kind.BOOLEAN

    def follows(previous, plan, blocked: bool) -> bool:
        """Whether ``plan`` can continue a chain ending in ``previous``."""
        wire = next(iter(plan.wires.values()))
        kernel = kernels[previous.id]
        return (wire.source == previous.id and consumers.get(previous.id) == [plan.id]
                and len(kernel.outputs) == 1 and wire.port == kernel.outputs[0]
                and previous.id not in observe and f"{previous.id}.{wire.port}" not in observe
                and (kernels[plan.id].accepts_boolean or not kernel.boolean[0])
                and not (blocked and plan.id in checked))

    chains, taken = [], set()
    for plan in plans:
        if plan.id in taken or not fusable(plan) or not head_accepts(plan):
            continue
        chain, blocked = [plan], kernels[plan.id].emits
        while True:
            after = [by_id[c] for c in consumers.get(chain[-1].id, ())]
            if len(after) != 1 or not fusable(after[0]) or not follows(chain[-1], after[0], blocked):
                break
            chain.append(after[0])
            blocked = blocked or kernels[after[0].id].emits
        if len(chain) >= 2:
            chains.append(chain)
            taken.update(p.id for p in chain)
    return chains


# -- a chain at run time -------------------------------------------------------------------------------

_NO_TIMES, _NO_VALUES, _NO_QUALITY = np.empty(0, np.int64), np.empty(0), np.empty(0, np.uint8)


class FusedChain:
    """One chain's compiled kernel and its state; runs a chunk through every node of the chain."""

    def __init__(self, plans: list, kernels: list[Kernel]):
        self.plans = plans
        self.kernels = kernels
        self.ids = [plan.id for plan in plans]
        self.head = next(iter(plans[0].wires.values()))
        self.blocks = any(k.emits for k in kernels)
        wires = [next(iter(plan.wires.values())) for plan in plans]
        converts = [False] + [not wires[k].convert.identity and not kernels[k - 1].boolean[0]
                              for k in range(1, len(plans))]
        self.layout = layout_of(kernels)
        self.source = generate_source(kernels, converts, cache=True)
        sizes = self.layout.sizes
        self.P = np.zeros(sizes[0])
        self.S, self.I, self.B = np.zeros(sizes[1]), np.zeros(sizes[2], np.int64), np.zeros(sizes[3])
        for k, (plan, kernel) in enumerate(zip(plans, kernels, strict=True)):
            offset, _ = self.layout.params[k]
            wire = next(iter(plan.wires.values()))
            self.P[offset:offset + 2] = wire.convert.scale, wire.convert.offset
            self.P[offset + 2:offset + 2 + len(kernel.params)] = [float(value) for _, value in kernel.params]
            if kernel.buffer:
                at = self.layout.ints[k] + len(kernel.ints)
                self.I[at:at + 2] = self.layout.buffers[k], kernel.buffer
        self.counts = np.zeros(len(kernels), np.int64)
        self.function = None
        last = kernels[-1]
        self.ports, self.two = last.outputs, len(last.outputs) > 1
        self.dtypes = [np.bool_ if boolean else np.float64 for boolean in (*last.boolean, False)]
        self.emitting = [kernel.emits for kernel in kernels]
        self.smallest_block = min((k.buffer for k in kernels if k.emits), default=1)
        self.head_converts = not self.head.convert.identity
        self.samples = 0
        self.stats: list = []  # the nodes' NodeStats and their sampling checks (node id, clock): set by the run
        self.clock_checks: list = []
        self._held: list[np.ndarray | None] = [None] * 5  # output arrays, reused when no one holds them

    def compile(self) -> None:
        """Import numba and get the kernel (its machine code comes on the first call, or from the cache)."""
        self.function = compile_source(self.source)

    def load(self, states: dict[str, Any]) -> None:
        """Take the nodes' state objects (what ``process`` keeps) into the kernel's arrays."""
        for k, (node_id, kernel) in enumerate(zip(self.ids, self.kernels, strict=True)):
            ks = kernel.load(states[node_id])
            at = self.layout.floats[k]
            self.S[at:at + len(kernel.floats)] = ks.floats
            at = self.layout.ints[k]
            self.I[at:at + len(kernel.ints)] = ks.ints
            if kernel.buffer:
                at = self.layout.buffers[k]
                self.B[at:at + kernel.buffer] = ks.buffer[:kernel.buffer]

    def store(self, states: dict[str, Any]) -> None:
        """Write the kernel's state back into the nodes' state objects."""
        for k, (node_id, kernel) in enumerate(zip(self.ids, self.kernels, strict=True)):
            floats = self.S[self.layout.floats[k]:self.layout.floats[k] + len(kernel.floats)].tolist()
            ints = self.I[self.layout.ints[k]:self.layout.ints[k] + len(kernel.ints)].tolist()
            buffer = self.B[self.layout.buffers[k]:self.layout.buffers[k] + kernel.buffer].copy() \
                if kernel.buffer else None
            kernel.store(states[node_id], KernelState(floats, ints, buffer))

    def run(self, x: Chunk) -> dict[str, Chunk]:
        """The chain's outputs for input chunk ``x`` (:meth:`account` then counts it in the nodes' statistics)."""
        n = len(x)
        size = n // self.smallest_block + 1 if self.blocks else n
        out_v = self._buffer(0, size, self.dtypes[0])
        out_q = self._buffer(1, size, np.uint8)
        out_t = self._buffer(2, size, np.int64) if self.blocks else _NO_TIMES
        out_v2 = self._buffer(3, size, self.dtypes[1]) if self.two else _NO_VALUES
        out_q2 = self._buffer(4, size, np.uint8) if self.two else _NO_QUALITY
        head_convert = self.head_converts and x.v.dtype != np.bool_
        produced = self.function(x.t, x.v, x.q, head_convert, self.P, self.S, self.I, self.B,
                                 out_t, out_v, out_q, out_v2, out_q2, self.counts)
        self.samples = n
        t = out_t[:produced] if self.blocks else x.t
        outputs = {self.ports[0]: Chunk(t, out_v[:produced], out_q[:produced])}
        if self.two:
            outputs[self.ports[1]] = Chunk(t, out_v2[:produced], out_q2[:produced])
        return outputs

    def account(self, seconds: float) -> None:
        """Count the last :meth:`run` in the nodes' statistics (:attr:`stats`), the time shared evenly;
        a node that got no samples was not called, as the engine skips a node whose inputs are empty."""
        share = seconds / len(self.stats)
        if not self.blocks:  # every node took and gave every sample (the last, on each of its outputs)
            n = self.samples
            for stats in self.stats:
                stats.calls += 1
                stats.samples_in += n
                stats.samples_out += n
                stats.seconds += share
            self.stats[-1].samples_out += n * (len(self.ports) - 1)
            return
        level, counts, last = self.samples, self.counts.tolist(), len(self.stats) - 1
        for k, stats in enumerate(self.stats):
            if not level:
                break  # no sample reached this node or any after it
            after = counts[k] if self.emitting[k] else level
            stats.calls += 1
            stats.samples_in += level
            stats.samples_out += after * len(self.ports) if k == last else after
            stats.seconds += share
            level = after

    def _buffer(self, slot: int, size: int, dtype) -> np.ndarray:
        """An output array of ``size``: last chunk's, when nothing outside holds it any more, else a new one.

        A fresh array per chunk costs page faults on every chunk (1 M samples: 2,000 of them for 8 MB);
        reusing one is safe only when no chunk, view or sink still refers to it (its reference count
        says so: this list, the local name and the call's argument).
        """
        held = self._held[slot]
        if held is not None and held.shape[0] >= size and sys.getrefcount(held) <= 3:
            return held[:size]
        fresh = np.empty(size, dtype)
        self._held[slot] = fresh
        return fresh[:size]


def build_chains(chains: Iterable[list], kernels: dict[str, Kernel]) -> list[FusedChain]:
    """Compile each chain (numba is imported here, the first time a chain exists)."""
    built = []
    for plans in chains:
        chain = FusedChain(plans, [kernels[p.id] for p in plans])
        chain.compile()
        built.append(chain)
    return built
