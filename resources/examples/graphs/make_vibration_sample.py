"""Writes vibration_sample.csv: 20 s of a pump's bearing-housing accelerometer at 2 kHz.

The pump runs at 1500 rpm (25 Hz). Its broadband velocity grows from 1.0 to 6.0 mm/s RMS over
the recording (a developing unbalance), so the ISO 10816 zone climbs from A to C and the
vibration_alarm graph raises its alarm after about 7 s. Deterministic (fixed seed):
``python resources/examples/graphs/make_vibration_sample.py`` rewrites the same file.
"""

from pathlib import Path

import numpy as np
import pandas as pd

RATE, SECONDS, SHAFT_HZ = 2000, 20, 25.0


def sample() -> pd.DataFrame:
    t = np.arange(RATE * SECONDS) / RATE
    rms_mm_s = 1.0 + 5.0 * t / SECONDS
    amplitude = rms_mm_s * np.sqrt(2) / 1000  # peak velocity in m/s
    omega = 2 * np.pi * SHAFT_HZ
    # a = dv/dt of v = A(t)·sin(ωt), plus a little 2× and broadband noise.
    acc = amplitude * omega * np.cos(omega * t) + (5.0 / SECONDS * np.sqrt(2) / 1000) * np.sin(omega * t)
    acc += 0.1 * amplitude * 2 * omega * np.cos(2 * omega * t)
    acc += np.random.default_rng(7).normal(scale=0.02, size=len(t))
    start = pd.Timestamp("2026-11-25T08:00:00Z")
    times = (start + pd.to_timedelta(t, unit="s")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return pd.DataFrame({"time": times, "acc": np.round(acc, 6)})


if __name__ == "__main__":
    sample().to_csv(Path(__file__).with_name("vibration_sample.csv"), index=False)
