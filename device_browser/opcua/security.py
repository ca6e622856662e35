"""OPC UA security: Millwright's application certificate, the trust store of servers, passwords.

* :class:`ApplicationCertificate` — our application instance certificate, created once with
  ``cryptography`` under the PKI folder and then kept (never silently regenerated: every PLC
  that trusts it would have to trust a new one). Its application URI is read back from the
  certificate, so the client's ``application_uri`` always equals it; its expiry is reported.
* :class:`TrustStore` — server certificates we trust (``trusted/``) or refused (``rejected/``),
  named by SHA-256 fingerprint. Trust on first use goes through an async ``decide(info)``
  callback that the UI implements; a server whose certificate *changed* is refused outright.
* :func:`save_password` / :func:`load_password` — passwords live in the OS keyring under the
  service ``millwright-opcua``, keyed by endpoint and user, never in project files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import keyring
import keyring.errors
import platformdirs
from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen
from asyncua.crypto.uacrypto import x509_from_der
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from device_browser.session import DeviceError

_log = logging.getLogger(__name__)

KEYRING_SERVICE = "millwright-opcua"
DEFAULT_VALIDITY_DAYS = 5 * 365
EXPIRY_WARNING_DAYS = 60


def default_pki_dir() -> Path:
    """Where Millwright keeps its certificate and trust store unless told otherwise."""
    return Path(platformdirs.user_data_dir("millwright")) / "pki"


def workbench_application_uri(hostname: str | None = None) -> str:
    return f"urn:millwright:workbench:{hostname or socket.gethostname()}"


# --- certificate facts ------------------------------------------------------------------------


def fingerprint(cert: x509.Certificate | bytes) -> str:
    """SHA-256 fingerprint as lower-case hex pairs: ``ab:cd:…``."""
    der = cert if isinstance(cert, bytes) else cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).digest().hex(":")


def _short(fp: str) -> str:
    """The first bytes of a fingerprint, enough to tell two certificates apart in a message."""
    return fp[:23] + "…"


def _cert_uris(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return list(san.value.get_values_for_type(x509.UniformResourceIdentifier))


def load_der_or_pem(data: bytes) -> x509.Certificate:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509_from_der(data)  # servers may send the certificate followed by its chain: the first one


@dataclass(frozen=True)
class CertInfo:
    """What a person needs to decide about a certificate (shown by the UI's trust dialog)."""

    subject: str
    application_uri: str
    fingerprint: str  # SHA-256, "ab:cd:…"
    not_before: dt.datetime
    not_after: dt.datetime
    url: str = ""  # the endpoint where we met it, for server certificates
    der: bytes = field(default=b"", repr=False)

    @classmethod
    def of(cls, cert: x509.Certificate | bytes, url: str = "") -> CertInfo:
        if isinstance(cert, bytes):
            cert = load_der_or_pem(cert)
        uris = _cert_uris(cert)
        return cls(
            subject=cert.subject.rfc4514_string(),
            application_uri=uris[0] if uris else "",
            fingerprint=fingerprint(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            url=url,
            der=cert.public_bytes(serialization.Encoding.DER),
        )

    @property
    def expired(self) -> bool:
        return self.not_after < dt.datetime.now(dt.UTC)

    @property
    def not_yet_valid(self) -> bool:
        return self.not_before > dt.datetime.now(dt.UTC)

    @property
    def days_left(self) -> int:
        return (self.not_after - dt.datetime.now(dt.UTC)).days

    def describe(self) -> str:
        return (
            f"{self.subject} ({self.application_uri or 'no application URI'}), SHA-256 {self.fingerprint}, "
            f"valid {self.not_before:%Y-%m-%d} to {self.not_after:%Y-%m-%d}"
        )


# --- our application instance certificate -----------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret readable by the owner only (mode 0o600 from the first byte on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class ApplicationCertificate:
    """Millwright's application instance certificate and private key on disk.

    ``ApplicationCertificate.ensure(pki_dir)`` creates them on first use and afterwards only
    loads them, even when expired or when the host was renamed: a new certificate has to be
    trusted again by every server, so it is made only on request (:meth:`renew`).
    """

    def __init__(self, pki_dir: Path):
        self.pki_dir = Path(pki_dir)
        self.cert_path = self.pki_dir / "own" / "certs" / "millwright.der"
        self.key_path = self.pki_dir / "own" / "private" / "millwright.pem"
        self.certificate: x509.Certificate | None = None

    @classmethod
    def ensure(
        cls, pki_dir: Path | None = None, hostname: str | None = None, days: int = DEFAULT_VALIDITY_DAYS
    ) -> ApplicationCertificate:
        own = cls(pki_dir or default_pki_dir())
        if own.cert_path.is_file() and own.key_path.is_file():
            own.certificate = x509.load_der_x509_certificate(own.cert_path.read_bytes())
            info = own.info
            if info.expired:
                _log.warning("Millwright's OPC UA certificate expired on %s; renew it", f"{info.not_after:%Y-%m-%d}")
            elif info.days_left < EXPIRY_WARNING_DAYS:
                _log.warning("Millwright's OPC UA certificate expires in %d days", info.days_left)
        else:
            own.renew(hostname, days)
        return own

    def renew(self, hostname: str | None = None, days: int = DEFAULT_VALIDITY_DAYS) -> None:
        """Make a new key and certificate (servers must then trust the new one)."""
        hostname = hostname or socket.gethostname()
        uri = workbench_application_uri(hostname)
        key = cert_gen.generate_private_key()
        cert = cert_gen.generate_self_signed_app_certificate(
            key,
            f"Millwright@{hostname}",
            {"organizationName": "Millwright"},
            [x509.UniformResourceIdentifier(uri), x509.DNSName(hostname)],
            extended=[ExtendedKeyUsageOID.CLIENT_AUTH],
            days=days,
        )
        self.pki_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.pki_dir, 0o700)
        _write_private(self.key_path, cert_gen.dump_private_key_as_pem(key))
        self.cert_path.parent.mkdir(parents=True, exist_ok=True)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
        self.certificate = cert
        _log.info("Created Millwright's OPC UA certificate %s", fingerprint(cert))

    @property
    def info(self) -> CertInfo:
        assert self.certificate is not None
        return CertInfo.of(self.certificate)

    @property
    def application_uri(self) -> str:
        """The URI inside the certificate: the client must announce exactly this one."""
        return self.info.application_uri

    @property
    def not_after(self) -> dt.datetime:
        return self.info.not_after

    @property
    def common_name(self) -> str:
        assert self.certificate is not None
        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else "Millwright"


# --- the trust store of server certificates ---------------------------------------------------


class CertificateRejected(DeviceError):
    """A server certificate we do not trust (declined, unknown without a way to ask, expired)."""

    def __init__(self, message: str, info: CertInfo | None = None):
        super().__init__(message)
        self.info = info


class CertificateChanged(CertificateRejected):
    """A server we trusted before presents another certificate."""

    def __init__(self, message: str, info: CertInfo, previous: str):
        super().__init__(message, info)
        self.previous = previous  # fingerprint we trusted


Decide = Callable[[CertInfo], Awaitable[bool]]


def _server_key(url: str) -> str:
    """Endpoint URL reduced to what identifies a server: scheme, host and port."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    return f"{parsed.scheme or 'opc.tcp'}://{host}:{parsed.port or 4840}"


class TrustStore:
    """Server certificates on disk: ``trusted/`` and ``rejected/``, files named by fingerprint.

    Each trusted certificate ``<sha256>.der`` has a ``<sha256>.json`` beside it recording the
    endpoints (host:port) and application URI it was trusted for; another certificate at one of
    those endpoints is a changed certificate.
    """

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder or default_pki_dir())
        self.trusted_dir = self.folder / "trusted"
        self.rejected_dir = self.folder / "rejected"

    @staticmethod
    def _name(fp: str) -> str:
        return fp.replace(":", "")

    def _meta(self, fp: str) -> dict:
        path = self.trusted_dir / f"{self._name(fp)}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def is_trusted(self, cert: x509.Certificate | bytes) -> bool:
        return (self.trusted_dir / f"{self._name(fingerprint(cert))}.der").is_file()

    def trusted(self) -> list[CertInfo]:
        out = []
        for path in sorted(self.trusted_dir.glob("*.der")):
            meta = self._meta(fingerprint(path.read_bytes()))
            out.append(CertInfo.of(path.read_bytes(), url=", ".join(meta.get("urls", []))))
        return out

    def rejected(self) -> list[CertInfo]:
        return [CertInfo.of(p.read_bytes()) for p in sorted(self.rejected_dir.glob("*.der"))]

    def trust(self, info: CertInfo) -> None:
        self.trusted_dir.mkdir(parents=True, exist_ok=True)
        name = self._name(info.fingerprint)
        (self.trusted_dir / f"{name}.der").write_bytes(info.der)
        meta = self._meta(info.fingerprint)
        urls = set(meta.get("urls", []))
        if info.url:
            urls.add(_server_key(info.url))
        meta.update(
            urls=sorted(urls),
            application_uri=info.application_uri,
            subject=info.subject,
            trusted_at=meta.get("trusted_at") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        (self.trusted_dir / f"{name}.json").write_text(json.dumps(meta, indent=2, sort_keys=True), encoding="utf-8")
        (self.rejected_dir / f"{name}.der").unlink(missing_ok=True)

    def reject(self, info: CertInfo) -> None:
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        (self.rejected_dir / f"{self._name(info.fingerprint)}.der").write_bytes(info.der)

    def remove(self, fp: str) -> None:
        """Forget a trusted certificate (the next connection asks again)."""
        for suffix in (".der", ".json"):
            (self.trusted_dir / f"{self._name(fp)}{suffix}").unlink(missing_ok=True)

    def _previous_for(self, info: CertInfo) -> str | None:
        """Fingerprint of another certificate we trusted for this endpoint (host and port), if any.

        Not matched by application URI: identical devices often share a default one.
        """
        if not info.url:
            return None
        key = _server_key(info.url)
        for path in self.trusted_dir.glob("*.json"):
            try:
                meta = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            fp = ":".join(path.stem[i:i + 2] for i in range(0, len(path.stem), 2))
            if fp != info.fingerprint and key in meta.get("urls", []):
                return fp
        return None

    async def check(self, url: str, certificate: bytes | x509.Certificate, decide: Decide | None) -> CertInfo:
        """Accept the server certificate met at ``url`` or raise :class:`CertificateRejected`.

        Known and trusted: accepted. A different certificate for a server we trusted before:
        refused with :class:`CertificateChanged` (no question asked). Unknown: ``decide(info)``
        is asked (trust on first use); without a ``decide`` it is refused.
        """
        info = CertInfo.of(certificate, url=url)
        if self.is_trusted(info.der):
            if info.expired or info.not_yet_valid:
                raise CertificateRejected(
                    f"The certificate of {url} is valid only from {info.not_before:%Y-%m-%d} to "
                    f"{info.not_after:%Y-%m-%d}: ask the server's administrator to renew it.",
                    info,
                )
            if url and _server_key(url) not in self._meta(info.fingerprint).get("urls", []):
                self.trust(info)  # the same server reached under another address
            return info
        previous = self._previous_for(info)
        if previous is not None:
            self.reject(info)
            raise CertificateChanged(
                f"The certificate of {url} changed: was SHA-256 {_short(previous)}, now {_short(info.fingerprint)}. "
                "Remove it from the trusted store only if you know why it changed.",
                info,
                previous,
            )
        if decide is None:
            self.reject(info)
            raise CertificateRejected(
                f"The certificate of {url} is not trusted yet (SHA-256 {_short(info.fingerprint)}): "
                "connect interactively once to review and trust it.",
                info,
            )
        if not await decide(info):
            self.reject(info)
            raise CertificateRejected(
                f"You did not trust the certificate of {url} (SHA-256 {_short(info.fingerprint)}); not connected.",
                info,
            )
        if info.expired or info.not_yet_valid:
            raise CertificateRejected(
                f"The certificate of {url} is valid only from {info.not_before:%Y-%m-%d} to "
                f"{info.not_after:%Y-%m-%d}: ask the server's administrator to renew it.",
                info,
            )
        self.trust(info)
        return info

    def validator(self) -> Callable[[x509.Certificate, ua.ApplicationDescription], Awaitable[None]]:
        """An asyncua ``certificate_validator``: the session's server certificate must be trusted here."""

        async def validate(cert: x509.Certificate, _app: ua.ApplicationDescription) -> None:
            if not self.is_trusted(cert):
                raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)
            info = CertInfo.of(cert)
            if info.expired or info.not_yet_valid:
                raise ServiceError(ua.StatusCodes.BadCertificateTimeInvalid)

        return validate


# --- passwords in the OS keyring --------------------------------------------------------------


def _keyring_user(endpoint: str, user: str) -> str:
    return f"{user}@{_server_key(endpoint)}"


def save_password(endpoint: str, user: str, password: str) -> None:
    """Keep a password in the OS keyring (service ``millwright-opcua``), never in a file of ours."""
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_user(endpoint, user), password)
    except keyring.errors.KeyringError as exc:
        raise DeviceError(f"The password for {user} could not be stored in the system keyring: {exc}") from exc


def load_password(endpoint: str, user: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, _keyring_user(endpoint, user))
    except keyring.errors.KeyringError as exc:
        _log.warning("The system keyring could not be read: %s", exc)
        return None


def forget_password(endpoint: str, user: str) -> None:
    try:
        keyring.delete_password(KEYRING_SERVICE, _keyring_user(endpoint, user))
    except keyring.errors.PasswordDeleteError:
        pass
    except keyring.errors.KeyringError as exc:
        _log.warning("The system keyring could not be changed: %s", exc)
