"""OPC UA security: Millwright's application certificate, the trust store of servers, passwords.

* :class:`ApplicationCertificate` — our application instance certificate, created once with
  ``cryptography`` under the PKI folder and then kept (never silently regenerated: every PLC
  that trusts it would have to trust a new one). Its application URI is read back from the
  certificate, so the client's ``application_uri`` always equals it; its expiry is reported.
* :class:`TrustStore` — server certificates we trust (``trusted/``) or refused (``rejected/``),
  named by SHA-256 fingerprint. Trust on first use goes through an async ``decide(info)``
  callback that the UI implements; a server whose certificate *changed* is refused outright.
* :func:`save_password` / :func:`load_password` — passwords live in the OS keyring under the
  service ``millwright-opcua``, keyed by endpoint and user, never in project files. A keyring
  that keeps them in clear text (``keyrings.alt`` PlaintextKeyring) or none at all is refused
  (:func:`keyring_problem` says why): the password is then used for one run only.

Every file here is written atomically (``nodes.atomic_file``): a crash leaves the old file or
the new one, never a torn certificate.
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
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import platformdirs
from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen
from asyncua.crypto.uacrypto import x509_from_der
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from device_browser.session import DeviceError
from nodes.atomic_file import AtomicFile, atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

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
    """Write a secret readable by the owner only (mode 0o600 before the first byte), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = AtomicFile(path)
    try:
        os.chmod(target.tmp, 0o600)
        with open(target.tmp, "wb") as tmp:
            tmp.write(data)
        target.commit()
    except BaseException:
        target.abort()
        raise
    os.chmod(path, 0o600)  # commit keeps the mode of a file it replaces


