"""Writes pump_run.csv: 20 s of the example pump station, every instrument sampled at 2 kHz.

The pump is the one `millwright simulate opcua` serves (:class:`device_browser.simulators.pump.Pump`
at its default ratings: 120 m³/h, 4.5 bar, 34 A at 1480 rpm, in a loop), here driven at 1500 rpm
(25 Hz). Over the recording a rotor rub develops:

* the bearing-housing accelerometer (``acc``, m/s²) shows a broadband velocity growing from 1.0 to
  6.0 mm/s RMS, so the ISO 10816 zone climbs from A to C and the ``vibration_alarm`` graph raises
  its alarm at 8 s;
* the rub costs shaft power, growing from 0 to 3 kW, so the motor current rises by about 3 A for
  the same flow and pressure and the ``pump_efficiency`` graph sees the efficiency fall.

The other columns are the simulator's tags, named as the points of ``devices/pump_station_opcua.yaml``:
``speed`` (rpm), ``flow`` (m³/h), ``discharge_pressure`` (bar) and ``motor_current`` (A).
Deterministic (fixed seeds): ``.venv/bin/python resources/examples/pump_station/data/make_pump_run.py``
rewrites the same file.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from device_browser.simulators.pump import Pump

RATE, SECONDS, SHAFT_HZ = 2000, 20, 25.0
RUB_KW = 3.0  # extra shaft power at the end of the recording


def accelerometer(t: np.ndarray) -> np.ndarray:
    """Bearing-housing acceleration (m/s²): a growing 1× unbalance, a little 2× and noise."""
    rms_mm_s = 1.0 + 5.0 * t / SECONDS
    amplitude = rms_mm_s * np.sqrt(2) / 1000  # peak velocity in m/s
    omega = 2 * np.pi * SHAFT_HZ
    # a = dv/dt of v = A(t)·sin(ωt), plus a little 2× and broadband noise.
    acc = amplitude * omega * np.cos(omega * t) + (5.0 / SECONDS * np.sqrt(2) / 1000) * np.sin(omega * t)
    acc += 0.1 * amplitude * 2 * omega * np.cos(2 * omega * t)
    acc += np.random.default_rng(7).normal(scale=0.02, size=len(t))
    return acc


def process(t: np.ndarray) -> dict[str, np.ndarray]:
    """The simulator pump's instruments at every sample, with the rub's extra motor current."""
    pump = Pump(setpoint=SHAFT_HZ * 60, speed=SHAFT_HZ * 60)
    pump.settle()
    amps_per_kw = (pump.rated_current - pump.magnetising_current) / pump.rated_power
    rng = np.random.default_rng(11)
    columns: dict[str, list[float]] = {"speed": [], "flow": [], "discharge_pressure": [], "motor_current": []}
    for k in range(len(t)):
        reading = pump.advance(1.0 / RATE, rng)
        columns["speed"].append(reading.speed)
        columns["flow"].append(reading.flow)
        columns["discharge_pressure"].append(reading.pressure)
        columns["motor_current"].append(reading.current + amps_per_kw * RUB_KW * t[k] / SECONDS)
    return {name: np.asarray(values) for name, values in columns.items()}


def sample() -> pd.DataFrame:
    t = np.arange(RATE * SECONDS) / RATE
    start = pd.Timestamp("2026-11-25T08:00:00Z")
    times = (start + pd.to_timedelta(t, unit="s")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    frame = pd.DataFrame({"time": times, "acc": np.round(accelerometer(t), 6)})
    decimals = {"speed": 1, "flow": 2, "discharge_pressure": 3, "motor_current": 2}
    for name, values in process(t).items():
        frame[name] = np.round(values, decimals[name])
    return frame


if __name__ == "__main__":
    sample().to_csv(Path(__file__).with_name("pump_run.csv"), index=False)
