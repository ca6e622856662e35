"""The source text of a fused chain's kernel, and its compilation by numba with a cache on disk.

:func:`generate_source` writes one module per chain shape: the components' per-sample steps
(:mod:`nodes.kernels`) inlined one after the other in a loop over the chunk, the state loaded into
locals before the loop and stored after it. Parameter values are not in the text (they come in an
array), so one compiled kernel serves every chain of the same shape. :func:`compile_source` writes
the module under :func:`cache_dir` and imports it; numba compiles on the first call and keeps the
machine code there (``cache=True``), so the next process loads it instead of compiling. Where the
cache cannot be written, a temporary folder serves for the run. numba is imported only here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.kernels import Kernel

log = logging.getLogger(__name__)
SOURCE_VERSION = 2  # part of every generated module's name: bump when the generator changes


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
class Layout:
    """Where each stage's numbers live in the kernel's arrays."""

    params: list[tuple[int, int]]  # per stage: offset in P, count (conversion scale and offset first)
    floats: list[int]  # per stage: offset in S
    ints: list[int]  # per stage: offset in I (own ints, then buffer offset and size)
    buffers: list[int]  # per stage: offset in B (0 when none)
    sizes: tuple[int, int, int, int]


def layout_of(kernels: list[Kernel]) -> Layout:
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
    return Layout(params, floats, ints, buffers, (p, s, i, b))


def _indent(text: str, depth: int) -> list[str]:
    lines = [line for line in text.strip("\n").splitlines() if line.strip()]
    return [" " * depth + line for line in lines] or [" " * depth + "pass"]


def generate_source(kernels: list[Kernel], converts: list[bool], cache: bool) -> str:
    """The module text of one chain's kernel.

    ``converts[k]`` says whether the wire into stage ``k`` (k ≥ 1) converts units; the first wire's
    conversion is decided per call (``head_convert``), as the engine skips it for boolean values.
    Parameter values are not in the text: chains of the same shape share one compiled kernel.
    """
    layout = layout_of(kernels)
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
