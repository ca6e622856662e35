"""Values and times as an engineer reads them, shared by the CLI and the device view.

A float32 register holding 3.14159 arrives as the double 3.141590118408203; printing that
suggests a precision the device never had. Values are shown with the precision of their type:
the shortest text that gives back the same float32, or 15 significant digits of a double, as
UaExpert and Modbus Poll do.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

_FLOAT32_TYPES = {"float32", "float", "real"}


def format_value(value: Any, data_type: str = "") -> str:
    """``value`` with the precision of ``data_type``; without one, float32 is recognised by round trip."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        with np.errstate(over="ignore"):  # beyond float32's range: inf, which then differs from value
            narrow = np.float32(value)
        if float(narrow) == value and (not data_type or data_type.lower() in _FLOAT32_TYPES):
            return str(narrow)  # numpy prints the shortest text that reads back as the same float32
        return repr(float(f"{value:.15g}"))  # the digits a double holds (scaled integers: 23.4, not 23.400000000000002)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v, data_type) for v in value) + "]"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def format_time(t_ns: int) -> str:
    """A timestamp in ns since the epoch as ISO 8601 UTC with milliseconds; empty for none."""
    if not t_ns:
        return ""
    seconds, ns = divmod(int(t_ns), 1_000_000_000)
    stamp = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ns // 1_000_000:03d}Z"
