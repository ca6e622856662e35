"""The runtime's own OPC UA server: the app's outputs with units, quality and source times, secure by default.

What a client finds (namespace ``urn:millwright:app:<app id>``, string NodeIds, so
``nsu=urn:millwright:app:<id>;s=Outputs.efficiency`` survives a change of namespace index):

* ``Objects/<app id>`` (``s=App``): DisplayName the app's English name, Description its description,
  properties ``AppId``, ``Version`` and ``NameZh`` (asyncua serves one locale per attribute, so the
  Chinese name is a LocalizedText property of its own).
* ``Outputs`` (``s=Outputs``): one variable per manifest output (``s=Outputs.<name>``), Double
  (``BaseAnalogType`` with the ``EngineeringUnits`` property: UNECE code, symbol) or Boolean, with the
  manifest's description. Each tick writes the latest sample: StatusCode Good, Uncertain or Bad from
  the sample's quality, SourceTimestamp the sample's time, ServerTimestamp now. Before the first
  tick an output is ``BadWaitingForInitialData``; a bad output has no value (OPC UA Part 4, 7.7.1).
* ``Status`` (``s=Status``): ``LastError`` (String) and one String per device under
  ``Status/Devices`` (``s=Status.Devices.<device>``: ``connected``, ``disconnected``, …), written by
  :meth:`OpcUaOutputServer.set_status`.

Security, as an OPC UA integrator expects of a server on a plant network:

* Endpoints Basic256Sha256, Aes128Sha256RsaOaep and Aes256Sha256RsaPss, all in SignAndEncrypt
  (``SecurityMode.SIGN`` for sign-only clients); security None only when asked for by name
  (``SecurityMode.NONE``, for labs and tests), logged as a warning, since passwords then travel in
  clear text.
* No anonymous sessions (``allow_anonymous`` opens them, with a warning). Users with passwords come
  from the environment (``MILLWRIGHT_OPCUA_USER`` and ``MILLWRIGHT_OPCUA_PASSWORD``) and from a
  mounted users file (``name:password`` per line, ``#`` comments; a Kubernetes Secret), never from
  the bindings. A server with neither users nor anonymous access refuses to start.
* The server's application instance certificate is made once in ``data_dir/pki/own`` (a data
  volume) and kept across restarts and expiry: every client that trusts it would otherwise have
  to trust a new one. Its application URI defaults to ``urn:millwright:runtime:<app id>``,
  independent of the host name (a pod's name changes with each restart).
* Client application certificates are trusted from ``trust_dir`` (default ``data_dir/pki/trusted``;
  any ``.der``/``.pem``/``.crt``/``.cer`` file, read at each connection). An unknown one is refused
  (``BadCertificateUntrusted``) and copied to ``data_dir/pki/rejected`` so that an administrator can
  move it to the trusted folder, as UA servers do. ``auto_trust_clients`` trusts each new client
  on first use (a warning names it): for commissioning only.
"""

from __future__ import annotations

import asyncio
import enum
import hmac
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from asyncua import Server, ua
from asyncua.common.node import Node
from asyncua.common.utils import ServiceError
from asyncua.crypto.permission_rules import User, UserRole
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from app_packager.errors import AppError
from app_packager.manifest import AppManifest
from device_browser.opcua.security import ApplicationCertificate, CertInfo, fingerprint, load_der_or_pem
from device_browser.units import UNECE_NAMESPACE, display_symbol, unece_code, unece_unit_id
from nodes.atomic_file import atomic_write_bytes
from nodes.chunk import Chunk, Quality

_log = logging.getLogger(__name__)

USER_ENV, PASSWORD_ENV = "MILLWRIGHT_OPCUA_USER", "MILLWRIGHT_OPCUA_PASSWORD"
ENDPOINT_PATH = "/millwright/app/"
# A write notifies every subscriber on the spot (~0.06 ms per monitored item with asyncua 2.1: 60 ms for
# 1,000 monitored outputs): let the device sessions and the other sinks run in between.
WRITES_BETWEEN_YIELDS = 200
STOP_TIMEOUT = 5.0  # seconds: the runtime must end within 5 s of SIGTERM
_CERT_SUFFIXES = (".der", ".pem", ".crt", ".cer")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STATUS = {Quality.GOOD: ua.StatusCodes.Good, Quality.UNCERTAIN: ua.StatusCodes.Uncertain,
           Quality.BAD: ua.StatusCodes.Bad}


class OpcUaServerError(AppError):
    """The runtime's OPC UA server cannot start as configured; the message says what to change."""


