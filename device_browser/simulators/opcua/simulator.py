"""An OPC UA server simulating a pump station, for tests, benchmarks, demos and offline work.

Start it with :func:`start_simulator` (inside a running event loop) or from the command line with
``millwright simulate opcua``. What a client finds (namespace ``urn:millwright:pumpstation``, string
NodeIds, so ``nsu=urn:millwright:pumpstation;s=PumpStation.Flow`` survives namespace-index changes):

* ``Objects/PumpStation`` (``s=PumpStation``) with the variables of :data:`PUMP_TAGS`
  (``s=PumpStation.<Name>``): analog values are ``AnalogItemType`` with ``EURange`` and
  ``EngineeringUnits`` (UNECE codes), booleans ``TwoStateDiscreteType``. Writable:
  ``SpeedSetpoint`` (Double, 0..1800 rpm, the speed follows it with a first-order lag),
  ``FaultActive`` (Boolean: a bearing fault, vibration and temperature rise), ``FlowTrim`` (Float, %)
  and ``Mode`` (Int16). Values change every 100 ms (affinity laws, noise).
* Methods ``s=PumpStation.ResetRunHours`` () and ``s=PumpStation.SetSpeed`` (speed: Double) -> Boolean
  (``BadOutOfRange`` outside 0..1800 rpm).
* History of ``Flow`` and ``Vibration`` (in memory, the last :data:`HISTORY_COUNT` samples): HistoryRead
  raw, and processed with the aggregates of :data:`AGGREGATES`.
* An ``AlarmConditionType`` event when the vibration crosses :data:`VIBRATION_LIMIT` (and one when it
  returns below :data:`VIBRATION_CLEAR`). Subscribe to events of ``s=PumpStation`` (or of the
  ``Server`` object, i=2253: both are notified). The condition is ``s=PumpStation.HighVibration``.
* ``extra_tags=N``: ``Objects/Extra/Tag00000`` … (``s=Extra.Tag00000``, Double, read-only), created in
  one batch and updated together with numpy every ``extra_interval`` seconds.
* Operation limits advertised under ``Server.ServerCapabilities.OperationLimits`` *and enforced*
  (``BadTooManyOperations``, as real PLCs answer); every request is counted per service in
  :attr:`SimulatorHandle.requests` so a test can prove that a client chunked its calls. Browse pages
  its answer with continuation points (BrowseNext) when asked to (RequestedMaxReferencesPerNode) or
  when the simulator-only limit ``MaxReferencesPerNode`` is set. ``reject_write_timestamps`` refuses
  writes carrying timestamps, as Siemens and Kepware do.
* Note: asyncua's client does not resolve ``nsu=`` NodeId strings itself; map the URI to the
  namespace index (``handle.namespace_index``) first.
* Security: endpoints None, Basic256Sha256, Aes128Sha256RsaOaep and Aes256Sha256RsaPss (Sign and
  SignAndEncrypt); the server certificate lives in ``pki_dir`` (made on first start, kept after);
  anonymous (can be disabled), user names and passwords, trusted X.509 user certificates.
  Binds 127.0.0.1 by default; the built-in remote "admin" of asyncua is off.

The parts live in their own modules: :mod:`~device_browser.simulators.opcua.model` (tags, units, pump physics),
:mod:`~device_browser.simulators.opcua.server` (asyncua's server extended through subclasses of its internals:
limits, request counting, BrowseNext, a shutdown that cannot hang), :mod:`~device_browser.simulators.opcua.history`
(processed history), :mod:`~device_browser.simulators.opcua.security` (certificates, users),
:mod:`~device_browser.simulators.opcua.address_space` (nodes, methods, the alarm) and
:mod:`~device_browser.simulators.opcua.simulation` (the state and loops behind a handle). This module is the
public face: :func:`start_simulator`, :class:`SimulatorHandle` and the command line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import platformdirs
from asyncua import Server

from device_browser.simulators.opcua.history import AGGREGATES, HISTORY_COUNT
from device_browser.simulators.opcua.model import (
    NAMESPACE_URI,
    PUMP_TAGS,
    TAGS,
    TICK_SECONDS,
    UNECE_NAMESPACE,
    UNITS,
    VIBRATION_CLEAR,
    VIBRATION_LIMIT,
    PumpModel,
    TagSpec,
    coerce_value,
    eu_information,
    node_id,
    qualified_name,
)
from device_browser.simulators.opcua.security import CERT_VALIDITY_DAYS, SECURITY_POLICIES
from device_browser.simulators.opcua.server import (
    APPLICATION_URI,
    DEFAULT_LIMIT,
    ENDPOINT_PATH,
    EXTRA_LIMITS,
    OPERATION_LIMITS,
    PRODUCT_URI,
    SERVER_NAME,
)
from device_browser.simulators.opcua.simulation import Simulation

__all__ = [
    "AGGREGATES",
    "APPLICATION_URI",
    "CERT_VALIDITY_DAYS",
    "DEFAULT_LIMIT",
    "DEFAULT_PORT",
    "ENDPOINT_PATH",
    "EXTRA_LIMITS",
    "HISTORY_COUNT",
    "NAMESPACE_URI",
    "OPERATION_LIMITS",
    "PRODUCT_URI",
    "PUMP_TAGS",
    "SECURITY_POLICIES",
    "SERVER_NAME",
    "TICK_SECONDS",
    "UNECE_NAMESPACE",
    "UNITS",
    "VIBRATION_CLEAR",
    "VIBRATION_LIMIT",
    "PumpModel",
    "SimulatorHandle",
    "TagSpec",
    "add_arguments",
    "default_pki_dir",
    "eu_information",
    "node_id",
    "run",
    "start_simulator",
]

DEFAULT_PORT = 4840


# --- the public handle ------------------------------------------------------------------------


class SimulatorHandle:
    """A running simulator. ``url``/``port`` stay the same across :meth:`restart`; ``server`` does not."""

    def __init__(self, sim: Simulation):
        self._sim = sim
        self._stopped = False

    @property
    def url(self) -> str:
        """``opc.tcp://127.0.0.1:PORT/millwright/``"""
        return self._sim.url

    @property
    def port(self) -> int:
        return self._sim.port

    @property
    def host(self) -> str:
        return self._sim.host

    @property
    def namespace_uri(self) -> str:
        return NAMESPACE_URI

    @property
    def namespace_index(self) -> int:
        return self._sim.ns

    @property
    def server(self) -> Server:
        """The asyncua server (a new one after each :meth:`restart`)."""
        if self._sim.server is None:
            raise RuntimeError("the simulator is stopped")
        return self._sim.server

    @property
    def requests(self) -> Counter[str]:
        """Requests received per service: ``requests["Read"]``, ``["Browse"]``, ``["CreateMonitoredItems"]`` …"""
        return self._sim.requests

    @property
    def operations(self) -> Counter[str]:
        """Operations (nodes, items, methods) asked for per service, summed over requests."""
        return self._sim.operations

    @property
    def rejections(self) -> Counter[str]:
        """Requests answered ``BadTooManyOperations`` per service."""
        return self._sim.rejections

    @property
    def limits(self) -> dict[str, int]:
        return dict(self._sim.limits)

    @property
    def extra_tags(self) -> list[str]:
        """Names of the extra tags (``Tag00000`` …); their NodeIds are ``s=Extra.<name>``."""
        return list(self._sim.extra_names)

    @property
    def extra_update_seconds(self) -> float:
        """How long the last vectorised update of the extra tags took (benchmarks)."""
        return self._sim.extra_update_seconds

    @property
    def reject_write_timestamps(self) -> bool:
        """Refuse writes carrying timestamps with BadWriteNotSupported (settable while running)."""
        return self._sim.reject_write_timestamps

    @reject_write_timestamps.setter
    def reject_write_timestamps(self, value: bool) -> None:
        self._sim.reject_write_timestamps = bool(value)

    @property
    def extra_stamps(self) -> list[int]:
        """Source times (ns since the epoch) of the last 10,000 updates of the extra tags, oldest first."""
        return list(self._sim.extra_stamps)

    @property
    def largest_publish(self) -> int:
        """The most notifications sent in one Publish answer (at most ``MaxNotificationsPerPublish``)."""
        return self._sim.largest_publish

    @property
    def publishing_paused(self) -> bool:
        """While True, subscriptions send nothing (not even keep-alives) but reads are answered:
        a server whose subscriptions stall, for stale-subscription tests."""
        return self._sim.publishing_paused

    @publishing_paused.setter
    def publishing_paused(self, value: bool) -> None:
        self._sim.publishing_paused = bool(value)

    @property
    def alarm_active(self) -> bool:
        return self._sim.alarm_active

    @property
    def pki_dir(self) -> Path:
        """The server's certificate lives in ``own/``; trust user and client certificates in
        ``trusted-users/`` and ``trusted-clients/``; refused clients land in ``rejected-clients/``."""
        return self._sim.pki_dir

    @property
    def certificate_path(self) -> Path:
        return self._sim.cert_path

    @property
    def certificate(self) -> bytes | None:
        """The server certificate (DER), None without security."""
        path = self._sim.cert_path
        return path.read_bytes() if self._sim.security and path.is_file() else None

    @staticmethod
    def node_id(name: str) -> str:
        """``"Flow"`` -> ``"nsu=urn:millwright:pumpstation;s=PumpStation.Flow"`` (also ``"Tag00012"``)."""
        return node_id(name)

    def get_value(self, name: str) -> Any:
        """The current value of a tag, as a client would read it."""
        return self._sim.read(name)

    def set_value(self, name: str, value: Any) -> asyncio.Task[None]:
        """Set a tag (``"Flow"``, ``"PumpStation.Flow"``, ``"Tag00012"``): inputs (SpeedSetpoint, FaultActive,
        FlowTrim, Mode, RunHours, Speed) change the simulation; measurements (Flow, Vibration, Status …) and
        extra tags are held at the value until set to None. Call it on the simulator's loop; the returned task
        may be awaited to know the value is in the address space."""
        qualified = qualified_name(name)
        if qualified.startswith("Extra."):
            self._sim._extra(qualified)
        else:
            tag = TAGS[self._sim._pump(qualified)]
            if value is not None:
                value = coerce_value(tag.vtype, value)
                if tag.writable and tag.eu_range and not tag.eu_range[0] <= value <= tag.eu_range[1]:
                    raise ValueError(f"{tag.name} must be within {tag.eu_range[0]:g} to {tag.eu_range[1]:g}")
        task = asyncio.get_running_loop().create_task(self._sim.apply(name, value))
        self._sim._pending.add(task)
        task.add_done_callback(self._sim._pending.discard)
        return task

    async def drop_connections(self) -> None:
        """Close every client connection, as a network outage would; sessions stay on the server."""
        if self._sim.server is not None:
            for transport in list(self._sim.server.iserver.asyncio_transports):
                transport.close()
        await asyncio.sleep(0)

    async def restart(self, *, regenerate_certificate: bool = False) -> None:
        """Stop and start again on the same port, like a PLC reboot: sessions and subscriptions are gone.
        The certificate stays unless ``regenerate_certificate`` (a "changed certificate" for clients)."""
        if self._stopped:
            raise RuntimeError("the simulator was stopped")
        await self._sim.stop()
        if regenerate_certificate:
            self._sim.regenerate_certificate()
        await self._sim.start()

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            await self._sim.stop()
        finally:
            self._sim.cleanup()

    async def __aenter__(self) -> SimulatorHandle:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def start_simulator(
    host: str = "127.0.0.1",
    port: int = 0,
    extra_tags: int = 0,
    limits: dict[str, int] | None = None,
    pki_dir: Path | None = None,
    users: dict[str, str] | None = None,
    allow_anonymous: bool = True,
    security: bool = True,
    *,
    extra_interval: float = 1.0,
    tick: float = TICK_SECONDS,
    seed: int | None = None,
    history_count: int = HISTORY_COUNT,
    user_certificates: Iterable[Path | bytes] = (),
    require_trusted_clients: bool = False,
    reject_write_timestamps: bool = False,
) -> SimulatorHandle:
    """Start the pump-station simulator on the running loop; ``port=0`` picks a free port.

    ``limits`` overrides operation limits by name (``{"MaxNodesPerRead": 50}``; 0 = none; see
    :data:`OPERATION_LIMITS` and :data:`EXTRA_LIMITS`). ``pki_dir`` keeps the server certificate (a
    temporary folder, deleted by ``stop()``, when None). ``users`` maps user names to passwords.
    ``extra_interval`` is the update period of the extra tags, ``tick`` the pump's (seconds).
    ``user_certificates`` are trusted X.509 user identities (also read from ``pki_dir/trusted-users``).
    With ``require_trusted_clients`` a client application certificate must be in
    ``pki_dir/trusted-clients`` (others are refused with BadSecurityChecksFailed and stored in
    ``pki_dir/rejected-clients``). With ``reject_write_timestamps`` a write carrying a source or
    server timestamp is refused with BadWriteNotSupported, as Siemens and Kepware servers do
    (asyncua's ``write_value`` of a plain value or a Variant adds one).
    """
    for name in ("asyncua", "asyncua.server", "asyncua.client", "asyncua.common", "asyncua.uaprotocol"):
        logging.getLogger(name).setLevel(logging.WARNING)
    sim = Simulation(
        host=host, port=port, extra_tags=extra_tags, limits=limits, pki_dir=pki_dir, users=users,
        allow_anonymous=allow_anonymous, security=security, extra_interval=extra_interval, tick=tick, seed=seed,
        history_count=history_count, user_certificates=user_certificates,
        require_trusted_clients=require_trusted_clients, reject_write_timestamps=reject_write_timestamps,
    )
    try:
        await sim.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await sim.stop()
        sim.cleanup()
        raise
    return SimulatorHandle(sim)


