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

asyncua's server is extended through subclasses of its internals (checked against asyncua 2.1):
the session (limits, range checks, processed history, browse continuation points), the message
processor (request counting, BrowseNext, which asyncua's server does not implement) and the
binary server that creates the processors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import functools
import hashlib
import hmac
import ipaddress
import logging
import math
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
from asyncua import Node, Server, ua
from asyncua.common.utils import ServiceError
from asyncua.crypto import cert_gen, uacrypto
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.server.binary_server_asyncio import BinaryServer, OPCUAProtocol
from asyncua.server.internal_server import InternalServer
from asyncua.server.internal_session import InternalSession, SessionState
from asyncua.server.uaprocessor import UaProcessor
from asyncua.ua.ua_binary import struct_from_binary
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

_log = logging.getLogger(__name__)

NAMESPACE_URI = "urn:millwright:pumpstation"
APPLICATION_URI = "urn:millwright:simulator:pumpstation"
PRODUCT_URI = "urn:millwright:simulator"
SERVER_NAME = "Millwright pump-station simulator"
ENDPOINT_PATH = "/millwright/"
DEFAULT_PORT = 4840
DEFAULT_LIMIT = 1000
HISTORY_COUNT = 10_000
TICK_SECONDS = 0.1
VIBRATION_LIMIT = 7.1  # mm/s RMS: ISO 10816-3 zone C/D boundary, group 2 machine on a flexible foundation
VIBRATION_CLEAR = 6.0  # hysteresis: the alarm clears below this
CERT_VALIDITY_DAYS = 5 * 365
UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"

# Advertised under Server.ServerCapabilities.OperationLimits (0 = no limit) and enforced.
OPERATION_LIMITS: dict[str, int] = {
    "MaxNodesPerRead": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
    "MaxNodesPerWrite": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
    "MaxNodesPerBrowse": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse,
    "MaxNodesPerMethodCall": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerMethodCall,
    "MaxMonitoredItemsPerCall": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
    "MaxNodesPerHistoryReadData": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData,
    "MaxNodesPerHistoryReadEvents":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadEvents,
    "MaxNodesPerHistoryUpdateData":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryUpdateData,
    "MaxNodesPerHistoryUpdateEvents":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryUpdateEvents,
    "MaxNodesPerRegisterNodes": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRegisterNodes,
    "MaxNodesPerTranslateBrowsePathsToNodeIds":
        ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds,
    "MaxNodesPerNodeManagement": ua.ObjectIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerNodeManagement,
}
# Simulator-only limits: references per node before a Browse answers with a continuation point
# (0 = all at once, as asyncua does), and continuation points a session may hold.
EXTRA_LIMITS: dict[str, int] = {"MaxReferencesPerNode": 0, "MaxBrowseContinuationPoints": 10}

SECURITY_POLICIES = (
    ua.SecurityPolicyType.NoSecurity,
    ua.SecurityPolicyType.Basic256Sha256_Sign,
    ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_Sign,
    ua.SecurityPolicyType.Aes128Sha256RsaOaep_SignAndEncrypt,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_Sign,
    ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
)

# Aggregates of processed history reads: AggregateFunction node id -> name.
AGGREGATES: dict[int, str] = {
    ua.ObjectIds.AggregateFunction_Average: "Average",
    ua.ObjectIds.AggregateFunction_Minimum: "Minimum",
    ua.ObjectIds.AggregateFunction_Maximum: "Maximum",
    ua.ObjectIds.AggregateFunction_Range: "Range",
    ua.ObjectIds.AggregateFunction_Count: "Count",
    ua.ObjectIds.AggregateFunction_Start: "Start",
    ua.ObjectIds.AggregateFunction_End: "End",
}

# UNECE Recommendation 20 common code -> (symbol, name); UnitId per OPC UA Part 8 (code bytes).
UNITS: dict[str, tuple[str, str]] = {
    "MQH": ("m³/h", "cubic metre per hour"),
    "BAR": ("bar", "bar [unit of pressure]"),
    "RPM": ("r/min", "revolutions per minute"),
    "AMP": ("A", "ampere"),
    "C16": ("mm/s", "millimetre per second"),
    "CEL": ("°C", "degree Celsius"),
    "HUR": ("h", "hour"),
    "P1": ("%", "percent"),
}

_SERVICE_NAMES: dict[ua.NodeId, str] = {
    ua.NodeId(getattr(ua.ObjectIds, name)): name.removesuffix("Request_Encoding_DefaultBinary")
    for name in dir(ua.ObjectIds)
    if name.endswith("Request_Encoding_DefaultBinary")
}
_BROWSE_NEXT = ua.NodeId(ua.ObjectIds.BrowseNextRequest_Encoding_DefaultBinary)
_EVENT_FIELD_TYPES = {
    ua.ObjectIds.UtcTime: ua.VariantType.DateTime,
    ua.ObjectIds.Duration: ua.VariantType.Double,
    ua.ObjectIds.VersionTime: ua.VariantType.UInt32,
    ua.ObjectIds.UriString: ua.VariantType.String,
    ua.ObjectIds.NumericRange: ua.VariantType.String,
    ua.ObjectIds.DataValue: ua.VariantType.DataValue,
}


@dataclass(frozen=True)
class TagSpec:
    """One variable of the pump station."""

    name: str
    vtype: ua.VariantType
    initial: Any
    description: str
    unit: str | None = None  # UNECE code, a key of UNITS
    eu_range: tuple[float, float] | None = None
    writable: bool = False
    states: tuple[str, str] | None = None  # TwoStateDiscreteType (true, false) texts
    historized: bool = False


PUMP_TAGS: tuple[TagSpec, ...] = (
    TagSpec("Flow", ua.VariantType.Double, 120.0, "Discharge flow rate", "MQH", (0.0, 200.0), historized=True),
    TagSpec("DischargePressure", ua.VariantType.Double, 4.5, "Discharge pressure (gauge)", "BAR", (0.0, 10.0)),
    TagSpec("Speed", ua.VariantType.Double, 1480.0, "Measured motor speed", "RPM", (0.0, 1800.0)),
    TagSpec("MotorCurrent", ua.VariantType.Double, 34.0, "Motor current, phase average", "AMP", (0.0, 60.0)),
    TagSpec("Vibration", ua.VariantType.Double, 1.8,
            f"Bearing housing vibration velocity, RMS; alarm above {VIBRATION_LIMIT} mm/s",
            "C16", (0.0, 20.0), historized=True),
    TagSpec("BearingTemperature", ua.VariantType.Double, 60.0, "Drive-end bearing temperature", "CEL",
            (0.0, 120.0)),
    TagSpec("Running", ua.VariantType.Boolean, True, "True while the pump turns (speed above 30 rpm)",
            states=("Running", "Stopped")),
    TagSpec("FaultActive", ua.VariantType.Boolean, False,
            "Simulated bearing fault: set to true to raise vibration and bearing temperature",
            writable=True, states=("Fault", "Normal")),
    TagSpec("SpeedSetpoint", ua.VariantType.Double, 1480.0,
            "Speed setpoint; the speed follows it with a first-order lag", "RPM", (0.0, 1800.0), writable=True),
    TagSpec("RunHours", ua.VariantType.UInt32, 12_345, "Operating hours counter (reset with ResetRunHours)",
            "HUR"),
    TagSpec("Status", ua.VariantType.String, "Running", "Pump state in plain words"),
    TagSpec("FlowTrim", ua.VariantType.Float, 0.0, "Flow meter calibration trim, applied to Flow", "P1",
            (-10.0, 10.0), writable=True),
    TagSpec("Mode", ua.VariantType.Int16, 1, "Operating mode code: 1 automatic, 2 manual, 3 maintenance",
            eu_range=(1, 3), writable=True),
)
_TAGS = {tag.name: tag for tag in PUMP_TAGS}
_MEASURED = ("Flow", "DischargePressure", "Speed", "MotorCurrent", "Vibration", "BearingTemperature")


def node_id(name: str) -> str:
    """The address of a tag: ``node_id("Flow")`` -> ``nsu=urn:millwright:pumpstation;s=PumpStation.Flow``."""
    return f"nsu={NAMESPACE_URI};s={_qualified(name)}"


def _qualified(name: str) -> str:
    if name.startswith(("PumpStation.", "Extra.")) or name in ("PumpStation", "Extra"):
        return name
    if name.startswith("Tag") and name[3:].isdigit():
        return f"Extra.{name}"
    return f"PumpStation.{name}"


def _unit_id(code: str) -> int:
    value = 0
    for char in code:
        value = (value << 8) | ord(char)
    return value


def eu_information(code: str) -> ua.EUInformation:
    symbol, name = UNITS[code]
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE, UnitId=_unit_id(code),
        DisplayName=ua.LocalizedText(symbol, "en"), Description=ua.LocalizedText(name, "en"),
    )


