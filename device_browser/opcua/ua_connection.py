"""The layer under the OPC UA services: one connection's state and the primitives every service uses.

:class:`UaConnection` is what the service modules (``ua_requests``, ``ua_browse``, ``ua_facts``,
``ua_types``, ``ua_io``, ``ua_history``, ``ua_profile``) are handed: the url and identity of the
endpoint, the server's :class:`OperationLimits` and namespace table, tags mapped to NodeIds and
back, :meth:`UaConnection.request` (counted per service, failures said in plain words), and the
per-connection caches the services fill (:class:`NodeFacts`, :class:`DataTypes`, methods, …).
It imports none of the services, so they can name it without an import cycle.

:class:`~device_browser.opcua.client.OpcUaSession` subclasses it and adds what happens around
the connection: opening it (security, trust on first use), status changes, losing and getting it
back, subscriptions, and the public facade. The life-cycle modules (``ua_connect``,
``ua_supervisor``, ``ua_publish``, ``ua_monitored``, ``subscriptions``) state what they need of
the session as a ``typing.Protocol`` each, so none of them imports ``client.py`` either.
"""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from asyncua import Client, ua
from asyncua.ua import uaerrors

from device_browser.opcua.ua_errors import describe_error
from device_browser.session import ConnectionState, ConnectionStatus, DeviceError, SessionCounters

if TYPE_CHECKING:
    from asyncua.client.ua_client import UaClient

__all__ = ["DEFAULT_CAP", "LIMIT_NODES", "SESSION_TIMEOUT_S", "DataTypes", "NodeFacts", "OperationLimits",
           "UaConnection", "builtin_type"]

_T = TypeVar("_T")

SESSION_TIMEOUT_S = 60.0
_TAG_CACHE_SIZE = 200_000  # tag -> NodeId entries kept; parsing a tag costs more than the lookup

# --- the server's OperationLimits -----------------------------------------------------------------

DEFAULT_CAP = 1000  # items per request when the server states no limit (keeps messages small)

LIMIT_NODES = {
    "read": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    "write": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    "call": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall,
    "browse": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    "translate": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
    "monitored_items": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    "history_read": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData,
    "browse_continuation_points": ua.ObjectIds.Server_ServerCapabilities_MaxBrowseContinuationPoints,
}


@dataclass
class OperationLimits:
    """The server's ``OperationLimits`` (0 = the server states no limit)."""

    read: int = 0
    write: int = 0
    call: int = 0
    browse: int = 0
    translate: int = 0
    monitored_items: int = 0
    history_read: int = 0
    browse_continuation_points: int = 0

    def per_request(self, service: str) -> int:
        """How many items to put in one request of ``service`` (never 0)."""
        limit = getattr(self, service)
        return limit if limit > 0 else DEFAULT_CAP


# --- what the caches of a connection hold (filled by ua_facts and ua_types) -----------------------


@dataclass
class NodeFacts:
    """What we learned about a variable (cached per session): type, access, range, unit."""

    data_type: ua.NodeId | None = None
    data_type_name: str = ""
    variant_type: ua.VariantType | None = None
    value_rank: int = -1
    access: str = ""  # "r", "rw", "w" or "" (unknown / not a variable)
    eu_range: tuple[float, float] | None = None
    unit: str = ""
    with_properties: bool = False  # EURange/EngineeringUnits were looked up


def builtin_type(d: ua.NodeId) -> ua.VariantType | None:
    """The built-in type a DataType NodeId stands for, if it is one (Enumeration travels as Int32)."""
    if d.NamespaceIndex != 0 or not isinstance(d.Identifier, int):
        return None
    if 1 <= d.Identifier <= 25:
        return ua.VariantType(d.Identifier)
    if d.Identifier == ua.ObjectIds.Enumeration:
        return ua.VariantType.Int32
    return None


class DataTypes:
    """Names and base types of the data types met on one connection (learned by ``ua_types.resolve``)."""

    def __init__(self) -> None:
        self.names: dict[ua.NodeId, str] = {}
        self.supertype: dict[ua.NodeId, ua.NodeId | None] = {}

    def clear(self) -> None:
        self.names.clear()
        self.supertype.clear()

    def name(self, dtype: ua.NodeId | None) -> str:
        return self.names.get(dtype, "") if dtype is not None else ""

    def variant_of(self, dtype: ua.NodeId) -> ua.VariantType | None:
        """The built-in type values of ``dtype`` travel as (after ``ua_types.resolve`` with supertypes)."""
        seen = 0
        node: ua.NodeId | None = dtype
        while node is not None and seen < 16:
            builtin = builtin_type(node)
            if builtin is not None:
                return builtin
            node = self.supertype.get(node)
            seen += 1
        return None


# --- the connection ---------------------------------------------------------------------------------


class UaConnection:
    """One connection's state and primitives, as the service modules use them.

    It does not open, watch or close the connection: :class:`OpcUaSession` does, attaching
    asyncua's client to ``_client``, setting ``_status``, and reacting to :meth:`lost`.
    """

    def __init__(
        self,
        url: str,
        *,
        policy: str = "None",
        mode: str = "None",
        user: str | None = None,
        timeout: float = 5.0,
        session_timeout: float = SESSION_TIMEOUT_S,
        max_references_per_node: int = 0,
        limits_override: dict[str, int] | None = None,
        aliases: dict[str, str] | None = None,
    ):
        self.url = url
        self.policy, self.mode = policy, mode  # the endpoint's security, as discover() names it
        self.user = user
        self.timeout = timeout
        self.session_timeout = session_timeout
        self.max_references_per_node = max_references_per_node
        self.limits_override = dict(limits_override or {})  # lower than the server states (name -> items)
        self.limits = OperationLimits()
        self.request_count: collections.Counter[str] = collections.Counter()  # per service
        self.counters = SessionCounters()
        self.aliases: dict[str, str] = dict(aliases or {})
        self._client: Client | None = None
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

    # -- state --------------------------------------------------------------------------------------

    @property
    def status(self) -> ConnectionStatus:
        return self._status

    @property
    def connected(self) -> bool:
        """A connection is up (also briefly while the supervisor restores subscriptions)."""
        return self._client is not None

    @property
    def client(self) -> Client | None:
        """asyncua's client of the live connection, if any."""
        return self._client

    @property
    def uaclient(self) -> UaClient:
        """asyncua's low-level client of the live connection (for subscriptions.py)."""
        if self._client is None:
            raise DeviceError(f"Not connected to {self.url}")
        return self._client.uaclient

    def lost(self, reason: str) -> None:
        """The connection died (a request failed with a connection error).

        Here nothing happens; :class:`OpcUaSession` reconnects, or says so in its status."""

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

    # -- the namespace table, tags and NodeIds ------------------------------------------------------

    @property
    def namespace_count(self) -> int:
        """Entries in the server's namespace table (read at connect)."""
        return len(self._ns_uris)

    def set_namespace_table(self, uris: Sequence[str] | None) -> None:
        """The server's namespace table, read at connect. When it differs from the one known
        (a restarted server may number its namespaces anew), the caches are emptied."""
        if uris != self._ns_uris:
            self._forget()
        self._ns_uris = list(uris or [])
        self._ns_index = {uri: i for i, uri in enumerate(self._ns_uris)}

    def _forget(self) -> None:
        """Empty the caches of the connection: what they hold is keyed by namespace indexes."""
        self.facts.clear()
        self.types.clear()
        self.methods.clear()
        self.arguments.clear()
        self.reference_kinds.clear()
        self._tag_ids.clear()

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
