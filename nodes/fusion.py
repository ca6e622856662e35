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

import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nodes.chunk import Chunk
from nodes.component import Kind
from nodes.kernels import Kernel, KernelState

log = logging.getLogger(__name__)
SOURCE_VERSION = 2  # part of every generated module's name: bump when the generator changes


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


# -- the generated source ---------------------------------------------------------------------------

_HELPERS = {
    # numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src), of squares: what
    # np.mean(blocks**2, axis=1) adds up, in the same order, so the RMS is the same to the bit.
    "pairwise_squares": '''
@njit(cache=CACHE, nogil=True, error_model="numpy")
def _squares(a, lo, n):
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i] * a[i]
        return res
    r0 = a[lo] * a[lo]
    r1 = a[lo + 1] * a[lo + 1]
    r2 = a[lo + 2] * a[lo + 2]
    r3 = a[lo + 3] * a[lo + 3]
    r4 = a[lo + 4] * a[lo + 4]
    r5 = a[lo + 5] * a[lo + 5]
    r6 = a[lo + 6] * a[lo + 6]
    r7 = a[lo + 7] * a[lo + 7]
    i = lo + 8
    stop = lo + n - (n % 8)
    while i < stop:
        r0 += a[i] * a[i]
        r1 += a[i + 1] * a[i + 1]
        r2 += a[i + 2] * a[i + 2]
        r3 += a[i + 3] * a[i + 3]
        r4 += a[i + 4] * a[i + 4]
        r5 += a[i + 5] * a[i + 5]
        r6 += a[i + 6] * a[i + 6]
        r7 += a[i + 7] * a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < lo + n:
        res += a[i] * a[i]
        i += 1
    return res


@njit(cache=CACHE, nogil=True, error_model="numpy")
def pairwise_squares(a, n):
    # numpy recurses (halves rounded to 8 until at most 128 are left); numba's cache cannot hold a
    # recursive function (a cached one crashes the next process), so the recursion runs on a stack.
    los = np.empty(64, np.int64)
    counts = np.empty(64, np.int64)
    halves = np.empty(64, np.int64)
    stages = np.empty(64, np.int64)
    lefts = np.empty(64)
    top = 0
    los[0] = 0
    counts[0] = n
    stages[0] = 0
    value = 0.0
    returning = False
    while top >= 0:
        if returning:
            if stages[top] == 1:  # the left half is done: go right
                lefts[top] = value
                stages[top] = 2
                lo = los[top] + halves[top]
                count = counts[top] - halves[top]
                top += 1
                los[top] = lo
                counts[top] = count
                stages[top] = 0
                returning = False
            else:  # both halves are done
                value = lefts[top] + value
                top -= 1
            continue
        count = counts[top]
        if count <= 128:
            value = _squares(a, los[top], count)
            top -= 1
            returning = True
        else:
            half = count // 2
            half -= half % 8
            halves[top] = half
            stages[top] = 1
            lo = los[top]
            top += 1
            los[top] = lo
            counts[top] = half
            stages[top] = 0
    return value
''',
    # np.max(np.abs(block), initial=0.0) and np.ptp(block): NaN wins, as in numpy.
    "peaks": '''
@njit(cache=CACHE, nogil=True, error_model="numpy")
def peaks(a, n):
    peak = 0.0
    high = a[0]
    low = a[0]
    for i in range(n):
        x = a[i]
        size = abs(x)
        if size > peak or size != size:
            peak = size
        if x > high or x != x:
            high = x
        if x < low or x != x:
            low = x
    return peak, high - low
''',
}


@dataclass
class _Layout:
    """Where each stage's numbers live in the kernel's arrays."""

    params: list[tuple[int, int]]  # per stage: offset in P, count (conversion scale and offset first)
    floats: list[int]  # per stage: offset in S
    ints: list[int]  # per stage: offset in I (own ints, then buffer offset and size)
    buffers: list[int]  # per stage: offset in B (0 when none)
    sizes: tuple[int, int, int, int]


