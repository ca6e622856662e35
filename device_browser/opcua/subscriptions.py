"""OPC UA subscriptions of one session into live buses: notifications, gaps, and what survives a reconnect.

:class:`LiveSubscriptions` belongs to one :class:`~device_browser.opcua.client.OpcUaSession`
(``session.live``; ``OpcUaSession.subscribe`` is the usual way in; what it uses of the session is
:class:`LiveSession`, a Protocol, so that this module does not import ``client.py``). It holds the
:class:`~device_browser.opcua.ua_monitored.DataSubscription` s (each with its own publishing
interval and bus), keeps several Publish requests in flight
(:class:`~device_browser.opcua.ua_publish.Publisher`), and a dispatcher task turns the answers
into :meth:`LiveBus.publish` calls and events into :class:`EventRecord` s on ``events``. The
publish path only enqueues.

It owns no reconnect loop: the session's supervisor (:mod:`device_browser.opcua.ua_supervisor`)
calls :meth:`connection_lost` when it sees the connection die and :meth:`restore` once it is
back. On a loss every subscribed tag gets one BAD sample (NaN, ``BadNoCommunication``) at the
time the loss was seen. After a reconnect that reused the server session (OPC UA Part 4, 6.7:
ActivateSession on a new SecureChannel) the subscriptions are still on the server with what they
queued meanwhile: Publish resumes, notification messages that were lost on the old connection
are fetched with Republish (found from the sequence numbers), and tags that did not change in
the outage are shown good again. With a fresh session they are re-created from our own lists in
chunks, with the counts verified. Values already published are never published twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import TYPE_CHECKING, Protocol

from asyncua import ua

from device_browser.opcua.ua_monitored import (
    DEFAULT_EVENT_FIELDS,
    AddResult,
    DataSubscription,
    EventRecord,
    MonitoredItem,
    MonitoredSession,
)
from device_browser.opcua.ua_publish import Counting, Publisher, requests_needed
from device_browser.opcua.ua_values import is_overflow, quality_of, to_ns, value_of
from device_browser.session import BAD, GOOD, DeviceError

if TYPE_CHECKING:
    from device_browser.bus import LiveBus

__all__ = ["DEFAULT_EVENT_FIELDS", "AddResult", "DataSubscription", "EventRecord", "LiveSubscriptions",
           "MonitoredItem"]

_log = logging.getLogger(__name__)
_SEEN_KEPT = 1000  # sequence numbers remembered per subscription (to find the ones never received)


class LiveSession(MonitoredSession, Counting, Protocol):
    """What :class:`LiveSubscriptions` (and its subscriptions) use of the session (an ``OpcUaSession``)."""

    live: LiveSubscriptions | None

    def lost(self, reason: str) -> None: ...

    def to_tag(self, nid: ua.NodeId) -> str: ...


class LiveSubscriptions:
    """The subscriptions of one session.

    Parameters
    ----------
    session
        The ``OpcUaSession``; it reconnects by itself and tells us (``connection_lost`` / ``restore``).
    bus
        Default bus of subscriptions made without one.
    keepalive_interval
        Seconds between keep-alives the server is asked for (a quiet subscription still answers).
    """

    def __init__(self, session: LiveSession, bus: LiveBus | None = None, *, keepalive_interval: float = 2.0,
                 event_queue_size: int = 10_000):
        self.session = session
        self.bus = bus
        self.keepalive_interval = keepalive_interval
        self.subscriptions: list[DataSubscription] = []
        self.inbox: asyncio.Queue[tuple[int, ua.PublishResult]] = asyncio.Queue()
        self.events: asyncio.Queue[EventRecord] = asyncio.Queue(maxsize=event_queue_size)
        self.events_dropped = 0
        self.gaps: list[int] = []  # ns times of the gap markers published
        self.problems: list[str] = []  # items that could not be re-created, with the reason
        self.duplicates_dropped = 0
        self.republished = 0  # notification messages fetched again with Republish
        self.last_answer = time.monotonic()  # any Publish answer at all (the supervisor watches it)
        self._generation = 0
        self._publisher: Publisher | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        if session.live is None:  # the session's supervisor restores what it knows of
            session.live = self

    @property
    def reconnects(self) -> int:
        return self.session.counters.reconnects

    @property
    def publisher(self) -> Publisher | None:
        return self._publisher

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the dispatcher (the session must be connected)."""
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch_forever(), name="opcua-dispatch")

    async def close(self) -> None:
        """Delete our subscriptions on the server, stop publishing, deliver what is still queued."""
        ids = [s.subscription_id for s in self.subscriptions if s.subscription_id]
        session = self.session
        if ids and session.connected:
            with contextlib.suppress(DeviceError):
                await session.request("DeleteSubscriptions", lambda: session.uaclient.delete_subscriptions(ids))
        await self._stop_publisher()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        self._drain()
        for sub in self.subscriptions:
            sub.closed = True
            sub.subscription_id = 0
        self.subscriptions.clear()
        if self.session.live is self:
            self.session.live = None

    async def __aenter__(self) -> LiveSubscriptions:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def create_subscription(self, publishing_interval_ms: float, name: str = "",
                                  bus: LiveBus | None = None) -> DataSubscription:
        """A new subscription with its own publishing interval, into ``bus`` (default: ours)."""
        if bus is None and self.bus is None:
            raise DeviceError("A subscription needs a live bus to deliver its samples to")
        await self.start()
        sub = DataSubscription(self, publishing_interval_ms, name, bus)
        await sub.create_on_server()
        self.subscriptions.append(sub)
        self.publish_more()
        return sub

    def forget(self, sub: DataSubscription) -> None:
        if sub in self.subscriptions:
            self.subscriptions.remove(sub)

    # -- Publish requests ------------------------------------------------------------------------

    def publish_more(self) -> None:
        """Keep enough Publish requests in flight for the items we have now."""
        if not self.session.connected:
            return
        if self._publisher is None:
            generation = self._generation

            def on_result(result: ua.PublishResult) -> None:  # on the publish path: enqueue only
                self.inbox.put_nowait((generation, result))

            self._publisher = Publisher(self.session, self.session.uaclient, on_result, self.session.lost)
        live = [s for s in self.subscriptions if s.subscription_id]
        self._publisher.ensure(requests_needed(sum(s.active_count for s in live), len(live)))

    async def _stop_publisher(self) -> None:
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.stop()

    # -- notifications -----------------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        while True:
            entry = await self.inbox.get()
            try:
                await self._handle(*entry)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one odd notification must not stop the data flow
                _log.exception("%s: a notification could not be handled", self.session.url)

    def _drain(self) -> None:
        """Deliver what is queued without waiting for anything (no Republish)."""
        while not self.inbox.empty():
            generation, result = self.inbox.get_nowait()
            sub = self._subscription(generation, result)
            if sub is not None:
                self._deliver(sub, result.NotificationMessage)

    def _subscription(self, generation: int, result: ua.PublishResult) -> DataSubscription | None:
        if generation != self._generation:
            return None  # from a connection already given up
        return next((s for s in self.subscriptions if s.subscription_id == result.SubscriptionId), None)

    async def _handle(self, generation: int, result: ua.PublishResult) -> None:
        sub = self._subscription(generation, result)
        if sub is None:
            return
        now = time.monotonic()
        self.last_answer = sub.last_notice = now
        message = result.NotificationMessage
        sequence = message.SequenceNumber
        if message.NotificationData:
            if sequence in sub.seen_sequences:
                return  # delivered already (a republished message that also came the normal way)
            missing = [n for n in range(sub.max_sequence + 1, sequence) if n not in sub.seen_sequences] \
                if sub.max_sequence else []
            if missing:
                await self._republish(sub, missing)
        if sub.catching_up:  # first answer after a reused session: fetch what the old connection lost
            available = set(result.AvailableSequenceNumbers or [])
            lost = sorted(n for n in available if n not in sub.seen_sequences and n != sequence)
            for n in available & sub.seen_sequences:  # received, but the acknowledgement went down with the line
                self._acknowledge(sub, n)
            if lost:
                await self._republish(sub, lost)
        if message.NotificationData:
            self._deliver(sub, message)
        if sub.catching_up and not result.MoreNotifications:
            sub.catching_up = False
            self._resume_unchanged(sub)

    async def _republish(self, sub: DataSubscription, numbers: list[int]) -> None:
        """Fetch notification messages we never received (they went out on a connection that died)."""
        session = self.session
        for number in numbers:
            try:
                message = await session.request(
                    "Republish", lambda n=number: session.uaclient.session.republish(sub.subscription_id, n)
                )
            except DeviceError as exc:  # BadMessageNotAvailable: the server no longer has it
                _log.info("%s: message %d of '%s' is lost (%s)", session.url, number, sub.name, exc)
                message = None
            if message is None or not message.NotificationData:
                sub._stats.dropped += 1
                sub.seen_sequences.add(number)
                continue
            self.republished += 1
            self._acknowledge(sub, number)
            self._deliver(sub, message)

    def _acknowledge(self, sub: DataSubscription, number: int) -> None:
        if self._publisher is not None:
            self._publisher.acknowledge(sub.subscription_id, number)

    def _deliver(self, sub: DataSubscription, message: ua.NotificationMessage) -> None:
        number = message.SequenceNumber
        sub.seen_sequences.add(number)
        if number > sub.max_sequence:
            sub.max_sequence = number
        if len(sub.seen_sequences) > 2 * _SEEN_KEPT:
            floor = sub.max_sequence - _SEEN_KEPT
            sub.seen_sequences = {n for n in sub.seen_sequences if n > floor}
        for data in message.NotificationData or []:
            if isinstance(data, ua.DataChangeNotification):
                for note in data.MonitoredItems:
                    item = sub.by_handle.get(note.ClientHandle)
                    if item is not None:
                        self._publish(sub, item.tag, note.Value)
            elif isinstance(data, ua.EventNotificationList):
                for fields in data.Events:
                    item = sub.by_handle.get(fields.ClientHandle)
                    if item is not None:
                        self._event(item, fields.EventFields)
            elif isinstance(data, ua.StatusChangeNotification) and not data.Status.is_good():
                self.session.lost(f"the server ended subscription '{sub.name}' ({data.Status.name})")

    def _publish(self, sub: DataSubscription, tag: str, dv: ua.DataValue) -> None:
        # On the path of every notification (tens of thousands a second): no Sample object, and the
        # status' name is not looked up, since the bus keeps only the quality.
        value = value_of(dv)
        status = dv.StatusCode
        quality = GOOD if status is None or status.value == 0 else quality_of(status)
        t = to_ns(dv.SourceTimestamp) or to_ns(dv.ServerTimestamp) or time.time_ns()
        last = sub.last_t.get(tag)
        if last is not None and t <= last:
            if tag in sub.after_gap and not sub.catching_up:
                t = max(time.time_ns(), last + 1)  # re-sent unchanged by a fresh session: good again from now on
            elif tag in sub.after_gap:
                sub._stats.dropped += 1  # recovered, but older than the gap marker: the trend cannot take it
                return
            else:
                self.duplicates_dropped += 1  # already published (a re-sent value)
                return
        stats = sub._stats
        if is_overflow(dv.StatusCode):
            stats.overflows += 1
            stats.dropped += 1  # at least one older value of this tag was discarded by the server
        sub.after_gap.discard(tag)
        sub.last_t[tag] = t
        sub.last_value[tag] = value
        sub.last_data = time.monotonic()
        stats.updates[tag] = stats.updates.get(tag, 0) + 1
        sub.bus.publish(tag, t, value, quality)

    def _resume_unchanged(self, sub: DataSubscription) -> None:
        """After a reused session delivered its queue: tags it did not mention did not change.

        Their value from before the outage is valid again; published once, good, stamped now
        (so the trend ends the gap instead of staying bad until the value next changes)."""
        now = time.time_ns()
        for tag in list(sub.after_gap):
            if tag in sub.last_value:
                t = max(now, sub.last_t.get(tag, 0) + 1)
                sub.last_t[tag] = t
                sub.bus.publish(tag, t, sub.last_value[tag], 0)
        sub.after_gap.clear()

    def _event(self, item: MonitoredItem, values: list[ua.Variant]) -> None:
        fields = {
            name: (v.Value if isinstance(v, ua.Variant) else v)
            for name, v in zip(item.event_fields, values or [], strict=False)
        }
        message = fields.get("Message")
        event_type = fields.get("EventType")
        record = EventRecord(
            notifier=item.tag,
            time=to_ns(fields.get("Time")) or time.time_ns(),
            severity=int(fields.get("Severity") or 0),
            message=message.Text if isinstance(message, ua.LocalizedText) else str(message or ""),
            event_type=self.session.to_tag(event_type) if isinstance(event_type, ua.NodeId) else str(event_type or ""),
            source_name=str(fields.get("SourceName") or ""),
            fields=fields,
        )
        if self.events.full():  # keep the newest: drop the oldest, and count it
            self.events.get_nowait()
            self.events_dropped += 1
        self.events.put_nowait(record)

    # -- the supervisor's calls --------------------------------------------------------------------

    async def connection_lost(self, t: int) -> None:
        """The connection died (seen at ``t``, ns): stop publishing, deliver what came, mark the gap."""
        await self._stop_publisher()
        self._drain()
        self._generation += 1  # whatever the old connection still delivers is ignored
        self.gaps.append(t)
        for sub in self.subscriptions:
            sub._stats.gaps += 1
            for item in sub.items.values():
                if item.event_fields:
                    continue
                stamp = max(t, sub.last_t.get(item.tag, 0) + 1)
                sub.bus.publish(item.tag, stamp, math.nan, BAD)
                sub.last_t[item.tag] = stamp
                sub.after_gap.add(item.tag)

    async def restore(self, reused: bool) -> list[str]:
        """Bring the subscriptions back on the new connection; returns problems in plain words.

        ``reused``: the server kept our session, and with it the subscriptions and what they
        queued; Publish resumes and lost messages are republished. Otherwise (or if the server
        no longer knows a subscription) re-create it from our own item list, in chunks.
        """
        problems: list[str] = []
        fresh = self.subscriptions
        if reused:
            for sub in self.subscriptions:
                sub.catching_up = True
                sub.last_notice = time.monotonic()
            self.publish_more()
            fresh = []
        for sub in fresh:
            failures = await sub.recreate()
            wanted, live = len(sub.items), sub.active_count
            if failures or live != wanted:
                text = f"{sub.name}: {live} of {wanted} items re-created" + (
                    f" (refused: {', '.join(f'{t}: {r}' for t, r in sorted(failures.items()))})" if failures else ""
                )
                problems.append(text)
                _log.warning("%s", text)
        self.last_answer = time.monotonic()
        self.publish_more()
        self.problems = problems
        return problems

    def stale(self) -> list[DataSubscription]:
        """Subscriptions the server has not answered for much longer than promised."""
        now = time.monotonic()
        return [s for s in self.subscriptions if s.is_stale(now)]
