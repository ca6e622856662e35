"""OPC UA subscriptions into the live bus, and the supervisor that brings them back after a loss.

asyncua's ``Subscription`` re-creates all items in one request after a reconnect (above the
server's MaxMonitoredItemsPerCall it comes back empty, with a log line) and its handlers run
on the publish path. So we keep our own item lists and talk to the subscription services
directly:

* :class:`LiveSubscriptions` owns several :class:`DataSubscription` s (each with its own
  publishing interval) of one :class:`~device_browser.opcua.client.OpcUaSession`. The publish
  callback only puts the response into a queue; a dispatcher task turns data changes into
  :meth:`LiveBus.publish` calls and events into :class:`EventRecord` s on ``events``.
* Items are created and deleted in chunks of MaxMonitoredItemsPerCall; every item's
  StatusCode is checked and failures are returned (:class:`AddResult`), never dropped silently.
* The supervisor watches keep-alives (publish responses, or a read of ServerStatus.State when
  none come), and on a loss: status RECONNECTING(attempt, reason), a gap marker (a BAD sample,
  NaN) on every subscribed tag at the time the loss was seen, back-off 0.5 s doubling to 10 s,
  a fresh session, subscriptions re-created from our lists in chunks with the counts verified,
  status CONNECTED — or FAILED after the caller's limit. Samples the new session sends again
  (initial values already published) are not published twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asyncua import ua

from device_browser.bus import LiveBus
from device_browser.opcua.client import OpcUaSession
from device_browser.opcua.security import CertificateRejected
from device_browser.opcua.ua_errors import OpcUaError
from device_browser.opcua.ua_values import sample_of, to_ns
from device_browser.session import BAD, ConnectionState, DeviceError

_log = logging.getLogger(__name__)

DEFAULT_EVENT_FIELDS = ("EventId", "EventType", "SourceName", "Time", "Message", "Severity")
_FATAL = {"BadUserAccessDenied", "BadIdentityTokenInvalid", "BadIdentityTokenRejected", "BadCertificateUntrusted",
          "BadSecurityChecksFailed", "BadCertificateInvalid", "BadCertificateUriInvalid"}
_DEADBANDS = {"none": ua.DeadbandType.None_, "absolute": ua.DeadbandType.Absolute,
              "percent": ua.DeadbandType.Percent}


@dataclass
class MonitoredItem:
    """One thing we watch: a tag's value (or, with ``event_fields``, a notifier's events)."""

    tag: str
    sampling_interval_ms: float | None = None  # None: the subscription's publishing interval
    queue_size: int = 1
    deadband: float = 0.0
    deadband_type: str = "none"  # "none", "absolute", "percent" (percent of the EURange)
    event_fields: tuple[str, ...] = ()  # non-empty: an event item
    # on the server, for the current session
    handle: int = 0
    server_id: int = 0
    status: str = ""  # why the server refused it, if it did
    revised_sampling_ms: float = 0.0


@dataclass(frozen=True)
class AddResult:
    """What became of a batch of items: created, and refused (tag → reason)."""

    added: list[str]
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class EventRecord:
    """One OPC UA event: where it came from, when, how severe, what it says, all selected fields."""

    notifier: str  # the node we subscribed to
    time: int  # ns since the epoch
    severity: int
    message: str
    event_type: str
    source_name: str
    fields: dict[str, Any]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class DataSubscription:
    """One server subscription (one publishing interval) and the items we want in it."""

    def __init__(self, owner: LiveSubscriptions, publishing_interval_ms: float, name: str = ""):
        self.owner = owner
        self.publishing_interval_ms = publishing_interval_ms
        self.name = name or f"{publishing_interval_ms:g} ms"
        self.items: dict[str, MonitoredItem] = {}  # ours: what is re-created after a reconnect
        self.failed: dict[str, str] = {}  # refused when added (not retried)
        self.subscription_id = 0
        self.revised_publishing_ms = 0.0
        self.revised_keepalive_count = 0
        self._handles = itertools.count(1)
        self.by_handle: dict[int, MonitoredItem] = {}

    @property
    def session(self) -> OpcUaSession:
        return self.owner.session

    @property
    def active_count(self) -> int:
        return sum(1 for item in self.items.values() if item.server_id)

    @property
    def keepalive_period_s(self) -> float:
        return self.revised_publishing_ms * max(1, self.revised_keepalive_count) / 1000.0

    # -- on the server -------------------------------------------------------------------------

    async def _create_on_server(self, generation: int) -> None:
        keepalive = max(1, math.ceil(self.owner.keepalive_interval * 1000 / self.publishing_interval_ms))
        lifetime = max(3 * keepalive, math.ceil(self.session.session_timeout * 1000 / self.publishing_interval_ms))
        params = ua.CreateSubscriptionParameters(
            RequestedPublishingInterval=self.publishing_interval_ms,
            RequestedLifetimeCount=lifetime,
            RequestedMaxKeepAliveCount=keepalive,
            MaxNotificationsPerPublish=0,
            PublishingEnabled=True,
            Priority=0,
        )
        inbox = self.owner.inbox

        def on_publish(result: ua.PublishResult) -> None:  # runs on asyncua's publish path: enqueue only
            inbox.put_nowait((generation, self, result))

        session = self.session
        result = await session.request(
            "CreateSubscription", lambda: session.uaclient.create_subscription(params, on_publish)
        )
        self.subscription_id = result.SubscriptionId
        self.revised_publishing_ms = result.RevisedPublishingInterval
        self.revised_keepalive_count = result.RevisedMaxKeepAliveCount
        self.by_handle.clear()
        for item in self.items.values():
            item.server_id = 0

    def _create_request(self, item: MonitoredItem) -> ua.MonitoredItemCreateRequest:
        if item.event_fields:
            attribute = ua.AttributeIds.EventNotifier
            flt: Any = ua.EventFilter(
                SelectClauses=[
                    ua.SimpleAttributeOperand(
                        TypeDefinitionId=ua.NodeId(ua.ObjectIds.BaseEventType),
                        BrowsePath=[ua.QualifiedName(name, 0)],
                        AttributeId=ua.AttributeIds.Value,
                    )
                    for name in item.event_fields
                ],
                WhereClause=ua.ContentFilter(),
            )
            sampling = 0.0
        else:
            attribute = ua.AttributeIds.Value
            flt = None
            if item.deadband_type != "none":
                flt = ua.DataChangeFilter(
                    Trigger=ua.DataChangeTrigger.StatusValue,
                    DeadbandType=_DEADBANDS[item.deadband_type],
                    DeadbandValue=float(item.deadband),
                )
            sampling = item.sampling_interval_ms
            if sampling is None:
                sampling = self.publishing_interval_ms
        item.handle = next(self._handles)
        return ua.MonitoredItemCreateRequest(
            ItemToMonitor=ua.ReadValueId(NodeId=self.session.to_nodeid(item.tag), AttributeId=attribute),
            MonitoringMode=ua.MonitoringMode.Reporting,
            RequestedParameters=ua.MonitoringParameters(
                ClientHandle=item.handle,
                SamplingInterval=sampling,
                Filter=flt,
                QueueSize=item.queue_size,
                DiscardOldest=True,
            ),
        )

    async def _create_items(self, items: list[MonitoredItem]) -> dict[str, str]:
        """CreateMonitoredItems in chunks of MaxMonitoredItemsPerCall; each item's status is checked."""
        failures: dict[str, str] = {}
        session = self.session
        requests = []
        for item in items:
            try:
                requests.append((item, self._create_request(item)))
            except DeviceError as exc:  # e.g. a namespace the server does not have
                item.status = failures[item.tag] = str(exc)
        for chunk in _chunks(requests, session.limits.per_request("monitored_items")):
            params = ua.CreateMonitoredItemsParameters(
                SubscriptionId=self.subscription_id,
                TimestampsToReturn=ua.TimestampsToReturn.Both,
                ItemsToCreate=[request for _, request in chunk],
            )
            results = await session.request(
                "CreateMonitoredItems", lambda p=params: session.uaclient.create_monitored_items(p)
            )
            for (item, _), result in zip(chunk, results, strict=True):
                if result.StatusCode.is_good():
                    item.server_id = result.MonitoredItemId
                    item.revised_sampling_ms = result.RevisedSamplingInterval
                    item.status = ""
                    self.by_handle[item.handle] = item
                else:
                    item.server_id = 0
                    item.status = failures[item.tag] = f"{result.StatusCode.name} ({result.StatusCode.doc})"
        return failures

    async def _recreate(self, generation: int) -> dict[str, str]:
        await self._create_on_server(generation)
        return await self._create_items(list(self.items.values()))

    # -- what callers use -----------------------------------------------------------------------

    async def add(
        self,
        tags: Iterable[str | MonitoredItem],
        *,
        sampling_interval_ms: float | None = None,
        queue_size: int = 1,
        deadband: float = 0.0,
        deadband_type: str = "none",
    ) -> AddResult:
        """Watch tags (strings take the keyword settings; :class:`MonitoredItem` s bring their own)."""
        items = [
            t if isinstance(t, MonitoredItem)
            else MonitoredItem(t, sampling_interval_ms, queue_size, deadband, deadband_type)
            for t in tags
        ]
        failed: dict[str, str] = {}
        for item in items:
            if item.deadband_type not in _DEADBANDS:
                failed[item.tag] = f"unknown deadband type {item.deadband_type!r} (none, absolute, percent)"
        percent = [i for i in items if i.deadband_type == "percent" and i.tag not in failed]
        if percent:  # a percent deadband is a share of the EURange: the variable must have one
            facts = await self.session.node_facts([i.tag for i in percent], properties=True)
            for item, fact in zip(percent, facts, strict=True):
                if fact.eu_range is None:
                    failed[item.tag] = "a percent deadband needs an EURange, and this variable has none"
        todo = [i for i in items if i.tag not in failed and i.tag not in self.items]
        failed.update(await self._create_items(todo))
        added = []
        for item in todo:
            if item.tag in failed:
                continue
            self.items[item.tag] = item
            self.failed.pop(item.tag, None)
            added.append(item.tag)
        self.failed.update(failed)
        if failed:
            _log.warning("%s: %d item(s) refused: %s", self.name, len(failed), failed)
        return AddResult(added, failed)

    async def add_events(self, notifier: str = "i=2253", fields: Sequence[str] = DEFAULT_EVENT_FIELDS) -> AddResult:
        """Receive the events of ``notifier`` (the Server object by default) on ``LiveSubscriptions.events``."""
        return await self.add([MonitoredItem(notifier, queue_size=1000, event_fields=tuple(fields))])

    async def remove(self, tags: Iterable[str]) -> dict[str, str]:
        """Stop watching tags; DeleteMonitoredItems in chunks. Returns the items the server could not delete."""
        items = [self.items.pop(t) for t in tags if t in self.items]
        for item in items:
            self.by_handle.pop(item.handle, None)
        live = [i for i in items if i.server_id]
        failures: dict[str, str] = {}
        session = self.session
        if not live or not session.connected:
            return failures
        for chunk in _chunks(live, session.limits.per_request("monitored_items")):
            params = ua.DeleteMonitoredItemsParameters(
                SubscriptionId=self.subscription_id, MonitoredItemIds=[i.server_id for i in chunk]
            )
            results = await session.request(
                "DeleteMonitoredItems", lambda p=params: session.uaclient.delete_monitored_items(p)
            )
            for item, status in zip(chunk, results, strict=True):
                if not status.is_good():
                    failures[item.tag] = status.name
        return failures

    async def delete(self) -> None:
        """Delete the subscription on the server and forget it."""
        self.owner.subscriptions.remove(self)
        session = self.session
        if self.subscription_id and session.connected:
            with contextlib.suppress(DeviceError):
                await session.request(
                    "DeleteSubscriptions", lambda: session.uaclient.delete_subscriptions([self.subscription_id])
                )
        self.subscription_id = 0