class SecurityMode(enum.Enum):
    SIGN_AND_ENCRYPT = "SignAndEncrypt"
    SIGN = "Sign"
    NONE = "None"  # labs and tests only

    @property
    def policies(self) -> list[ua.SecurityPolicyType]:
        if self is SecurityMode.NONE:
            return [ua.SecurityPolicyType.NoSecurity]
        suffix = "_SignAndEncrypt" if self is SecurityMode.SIGN_AND_ENCRYPT else "_Sign"
        return [getattr(ua.SecurityPolicyType, name + suffix)
                for name in ("Basic256Sha256", "Aes128Sha256RsaOaep", "Aes256Sha256RsaPss")]


@dataclass(frozen=True)
class OpcUaServerConfig:
    """Where and how the runtime serves its outputs; see the module docstring for the security choices."""

    data_dir: Path  # a data volume: the server's certificate lives in data_dir/pki
    host: str = "0.0.0.0"  # all interfaces: the server exists to be reached from the plant network
    port: int = 4840
    users_file: Path | None = None
    security: SecurityMode = SecurityMode.SIGN_AND_ENCRYPT
    trust_dir: Path | None = None  # trusted client certificates; default data_dir/pki/trusted
    auto_trust_clients: bool = False
    allow_anonymous: bool = False
    application_uri: str = ""  # default urn:millwright:runtime:<app id>

    @property
    def endpoint_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"opc.tcp://{host}:{self.port}{ENDPOINT_PATH}"

    @property
    def pki_dir(self) -> Path:
        return Path(self.data_dir) / "pki"

    @property
    def trusted_clients_dir(self) -> Path:
        return Path(self.trust_dir) if self.trust_dir else self.pki_dir / "trusted"

    @property
    def rejected_clients_dir(self) -> Path:
        return self.pki_dir / "rejected"


def load_users(config: OpcUaServerConfig, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """User names and passwords from the environment and the users file; a malformed line names itself."""
    environ = os.environ if environ is None else environ
    users: dict[str, str] = {}
    if config.users_file is not None:
        path = Path(config.users_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise OpcUaServerError(f"The OPC UA users file {path} cannot be read: {exc.strerror}") from exc
        for number, line in enumerate(lines, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, colon, password = line.partition(":")
            if not colon or not name.strip() or not password:
                raise OpcUaServerError(f"{path}, line {number}: expected 'name:password'")
            users[name.strip()] = password
    if environ.get(USER_ENV):
        if not environ.get(PASSWORD_ENV):
            raise OpcUaServerError(f"{USER_ENV} is set but {PASSWORD_ENV} is not: give the user a password")
        users[environ[USER_ENV]] = environ[PASSWORD_ENV]
    return users


class RuntimeCertificate(ApplicationCertificate):
    """The server's application instance certificate in ``pki_dir/own`` (made once, then kept)."""

    file_stem = "runtime"

    def __init__(self, pki_dir: Path, application_uri: str):
        super().__init__(pki_dir)
        self._uri = application_uri

    def identity(self, hostname: str) -> tuple[str, list[x509.GeneralName], list[x509.ObjectIdentifier]]:
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(self._uri), x509.DNSName(hostname),
                                         x509.DNSName("localhost")]
        return (f"Millwright runtime@{hostname}", list(dict.fromkeys(names)),
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])


class _Users:
    """asyncua's user manager: the configured users, anonymous only when allowed, never an admin."""

    def __init__(self, users: Mapping[str, str], allow_anonymous: bool):
        self._users = dict(users)
        self._allow_anonymous = allow_anonymous

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:
        if username is None:
            return User(role=UserRole.User, name="anonymous") if self._allow_anonymous else None
        expected = self._users.get(username)
        if expected is None or not hmac.compare_digest(expected.encode(), (password or "").encode()):
            _log.warning("OPC UA server refused user %r: unknown user or wrong password", username)
            return None
        return User(role=UserRole.User, name=username)


class _ClientTrust:
    """Client application certificates: trusted from a folder, unknown ones refused and kept for review."""

    def __init__(self, config: OpcUaServerConfig):
        self._trusted = config.trusted_clients_dir
        self._rejected = config.rejected_clients_dir
        self._auto = config.auto_trust_clients

    def _trusted_ders(self) -> set[bytes]:
        found = set()
        for path in self._trusted.glob("*"):
            if path.suffix.lower() in _CERT_SUFFIXES:
                try:
                    found.add(load_der_or_pem(path.read_bytes()).public_bytes(serialization.Encoding.DER))
                except (OSError, ValueError) as exc:
                    _log.warning("Skipped the unreadable client certificate %s: %s", path, exc)
        return found

    async def validate(self, cert: x509.Certificate, _app: ua.ApplicationDescription) -> None:
        info = CertInfo.of(cert)
        if info.expired or info.not_yet_valid:
            raise ServiceError(ua.StatusCodes.BadCertificateTimeInvalid)
        if info.der in self._trusted_ders():
            return
        name = f"{fingerprint(info.der).replace(':', '')}.der"
        folder = self._trusted if self._auto else self._rejected
        folder.mkdir(parents=True, exist_ok=True)
        if self._auto:
            atomic_write_bytes(self._trusted / name, info.der)
            _log.warning("OPC UA server trusted a new client on first use: %s", info.describe())
            return
        atomic_write_bytes(self._rejected / name, info.der)
        _log.warning("OPC UA server refused an untrusted client: %s; move %s to %s to trust it",
                     info.describe(), self._rejected / name, self._trusted)
        raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)


