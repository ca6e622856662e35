"""Safe writes: the one way Millwright changes a value on a device.

Every write goes through :func:`safe_write` (a profile's point) or :func:`raw_write` (an address
without a profile, checked by the device's own type), which check before anything is sent,
read the old value, write, read the new value back, and append who / what / old / new /
read back / result to the audit log — a JSON-lines file that commissioning reports can quote —
and to the ``millwright.audit`` logger that the workbench's Log panel shows. Refused attempts
are recorded too (:func:`record_refusal`): an audit that shows only successes hides the
attempts a reviewer most wants to see.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import logging
import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from device_browser.profiles import DeviceProfile, Point
from device_browser.session import DeviceError, DeviceSession, WriteRefused

audit_log = logging.getLogger("millwright.audit")
_TRUE, _FALSE = {"1", "true", "on", "yes"}, {"0", "false", "off", "no"}
_INTEGER_RANGES = {"int16": (-2**15, 2**15 - 1), "uint16": (0, 2**16 - 1), "int32": (-2**31, 2**31 - 1),
                   "uint32": (0, 2**32 - 1), "int64": (-2**63, 2**63 - 1), "uint64": (0, 2**64 - 1),
                   "byte": (0, 255), "sbyte": (-128, 127)}


@dataclass(frozen=True)
class WriteRecord:
    time: str
    user: str
    device: str
    point: str
    old: Any
    new: Any
    result: str  # "written", "refused: why" or the reason it failed
    readback: Any = None  # the value read after writing


def literal(text: str) -> Any:
    """A value typed on a command line without a profile: true/false, a whole number, a number, or text.

    The device's session then converts it to the tag's own type or refuses it."""
    word = text.strip().lower()
    if word in _TRUE - {"1"} or word in _FALSE - {"0"}:
        return word in _TRUE
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def check_value(profile: DeviceProfile, point: Point, value: Any) -> Any:
    """The value converted to the point's type, or :class:`WriteRefused` saying why not."""
    label = f"'{point.name}' of {profile.id}"
    if not point.writable:
        raise WriteRefused(f"{label} is read-only in its profile; nothing was written")
    converted = _convert(point, value, label)
    if isinstance(converted, (int, float)) and not isinstance(converted, bool):
        unit = f" {point.unit}" if point.unit else ""
        for kind, limits in (("write limit", point.write_limits), ("range", point.range)):
            if limits and not limits[0] <= converted <= limits[1]:
                raise WriteRefused(f"{converted:g}{unit} is outside the {kind} {limits[0]:g}…{limits[1]:g}{unit} "
                                   f"of {label}; nothing was written")
    return converted


def _convert(point: Point, value: Any, label: str) -> Any:
    kind = point.data_type
    if kind in ("bool", "bit"):
        text = str(value).strip().lower()
        if isinstance(value, bool) or text in _TRUE | _FALSE:
            return value if isinstance(value, bool) else text in _TRUE
        raise WriteRefused(f"{label} takes true or false, not {value!r}; nothing was written")
    if kind == "string":
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise WriteRefused(f"{label} takes a number, not {value!r}; nothing was written") from None
    if not math.isfinite(number):
        raise WriteRefused(f"{label} takes a finite number, not {value!r}; nothing was written")
    scaled = point.address.get("scale", 1) != 1 or point.address.get("offset", 0) != 0
    if kind in _INTEGER_RANGES and not scaled:
        low, high = _INTEGER_RANGES[kind]
        if number != int(number):
            raise WriteRefused(f"{label} is a whole number ({kind}); {value!r} has a fraction; nothing was written")
        if not low <= number <= high:
            raise WriteRefused(f"{int(number)} does not fit {kind} ({low}…{high}) for {label}; nothing was written")
        return int(number)
    return number


class AuditLog:
    """Appends one JSON line per write attempt; each line is on disk before the call returns."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, record: WriteRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(record), ensure_ascii=False, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def _log(audit: AuditLog, record: WriteRecord) -> None:
    audit.append(record)
    audit_log.info("%s wrote %s.%s: %r → %r (%s)", record.user, record.device, record.point, record.old,
                   record.new, record.result)


def record_refusal(audit: AuditLog, device: str, point: str, value: Any, refusal: WriteRefused,
                   user: str | None = None) -> WriteRecord:
    """Record an attempt the checks refused (nothing was sent, so the old value was not read)."""
    record = WriteRecord(_now(), user or getpass.getuser(), device, point, None, value, f"refused: {refusal}")
    _log(audit, record)
    return record


async def safe_write(session: DeviceSession, profile: DeviceProfile, point_name: str, value: Any,
                     audit: AuditLog, user: str | None = None) -> WriteRecord:
    """Check against the profile, read the old value, write, read back, and record the attempt.

    Raises :class:`WriteRefused` (recorded as refused) or :class:`DeviceError` (recorded as failed)."""
    point = profile.point(point_name)
    try:
        converted = check_value(profile, point, value)
    except WriteRefused as exc:
        record_refusal(audit, profile.id, point.name, value, exc, user)
        raise
    # a session opened from the profile (connect.open_session) knows its points by name, whatever the protocol
    return await _audited_write(session, profile.id, point.name, point.name, converted, audit, user)


async def raw_write(session: DeviceSession, device: str, tag: str, value: Any, audit: AuditLog,
                    user: str | None = None) -> WriteRecord:
    """Write an address without a profile: the device's session checks the value against the tag's own type."""
    return await _audited_write(session, device, tag, tag, value, audit, user)


async def _audited_write(session: DeviceSession, device: str, point: str, tag: str, value: Any, audit: AuditLog,
                         user: str | None) -> WriteRecord:
    [before] = await session.read([tag])
    record = WriteRecord(_now(), user or getpass.getuser(), device, point, before.value, value, "written")
    try:
        await session.write(tag, value)
        [after] = await session.read([tag])
        record = replace(record, readback=after.value)
    except WriteRefused as exc:
        record = replace(record, result=f"refused: {exc}")
        raise
    except DeviceError as exc:
        record = replace(record, result=str(exc))
        raise
    finally:
        _log(audit, record)
    return record


def integer_range(data_type: str) -> tuple[int, int] | None:
    """The values an integer type of a profile holds (``uint16`` → (0, 65535)); None for other types."""
    return _INTEGER_RANGES.get(data_type)