class ApplicationCertificate:
    """Millwright's application instance certificate and private key on disk.

    ``ApplicationCertificate.ensure(pki_dir)`` creates them on first use and afterwards only
    loads them, even when expired or when the host was renamed: a new certificate has to be
    trusted again by every server, so it is made only on request (:meth:`renew`).
    """

    file_stem = "millwright"  # own/certs/<stem>.der and own/private/<stem>.pem

    def __init__(self, pki_dir: Path):
        self.pki_dir = Path(pki_dir)
        self.cert_path = self.pki_dir / "own" / "certs" / f"{self.file_stem}.der"
        self.key_path = self.pki_dir / "own" / "private" / f"{self.file_stem}.pem"
        self.certificate: x509.Certificate | None = None

    @classmethod
    def ensure(
        cls, pki_dir: Path | None = None, hostname: str | None = None, days: int = DEFAULT_VALIDITY_DAYS
    ) -> ApplicationCertificate:
        own = cls(pki_dir or default_pki_dir())
        own.load_or_create(hostname, days)
        return own

    def load_or_create(self, hostname: str | None = None, days: int = DEFAULT_VALIDITY_DAYS) -> None:
        """Load the key and certificate, or make them when there are none (an old one is kept, with a warning)."""
        if self.cert_path.is_file() and self.key_path.is_file():
            self.certificate = x509.load_der_x509_certificate(self.cert_path.read_bytes())
            info = self.info
            if info.expired:
                _log.warning("Millwright's OPC UA certificate expired on %s; renew it", f"{info.not_after:%Y-%m-%d}")
            elif info.days_left < EXPIRY_WARNING_DAYS:
                _log.warning("Millwright's OPC UA certificate expires in %d days", info.days_left)
        else:
            self.renew(hostname, days)

    def identity(self, hostname: str) -> tuple[str, list[x509.GeneralName], list[x509.ObjectIdentifier]]:
        """Common name, subject alternative names and extended key usages of a new certificate."""
        names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(workbench_application_uri(hostname)),
                                         x509.DNSName(hostname)]
        return f"Millwright@{hostname}", names, [ExtendedKeyUsageOID.CLIENT_AUTH]

    def renew(self, hostname: str | None = None, days: int = DEFAULT_VALIDITY_DAYS) -> None:
        """Make a new key and certificate (servers must then trust the new one)."""
        hostname = hostname or socket.gethostname()
        common_name, names, usages = self.identity(hostname)
        key = cert_gen.generate_private_key()
        cert = cert_gen.generate_self_signed_app_certificate(
            key, common_name, {"organizationName": "Millwright"}, names, extended=usages, days=days,
        )
        self.pki_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.pki_dir, 0o700)
        _write_private(self.key_path, cert_gen.dump_private_key_as_pem(key))
        self.cert_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.cert_path, cert.public_bytes(serialization.Encoding.DER))
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

    def _meta(self, fp: str, folder: Path | None = None) -> dict:
        path = (folder or self.trusted_dir) / f"{self._name(fp)}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def is_trusted(self, cert: x509.Certificate | bytes) -> bool:
        return (self.trusted_dir / f"{self._name(fingerprint(cert))}.der").is_file()

    def _listed(self, folder: Path) -> list[CertInfo]:
        out = []
        for path in sorted(folder.glob("*.der")):
            try:
                der = path.read_bytes()
                meta = self._meta(fingerprint(der), folder)
                out.append(CertInfo.of(der, url=", ".join(meta.get("urls", []))))
            except (OSError, ValueError) as exc:  # a damaged file must not hide the others
                _log.warning("Skipped the unreadable certificate %s: %s", path, exc)
        return out

    def trusted(self) -> list[CertInfo]:
        """Trusted server certificates; ``url`` lists the endpoints (host:port) each was trusted for."""
        return self._listed(self.trusted_dir)

    def rejected(self) -> list[CertInfo]:
        """Refused server certificates; ``url`` lists the endpoints where we met each."""
        return self._listed(self.rejected_dir)

    def _write(self, folder: Path, info: CertInfo, meta: dict) -> None:
        """The certificate's facts, then the certificate itself (its presence is what counts), atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        name = self._name(info.fingerprint)
        atomic_write_text(folder / f"{name}.json", json.dumps(meta, indent=2, sort_keys=True))
        atomic_write_bytes(folder / f"{name}.der", info.der)

    def _urls(self, info: CertInfo, folder: Path) -> list[str]:
        urls = set(self._meta(info.fingerprint, folder).get("urls", []))
        if info.url:
            urls.update(_server_key(u.strip()) for u in info.url.split(",") if u.strip())
        return sorted(urls)

    def trust(self, info: CertInfo) -> None:
        meta = self._meta(info.fingerprint)
        meta.update(
            urls=self._urls(info, self.trusted_dir),
            application_uri=info.application_uri,
            subject=info.subject,
            trusted_at=meta.get("trusted_at") or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        self._write(self.trusted_dir, info, meta)
        self._unlink(self.rejected_dir, info.fingerprint)

    def reject(self, info: CertInfo) -> None:
        meta = self._meta(info.fingerprint, self.rejected_dir)
        meta.update(
            urls=self._urls(info, self.rejected_dir),
            application_uri=info.application_uri,
            subject=info.subject,
            rejected_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        )
        self._write(self.rejected_dir, info, meta)

    def _unlink(self, folder: Path, fp: str) -> None:
        for suffix in (".der", ".json"):  # the certificate first: without it the facts mean nothing
            (folder / f"{self._name(fp)}{suffix}").unlink(missing_ok=True)

    def remove(self, fp: str) -> None:
        """Forget a certificate, trusted or rejected (the next connection asks again)."""
        self._unlink(self.trusted_dir, fp)
        self._unlink(self.rejected_dir, fp)

    def find(self, ref: str) -> list[CertInfo]:
        """Certificates (trusted or rejected) matching a fingerprint or an endpoint URL.

        A fingerprint may be given with or without colons, in any case, or as its first
        characters (at least 8 hex digits). A URL matches by host and port.
        """
        known = self.trusted() + self.rejected()
        if "://" in ref:
            key = _server_key(ref)
            found = [c for c in known if key in [u.strip() for u in c.url.split(",")]]
        else:
            wanted = ref.replace(":", "").strip().lower()
            if len(wanted) < 8 or any(ch not in "0123456789abcdef" for ch in wanted):
                return []
            found = [c for c in known if self._name(c.fingerprint).startswith(wanted)]
        unique: dict[str, CertInfo] = {}
        for cert in found:
            unique.setdefault(cert.fingerprint, cert)
        return list(unique.values())

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
# keyring is imported where a password is kept or read: the headless runtime takes its passwords
# from the environment and does not carry keyring's ~10 MB.


def _keyring_user(endpoint: str, user: str) -> str:
    return f"{user}@{_server_key(endpoint)}"


class InsecureKeyring(DeviceError):
    """No keyring on this machine keeps a password safe: it is used for one run only."""


# Backends that keep nothing (fail, null) or keep passwords in clear text on disk.
_INSECURE_BACKENDS = {
    "keyring.backends.fail.Keyring": "keyring finds no secret store (no desktop keyring or secret service)",
    "keyring.backends.null.Keyring": "keyring is switched off (null backend)",
    "keyrings.alt.file.PlaintextKeyring": "the only keyring keeps passwords in a plain text file",
}


def _backends(backend: KeyringBackend) -> list[KeyringBackend]:
    """The backends that would really store a password (a chainer stores through each in turn)."""
    inner = getattr(backend, "backends", None)
    if isinstance(inner, list | tuple):
        return [b for sub in inner for b in _backends(sub)]
    from keyring.backend import KeyringBackend

    wrapped = getattr(backend, "_keyring", None)  # keyrings.alt's multipart wrapper
    return _backends(wrapped) if isinstance(wrapped, KeyringBackend) else [backend]


def keyring_problem() -> str | None:
    """Why no password can be stored safely on this machine, or None when the keyring is secure."""
    import keyring

    try:
        backends = _backends(keyring.get_keyring())
    except Exception as exc:  # noqa: BLE001 - a broken keyring configuration is "no keyring"
        return f"the system keyring cannot be used: {exc}"
    if not backends:
        return "keyring finds no secret store (no desktop keyring or secret service)"
    for backend in backends:
        cls = type(backend)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if name in _INSECURE_BACKENDS:
            return _INSECURE_BACKENDS[name]
        if "plaintext" in cls.__name__.lower():
            return f"the keyring {cls.__name__} keeps passwords in clear text"
    return None


def save_password(endpoint: str, user: str, password: str) -> None:
    """Keep a password in the OS keyring (service ``millwright-opcua``), never in a file of ours.

    Raises :class:`InsecureKeyring` (storing nothing) when the keyring would keep it in clear
    text or not at all.
    """
    import keyring.errors

    problem = keyring_problem()
    if problem:
        raise InsecureKeyring(f"No secure keyring on this machine ({problem}); the password of '{user}' is used "
                              "for this run only and not stored")
    try:
        keyring.set_password(KEYRING_SERVICE, _keyring_user(endpoint, user), password)
    except keyring.errors.KeyringError as exc:
        raise DeviceError(f"The password for {user} could not be stored in the system keyring: {exc}") from exc


def load_password(endpoint: str, user: str) -> str | None:
    import keyring.errors

    try:
        return keyring.get_password(KEYRING_SERVICE, _keyring_user(endpoint, user))
    except keyring.errors.KeyringError as exc:
        _log.warning("The system keyring could not be read: %s", exc)
        return None


def forget_password(endpoint: str, user: str) -> bool:
    """Remove a stored password; True if one was there.

    Works with any keyring, a plain text one too (forgetting is always safe).
    """
    import keyring.errors

    try:
        keyring.delete_password(KEYRING_SERVICE, _keyring_user(endpoint, user))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as exc:
        raise DeviceError(f"The system keyring could not be changed: {exc}") from exc
    return True
