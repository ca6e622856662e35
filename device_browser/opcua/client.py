"""OPC UA client session (asyncua 2.1) behind Millwright's :class:`~device_browser.session.DeviceSession`.

:class:`OpcUaSession` is the facade: it owns the connection (security, trust on first use,
user identity, status, loss detection), sends every request through :meth:`OpcUaSession.request`
(counted per service in ``request_count`` for benchmarks and tests, failures turned into
:class:`OpcUaError` messages a plant engineer can act on), maps NodeIds to portable tags, and
keeps the per-connection caches. The services live in companion modules:

* ``ua_requests`` — chunking by the server's OperationLimits (asyncua neither reads them nor
  splits requests), Browse with continuation points, TranslateBrowsePaths;
* ``ua_browse`` — one level of the address space for the tag list, lean for large folders;
* ``ua_facts`` / ``ua_types`` — what a write needs to know about a variable and its data type;
* ``ua_io`` — Read with per-item quality, checked Writes, method Calls; ``ua_history`` — history;
* ``ua_errors`` / ``ua_values`` / ``ua_discovery`` — plain-words errors, value conversions,
  endpoints and security names.

Once connected, the session reconnects by itself (:mod:`~device_browser.opcua.ua_supervisor`,
reusing the server session when it can) and its subscriptions (:meth:`OpcUaSession.subscribe`,
:mod:`~device_browser.opcua.subscriptions`) survive the outage with one gap marker per tag.
Tags are NodeIds (``nsu=…;s=…``) or the point names of ``aliases``. Session timeout 60 s
instead of asyncua's one hour; ``close()`` always ends the session. The server certificate is
checked against our trust store before anything is sent on a secured channel; with security
None a password travels in clear text and we say so.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from asyncua import Client, ua
from asyncua.ua import uaerrors
from psygnal import Signal

from device_browser.backoff import Backoff
from device_browser.opcua import ua_browse, ua_history, ua_io
from device_browser.opcua.security import (
    ApplicationCertificate,
    Decide,
    TrustStore,
    default_pki_dir,
    workbench_application_uri,
)
from device_browser.opcua.subscriptions import LiveSubscriptions
from device_browser.opcua.ua_connect import new_client, read_server_facts
from device_browser.opcua.ua_discovery import MODES, POLICIES, Endpoint, discover
from device_browser.opcua.ua_errors import OpcUaError, describe_error
from device_browser.opcua.ua_facts import NodeFacts, node_facts
from device_browser.opcua.ua_monitored import DataSubscription
from device_browser.opcua.ua_requests import DEFAULT_CAP, OperationLimits
from device_browser.opcua.ua_supervisor import Supervisor, reactivate
from device_browser.opcua.ua_types import DataTypes
from device_browser.opcua.ua_values import coerce_value, quality_of, sample_of, to_ns
from device_browser.session import (
    BrowseItem,
    ConnectionState,
    ConnectionStatus,
    DeviceError,
    Sample,
    SessionCounters,
)

# Names other modules import from here since before the split into ua_* modules.
__all__ = [
    "DEFAULT_CAP",
    "MODES",
    "POLICIES",
    "SESSION_TIMEOUT_S",
    "Endpoint",
    "NodeFacts",
    "OpcUaError",
    "OpcUaSession",
    "OperationLimits",
    "coerce_value",
    "describe_error",
    "discover",
    "quality_of",
    "sample_of",
    "to_ns",
]

if TYPE_CHECKING:
    from device_browser.bus import LiveBus

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

SESSION_TIMEOUT_S = 60.0
_TAG_CACHE_SIZE = 200_000  # tag -> NodeId entries kept; parsing a tag costs more than the lookup


class OpcUaSession:
    """A client session with one OPC UA server, implementing :class:`DeviceSession`.

    Parameters
    ----------
    url
        ``opc.tcp://host:port/path``.
    policy, mode
        Security policy short name ("None", "Basic256Sha256", …) and mode ("None", "Sign",
        "SignAndEncrypt"), as :func:`discover` lists them.
    user, password
        User name identity; without a password it is taken from the keyring.
    user_certificate, user_private_key
        X.509 user identity (files, PEM or DER).
    pki_dir
        Folder of our application certificate and the trust store (default: the user data folder).
    decide
        ``async decide(CertInfo) -> bool``: asked once per unknown server certificate (trust on
        first use). Without it an unknown certificate is refused.
    timeout
        Seconds to wait for the host and for each answer.
    max_nodes_per_read
        Lower the server's read limit (tests, servers that state none but choke).
    max_references_per_node
        References asked per node in one Browse (the rest comes through BrowseNext); 0 = the
        server decides.
    aliases
        Point name -> NodeId text (a profile's points): such names work wherever a tag does, and
        samples come back under the name the caller used.
    keepalive_interval
        Seconds between keep-alives asked of the server; silence for about twice that (and no
        answer to a ServerStatus read) counts as a lost connection.
    reconnect
        Reconnect by itself after a loss (the contract; False only for one-shot tools).
    give_up_after, give_up_seconds
        Reconnect attempts (or seconds of trying) after which the status becomes FAILED; None: never.
    backoff
        Waits between attempts (default: 0.25 s doubling to 3 s, with jitter).
    """

    status_changed = Signal(ConnectionStatus)
    connection_lost = Signal(str)  # the connection died (reason); emitted before reconnecting

    def __init__(
        self,
        url: str,
        *,
        policy: str = "None",
        mode: str = "None",
        user: str | None = None,
        password: str | None = None,
        user_certificate: Path | None = None,
        user_private_key: Path | None = None,
        pki_dir: Path | None = None,
        decide: Decide | None = None,
        timeout: float = 5.0,
        session_timeout: float = SESSION_TIMEOUT_S,
        max_nodes_per_read: int | None = None,
        max_references_per_node: int = 0,
        limits_override: dict[str, int] | None = None,
        aliases: dict[str, str] | None = None,
        keepalive_interval: float = 2.0,
        reconnect: bool = True,
        give_up_after: int | None = None,
        give_up_seconds: float | None = None,
        backoff: Backoff | None = None,
    ):
        if policy not in POLICIES:
            raise DeviceError(f"Unknown security policy {policy!r}; known: {', '.join(POLICIES)}")
        if mode not in MODES:
            raise DeviceError(f"Unknown security mode {mode!r}; known: {', '.join(MODES)}")
        if (policy == "None") != (mode == "None"):
            raise DeviceError("Security policy None goes with mode None, and a policy with Sign or SignAndEncrypt")
        self.url = url
        self.policy, self.mode = policy, mode
        self.user, self._password = user, password
        self.user_certificate, self.user_private_key = user_certificate, user_private_key
        self.pki_dir = Path(pki_dir) if pki_dir else default_pki_dir()
        self.trust_store = TrustStore(self.pki_dir)
        self.decide = decide
        self.timeout = timeout
        self.session_timeout = session_timeout
        self.max_references_per_node = max_references_per_node
        self._override = dict(limits_override or {})
        if max_nodes_per_read:
            self._override["read"] = max_nodes_per_read
        self.limits = OperationLimits()
        self.request_count: collections.Counter[str] = collections.Counter()  # per service
        self.counters = SessionCounters()
        self.aliases: dict[str, str] = dict(aliases or {})
        self.keepalive_interval = keepalive_interval
        self.reconnect = reconnect
        self.supervisor = Supervisor(self, keepalive_interval=keepalive_interval, backoff=backoff,
                                     give_up_after=give_up_after, give_up_seconds=give_up_seconds)
        self.live: LiveSubscriptions | None = None  # made by the first subscribe()
        self.warnings: list[str] = []
        self.server_certificate = None  # CertInfo of the server, secured connections only
        self.own_certificate: ApplicationCertificate | None = None
        self._client: Client | None = None
        self._spare: Client | None = None  # the lost connection's client, kept to reuse its server session
        self._status = ConnectionStatus()
        self._ns_uris: list[str] = []
        self._ns_index: dict[str, int] = {}
        # caches of the connection for the ua_* modules, emptied when the namespace table changes
        self.facts: dict[ua.NodeId, NodeFacts] = {}  # ua_facts
        self.types = DataTypes()  # ua_types
        self.methods: dict[tuple[ua.NodeId, str], ua.NodeId] = {}  # ua_io: (object, name) -> method
        self.arguments: dict[ua.NodeId, list[ua.Argument]] = {}  # ua_io: method -> InputArguments
        self.reference_kinds: dict[ua.NodeId, bool] = {}  # ua_browse: reference type -> hierarchical
        self._tag_ids: dict[str, ua.NodeId] = {}
        if logging.getLogger("asyncua").level == logging.NOTSET:
            logging.getLogger("asyncua").setLevel(logging.WARNING)  # INFO logs every publish

    # -- status ---------------------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    def set_status(self, state: ConnectionState, attempt: int = 0, reason: str = "") -> None:
        new = ConnectionStatus(state, attempt, reason)
        if new != self._status:
            self._status = new
            self.status_changed.emit(new)

    @property
    def connected(self) -> bool:
        """A connection is up (also briefly while the supervisor restores subscriptions)."""
        return self._client is not None

    @property
    def client(self) -> Client | None:
        """asyncua's client of the live connection, if any."""
        return self._client

    @property
    def application_uri(self) -> str:
        """The application URI we announce (on secured connections the one inside our certificate)."""
        return self._client.application_uri if self._client is not None else workbench_application_uri()

    @property
    def uaclient(self):
        """asyncua's low-level client of the live connection (for subscriptions.py)."""
        if self._client is None:
            raise DeviceError(f"Not connected to {self.url}")
        return self._client.uaclient

    # -- connecting -----------------------------------------------------------------------------

    @staticmethod
    async def discover(url: str, timeout: float = 5.0) -> list[Endpoint]:
        return await discover(url, timeout)

    async def __aenter__(self) -> OpcUaSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Connect, or raise :class:`DeviceError` saying why; from then on the session reconnects by itself."""
        self.set_status(ConnectionState.CONNECTING)
        try:
            await self.open()
        except DeviceError as exc:
            self.set_status(ConnectionState.FAILED, reason=str(exc))
            raise
        self.set_status(ConnectionState.CONNECTED)
        if self.reconnect:
            self.supervisor.start()

    async def open(self) -> None:
        """Open a fresh connection and session (used by connect and by the reconnect supervisor).

        Raises :class:`DeviceError`; sets no status (the caller decides what the attempt means).
        """
        await self._drop()
        client = await new_client(self)
        self._attach(client)
        try:
            await read_server_facts(self)
        except DeviceError:
            await self._drop()
            raise

    def _attach(self, client: Client) -> None:
        self._client = client
        if self.reconnect:
            self.supervisor.watch(client)

    async def reopen(self) -> bool:
        """Connect again after a loss: reuse the server session if it still exists (True), else a new one.

        Raises :class:`DeviceError`; sets no status (the supervisor does)."""
        spare = self._spare
        if spare is not None:
            if await reactivate(self, spare):
                self._spare = None
                self._attach(spare)
                return True
            self._spare = None  # the server forgot it: nothing left to end there
            spare.disconnect_socket()
        await self.open()
        return False

    def detach(self) -> None:
        """The connection is lost: requests fail at once; its client is kept to reuse the server session."""
        client, self._client = self._client, None
        if client is not None:
            if self._spare is not None and self._spare is not client:
                self._spare.disconnect_socket()
            self._spare = client
            client.disconnect_socket()

    async def drop_current(self) -> None:
        """A reconnect attempt failed half-way: keep its client for the next attempt to reuse."""
        self.detach()

    async def drop_all(self) -> None:
        """Give up the connection and any server session kept for reuse (try to end it politely)."""
        spare, self._spare = self._spare, None
        await self._drop()
        if spare is not None:
            spare.disconnect_socket()

    def lost(self, reason: str) -> None:
        """The connection died: the supervisor reconnects (without one, the status says so)."""
        if self.reconnect:
            self.supervisor.lost(reason)
        elif self._status.state == ConnectionState.CONNECTED:
            self.connection_lost.emit(reason)
            self.set_status(ConnectionState.DISCONNECTED, reason=reason)

    def _forget(self) -> None:
        """Empty the caches of the connection: what they hold is keyed by namespace indexes."""
        self.facts.clear()
        self.types.clear()
        self.methods.clear()
        self.arguments.clear()
        self.reference_kinds.clear()
        self._tag_ids.clear()

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await asyncio.wait_for(client.disconnect(), min(self.timeout, 2.0))
        except Exception as exc:  # noqa: BLE001 - a dead connection cannot be closed politely
            _log.debug("disconnect from %s: %r", self.url, exc)
        finally:
            client.disconnect_socket()

    async def close(self) -> None:
        """Stop reconnecting, delete our subscriptions, end the session (always: a forgotten
        session blocks small PLCs) and the connection. Safe to call again."""
        await self.supervisor.stop()
        live, self.live = self.live, None
        if live is not None:
            await live.close()
        await self.drop_all()
        self.set_status(ConnectionState.DISCONNECTED)

    # -- requests ---------------------------------------------------------------------------------

    async def request(self, service: str, call: Callable[[], Awaitable[_T]]) -> _T:
        """Send one service request: counted, and failures said in plain words."""
        client = self._client
        if client is None:
            raise self._not_connected()
        self.request_count[service] += 1
        self.counters.requests += 1
        try:
            return await call()
        except Exception as exc:
            self.counters.errors += 1
            error = describe_error(exc, self.url, service, timeout=self.timeout, user=self.user)
            if isinstance(exc, ConnectionError) and self._client is client:
                self.lost(str(error))
            raise error from exc

    def _not_connected(self) -> DeviceError:
        status = self._status
        if status.state == ConnectionState.RECONNECTING:
            return DeviceError(f"{self.url} is reconnecting (attempt {status.attempt}; {status.reason}); "
                               "try again when it is connected")
        if status.state == ConnectionState.FAILED:
            return DeviceError(f"The connection to {self.url} failed: {status.reason}")
        return DeviceError(f"Not connected to {self.url}")

    def count(self, service: str) -> None:
        """Count a request sent by a companion module (Publish)."""
        self.request_count[service] += 1
        self.counters.requests += 1

    # -- subscriptions ---------------------------------------------------------------------------

    async def subscribe(
        self,
        tags: Sequence[str],
        interval_ms: float,
        bus: LiveBus,
        *,
        deadband: float = 0.0,
        queue_size: int = 1,
        sampling_interval_ms: float | None = None,
    ) -> DataSubscription:
        """Samples of ``tags`` into ``bus`` every ``interval_ms`` until the subscription is closed.

        One server subscription, its items created in chunks of MaxMonitoredItemsPerCall.
        ``deadband`` is absolute (in the tag's unit). Tags the server refuses are listed in the
        subscription's ``failed`` (and logged); if it refuses all of them, :class:`DeviceError`.
        Read ``subscription.stats`` for updates, gaps, overflows, newest value age and staleness.
        """
        if self.live is None:
            self.live = LiveSubscriptions(self, keepalive_interval=self.keepalive_interval)
        sub = await self.live.create_subscription(interval_ms, bus=bus)
        tags = list(tags)
        result = await sub.add(tags, sampling_interval_ms=sampling_interval_ms, queue_size=queue_size,
                               deadband=deadband, deadband_type="absolute" if deadband else "none")
        if tags and not result.added:
            await sub.delete()
            reasons = "; ".join(f"{t}: {r}" for t, r in list(result.failed.items())[:5])
            raise DeviceError(f"{self.url} refused all {len(tags)} tags of the subscription ({reasons})")
        return sub

    # -- tags and NodeIds ------------------------------------------------------------------------

    @property
    def namespace_count(self) -> int:
        """Entries in the server's namespace table (read at connect)."""
        return len(self._ns_uris)

    def to_nodeid(self, tag: str) -> ua.NodeId:
        """A point name of ``aliases``, or ``nsu=<uri>;s=…`` (``ns=2;s=…``, ``i=85``), as a NodeId
        of this server's numbering (cached: a point name costs what a NodeId costs)."""
        nid = self._tag_ids.get(tag)
        if nid is None:
            nid = self._parse_tag(self.aliases.get(tag, tag), tag)
            self._remember(tag, nid)
        return nid

    def _parse_tag(self, address: str, tag: str) -> ua.NodeId:
        try:
            nid = ua.NodeId.from_string(address)
        except (uaerrors.UaStringParsingError, ValueError) as exc:
            if self.aliases and address == tag:
                raise DeviceError(f"{tag!r} is neither a point of this device's profile nor an OPC UA node id "
                                  "(e.g. nsu=urn:plant;s=Pump.Speed)") from exc
            what = f"point {tag!r} has the address {address!r}, which" if address != tag else repr(tag)
            raise DeviceError(f"{what} is not an OPC UA node id (e.g. nsu=urn:plant;s=Pump.Speed)") from exc
        if isinstance(nid, ua.ExpandedNodeId) and nid.NamespaceUri:
            index = self._ns_index.get(nid.NamespaceUri)
            if index is None:
                raise DeviceError(f"{self.url} has no namespace {nid.NamespaceUri!r} (tag {tag})")
            return ua.NodeId(nid.Identifier, index, nid.NodeIdType)
        return ua.NodeId(nid.Identifier, nid.NamespaceIndex, nid.NodeIdType)

    def _remember(self, tag: str, nid: ua.NodeId) -> None:
        # Tags come back to us as they were handed out (browse, then read or subscribe): keep
        # the NodeId instead of parsing the tag again, within a bound against unlimited growth.
        if len(self._tag_ids) >= _TAG_CACHE_SIZE:
            self._tag_ids.clear()
        self._tag_ids[tag] = nid

    def to_tag(self, nid: ua.NodeId) -> str:
        """The portable form of a NodeId: namespace URI instead of index (``nsu=…;s=…``)."""
        uri = getattr(nid, "NamespaceUri", None)
        plain = nid if type(nid) is ua.NodeId else ua.NodeId(nid.Identifier, nid.NamespaceIndex, nid.NodeIdType)
        text = plain.to_string()
        if nid.NamespaceIndex == 0 and not uri:
            tag = text
        elif uri is None and nid.NamespaceIndex < len(self._ns_uris):
            tag = f"nsu={self._ns_uris[nid.NamespaceIndex]};{text.split(';', 1)[1]}"
        elif uri is None:
            return text
        else:
            return f"nsu={uri};{text.split(';', 1)[1] if text.startswith('ns=') else text}"
        self._remember(tag, plain)  # a NodeId of our numbering: the tag will come back (read, subscribe)
        return tag

    def local(self, nid: ua.NodeId) -> ua.NodeId:
        """A reference's (Expanded)NodeId as a plain NodeId of this server's numbering."""
        uri = getattr(nid, "NamespaceUri", None)
        index = self._ns_index.get(uri, nid.NamespaceIndex) if uri else nid.NamespaceIndex
        return ua.NodeId(nid.Identifier, index, nid.NodeIdType)

    # -- the services (in the ua_* modules) ------------------------------------------------------

    async def browse(self, tag: str | None = None, *, details: bool | None = None) -> list[BrowseItem]:
        """The children of ``tag`` (the Objects folder if None), one level, with type, access and unit.

        Levels of more than ``ua_browse.DETAILED_LEVEL_MAX`` children are browsed lean (no
        Descriptions; EU facts only where the variable's type declares them) unless ``details``
        is True; see :mod:`device_browser.opcua.ua_browse` for the requests."""
        return await ua_browse.browse_level(self, tag, details)

    async def translate(self, paths: Sequence[str], start: str | None = None) -> list[str | None]:
        """Tags of browse paths like ``"2:PumpStation/2:Flow"`` below ``start``; None where nothing matches."""
        return await ua_browse.translate(self, paths, start)

    async def node_facts(self, tags: Sequence[str], *, properties: bool = False) -> list[NodeFacts]:
        """Type, access (and with ``properties`` EURange and unit) of variables, cached per session."""
        return await node_facts(self, tags, properties=properties)

    async def read(self, tags: list[str]) -> list[Sample]:
        """Current values with per-item quality; chunked by MaxNodesPerRead."""
        return await ua_io.read(self, tags)

    async def write(self, tag: str, value: Any) -> None:
        """Write one value as the node's own data type; :class:`WriteRefused` if it does not fit."""
        await ua_io.write_many(self, {tag: value})

    async def write_many(self, values: dict[str, Any]) -> None:
        """Write several values (chunked by MaxNodesPerWrite). All are checked before any is sent."""
        await ua_io.write_many(self, values)

    async def call(self, object_tag: str, method: str, args: Sequence[Any] = ()) -> list[Any]:
        """Call ``method`` (a tag or the browse name of a method of ``object_tag``) with arguments
        converted to the types its InputArguments declare; returns the output values."""
        (result,) = await ua_io.call_many(self, [(object_tag, method, args)])
        return result

    async def call_many(self, calls: Sequence[tuple[str, str, Sequence[Any]]]) -> list[list[Any]]:
        """Several method calls, chunked by MaxNodesPerMethodCall. Arguments are checked before sending."""
        return await ua_io.call_many(self, calls)

    async def history_read_raw(
        self, tag: str, start: ua_history.Instant, end: ua_history.Instant, max_values: int = 0
    ) -> list[Sample]:
        """Stored values of ``tag`` between ``start`` and ``end`` (datetimes, or ns since the epoch)."""
        (values,) = (await ua_history.read_raw_many(self, [tag], start, end, max_values)).values()
        return values

    async def history_read_raw_many(
        self, tags: Sequence[str], start: ua_history.Instant, end: ua_history.Instant, max_values: int = 0
    ) -> dict[str, list[Sample]]:
        return await ua_history.read_raw_many(self, tags, start, end, max_values)

    async def history_read_processed(
        self,
        tag: str,
        start: ua_history.Instant,
        end: ua_history.Instant,
        interval: float,
        *,
        client_fallback: bool = True,
    ) -> list[Sample]:
        """Averages of ``tag`` over intervals of ``interval`` seconds.

        Asks the server for the Average aggregate; a server without aggregates (asyncua's own
        answers BadNotImplemented) gets the averages computed here from its raw history when
        ``client_fallback`` is set; those samples carry the status "ClientAverage".
        """
        return await ua_history.read_processed(self, tag, start, end, interval, client_fallback=client_fallback)
