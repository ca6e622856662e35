"""Setting up a device: a profile's connection from the fields of a form, checked before it is saved.

The device dialog (:mod:`device_browser.ui.device_dialog`) shows these fields; everything that
needs no Qt lives here so that it can be tested without a window:

* :class:`Transport` — the four ways to reach a device the dialog offers, and the profile
  connection each one writes;
* :class:`OpcUaForm` and :class:`ModbusForm` — the form's fields, read from a connection
  (:func:`form_of`) and written back (``connection()``), with their :class:`Problem`\\ s;
* :func:`check_device_id` — the schema's id pattern and uniqueness in the project;
* :func:`serial_ports` — the machine's serial ports with a description (pyserial);
* :func:`use_typed_address` and :func:`unresolvable_hosts` — a server that names itself by a
  host this computer cannot resolve (a PLC's own hostname) is reached at the address the user typed;
* :func:`probe` — the "Test connection" button: connect, read, close.

A :class:`Problem` carries a code and the offending value, not a sentence: the dialog words it
in the user's language.
"""

from __future__ import annotations

import asyncio
import enum
import json
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from device_browser.connect import open_session
from device_browser.profiles import DeviceProfile
from device_browser.session import GOOD, DeviceError
from nodes.resources import resources_dir

if TYPE_CHECKING:
    from device_browser.opcua.security import Decide

OPCUA_PORT = 4840
MODBUS_PORT = 502
UNIT_IDS = (0, 255)  # 1–247 are devices, 0 broadcasts, 255 (and others) are used by some gateways
COMMON_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
PARITIES = ("N", "E", "O")
STOP_BITS = (1, 2)
PRODUCT_NAME = "i=2261"  # Server.ServerStatus.BuildInfo.ProductName: what a connected server calls itself
MODBUS_PROBE = "hr:0"  # read when a new Modbus device has no points yet: any answer, even an exception, is a device


class Transport(enum.StrEnum):
    """How the device is reached; each is one page of the device dialog."""

    OPCUA = "opcua"
    MODBUS_TCP = "tcp"
    MODBUS_RTU = "rtu"
    MODBUS_RTU_OVER_TCP = "rtu_over_tcp"

    @property
    def modbus(self) -> bool:
        return self is not Transport.OPCUA

    @property
    def serial(self) -> bool:
        return self is Transport.MODBUS_RTU

    @classmethod
    def of(cls, connection: Mapping[str, Any]) -> Transport:
        if connection.get("protocol") == "opcua":
            return cls.OPCUA
        return cls(connection.get("framer", "tcp"))


@dataclass(frozen=True)
class Problem:
    """Something in the form that keeps it from being saved: ``code`` names it, ``value`` is what was typed."""

    field: str  # the form field, e.g. "id", "endpoint", "host"
    code: str  # e.g. "empty", "characters", "taken", "scheme"
    value: str = ""


# --- the device id ----------------------------------------------------------------------------


@cache
def id_pattern() -> re.Pattern[str]:
    """The profile schema's pattern of a device id."""
    schema = json.loads((resources_dir() / "schemas" / "device_profile.schema.json").read_text(encoding="utf-8"))
    return re.compile(schema["properties"]["id"]["pattern"])


def check_device_id(text: str, existing: Iterable[str]) -> Problem | None:
    """Why ``text`` cannot be a device id of this project, or None.

    Codes: ``empty``, ``characters`` (the value lists the characters the schema refuses), ``taken``.
    """
    if not text:
        return Problem("id", "empty")
    if id_pattern().search(text) is None:
        bad = "".join(dict.fromkeys(ch for ch in text if id_pattern().search(ch) is None))
        return Problem("id", "characters", bad)
    if text in set(existing):
        return Problem("id", "taken", text)
    return None


# --- the forms ----------------------------------------------------------------------------------