class LiveSubscriptions:
    """Subscriptions of one session into a :class:`LiveBus`, kept alive by a reconnect supervisor.

    Parameters
    ----------
    session
        A connected :class:`OpcUaSession`; its status shows RECONNECTING / CONNECTED / FAILED.
    bus
        Where data changes go: ``bus.publish(tag, source time ns, value, quality)``.
    keepalive_interval
        Seconds between keep-alives the server is asked for; without any publish response for
        about twice that, ServerStatus.State is read to tell a quiet server from a dead one.
    backoff_start, backoff_max
        Seconds between reconnect attempts: doubling from ``backoff_start`` up to ``backoff_max``.
    give_up_after
        Attempts after which the status becomes FAILED (None: never give up).
    give_up_seconds
        Or seconds of trying after which to give up.
    """

    def __init__(
        self,
        session: OpcUaSession,
        bus: LiveBus,
        *,
        keepalive_interval: float = 2.0,
        backoff_start: float = 0.5,
        backoff_max: float = 10.0,
        give_up_after: int | None = None,
        give_up_seconds: float | None = None,
        event_queue_size: int = 10_000,
    ):
        self.session = session
        self.bus = bus
        self.keepalive_interval = keepalive_interval
        self.backoff_start, self.backoff_max = backoff_start, backoff_max
        self.give_up_after, self.give_up_seconds = give_up_after, give_up_seconds
        self.subscriptions: list[DataSubscription] = []
        self.inbox: asyncio.Queue[tuple[int, DataSubscription, ua.PublishResult]] = asyncio.Queue()
        self.events: asyncio.Queue[EventRecord] = asyncio.Queue(maxsize=event_queue_size)
        self.events_dropped = 0
        self.gaps: list[int] = []  # ns times of the gap markers published
        self.reconnects = 0
        self.problems: list[str] = []  # items that could not be re-created, with the reason
        self.duplicates_dropped = 0
        self._generation = 0
        self._last_t: dict[str, int] = {}
        self._after_gap: set[str] = set()
        self._last_publish = time.monotonic()
        self._lost = asyncio.Event()
        self._lost_reason = ""
        self._recovering = False
        self._tasks: list[asyncio.Task] = []
        self._on_lost_slot: Callable[[str], None] = self._on_lost

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the dispatcher and the supervisor (the session must be connected)."""
        if self._tasks:
            return
        self.session.connection_lost.connect(self._on_lost_slot)
        self.session.supervised = True
        self._last_publish = time.monotonic()
        self._tasks = [
            asyncio.create_task(self._dispatch_forever(), name="opcua-dispatch"),
            asyncio.create_task(self._supervise(), name="opcua-supervisor"),
        ]

    async def close(self) -> None:
        """Stop supervising, delete our subscriptions on the server, publish what is still queued."""
        with contextlib.suppress(TypeError, ValueError):
            self.session.connection_lost.disconnect(self._on_lost_slot)
        self.session.supervised = False
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        ids = [s.subscription_id for s in self.subscriptions if s.subscription_id]
        session = self.session
        if ids and session.connected:
            with contextlib.suppress(DeviceError):
                await session.request("DeleteSubscriptions", lambda: session.uaclient.delete_subscriptions(ids))
        self._drain()

    async def __aenter__(self) -> LiveSubscriptions:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def create_subscription(self, publishing_interval_ms: float, name: str = "") -> DataSubscription:
        """A new subscription with its own publishing interval."""
        sub = DataSubscription(self, publishing_interval_ms, name)
        await sub._create_on_server(self._generation)
        self.subscriptions.append(sub)
        if not self._tasks:
            await self.start()
        return sub

    # -- notifications -----------------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        while True:
            entry = await self.inbox.get()
            try:
                self._handle(*entry)
            except Exception:  # noqa: BLE001 - one odd notification must not stop the data flow
                _log.exception("%s: a notification could not be handled", self.session.url)

    def _drain(self) -> None:
        while not self.inbox.empty():
            self._handle(*self.inbox.get_nowait())

    def _handle(self, generation: int, sub: DataSubscription, result: ua.PublishResult) -> None:
        if generation != self._generation:
            return  # from a session already replaced
        self._last_publish = time.monotonic()
        for data in result.NotificationMessage.NotificationData or []:
            if isinstance(data, ua.DataChangeNotification):
                for note in data.MonitoredItems:
                    item = sub.by_handle.get(note.ClientHandle)
                    if item is not None:
                        self._publish(item.tag, note.Value)
            elif isinstance(data, ua.EventNotificationList):
                for fields in data.Events:
                    item = sub.by_handle.get(fields.ClientHandle)
                    if item is not None:
                        self._event(item, fields.EventFields)
            elif isinstance(data, ua.StatusChangeNotification) and not data.Status.is_good():
                self._on_lost(f"the server ended subscription '{sub.name}' ({data.Status.name})")

    def _publish(self, tag: str, dv: ua.DataValue) -> None:
        sample = sample_of(tag, dv)
        t = sample.source_time or sample.server_time or time.time_ns()
        last = self._last_t.get(tag)
        if last is not None and t <= last:
            if tag in self._after_gap:
                t = max(time.time_ns(), last + 1)  # unchanged across the gap: good again from now on
            else:
                self.duplicates_dropped += 1  # already published (e.g. a re-sent initial value)
                return
        self._after_gap.discard(tag)
        self._last_t[tag] = t
        self.bus.publish(tag, t, sample.value, sample.quality)

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

    # -- supervision ---------------------------------------------------------------------------------

    def _on_lost(self, reason: str) -> None:
        if self._recovering or self._lost.is_set():
            return
        self._lost_reason = reason
        self._lost.set()

    def _stale_after(self) -> float:
        periods = [s.keepalive_period_s for s in self.subscriptions if s.subscription_id]
        return 2.0 * max(periods, default=self.keepalive_interval) + 0.5

    async def _wait_for_loss(self) -> str:
        """Return why the connection is considered lost (transport, status change or keep-alive)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.keepalive_interval / 2)
            if self._lost.is_set():
                return self._lost_reason
            if not self.session.connected:
                return f"not connected to {self.session.url}"
            if self.subscriptions and time.monotonic() - self._last_publish < self._stale_after():
                continue
            try:  # no publish response lately (or nothing subscribed): is the server still there?
                probe = self.session.read(["i=2259"])  # Server.ServerStatus.State
                (state,) = await asyncio.wait_for(probe, max(1.0, self.keepalive_interval))
            except (DeviceError, TimeoutError) as exc:
                return f"no answer to the keep-alive from {self.session.url} ({exc or 'timeout'})"
            if state.quality == BAD or state.value not in (0, ua.ServerState.Running):
                return f"{self.session.url} reports state {state.value!r} ({state.status or 'not running'})"
            self._last_publish = time.monotonic()

    async def _supervise(self) -> None:
        while True:
            reason = await self._wait_for_loss()
            if not await self._recover(reason):
                return

    def _gap(self, t: int) -> None:
        """A BAD sample (NaN) on every watched tag, so trends show the gap instead of a straight line."""
        self.gaps.append(t)
        for sub in self.subscriptions:
            for item in sub.items.values():
                if item.event_fields:
                    continue
                stamp = max(t, self._last_t.get(item.tag, 0) + 1)
                self.bus.publish(item.tag, stamp, math.nan, BAD)
                self._last_t[item.tag] = stamp
                self._after_gap.add(item.tag)

    async def _recover(self, reason: str) -> bool:
        """Reconnect with back-off and re-create the subscriptions. False when given up (FAILED)."""
        self._recovering = True
        session = self.session
        try:
            _log.warning("%s: %s; reconnecting", session.url, reason)
            self._drain()
            self._generation += 1  # whatever the old session still delivers is ignored
            self._gap(time.time_ns())
            await session.close_quietly()  # ends asyncua's publish loop on the dead connection
            delay, started, attempt = self.backoff_start, time.monotonic(), 0
            while True:
                attempt += 1
                session.set_status(ConnectionState.RECONNECTING, attempt, reason)
                await asyncio.sleep(delay)  # a server that just went away is rarely back at once
                delay = min(delay * 2, self.backoff_max)
                try:
                    await session.open()
                    problems = await self._recreate_all()
                except (CertificateRejected, OpcUaError) as exc:
                    fatal = isinstance(exc, CertificateRejected) or getattr(exc, "status", "") in _FATAL
                    reason = str(exc)
                    if fatal:  # retrying changes nothing: a person has to act
                        session.set_status(ConnectionState.FAILED, attempt, reason)
                        await session.close_quietly()
                        return False
                except DeviceError as exc:
                    reason = str(exc)
                else:
                    self.reconnects += 1
                    self._last_publish = time.monotonic()
                    self._lost.clear()
                    session.set_status(ConnectionState.CONNECTED, 0, "; ".join(problems))
                    _log.info("%s: reconnected after %d attempt(s)", session.url, attempt)
                    return True
                if (self.give_up_after is not None and attempt >= self.give_up_after) or (
                    self.give_up_seconds is not None and time.monotonic() - started + delay > self.give_up_seconds
                ):
                    session.set_status(ConnectionState.FAILED, attempt, reason)
                    await session.close_quietly()
                    return False
        finally:
            self._recovering = False

    async def _recreate_all(self) -> list[str]:
        """Re-create every subscription and its items from our own lists; verify the counts."""
        problems: list[str] = []
        for sub in self.subscriptions:
            failures = await sub._recreate(self._generation)
            wanted, live = len(sub.items), sub.active_count
            if failures or live != wanted:
                text = f"{sub.name}: {live} of {wanted} items re-created" + (
                    f" (refused: {', '.join(f'{t}: {r}' for t, r in sorted(failures.items()))})" if failures else ""
                )
                problems.append(text)
                _log.warning("%s", text)
        self.problems = problems
        return problems
