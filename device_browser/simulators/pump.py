"""The pump behind both simulators: one centrifugal pump on a variable-speed drive, two ratings.

The OPC UA simulator (120 m³/h into a circulation loop) and the Modbus simulator (180 m³/h
lifting into a tank) are the same machine with different nameplates and systems, so a value
that looks wrong in one is wrong in the other, and a fix to the physics fixes both. Protocol
details (tag names, registers, status words, alarms) stay in each simulator.

Physics, per step of ``dt`` seconds, with ``r = n / n_rated`` and ``x = Q / Q_rated``:

* speed follows the setpoint with a first-order lag (``speed_tau``);
* the operating point is where the pump curve ``p = p_rated (a r² − b x²)`` meets the system
  curve ``p = p_rated (s + (1 − s) x²)``: ``s`` is the static head's share of the rated
  pressure (0 for a loop, where flow ∝ speed and pressure ∝ speed², the affinity laws), and
  ``a = shutoff_ratio``, ``b = a − 1`` so that the rated speed gives the rated point;
* shaft power ∝ ``x · p`` (hydraulic power over a constant efficiency); the motor current is
  its magnetising current plus a share of the rest in proportion to the load;
* vibration and bearing temperature follow targets that rise with ``r²`` and jump with a
  bearing fault, with first-order lags;
* noise is multiplicative and small, from the caller's :class:`numpy.random.Generator`, so a
  seeded simulator repeats itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

RUNNING_SPEED = 30.0  # rpm: below this the pump counts as stopped


@dataclass(frozen=True)
class PumpReading:
    """What the instruments show after a step (engineering units)."""

    speed: float  # rpm
    flow: float  # m³/h, with the flow meter's trim
    pressure: float  # bar (discharge, gauge)
    current: float  # A
    power: float  # kW at the shaft
    vibration: float  # mm/s RMS
    temperature: float  # °C, drive-end bearing
    running: bool
    relative_flow: float  # x = Q / Q_rated, without trim or noise


@dataclass
class Pump:
    """The state and ratings of one pump; :meth:`advance` moves it on and returns the readings."""

    rated_speed: float = 1480.0  # rpm
    rated_flow: float = 120.0  # m³/h at rated speed on its system
    rated_pressure: float = 4.5  # bar at the rated point
    rated_current: float = 34.0  # A at rated load
    magnetising_current: float = 11.0  # A with no load
    shutoff_ratio: float = 7.5 / 5.5  # pressure at zero flow over rated pressure, at rated speed
    static_head: float = 0.0  # share of the rated pressure the system needs at zero flow (0: a loop)
    efficiency: float = 0.7
    speed_tau: float = 1.5  # s
    vibration_tau: float = 0.5  # s
    temperature_tau: float = 30.0  # s (fast, so a demo shows it)
    ambient: float = 25.0  # °C
    setpoint: float = 1480.0  # rpm
    speed: float = 1480.0  # rpm
    fault: bool = False  # a bearing fault: more vibration, a hotter bearing
    flow_trim: float = 0.0  # % calibration trim of the flow meter
    run_seconds: float = 12_345 * 3600.0
    vibration: float = 1.8  # mm/s
    temperature: float = 60.0  # °C

    @property
    def rated_power(self) -> float:
        """Shaft power at the rated point, kW."""
        return self.rated_flow / 3600.0 * self.rated_pressure * 1e5 / self.efficiency / 1000.0

    def settle(self) -> None:
        """Put vibration and bearing temperature where the present speed keeps them (a pump long running)."""
        n = max(self.speed, 0.0) / self.rated_speed
        running = self.speed > RUNNING_SPEED
        self.vibration = self._vibration_target(n, running)
        self.temperature = self._temperature_target(n, running)

    def advance(self, dt: float, rng: np.random.Generator) -> PumpReading:
        """Move on ``dt`` seconds and read the instruments."""
        self.speed += (self.setpoint - self.speed) * _lag(dt, self.speed_tau)
        n = max(self.speed, 0.0) / self.rated_speed
        running = self.speed > RUNNING_SPEED
        noise = rng.standard_normal(6)
        if running:
            self.run_seconds += dt
        self.vibration += (self._vibration_target(n, running) - self.vibration) * _lag(dt, self.vibration_tau)
        self.temperature += (self._temperature_target(n, running) - self.temperature) * _lag(dt, self.temperature_tau)
        x, p = self.operating_point(n) if running else (0.0, 0.0)
        load = x * p  # hydraulic power relative to the rated point
        flow = self.rated_flow * x * (1.0 + self.flow_trim / 100.0) * (1.0 + 0.004 * noise[0])
        pressure = self.rated_pressure * p * (1.0 + 0.003 * noise[1])
        current = (self.magnetising_current + (self.rated_current - self.magnetising_current) * load) * (
            1.0 + 0.005 * noise[2]) if running else 0.0
        return PumpReading(
            speed=max(self.speed + 0.5 * noise[3], 0.0) if running else max(self.speed, 0.0),
            flow=max(flow, 0.0) if running else 0.0,
            pressure=max(pressure, 0.0) if running else 0.0,
            current=max(current, 0.0),
            power=self.rated_power * load,
            vibration=max(self.vibration * (1.0 + 0.03 * noise[4]), 0.0),
            temperature=self.temperature + 0.02 * noise[5],
            running=running,
            relative_flow=x,
        )

    def operating_point(self, n: float) -> tuple[float, float]:
        """Relative flow ``x`` and pressure ``p / p_rated`` where pump and system curves meet at speed ratio ``n``."""
        a, s = self.shutoff_ratio, self.static_head
        b = a - 1.0
        x = math.sqrt(max(0.0, (a * n * n - s) / (b + 1.0 - s)))
        return x, max(0.0, a * n * n - b * x * x)

    def _vibration_target(self, n: float, running: bool) -> float:
        return 1.8 * n * n + (7.0 * n if self.fault and running else 0.0)

    def _temperature_target(self, n: float, running: bool) -> float:
        return self.ambient + 35.0 * n * n + (30.0 if self.fault and running else 0.0)


def _lag(dt: float, tau: float) -> float:
    """Share of the remaining way a first-order lag with time constant ``tau`` goes in ``dt``."""
    return 1.0 - math.exp(-dt / tau)
