"""Reproducible benchmarks, run by ``make bench``; results go to ``benchmarks/results/``."""

import time
from collections.abc import Callable


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The shortest of ``runs`` timings of ``work``, in seconds: the least disturbed by a busy machine."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)
