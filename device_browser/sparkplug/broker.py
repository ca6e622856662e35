"""Where a Sparkplug host finds its broker: the URL, TLS files and credentials.

Secrets never come from project files: the username and password are read from the
environment (``MILLWRIGHT_MQTT_USERNAME``, ``MILLWRIGHT_MQTT_PASSWORD``, or a mounted file named
by ``MILLWRIGHT_MQTT_PASSWORD_FILE``), the names the app runtime's edge node reads too, so one
container environment serves both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from device_browser.session import DeviceError

USERNAME_ENV = "MILLWRIGHT_MQTT_USERNAME"
PASSWORD_ENV = "MILLWRIGHT_MQTT_PASSWORD"
PASSWORD_FILE_ENV = "MILLWRIGHT_MQTT_PASSWORD_FILE"
SCHEMES = ("mqtt", "mqtts")


def broker_credentials(environ: Mapping[str, str] = os.environ) -> tuple[str, str]:
    """Username and password for the broker from the environment (a password file wins over nothing)."""
    password = environ.get(PASSWORD_ENV, "")
    if not password and environ.get(PASSWORD_FILE_ENV):
        path = Path(environ[PASSWORD_FILE_ENV])
        try:
            password = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise DeviceError(f"Cannot read the MQTT password file {path} ({PASSWORD_FILE_ENV}): "
                              f"{exc.strerror}") from None
    return environ.get(USERNAME_ENV, ""), password


@dataclass(frozen=True)
class BrokerSettings:
    """An MQTT broker and how to reach it. ``mqtts://`` verifies the broker against ``ca_file``
    (or the system's CAs); ``client_cert``/``client_key`` add a client certificate."""

    url: str
    username: str = ""
    password: str = ""
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    timeout_s: float = 5.0
    keepalive_s: int = 10
    rebirth_on_gap: bool = True  # ask an edge node to rebirth when its seq jumps or data comes unborn

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts"

    def address(self) -> tuple[str, int]:
        """Host and port of the URL (1883, or 8883 for mqtts, by default)."""
        try:
            parts = urlsplit(self.url)
            port = parts.port
        except ValueError as exc:
            raise DeviceError(f"{self.url}: {exc}") from None
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise DeviceError(f"{self.url}: expected mqtt://HOST:PORT or mqtts://HOST:PORT")
        return parts.hostname, port or (8883 if parts.scheme == "mqtts" else 1883)

    @classmethod
    def from_url(cls, url: str, environ: Mapping[str, str] = os.environ, **options) -> BrokerSettings:
        """Settings for ``url`` with the credentials of the environment; ``options`` set the other fields."""
        username, password = broker_credentials(environ)
        settings = cls(url, **{"username": username, "password": password, **options})
        settings.address()  # a malformed URL is refused now, not at connect
        return settings
