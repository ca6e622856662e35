"""One OPC UA subscription and its monitored items, as the server knows them and as we keep them.

asyncua's ``Subscription`` re-creates all items in one request after a reconnect (above the
server's MaxMonitoredItemsPerCall it comes back empty, with a log line) and runs its own single
Publish loop. A :class:`DataSubscription` keeps its own list of items (what is re-created after
a reconnect), creates and deletes them in chunks of MaxMonitoredItemsPerCall with every item's
StatusCode checked (failures are returned in :class:`AddResult`, never dropped), and sends
CreateSubscription itself so that asyncua starts no Publish loop of its own: Publish requests
come from :mod:`device_browser.opcua.ua_publish`.

It is also what ``OpcUaSession.subscribe`` returns (the ``Subscription`` of the session
contract): ``tags``, ``interval_ms``, ``stats`` and ``close()``. What it needs of the session and
of the :class:`~device_browser.opcua.subscriptions.LiveSubscriptions` it belongs to is stated
here as Protocols (:class:`MonitoredSession`, :class:`SubscriptionOwner`), so that this module
imports neither ``client.py`` nor ``subscriptions.py`` (both import it).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from asyncua import ua
from asyncua.ua.ua_binary import struct_from_binary

from device_browser.session import ConnectionState, ConnectionStatus, DeviceError, SubscriptionStats

if TYPE_CHECKING:
    from asyncua.client.ua_client import UaClient

    from device_browser.bus import LiveBus
    from device_browser.opcua.ua_connection import NodeFacts, OperationLimits

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_EVENT_FIELDS = ("EventId", "EventType", "SourceName", "Time", "Message", "Severity")
_DEADBANDS = {"none": ua.DeadbandType.None_, "absolute": ua.DeadbandType.Absolute,
              "percent": ua.DeadbandType.Percent}
STALE_FACTOR = 3.0  # silent for this many publishing (or keep-alive) periods: stale


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


class MonitoredSession(Protocol):
    """What a :class:`DataSubscription` uses of its session (an ``OpcUaSession``)."""

    limits: OperationLimits
    session_timeout: float

    @property
    def status(self) -> ConnectionStatus: ...

    @property
    def connected(self) -> bool: ...

    @property
    def uaclient(self) -> UaClient: ...

    def to_nodeid(self, tag: str) -> ua.NodeId: ...

    async def request(self, service: str, call: Callable[[], Awaitable[_T]]) -> _T: ...

    async def node_facts(self, tags: Sequence[str], *, properties: bool = False) -> list[NodeFacts]: ...


class SubscriptionOwner(Protocol):
    """What a :class:`DataSubscription` uses of the ``LiveSubscriptions`` it belongs to."""

    bus: LiveBus | None
    keepalive_interval: float

    @property
    def session(self) -> MonitoredSession: ...

    def publish_more(self) -> None: ...

    def forget(self, sub: DataSubscription) -> None: ...


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


async def send_service(session: MonitoredSession, service: str, request: Any, response_type: type) -> Any:
    """Send a request asyncua has no suitable call for (it would start its own Publish loop)."""
    uaclient = session.uaclient

    async def call() -> Any:
        protocol = uaclient.protocol
        if protocol is None:
            raise ConnectionError("connection is not open")
        response = struct_from_binary(response_type, await protocol.send_request(request))
        response.ResponseHeader.ServiceResult.check()
        return response

    return await session.request(service, call)


class DataSubscription:
    """One server subscription (one publishing interval), the items we want in it, and where they go."""

    def __init__(self, owner: SubscriptionOwner, publishing_interval_ms: float, name: str = "",
                 bus: LiveBus | None = None):
        self.owner = owner
        self.publishing_interval_ms = publishing_interval_ms
        self.name = name or f"{publishing_interval_ms:g} ms"
        self.bus = bus if bus is not None else owner.bus
        self.items: dict[str, MonitoredItem] = {}  # ours: what is re-created after a reconnect
        self.failed: dict[str, str] = {}  # refused when added (not retried)
        self.subscription_id = 0
        self.revised_publishing_ms = 0.0
        self.revised_keepalive_count = 0
        self._handles = itertools.count(1)
        self.by_handle: dict[int, MonitoredItem] = {}
        self._stats = SubscriptionStats()
        # delivery state (subscriptions.py): per tag the newest time and value published
        self.last_t: dict[str, int] = {}
        self.last_value: dict[str, Any] = {}
        self.after_gap: set[str] = set()
        self.seen_sequences: set[int] = set()
        self.max_sequence = 0
        self.catching_up = False  # after a reused session: until the server's queue is delivered
        self.last_notice = time.monotonic()  # any answer for this subscription (data or keep-alive)
        self.last_data = 0.0  # monotonic time the newest value arrived
        self.closed = False

    # -- the Subscription contract -------------------------------------------------------------

    @property
    def tags(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.event_fields]

    @property
    def interval_ms(self) -> float:
        return self.publishing_interval_ms

    @property
    def session(self) -> MonitoredSession:
        return self.owner.session

    @property
    def stats(self) -> SubscriptionStats:
        """Counts so far; ``newest_age_s`` and ``stale`` as of now."""
        now = time.monotonic()
        stats = self._stats
        stats.newest_age_s = round(now - self.last_data, 3) if self.last_data else math.inf
        stats.stale = self.is_stale(now)
        return stats

    def stale_after_s(self) -> float:
        period = max(self.revised_publishing_ms or self.publishing_interval_ms, 1.0) / 1000.0
        return STALE_FACTOR * max(period, self.keepalive_period_s)

    def is_stale(self, now: float | None = None) -> bool:
        """Nothing (not even a keep-alive) for much longer than promised, while the session is connected."""
        if not self.subscription_id or self.session.status.state != ConnectionState.CONNECTED:
            return False
        return (now or time.monotonic()) - self.last_notice > self.stale_after_s()

    async def close(self) -> None:
        await self.delete()

    @property
    def active_count(self) -> int:
        return sum(1 for item in self.items.values() if item.server_id)

    @property
    def keepalive_period_s(self) -> float:
        return self.revised_publishing_ms * max(1, self.revised_keepalive_count) / 1000.0

    # -- on the server -------------------------------------------------------------------------

    async def create_on_server(self) -> None:
        """CreateSubscription (our own request: asyncua's would start its single Publish loop)."""
        keepalive = max(1, math.ceil(self.owner.keepalive_interval * 1000 / self.publishing_interval_ms))
        lifetime = max(3 * keepalive, math.ceil(self.session.session_timeout * 1000 / self.publishing_interval_ms))
        request = ua.CreateSubscriptionRequest()
        request.Parameters = ua.CreateSubscriptionParameters(
            RequestedPublishingInterval=self.publishing_interval_ms,
            RequestedLifetimeCount=lifetime,
            RequestedMaxKeepAliveCount=keepalive,
            MaxNotificationsPerPublish=0,  # the server's own limit; several requests in flight make up for it
            PublishingEnabled=True,
            Priority=0,
        )
        response = await send_service(self.session, "CreateSubscription", request, ua.CreateSubscriptionResponse)
        result = response.Parameters
        self.subscription_id = result.SubscriptionId
        self.revised_publishing_ms = result.RevisedPublishingInterval
        self.revised_keepalive_count = result.RevisedMaxKeepAliveCount
        self.seen_sequences.clear()
        self.max_sequence = 0
        self.catching_up = False
        self.last_notice = time.monotonic()
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

    async def create_items(self, items: list[MonitoredItem]) -> dict[str, str]:
        """CreateMonitoredItems in chunks of MaxMonitoredItemsPerCall; each item's status is checked."""
        failures: dict[str, str] = {}
        session = self.session
        requests = []
        for item in items:
            try:
                requests.append((item, self._create_request(item)))
            except DeviceError as exc:  # e.g. a namespace the server does not have
                item.status = failures[item.tag] = str(exc)
        for chunk in chunks(requests, session.limits.per_request("monitored_items")):
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

    async def recreate(self) -> dict[str, str]:
        await self.create_on_server()
        return await self.create_items(list(self.items.values()))

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
        failed.update(await self.create_items(todo))
        added = []
        for item in todo:
            if item.tag in failed:
                continue
            self.items[item.tag] = item
            self._stats.updates.setdefault(item.tag, 0)
            self.failed.pop(item.tag, None)
            added.append(item.tag)
        self.failed.update(failed)
        self.owner.publish_more()  # more items may need more Publish requests in flight
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
        for chunk in chunks(live, session.limits.per_request("monitored_items")):
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
        """Delete the subscription on the server and forget it (samples stop; the bus keeps what came)."""
        if self.closed:
            return
        self.closed = True
        self.owner.forget(self)
        session = self.session
        if self.subscription_id and session.connected:
            with contextlib.suppress(DeviceError):
                await session.request(
                    "DeleteSubscriptions", lambda: session.uaclient.delete_subscriptions([self.subscription_id])
                )
        self.subscription_id = 0