def engineering_units(symbol: str) -> ua.EUInformation:
    """EUInformation of a unit as Millwright writes it (``m^3/h``): UNECE UnitId, the symbol engineers read."""
    return ua.EUInformation(NamespaceUri=UNECE_NAMESPACE, UnitId=unece_unit_id(unece_code(symbol)),
                            DisplayName=ua.LocalizedText(display_symbol(symbol), "en"))


class OutputValue(ua.DataValue):
    """A DataValue made for one write of an output and never changed afterwards.

    asyncua deep-copies each written value once per monitored item (to compare the next one
    against); with 1,000 outputs at 10 Hz that copying was a fifth of the runtime's CPU. A copy of
    a value nobody changes is the value itself. Encoding follows the declared field type
    (DataValue), so clients see an ordinary DataValue.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> OutputValue:
        return self


def data_value(chunk: Chunk, vtype: ua.VariantType, now: datetime) -> ua.DataValue:
    """The latest sample of ``chunk`` as a DataValue: quality as StatusCode, sample time as SourceTimestamp."""
    value = chunk.v[-1]
    python_value = bool(value) if vtype == ua.VariantType.Boolean else float(value)
    source = _EPOCH + timedelta(microseconds=int(chunk.t[-1]) // 1000)
    return OutputValue(ua.Variant(python_value, vtype), ua.StatusCode(_STATUS[Quality(int(chunk.q[-1]))]),
                        SourceTimestamp=source, ServerTimestamp=now)


class OpcUaOutputServer:
    """An :class:`~app_packager.runtime.sinks.OutputSink` serving the app's outputs over OPC UA."""

    def __init__(self, manifest: AppManifest, config: OpcUaServerConfig):
        self.manifest = manifest
        self.config = config
        self.namespace_uri = f"urn:millwright:app:{manifest.id}"
        self.application_uri = config.application_uri or f"urn:millwright:runtime:{manifest.id}"
        self.certificate: RuntimeCertificate | None = None
        self.namespace_index = 0
        self._server: Server | None = None
        self._outputs: dict[str, tuple[ua.NodeId, ua.VariantType]] = {}
        self._devices: dict[str, ua.NodeId] = {}
        self._device_states: dict[str, str] = {}
        self._last_error_text = ""
        self._status_dirty = False
        self._status_task: asyncio.Task[None] | None = None

    @property
    def endpoint_url(self) -> str:
        return self.config.endpoint_url

    def _nid(self, name: str) -> ua.NodeId:
        return ua.NodeId(name, self.namespace_index)

    async def start(self) -> None:
        """Check users and certificate (before asyncua's second-long set-up), build the address space, listen."""
        users = load_users(self.config)
        if not users and not self.config.allow_anonymous:
            raise OpcUaServerError(
                f"No OPC UA users: set {USER_ENV} and {PASSWORD_ENV}, or mount a users file ('name:password' "
                "per line); anonymous access is off")
        if self.config.security is not SecurityMode.NONE:
            self.certificate = await self._own_certificate()
        server = Server(user_manager=_Users(users, self.config.allow_anonymous))
        await server.init()
        server.set_endpoint(self.config.endpoint_url)
        server.set_server_name(f"Millwright runtime: {self.manifest.name.en}")
        server.product_uri = "urn:millwright:runtime"
        server.manufacturer_name = "Millwright"
        await server.set_application_uri(self.application_uri)
        server.allow_remote_admin(False)
        await self._secure(server)
        self.namespace_index = await server.register_namespace(self.namespace_uri)
        await self._build_address_space(server)
        await server.start()
        self._server = server
        self._schedule_status()
        _log.info("OPC UA server listening on %s (%s)", self.config.endpoint_url, self.config.security.value)

    async def _own_certificate(self) -> RuntimeCertificate:
        own = RuntimeCertificate(self.config.pki_dir, self.application_uri)
        await asyncio.to_thread(own.load_or_create)
        if own.application_uri != self.application_uri:
            raise OpcUaServerError(
                f"The certificate in {own.cert_path} is for {own.application_uri}, not {self.application_uri}: "
                "give this app a data folder of its own, or set the application URI to the certificate's")
        return own

    async def _secure(self, server: Server) -> None:
        config = self.config
        tokens: list[type] = [ua.UserNameIdentityToken]
        if config.allow_anonymous:
            _log.warning("OPC UA server accepts anonymous clients: every client may read the app's outputs")
            tokens.append(ua.AnonymousIdentityToken)
        server.set_identity_tokens(tokens)
        server.set_security_policy(config.security.policies)
        if self.certificate is None:
            _log.warning("OPC UA server runs without security: traffic and passwords travel in clear text")
            return
        await server.load_certificate(str(self.certificate.cert_path))
        await server.load_private_key(str(self.certificate.key_path))
        server.set_certificate_validator(_ClientTrust(config).validate)

    async def _build_address_space(self, server: Server) -> None:
        manifest = self.manifest
        app = await server.nodes.objects.add_object(self._nid("App"), ua.QualifiedName(manifest.id,
                                                                                        self.namespace_index))
        await app.write_attribute(ua.AttributeIds.DisplayName, ua.DataValue(ua.Variant(
            ua.LocalizedText(manifest.name.en, "en"))))
        if manifest.description:
            await _describe(app, manifest.description.en)
        for prop, value in (("AppId", manifest.id), ("Version", manifest.version)):
            await app.add_property(self._nid(f"App.{prop}"), ua.QualifiedName(prop, self.namespace_index), value,
                                   ua.VariantType.String)
        if manifest.name.zh:
            await app.add_property(self._nid("App.NameZh"), ua.QualifiedName("NameZh", self.namespace_index),
                                   ua.LocalizedText(manifest.name.zh, "zh-CN"), ua.VariantType.LocalizedText)
        outputs = await app.add_folder(self._nid("Outputs"), ua.QualifiedName("Outputs", self.namespace_index))
        await self._add_outputs(server, outputs)
        status = await app.add_object(self._nid("Status"), ua.QualifiedName("Status", self.namespace_index))
        self._last_error = await status.add_variable(self._nid("Status.LastError"),
                                                     ua.QualifiedName("LastError", self.namespace_index), "",
                                                     ua.VariantType.String)
        self._device_folder = await status.add_folder(self._nid("Status.Devices"),
                                                      ua.QualifiedName("Devices", self.namespace_index))

    async def _add_outputs(self, server: Server, folder: Node) -> None:
        """All output variables and their units in one AddNodes call (1,000 outputs start in a blink)."""
        items = []
        for name, output in self.manifest.outputs.items():
            boolean = output.kind == "boolean"
            vtype = ua.VariantType.Boolean if boolean else ua.VariantType.Double
            nodeid = self._nid(f"Outputs.{name}")
            typedef = ua.ObjectIds.BaseDataVariableType if boolean else ua.ObjectIds.BaseAnalogType
            attrs = ua.VariableAttributes(
                DisplayName=ua.LocalizedText(name), DataType=ua.NodeId(vtype.value),
                Value=ua.Variant(False if boolean else 0.0, vtype),
                ValueRank=ua.ValueRank.Scalar, AccessLevel=ua.AccessLevel.CurrentRead.mask,
                UserAccessLevel=ua.AccessLevel.CurrentRead.mask,
                Description=ua.LocalizedText(output.description.en if output.description else "", "en"))
            items.append(ua.AddNodesItem(
                RequestedNewNodeId=nodeid, BrowseName=ua.QualifiedName(name, self.namespace_index),
                NodeClass=ua.NodeClass.Variable, ParentNodeId=folder.nodeid,
                ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasComponent), TypeDefinition=ua.NodeId(typedef),
                NodeAttributes=attrs))
            if output.unit and not boolean:
                items.append(self._units_item(nodeid, output.unit))
            self._outputs[name] = (nodeid, vtype)
        for result in await server.iserver.isession.add_nodes(items):
            result.StatusCode.check()
        waiting = ua.DataValue(ua.Variant(None, ua.VariantType.Null),
                               ua.StatusCode(ua.StatusCodes.BadWaitingForInitialData))
        for nodeid, _ in self._outputs.values():
            await server.write_attribute_value(nodeid, waiting)

    def _units_item(self, variable: ua.NodeId, unit: str) -> ua.AddNodesItem:
        attrs = ua.VariableAttributes(
            DisplayName=ua.LocalizedText("EngineeringUnits"), DataType=ua.NodeId(ua.ObjectIds.EUInformation),
            Value=ua.Variant(engineering_units(unit), ua.VariantType.ExtensionObject), ValueRank=ua.ValueRank.Scalar,
            AccessLevel=ua.AccessLevel.CurrentRead.mask, UserAccessLevel=ua.AccessLevel.CurrentRead.mask)
        return ua.AddNodesItem(
            RequestedNewNodeId=self._nid(f"{variable.Identifier}.EngineeringUnits"),
            BrowseName=ua.QualifiedName("EngineeringUnits", 0), NodeClass=ua.NodeClass.Variable,
            ParentNodeId=variable, ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasProperty),
            TypeDefinition=ua.NodeId(ua.ObjectIds.PropertyType), NodeAttributes=attrs)

    async def publish(self, outputs: Mapping[str, Chunk]) -> None:
        """Write the latest sample of each output that produced any in this tick."""
        server = self._require_server()
        now = datetime.now(UTC)
        for count, (name, chunk) in enumerate(outputs.items(), 1):
            target = self._outputs.get(name)
            if target is not None and len(chunk):
                nodeid, vtype = target
                await server.write_attribute_value(nodeid, data_value(chunk, vtype, now))
            if count % WRITES_BETWEEN_YIELDS == 0:
                await asyncio.sleep(0)

    def set_status(self, devices: Mapping[str, str] | None = None, last_error: str | None = None) -> None:
        """Show device connection states (device -> ``connected``, ``disconnected``, …) and the last error.

        Callable from the device layer's synchronous status callbacks, before ``start`` too: the
        values are kept here and written to the address space by a task of this server.
        """
        self._device_states.update(devices or {})
        if last_error is not None:
            self._last_error_text = last_error
        self._status_dirty = True
        self._schedule_status()

    def _schedule_status(self) -> None:
        if self._server is not None and (self._status_task is None or self._status_task.done()):
            self._status_task = asyncio.get_running_loop().create_task(self._write_status(self._server))

    async def _write_status(self, server: Server) -> None:
        try:
            while self._status_dirty:
                self._status_dirty = False
                for device, state in list(self._device_states.items()):
                    nodeid = self._devices.get(device)
                    if nodeid is None:
                        nodeid = self._devices[device] = self._nid(f"Status.Devices.{device}")
                        await self._device_folder.add_variable(
                            nodeid, ua.QualifiedName(device, self.namespace_index), state, ua.VariantType.String)
                    await server.write_attribute_value(nodeid, ua.DataValue(ua.Variant(state, ua.VariantType.String)))
                await server.write_attribute_value(self._last_error.nodeid, ua.DataValue(
                    ua.Variant(self._last_error_text, ua.VariantType.String)))
        except Exception:  # noqa: BLE001 - the status is informative; the outputs must go on
            _log.exception("OPC UA server could not show the runtime's status")

    def _require_server(self) -> Server:
        if self._server is None:
            raise RuntimeError("the OPC UA server is not started")
        return self._server

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        if self._status_task is not None:
            self._status_task.cancel()
        try:
            await asyncio.wait_for(server.stop(), STOP_TIMEOUT)
        except TimeoutError:
            _log.warning("OPC UA server did not stop within %g s; its connections were dropped", STOP_TIMEOUT)


async def _describe(node: Node, text: str) -> None:
    await node.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(ua.LocalizedText(text, "en"))))


async def publish_seconds(server: OpcUaOutputServer, ticks: int = 20) -> float:
    """Median seconds one :meth:`~OpcUaOutputServer.publish` of a sample of every output takes (benchmark hook)."""
    names = list(server.manifest.outputs)
    durations = []
    for tick in range(ticks):
        t = np.array([time.time_ns()], np.int64)
        chunks = {name: Chunk.of(t, [float(tick + i)]) for i, name in enumerate(names)}
        began = time.perf_counter()
        await server.publish(chunks)
        durations.append(time.perf_counter() - began)
    return float(np.median(durations))
