"""Modbus subscriptions: a poll loop that reads tags on a schedule and publishes into the live bus.

Modbus has no subscriptions of its own, so :meth:`ModbusSession.subscribe
<device_browser.modbus.client.ModbusSession.subscribe>` makes one out of polling. One
:class:`PollScheduler` (one task) per session serves every subscription of that session: the
session sends one request at a time anyway, and one scheduler can say honestly which polls it
could not keep (``stats.dropped``) instead of several loops queueing on the same lock.

Through an outage (what :mod:`device_browser.session` promises):

* the first poll that fails marks the loss with one BAD sample per tag (NaN, status
  ``BadNoCommunication``), stamped when the loss was detected, in every subscription of the
  session, since the connection is shared;
* while the session is not CONNECTED nothing is polled; when it is back every subscription
  polls at once, then on its own schedule again. A device that is connected but silent (traffic
  dropped without a reset) is polled on schedule, and the gap is not marked again;
* timestamps per tag are strictly increasing: a value never reuses a timestamp already sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from device_browser.session import (
    BAD,
    GOOD,
    NO_COMMUNICATION,
    ConnectionState,
    ConnectionStatus,
    DeviceError,
    Sample,
    SubscriptionStats,
)

if TYPE_CHECKING:
    from device_browser.bus import LiveBus
    from device_browser.modbus.client import ModbusSession

log = logging.getLogger(__name__)


class ModbusSubscription:
    """Tags polled every ``interval_ms`` into a bus until :meth:`close` (see the module docstring).

    Attributes
    ----------
    latest : dict[str, Sample]
        The last sample published per tag, with its status (``BadNoCommunication`` during an
        outage, the Modbus exception in words for a tag the device refuses).
    """

    def __init__(self, scheduler: PollScheduler, tags: Sequence[str], interval_ms: float, bus: LiveBus,
                 deadband: float = 0.0):
        self.tags: tuple[str, ...] = tuple(dict.fromkeys(tags))
        self.interval_ms = float(interval_ms)
        self.bus, self.deadband = bus, float(deadband)
        self.latest: dict[str, Sample] = {}
        self.in_outage = False
        self.closed = False
        self.due = 0.0  # loop time of the next poll
        self._scheduler = scheduler
        self._stats = SubscriptionStats(updates=dict.fromkeys(self.tags, 0))
        self._last_time: dict[str, int] = {}
        self._last_arrival = time.monotonic()  # counts from the start until the first values arrive

    @property
    def interval_s(self) -> float:
        return self.interval_ms / 1000.0

    @property
    def stats(self) -> SubscriptionStats:
        """Counts so far, with ``newest_age_s`` and ``stale`` computed now."""
        age = time.monotonic() - self._last_arrival
        session = self._scheduler.session
        # One poll may take a whole timeout with its retries before it fails; beyond three intervals
        # on top of that, a connected device that delivers nothing is stale.
        stale_after = 3 * self.interval_s + session.timeout * (session.retries + 1)
        self._stats.newest_age_s = age
        self._stats.stale = session.status.state is ConnectionState.CONNECTED and age > stale_after
        return self._stats

    async def close(self) -> None:
        """Stop polling these tags; safe to call again."""
        await self._scheduler.remove(self)

    # ----------------------------------------------------------------- publishing

    def deliver(self, samples: Sequence[Sample]) -> None:
        """Publish a successful poll, leaving an outage; the deadband applies to unchanged quality only."""
        self.in_outage = False
        self._last_arrival = time.monotonic()
        for sample in samples:
            value = sample.value if sample.quality == GOOD else math.nan
            previous = self.latest.get(sample.tag)
            if previous is not None and previous.quality == sample.quality and self.deadband > 0 \
                    and _within(value, previous.value, self.deadband):
                continue
            self._publish(replace(sample, value=value), sample.source_time or time.time_ns())

    def mark_gap(self, detected_ns: int) -> None:
        """One BAD sample per tag for an outage detected at ``detected_ns``; nothing if already marked."""
        if self.in_outage:
            return
        self.in_outage = True
        self._stats.gaps += 1
        for tag in self.tags:
            self._publish(Sample(tag, math.nan, BAD, status=NO_COMMUNICATION), detected_ns, count=False)

    def _publish(self, sample: Sample, stamp: int, count: bool = True) -> None:
        # Strictly increasing per tag: a clock step or a same-nanosecond stamp must not produce a duplicate.
        stamp = max(stamp, self._last_time.get(sample.tag, 0) + 1)
        self._last_time[sample.tag] = stamp
        self.bus.publish(sample.tag, stamp, sample.value, sample.quality)
        self.latest[sample.tag] = replace(sample, source_time=stamp, server_time=sample.server_time or stamp)
        if count:
            self._stats.updates[sample.tag] = self._stats.updates.get(sample.tag, 0) + 1

    def count_missed(self, now: float) -> None:
        """Skip (and count as dropped) the polls whose time has fully passed while others ran."""
        late = now - self.due
        if late >= self.interval_s:
            missed = int(late // self.interval_s)
            self._stats.dropped += missed
            self.due += missed * self.interval_s


def _within(value: Any, previous: Any, deadband: float) -> bool:
    """Whether ``value`` differs from ``previous`` by less than the (absolute) deadband."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (value, previous))
    if not numbers:
        return value == previous  # text and bools: any change is a change
    if math.isnan(value) or math.isnan(previous):
        return math.isnan(value) and math.isnan(previous)
    return abs(value - previous) < deadband