@dataclass
class OpcUaForm:
    """The OPC UA page: endpoint, security and identity. The password is not here: it goes to the keyring."""

    endpoint: str = f"opc.tcp://127.0.0.1:{OPCUA_PORT}"
    security_policy: str = "None"
    security_mode: str = "None"
    user: str = ""  # empty: anonymous
    timeout_s: float = 5.0

    def problems(self) -> list[Problem]:
        found = [p for p in [endpoint_problem(self.endpoint)] if p]
        if (self.security_policy == "None") != (self.security_mode == "None"):
            found.append(Problem("security", "pair", f"{self.security_policy}/{self.security_mode}"))
        return found

    def connection(self) -> dict[str, Any]:
        conn: dict[str, Any] = {"protocol": "opcua", "endpoint": self.endpoint.strip(),
                                "security_policy": self.security_policy, "security_mode": self.security_mode}
        if self.user:
            conn["user"] = self.user
        conn["timeout_s"] = self.timeout_s
        return conn


@dataclass
class ModbusForm:
    """A Modbus page: a host and port for TCP and RTU over TCP, a serial line for RTU."""

    transport: Transport = Transport.MODBUS_TCP
    host: str = ""
    port: int = MODBUS_PORT
    unit_id: int = 1
    timeout_s: float = 1.0
    serial_port: str = ""
    baudrate: int = 19200
    parity: str = "N"
    stopbits: int = 1

    def problems(self) -> list[Problem]:
        if self.transport.serial:
            return [] if self.serial_port.strip() else [Problem("serial_port", "empty")]
        host = self.host.strip()
        if not host:
            return [Problem("host", "empty")]
        if any(ch.isspace() for ch in host) or "/" in host:
            return [Problem("host", "characters", host)]
        return []

    def connection(self) -> dict[str, Any]:
        conn: dict[str, Any] = {"protocol": "modbus", "framer": self.transport.value}
        if self.transport.serial:
            conn["serial"] = {"port": self.serial_port.strip(), "baudrate": self.baudrate, "parity": self.parity,
                              "stopbits": self.stopbits}
        else:
            conn.update(host=self.host.strip(), port=self.port)
        conn.update(unit_id=self.unit_id, timeout_s=self.timeout_s)
        return conn


def form_of(connection: Mapping[str, Any]) -> OpcUaForm | ModbusForm:
    """The form's fields for an existing profile's connection (the defaults for what it leaves out)."""
    transport = Transport.of(connection)
    if transport is Transport.OPCUA:
        return OpcUaForm(endpoint=connection["endpoint"], security_policy=connection.get("security_policy", "None"),
                         security_mode=connection.get("security_mode", "None"), user=connection.get("user", ""),
                         timeout_s=float(connection.get("timeout_s", 5.0)))
    serial = connection.get("serial", {})
    return ModbusForm(transport=transport, host=connection.get("host", ""), port=connection.get("port", MODBUS_PORT),
                      unit_id=connection.get("unit_id", 1), timeout_s=float(connection.get("timeout_s", 1.0)),
                      serial_port=serial.get("port", ""), baudrate=serial.get("baudrate", 19200),
                      parity=serial.get("parity", "N"), stopbits=serial.get("stopbits", 1))


