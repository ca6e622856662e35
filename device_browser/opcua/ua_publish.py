"""Several Publish requests in flight, so that a big subscription keeps up (OPC UA Part 4, 5.13.5).

A server answers a Publish request only when it has a notification message (or a keep-alive)
for it, and sends at most MaxNotificationsPerPublish notifications per answer (asyncua's
server: all; real PLCs: often 1,000 or fewer, then ``MoreNotifications``). asyncua's client
keeps one request outstanding: after each answer the server waits a full network round trip
plus our decoding before it can send the next, and 5,000 items changing every 100 ms fall
behind. Like UaExpert and the OPC Foundation stacks we keep several requests queued at the
server: about one per 1,000 items plus one, at least one more than there are subscriptions,
at most :data:`MAX_IN_FLIGHT`.

The answers go to ``on_result`` (which only enqueues); acknowledgements ride on the next
request. Losing the connection is reported once through ``on_lost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from asyncua import ua
from asyncua.ua import uaerrors

if TYPE_CHECKING:
    from asyncua.client.ua_client import UaClient

    from device_browser.session import SessionCounters

_log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 10
NOTIFICATIONS_PER_RESPONSE = 1000  # what a PLC typically sends per Publish answer


def requests_needed(items: int, subscriptions: int) -> int:
    """Publish requests to keep outstanding for ``items`` monitored items in ``subscriptions``."""
    if subscriptions <= 0:
        return 0
    wanted = max(math.ceil(items / NOTIFICATIONS_PER_RESPONSE) + 1, subscriptions + 1)
    return min(MAX_IN_FLIGHT, wanted)


class Counting(Protocol):
    """What a :class:`Publisher` uses of its session (a ``UaConnection``): where, and the counts."""

    url: str
    counters: SessionCounters

    def count(self, service: str) -> None: ...


class Publisher:
    """Keeps ``target`` Publish requests outstanding on one connection of ``session``."""

    def __init__(
        self,
        session: Counting,
        uaclient: UaClient,
        on_result: Callable[[ua.PublishResult], None],
        on_lost: Callable[[str], None],
    ):
        self.session = session
        self.uaclient = uaclient
        self.on_result = on_result
        self.on_lost = on_lost
        self.target = 0
        self.refused = 0  # BadTooManyPublishRequests answers: the server wants fewer in flight
        self._acks: list[ua.SubscriptionAcknowledgement] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def acknowledge(self, subscription_id: int, sequence_number: int) -> None:
        """Acknowledge a notification message with the next request (the server may then forget it)."""
        self._acks.append(ua.SubscriptionAcknowledgement(SubscriptionId=subscription_id,
                                                         SequenceNumber=sequence_number))

    def ensure(self, target: int) -> None:
        """Have ``target`` requests outstanding (more are started; extra ones end after their answer)."""
        if self._stopped:
            return
        self.target = max(0, target - self.refused)
        while len(self._tasks) < self.target:
            task = asyncio.create_task(self._loop(), name="opcua-publish")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        self._stopped = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _loop(self) -> None:
        uasession = self.uaclient.session
        while not self._stopped and len(self._tasks) <= self.target:
            acks, self._acks = self._acks, []
            self.session.count("Publish")
            try:
                response = await uasession.publish(acks)
                response.ResponseHeader.ServiceResult.check()
            except asyncio.CancelledError:
                raise
            except uaerrors.BadTimeout:
                continue  # the server's hint expired with nothing to send: ask again
            except uaerrors.BadTooManyPublishRequests:
                self.refused += 1  # the server keeps fewer queued: this request is one too many
                self.target = max(1, self.target - 1)
                return
            except uaerrors.BadNoSubscription:
                return  # nothing to publish (yet); ensure() starts us again with a subscription
            except Exception as exc:  # noqa: BLE001 - any other failure means the connection is gone
                self._acks = acks + self._acks  # not delivered: the server still holds them
                if not self._stopped:
                    self.session.counters.errors += 1
                    self.on_lost(f"the connection to {self.session.url} was lost while waiting for data "
                                 f"({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})")
                return
            result = response.Parameters
            if result.SubscriptionId and result.NotificationMessage.NotificationData:
                self.acknowledge(result.SubscriptionId, result.NotificationMessage.SequenceNumber)
            if result.SubscriptionId:
                self.on_result(result)
