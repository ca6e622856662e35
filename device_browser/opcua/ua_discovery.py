"""The ways into a server (endpoints) and the short names Millwright gives their security.

Discovery (GetEndpoints) needs no session: it lists each endpoint's URL, security policy and
mode and the user identities it takes. Profiles and the UI speak of policies and modes by the
short names of :data:`POLICIES` and :data:`MODES` ("Basic256Sha256", "SignAndEncrypt"), not URIs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from asyncua import Client, ua
from asyncua.crypto import security_policies

from device_browser.opcua.ua_errors import describe_error

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


def endpoint_of(ep: ua.EndpointDescription) -> Endpoint:
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
    return [endpoint_of(ep) for ep in raw]
