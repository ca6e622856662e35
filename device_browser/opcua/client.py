"""OPC UA client session (asyncua 2.1) behind Millwright's :class:`~device_browser.session.DeviceSession`.

What asyncua leaves to us, and this module does (see ``PITFALLS.md``):

* It never reads the server's OperationLimits nor splits requests. We read
  ``Server.ServerCapabilities.OperationLimits.*`` at connect (0 = no limit) and chunk every
  Read, Browse/BrowseNext, TranslateBrowsePathsToNodeIds, Write, Call and HistoryRead.
* ``read_values`` hides bad status codes: we read DataValues and map each StatusCode to a
  quality (GOOD / UNCERTAIN / BAD) with source and server timestamps in ns.
* ``browse_nodes`` ignores continuation points: we follow them with BrowseNext, one level at a
  time, and take names, classes and type definitions from the reference descriptions.
* Writes go as ``DataValue(Variant(value, <the node's VariantType>))`` without timestamps,
  after a check that the value fits the type (nothing is sent otherwise).
* Session timeout 60 s instead of asyncua's one hour; ``close()`` always ends the session.
* The server certificate is checked against our trust store before anything is sent on a
  secured channel; with security None a password travels in clear text and we say so.

Every request goes through :meth:`OpcUaSession.request`, which counts it per service in
``request_count`` (benchmarks and tests use it) and turns asyncua's exceptions into
:class:`OpcUaError` messages a plant engineer can act on.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import errno
import logging
import math
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from asyncua import Client, ua
from asyncua.crypto import security_policies
from asyncua.ua import uaerrors
from cryptography.hazmat.primitives.serialization import Encoding
from psygnal import Signal

from device_browser.opcua.security import (
    ApplicationCertificate,
    Decide,
    TrustStore,
    default_pki_dir,
    fingerprint,
    load_der_or_pem,
    load_password,
    workbench_application_uri,
)
from device_browser.session import (
    BAD,
    GOOD,
    UNCERTAIN,
    BrowseItem,
    ConnectionState,
    ConnectionStatus,
    DeviceError,
    Sample,
    WriteRefused,
)

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

SESSION_TIMEOUT_S = 60.0
DEFAULT_CAP = 1000  # items per request when the server states no limit (keeps messages small)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

POLICIES: dict[str, type[security_policies.SecurityPolicy]] = {
    "None": security_policies.SecurityPolicyNone,
    "Basic256Sha256": security_policies.SecurityPolicyBasic256Sha256,
    "Aes128Sha256RsaOaep": security_policies.SecurityPolicyAes128Sha256RsaOaep,
    "Aes256Sha256RsaPss": security_policies.SecurityPolicyAes256Sha256RsaPss,
    "Basic256": security_policies.SecurityPolicyBasic256,
    "Basic128Rsa15": security_policies.SecurityPolicyBasic128Rsa15,
}
_POLICY_NAMES = {cls.URI: name for name, cls in POLICIES.items()}
MODES = {
    "None": ua.MessageSecurityMode.None_,
    "Sign": ua.MessageSecurityMode.Sign,
    "SignAndEncrypt": ua.MessageSecurityMode.SignAndEncrypt,
}
_MODE_NAMES = {v: k for k, v in MODES.items()}
_TOKEN_NAMES = {
    ua.UserTokenType.Anonymous: "Anonymous",
    ua.UserTokenType.UserName: "UserName",
    ua.UserTokenType.Certificate: "Certificate",
    ua.UserTokenType.IssuedToken: "IssuedToken",
}

_LIMIT_NODES = {
    "read": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    "write": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    "call": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall,
    "browse": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    "translate": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
    "monitored_items": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    "history_read": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData,
    "browse_continuation_points": ua.ObjectIds.Server_ServerCapabilities_MaxBrowseContinuationPoints,
}


class OpcUaError(DeviceError):
    """An OPC UA failure in plain words; ``status`` keeps the protocol's name (e.g. ``BadTimeout``)."""

    def __init__(self, message: str, status: str = ""):
        super().__init__(message)
        self.status = status


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


@dataclass(frozen=True)
class Endpoint:
    """One way into a server, as discovery lists it."""

    url: str
    policy: str  # short name: "None", "Basic256Sha256", …
    mode: str  # "None", "Sign", "SignAndEncrypt"
    user_tokens: tuple[str, ...]  # "Anonymous", "UserName", "Certificate"
    security_level: int = 0
    server_uri: str = ""
    server_name: str = ""
    policy_uri: str = ""
    certificate: bytes = field(default=b"", repr=False)

    @property
    def secure(self) -> bool:
        return self.mode != "None"


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


# --- small helpers ----------------------------------------------------------------------------


def _chunks(items: Sequence[_T], size: int) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def to_ns(stamp: dt.datetime | None) -> int:
    """A datetime (asyncua gives timezone-aware UTC) as ns since the Unix epoch; 0 for none."""
    if stamp is None:
        return 0
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return (stamp - _EPOCH) // dt.timedelta(microseconds=1) * 1000


