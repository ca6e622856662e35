"""asyncua's server, extended through subclasses of its internals (checked against asyncua 2.1).

* :class:`SimSession` enforces the operation limits of :data:`OPERATION_LIMITS` (``BadTooManyOperations``,
  as real PLCs answer) and counts the operations asked for, refuses out-of-range and (when strict)
  timestamped writes, pages Browse answers with continuation points, and sends processed history
  reads to :func:`~device_browser.simulators.opcua.history.read_processed`.
* :class:`SimProcessor` counts every request per service and answers BrowseNext, which asyncua's
  server does not implement.
* :class:`SimBinaryServer` creates the processors (through :class:`SimProtocol`) and stops without
  hanging when a client reconnects during the shutdown.
* :class:`SimInternalServer` and :class:`SimServer` create our sessions and our binary server.
* :class:`SimSubscription` answers a Publish with at most ``MaxNotificationsPerPublish``
  notifications (1,000 unless set; asyncua's server sends everything in one answer) and
  ``MoreNotifications``, sending the rest at once on the next queued Publish request, as PLCs do;
  sets the overflow bit (``Good, Overflow``) on the value after one its full queue discarded
  (asyncua's server discards silently); and can fall silent (``publishing_paused``) while still
  answering reads, for stale-subscription tests. Notifications per answer are counted.

The counters, limits and values they use live on :class:`~device_browser.simulators.opcua.simulation.Simulation`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from asyncua import Server, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.binary_server_asyncio import BinaryServer, OPCUAProtocol
from asyncua.server.internal_server import InternalServer
from asyncua.server.internal_session import InternalSession, SessionState
from asyncua.server.internal_subscription import InternalSubscription
from asyncua.server.subscription_service import SubscriptionService
from asyncua.server.uaprocessor import UaProcessor
from asyncua.ua.ua_binary import struct_from_binary

from device_browser.simulators.opcua.history import read_processed

if TYPE_CHECKING:
    from device_browser.simulators.opcua.simulation import Simulation

_log = logging.getLogger("device_browser.simulators.opcua.simulator")  # one logger for the whole simulator

APPLICATION_URI = "urn:millwright:simulator:pumpstation"
PRODUCT_URI = "urn:millwright:simulator"
SERVER_NAME = "Millwright pump-station simulator"
ENDPOINT_PATH = "/millwright/"
DEFAULT_LIMIT = 1000
SHUTDOWN_TIMEOUT = 5.0  # seconds: a last resort, the connections of a stopping server close within milliseconds

# Advertised under Server.ServerCapabilities.OperationLimits (0 = no limit) and enforced.
OPERATION_LIMITS: dict[str, int] = {
    "MaxNodesPerRead": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    "MaxNodesPerWrite": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    "MaxNodesPerBrowse": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    "MaxNodesPerMethodCall": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall,
    "MaxMonitoredItemsPerCall": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    "MaxNodesPerHistoryReadData": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData,
    "MaxNodesPerHistoryReadEvents":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadEvents,
    "MaxNodesPerHistoryUpdateData":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryUpdateData,
    "MaxNodesPerHistoryUpdateEvents":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryUpdateEvents,
    "MaxNodesPerRegisterNodes": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRegisterNodes,
    "MaxNodesPerTranslateBrowsePathsToNodeIds":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
    "MaxNodesPerNodeManagement": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerNodeManagement,
}
# Simulator-only limits: references per node before a Browse answers with a continuation point
# (0 = all at once, as asyncua does), and continuation points a session may hold.
# MaxNotificationsPerPublish: notifications in one Publish answer (the client may ask for fewer).
EXTRA_LIMITS: dict[str, int] = {"MaxReferencesPerNode": 0, "MaxBrowseContinuationPoints": 10,
                                "MaxNotificationsPerPublish": 1000}
OVERFLOW_BITS = 0x480  # StatusCode InfoType DataValue + Overflow (OPC UA Part 4, 7.39)

_SERVICE_NAMES: dict[ua.NodeId, str] = {
    ua.NodeId(getattr(ua.ObjectIds, name)): name.removesuffix("Request_Encoding_DefaultBinary")
    for name in dir(ua.ObjectIds)
    if name.endswith("Request_Encoding_DefaultBinary")
}
_BROWSE_NEXT = ua.NodeId(ua.ObjectIds.BrowseNextRequest_Encoding_DefaultBinary)


class SimSession(InternalSession):
    """A client session: enforces operation limits and ranges, counts operations, adds BrowseNext."""

    sim: Simulation

    def __init__(self, sim: Simulation, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sim = sim
        self._continuations: dict[bytes, tuple[list[ua.ReferenceDescription], int]] = {}

    def is_closed(self) -> bool:
        return self.state == SessionState.Closed

    def _limit(self, service: str, limit: str, count: int) -> None:
        self.sim.operations[service] += count
        maximum = self.sim.limits.get(limit, 0)
        if maximum and count > maximum:
            self.sim.rejections[service] += 1
            _log.info("Simulator refused %s of %d operations (%s = %d)", service, count, limit, maximum)
            raise ServiceError(ua.StatusCodes.BadTooManyOperations)

    def activate_session(self, params: ua.ActivateSessionParameters, peer_certificate: bytes | None
                         ) -> ua.ActivateSessionResult:
        token = params.UserIdentityToken
        if isinstance(token, ua.ExtensionObject):
            token = ua.AnonymousIdentityToken()
        self.sim.current_token = token  # read by UserManager.get_user, called synchronously below
        try:
            return super().activate_session(params, peer_certificate)
        finally:
            self.sim.current_token = None

    async def read(self, params: ua.ReadParameters) -> list[ua.DataValue]:
        self._limit("Read", "MaxNodesPerRead", len(params.NodesToRead))
        return await super().read(params)

    async def write(self, params: ua.WriteParameters) -> list[ua.StatusCode]:
        self._limit("Write", "MaxNodesPerWrite", len(params.NodesToWrite))
        results: list[ua.StatusCode | None] = [None] * len(params.NodesToWrite)
        accepted = ua.WriteParameters()
        positions = []
        for i, item in enumerate(params.NodesToWrite):
            status = self.sim.check_write(item)
            if status is None:
                accepted.NodesToWrite.append(item)
                positions.append(i)
            else:
                results[i] = ua.StatusCode(status)
        if accepted.NodesToWrite:
            for i, status in zip(positions, await super().write(accepted), strict=True):
                results[i] = status
        return [status or ua.StatusCode() for status in results]

    async def browse(self, params: ua.BrowseParameters) -> list[ua.BrowseResult]:
        self._limit("Browse", "MaxNodesPerBrowse", len(params.NodesToBrowse))
        results = await super().browse(params)
        caps = [x for x in (self.sim.limits.get("MaxReferencesPerNode", 0), params.RequestedMaxReferencesPerNode) if x]
        if caps:
            per_node = min(caps)
            for result in results:
                if len(result.References) > per_node:
                    self._park(result, result.References, per_node)
        return results

    def _park(self, result: ua.BrowseResult, references: list[ua.ReferenceDescription], per_node: int) -> None:
        if len(self._continuations) >= max(self.sim.limits.get("MaxBrowseContinuationPoints", 0), 1):
            result.StatusCode = ua.StatusCode(ua.StatusCodes.BadNoContinuationPoints)
            result.References = []
            return
        point = os.urandom(12)
        self._continuations[point] = (references[per_node:], per_node)
        result.References = references[:per_node]
        result.ContinuationPoint = point

    async def browse_next(self, parameters: ua.BrowseNextParameters) -> list[ua.BrowseResult]:
        self._limit("BrowseNext", "MaxNodesPerBrowse", len(parameters.ContinuationPoints))
        results = []
        for point in parameters.ContinuationPoints:
            result = ua.BrowseResult()
            parked = self._continuations.pop(point or b"", None)
            if parked is None:
                result.StatusCode = ua.StatusCode(ua.StatusCodes.BadContinuationPointInvalid)
            elif not parameters.ReleaseContinuationPoints:
                references, per_node = parked
                result.References = references
                if len(references) > per_node:
                    self._park(result, references, per_node)
            results.append(result)
        return results

    async def translate_browsepaths_to_nodeids(self, params: list[ua.BrowsePath]) -> list[ua.BrowsePathResult]:
        self._limit("TranslateBrowsePathsToNodeIds", "MaxNodesPerTranslateBrowsePathsToNodeIds", len(params))
        return await super().translate_browsepaths_to_nodeids(params)

    async def call(self, params: list[ua.CallMethodRequest]) -> list[ua.CallMethodResult]:
        self._limit("Call", "MaxNodesPerMethodCall", len(params))
        return await super().call(params)

    async def create_monitored_items(self, params: ua.CreateMonitoredItemsParameters
                                     ) -> list[ua.MonitoredItemCreateResult]:
        self._limit("CreateMonitoredItems", "MaxMonitoredItemsPerCall", len(params.ItemsToCreate))
        return await super().create_monitored_items(params)

    async def modify_monitored_items(self, params: ua.ModifyMonitoredItemsParameters
                                     ) -> list[ua.MonitoredItemModifyResult]:
        self._limit("ModifyMonitoredItems", "MaxMonitoredItemsPerCall", len(params.ItemsToModify))
        return await super().modify_monitored_items(params)

    async def delete_monitored_items(self, params: ua.DeleteMonitoredItemsParameters) -> list[ua.StatusCode]:
        self._limit("DeleteMonitoredItems", "MaxMonitoredItemsPerCall", len(params.MonitoredItemIds))
        return await super().delete_monitored_items(params)

    async def set_monitoring_mode(self, params: ua.SetMonitoringModeParameters) -> list[ua.StatusCode]:
        self._limit("SetMonitoringMode", "MaxMonitoredItemsPerCall", len(params.MonitoredItemIds))
        return await super().set_monitoring_mode(params)

    async def history_read(self, params: ua.HistoryReadParameters) -> list[ua.HistoryReadResult]:
        details = params.HistoryReadDetails
        events = isinstance(details, ua.ReadEventDetails)
        limit = "MaxNodesPerHistoryReadEvents" if events else "MaxNodesPerHistoryReadData"
        self._limit("HistoryRead", limit, len(params.NodesToRead))
        if events:
            return await super().history_read(params)
        results: list[ua.HistoryReadResult | None] = [None] * len(params.NodesToRead)
        raw = ua.HistoryReadParameters(HistoryReadDetails=details, TimestampsToReturn=params.TimestampsToReturn,
                                       ReleaseContinuationPoints=params.ReleaseContinuationPoints)
        positions = []
        for i, item in enumerate(params.NodesToRead):
            if item.NodeId not in self.sim.historized:
                results[i] = ua.HistoryReadResult(
                    StatusCode=ua.StatusCode(ua.StatusCodes.BadHistoryOperationUnsupported))
            elif isinstance(details, ua.ReadProcessedDetails):
                results[i] = await read_processed(self.iserver, self.sim.history_count, details, i, item)
            else:
                raw.NodesToRead.append(item)
                positions.append(i)
        if raw.NodesToRead:
            for i, result in zip(positions, await super().history_read(raw), strict=True):
                results[i] = result
        return [r or ua.HistoryReadResult() for r in results]


class SimSubscription(InternalSubscription):
    """A subscription that answers like a PLC: bounded answers, overflow bits (see the module docstring)."""

    def __init__(self, sim: Simulation, max_notifications: int, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sim = sim
        self.max_notifications = max_notifications

    def _pending(self) -> bool:
        return bool(self._triggered_datachanges or self._triggered_events)

    async def publish_results(self, requestdata: Any = None) -> bool:
        if self.sim.publishing_paused:
            return False
        sent = await super().publish_results(requestdata)
        # More than one answer's worth queued: use further queued Publish requests at once
        # instead of waiting a publishing interval per answer. The result says whether
        # ``requestdata`` was used: the processor queues it again otherwise.
        more = sent
        while more and self._pending() and self.pub_request_callback is not None:
            more = await super().publish_results()
        return sent

    def _pop_triggered_datachanges(self, result: ua.PublishResult) -> None:
        if not self._triggered_datachanges:
            return
        budget = self.max_notifications or 1 << 62
        taken: list[ua.MonitoredItemNotification] = []
        for mid in list(self._triggered_datachanges):
            queue = self._triggered_datachanges[mid]
            room = budget - len(taken)
            if room <= 0:
                break
            taken.extend(queue[:room])
            del queue[:room]
            if not queue:
                del self._triggered_datachanges[mid]
        notification = ua.DataChangeNotification()
        notification.MonitoredItems = taken
        result.NotificationMessage.NotificationData.append(notification)
        self.sim.operations["PublishNotifications"] += len(taken)
        self.sim.largest_publish = max(self.sim.largest_publish, len(taken))

    def _pop_publish_result(self) -> ua.PublishResult:
        result = super()._pop_publish_result()
        result.MoreNotifications = self._pending()
        return result

    async def _enqueue_event(self, mid: int, eventdata: Any, size: int, queue: dict[int, list[Any]]) -> None:
        items = queue.get(mid)
        overflow = queue is self._triggered_datachanges and size > 1 and items is not None and len(items) >= size
        await super()._enqueue_event(mid, eventdata, size, queue)
        if overflow:  # the oldest was discarded: the value now oldest in the queue says so (Part 4, 5.12.1.5)
            first = queue[mid][0]
            dv = first.Value
            code = ua.StatusCode(dv.StatusCode.value | OVERFLOW_BITS if dv.StatusCode else OVERFLOW_BITS)
            queue[mid][0] = dataclasses.replace(first, Value=dataclasses.replace(dv, StatusCode=code))
            self.sim.operations["Overflows"] += 1


class SimSubscriptionService(SubscriptionService):
    """Makes :class:`SimSubscription` s (mirrors asyncua 2.1 ``create_subscription``)."""

    def __init__(self, sim: Simulation, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sim = sim

    async def create_subscription(self, params: ua.CreateSubscriptionParameters, callback: Any,
                                  session_id: ua.NodeId, request_callback: Any = None) -> ua.CreateSubscriptionResult:
        iserver = self.iserver
        if iserver is not None and len(self.subscriptions) >= iserver.max_subscriptions:
            raise ServiceError(ua.StatusCodes.BadTooManySubscriptions)
        result = ua.CreateSubscriptionResult()
        result.RevisedPublishingInterval = params.RequestedPublishingInterval
        result.RevisedLifetimeCount = self._clamp_lifetime_count(params.RequestedLifetimeCount)
        result.RevisedMaxKeepAliveCount = self._clamp_keep_alive_count(params.RequestedMaxKeepAliveCount)
        self._sub_id_counter += 1
        result.SubscriptionId = self._sub_id_counter
        limits = [x for x in (self.sim.limits.get("MaxNotificationsPerPublish", 0),
                              params.MaxNotificationsPerPublish) if x]
        sub = SimSubscription(
            self.sim, min(limits, default=0), result, self.aspace, callback, session_id,
            request_callback=request_callback,
            delete_callback=lambda: self.subscriptions.pop(result.SubscriptionId, None),
            no_acks_limit=iserver.max_unacked_messages_per_subscription if iserver else 5000,
            max_queue_size=iserver.max_monitored_item_queue_size if iserver else 10_000,
            publishing_enabled=params.PublishingEnabled,
        )
        await sub.start()
        self.subscriptions[result.SubscriptionId] = sub
        return result


class SimInternalServer(InternalServer):
    def __init__(self, sim: Simulation, **kwargs: Any):
        super().__init__(**kwargs)
        self._sim = sim
        self.client_sessions: list[SimSession] = []
        # before init(): event generators and the internal session must see the same service
        self.subscription_service = SimSubscriptionService(sim, self.aspace, iserver=self)
        self.isession.subscription_service = self.subscription_service

    def create_session(self, name: str, user: User | None = None, external: bool = False) -> InternalSession:
        session = SimSession(self._sim, self, self.aspace, self.subscription_service, name,
                             user=user or User(role=UserRole.Anonymous), external=external)
        self.client_sessions = [s for s in self.client_sessions if not s.is_closed()] + [session]
        return session


class SimProcessor(UaProcessor):
    """Counts every request per service and answers BrowseNext (asyncua's processor refuses it)."""

    def __init__(self, sim: Simulation, *args: Any):
        super().__init__(*args)
        self._sim = sim

    async def _process_message(self, typeid: ua.NodeId, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        self._sim.requests[_SERVICE_NAMES.get(typeid, str(typeid))] += 1
        if typeid != _BROWSE_NEXT:
            return await super()._process_message(typeid, requesthdr, seqhdr, body)
        if self.session is None:
            raise ServiceError(ua.StatusCodes.BadSessionIdInvalid)
        if not self.session.is_activated():
            raise ServiceError(ua.StatusCodes.BadSessionNotActivated)
        self.session_last_activity = time.monotonic()
        self.session.touch()
        params = struct_from_binary(ua.BrowseNextParameters, body)
        response = ua.BrowseNextResponse()
        response.Parameters.Results = await self.session.browse_next(params)
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True


class SimProtocol(OPCUAProtocol):
    """One client connection: our processor, and registered with the binary server for its shutdown."""

    def __init__(self, sim: Simulation, bserver: SimBinaryServer, **kwargs: Any):
        super().__init__(**kwargs)
        self._sim = sim
        self._bserver = bserver
        self._connection: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._connection = transport
        if not self._bserver.connection_opened(transport):
            return  # accepted while the server stops: already closed, no processor, no tasks
        super().connection_made(transport)
        if self.processor is not None:  # None: refused (too many connections)
            processor = SimProcessor(self._sim, self.iserver, self.transport, self.limits)
            processor.set_policies(self.policies)
            self.processor = processor

    def connection_lost(self, ex: BaseException | None) -> None:
        super().connection_lost(ex)
        if self._connection is not None:
            self._bserver.connection_closed(self._connection)


class SimBinaryServer(BinaryServer):
    """The listening socket: makes our protocols, and stops without hanging.

    asyncua 2.1 stops by closing the client connections first and the listening socket last: a client
    that reconnects in between is accepted, and on Python 3.11.7 ``wait_closed()`` then waits for that
    connection forever (restart() and stop() hung). Here the listening socket closes first, then the
    connections; one accepted just before (asyncio still calls its connection_made) is closed as soon as
    it is made; the wait is bounded by :data:`SHUTDOWN_TIMEOUT`.
    """

    def __init__(self, sim: Simulation, *args: Any):
        super().__init__(*args)
        self._sim = sim
        self._stopping = False
        self._connections: set[asyncio.BaseTransport] = set()
        self._all_closed = asyncio.Event()

    def _make_protocol(self) -> OPCUAProtocol:
        return SimProtocol(self._sim, self, iserver=self.iserver, policies=self._policies, clients=self.clients,
                           closing_tasks=self.closing_tasks, limits=self.limits)

    def connection_opened(self, transport: asyncio.BaseTransport) -> bool:
        """Track a new connection; once stopping, close it instead and answer False."""
        if self._stopping:
            transport.close()
            return False
        self._connections.add(transport)
        return True

    def connection_closed(self, transport: asyncio.BaseTransport) -> None:
        self._connections.discard(transport)
        if self._stopping and not self._connections:
            self._all_closed.set()

    async def stop(self) -> None:
        self.logger.info("Closing asyncio socket server")
        self._stopping = True
        if self._server is not None:
            self._server.close()  # first: no connection can arrive while the others close
        if self._connections:
            for transport in list(self._connections):
                transport.close()
        else:
            self._all_closed.set()
        if self.cleanup_task is not None:
            self.cleanup_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.cleanup_task
        try:
            async with asyncio.timeout(SHUTDOWN_TIMEOUT):
                await self._all_closed.wait()
                await self._close_tasks()  # the processors' cleanup, started by connection_lost
                if self._server is not None:
                    await self._server.wait_closed()
        except TimeoutError:
            # A last resort: a transport that cannot flush (a client that stopped reading) must not hang stop().
            _log.warning("Simulator: %d client connection(s) still open %g s after stop; aborting them",
                         len(self._connections), SHUTDOWN_TIMEOUT)
            for transport in list(self._connections):
                transport.abort()
            await asyncio.sleep(0)  # let connection_lost run


class SimServer(Server):
    def __init__(self, sim: Simulation, iserver: InternalServer):
        super().__init__(iserver=iserver)
        self._sim = sim

    async def start(self) -> None:
        # Mirrors asyncua 2.1 Server.start(), with our binary server (request counting, BrowseNext, stop).
        await self._setup_server_nodes()
        await self.iserver.start()
        try:
            host, port = self._get_bind_socket_info()
            self.bserver = SimBinaryServer(self._sim, self.iserver, host, port, self.limits)
            self.bserver.set_policies(self._policies)
            await self.bserver.start()
        except Exception:
            await self.iserver.stop()
            raise
