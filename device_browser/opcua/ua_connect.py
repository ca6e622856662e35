"""Opening an OPC UA connection: asyncua's client set up as Millwright wants it, security, server facts.

* :func:`new_client` — identity (user name and password, X.509 user certificate), our
  application description, a 60 s session timeout instead of asyncua's hour, asyncua's own
  supervision switched off (the session's supervisor watches the connection).
* :func:`secure` — the server certificate checked against our trust store (trust on first use)
  before anything is sent on a secured channel.
* :func:`read_server_facts` — the namespace table and the OperationLimits, once per connection.

What opening a connection needs of the session is :class:`Opening` (a Protocol, so that this
module does not import ``client.py``, which imports it).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from asyncua import Client, ua
from cryptography.hazmat.primitives.serialization import Encoding

from device_browser.opcua.security import (
    ApplicationCertificate,
    CertInfo,
    Decide,
    TrustStore,
    fingerprint,
    load_der_or_pem,
    load_password,
    workbench_application_uri,
)
from device_browser.opcua.ua_connection import LIMIT_NODES, OperationLimits, UaConnection
from device_browser.opcua.ua_discovery import MODES, POLICIES, endpoint_of
from device_browser.opcua.ua_errors import OpcUaError, describe_error
from device_browser.opcua.ua_requests import read_values
from device_browser.opcua.ua_supervisor import own_the_connection
from device_browser.session import DeviceError

_log = logging.getLogger("device_browser.opcua.client")


class Opening(Protocol):
    """What :func:`new_client` and :func:`secure` use of the session (an ``OpcUaSession``)."""

    url: str
    timeout: float
    session_timeout: float
    policy: str
    mode: str
    user: str | None
    _password: str | None  # as given to the session; None: from the keyring
    user_certificate: Path | None
    user_private_key: Path | None
    pki_dir: Path
    trust_store: TrustStore
    decide: Decide | None
    warnings: list[str]
    own_certificate: ApplicationCertificate | None
    server_certificate: CertInfo | None


async def new_client(session: Opening) -> Client:
    """A connected asyncua client with an activated session, or :class:`DeviceError` saying why not."""
    client = Client(session.url, timeout=session.timeout, watchdog_intervall=3600.0)
    client.session_timeout = int(session.session_timeout * 1000)
    client.name = client.description = "Millwright"
    client.product_uri = "urn:millwright:workbench"
    client.application_uri = workbench_application_uri()
    own_fp = ""
    try:
        if session.policy != "None":
            own_fp = await secure(session, client)
        elif session.user:
            warning = (
                f"Security None: the password of '{session.user}' travels in clear text to {session.url}. "
                "Use a secured endpoint (Basic256Sha256, SignAndEncrypt) on shared networks."
            )
            if warning not in session.warnings:
                session.warnings.append(warning)
            _log.warning(warning)
        if session.user:
            password = session._password
            if password is None:
                password = load_password(session.url, session.user)
            if password is None:
                raise DeviceError(f"No password for user '{session.user}' on {session.url}: enter it once "
                                  "(it can be kept in the system keyring)")
            client.set_user(session.user)
            client.set_password(password)
        if session.user_certificate:
            await client.load_client_certificate(str(session.user_certificate))
            await client.load_private_key(Path(session.user_private_key or session.user_certificate))
        await asyncio.wait_for(client.connect(), session.timeout)
        own_the_connection(client)
    except BaseException as exc:
        client.disconnect_socket()
        if isinstance(exc, Exception):
            raise describe_error(exc, session.url, "connect", timeout=session.timeout, user=session.user,
                                 user_certificate=session.user_certificate, own_fp=own_fp) from exc
        raise
    return client


async def secure(session: Opening, client: Client) -> str:
    """Check the server certificate (trust on first use) and set up the secure channel."""
    own = session.own_certificate = ApplicationCertificate.ensure(session.pki_dir)
    client.application_uri = own.application_uri
    try:
        raw = await asyncio.wait_for(client.connect_and_get_server_endpoints(), session.timeout)
    except Exception as exc:
        client.disconnect_socket()
        raise describe_error(exc, session.url, "discovery", timeout=session.timeout) from exc
    policy_uri, mode = POLICIES[session.policy].URI, MODES[session.mode]
    chosen = next((ep for ep in raw if ep.SecurityPolicyUri == policy_uri and ep.SecurityMode == mode), None)
    if chosen is None:
        offered = ", ".join(sorted({f"{e.policy}/{e.mode}" for e in map(endpoint_of, raw)}))
        raise OpcUaError(f"{session.url} offers no endpoint with {session.policy}/{session.mode}; "
                         f"it offers {offered}")
    if not chosen.ServerCertificate:
        raise OpcUaError(f"{session.url} offers {session.policy}/{session.mode} without a server certificate")
    server_der = load_der_or_pem(chosen.ServerCertificate).public_bytes(Encoding.DER)
    session.server_certificate = await session.trust_store.check(session.url, server_der, session.decide)
    await client.set_security(
        POLICIES[session.policy], own.cert_path, own.key_path, server_certificate=server_der, mode=mode
    )
    client.certificate_validator = session.trust_store.validator()
    return fingerprint(own.certificate)


async def read_server_facts(session: UaConnection) -> None:
    """Namespace table and OperationLimits, read once per connection."""
    ids = [ua.NodeId(ua.ObjectIds.Server_NamespaceArray)] + [ua.NodeId(i) for i in LIMIT_NODES.values()]
    session.limits = OperationLimits(**{k: v for k, v in session.limits_override.items() if k in LIMIT_NODES})
    try:
        values = await read_values(session, ids)
    except OpcUaError as exc:  # a server that takes fewer nodes per read than we ask here
        if exc.status != "BadTooManyOperations":
            raise
        session.limits = OperationLimits(read=1)
        values = await read_values(session, ids)
    uris = values[0].Value.Value if values[0].StatusCode.is_good() else []
    session.set_namespace_table(uris)  # a restarted server may number its namespaces anew: caches emptied
    stated = {}
    for name, dv in zip(LIMIT_NODES, values[1:], strict=True):
        ok = dv.StatusCode.is_good() and isinstance(dv.Value.Value, int)
        stated[name] = int(dv.Value.Value) if ok else 0
    for name, mine in session.limits_override.items():
        if name in stated:
            stated[name] = min(stated[name], mine) if stated[name] else mine
    session.limits = OperationLimits(**stated)
    _log.info("%s: OperationLimits %s", session.url, session.limits)
