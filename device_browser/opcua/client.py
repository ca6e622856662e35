"""OPC UA client session (asyncua 2.1) behind Millwright's :class:`~device_browser.session.DeviceSession`.

:class:`OpcUaSession` is the facade. It builds on
:class:`~device_browser.opcua.ua_connection.UaConnection`, the layer every service uses: the
endpoint, the server's OperationLimits and namespace table, tags mapped to NodeIds,
``request()`` (counted per service in ``request_count`` for benchmarks and tests, failures
turned into :class:`OpcUaError` messages a plant engineer can act on) and the per-connection
caches. The session adds the life cycle: opening the connection (``ua_connect``: security,
trust on first use, user identity), status, loss detection and reconnecting, subscriptions.
The services live in companion modules, none of which imports this one:

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
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncua import Client
from psygnal import Signal

from device_browser.backoff import Backoff
from device_browser.opcua import ua_browse, ua_history, ua_io
from device_browser.opcua.security import (
    ApplicationCertificate,
    CertInfo,
    Decide,
    TrustStore,
    default_pki_dir,
    workbench_application_uri,
)
from device_browser.opcua.subscriptions import LiveSubscriptions
from device_browser.opcua.ua_connect import new_client, read_server_facts
from device_browser.opcua.ua_connection import DEFAULT_CAP, SESSION_TIMEOUT_S, NodeFacts, OperationLimits, UaConnection
from device_browser.opcua.ua_discovery import MODES, POLICIES, Endpoint, discover
from device_browser.opcua.ua_errors import OpcUaError, describe_error
from device_browser.opcua.ua_facts import node_facts
from device_browser.opcua.ua_monitored import DataSubscription
from device_browser.opcua.ua_supervisor import Supervisor, reactivate
from device_browser.opcua.ua_values import coerce_value, quality_of, sample_of, to_ns
from device_browser.session import BrowseItem, ConnectionState, ConnectionStatus, DeviceError, Sample

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


class OpcUaSession(UaConnection):
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
        override = dict(limits_override or {})
        if max_nodes_per_read:
            override["read"] = max_nodes_per_read
        super().__init__(url, policy=policy, mode=mode, user=user, timeout=timeout, session_timeout=session_timeout,
                         max_references_per_node=max_references_per_node, limits_override=override, aliases=aliases)
        self._password = password
        self.user_certificate, self.user_private_key = user_certificate, user_private_key
        self.pki_dir = Path(pki_dir) if pki_dir else default_pki_dir()
        self.trust_store = TrustStore(self.pki_dir)
        self.decide = decide
        self.keepalive_interval = keepalive_interval
        self.reconnect = reconnect
        self.supervisor = Supervisor(self, keepalive_interval=keepalive_interval, backoff=backoff,
                                     give_up_after=give_up_after, give_up_seconds=give_up_seconds)
        self.live: LiveSubscriptions | None = None  # made by the first subscribe()
        self.warnings: list[str] = []
        self.server_certificate: CertInfo | None = None  # of the server, secured connections only
        self.own_certificate: ApplicationCertificate | None = None
        self._spare: Client | None = None  # the lost connection's client, kept to reuse its server session
        if logging.getLogger("asyncua").level == logging.NOTSET:
            logging.getLogger("asyncua").setLevel(logging.WARNING)  # INFO logs every publish

    # -- status ---------------------------------------------------------------------------------

    def set_status(self, state: ConnectionState, attempt: int = 0, reason: str = "") -> None:
        new = ConnectionStatus(state, attempt, reason)
        if new != self._status:
            self._status = new
            self.status_changed.emit(new)

    @property
    def application_uri(self) -> str:
        """The application URI we announce (on secured connections the one inside our certificate)."""
        return self._client.application_uri if self._client is not None else workbench_application_uri()

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
