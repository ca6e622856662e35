"""The events of one notifier (an alarm source, the Server object) collected for a view to take.

An :class:`EventFeed` makes a subscription of its own with one event item on the node
(``DataSubscription.add_events``) in the session's :class:`LiveSubscriptions`, so the
subscription survives a reconnect like any other. The session's dispatcher puts every event
record on ``live.events``; one router task per session (on the device loop) hands each record to
the feeds of its notifier. A feed keeps the newest ``max_events`` in a deque: appending and
:meth:`EventFeed.take` are atomic, so a view on another thread polls it (~10 Hz) without a lock
and without ever being called on the device thread.

Run :meth:`EventFeed.start` and :meth:`EventFeed.stop` on the device loop (``handle.host.call``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import weakref
from typing import TYPE_CHECKING, Protocol

from asyncua import ua

from device_browser.bus import LiveBus
from device_browser.opcua.subscriptions import EventRecord, LiveSession, LiveSubscriptions
from device_browser.session import DeviceError

if TYPE_CHECKING:
    from device_browser.opcua.ua_monitored import DataSubscription

MAX_EVENTS = 10_000

__all__ = ["MAX_EVENTS", "EventFeed", "EventRecord", "event_type_name"]


class EventSession(LiveSession, Protocol):
    """What an event feed uses of the session (an ``OpcUaSession``; this layer does not import it)."""

    url: str
    keepalive_interval: float


class _Router:
    """Takes the event records of one session's subscriptions and hands them to the feeds of their notifier."""

    def __init__(self, live: LiveSubscriptions):
        self.live = live
        self.feeds: list[EventFeed] = []
        self.task = asyncio.create_task(self._route(), name="opcua-event-router")

    async def _route(self) -> None:
        while True:
            record = await self.live.events.get()
            for feed in self.feeds:
                if feed.tag == record.notifier:
                    feed.events.append(record)
                    feed.received += 1


_routers: weakref.WeakKeyDictionary[LiveSubscriptions, _Router] = weakref.WeakKeyDictionary()


class EventFeed:
    """Events of the node ``tag`` of ``session``, newest last in :attr:`events` (at most ``max_events``)."""

    def __init__(self, session: EventSession, tag: str, *, interval_ms: float = 250.0,
                 max_events: int = MAX_EVENTS):
        self.session = session
        self.tag = tag
        self.interval_ms = interval_ms
        self.events: collections.deque[EventRecord] = collections.deque(maxlen=max_events)
        self.received = 0  # events delivered to this feed since start
        self._subscription: DataSubscription | None = None

    @property
    def running(self) -> bool:
        return self._subscription is not None

    async def start(self) -> None:
        """Subscribe to the node's events; :class:`DeviceError` if the server refuses (not a notifier)."""
        if self._subscription is not None:
            return
        session = self.session
        live = session.live
        if live is None:  # as OpcUaSession.subscribe makes it, so that the session restores it after a reconnect
            live = session.live = LiveSubscriptions(session, keepalive_interval=session.keepalive_interval)
        subscription = await live.create_subscription(self.interval_ms, name=f"events of {self.tag}", bus=LiveBus())
        result = await subscription.add_events(self.tag)
        if not result.added:
            await subscription.delete()
            reason = "; ".join(result.failed.values()) or "refused"
            raise DeviceError(f"{session.url} sends no events of {self.tag}: {reason}")
        router = _routers.get(live)
        if router is None or router.task.done():
            router = _routers[live] = _Router(live)
        router.feeds.append(self)
        self._subscription = subscription

    async def stop(self) -> None:
        """Delete the subscription; the events received stay in :attr:`events`. Safe to call again."""
        subscription, self._subscription = self._subscription, None
        if subscription is None:
            return
        router = _routers.get(subscription.owner)
        if router is not None and self in router.feeds:
            router.feeds.remove(self)
            if not router.feeds:
                router.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await router.task
                _routers.pop(subscription.owner, None)
        with contextlib.suppress(DeviceError):  # a lost connection has no subscription left to delete
            await subscription.delete()

    def take(self) -> list[EventRecord]:
        """The events that arrived since the last call, oldest first (from any thread)."""
        taken = []
        with contextlib.suppress(IndexError):
            while True:
                taken.append(self.events.popleft())
        return taken


def event_type_name(event_type: str) -> str:
    """``AlarmConditionType`` for ``i=2915``: a standard event type by name, another by its tag."""
    if event_type.startswith("i="):
        with contextlib.suppress(ValueError):
            return ua.ObjectIdNames.get(int(event_type[2:]), event_type)
    return event_type