def _layout(kernels: list[Kernel]) -> _Layout:
    params, floats, ints, buffers = [], [], [], []
    p = s = i = b = 0
    for kernel in kernels:
        params.append((p, 2 + len(kernel.params)))
        floats.append(s)
        ints.append(i)
        buffers.append(b)
        p += 2 + len(kernel.params)
        s += len(kernel.floats)
        i += len(kernel.ints) + (2 if kernel.buffer else 0)
        b += kernel.buffer
    return _Layout(params, floats, ints, buffers, (p, s, i, b))


def _indent(text: str, depth: int) -> list[str]:
    lines = [line for line in text.strip("\n").splitlines() if line.strip()]
    return [" " * depth + line for line in lines] or [" " * depth + "pass"]


def generate_source(kernels: list[Kernel], converts: list[bool], cache: bool) -> str:
    """The module text of one chain's kernel.

    ``converts[k]`` says whether the wire into stage ``k`` (k ≥ 1) converts units; the first wire's
    conversion is decided per call (``head_convert``), as the engine skips it for boolean values.
    Parameter values are not in the text: chains of the same shape share one compiled kernel.
    """
    layout = _layout(kernels)
    helpers = sorted(set().union(*(k.helpers for k in kernels)))
    last = kernels[-1]
    lines = ['"""A fused kernel written by nodes.fusion (do not edit: it is regenerated)."""', "",
             "import math", "", "import numpy as np", "from numba import njit", "", f"CACHE = {cache}",
             "nan = math.nan", ""]
    for name in helpers:
        lines += [*_HELPERS[name].strip("\n").splitlines(), "", ""]
    lines += ['@njit(cache=CACHE, nogil=True, error_model="numpy")',
              "def kernel(in_t, in_v, in_q, head_convert, P, S, I, B, out_t, out_v, out_q, out_v2, out_q2, counts):",
              "    n = in_v.shape[0]", "    v2 = 0.0", "    q2 = 0"]
    for k, kernel in enumerate(kernels):
        prefix = f"s{k}_"
        offset, _ = layout.params[k]
        lines += [f"    {prefix}scale = P[{offset}]", f"    {prefix}offset = P[{offset + 1}]"]
        lines += [f"    {prefix}{name} = P[{offset + 2 + j}]" for j, (name, _) in enumerate(kernel.params)]
        lines += [f"    {prefix}{name} = S[{layout.floats[k] + j}]" for j, name in enumerate(kernel.floats)]
        lines += [f"    {prefix}{name} = I[{layout.ints[k] + j}]" for j, name in enumerate(kernel.ints)]
        if kernel.buffer:
            at = layout.ints[k] + len(kernel.ints)
            lines += [f"    {prefix}bsize = I[{at + 1}]", f"    {prefix}buf = B[I[{at}]:I[{at}] + {prefix}bsize]"]
        if kernel.emits:
            lines.append(f"    {prefix}count = 0")
        if kernel.begin:
            lines += _indent(kernel.begin.replace("$", prefix), 4)
    lines += ["    j = 0", "    for i in range(n):", "        v = float(in_v[i])", "        q = int(in_q[i])",
              "        t = in_t[i]", "        if head_convert:", "            v = v * s0_scale + s0_offset"]
    depth = 8
    for k, kernel in enumerate(kernels):
        prefix = f"s{k}_"
        if k and converts[k]:
            lines.append(" " * depth + f"v = v * {prefix}scale + {prefix}offset")
        lines += _indent(kernel.step.replace("$", prefix), depth)
        if kernel.emits:
            lines += [" " * depth + f"if {prefix}emit:", " " * (depth + 4) + f"{prefix}count += 1"]
            depth += 4
    pad = " " * depth
    lines += [pad + ("out_v[j] = v != 0.0" if last.boolean[0] else "out_v[j] = v"), pad + "out_q[j] = q"]
    if any(k.emits for k in kernels):  # else the output's times are the input's
        lines.append(pad + "out_t[j] = t")
    if len(last.outputs) > 1:
        lines += [pad + ("out_v2[j] = v2 != 0.0" if last.boolean[1] else "out_v2[j] = v2"), pad + "out_q2[j] = q2"]
    lines.append(pad + "j += 1")
    for k, kernel in enumerate(kernels):
        prefix = f"s{k}_"
        if kernel.end:
            lines += _indent(kernel.end.replace("$", prefix), 4)
        lines += [f"    S[{layout.floats[k] + j}] = {prefix}{name}" for j, name in enumerate(kernel.floats)]
        lines += [f"    I[{layout.ints[k] + j}] = {prefix}{name}" for j, name in enumerate(kernel.ints)]
        if kernel.emits:
            lines.append(f"    counts[{k}] = {prefix}count")
    lines += ["    return j", ""]
    return "\n".join(lines)


