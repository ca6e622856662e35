"""Sparkplug B payloads as a host reads them: decoded by pysparkplug's compiled schema, leniently.

Implementations disagree on small integers (see PITFALLS.md): pysparkplug sends Int16 −5 as
65531 in ``int_value``, Eclipse Tahu sends it as 4294967291, and a UInt32 may come in
``int_value`` or ``long_value``. A host must accept every form, so values are read from
whichever field is set and folded to the metric's declared width here, instead of letting
pysparkplug reject the whole payload with an OverflowError.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pysparkplug as spb
from pysparkplug import _protobuf as spb_protobuf  # the compiled schema: properties (engUnit) and raw fields

UNIT_KEYS = ("engUnit", "EngUnit", "engineeringUnit", "unit")  # names Ignition, Tahu and others use
_SIGNED_BITS = {spb.DataType.INT8: 8, spb.DataType.INT16: 16, spb.DataType.INT32: 32, spb.DataType.INT64: 64}
_UNSIGNED_BITS = {spb.DataType.UINT8: 8, spb.DataType.UINT16: 16, spb.DataType.UINT32: 32, spb.DataType.UINT64: 64}


@dataclass(frozen=True)
class MetricUpdate:
    """One metric of a payload: its name (or only its alias in data messages), type, value and flags."""

    name: str | None
    alias: int | None
    datatype: spb.DataType
    value: Any
    timestamp_ms: int | None
    is_null: bool = False
    is_historical: bool = False
    unit: str = ""
    description: str = ""


@dataclass(frozen=True)
class Payload:
    """A decoded Sparkplug B payload: message timestamp (ms), ``seq`` (None when absent), metrics."""

    timestamp_ms: int | None
    seq: int | None
    metrics: tuple[MetricUpdate, ...]

    def bd_seq(self) -> int | None:
        """The ``bdSeq`` metric of an NBIRTH or NDEATH (Int64 in pysparkplug, UInt64 in Tahu: either)."""
        for metric in self.metrics:
            if metric.name == "bdSeq" and isinstance(metric.value, int):
                return metric.value
        return None


def decode_payload(raw: bytes) -> Payload:
    """Decode a Sparkplug B protobuf payload; raises ``ValueError`` when it is not one."""
    try:
        message = spb_protobuf.Payload.FromString(raw)
    except Exception as exc:  # noqa: BLE001 - protobuf's DecodeError and friends: not a Sparkplug payload
        raise ValueError(f"not a Sparkplug B payload ({exc})") from None
    return Payload(message.timestamp if message.HasField("timestamp") else None,
                   message.seq if message.HasField("seq") else None,
                   tuple(_metric(m) for m in message.metrics))


def _metric(metric: Any) -> MetricUpdate:
    try:
        datatype = spb.DataType(metric.datatype)
    except ValueError:
        datatype = spb.DataType.UNKNOWN
    field = metric.WhichOneof("value")
    value = None if metric.is_null or field is None else metric_value(datatype, getattr(metric, field))
    description = metric.metadata.description if metric.HasField("metadata") else ""
    return MetricUpdate(metric.name if metric.HasField("name") else None,
                        metric.alias if metric.HasField("alias") else None,
                        datatype, value, metric.timestamp if metric.HasField("timestamp") else None,
                        is_null=metric.is_null or field is None, is_historical=metric.is_historical,
                        unit=_unit(metric), description=description)


def metric_value(datatype: spb.DataType, raw: Any) -> Any:
    """The value of a metric from its raw protobuf field, folded to the declared integer width."""
    if datatype in _SIGNED_BITS and isinstance(raw, int):
        bits = _SIGNED_BITS[datatype]
        raw &= (1 << bits) - 1
        return raw - (1 << bits) if raw >= 1 << (bits - 1) else raw
    if datatype in _UNSIGNED_BITS and isinstance(raw, int):
        return raw & ((1 << _UNSIGNED_BITS[datatype]) - 1)
    if datatype is spb.DataType.UNKNOWN:  # a data message without types: the field tells enough
        return raw
    try:
        return datatype.decode(raw)
    except (NotImplementedError, OverflowError, ValueError):
        return raw


def _unit(metric: Any) -> str:
    if not metric.HasField("properties"):
        return ""
    for key, value in zip(metric.properties.keys, metric.properties.values, strict=False):
        if key in UNIT_KEYS and value.WhichOneof("value") == "string_value":
            return value.string_value
    return ""


def rebirth_request() -> bytes:
    """An NCMD payload asking an edge node to publish its births again (``Node Control/Rebirth`` = true)."""
    now = spb.get_current_timestamp()
    return spb.NCmd(now, (spb.Metric(now, "Node Control/Rebirth", spb.DataType.BOOLEAN, value=True),)).encode()


def command(datatype: spb.DataType, name: str, alias: int | None, value: Any, *, device: bool) -> bytes:
    """An NCMD or DCMD payload writing ``value`` to one metric (by name, with its alias when known)."""
    now = spb.get_current_timestamp()
    metric = spb.Metric(now, name, datatype, value=value, alias=alias)
    kind = spb.DCmd if device else spb.NCmd
    return kind(now, (metric,)).encode(include_dtypes=True)