class PollScheduler:
    """The one poll task of a session, serving all its subscriptions in order of their due time."""

    def __init__(self, session: ModbusSession):
        self.session = session
        self.subscriptions: list[ModbusSubscription] = []
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        session.status_changed.connect(self._on_status)

    def add(self, subscription: ModbusSubscription) -> None:
        subscription.due = asyncio.get_running_loop().time()
        self.subscriptions.append(subscription)
        if self._task is None or self._task.done():
            name = f"Modbus poll {self.session.endpoint}"
            self._task = asyncio.get_running_loop().create_task(self._run(), name=name)
        self._wake.set()

    async def remove(self, subscription: ModbusSubscription) -> None:
        subscription.closed = True
        if subscription in self.subscriptions:
            self.subscriptions.remove(subscription)
        self._wake.set()
        if not self.subscriptions:
            await self.stop()

    async def stop(self) -> None:
        """End the poll task (the session closes, or the last subscription did)."""
        for subscription in self.subscriptions:
            subscription.closed = True
        self.subscriptions.clear()
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _on_status(self, _status: ConnectionStatus) -> None:
        self._wake.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.subscriptions:
            self._wake.clear()
            if self.session.status.state is not ConnectionState.CONNECTED and \
                    all(s.in_outage for s in self.subscriptions):
                await self._wake.wait()  # a status change (or a new subscription) wakes us
                if self.session.status.state is ConnectionState.CONNECTED:
                    now = loop.time()
                    for subscription in self.subscriptions:
                        subscription.due = now  # back: read everything at once
                continue
            subscription = min(self.subscriptions, key=lambda s: s.due)
            wait = subscription.due - loop.time()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), wait)
                continue
            if not subscription.in_outage:
                subscription.count_missed(loop.time())
            await self._poll(subscription)
            subscription.due += subscription.interval_s
            if subscription.in_outage:
                subscription.due = max(subscription.due, loop.time())

    async def _poll(self, subscription: ModbusSubscription) -> None:
        try:
            samples = await self.session.read(list(subscription.tags))
        except DeviceError as exc:
            detected = time.time_ns()
            if not any(s.in_outage for s in self.subscriptions):
                log.info("Polling %s stopped: %s", self.session.endpoint, exc)
            for each in self.subscriptions:  # the connection is shared: every subscription lost it
                each.mark_gap(detected)
            return
        except Exception:  # a bug must not end the polling of every tag of the device
            log.exception("Polling %s failed", self.session.endpoint)
            await asyncio.sleep(subscription.interval_s)
            return
        if not subscription.closed:
            subscription.deliver(samples)
