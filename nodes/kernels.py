"""What a component declares so that the engine can fuse it: its per-sample step, as source text.

A chain of element-wise and recursive components (scale, EWMA, Butterworth sections, integral,
threshold, counter, block RMS…) costs one full pass over memory per component when each runs its
own vectorised ``process``. :mod:`nodes.fusion` instead writes one loop over the chunk that runs
every component's step on a sample before going to the next sample, and compiles it with numba.
For that, a component returns a :class:`Kernel` from :meth:`~nodes.component.Component.kernel`:

* ``step``: Python statements run once per sample. They read the sample's value ``v`` (float;
  booleans are 0.0/1.0), quality ``q`` (int: 0 good, 1 uncertain, 2 bad) and timestamp ``t``
  (int64 ns), and leave the component's output in ``v`` and ``q`` (a second output, which only
  the last component of a chain may have, in ``v2`` and ``q2``).
  Names starting with ``$`` are the component's own: its parameters, its state and locals that
  must not clash with another component's (the compiler gives each stage its own prefix).
  ``math`` and ``nan`` are available. A block component sets ``$emit`` to say whether the
  sample completed an output; the steps after it run only then, with ``t`` the block's last time.
* ``params`` (float constants), ``floats`` and ``ints`` (state) are loaded into ``$name`` locals
  before the loop and, for the state, stored back after it; ``buffer`` floats of scratch (a block
  in progress) are ``$buf``. Keeping parameter values out of the source text lets one compiled
  kernel serve every parameter setting of a chain of the same shape.
* ``load`` and ``store`` translate between the component's own state object (what ``process``
  uses) and the kernel's state, so a run can switch a chain from fused to unfused mid-way (a node
  that fails) and the saved state of a run means the same in both.

The step must give exactly what ``process`` gives, bit for bit (tests run both over random
chunkings, qualities and NaNs). Nothing here imports numba.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class KernelState:
    """A kernel's state in plain numbers: floats, ints and the scratch buffer."""

    floats: list[float]
    ints: list[int]
    buffer: np.ndarray | None = None


@dataclass(frozen=True)
class Kernel:
    """One component's per-sample step, for fusion (see the module docstring)."""

    step: str
    load: Callable[[Any], KernelState]
    store: Callable[[Any, KernelState], None]
    params: tuple[tuple[str, float], ...] = ()
    floats: tuple[str, ...] = ()
    ints: tuple[str, ...] = ()
    buffer: int = 0
    begin: str = ""
    end: str = ""
    emits: bool = False
    outputs: tuple[str, ...] = ("y",)
    boolean: tuple[bool, ...] = (False,)
    accepts_boolean: bool = True
    helpers: frozenset[str] = field(default_factory=frozenset)


def stateless(step: str, params: dict[str, float] | None = None, outputs: tuple[str, ...] = ("y",),
              boolean: tuple[bool, ...] = (False,), accepts_boolean: bool = True) -> Kernel:
    """A kernel with no state (scale, threshold, zone lookup)."""
    return Kernel(step, load=lambda state: KernelState([], []), store=lambda state, ks: None,
                  params=tuple((params or {}).items()), outputs=outputs, boolean=boolean,
                  accepts_boolean=accepts_boolean)


# The _Recursive rule of nodes.library.signal, per sample: a bad or NaN sample is bridged with the
# last good value (it still enters the recursion) and gives NaN, bad; nothing enters before the first
# good sample. The recursion reads ``x`` and sets ``y`` and ``yq``.
_RECURSIVE = """\
$ok = math.isfinite(v) and q != 2
if $ok or $started != 0.0:
    if $ok:
        $last = v
        $started = 1.0
    x = $last
{step}
    if $ok:
        v = y
        q = yq
    else:
        v = nan
        q = 2
else:
    v = nan
    q = 2
"""


def recursive(step: str, load: Callable[[Any], KernelState], store: Callable[[Any, KernelState], None],
              params: dict[str, float] | None = None, floats: tuple[str, ...] = (), ints: tuple[str, ...] = (),
              begin: str = "", end: str = "") -> Kernel:
    """A kernel for a recursive component (filters, integrals): ``step`` maps ``x`` to ``y``, ``yq``.

    ``load`` and ``store`` handle the recursion's own state; the last good value, which bridges bad
    samples, is handled here (the component's ``state.last_good``).
    """
    body = "\n".join("    " + line for line in step.strip("\n").splitlines())

    def load_all(state: Any) -> KernelState:
        own = load(state)
        started = state.last_good is not None
        own.floats[:0] = [1.0 if started else 0.0, float(state.last_good) if started else 0.0]
        return own

    def store_all(state: Any, ks: KernelState) -> None:
        started, last = ks.floats[0], ks.floats[1]
        state.last_good = np.float64(last) if started else None
        store(state, KernelState(ks.floats[2:], ks.ints, ks.buffer))

    return Kernel(_RECURSIVE.format(step=body), load_all, store_all, tuple((params or {}).items()),
                  ("started", "last", *floats), ints, begin=begin, end=end, accepts_boolean=False)