def merged_connection(form: OpcUaForm | ModbusForm, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The form's connection, keeping the fields of ``previous`` that no form shows (``max_gap``).

    Only when the protocol stayed the same: a Modbus field means nothing to an OPC UA server.
    """
    conn = form.connection()
    if previous and previous.get("protocol") == conn["protocol"]:
        shown = {"framer", "host", "port", "serial", "unit_id", "timeout_s", "endpoint", "security_policy",
                 "security_mode", "user"}
        conn.update({k: v for k, v in previous.items() if k not in shown and k not in conn})
    return conn


def build_profile(device_id: str, form: OpcUaForm | ModbusForm, nameplate: Mapping[str, str], title: str = "",
                  previous: DeviceProfile | None = None) -> DeviceProfile:
    """The profile the dialog returns: an edited one keeps its points and description, a new one has none yet.

    Empty nameplate fields other than the schema's required manufacturer and model are left out.
    """
    plate = dict(previous.nameplate) if previous else {}
    for key, value in nameplate.items():
        if value or key in ("manufacturer", "model"):
            plate[key] = value
        else:
            plate.pop(key, None)
    plate.setdefault("manufacturer", "")
    plate.setdefault("model", "")
    return DeviceProfile(id=device_id, nameplate=plate,
                         connection=merged_connection(form, previous.connection if previous else None),
                         points=list(previous.points) if previous else [], title=title,
                         description=dict(previous.description) if previous else {},
                         source=previous.source if previous else None)


# --- endpoints and hosts ------------------------------------------------------------------------


def endpoint_problem(url: str) -> Problem | None:
    """Why ``url`` is no OPC UA endpoint URL (``opc.tcp://host[:port][/path]``), or None."""
    url = url.strip()
    if not url:
        return Problem("endpoint", "empty")
    if not url.startswith("opc.tcp://"):
        return Problem("endpoint", "scheme", url)
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises for a port that is no number or out of range
    except ValueError:
        return Problem("endpoint", "port", url)
    if not parts.hostname:
        return Problem("endpoint", "host", url)
    return None


def use_typed_address(discovered: str, typed: str) -> str:
    """``discovered`` with the host and port of ``typed``: the path the server gave, the address that works.

    A server often names itself by its own hostname (``opc.tcp://PLC-7:4840/ua``), which a
    laptop on site cannot resolve; the address the engineer typed reaches it.
    """
    found, given = urlsplit(discovered.strip()), urlsplit(typed.strip())
    netloc = given.hostname or ""
    if ":" in netloc:  # an IPv6 address goes back in brackets
        netloc = f"[{netloc}]"
    netloc += f":{given.port or found.port or OPCUA_PORT}"
    return urlunsplit((found.scheme or given.scheme, netloc, found.path, found.query, found.fragment))


async def host_resolves(host: str) -> bool:
    """Whether this computer finds an address for ``host`` (the lookup runs in a worker thread)."""
    try:
        await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    return True


async def unresolvable_hosts(urls: Iterable[str]) -> set[str]:
    """The hosts named in ``urls`` that do not resolve here (each looked up once, all at once)."""
    hosts = sorted({h for h in (urlsplit(u).hostname for u in urls) if h})
    found = await asyncio.gather(*(host_resolves(h) for h in hosts))
    return {h for h, ok in zip(hosts, found, strict=True) if not ok}


# --- serial ports -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SerialPort:
    device: str  # what the profile stores: /dev/ttyUSB0, COM3
    description: str = ""  # "USB-Serial Controller D", or empty when the system knows none

    def label(self) -> str:
        return f"{self.device} — {self.description}" if self.description else self.device


def serial_ports() -> list[SerialPort]:
    """The serial ports of this machine, sorted by device name."""
    from serial.tools import list_ports

    ports = [SerialPort(p.device, "" if p.description in ("", "n/a", p.device) else p.description)
             for p in list_ports.comports()]
    return sorted(ports, key=lambda p: p.device)


# --- testing a connection -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    """What "Test connection" found: who answered, and how many of the profile's points read good."""

    server: str  # the server's product name (OPC UA), or the address that answered (Modbus)
    readable: int = 0
    points: int = 0
    failures: list[str] = field(default_factory=list)  # "name: status" of the first points that did not read


async def probe(profile: DeviceProfile, password: str | None = None, decide: Decide | None = None) -> ProbeResult:
    """Connect a temporary session to the device a profile describes, read its points, close.

    Raises :class:`DeviceError` with the reason when the device cannot be reached. Runs on any
    loop (a DeviceHost's too: everything is made here).
    """
    session = open_session(profile, password, decide=decide)
    if profile.protocol == "opcua":
        session.reconnect = False  # a test is one attempt: no supervisor left behind
    try:
        await session.connect()
        server = await _server_name(session, profile)
        names = [p.name for p in profile.points]
        samples = await session.read(names) if names else []
    finally:
        await session.close()
    bad = [f"{s.tag}: {s.status or 'bad'}" for s in samples if s.quality != GOOD]
    return ProbeResult(server, len(samples) - len(bad), len(names), bad[:5])


async def _server_name(session: Any, profile: DeviceProfile) -> str:
    conn = profile.connection
    if profile.protocol == "opcua":
        [name] = await session.read([PRODUCT_NAME])
        return str(name.value) if name.quality == GOOD and name.value else conn["endpoint"]
    where = conn["serial"]["port"] if conn.get("framer") == "rtu" else f"{conn.get('host')}:{conn.get('port', 502)}"
    if not profile.points:  # a device that answers, even with an exception, is there
        [answer] = await session.read([MODBUS_PROBE])
        if answer.quality != GOOD and not answer.status:
            raise DeviceError(f"No answer from unit {conn.get('unit_id', 1)} at {where}")
    return f"{where}, unit {conn.get('unit_id', 1)}"
