"""The simulated pump station itself: its namespace, its tags and their units, and the pump physics.

Nothing here knows about asyncua's server: :data:`PUMP_TAGS` describes each variable (type, unit,
range, writability, history), :func:`node_id` and :func:`qualified_name` give their addresses, and
:class:`PumpModel` computes the measurements from the inputs every tick, with the physics shared with the
Modbus simulator (:mod:`device_browser.simulators.pump`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from asyncua import ua

from device_browser.simulators.pump import Pump
from device_browser.units import UNECE_NAMESPACE, unece_unit_id

NAMESPACE_URI = "urn:millwright:pumpstation"
TICK_SECONDS = 0.1
VIBRATION_LIMIT = 7.1  # mm/s RMS: ISO 10816-3 zone C/D boundary, group 2 machine on a flexible foundation
VIBRATION_CLEAR = 6.0  # hysteresis: the alarm clears below this

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
TAGS = {tag.name: tag for tag in PUMP_TAGS}
# Measurements get a new sample every tick; the other tags are written when they change.
MEASURED = ("Flow", "DischargePressure", "Speed", "MotorCurrent", "Vibration", "BearingTemperature")


def node_id(name: str) -> str:
    """The address of a tag: ``node_id("Flow")`` -> ``nsu=urn:millwright:pumpstation;s=PumpStation.Flow``."""
    return f"nsu={NAMESPACE_URI};s={qualified_name(name)}"


def qualified_name(name: str) -> str:
    """The string NodeId of a tag: ``"Flow"`` -> ``"PumpStation.Flow"``, ``"Tag00012"`` -> ``"Extra.Tag00012"``."""
    if name.startswith(("PumpStation.", "Extra.")) or name in ("PumpStation", "Extra"):
        return name
    if name.startswith("Tag") and name[3:].isdigit():
        return f"Extra.{name}"
    return f"PumpStation.{name}"


def eu_information(code: str) -> ua.EUInformation:
    symbol, name = UNITS[code]
    return ua.EUInformation(
        NamespaceUri=UNECE_NAMESPACE, UnitId=unece_unit_id(code),
        DisplayName=ua.LocalizedText(symbol, "en"), Description=ua.LocalizedText(name, "en"),
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


def coerce_value(vtype: ua.VariantType, value: Any) -> Any:
    """``value`` as the Python type of ``vtype``; ValueError when an integer does not fit."""
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


# --- the physics ------------------------------------------------------------------------------


@dataclass
class PumpModel(Pump):
    """The station's pump (:class:`~device_browser.simulators.pump.Pump`, shared with the Modbus
    simulator) at this station's ratings: 120 m³/h, 4.5 bar, 34 A, in a loop without static head."""

    def step(self, dt: float, rng: np.random.Generator) -> dict[str, Any]:
        """Advance ``dt`` seconds; the measurements by tag name."""
        reading = self.advance(dt, rng)
        return {
            "Flow": reading.flow,
            "DischargePressure": reading.pressure,
            "Speed": reading.speed,
            "MotorCurrent": reading.current,
            "Vibration": reading.vibration,
            "BearingTemperature": reading.temperature,
            "Running": reading.running,
            "RunHours": int(self.run_seconds // 3600),
        }