# --- the physics ------------------------------------------------------------------------------


@dataclass
class PumpModel:
    """A centrifugal pump on a variable-speed drive: affinity laws, first-order lags, noise."""

    rated_speed: float = 1480.0  # rpm
    rated_flow: float = 120.0  # m³/h at rated speed
    rated_pressure: float = 4.5  # bar at rated speed
    rated_current: float = 34.0  # A at rated load
    magnetising_current: float = 11.0  # A with no load
    speed_tau: float = 1.5  # s
    vibration_tau: float = 0.5  # s
    temperature_tau: float = 30.0  # s (fast, so a demo shows it)
    ambient: float = 25.0  # °C
    setpoint: float = 1480.0
    speed: float = 1480.0
    fault: bool = False
    flow_trim: float = 0.0  # %
    run_seconds: float = 12_345 * 3600.0
    vibration: float = 1.8
    temperature: float = 60.0

    def step(self, dt: float, rng: np.random.Generator) -> dict[str, Any]:
        self.speed += (self.setpoint - self.speed) * (1.0 - math.exp(-dt / self.speed_tau))
        n = max(self.speed, 0.0) / self.rated_speed
        running = self.speed > 30.0
        noise = rng.standard_normal(6)
        if running:
            self.run_seconds += dt
        vib_target = 1.8 * n * n + (7.0 * n if self.fault and running else 0.0)
        self.vibration += (vib_target - self.vibration) * (1.0 - math.exp(-dt / self.vibration_tau))
        temp_target = self.ambient + 35.0 * n * n + (30.0 if self.fault and running else 0.0)
        self.temperature += (temp_target - self.temperature) * (1.0 - math.exp(-dt / self.temperature_tau))
        if running:
            flow = self.rated_flow * n * (1.0 + self.flow_trim / 100.0) * (1.0 + 0.004 * noise[0])
            pressure = self.rated_pressure * n * n * (1.0 + 0.003 * noise[1])
            load = n**3  # shaft power ∝ n³; current ≈ magnetising + load part
            current = (self.magnetising_current + (self.rated_current - self.magnetising_current) * load) * (
                1.0 + 0.005 * noise[2])
        else:
            flow = pressure = current = 0.0
        return {
            "Flow": max(flow, 0.0),
            "DischargePressure": max(pressure, 0.0),
            "Speed": max(self.speed + 0.5 * noise[3], 0.0) if running else max(self.speed, 0.0),
            "MotorCurrent": max(current, 0.0),
            "Vibration": max(self.vibration * (1.0 + 0.03 * noise[4]), 0.0),
            "BearingTemperature": self.temperature + 0.02 * noise[5],
            "Running": running,
            "RunHours": int(self.run_seconds // 3600),
        }


# --- asyncua internals, extended ----------------------------------------------------------------


class _UserManager:
    """Anonymous, user names with passwords, trusted X.509 user certificates. Never an admin."""

    def __init__(self, sim: _Simulation):
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


class _SimSession(InternalSession):
    """A client session: enforces operation limits and ranges, counts operations, adds BrowseNext."""

    sim: _Simulation

    def __init__(self, sim: _Simulation, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.sim = sim
        self._continuations: dict[bytes, tuple[list[ua.ReferenceDescription], int]] = {}

    def is_closed(self) -> bool:
        return self.state == SessionState.Closed

    def _limit(self, service: str, limit: str, count: int) -> None:
        self.sim.operations[service] += count
        maximum = self.sim.limits.get(limit, 0)
        if maximum and count > maximum:
            self.sim.rejections[service] += 1
            _log.info("Simulator refused %s of %d operations (%s = %d)", service, count, limit, maximum)
            raise ServiceError(ua.StatusCodes.BadTooManyOperations)

    def activate_session(self, params: ua.ActivateSessionParameters, peer_certificate: bytes | None
                         ) -> ua.ActivateSessionResult:
        token = params.UserIdentityToken
        if isinstance(token, ua.ExtensionObject):
            token = ua.AnonymousIdentityToken()
        self.sim.current_token = token  # read by _UserManager.get_user, called synchronously below
        try:
            return super().activate_session(params, peer_certificate)
        finally:
            self.sim.current_token = None

    async def read(self, params: ua.ReadParameters) -> list[ua.DataValue]:
        self._limit("Read", "MaxNodesPerRead", len(params.NodesToRead))
        return await super().read(params)

    async def write(self, params: ua.WriteParameters) -> list[ua.StatusCode]:
        self._limit("Write", "MaxNodesPerWrite", len(params.NodesToWrite))
        results: list[ua.StatusCode | None] = [None] * len(params.NodesToWrite)
        accepted = ua.WriteParameters()
        positions = []
        for i, item in enumerate(params.NodesToWrite):
            status = self.sim.check_write(item)
            if status is None:
                accepted.NodesToWrite.append(item)
                positions.append(i)
            else:
                results[i] = ua.StatusCode(status)
        if accepted.NodesToWrite:
            for i, status in zip(positions, await super().write(accepted), strict=True):
                results[i] = status
        return [status or ua.StatusCode() for status in results]

    async def browse(self, params: ua.BrowseParameters) -> list[ua.BrowseResult]:
        self._limit("Browse", "MaxNodesPerBrowse", len(params.NodesToBrowse))
        results = await super().browse(params)
        caps = [x for x in (self.sim.limits.get("MaxReferencesPerNode", 0), params.RequestedMaxReferencesPerNode) if x]
        if caps:
            per_node = min(caps)
            for result in results:
                if len(result.References) > per_node:
                    self._park(result, result.References, per_node)
        return results

    def _park(self, result: ua.BrowseResult, references: list[ua.ReferenceDescription], per_node: int) -> None:
        if len(self._continuations) >= max(self.sim.limits.get("MaxBrowseContinuationPoints", 0), 1):
            result.StatusCode = ua.StatusCode(ua.StatusCodes.BadNoContinuationPoints)
            result.References = []
            return
        point = os.urandom(12)
        self._continuations[point] = (references[per_node:], per_node)
        result.References = references[:per_node]
        result.ContinuationPoint = point

    async def browse_next(self, parameters: ua.BrowseNextParameters) -> list[ua.BrowseResult]:
        self._limit("BrowseNext", "MaxNodesPerBrowse", len(parameters.ContinuationPoints))
        results = []
        for point in parameters.ContinuationPoints:
            result = ua.BrowseResult()
            parked = self._continuations.pop(point or b"", None)
            if parked is None:
                result.StatusCode = ua.StatusCode(ua.StatusCodes.BadContinuationPointInvalid)
            elif not parameters.ReleaseContinuationPoints:
                references, per_node = parked
                result.References = references
                if len(references) > per_node:
                    self._park(result, references, per_node)
            results.append(result)
        return results

    async def translate_browsepaths_to_nodeids(self, params: list[ua.BrowsePath]) -> list[ua.BrowsePathResult]:
        self._limit("TranslateBrowsePathsToNodeIds", "MaxNodesPerTranslateBrowsePathsToNodeIds", len(params))
        return await super().translate_browsepaths_to_nodeids(params)

    async def call(self, params: list[ua.CallMethodRequest]) -> list[ua.CallMethodResult]:
        self._limit("Call", "MaxNodesPerMethodCall", len(params))
        return await super().call(params)

    async def create_monitored_items(self, params: ua.CreateMonitoredItemsParameters
                                     ) -> list[ua.MonitoredItemCreateResult]:
        self._limit("CreateMonitoredItems", "MaxMonitoredItemsPerCall", len(params.ItemsToCreate))
        return await super().create_monitored_items(params)

    async def modify_monitored_items(self, params: ua.ModifyMonitoredItemsParameters
                                     ) -> list[ua.MonitoredItemModifyResult]:
        self._limit("ModifyMonitoredItems", "MaxMonitoredItemsPerCall", len(params.ItemsToModify))
        return await super().modify_monitored_items(params)

    async def delete_monitored_items(self, params: ua.DeleteMonitoredItemsParameters) -> list[ua.StatusCode]:
        self._limit("DeleteMonitoredItems", "MaxMonitoredItemsPerCall", len(params.MonitoredItemIds))
        return await super().delete_monitored_items(params)

    async def set_monitoring_mode(self, params: ua.SetMonitoringModeParameters) -> list[ua.StatusCode]:
        self._limit("SetMonitoringMode", "MaxMonitoredItemsPerCall", len(params.MonitoredItemIds))
        return await super().set_monitoring_mode(params)

    async def history_read(self, params: ua.HistoryReadParameters) -> list[ua.HistoryReadResult]:
        details = params.HistoryReadDetails
        events = isinstance(details, ua.ReadEventDetails)
        limit = "MaxNodesPerHistoryReadEvents" if events else "MaxNodesPerHistoryReadData"
        self._limit("HistoryRead", limit, len(params.NodesToRead))
        if events:
            return await super().history_read(params)
        results: list[ua.HistoryReadResult | None] = [None] * len(params.NodesToRead)
        raw = ua.HistoryReadParameters(HistoryReadDetails=details, TimestampsToReturn=params.TimestampsToReturn,
                                       ReleaseContinuationPoints=params.ReleaseContinuationPoints)
        positions = []
        for i, item in enumerate(params.NodesToRead):
            if item.NodeId not in self.sim.historized:
                results[i] = ua.HistoryReadResult(
                    StatusCode=ua.StatusCode(ua.StatusCodes.BadHistoryOperationUnsupported))
            elif isinstance(details, ua.ReadProcessedDetails):
                results[i] = await self.sim.read_processed(details, i, item)
            else:
                raw.NodesToRead.append(item)
                positions.append(i)
        if raw.NodesToRead:
            for i, result in zip(positions, await super().history_read(raw), strict=True):
                results[i] = result
        return [r or ua.HistoryReadResult() for r in results]


class _SimInternalServer(InternalServer):
    def __init__(self, sim: _Simulation, **kwargs: Any):
        super().__init__(**kwargs)
        self._sim = sim
        self.client_sessions: list[_SimSession] = []

    def create_session(self, name: str, user: User | None = None, external: bool = False) -> InternalSession:
        session = _SimSession(self._sim, self, self.aspace, self.subscription_service, name,
                              user=user or User(role=UserRole.Anonymous), external=external)
        self.client_sessions = [s for s in self.client_sessions if not s.is_closed()] + [session]
        return session


class _SimProcessor(UaProcessor):
    """Counts every request per service and answers BrowseNext (asyncua's processor refuses it)."""

    def __init__(self, sim: _Simulation, *args: Any):
        super().__init__(*args)
        self._sim = sim

    async def _process_message(self, typeid: ua.NodeId, requesthdr: Any, seqhdr: Any, body: Any) -> bool:
        self._sim.requests[_SERVICE_NAMES.get(typeid, str(typeid))] += 1
        if typeid != _BROWSE_NEXT:
            return await super()._process_message(typeid, requesthdr, seqhdr, body)
        if self.session is None:
            raise ServiceError(ua.StatusCodes.BadSessionIdInvalid)
        if not self.session.is_activated():
            raise ServiceError(ua.StatusCodes.BadSessionNotActivated)
        self.session_last_activity = time.monotonic()
        self.session.touch()
        params = struct_from_binary(ua.BrowseNextParameters, body)
        response = ua.BrowseNextResponse()
        response.Parameters.Results = await self.session.browse_next(params)
        self.send_response(requesthdr.RequestHandle, seqhdr, response)
        return True


class _SimProtocol(OPCUAProtocol):
    def __init__(self, sim: _Simulation, **kwargs: Any):
        super().__init__(**kwargs)
        self._sim = sim

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.processor is not None:  # None: refused (too many connections)
            processor = _SimProcessor(self._sim, self.iserver, self.transport, self.limits)
            processor.set_policies(self.policies)
            self.processor = processor


class _SimBinaryServer(BinaryServer):
    def __init__(self, sim: _Simulation, *args: Any):
        super().__init__(*args)
        self._sim = sim

    def _make_protocol(self) -> OPCUAProtocol:
        return _SimProtocol(self._sim, iserver=self.iserver, policies=self._policies, clients=self.clients,
                            closing_tasks=self.closing_tasks, limits=self.limits)


class _SimServer(Server):
    def __init__(self, sim: _Simulation, iserver: InternalServer):
        super().__init__(iserver=iserver)
        self._sim = sim

    async def start(self) -> None:
        # Mirrors asyncua 2.1 Server.start(), with our binary server (request counting, BrowseNext).
        await self._setup_server_nodes()
        await self.iserver.start()
        try:
            host, port = self._get_bind_socket_info()
            self.bserver = _SimBinaryServer(self._sim, self.iserver, host, port, self.limits)
            self.bserver.set_policies(self._policies)
            await self.bserver.start()
        except Exception:
            await self.iserver.stop()
            raise


# --- the simulation ---------------------------------------------------------------------------


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _now() -> datetime:
    return datetime.now(UTC)


def _coerce(vtype: ua.VariantType, value: Any) -> Any:
    if vtype in (ua.VariantType.Double, ua.VariantType.Float):
        return float(value)
    if vtype == ua.VariantType.Boolean:
        return bool(value)
    if vtype == ua.VariantType.String:
        return str(value)
    number = int(value)
    bounds = {ua.VariantType.UInt32: (0, 2**32 - 1), ua.VariantType.Int16: (-(2**15), 2**15 - 1)}[vtype]
    if not bounds[0] <= number <= bounds[1]:
        raise ValueError(f"{number} does not fit a {vtype.name}")
    return number


class _Simulation:
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
        self.port = port or _free_port(host)
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
        self.rejections: Counter[str] = Counter()
        self.current_token: Any = None
        self.holds: dict[str, Any] = {}
        self.alarm_active = False
        self.server: _SimServer | None = None
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
        self._extra_time = _now()
        self._extra_values_attr: list[Any] = []
        self.extra_update_seconds = 0.0  # duration of the last vectorised update, for benchmarks

    # -- certificates --

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
            if cert.not_valid_after_utc > _now():
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

    # -- life cycle --

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"opc.tcp://{host}:{self.port}{ENDPOINT_PATH}"

    async def start(self) -> None:
        iserver = _SimInternalServer(self, user_manager=_UserManager(self))
        server = _SimServer(self, iserver)
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

    # -- address space --

    def _nid(self, qualified: str) -> ua.NodeId:
        return ua.NodeId(qualified, self.ns)

    async def _advertise_capabilities(self) -> None:
        assert self.server is not None
        aspace = self.server.iserver.aspace
        for name, ident in OPERATION_LIMITS.items():
            await self._write_checked(ua.NodeId(ident), ua.Variant(int(self.limits[name]), ua.VariantType.UInt32))
        await self._write_checked(
            ua.NodeId(ua.ObjectIds.Server_ServerCapabilities_MaxBrowseContinuationPoints),
            ua.Variant(int(self.limits["MaxBrowseContinuationPoints"]), ua.VariantType.UInt16))
        if ua.NodeId(ua.ObjectIds.HistoryServerCapabilities_AccessHistoryDataCapability) in aspace:
            await self._write_checked(ua.NodeId(ua.ObjectIds.HistoryServerCapabilities_AccessHistoryDataCapability),
                                      ua.Variant(True, ua.VariantType.Boolean))
        folder = self.server.get_node(ua.NodeId(ua.ObjectIds.Server_ServerCapabilities_AggregateFunctions))
        for ident in AGGREGATES:
            await folder.add_reference(ua.NodeId(ident), ua.ObjectIds.Organizes, forward=True, bidirectional=False)

    async def _write_checked(self, nodeid: ua.NodeId, variant: ua.Variant, source_time: datetime | None = None
                             ) -> None:
        assert self.server is not None
        now = _now()
        status = await self.server.iserver.aspace.write_attribute_value(
            nodeid, ua.AttributeIds.Value, ua.DataValue(variant, SourceTimestamp=source_time or now,
                                                          ServerTimestamp=now))
        if not status.is_good():
            _log.warning("Simulator could not write %s: %s", nodeid.to_string(), status.name)

    async def _build_pump(self) -> None:
        assert self.server is not None
        server = self.server
        pump = await server.nodes.objects.add_object(self._nid("PumpStation"),
                                                      ua.QualifiedName("PumpStation", self.ns))
        await pump.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(
            ua.LocalizedText("Simulated pump station: one centrifugal pump on a variable-speed drive", "en"))))
        for tag in PUMP_TAGS:
            await self._add_tag(pump, tag)
        values = self._model_values()
        for tag in PUMP_TAGS:
            await self._write_tag(tag.name, values[tag.name])
        await self._add_methods(pump)
        await self._add_alarm(pump)
        for tag in PUMP_TAGS:
            if tag.historized:
                node = server.get_node(self._nodes[tag.name])
                await server.historize_node_data_change(node, period=None, count=self.history_count)
                self.historized.add(node.nodeid)

    async def _add_tag(self, parent: Node, tag: TagSpec) -> None:
        assert self.server is not None
        nodeid = self._nid(f"PumpStation.{tag.name}")
        if tag.states:
            typedef = ua.ObjectIds.TwoStateDiscreteType
        elif tag.unit and tag.eu_range and tag.vtype in (ua.VariantType.Double, ua.VariantType.Float):
            typedef = ua.ObjectIds.AnalogItemType
        else:
            typedef = ua.ObjectIds.BaseDataVariableType
        attrs = ua.VariableAttributes()
        attrs.DisplayName = ua.LocalizedText(tag.name)
        attrs.Description = ua.LocalizedText(tag.description, "en")
        attrs.DataType = ua.NodeId(tag.vtype.value)
        attrs.Value = ua.Variant(tag.initial, tag.vtype)
        attrs.ValueRank = ua.ValueRank.Scalar
        access = ua.AccessLevel.CurrentRead.mask | (ua.AccessLevel.CurrentWrite.mask if tag.writable else 0)
        attrs.AccessLevel = attrs.UserAccessLevel = access
        attrs.MinimumSamplingInterval = self.tick * 1000.0
        attrs.Historizing = False
        item = ua.AddNodesItem(
            RequestedNewNodeId=nodeid, BrowseName=ua.QualifiedName(tag.name, self.ns),
            NodeClass=ua.NodeClass.Variable, ParentNodeId=parent.nodeid,
            ReferenceTypeId=ua.NodeId(ua.ObjectIds.HasComponent), TypeDefinition=ua.NodeId(typedef),
            NodeAttributes=attrs,
        )
        (result,) = await self.server.iserver.isession.add_nodes([item])
        result.StatusCode.check()
        node = self.server.get_node(nodeid)
        self._nodes[tag.name] = nodeid
        if tag.unit:
            await node.add_property(self._nid(f"PumpStation.{tag.name}.EngineeringUnits"),
                                    ua.QualifiedName("EngineeringUnits", 0), eu_information(tag.unit),
                                    datatype=ua.NodeId(ua.ObjectIds.EUInformation))
        if tag.eu_range:
            await node.add_property(self._nid(f"PumpStation.{tag.name}.EURange"), ua.QualifiedName("EURange", 0),
                                    ua.Range(Low=float(tag.eu_range[0]), High=float(tag.eu_range[1])),
                                    datatype=ua.NodeId(ua.ObjectIds.Range))
        if tag.states:
            for prop, text in zip(("TrueState", "FalseState"), tag.states, strict=True):
                await node.add_property(self._nid(f"PumpStation.{tag.name}.{prop}"), ua.QualifiedName(prop, 0),
                                        ua.LocalizedText(text, "en"), datatype=ua.NodeId(ua.ObjectIds.LocalizedText))

    async def _add_methods(self, pump: Node) -> None:
        speed = ua.Argument(Name="speed", DataType=ua.NodeId(ua.ObjectIds.Double), ValueRank=ua.ValueRank.Scalar,
                            Description=ua.LocalizedText("New speed setpoint in rpm, 0 to 1800", "en"))
        accepted = ua.Argument(Name="changed", DataType=ua.NodeId(ua.ObjectIds.Boolean),
                               ValueRank=ua.ValueRank.Scalar,
                               Description=ua.LocalizedText("True if the setpoint changed", "en"))
        reset = await pump.add_method(self._nid("PumpStation.ResetRunHours"),
                                      ua.QualifiedName("ResetRunHours", self.ns), self._call_reset, [], [])
        set_speed = await pump.add_method(self._nid("PumpStation.SetSpeed"), ua.QualifiedName("SetSpeed", self.ns),
                                          self._call_set_speed, [speed], [accepted])
        for node, text in ((reset, "Set the operating hours counter to zero"),
                           (set_speed, "Set the speed setpoint (rpm); BadOutOfRange outside 0 to 1800")):
            await node.write_attribute(ua.AttributeIds.Description,
                                       ua.DataValue(ua.Variant(ua.LocalizedText(text, "en"))))

    async def _call_reset(self, _parent: ua.NodeId, *args: ua.Variant) -> Any:
        if args:
            return ua.StatusCode(ua.StatusCodes.BadTooManyArguments)
        self.model.run_seconds = 0.0
        self.holds.pop("RunHours", None)
        await self._write_tag("RunHours", 0)
        return []

    async def _call_set_speed(self, _parent: ua.NodeId, *args: ua.Variant) -> Any:
        if not args:
            return ua.StatusCode(ua.StatusCodes.BadArgumentsMissing)
        if len(args) > 1:
            return ua.StatusCode(ua.StatusCodes.BadTooManyArguments)
        (arg,) = args
        low, high = _TAGS["SpeedSetpoint"].eu_range or (0.0, 0.0)
        if arg.VariantType != ua.VariantType.Double or arg.Value is None:
            status = ua.StatusCode(ua.StatusCodes.BadTypeMismatch)
            return ua.CallMethodResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadInvalidArgument),
                                       InputArgumentResults=[status])
        if not low <= arg.Value <= high or math.isnan(arg.Value):
            status = ua.StatusCode(ua.StatusCodes.BadOutOfRange)
            return ua.CallMethodResult(StatusCode=status, InputArgumentResults=[status])
        changed = float(arg.Value) != self.model.setpoint
        self.model.setpoint = float(arg.Value)
        await self._write_tag("SpeedSetpoint", self.model.setpoint)
        return [ua.Variant(changed, ua.VariantType.Boolean)]

    async def _add_alarm(self, pump: Node) -> None:
        assert self.server is not None
        server = self.server
        condition_id = self._nid("PumpStation.HighVibration")
        condition = await pump.add_object(condition_id, ua.QualifiedName("HighVibration", self.ns),
                                          ua.ObjectIds.AlarmConditionType, instantiate_optional=False)
        await pump.add_reference(condition_id, ua.ObjectIds.HasCondition, forward=True, bidirectional=False)
        server_node = server.get_node(ua.NodeId(ua.ObjectIds.Server))
        await server_node.add_reference(pump.nodeid, ua.ObjectIds.HasNotifier, forward=True, bidirectional=True)
        generator = await server.get_event_generator(ua.ObjectIds.AlarmConditionType, pump)
        event = generator.event
        # asyncua 2.1 declares some event fields with a DataType NodeId instead of a VariantType
        # (UtcTime, Duration, …); a value in such a field breaks every notification. Map them.
        for name, datatype in list(event.data_types.items()):
            if isinstance(datatype, ua.NodeId):
                event.data_types[name] = _EVENT_FIELD_TYPES.get(datatype.Identifier, ua.VariantType.Variant)
        event.NodeId = condition_id  # the ConditionId
        event.ConditionName = "HighVibration"
        event.ConditionClassId = ua.NodeId(ua.ObjectIds.ProcessConditionClassType)
        event.ConditionClassName = ua.LocalizedText("Process")
        event.SourceName = "PumpStation"
        event.Quality = ua.StatusCode()
        event.EnabledState = ua.LocalizedText("Enabled", "en")
        setattr(event, "EnabledState/Id", True)  # field names with "/" are set with setattr
        self._alarm_event = (generator, event)
        self._alarm_node = condition
        await self._set_condition_node(active=False, message="Vibration normal", severity=100)

    async def _set_condition_node(self, *, active: bool, message: str, severity: int) -> None:
        if self._alarm_node is None:
            return
        values = {
            ("0:EnabledState", "0:Id"): ua.Variant(True, ua.VariantType.Boolean),
            ("0:EnabledState",): ua.Variant(ua.LocalizedText("Enabled", "en")),
            ("0:ActiveState", "0:Id"): ua.Variant(active, ua.VariantType.Boolean),
            ("0:ActiveState",): ua.Variant(ua.LocalizedText("Active" if active else "Inactive", "en")),
            ("0:AckedState", "0:Id"): ua.Variant(not active, ua.VariantType.Boolean),
            ("0:AckedState",): ua.Variant(ua.LocalizedText("Unacknowledged" if active else "Acknowledged", "en")),
            ("0:Retain",): ua.Variant(active, ua.VariantType.Boolean),
            ("0:Message",): ua.Variant(ua.LocalizedText(message, "en")),
            ("0:Severity",): ua.Variant(severity, ua.VariantType.UInt16),
            ("0:ConditionName",): ua.Variant("HighVibration", ua.VariantType.String),
            ("0:SourceName",): ua.Variant("PumpStation", ua.VariantType.String),
        }
        for path, variant in values.items():
            try:
                child = await self._alarm_node.get_child(list(path))
            except ua.UaError:
                continue
            await self._write_checked(child.nodeid, variant)

    async def _raise_alarm(self, active: bool, vibration: float) -> None:
        generator, event = self._alarm_event
        if active:
            message = f"High vibration: {vibration:.2f} mm/s, above the limit of {VIBRATION_LIMIT:.2f} mm/s"
            severity = 800
        else:
            message = f"Vibration back to normal: {vibration:.2f} mm/s"
            severity = 200
        now = _now()
        event.Severity = severity
        event.Retain = active
        event.ActiveState = ua.LocalizedText("Active" if active else "Inactive", "en")
        setattr(event, "ActiveState/Id", active)
        setattr(event, "ActiveState/TransitionTime", now)
        event.AckedState = ua.LocalizedText("Unacknowledged" if active else "Acknowledged", "en")
        setattr(event, "AckedState/Id", not active)
        await generator.trigger(time_attr=now, message=message)
        # Real servers also report through the Server object (HasNotifier): send it there too.
        assert self.server is not None
        emitting = event.emitting_node
        event.emitting_node = ua.NodeId(ua.ObjectIds.Server)
        try:
            await self.server.iserver.subscription_service.trigger_event(event)
        finally:
            event.emitting_node = emitting
        await self._set_condition_node(active=active, message=message, severity=severity)

    async def _build_extra(self) -> None:
        assert self.server is not None
        iserver = self.server.iserver
        aspace = iserver.aspace
        folder = await self.server.nodes.objects.add_folder(self._nid("Extra"), ua.QualifiedName("Extra", self.ns))
        await folder.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(
            ua.LocalizedText(f"{self.extra_tags} extra Double tags for scale tests", "en"))))
        double = ua.NodeId(ua.ObjectIds.Double)
        typedef = ua.NodeId(ua.ObjectIds.BaseDataVariableType)
        organizes = ua.NodeId(ua.ObjectIds.Organizes)
        description = ua.LocalizedText(
            f"Extra tag for scale tests, updated every {self.extra_interval:g} s", "en")
        items = []
        for name in self.extra_names:
            attrs = ua.VariableAttributes()
            attrs.DisplayName = ua.LocalizedText(name)
            attrs.Description = description
            attrs.DataType = double
            attrs.Value = ua.Variant(0.0, ua.VariantType.Double)
            attrs.ValueRank = ua.ValueRank.Scalar
            attrs.AccessLevel = attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
            attrs.MinimumSamplingInterval = self.extra_interval * 1000.0
            # No parent here: asyncua checks every sibling per added child (quadratic); references follow.
            items.append(ua.AddNodesItem(
                RequestedNewNodeId=self._nid(f"Extra.{name}"), BrowseName=ua.QualifiedName(name, self.ns),
                NodeClass=ua.NodeClass.Variable, ParentNodeId=ua.NodeId(), ReferenceTypeId=organizes,
                TypeDefinition=typedef, NodeAttributes=attrs))
        failed = list(iserver.node_mgt_service.try_add_nodes(items, check=False))
        if failed:
            raise RuntimeError(f"could not create {len(failed)} extra tags")
        folder_data = aspace[folder.nodeid]
        folder_name = ua.QualifiedName("Extra", self.ns)
        up = ua.ReferenceDescription(ReferenceTypeId=organizes, IsForward=False, NodeId=folder.nodeid,
                                     BrowseName=folder_name, DisplayName=ua.LocalizedText("Extra"),
                                     NodeClass=ua.NodeClass.Object, TypeDefinition=ua.NodeId(ua.ObjectIds.FolderType))
        self._extra_values_attr = []
        for i, item in enumerate(items):
            folder_data.references.append(ua.ReferenceDescription(
                ReferenceTypeId=organizes, IsForward=True, NodeId=item.RequestedNewNodeId,
                BrowseName=item.BrowseName, DisplayName=item.NodeAttributes.DisplayName,
                NodeClass=ua.NodeClass.Variable, TypeDefinition=typedef))
            data = aspace[item.RequestedNewNodeId]
            data.references.append(up)
            attribute = data.attributes[ua.AttributeIds.Value]
            attribute.value = None
            attribute.value_callback = functools.partial(self._extra_datavalue, i)
            self._extra_values_attr.append(attribute)

    def _extra_datavalue(self, index: int, _nodeid: Any = None, _attr: Any = None) -> ua.DataValue:
        return ua.DataValue(ua.Variant(float(self._extra_values[index]), ua.VariantType.Double),
                            SourceTimestamp=self._extra_time, ServerTimestamp=self._extra_time)

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
        tag = _TAGS[name]
        value = _coerce(tag.vtype, value)
        await self._write_checked(self._nodes[name], ua.Variant(value, tag.vtype), when)
        self._last_written[name] = value

    def _read_tag(self, name: str) -> Any:
        assert self.server is not None
        dv = self.server.iserver.aspace.read_attribute_value(self._nodes[name], ua.AttributeIds.Value)
        return dv.Value.Value if dv.Value is not None else None

    def read(self, name: str) -> Any:
        qualified = _qualified(name)
        if qualified.startswith("Extra."):
            return float(self._extra_values[self._extra(qualified)])
        if self.server is None:
            raise RuntimeError("the simulator is stopped")
        return self._read_tag(self._pump(qualified))

    def _pump(self, qualified: str) -> str:
        name = qualified.removeprefix("PumpStation.")
        if name not in _TAGS:
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
        tag = _TAGS.get(name)
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
        qualified = _qualified(name)
        if qualified.startswith("Extra."):
            index = self._extra(qualified)
            if value is None:
                self._extra_held[index] = False
            else:
                self._extra_held[index] = True
                self._extra_values[index] = float(value)
                self._extra_time = _now()
                await self._notify_extra([index])
            return
        name = self._pump(qualified)
        tag = _TAGS[name]
        if value is None:
            self.holds.pop(name, None)
            return
        value = _coerce(tag.vtype, value)
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
        now = _now()
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
                setattr(model, attr, _coerce(_TAGS[name].vtype, value))
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
        when = _now()
        for name, value in values.items():
            # Measurements get a new sample every step; discrete values are written when they change.
            if (name in _MEASURED and name not in self.holds) or value != self._last_written.get(name):
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
                self._extra_time = _now()
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

    # -- processed history --

    async def read_processed(self, details: ua.ReadProcessedDetails, index: int, item: ua.HistoryReadValueId
                             ) -> ua.HistoryReadResult:
        assert self.server is not None
        if index >= len(details.AggregateType):
            return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadAggregateListMismatch))
        aggregate = details.AggregateType[index]
        name = AGGREGATES.get(aggregate.Identifier) if aggregate.NamespaceIndex == 0 else None
        if name is None:
            return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadAggregateNotSupported))
        lo, hi = sorted((details.StartTime, details.EndTime))
        span = (hi - lo).total_seconds()
        interval = details.ProcessingInterval / 1000.0 if details.ProcessingInterval > 0 else span
        if span <= 0 or interval <= 0:
            return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadInvalidTimestampArgument))
        count = math.ceil(span / interval)
        if count > self.history_count:
            return ua.HistoryReadResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadTooManyOperations))
        storage = self.server.iserver.history_manager.storage
        raw, _ = await storage.read_node_history(item.NodeId, lo, hi, 0)
        raw = [dv for dv in raw if dv.SourceTimestamp is not None and dv.Value is not None
               and dv.Value.Value is not None and (dv.StatusCode is None or dv.StatusCode.is_good())]
        stamps = np.array([(dv.SourceTimestamp - lo).total_seconds() for dv in raw], dtype=float)
        values = np.array([float(dv.Value.Value) for dv in raw], dtype=float)
        order = np.argsort(stamps, kind="stable")
        stamps, values = stamps[order], values[order]
        edges = np.searchsorted(stamps, np.arange(count + 1) * interval, side="left")
        edges[-1] = len(stamps)  # the last interval ends at EndTime, inclusive
        out = []
        for k in range(count):
            start_time = lo + timedelta(seconds=k * interval)
            chunk = values[edges[k]:edges[k + 1]]
            if name == "Count":
                variant = ua.Variant(len(chunk), ua.VariantType.Int32)
            elif not len(chunk):
                out.append(ua.DataValue(StatusCode=ua.StatusCode(ua.StatusCodes.BadNoData),
                                        SourceTimestamp=start_time, ServerTimestamp=_now()))
                continue
            else:
                variant = ua.Variant(_aggregate(name, chunk), ua.VariantType.Double)
            out.append(ua.DataValue(variant, SourceTimestamp=start_time, ServerTimestamp=_now()))
        return ua.HistoryReadResult(StatusCode=ua.StatusCode(), HistoryData=ua.HistoryData(DataValues=out))


def _aggregate(name: str, chunk: np.ndarray) -> float:
    if name == "Average":
        return float(chunk.mean())
    if name == "Minimum":
        return float(chunk.min())
    if name == "Maximum":
        return float(chunk.max())
    if name == "Range":
        return float(chunk.max() - chunk.min())
    if name == "Start":
        return float(chunk[0])
    return float(chunk[-1])  # End


# --- the public handle ------------------------------------------------------------------------


class SimulatorHandle:
    """A running simulator. ``url``/``port`` stay the same across :meth:`restart`; ``server`` does not."""

    def __init__(self, sim: _Simulation):
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
        _qualified_name = _qualified(name)
        if _qualified_name.startswith("Extra."):
            self._sim._extra(_qualified_name)
        else:
            tag = _TAGS[self._sim._pump(_qualified_name)]
            if value is not None:
                value = _coerce(tag.vtype, value)
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
    sim = _Simulation(
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