# --- command line -----------------------------------------------------------------------------


def default_pki_dir() -> Path:
    """Where ``millwright simulate opcua`` keeps the simulator's certificate (kept across runs)."""
    return Path(platformdirs.user_data_dir("millwright")) / "simulator" / "opcua-pki"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``millwright simulate opcua``."""
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1; 0.0.0.0 exposes it to the network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    parser.add_argument("--extra-tags", type=int, default=0, metavar="N",
                        help="add N Double tags under Objects/Extra for scale tests")
    parser.add_argument("--extra-interval", type=float, default=1.0, metavar="SECONDS",
                        help="update period of the extra tags (default 1)")
    parser.add_argument("--no-security", action="store_true",
                        help="offer only the unsecured endpoint (no certificate is made)")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD",
                        help="accept this user name and password (repeatable)")
    parser.add_argument("--no-anonymous", action="store_true", help="refuse anonymous sessions")
    parser.add_argument("--pki-dir", type=Path, default=None,
                        help=f"folder of the server certificate (default {default_pki_dir()})")
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                        help="operation limit, e.g. MaxNodesPerRead=100 (repeatable)")
    parser.add_argument("--strict-writes", action="store_true",
                        help="refuse writes that carry timestamps (BadWriteNotSupported), like Siemens PLCs")


def _parse_pairs(items: list[str], separator: str, what: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        name, sep, value = item.partition(separator)
        if not sep or not name:
            raise ValueError(f"{what} must look like {'NAME:PASSWORD' if separator == ':' else 'NAME=VALUE'}: {item!r}")
        pairs[name] = value
    return pairs


def run(args: argparse.Namespace) -> int:
    """Run the simulator until Ctrl-C (or SIGTERM); returns the exit status."""
    try:
        users = _parse_pairs(args.user, ":", "--user")
        limits = {name: int(value) for name, value in _parse_pairs(args.limit, "=", "--limit").items()}
    except ValueError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(args, users, limits))
    except KeyboardInterrupt:
        return 0


async def _serve(args: argparse.Namespace, users: dict[str, str], limits: dict[str, int]) -> int:
    try:
        handle = await start_simulator(
            host=args.host, port=args.port, extra_tags=args.extra_tags, limits=limits,
            pki_dir=args.pki_dir or default_pki_dir(), users=users, allow_anonymous=not args.no_anonymous,
            security=not args.no_security, extra_interval=args.extra_interval,
            reject_write_timestamps=args.strict_writes,
        )
    except (OSError, ValueError) as exc:
        print(f"millwright: cannot start the OPC UA simulator: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows has no add_signal_handler
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        print(f"OPC UA simulator listening on {handle.url} (namespace {NAMESPACE_URI})", flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print("Note: the simulator is reachable from the network.", flush=True)
        if handle.certificate is not None:
            print(f"Server certificate: {handle.certificate_path}", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        await stop.wait()
    finally:
        await handle.stop()
        print("OPC UA simulator stopped.", flush=True)
    return 0
