"""One simulation: the state behind a :class:`~device_browser.simulators.opcua.simulator.SimulatorHandle`.

:class:`Simulation` outlives restarts of the asyncua server: it holds the configuration, the pump
model and the extra tags' values, the request counters and the held values. ``start()`` builds a new
server (:mod:`~device_browser.simulators.opcua.server`) and its address space
(:mod:`~device_browser.simulators.opcua.address_space`) and runs the pump and extra-tag loops; ``stop()``
ends them and the server's sessions. Client writes reach the model through the tags, read back every tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import math
import shutil
import socket
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from asyncua import Node, ua

from device_browser.simulators.opcua.address_space import AddressSpace
from device_browser.simulators.opcua.model import (
    MEASURED,
    NAMESPACE_URI,
    TAGS,
    VIBRATION_CLEAR,
    VIBRATION_LIMIT,
    PumpModel,
    coerce_value,
    qualified_name,
    utc_now,
)
from device_browser.simulators.opcua.security import SECURITY_POLICIES, ServerCertificates, UserManager
from device_browser.simulators.opcua.server import (
    APPLICATION_URI,
    DEFAULT_LIMIT,
    ENDPOINT_PATH,
    EXTRA_LIMITS,
    OPERATION_LIMITS,
    PRODUCT_URI,
    SERVER_NAME,
    SimInternalServer,
    SimServer,
)

_log = logging.getLogger("device_browser.simulators.opcua.simulator")  # one logger for the whole simulator


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def free_port(host: str) -> int:
    """A TCP port free on ``host`` now; the simulator keeps it across restarts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Simulation(AddressSpace, ServerCertificates):
    """Everything behind one :class:`SimulatorHandle`; it outlives restarts of the asyncua server."""

    def __init__(self, *, host: str, port: int, extra_tags: int, limits: dict[str, int] | None,
                 pki_dir: Path | None, users: dict[str, str] | None, allow_anonymous: bool, security: bool,
                 extra_interval: float, tick: float, seed: int | None, history_count: int,
                 user_certificates: Iterable[Path | bytes], require_trusted_clients: bool,
                 reject_write_timestamps: bool):
        unknown = set(limits or {}) - set(OPERATION_LIMITS) - set(EXTRA_LIMITS)
        if unknown:
            raise ValueError(f"unknown operation limits: {', '.join(sorted(unknown))}")
        if extra_tags < 0:
            raise ValueError("extra_tags must be 0 or more")
        self.host = host
        self.port = port or free_port(host)
        self.extra_tags = extra_tags
        self.limits = {name: DEFAULT_LIMIT for name in OPERATION_LIMITS} | EXTRA_LIMITS | dict(limits or {})
        self._own_tmp = pki_dir is None
        self.pki_dir = Path(pki_dir) if pki_dir is not None else Path(tempfile.mkdtemp(prefix="millwright-sim-pki-"))
        self.users = dict(users or {})
        self.allow_anonymous = allow_anonymous
        self.security = security
        self.extra_interval = extra_interval
        self.tick = tick
        self.history_count = history_count
        self.require_trusted_clients = require_trusted_clients
        self.reject_write_timestamps = reject_write_timestamps
        self._user_certificates = [self._read_cert(c) for c in user_certificates]
        self.rng = np.random.default_rng(seed)
        self.model = PumpModel()
        self.requests: Counter[str] = Counter()
        self.operations: Counter[str] = Counter()
        self.largest_publish = 0  # most notifications in one Publish answer
        self.publishing_paused = False  # subscriptions fall silent (reads still answered)
        self.extra_stamps: deque[int] = deque(maxlen=10_000)  # source times (ns) of the extra-tag updates
        self.rejections: Counter[str] = Counter()
        self.current_token: Any = None
        self.holds: dict[str, Any] = {}
        self.alarm_active = False
        self.server: SimServer | None = None
        self.ns = 0
        self.historized: set[ua.NodeId] = set()
        self._nodes: dict[str, ua.NodeId] = {}
        self._last_written: dict[str, Any] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._pending: set[asyncio.Task[None]] = set()
        self._alarm_event: Any = None
        self._alarm_node: Node | None = None
        width = max(5, len(str(max(extra_tags - 1, 0))))
        self.extra_names = [f"Tag{i:0{width}d}" for i in range(extra_tags)]
        self._extra_index = {name: i for i, name in enumerate(self.extra_names)}
        count = extra_tags
        self._extra_base = self.rng.uniform(0.0, 100.0, count)
        self._extra_amplitude = self.rng.uniform(1.0, 10.0, count)
        self._extra_omega = 2 * math.pi / self.rng.uniform(10.0, 120.0, count)
        self._extra_phase = self.rng.uniform(0.0, 2 * math.pi, count)
        self._extra_values = self._extra_base.copy()
        self._extra_held = np.zeros(count, dtype=bool)
        self._extra_time = utc_now()
        self._extra_values_attr: list[Any] = []
        self.extra_update_seconds = 0.0  # duration of the last vectorised update, for benchmarks


    # -- life cycle --

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"opc.tcp://{host}:{self.port}{ENDPOINT_PATH}"

    async def start(self) -> None:
        iserver = SimInternalServer(self, user_manager=UserManager(self))
        server = SimServer(self, iserver)
        server.disable_clock(True)  # our tick updates CurrentTime (asyncua's clock delays stop by up to 1 s)
        await server.init()
        server.set_endpoint(self.url)
        server.set_server_name(SERVER_NAME)
        server.product_uri = PRODUCT_URI
        server.manufacturer_name = "Millwright"
        await server.set_application_uri(APPLICATION_URI)
        server.allow_remote_admin(False)
        tokens: list[type] = []
        if self.allow_anonymous:
            tokens.append(ua.AnonymousIdentityToken)
        if self.users:
            tokens.append(ua.UserNameIdentityToken)
        if self.security:
            tokens.append(ua.X509IdentityToken)
            await asyncio.to_thread(self.ensure_certificate)
            await server.load_certificate(str(self.cert_path))
            await server.load_private_key(str(self.key_path))
            server.set_security_policy(list(SECURITY_POLICIES))
            if self.require_trusted_clients:
                server.set_certificate_validator(self._validate_client)
        else:
            server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        server.set_identity_tokens(tokens)
        self.server = server
        self.ns = await server.register_namespace(NAMESPACE_URI)
        await self._advertise_capabilities()
        await self._build_pump()
        if self.extra_tags:
            await self._build_extra()
        await server.start()
        await self._update_clock()
        self._tasks = [asyncio.create_task(self._run_pump(), name="simulator-pump")]
        if self.extra_tags:
            self._tasks.append(asyncio.create_task(self._run_extra(), name="simulator-extra"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        server, self.server = self.server, None
        if server is not None:
            await server.stop()
            # asyncua keeps client sessions and subscriptions (for reactivation) after stop(): end them,
            # or their tasks outlive the server.
            iserver = server.iserver
            await iserver.subscription_service.delete_subscriptions(list(iserver.subscription_service.subscriptions))
            for session in iserver.client_sessions:
                await session.close_session(delete_subs=False)
            await asyncio.sleep(0)  # let the cancelled session watchdogs finish
        self.alarm_active = False
        self._last_written.clear()

    def cleanup(self) -> None:
        if self._own_tmp:
            shutil.rmtree(self.pki_dir, ignore_errors=True)


    # -- values --

    def _model_values(self) -> dict[str, Any]:
        model = self.model
        values = {
            "Flow": model.rated_flow * model.speed / model.rated_speed * (1 + model.flow_trim / 100),
            "DischargePressure": model.rated_pressure * (model.speed / model.rated_speed) ** 2,
            "Speed": model.speed, "MotorCurrent": model.rated_current, "Vibration": model.vibration,
            "BearingTemperature": model.temperature, "Running": model.speed > 30.0,
            "FaultActive": model.fault, "SpeedSetpoint": model.setpoint,
            "RunHours": int(model.run_seconds // 3600), "FlowTrim": model.flow_trim, "Mode": 1,
        }
        values["Status"] = self._status(values["Running"], values["Vibration"])
        return values

    def _status(self, running: bool, vibration: float) -> str:
        if self.alarm_active or vibration > VIBRATION_LIMIT:
            return "Alarm: high vibration"
        if self.model.fault:
            return "Fault active"
        return "Running" if running else "Stopped"

    async def _write_tag(self, name: str, value: Any, when: datetime | None = None) -> None:
        tag = TAGS[name]
        value = coerce_value(tag.vtype, value)
        await self._write_checked(self._nodes[name], ua.Variant(value, tag.vtype), when)
        self._last_written[name] = value

    def _read_tag(self, name: str) -> Any:
        assert self.server is not None
        dv = self.server.iserver.aspace.read_attribute_value(self._nodes[name], ua.AttributeIds.Value)
        return dv.Value.Value if dv.Value is not None else None

    def read(self, name: str) -> Any:
        qualified = qualified_name(name)
        if qualified.startswith("Extra."):
            return float(self._extra_values[self._extra(qualified)])
        if self.server is None:
            raise RuntimeError("the simulator is stopped")
        return self._read_tag(self._pump(qualified))

    def _pump(self, qualified: str) -> str:
        name = qualified.removeprefix("PumpStation.")
        if name not in TAGS:
            raise KeyError(f"no tag {qualified!r} in the simulator")
        return name

    def _extra(self, qualified: str) -> int:
        index = self._extra_index.get(qualified.removeprefix("Extra."))
        if index is None:
            raise KeyError(f"no tag {qualified!r} in the simulator")
        return index

    def check_write(self, item: ua.WriteValue) -> int | None:
        """Status code refusing a client write (timestamps when strict, out of range), else None."""
        if item.AttributeId != ua.AttributeIds.Value:
            return None
        if self.reject_write_timestamps and item.Value is not None and (
                item.Value.SourceTimestamp is not None or item.Value.ServerTimestamp is not None):
            return ua.StatusCodes.BadWriteNotSupported  # as Siemens and Kepware answer
        if item.NodeId.NamespaceIndex != self.ns:
            return None
        name = str(item.NodeId.Identifier).removeprefix("PumpStation.")
        tag = TAGS.get(name)
        if tag is None or not tag.writable or tag.eu_range is None or item.Value is None or item.Value.Value is None:
            return None
        value = item.Value.Value.Value
        if item.Value.Value.VariantType != tag.vtype or not isinstance(value, int | float):
            return None  # asyncua answers BadTypeMismatch
        if math.isnan(value) or not tag.eu_range[0] <= value <= tag.eu_range[1]:
            return ua.StatusCodes.BadOutOfRange
        return None

    async def apply(self, name: str, value: Any) -> None:
        """Set a tag: inputs change the model, measurements are held at the value (None releases them)."""
        qualified = qualified_name(name)
        if qualified.startswith("Extra."):
            index = self._extra(qualified)
            if value is None:
                self._extra_held[index] = False
            else:
                self._extra_held[index] = True
                self._extra_values[index] = float(value)
                self._extra_time = utc_now()
                await self._notify_extra([index])
            return
        name = self._pump(qualified)
        tag = TAGS[name]
        if value is None:
            self.holds.pop(name, None)
            return
        value = coerce_value(tag.vtype, value)
        if tag.writable and tag.eu_range and not tag.eu_range[0] <= value <= tag.eu_range[1]:
            raise ValueError(f"{name} must be within {tag.eu_range[0]:g} to {tag.eu_range[1]:g}, not {value}")
        model = self.model
        if name == "SpeedSetpoint":
            model.setpoint = value
        elif name == "FaultActive":
            model.fault = value
        elif name == "FlowTrim":
            model.flow_trim = value
        elif name == "RunHours":
            model.run_seconds = value * 3600.0
        elif name == "Speed":
            model.speed = value
        elif name != "Mode":
            self.holds[name] = value
        if self.server is not None:
            await self._write_tag(name, value)

    async def _run_pump(self) -> None:
        last = time.monotonic()
        clock = 0.0
        while True:
            await asyncio.sleep(self.tick)
            now = time.monotonic()
            dt, last = min(now - last, 1.0), now
            try:
                await self._step(dt)
                clock += dt
                if clock >= 1.0:
                    clock = 0.0
                    await self._update_clock()
            except Exception:  # noqa: BLE001 - one bad step must not end the simulation
                _log.exception("Simulator step failed")

    async def _update_clock(self) -> None:
        assert self.server is not None
        aspace = self.server.iserver.aspace
        now = utc_now()
        status_dv = aspace.read_attribute_value(ua.NodeId(ua.ObjectIds.Server_ServerStatus), ua.AttributeIds.Value)
        if status_dv.Value is not None and status_dv.Value.Value is not None:
            status = copy.copy(status_dv.Value.Value)
            status.CurrentTime = now
            await self._write_checked(ua.NodeId(ua.ObjectIds.Server_ServerStatus),
                                      ua.Variant(status, ua.VariantType.ExtensionObject))
        await self._write_checked(ua.NodeId(ua.ObjectIds.Server_ServerStatus_CurrentTime),
                                  ua.Variant(now, ua.VariantType.DateTime))

    async def _step(self, dt: float) -> None:
        model = self.model
        # Inputs written by clients since the last step.
        for name, attr in (("SpeedSetpoint", "setpoint"), ("FaultActive", "fault"), ("FlowTrim", "flow_trim")):
            value = self._read_tag(name)
            if value is not None and value != self._last_written.get(name):
                setattr(model, attr, coerce_value(TAGS[name].vtype, value))
                self._last_written[name] = value
        values = model.step(dt, self.rng)
        values.update(self.holds)
        if not self.alarm_active and values["Vibration"] > VIBRATION_LIMIT:
            self.alarm_active = True
            await self._raise_alarm(True, values["Vibration"])
        elif self.alarm_active and values["Vibration"] < VIBRATION_CLEAR:
            self.alarm_active = False
            await self._raise_alarm(False, values["Vibration"])
        values.setdefault("Status", self._status(values["Running"], values["Vibration"]))
        when = utc_now()
        for name, value in values.items():
            # Measurements get a new sample every step; discrete values are written when they change.
            if (name in MEASURED and name not in self.holds) or value != self._last_written.get(name):
                await self._write_tag(name, value, when)

    async def _run_extra(self) -> None:
        start = time.monotonic()
        while True:
            await asyncio.sleep(self.extra_interval)
            try:
                began = time.perf_counter()
                t = time.monotonic() - start
                fresh = (self._extra_base + self._extra_amplitude * np.sin(self._extra_omega * t + self._extra_phase)
                         + 0.01 * self._extra_amplitude * self.rng.standard_normal(self.extra_tags))
                np.copyto(self._extra_values, fresh, where=~self._extra_held)
                self._extra_time = utc_now()
                self.extra_stamps.append((self._extra_time - _EPOCH) // timedelta(microseconds=1) * 1000)
                monitored = [i for i, attribute in enumerate(self._extra_values_attr)
                             if attribute.datachange_callbacks]
                await self._notify_extra(monitored)
                self.extra_update_seconds = time.perf_counter() - began
            except Exception:  # noqa: BLE001 - one bad update must not end the simulation
                _log.exception("Simulator extra-tag update failed")

    async def _notify_extra(self, indices: Iterable[int]) -> None:
        """Tell subscriptions about new values (reads compute them on demand, unmonitored tags cost nothing).

        asyncua spends ~0.1 ms per notification: yield to the loop regularly so that thousands of
        monitored tags slow their own updates down instead of stalling every other request.
        """
        notified = 0
        for i in indices:
            attribute = self._extra_values_attr[i] if i < len(self._extra_values_attr) else None
            if attribute is None or not attribute.datachange_callbacks:
                continue
            dv = self._extra_datavalue(i)
            for handle, callback in list(attribute.datachange_callbacks.items()):
                await callback(handle, dv)
                notified += 1
                if notified % 200 == 0:
                    await asyncio.sleep(0)