def _as_datetime(value: dt.datetime | int | float) -> dt.datetime:
    """ns since the epoch (int), seconds (float) or a datetime, as an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int) and abs(value) > 10**12:
        return _EPOCH + dt.timedelta(microseconds=value // 1000)
    return _EPOCH + dt.timedelta(seconds=float(value))


def quality_of(status: ua.StatusCode | None) -> int:
    if status is None or status.is_good():
        return GOOD
    return UNCERTAIN if status.is_uncertain() else BAD


def _status_name(status: ua.StatusCode | None) -> str:
    return "" if status is None or (status.is_good() and status.value == 0) else status.name


def sample_of(tag: str, dv: ua.DataValue) -> Sample:
    value = dv.Value.Value if dv.Value is not None else None
    if isinstance(value, ua.LocalizedText):
        value = value.Text
    return Sample(
        tag=tag,
        value=value,
        quality=quality_of(dv.StatusCode),
        source_time=to_ns(dv.SourceTimestamp),
        server_time=to_ns(dv.ServerTimestamp),
        status=_status_name(dv.StatusCode),
    )


# --- values that fit a node's type --------------------------------------------------------------

_INT_RANGES = {
    ua.VariantType.SByte: (-(2**7), 2**7 - 1),
    ua.VariantType.Byte: (0, 2**8 - 1),
    ua.VariantType.Int16: (-(2**15), 2**15 - 1),
    ua.VariantType.UInt16: (0, 2**16 - 1),
    ua.VariantType.Int32: (-(2**31), 2**31 - 1),
    ua.VariantType.UInt32: (0, 2**32 - 1),
    ua.VariantType.Int64: (-(2**63), 2**63 - 1),
    ua.VariantType.UInt64: (0, 2**64 - 1),
}
_FLOAT_MAX = 3.4028234663852886e38
_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.15g}".replace("-", "−")
    return f"{value}".replace("-", "−") if isinstance(value, int) else repr(value)


def coerce_value(value: Any, vtype: ua.VariantType, value_rank: int = -1, where: str = "") -> Any:
    """``value`` converted to what a ``vtype`` variable takes, or :class:`WriteRefused` saying why not.

    ``where`` ends the message ("for nsu=…;s=Pump.Speed"). Arrays (value rank ≥ 0) take lists.
    """
    suffix = f" for {where}" if where else ""
    if value_rank >= 1 or (value_rank in (0, -3) and isinstance(value, list | tuple)):
        if not isinstance(value, list | tuple):
            raise WriteRefused(f"{_num(value)} is a single value, but the variable takes an array{suffix}")
        return [coerce_value(v, vtype, -1, where) for v in value]
    if isinstance(value, list | tuple) and value_rank == -1:
        raise WriteRefused(f"A list was given, but the variable takes a single {vtype.name}{suffix}")
    name = vtype.name
    if vtype == ua.VariantType.Boolean:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise WriteRefused(f"{_num(value)} is not a Boolean (true/false){suffix}")
    if vtype in _INT_RANGES:
        lo, hi = _INT_RANGES[vtype]
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip()) if any(c in value for c in ".eE") else int(value.strip(), 0)
            except ValueError:
                raise WriteRefused(f"{value!r} is not a number: {name} takes whole numbers{suffix}") from None
        if isinstance(number, bool):
            number = int(number)
        if isinstance(number, float):
            if not math.isfinite(number) or not number.is_integer():
                raise WriteRefused(f"{_num(value)} is not a whole number: {name} takes whole numbers{suffix}")
            number = int(number)
        if not isinstance(number, int):
            raise WriteRefused(f"{_num(value)} is not a number: {name} takes whole numbers{suffix}")
        if not lo <= number <= hi:
            raise WriteRefused(f"{_num(number)} does not fit {name} ({_num(lo)}…{_num(hi)}){suffix}")
        return number
    if vtype in (ua.VariantType.Float, ua.VariantType.Double):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise WriteRefused(f"{_num(value)} is not a number: {name} takes numbers{suffix}")
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise WriteRefused(f"{value!r} is not a number: {name} takes numbers{suffix}") from None
        if vtype == ua.VariantType.Float and math.isfinite(number) and abs(number) > _FLOAT_MAX:
            raise WriteRefused(f"{_num(value)} does not fit Float (±3.4e38){suffix}")
        return number
    if vtype == ua.VariantType.String:
        return str(value)
    if vtype == ua.VariantType.LocalizedText:
        return value if isinstance(value, ua.LocalizedText) else ua.LocalizedText(str(value))
    if vtype == ua.VariantType.DateTime:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                raise WriteRefused(f"{value!r} is not a date and time (ISO 8601){suffix}") from None
        if isinstance(value, dt.datetime):
            return _as_datetime(value)
        raise WriteRefused(f"{_num(value)} is not a date and time{suffix}")
    if vtype == ua.VariantType.ByteString:
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        raise WriteRefused(f"{_num(value)} is not a byte string{suffix}")
    if vtype in (ua.VariantType.Null, ua.VariantType.Variant):
        return value  # BaseDataType: the server takes any type; asyncua guesses the Variant type
    return value  # structures, NodeIds, …: passed as given, the server checks


# --- discovery ----------------------------------------------------------------------------------


def _endpoint_of(ep: ua.EndpointDescription) -> Endpoint:
    tokens = ep.UserIdentityTokens or []
    return Endpoint(
        url=ep.EndpointUrl,
        policy=_POLICY_NAMES.get(ep.SecurityPolicyUri, ep.SecurityPolicyUri.rpartition("#")[2]),
        mode=_MODE_NAMES.get(ep.SecurityMode, str(ep.SecurityMode)),
        user_tokens=tuple(dict.fromkeys(_TOKEN_NAMES.get(t.TokenType, str(t.TokenType)) for t in tokens)),
        security_level=ep.SecurityLevel,
        server_uri=ep.Server.ApplicationUri or "",
        server_name=(ep.Server.ApplicationName.Text if ep.Server.ApplicationName else "") or "",
        policy_uri=ep.SecurityPolicyUri,
        certificate=ep.ServerCertificate or b"",
    )


async def discover(url: str, timeout: float = 5.0) -> list[Endpoint]:
    """The endpoints a server offers (URL, security policy, mode, user token types)."""
    client = Client(url, timeout=timeout)
    try:
        raw = await asyncio.wait_for(client.connect_and_get_server_endpoints(), timeout)
    except Exception as exc:
        client.disconnect_socket()
        raise describe_error(exc, url, "discovery", timeout=timeout) from exc
    return [_endpoint_of(ep) for ep in raw]


# --- errors in plain words ------------------------------------------------------------------------

_AUTH_CODES = (uaerrors.BadUserAccessDenied, uaerrors.BadIdentityTokenInvalid, uaerrors.BadIdentityTokenRejected)
_CERT_CODES = (
    uaerrors.BadCertificateUntrusted,
    uaerrors.BadSecurityChecksFailed,
    uaerrors.BadCertificateInvalid,
    uaerrors.BadCertificateUriInvalid,
    uaerrors.BadCertificateUseNotAllowed,
)


def describe_error(
    exc: BaseException,
    url: str,
    what: str,
    *,
    timeout: float = 0,
    user: str | None = None,
    user_certificate: Path | None = None,
    own_fp: str = "",
) -> DeviceError:
    """Turn what asyncua raised during ``what`` into a :class:`DeviceError` with a plain message."""
    if isinstance(exc, DeviceError):
        return exc
    parsed = urlparse(url)
    where = f"{parsed.hostname}:{parsed.port or 4840}"
    if isinstance(exc, _AUTH_CODES):
        if user_certificate:
            return OpcUaError(
                f"The server refused the user certificate {Path(user_certificate).name}: it is not trusted there "
                "as a user identity", type(exc).__name__,
            )
        if user:
            return OpcUaError(f"The server refused user '{user}': wrong user name or password", type(exc).__name__)
        return OpcUaError(
            "The server refused anonymous access: give a user name and password", type(exc).__name__
        )
    if isinstance(exc, uaerrors.BadTooManyOperations):
        return OpcUaError(
            f"{url} refused a {what} request with too many items (BadTooManyOperations): "
            "its OperationLimits are lower than the ones used",
            "BadTooManyOperations",
        )
    if isinstance(exc, _CERT_CODES):
        mine = f" (SHA-256 {own_fp[:23]}…)" if own_fp else ""
        return OpcUaError(
            f"{url} does not trust Millwright's certificate{mine} ({type(exc).__name__}): on the server, "
            "move it from the rejected to the trusted certificates, then connect again",
            type(exc).__name__,
        )
    if isinstance(exc, uaerrors.BadTooManySessions):
        return OpcUaError(f"{url} has no free session left (BadTooManySessions): close other clients or wait "
                          "for their sessions to time out", "BadTooManySessions")
    if isinstance(exc, uaerrors.BadTimeout | TimeoutError):
        return OpcUaError(
            f"{url} did not answer within {timeout:g} s ({what}): check the address, the network and any firewall",
            "BadTimeout",
        )
    if isinstance(exc, ConnectionRefusedError):
        return OpcUaError(
            f"Nothing answers at {where} (connection refused): is the OPC UA server running and the port right?",
            "BadCommunicationError",
        )
    if isinstance(exc, socket.gaierror):
        return OpcUaError(f"The host name '{parsed.hostname}' of {url} cannot be resolved", "BadCommunicationError")
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return OpcUaError(f"{where} cannot be reached: {exc.strerror}", "BadCommunicationError")
    if isinstance(exc, ConnectionError) and what in ("connect", "discovery"):
        return OpcUaError(
            f"{where} closed the connection during {what}: is it an OPC UA server, and does it accept this client?",
            "BadConnectionClosed",
        )
    if isinstance(exc, ConnectionError | uaerrors.BadSessionIdInvalid | uaerrors.BadSessionClosed):
        return OpcUaError(f"The connection to {url} was lost during {what}", "BadConnectionClosed")
    if isinstance(exc, uaerrors.UaStatusCodeError):
        status = ua.StatusCode(exc.code)
        return OpcUaError(f"{url} answered {what} with {status.name}: {status.doc}", status.name)
    if isinstance(exc, OSError):
        return OpcUaError(f"{where}: {exc.strerror or exc}", "BadCommunicationError")
    return OpcUaError(f"{what} on {url} failed: {exc}")


def _check(status: ua.StatusCode, url: str, what: str) -> None:
    if not status.is_good():
        raise describe_error(uaerrors.UaStatusCodeError(status.value), url, what)


# --- the session --------------------------------------------------------------------------------------


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
    """

    status_changed = Signal(ConnectionStatus)
    connection_lost = Signal(str)  # the transport or session died (reason); the supervisor listens

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
        self.request_count: collections.Counter[str] = collections.Counter()
        self.warnings: list[str] = []
        self.supervised = False  # set while a reconnect supervisor (subscriptions.py) looks after us
        self.server_certificate = None  # CertInfo of the server, secured connections only
        self.own_certificate: ApplicationCertificate | None = None
        self._client: Client | None = None
        self._status = ConnectionStatus()
        self._ns_uris: list[str] = []
        self._ns_index: dict[str, int] = {}
        self._facts: dict[ua.NodeId, NodeFacts] = {}
        self._type_names: dict[ua.NodeId, str] = {}
        self._supertype: dict[ua.NodeId, ua.NodeId | None] = {}
        self._methods: dict[tuple[ua.NodeId, str], ua.NodeId] = {}
        self._arguments: dict[ua.NodeId, list[ua.Argument]] = {}
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
        return self._client is not None

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
        self.set_status(ConnectionState.CONNECTING)
        try:
            await self.open()
        except DeviceError as exc:
            self.set_status(ConnectionState.FAILED, reason=str(exc))
            raise
        self.set_status(ConnectionState.CONNECTED)

    async def open(self) -> None:
        """Open a fresh connection and session (used by connect and by the reconnect supervisor).

        Raises :class:`DeviceError`; sets no status (the caller decides what the attempt means).
        """
        await self._drop()
        client = Client(self.url, timeout=self.timeout, watchdog_intervall=3600.0)
        client.session_timeout = int(self.session_timeout * 1000)
        client.name = client.description = "Millwright"
        client.product_uri = "urn:millwright:workbench"
        client.application_uri = workbench_application_uri()
        own_fp = ""
        try:
            if self.policy != "None":
                own_fp = await self._secure(client)
            elif self.user:
                warning = (
                    f"Security None: the password of '{self.user}' travels in clear text to {self.url}. "
                    "Use a secured endpoint (Basic256Sha256, SignAndEncrypt) on shared networks."
                )
                if warning not in self.warnings:
                    self.warnings.append(warning)
                _log.warning(warning)
            if self.user:
                password = self._password if self._password is not None else load_password(self.url, self.user)
                if password is None:
                    raise DeviceError(f"No password for user '{self.user}' on {self.url}: enter it once "
                                      "(it can be kept in the system keyring)")
                client.set_user(self.user)
                client.set_password(password)
            if self.user_certificate:
                await client.load_client_certificate(str(self.user_certificate))
                await client.load_private_key(Path(self.user_private_key or self.user_certificate))
            await asyncio.wait_for(client.connect(), self.timeout)
        except BaseException as exc:
            client.disconnect_socket()
            if isinstance(exc, Exception):
                raise describe_error(exc, self.url, "connect", timeout=self.timeout, user=self.user,
                                     user_certificate=self.user_certificate, own_fp=own_fp) from exc
            raise
        client.connection_lost_callback = self._lost_callback(client)
        self._client = client
        try:
            await self._read_server_facts()
        except DeviceError:
            await self._drop()
            raise

    async def _secure(self, client: Client) -> str:
        """Check the server certificate (trust on first use) and set up the secure channel."""
        own = self.own_certificate = ApplicationCertificate.ensure(self.pki_dir)
        client.application_uri = own.application_uri
        try:
            raw = await asyncio.wait_for(client.connect_and_get_server_endpoints(), self.timeout)
        except Exception as exc:
            client.disconnect_socket()
            raise describe_error(exc, self.url, "discovery", timeout=self.timeout) from exc
        policy_uri, mode = POLICIES[self.policy].URI, MODES[self.mode]
        chosen = next((ep for ep in raw if ep.SecurityPolicyUri == policy_uri and ep.SecurityMode == mode), None)
        if chosen is None:
            offered = ", ".join(sorted({f"{e.policy}/{e.mode}" for e in map(_endpoint_of, raw)}))
            raise OpcUaError(f"{self.url} offers no endpoint with {self.policy}/{self.mode}; it offers {offered}")
        if not chosen.ServerCertificate:
            raise OpcUaError(f"{self.url} offers {self.policy}/{self.mode} without a server certificate")
        server_der = load_der_or_pem(chosen.ServerCertificate).public_bytes(Encoding.DER)
        self.server_certificate = await self.trust_store.check(self.url, server_der, self.decide)
        await client.set_security(
            POLICIES[self.policy], own.cert_path, own.key_path, server_certificate=server_der, mode=mode
        )
        client.certificate_validator = self.trust_store.validator()
        return fingerprint(own.certificate)

    def _lost_callback(self, client: Client) -> Callable[[Exception], Awaitable[None]]:
        async def lost(exc: Exception) -> None:
            if self._client is client:  # not a late word from a connection already replaced
                self._lost(f"The connection to {self.url} was lost ({type(exc).__name__}: {exc})")

        return lost

    def _lost(self, reason: str) -> None:
        """The connection died: a supervisor (``supervised``) reconnects; otherwise say so in the status."""
        self.connection_lost.emit(reason)
        if not self.supervised and self._status.state == ConnectionState.CONNECTED:
            self.set_status(ConnectionState.DISCONNECTED, reason=reason)

    async def _read_server_facts(self) -> None:
        """Namespace table and OperationLimits, read once per connection."""
        ids = [ua.NodeId(ua.ObjectIds.Server_NamespaceArray)] + [ua.NodeId(i) for i in _LIMIT_NODES.values()]
        self.limits = OperationLimits(**{k: v for k, v in self._override.items() if k in _LIMIT_NODES})
        try:
            values = await self._read_values(ids)
        except OpcUaError as exc:  # a server that takes fewer nodes per read than we ask here
            if exc.status != "BadTooManyOperations":
                raise
            self.limits = OperationLimits(read=1)
            values = await self._read_values(ids)
        uris = values[0].Value.Value if values[0].StatusCode.is_good() else []
        if uris != self._ns_uris:  # a restarted server may number its namespaces anew
            self._facts.clear()
            self._type_names.clear()
            self._supertype.clear()
            self._methods.clear()
            self._arguments.clear()
        self._ns_uris = list(uris or [])
        self._ns_index = {uri: i for i, uri in enumerate(self._ns_uris)}
        stated = {}
        for name, dv in zip(_LIMIT_NODES, values[1:], strict=True):
            ok = dv.StatusCode.is_good() and isinstance(dv.Value.Value, int)
            stated[name] = int(dv.Value.Value) if ok else 0
        for name, mine in self._override.items():
            if name in stated:
                stated[name] = min(stated[name], mine) if stated[name] else mine
        self.limits = OperationLimits(**stated)
        _log.info("%s: OperationLimits %s", self.url, self.limits)

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

    async def close_quietly(self) -> None:
        """Drop the connection without touching the status (the supervisor gave up: FAILED stays)."""
        await self._drop()

    async def close(self) -> None:
        """End the session (always: a forgotten session blocks small PLCs) and the connection."""
        await self._drop()
        self.set_status(ConnectionState.DISCONNECTED)

    # -- requests ---------------------------------------------------------------------------------

    async def request(self, service: str, call: Callable[[], Awaitable[_T]]) -> _T:
        """Send one service request: counted, and failures said in plain words."""
        client = self._client
        if client is None:
            raise DeviceError(f"Not connected to {self.url}")
        self.request_count[service] += 1
        try:
            return await call()
        except Exception as exc:
            error = describe_error(exc, self.url, service, timeout=self.timeout, user=self.user)
            if isinstance(exc, ConnectionError) and self._client is client:
                self._lost(str(error))
            raise error from exc

    def count(self, service: str) -> None:
        """Count a request sent by a companion module (subscriptions)."""
        self.request_count[service] += 1

    async def _read(self, ids: list[ua.ReadValueId], timestamps=ua.TimestampsToReturn.Both) -> list[ua.DataValue]:
        out: list[ua.DataValue] = []
        for chunk in _chunks(ids, self.limits.per_request("read")):
            params = ua.ReadParameters(MaxAge=0, TimestampsToReturn=timestamps, NodesToRead=list(chunk))
            out.extend(await self.request("Read", lambda p=params: self.uaclient.read(p)))
        return out

    async def _read_values(self, nids: Sequence[ua.NodeId], attr=ua.AttributeIds.Value) -> list[ua.DataValue]:
        return await self._read([ua.ReadValueId(NodeId=n, AttributeId=attr) for n in nids])

    # -- tags and NodeIds ------------------------------------------------------------------------

    def to_nodeid(self, tag: str) -> ua.NodeId:
        """``nsu=<uri>;s=…`` (or ``ns=2;s=…``, ``i=85``) as a NodeId of this server's numbering."""
        try:
            nid = ua.NodeId.from_string(tag)
        except (uaerrors.UaStringParsingError, ValueError) as exc:
            raise DeviceError(f"{tag!r} is not an OPC UA node id (e.g. nsu=urn:plant;s=Pump.Speed)") from exc
        if isinstance(nid, ua.ExpandedNodeId) and nid.NamespaceUri:
            index = self._ns_index.get(nid.NamespaceUri)
            if index is None:
                raise DeviceError(f"{self.url} has no namespace {nid.NamespaceUri!r} (tag {tag})")
            return ua.NodeId(nid.Identifier, index, nid.NodeIdType)
        return ua.NodeId(nid.Identifier, nid.NamespaceIndex, nid.NodeIdType)

    def to_tag(self, nid: ua.NodeId) -> str:
        """The portable form of a NodeId: namespace URI instead of index (``nsu=…;s=…``)."""
        uri = getattr(nid, "NamespaceUri", None)
        text = ua.NodeId(nid.Identifier, nid.NamespaceIndex, nid.NodeIdType).to_string()
        if nid.NamespaceIndex == 0 and not uri:
            return text
        if uri is None and nid.NamespaceIndex < len(self._ns_uris):
            uri = self._ns_uris[nid.NamespaceIndex]
        if uri is None:
            return text
        return f"nsu={uri};{text.split(';', 1)[1] if text.startswith('ns=') else text}"

    def _local(self, nid: ua.NodeId) -> ua.NodeId:
        """A reference's (Expanded)NodeId as a plain NodeId of this server's numbering."""
        uri = getattr(nid, "NamespaceUri", None)
        index = self._ns_index.get(uri, nid.NamespaceIndex) if uri else nid.NamespaceIndex
        return ua.NodeId(nid.Identifier, index, nid.NodeIdType)

    # -- browse -------------------------------------------------------------------------------------

    async def _browse(
        self,
        nids: Sequence[ua.NodeId],
        *,
        ref_type: int = ua.ObjectIds.HierarchicalReferences,
        direction: ua.BrowseDirection = ua.BrowseDirection.Forward,
        class_mask: int = 0,
    ) -> list[list[ua.ReferenceDescription]]:
        """References of many nodes: chunked Browse, then BrowseNext until no continuation point is left.

        A server holds only so many continuation points per session (MaxBrowseContinuationPoints);
        nodes answered BadNoContinuationPoints are browsed again, in batches of that size, once
        the points of their batch are used up.
        """
        refs: list[list[ua.ReferenceDescription]] = [[] for _ in nids]
        queue = list(range(len(nids)))
        size = self.limits.per_request("browse")
        while queue:
            batch, queue = queue[:size], queue[size:]
            params = ua.BrowseParameters(
                RequestedMaxReferencesPerNode=self.max_references_per_node,
                NodesToBrowse=[
                    ua.BrowseDescription(
                        NodeId=nids[i],
                        BrowseDirection=direction,
                        ReferenceTypeId=ua.NodeId(ref_type),
                        IncludeSubtypes=True,
                        NodeClassMask=class_mask,
                        ResultMask=ua.BrowseResultMask.All,
                    )
                    for i in batch
                ],
            )
            params.View.Timestamp = ua.get_win_epoch()
            results = await self.request("Browse", lambda p=params: self.uaclient.browse(p))
            pending, again = self._collect(refs, batch, results, nids)
            rounds = 0
            while pending:
                rounds += 1
                if rounds > 10_000:
                    await self._release(list(pending.values()))
                    raise OpcUaError(f"{self.url} keeps sending continuation points; browse stopped")
                order = list(pending)
                next_params = ua.BrowseNextParameters(
                    ReleaseContinuationPoints=False, ContinuationPoints=[pending[i] for i in order]
                )
                try:
                    results = await self.request("BrowseNext", lambda p=next_params: self.uaclient.browse_next(p))
                except DeviceError:
                    await self._release(list(pending.values()))
                    raise
                pending, more = self._collect(refs, order, results, nids)
                again += more
            if again:
                if len(batch) == 1:
                    raise OpcUaError(f"{self.url} has no continuation point left for browsing",
                                     "BadNoContinuationPoints")
                size = max(1, min(self.limits.browse_continuation_points or len(batch) // 2, len(batch) // 2))
                queue = again + queue
        return refs

    def _collect(self, refs, positions, results, nids) -> tuple[dict[int, bytes], list[int]]:
        pending: dict[int, bytes] = {}
        again: list[int] = []
        for pos, result in zip(positions, results, strict=True):
            if result.StatusCode.value == ua.StatusCodes.BadNoContinuationPoints:
                refs[pos].clear()
                again.append(pos)
                continue
            if not result.StatusCode.is_good():
                if result.StatusCode.value == ua.StatusCodes.BadNodeIdUnknown:
                    raise OpcUaError(f"{self.to_tag(nids[pos])} does not exist on {self.url}", "BadNodeIdUnknown")
                _check(result.StatusCode, self.url, f"browsing {self.to_tag(nids[pos])}")
            refs[pos].extend(result.References or [])
            if result.ContinuationPoint:
                pending[pos] = result.ContinuationPoint
        return pending, again

    async def _release(self, points: list[bytes]) -> None:
        if not points or self._client is None:
            return
        params = ua.BrowseNextParameters(ReleaseContinuationPoints=True, ContinuationPoints=points)
        try:
            await self.request("BrowseNext", lambda: self.uaclient.browse_next(params))
        except DeviceError as exc:
            _log.debug("releasing continuation points: %s", exc)

    async def browse(self, tag: str | None = None) -> list[BrowseItem]:
        """The children of ``tag`` (the Objects folder if None), one level, with type, access and unit.

        Requests: one Browse (+BrowseNext) of the node, one batched Browse of all children
        (to know which have children and to find EURange/EngineeringUnits), one batched Read
        of the attributes and properties, and a Read of unknown data type names; each chunked
        by the server's limits.
        """
        parent = self.to_nodeid(tag) if tag else ua.NodeId(ua.ObjectIds.ObjectsFolder)
        mask = ua.NodeClass.Object | ua.NodeClass.Variable | ua.NodeClass.Method
        (level,) = await self._browse([parent], class_mask=mask)
        children: list[ua.ReferenceDescription] = []
        seen: set[ua.NodeId] = set()
        for ref in level:
            nid = self._local(ref.NodeId)
            if getattr(ref.NodeId, "ServerIndex", 0) or nid in seen:
                continue
            seen.add(nid)
            children.append(ref)
        nids = [self._local(r.NodeId) for r in children]
        expandable = [i for i, r in enumerate(children) if r.NodeClass != ua.NodeClass.Method]
        grand = await self._browse([nids[i] for i in expandable], class_mask=mask)
        below: dict[int, list[ua.ReferenceDescription]] = dict(zip(expandable, grand, strict=True))

        # one read for everything: attributes of the children, values of their EU properties
        reads: list[ua.ReadValueId] = []
        slots: list[tuple[int, str]] = []
        for i, ref in enumerate(children):
            attrs = [("description", ua.AttributeIds.Description)]
            if ref.NodeClass == ua.NodeClass.Variable:
                attrs += [
                    ("data_type", ua.AttributeIds.DataType),
                    ("value_rank", ua.AttributeIds.ValueRank),
                    ("access", ua.AttributeIds.AccessLevel),
                    ("user_access", ua.AttributeIds.UserAccessLevel),
                ]
                for prop in below.get(i, []):
                    if prop.BrowseName.Name in ("EURange", "EngineeringUnits"):
                        reads.append(ua.ReadValueId(NodeId=self._local(prop.NodeId), AttributeId=ua.AttributeIds.Value))
                        slots.append((i, prop.BrowseName.Name))
            for key, attr in attrs:
                reads.append(ua.ReadValueId(NodeId=nids[i], AttributeId=attr))
                slots.append((i, key))
        values = await self._read(reads, ua.TimestampsToReturn.Neither)
        got: dict[int, dict[str, Any]] = collections.defaultdict(dict)
        for (i, key), dv in zip(slots, values, strict=True):
            if dv.StatusCode.is_good() and dv.Value is not None:
                got[i][key] = dv.Value.Value
        dtypes = [v["data_type"] for v in got.values() if isinstance(v.get("data_type"), ua.NodeId)]
        await self._resolve_types(dtypes)

        items = []
        for i, ref in enumerate(children):
            facts = self._facts_from(got[i]) if ref.NodeClass == ua.NodeClass.Variable else None
            if facts is not None:
                facts.with_properties = True
                self._facts[nids[i]] = facts
            folded = {"EURange", "EngineeringUnits"} if facts else set()
            description = got[i].get("description")
            items.append(
                BrowseItem(
                    tag=self.to_tag(nids[i]),
                    name=(ref.DisplayName.Text if ref.DisplayName and ref.DisplayName.Text else ref.BrowseName.Name),
                    node_class=ua.NodeClass(ref.NodeClass).name,
                    has_children=any(r.BrowseName.Name not in folded for r in below.get(i, [])),
                    data_type=facts.data_type_name if facts else "",
                    access=facts.access if facts else "",
                    unit=facts.unit if facts else "",
                    eu_range=facts.eu_range if facts else None,
                    description=(description.Text or "") if isinstance(description, ua.LocalizedText) else "",
                    extra={
                        "browse_name": f"{ref.BrowseName.NamespaceIndex}:{ref.BrowseName.Name}",
                        "type_definition": (
                            self.to_tag(self._local(ref.TypeDefinition))
                            if ref.TypeDefinition and not ref.TypeDefinition.is_null() else ""
                        ),
                        "value_rank": facts.value_rank if facts else None,
                    },
                )
            )
        return items

    def _facts_from(self, got: dict[str, Any]) -> NodeFacts:
        dtype = got.get("data_type") if isinstance(got.get("data_type"), ua.NodeId) else None
        level = got.get("access", 0) or 0
        if "user_access" in got:
            level &= got["user_access"] or 0
        access = ("r" if level & ua.AccessLevel.CurrentRead.mask else "") + (
            "w" if level & ua.AccessLevel.CurrentWrite.mask else ""
        )
        eu = got.get("EURange")
        unit = got.get("EngineeringUnits")
        return NodeFacts(
            data_type=dtype,
            data_type_name=self._type_names.get(dtype, "") if dtype else "",
            variant_type=self._variant_of(dtype) if dtype else None,
            value_rank=int(got.get("value_rank", -1)),
            access=access,
            eu_range=(float(eu.Low), float(eu.High)) if isinstance(eu, ua.Range) else None,
            unit=(unit.DisplayName.Text or "") if isinstance(unit, ua.EUInformation) and unit.DisplayName else "",
        )

    async def translate(self, paths: Sequence[str], start: str | None = None) -> list[str | None]:
        """Tags of browse paths like ``"2:PumpStation/2:Flow"`` (or ``"PumpStation/Flow"``, names in
        the start node's namespace) below ``start`` (the Objects folder); None where nothing matches.
        Chunked by MaxNodesPerTranslateBrowsePathsToNodeIds."""
        origin = self.to_nodeid(start) if start else ua.NodeId(ua.ObjectIds.ObjectsFolder)
        default_ns = origin.NamespaceIndex or (len(self._ns_uris) - 1 if len(self._ns_uris) > 1 else 0)
        browse_paths = []
        for path in paths:
            elements = []
            for part in [p for p in path.split("/") if p]:
                ns, sep, name = part.partition(":")
                qname = ua.QualifiedName(name, int(ns)) if sep and ns.isdigit() else ua.QualifiedName(part, default_ns)
                elements.append(
                    ua.RelativePathElement(
                        ReferenceTypeId=ua.NodeId(ua.ObjectIds.HierarchicalReferences),
                        IsInverse=False,
                        IncludeSubtypes=True,
                        TargetName=qname,
                    )
                )
            browse_paths.append(ua.BrowsePath(StartingNode=origin, RelativePath=ua.RelativePath(Elements=elements)))
        return [self.to_tag(t) if t is not None else None for t in await self._translate(browse_paths)]

    async def _translate(self, browse_paths: list[ua.BrowsePath]) -> list[ua.NodeId | None]:
        out: list[ua.NodeId | None] = []
        for chunk in _chunks(browse_paths, self.limits.per_request("translate")):
            results = await self.request(
                "TranslateBrowsePathsToNodeIds",
                lambda c=list(chunk): self.uaclient.translate_browsepaths_to_nodeids(c),
            )
            for result in results:
                good = result.StatusCode.is_good() and result.Targets
                out.append(self._local(result.Targets[0].TargetId) if good else None)
        return out

    # -- data types --------------------------------------------------------------------------------

    async def _resolve_types(self, dtypes: Iterable[ua.NodeId]) -> None:
        """Learn names and base types of data types (cached): one Read and a few inverse Browses."""
        todo = list(dict.fromkeys(d for d in dtypes if d not in self._type_names))
        unnamed = []
        for d in todo:
            name = ua.ObjectIdNames.get(d.Identifier) if d.NamespaceIndex == 0 else None
            if name:
                self._type_names[d] = name
            else:
                unnamed.append(d)
        if unnamed:
            for d, dv in zip(unnamed, await self._read_values(unnamed, ua.AttributeIds.BrowseName), strict=True):
                self._type_names[d] = dv.Value.Value.Name if dv.StatusCode.is_good() else d.to_string()
        frontier = [d for d in todo if self._builtin(d) is None]
        for _ in range(12):  # walk up HasSubtype until a built-in type is reached
            frontier = [d for d in dict.fromkeys(frontier) if d not in self._supertype]
            if not frontier:
                break
            parents = await self._browse(
                frontier, ref_type=ua.ObjectIds.HasSubtype, direction=ua.BrowseDirection.Inverse
            )
            nxt = []
            for d, refs in zip(frontier, parents, strict=True):
                parent = self._local(refs[0].NodeId) if refs else None
                self._supertype[d] = parent
                if parent is not None and self._builtin(parent) is None:
                    nxt.append(parent)
            frontier = nxt

    @staticmethod
    def _builtin(d: ua.NodeId) -> ua.VariantType | None:
        if d.NamespaceIndex != 0 or not isinstance(d.Identifier, int):
            return None
        if 1 <= d.Identifier <= 25:
            return ua.VariantType(d.Identifier)
        if d.Identifier == ua.ObjectIds.Enumeration:
            return ua.VariantType.Int32
        return None

    def _variant_of(self, dtype: ua.NodeId) -> ua.VariantType | None:
        seen = 0
        node: ua.NodeId | None = dtype
        while node is not None and seen < 16:
            builtin = self._builtin(node)
            if builtin is not None:
                return builtin
            node = self._supertype.get(node)
            seen += 1
        return None

    async def node_facts(self, tags: Sequence[str], *, properties: bool = False) -> list[NodeFacts]:
        """Type, access (and with ``properties`` EURange and unit) of variables, cached per session."""
        nids = [self.to_nodeid(t) for t in tags]
        cached = self._facts
        need = list(dict.fromkeys(n for n in nids if n not in cached or (properties and not cached[n].with_properties)))
        if need:
            keys = [
                ("data_type", ua.AttributeIds.DataType),
                ("value_rank", ua.AttributeIds.ValueRank),
                ("access", ua.AttributeIds.AccessLevel),
                ("user_access", ua.AttributeIds.UserAccessLevel),
            ]
            reads = [ua.ReadValueId(NodeId=n, AttributeId=a) for n in need for _, a in keys]
            values = await self._read(reads, ua.TimestampsToReturn.Neither)
            got: list[dict[str, Any]] = [{} for _ in need]
            for k, dv in enumerate(values):
                if dv.StatusCode.is_good() and dv.Value is not None:
                    got[k // len(keys)][keys[k % len(keys)][0]] = dv.Value.Value
            for g, n in zip(got, need, strict=True):
                if "data_type" not in g:
                    raise OpcUaError(f"{self.to_tag(n)} is not a variable on {self.url}", "BadAttributeIdInvalid")
            if properties:
                props = [
                    ua.BrowsePath(
                        StartingNode=n,
                        RelativePath=ua.RelativePath(
                            Elements=[
                                ua.RelativePathElement(
                                    ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasProperty),
                                    IsInverse=False,
                                    IncludeSubtypes=True,
                                    TargetName=ua.QualifiedName(name, 0),
                                )
                            ]
                        ),
                    )
                    for n in need
                    for name in ("EURange", "EngineeringUnits")
                ]
                targets = await self._translate(props)
                found = [(k, t) for k, t in enumerate(targets) if t is not None]
                if found:
                    prop_values = await self._read_values([t for _, t in found])
                    for (k, _), dv in zip(found, prop_values, strict=True):
                        if dv.StatusCode.is_good():
                            got[k // 2][("EURange", "EngineeringUnits")[k % 2]] = dv.Value.Value
            await self._resolve_types([g["data_type"] for g in got])
            for n, g in zip(need, got, strict=True):
                facts = self._facts_from(g)
                facts.with_properties = properties
                self._facts[n] = facts
        return [self._facts[n] for n in nids]

    # -- read -----------------------------------------------------------------------------------------

    async def read(self, tags: list[str]) -> list[Sample]:
        """Current values with per-item quality; chunked by MaxNodesPerRead."""
        out: list[Sample | None] = [None] * len(tags)
        ids, where = [], []
        for i, tag in enumerate(tags):
            try:
                nid = self.to_nodeid(tag)
            except DeviceError as exc:
                out[i] = Sample(tag, None, BAD, status="BadNodeIdInvalid")
                _log.debug("%s", exc)
                continue
            ids.append(ua.ReadValueId(NodeId=nid, AttributeId=ua.AttributeIds.Value))
            where.append(i)
        for i, dv in zip(where, await self._read(ids), strict=True):
            out[i] = sample_of(tags[i], dv)
        return [s for s in out if s is not None]

    # -- write --------------------------------------------------------------------------------------

    async def write(self, tag: str, value: Any) -> None:
        """Write one value as the node's own data type; :class:`WriteRefused` if it does not fit."""
        await self.write_many({tag: value})

    async def write_many(self, values: dict[str, Any]) -> None:
        """Write several values (chunked by MaxNodesPerWrite). All are checked before any is sent."""
        tags = list(values)
        facts = await self.node_facts(tags, properties=True)
        writes = []
        for tag, fact in zip(tags, facts, strict=True):
            if fact.access and "w" not in fact.access:
                raise WriteRefused(f"{tag} is read-only on the server")
            if fact.variant_type is None:
                raise WriteRefused(f"The data type {fact.data_type_name or '?'} of {tag} is not known; not written")
            value = coerce_value(values[tag], fact.variant_type, fact.value_rank, tag)
            if fact.eu_range and isinstance(value, int | float) and not isinstance(value, bool):
                lo, hi = fact.eu_range
                if not lo <= value <= hi:
                    raise WriteRefused(f"{_num(value)} is outside the range {_num(lo)}…{_num(hi)} of {tag}")
            # no SourceTimestamp: Siemens and Kepware refuse timestamps with BadWriteNotSupported
            dv = ua.DataValue(ua.Variant(value, fact.variant_type))
            writes.append(ua.WriteValue(NodeId=self.to_nodeid(tag), AttributeId=ua.AttributeIds.Value, Value=dv))
        failures = []
        for start in range(0, len(writes), self.limits.per_request("write")):
            chunk = writes[start:start + self.limits.per_request("write")]
            params = ua.WriteParameters(NodesToWrite=chunk)
            results = await self.request("Write", lambda p=params: self.uaclient.write(p))
            for tag, status in zip(tags[start:start + len(chunk)], results, strict=True):
                if not status.is_good():
                    failures.append(f"{tag}: {status.name} ({status.doc})")
        if failures:
            raise OpcUaError(f"{self.url} refused the write of " + "; ".join(failures))

    # -- methods -------------------------------------------------------------------------------------

    async def call(self, object_tag: str, method: str, args: Sequence[Any] = ()) -> list[Any]:
        """Call ``method`` (a tag or the browse name of a method of ``object_tag``) with arguments
        converted to the types its InputArguments declare; returns the output values."""
        (result,) = await self.call_many([(object_tag, method, args)])
        return result

    async def call_many(self, calls: Sequence[tuple[str, str, Sequence[Any]]]) -> list[list[Any]]:
        """Several method calls, chunked by MaxNodesPerMethodCall. Arguments are checked before sending."""
        requests, labels = [], []
        for object_tag, method, args in calls:
            obj = self.to_nodeid(object_tag)
            mid = await self._method_id(obj, method, object_tag)
            declared = await self._input_arguments(mid)
            label = f"{method} of {object_tag}"
            if len(args) != len(declared):
                wanted = ", ".join(
                    f"{a.Name or f'argument {k}'}: {self._type_names.get(a.DataType, '?')}"
                    for k, a in enumerate(declared, 1)
                )
                raise WriteRefused(f"{label} takes {len(declared)} argument(s) ({wanted}), {len(args)} given")
            variants = []
            for k, (arg, spec) in enumerate(zip(args, declared, strict=True), 1):
                vtype = self._variant_of(spec.DataType) or ua.VariantType.Variant
                value = coerce_value(arg, vtype, spec.ValueRank, f"argument '{spec.Name or k}' of {label}")
                variants.append(ua.Variant(value, vtype) if vtype != ua.VariantType.Variant else ua.Variant(value))
            requests.append(ua.CallMethodRequest(ObjectId=obj, MethodId=mid, InputArguments=variants))
            labels.append((label, declared))
        outputs: list[list[Any]] = []
        size = self.limits.per_request("call")
        for start in range(0, len(requests), size):
            chunk = requests[start:start + size]
            results = await self.request("Call", lambda c=list(chunk): self.uaclient.call(c))
            for (label, declared), result in zip(labels[start:start + len(chunk)], results, strict=True):
                arg_results = result.InputArgumentResults or []
                bad_args = [
                    f"'{spec.Name or k}' {status.name}"
                    for k, (spec, status) in enumerate(zip(declared, arg_results, strict=False), 1)
                    if not status.is_good()
                ]
                if not result.StatusCode.is_good():
                    detail = f" (arguments: {', '.join(bad_args)})" if bad_args else ""
                    raise OpcUaError(
                        f"{label} failed: {result.StatusCode.name} ({result.StatusCode.doc}){detail}",
                        result.StatusCode.name,
                    )
                outputs.append([v.Value for v in result.OutputArguments or []])
        return outputs

    async def _method_id(self, obj: ua.NodeId, method: str, object_tag: str) -> ua.NodeId:
        if "=" in method:
            return self.to_nodeid(method)
        key = (obj, method)
        if key not in self._methods:
            (refs,) = await self._browse([obj], class_mask=ua.NodeClass.Method)
            for ref in refs:
                self._methods[(obj, ref.BrowseName.Name)] = self._local(ref.NodeId)
                if ref.DisplayName and ref.DisplayName.Text:
                    self._methods.setdefault((obj, ref.DisplayName.Text), self._local(ref.NodeId))
        if key not in self._methods:
            known = sorted({name for (o, name) in self._methods if o == obj})
            raise DeviceError(f"{object_tag} has no method {method!r}; it has: {', '.join(known) or 'none'}")
        return self._methods[key]

    async def _input_arguments(self, mid: ua.NodeId) -> list[ua.Argument]:
        if mid not in self._arguments:
            path = ua.BrowsePath(
                StartingNode=mid,
                RelativePath=ua.RelativePath(
                    Elements=[
                        ua.RelativePathElement(
                            ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasProperty),
                            IsInverse=False,
                            IncludeSubtypes=True,
                            TargetName=ua.QualifiedName("InputArguments", 0),
                        )
                    ]
                ),
            )
            (target,) = await self._translate([path])
            declared: list[ua.Argument] = []
            if target is not None:
                (dv,) = await self._read_values([target])
                declared = list(dv.Value.Value or []) if dv.StatusCode.is_good() else []
            await self._resolve_types([a.DataType for a in declared])
            self._arguments[mid] = declared
        return self._arguments[mid]

    # -- history ---------------------------------------------------------------------------------------

    async def _history(self, nids: list[ua.NodeId], details: Any, max_values: int = 0) -> list[list[ua.DataValue]]:
        """HistoryRead of many nodes, chunked, following continuation points to the end (or ``max_values``)."""
        out: list[list[ua.DataValue]] = [[] for _ in nids]
        size = self.limits.per_request("history_read")
        for start in range(0, len(nids), size):
            pending = {start + k: b"" for k in range(len(nids[start:start + size]))}
            while pending:
                order = list(pending)
                params = ua.HistoryReadParameters(
                    HistoryReadDetails=details,
                    TimestampsToReturn=ua.TimestampsToReturn.Both,
                    ReleaseContinuationPoints=False,
                    NodesToRead=[ua.HistoryReadValueId(NodeId=nids[i], ContinuationPoint=pending[i] or None)
                                 for i in order],
                )
                results = await self.request("HistoryRead", lambda p=params: self.uaclient.history_read(p))
                pending, release = {}, []
                for i, result in zip(order, results, strict=True):
                    if not result.StatusCode.is_good():
                        raise describe_error(
                            uaerrors.UaStatusCodeError(result.StatusCode.value), self.url,
                            f"history read of {self.to_tag(nids[i])}",
                        )
                    out[i].extend(getattr(result.HistoryData, "DataValues", None) or [])
                    if result.ContinuationPoint:
                        if max_values and len(out[i]) >= max_values:
                            release.append((i, result.ContinuationPoint))
                        else:
                            pending[i] = result.ContinuationPoint
                if release:
                    params = ua.HistoryReadParameters(
                        HistoryReadDetails=details,
                        ReleaseContinuationPoints=True,
                        NodesToRead=[ua.HistoryReadValueId(NodeId=nids[i], ContinuationPoint=cp) for i, cp in release],
                    )
                    await self.request("HistoryRead", lambda p=params: self.uaclient.history_read(p))
        if max_values:
            out = [values[:max_values] for values in out]
        return out

    async def history_read_raw(
        self, tag: str, start: dt.datetime | int | float, end: dt.datetime | int | float, max_values: int = 0
    ) -> list[Sample]:
        """Stored values of ``tag`` between ``start`` and ``end`` (datetimes, or ns since the epoch)."""
        (values,) = (await self.history_read_raw_many([tag], start, end, max_values)).values()
        return values

    async def history_read_raw_many(
        self, tags: Sequence[str], start: dt.datetime | int | float, end: dt.datetime | int | float,
        max_values: int = 0,
    ) -> dict[str, list[Sample]]:
        details = ua.ReadRawModifiedDetails(
            IsReadModified=False,
            StartTime=_as_datetime(start),
            EndTime=_as_datetime(end),
            NumValuesPerNode=max_values,
            ReturnBounds=False,
        )
        nids = [self.to_nodeid(t) for t in tags]
        results = await self._history(nids, details, max_values)
        return {tag: [sample_of(tag, dv) for dv in dvs] for tag, dvs in zip(tags, results, strict=True)}

    async def history_read_processed(
        self,
        tag: str,
        start: dt.datetime | int | float,
        end: dt.datetime | int | float,
        interval: float,
        *,
        client_fallback: bool = True,
    ) -> list[Sample]:
        """Averages of ``tag`` over intervals of ``interval`` seconds.

        Asks the server for the Average aggregate; a server without aggregates (asyncua's own
        answers BadNotImplemented) gets the averages computed here from its raw history when
        ``client_fallback`` is set; those samples carry the status "ClientAverage".
        """
        t0, t1 = _as_datetime(start), _as_datetime(end)
        details = ua.ReadProcessedDetails(
            StartTime=t0,
            EndTime=t1,
            ProcessingInterval=interval * 1000.0,
            AggregateType=[ua.NodeId(ua.ObjectIds.AggregateFunction_Average)],
            AggregateConfiguration=ua.AggregateConfiguration(UseServerCapabilitiesDefaults=True),
        )
        try:
            (values,) = await self._history([self.to_nodeid(tag)], details)
            return [sample_of(tag, dv) for dv in values]
        except OpcUaError as exc:
            unsupported = {"BadNotImplemented", "BadHistoryOperationUnsupported", "BadAggregateNotSupported",
                           "BadAggregateListMismatch", "BadServiceUnsupported"}
            if not client_fallback or exc.status not in unsupported:
                raise
            _log.info("%s has no processed history (%s): averaging raw values here", self.url, exc.status)
        raw = await self.history_read_raw(tag, t0, t1)
        step = int(interval * 1e9)
        begin, stop = to_ns(t0), to_ns(t1)
        buckets: dict[int, list[float]] = collections.defaultdict(list)
        for s in raw:
            t = s.source_time or s.server_time
            if s.quality == GOOD and begin <= t < stop and isinstance(s.value, int | float):
                buckets[(t - begin) // step].append(float(s.value))
        out = []
        for k in range(max(0, math.ceil((stop - begin) / step))):
            vals = buckets.get(k)
            t = begin + k * step
            if vals:
                out.append(Sample(tag, sum(vals) / len(vals), GOOD, t, t, "ClientAverage"))
            else:
                out.append(Sample(tag, None, BAD, t, t, "BadNoData"))
        return out

