"""Thin adapters over scipy.signal for the hot path of streaming (small chunks, many calls).

``scipy.signal.sosfilt`` spends ~25 µs per call validating and reshaping its arguments, and
``lfilter`` ~10 µs, more than the filtering of a 100-sample tick. Filters here are designed once
and validated by scipy at design time, so each call goes straight to scipy's own compiled kernel
(the one ``sosfilt`` or ``lfilter`` itself uses); if a scipy release moves it, the public function
is used instead. Both give bit-identical results (tested).
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def _kernel():
    """scipy's compiled kernel, looked up on first use: importing scipy.signal costs ~60 MB of RSS,
    which a headless runtime whose app filters nothing should not carry."""
    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:  # pragma: no cover - depends on the installed scipy
        return None
    return _sosfilt


def sosfilt(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filter 1-D ``x`` with second-order sections ``sos`` from state ``zi`` (sections × 2)."""
    kernel = _kernel()
    if kernel is None or x.dtype != np.float64:
        from scipy import signal as sps

        return sps.sosfilt(sos, x, zi=zi)
    y = np.array(x, dtype=np.float64, order="C")[np.newaxis, :]
    state = np.array(zi, dtype=np.float64, order="C")[np.newaxis, :, :]
    kernel(np.ascontiguousarray(sos, dtype=np.float64), y, state)
    return y[0], state[0]


@functools.cache
def _linear_kernel():
    """scipy's compiled direct-form II transposed filter (what ``lfilter`` calls), looked up on first use."""
    try:
        from scipy.signal._sigtools import _linear_filter
    except ImportError:  # pragma: no cover - depends on the installed scipy
        return None
    return _linear_filter


def lfilter(b: np.ndarray, a: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filter 1-D float64 ``x`` with coefficients ``b``, ``a`` (float64 arrays) from state ``zi``."""
    kernel = _linear_kernel()
    if kernel is None or x.dtype != np.float64:
        from scipy import signal as sps

        return sps.lfilter(b, a, x, zi=zi)
    return kernel(b, a, x, -1, zi)
