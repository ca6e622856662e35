"""OPC UA failures in words a plant engineer can act on.

asyncua raises its status codes as exception classes (``BadUserAccessDenied``, …) and lets
socket errors through as they are. :func:`describe_error` turns all of them into an
:class:`OpcUaError` that says what failed, where, and what to check; the protocol's name of
the failure stays in ``status`` for code that needs to tell failures apart.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from urllib.parse import urlparse

from asyncua import ua
from asyncua.ua import uaerrors

from device_browser.session import DeviceError


class OpcUaError(DeviceError):
    """An OPC UA failure in plain words; ``status`` keeps the protocol's name (e.g. ``BadTimeout``)."""

    def __init__(self, message: str, status: str = ""):
        super().__init__(message)
        self.status = status


# Failures that retrying cannot fix: a person has to act (trust our certificate, fix the identity).
FATAL_STATUSES = frozenset({
    "BadUserAccessDenied", "BadIdentityTokenInvalid", "BadIdentityTokenRejected", "BadCertificateUntrusted",
    "BadSecurityChecksFailed", "BadCertificateInvalid", "BadCertificateUriInvalid", "BadCertificateUseNotAllowed",
})

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


def check_status(status: ua.StatusCode, url: str, what: str) -> None:
    """Raise the plain-words error of a bad per-item status (results carry them, nothing raises)."""
    if not status.is_good():
        raise describe_error(uaerrors.UaStatusCodeError(status.value), url, what)
