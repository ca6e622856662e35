"""Values between OPC UA and Millwright: timestamps, quality, samples, and values made to fit a node.

* Timestamps travel as ns since the Unix epoch (UTC) in :class:`~device_browser.session.Sample`.
* A StatusCode becomes a quality (GOOD / UNCERTAIN / BAD) and keeps its name in ``status``.
* :func:`coerce_value` converts what an engineer typed (or a script passed) to what a variable
  of a given built-in type takes, or refuses with a reason — before anything is sent, because a
  server's own answer (``BadTypeMismatch``) says neither which value nor why.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from asyncua import ua

from device_browser.session import BAD, GOOD, UNCERTAIN, Sample, WriteRefused

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# Up to here a float of seconds since 1970 keeps every whole second exact (checked against the
# exact timedelta arithmetic on 2 million random instants up to the year 2200).
_FAST_UNTIL = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)


def to_ns(stamp: dt.datetime | None) -> int:
    """A datetime (asyncua gives timezone-aware UTC) as ns since the Unix epoch; 0 for none."""
    if stamp is None:
        return 0
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    if EPOCH <= stamp < _FAST_UNTIL:  # whole seconds from the float, microseconds exactly: 4× faster, same result
        return (int(stamp.timestamp()) * 1_000_000 + stamp.microsecond) * 1000
    return (stamp - EPOCH) // dt.timedelta(microseconds=1) * 1000


def as_datetime(value: dt.datetime | int | float) -> dt.datetime:
    """ns since the epoch (int), seconds (float) or a datetime, as an aware UTC datetime."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int) and abs(value) > 10**12:
        return EPOCH + dt.timedelta(microseconds=value // 1000)
    return EPOCH + dt.timedelta(seconds=float(value))


# StatusCode bits below the code itself (OPC UA Part 4, 7.39): InfoType "DataValue" (0x400)
# says the low bits carry facts about the value. Overflow (0x80) means the server's queue for
# the item discarded older values; a limit (0x100 low, 0x200 high, 0x300 constant) means the
# value is clamped; SemanticsChanged (0x4000) means its meaning (e.g. the unit) changed.
INFO_DATAVALUE = 0x400
INFO_TYPE_MASK = 0xC00
OVERFLOW = 0x80
LIMIT_MASK = 0x300
SEMANTICS_CHANGED = 0x4000
STRUCTURE_CHANGED = 0x8000
_LIMITS = {0x100: "LowLimit", 0x200: "HighLimit", 0x300: "Constant"}


def is_overflow(status: ua.StatusCode | None) -> bool:
    """The server dropped older values of this item before this one (queue overflow bit)."""
    if status is None:
        return False
    value = status.value
    return value & INFO_TYPE_MASK == INFO_DATAVALUE and bool(value & OVERFLOW)


def quality_of(status: ua.StatusCode | None) -> int:
    """GOOD, UNCERTAIN or BAD. A good value the server flags (overflow, limit, changed semantics)
    is UNCERTAIN: a trend must not show it as trustworthy as any other."""
    if status is None:
        return GOOD
    value = status.value
    if status.is_good():
        flagged = value & SEMANTICS_CHANGED or (
            value & INFO_TYPE_MASK == INFO_DATAVALUE and value & (OVERFLOW | LIMIT_MASK))
        return UNCERTAIN if flagged else GOOD
    return UNCERTAIN if status.is_uncertain() else BAD


def status_name(status: ua.StatusCode | None) -> str:
    """The code's name, with the flags a plant engineer should see: ``Good, Overflow``."""
    if status is None or status.value == 0:
        return ""
    value = status.value
    name = ua.StatusCode(value & 0xFFFF0000).name
    flags = []
    if value & INFO_TYPE_MASK == INFO_DATAVALUE:
        if value & LIMIT_MASK:
            flags.append(_LIMITS[value & LIMIT_MASK])
        if value & OVERFLOW:
            flags.append("Overflow")
    if value & SEMANTICS_CHANGED:
        flags.append("SemanticsChanged")
    if value & STRUCTURE_CHANGED:
        flags.append("StructureChanged")
    if name == "Good" and not flags:
        return ""
    return ", ".join([name, *flags])


def value_of(dv: ua.DataValue) -> Any:
    """The value a DataValue carries (a LocalizedText as its text)."""
    value = dv.Value.Value if dv.Value is not None else None
    return value.Text if isinstance(value, ua.LocalizedText) else value


def sample_of(tag: str, dv: ua.DataValue) -> Sample:
    return Sample(
        tag=tag,
        value=value_of(dv),
        quality=quality_of(dv.StatusCode),
        source_time=to_ns(dv.SourceTimestamp),
        server_time=to_ns(dv.ServerTimestamp),
        status=status_name(dv.StatusCode),
    )


# --- values that fit a node's type --------------------------------------------------------------

_INT_RANGES = {
    ua.VariantType.SByte: (-(2**7), 2**7 - 1),
    ua.VariantType.Byte: (0, 2**8 - 1),
    ua.VariantType.Int16: (-(2**15), 2**15 - 1),
    ua.VariantType.UInt16: (0, 2**16 - 1),
    ua.VariantType.Int32: (-(2**31), 2**31 - 1),
    ua.VariantType.UInt32: (0, 2**32 - 1),
    ua.VariantType.Int64: (-(2**63), 2**63 - 1),
    ua.VariantType.UInt64: (0, 2**64 - 1),
}
_FLOAT_MAX = 3.4028234663852886e38
_TRUE = {"true", "1", "on", "yes"}
_FALSE = {"false", "0", "off", "no"}


def format_number(value: Any) -> str:
    """A number as messages show it (a real minus sign, no float noise)."""
    if isinstance(value, float):
        return f"{value:.15g}".replace("-", "−")
    return f"{value}".replace("-", "−") if isinstance(value, int) else repr(value)


_num = format_number


def coerce_value(value: Any, vtype: ua.VariantType, value_rank: int = -1, where: str = "") -> Any:
    """``value`` converted to what a ``vtype`` variable takes, or :class:`WriteRefused` saying why not.

    ``where`` ends the message ("for nsu=…;s=Pump.Speed"). Arrays (value rank ≥ 0) take lists.
    """
    suffix = f" for {where}" if where else ""
    if value_rank >= 1 or (value_rank in (0, -3) and isinstance(value, list | tuple)):
        if not isinstance(value, list | tuple):
            raise WriteRefused(f"{_num(value)} is a single value, but the variable takes an array{suffix}")
        return [coerce_value(v, vtype, -1, where) for v in value]
    if isinstance(value, list | tuple) and value_rank == -1:
        raise WriteRefused(f"A list was given, but the variable takes a single {vtype.name}{suffix}")
    name = vtype.name
    if vtype == ua.VariantType.Boolean:
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise WriteRefused(f"{_num(value)} is not a Boolean (true/false){suffix}")
    if vtype in _INT_RANGES:
        lo, hi = _INT_RANGES[vtype]
        number = value
        if isinstance(value, str):
            try:
                number = float(value.strip()) if any(c in value for c in ".eE") else int(value.strip(), 0)
            except ValueError:
                raise WriteRefused(f"{value!r} is not a number: {name} takes whole numbers{suffix}") from None
        if isinstance(number, bool):
            number = int(number)
        if isinstance(number, float):
            if not math.isfinite(number) or not number.is_integer():
                raise WriteRefused(f"{_num(value)} is not a whole number: {name} takes whole numbers{suffix}")
            number = int(number)
        if not isinstance(number, int):
            raise WriteRefused(f"{_num(value)} is not a number: {name} takes whole numbers{suffix}")
        if not lo <= number <= hi:
            raise WriteRefused(f"{_num(number)} does not fit {name} ({_num(lo)}…{_num(hi)}){suffix}")
        return number
    if vtype in (ua.VariantType.Float, ua.VariantType.Double):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise WriteRefused(f"{_num(value)} is not a number: {name} takes numbers{suffix}")
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise WriteRefused(f"{value!r} is not a number: {name} takes numbers{suffix}") from None
        if vtype == ua.VariantType.Float and math.isfinite(number) and abs(number) > _FLOAT_MAX:
            raise WriteRefused(f"{_num(value)} does not fit Float (±3.4e38){suffix}")
        return number
    if vtype == ua.VariantType.String:
        return str(value)
    if vtype == ua.VariantType.LocalizedText:
        return value if isinstance(value, ua.LocalizedText) else ua.LocalizedText(str(value))
    if vtype == ua.VariantType.DateTime:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                raise WriteRefused(f"{value!r} is not a date and time (ISO 8601){suffix}") from None
        if isinstance(value, dt.datetime):
            return as_datetime(value)
        raise WriteRefused(f"{_num(value)} is not a date and time{suffix}")
    if vtype == ua.VariantType.ByteString:
        if isinstance(value, bytes | bytearray):
            return bytes(value)
        raise WriteRefused(f"{_num(value)} is not a byte string{suffix}")
    if vtype in (ua.VariantType.Null, ua.VariantType.Variant):
        return value  # BaseDataType: the server takes any type; asyncua guesses the Variant type
    return value  # structures, NodeIds, …: passed as given, the server checks
