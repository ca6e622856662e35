"""How long to wait between reconnection attempts: one helper for every driver.

Exponential back-off with "full jitter" on the upper half (AWS Architecture Blog, "Exponential
Backoff And Jitter", 2015): attempt ``n`` waits between ``d/2`` and ``d`` where
``d = min(cap, start · factor^(n-1))``. The cap is a few seconds, not minutes: on site a device
that comes back after 7 s should be read again within about a second of that, not after a
15 s wait (UaExpert retries every few seconds; pymodbus' own default of 300 s looks dead).
Jitter keeps a fleet of clients from hammering a restarted server in lock-step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays for successive attempts; :meth:`reset` after a success.

    Examples
    --------
    >>> b = Backoff(start=0.5, cap=3.0, jitter=0.0)
    >>> [b.next_delay() for _ in range(5)]
    [0.5, 1.0, 2.0, 3.0, 3.0]
    """

    start: float = 0.25
    cap: float = 3.0
    factor: float = 2.0
    jitter: float = 0.5  # share of each delay drawn at random (0: none, 0.5: between d/2 and d)
    attempt: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """The wait before the next attempt (and count the attempt)."""
        self.attempt += 1
        delay = min(self.cap, self.start * self.factor ** (self.attempt - 1))
        return delay * (1.0 - self.jitter * self._random.random())

    def reset(self) -> None:
        self.attempt = 0