# -- compiling, with a cache on disk ------------------------------------------------------------------

_compiled: dict[str, Any] = {}
_lock = threading.Lock()
_temporary: Path | None = None


def cache_dir() -> Path:
    """Where generated kernels and numba's compiled code are kept (``MILLWRIGHT_KERNEL_CACHE``)."""
    configured = os.environ.get("MILLWRIGHT_KERNEL_CACHE")
    if configured:
        return Path(configured)
    import platformdirs

    return Path(platformdirs.user_cache_dir("millwright")) / "kernels"


def _writable_dir() -> tuple[Path, bool]:
    """A folder for the generated modules, and whether it is the lasting cache (else a temporary one)."""
    global _temporary
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
        return folder, True
    except OSError as exc:
        if _temporary is None:
            _temporary = Path(tempfile.mkdtemp(prefix="millwright-kernels-"))
            log.warning("The kernel cache %s cannot be written (%s): compiled kernels are kept in %s for this "
                        "run only", folder, exc.strerror or exc, _temporary)
        return _temporary, False


def _import_numba(folder: Path) -> None:
    """Import numba with its cache in ``folder`` (unless the user chose one with NUMBA_CACHE_DIR)."""
    if "numba" not in sys.modules and not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = str(folder / "numba")
    import numba  # noqa: F401 - the import is the point: it is optional and heavy


def compile_source(source: str) -> Any:
    """The ``kernel`` function of ``source`` (compiled on its first call; loaded from the cache if there)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    with _lock:
        if digest in _compiled:
            return _compiled[digest]
        folder, lasting = _writable_dir()
        _import_numba(folder)
        name = f"millwright_fused_v{SOURCE_VERSION}_{digest}"
        path = folder / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            from nodes.atomic_file import atomic_write_text

            atomic_write_text(path, source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # numba's cache locates functions through their module
        spec.loader.exec_module(module)
        _compiled[digest] = module.kernel
        if not lasting:
            log.debug("kernel %s compiled without a lasting cache", name)
        return module.kernel


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
        self.layout = _layout(kernels)
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
        self.proven = False  # the kernel has run once (it compiled and its types fit)
        last = kernels[-1]
        self.ports, self.two = last.outputs, len(last.outputs) > 1
        self.dtypes = [np.bool_ if boolean else np.float64 for boolean in (*last.boolean, False)]
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
        """The chain's outputs for input chunk ``x``; :meth:`flow` then tells each node's sample counts."""
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
        self.proven = True
        self.samples = n
        t = out_t[:produced] if self.blocks else x.t
        outputs = {self.ports[0]: Chunk(t, out_v[:produced], out_q[:produced])}
        if self.two:
            outputs[self.ports[1]] = Chunk(t, out_v2[:produced], out_q2[:produced])
        return outputs

    def flow(self) -> list[tuple[int, int]]:
        """Each node's (samples in, samples out) in the last :meth:`run`."""
        flow, level = [], self.samples
        counts = self.counts.tolist()
        for k, kernel in enumerate(self.kernels):
            after = counts[k] if kernel.emits else level
            flow.append((level, after * len(kernel.outputs) if k == len(self.kernels) - 1 else after))
            level = after
        return flow

    def account(self, seconds: float) -> None:
        """Count the last :meth:`run` in the nodes' statistics (:attr:`stats`), the time shared evenly;
        a node that got no samples was not called, as the engine skips a node whose inputs are empty."""
        share = seconds / len(self.stats)
        for stats, (samples_in, samples_out) in zip(self.stats, self.flow(), strict=True):
            if samples_in:
                stats.calls += 1
                stats.samples_in += samples_in
                stats.samples_out += samples_out
                stats.seconds += share

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
