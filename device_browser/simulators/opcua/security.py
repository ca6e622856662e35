"""Security of the simulator: its certificate, trusted client and user certificates, user names.

* :class:`ServerCertificates` (a part of :class:`~device_browser.simulators.opcua.simulation.Simulation`) keeps
  the server's key and certificate in ``pki_dir/own`` (made on first start, kept after), reads trusted
  user certificates from ``pki_dir/trusted-users`` and checks client applications against
  ``pki_dir/trusted-clients`` (refused ones are stored in ``pki_dir/rejected-clients``).
* :class:`UserManager` decides who may open a session: anonymous, user names with passwords,
  trusted X.509 user certificates; never asyncua's built-in admin.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import logging
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asyncua import ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen, uacrypto
from asyncua.crypto.permission_rules import User, UserRole
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from device_browser.simulators.opcua.model import utc_now
from device_browser.simulators.opcua.server import APPLICATION_URI, SERVER_NAME

if TYPE_CHECKING:
    from device_browser.simulators.opcua.simulation import Simulation

_log = logging.getLogger("device_browser.simulators.opcua.simulator")  # one logger for the whole simulator

CERT_VALIDITY_DAYS = 5 * 365

SECURITY_POLICIES = (
    ua.SecurityPolicyType.NoSecurity,
    ua.SecurityPolicyType.Basic256Sha256_Sign,
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_Sign,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_SignAndEncrypt,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_Sign,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
)


class UserManager:
    """Anonymous, user names with passwords, trusted X.509 user certificates. Never an admin."""

    def __init__(self, sim: Simulation):
        self._sim = sim

    def get_user(self, iserver: Any, username: str | None = None, password: str | None = None,
                 certificate: Any = None) -> User | None:
        token = self._sim.current_token
        if isinstance(token, ua.UserNameIdentityToken):
            expected = self._sim.users.get(username or "")
            given = (password or "").encode()
            if expected is None or not hmac.compare_digest(expected.encode(), given):
                _log.info("Simulator refused user %r", username)
                return None
            return User(role=UserRole.User, name=username)
        if isinstance(token, ua.X509IdentityToken):
            der = _first_der(certificate)
            if der is None or der not in self._sim.trusted_user_certificates():
                _log.info("Simulator refused an untrusted user certificate")
                return None
            return User(role=UserRole.User, name=f"x509:{hashlib.sha256(der).hexdigest()[:16]}")
        # Anonymous. UserRole.Anonymous may do nothing over a secure channel in asyncua's rule set.
        return User(role=UserRole.User, name="anonymous")


def _first_der(certificate: Any) -> bytes | None:
    if certificate is None:
        return None
    if isinstance(certificate, bytes | bytearray):
        try:
            cert = uacrypto.x509_from_der(bytes(certificate))  # the first certificate of a chain
        except ValueError:
            return None
        return cert.public_bytes(serialization.Encoding.DER)
    return certificate.public_bytes(serialization.Encoding.DER)


class ServerCertificates:
    """The certificate part of :class:`~device_browser.simulators.opcua.simulation.Simulation`.

    Uses the simulation's ``pki_dir``, ``host`` (a name of the certificate) and ``_user_certificates``.
    """

    pki_dir: Path
    host: str
    _user_certificates: list[bytes]

    @property
    def cert_path(self) -> Path:
        return self.pki_dir / "own" / "certs" / "simulator.der"

    @property
    def key_path(self) -> Path:
        return self.pki_dir / "own" / "private" / "simulator.pem"

    @staticmethod
    def _read_cert(cert: Path | bytes) -> bytes:
        data = Path(cert).read_bytes() if isinstance(cert, Path | str) else bytes(cert)
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
        return data

    def _certs_in(self, folder: str) -> set[bytes]:
        found = set()
        for path in sorted((self.pki_dir / folder).glob("*")):
            if path.suffix.lower() in (".der", ".pem", ".crt", ".cer"):
                with contextlib.suppress(ValueError, OSError):
                    found.add(self._read_cert(path))
        return found

    def trusted_user_certificates(self) -> set[bytes]:
        return set(self._user_certificates) | self._certs_in("trusted-users")

    def ensure_certificate(self) -> None:
        """Make the server key and certificate unless both are there and still valid."""
        if self.cert_path.is_file() and self.key_path.is_file():
            cert = x509.load_der_x509_certificate(self.cert_path.read_bytes())
            if cert.not_valid_after_utc > utc_now():
                return
        hostname = socket.gethostname()
        names: list[x509.GeneralName] = [
            x509.UniformResourceIdentifier(APPLICATION_URI), x509.DNSName(hostname), x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(self.host)))
        except ValueError:
            names.append(x509.DNSName(self.host))
        key = cert_gen.generate_private_key()
        cert = cert_gen.generate_self_signed_app_certificate(
            key, f"{SERVER_NAME}@{hostname}", {"organizationName": "Millwright"}, list(dict.fromkeys(names)),
            extended=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH], days=CERT_VALIDITY_DAYS,
        )
        self.key_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(cert_gen.dump_private_key_as_pem(key))
        self.cert_path.parent.mkdir(parents=True, exist_ok=True)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.DER))
        _log.info("Simulator certificate created in %s", self.cert_path)

    def regenerate_certificate(self) -> None:
        self.cert_path.unlink(missing_ok=True)
        self.key_path.unlink(missing_ok=True)

    async def _validate_client(self, cert: x509.Certificate, _app: ua.ApplicationDescription) -> None:
        der = cert.public_bytes(serialization.Encoding.DER)
        if der in self._certs_in("trusted-clients"):
            return
        rejected = self.pki_dir / "rejected-clients"
        rejected.mkdir(parents=True, exist_ok=True)
        (rejected / f"{hashlib.sha256(der).hexdigest()}.der").write_bytes(der)
        raise ServiceError(ua.StatusCodes.BadSecurityChecksFailed)
