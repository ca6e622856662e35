"""Current values in and out: Read with per-item quality, checked Writes, and method Calls.

* A read never fails as a whole for one bad tag: each tag gets a Sample whose quality and
  status say what happened (a tag that is no NodeId at all is not even sent).
* Writes go as ``DataValue(Variant(value, <the node's built-in type>))`` without timestamps,
  after the value was checked against type, value rank, access and EURange; if any value of
  a batch does not fit, nothing is sent.
* Calls convert the arguments to the types the method's InputArguments declare, so that a
  mistake is reported by argument name before the call and not as ``BadTypeMismatch`` after.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from asyncua import ua

from device_browser.opcua.ua_connection import NodeFacts, UaConnection
from device_browser.opcua.ua_errors import OpcUaError
from device_browser.opcua.ua_facts import node_facts
from device_browser.opcua.ua_requests import (
    browse_references,
    property_path,
    read_attributes,
    read_values,
    translate_paths,
)
from device_browser.opcua.ua_types import resolve_types
from device_browser.opcua.ua_values import coerce_value, format_number, sample_of
from device_browser.session import BAD, DeviceError, Sample, WriteRefused

_log = logging.getLogger(__name__)


async def read(session: UaConnection, tags: list[str]) -> list[Sample]:
    """Current values with per-item quality; chunked by MaxNodesPerRead."""
    out: list[Sample | None] = [None] * len(tags)
    ids, where = [], []
    for i, tag in enumerate(tags):
        try:
            nid = session.to_nodeid(tag)
        except DeviceError as exc:
            out[i] = Sample(tag, None, BAD, status="BadNodeIdInvalid")
            _log.debug("%s", exc)
            continue
        ids.append(ua.ReadValueId(NodeId=nid, AttributeId=ua.AttributeIds.Value))
        where.append(i)
    for i, dv in zip(where, await read_attributes(session, ids), strict=True):
        out[i] = sample_of(tags[i], dv)
    return [s for s in out if s is not None]


async def write_many(session: UaConnection, values: dict[str, Any]) -> None:
    """Write several values (chunked by MaxNodesPerWrite). All are checked before any is sent."""
    tags = list(values)
    facts = await node_facts(session, tags, properties=True)
    writes = []
    for tag, fact in zip(tags, facts, strict=True):
        value = check_write(tag, fact, values[tag])
        # no SourceTimestamp: Siemens and Kepware refuse timestamps with BadWriteNotSupported
        dv = ua.DataValue(ua.Variant(value, fact.variant_type))
        writes.append(ua.WriteValue(NodeId=session.to_nodeid(tag), AttributeId=ua.AttributeIds.Value, Value=dv))
    failures = []
    size = session.limits.per_request("write")
    for start in range(0, len(writes), size):
        chunk = writes[start:start + size]
        params = ua.WriteParameters(NodesToWrite=chunk)
        results = await session.request("Write", lambda p=params: session.uaclient.write(p))
        for tag, status in zip(tags[start:start + len(chunk)], results, strict=True):
            if not status.is_good():
                failures.append(f"{tag}: {status.name} ({status.doc})")
    if failures:
        raise OpcUaError(f"{session.url} refused the write of " + "; ".join(failures))


def check_write(tag: str, fact: NodeFacts, value: Any) -> Any:
    """``value`` as it will be written to ``tag``, or :class:`WriteRefused` saying why not (nothing is
    sent). The write dialog checks with this too, so that it never promises what a write refuses."""
    if fact.access and "w" not in fact.access:
        raise WriteRefused(f"{tag} is read-only on the server")
    if fact.variant_type is None:
        raise WriteRefused(f"The data type {fact.data_type_name or '?'} of {tag} is not known; not written")
    value = coerce_value(value, fact.variant_type, fact.value_rank, tag)
    if fact.eu_range and isinstance(value, int | float) and not isinstance(value, bool):
        lo, hi = fact.eu_range
        if not lo <= value <= hi:
            raise WriteRefused(
                f"{format_number(value)} is outside the range {format_number(lo)}…{format_number(hi)} of {tag}"
            )
    return value


# --- methods ------------------------------------------------------------------------------------


async def call_many(session: UaConnection, calls: Sequence[tuple[str, str, Sequence[Any]]]) -> list[list[Any]]:
    """Several method calls, chunked by MaxNodesPerMethodCall. Arguments are checked before sending."""
    requests, labels = [], []
    for object_tag, method, args in calls:
        obj = session.to_nodeid(object_tag)
        mid = await _method_id(session, obj, method, object_tag)
        declared = await _input_arguments(session, mid)
        label = f"{method} of {object_tag}"
        if len(args) != len(declared):
            wanted = ", ".join(
                f"{a.Name or f'argument {k}'}: {session.types.name(a.DataType) or '?'}"
                for k, a in enumerate(declared, 1)
            )
            raise WriteRefused(f"{label} takes {len(declared)} argument(s) ({wanted}), {len(args)} given")
        variants = []
        for k, (arg, spec) in enumerate(zip(args, declared, strict=True), 1):
            vtype = session.types.variant_of(spec.DataType) or ua.VariantType.Variant
            value = coerce_value(arg, vtype, spec.ValueRank, f"argument '{spec.Name or k}' of {label}")
            variants.append(ua.Variant(value, vtype) if vtype != ua.VariantType.Variant else ua.Variant(value))
        requests.append(ua.CallMethodRequest(ObjectId=obj, MethodId=mid, InputArguments=variants))
        labels.append((label, declared))
    outputs: list[list[Any]] = []
    size = session.limits.per_request("call")
    for start in range(0, len(requests), size):
        chunk = requests[start:start + size]
        results = await session.request("Call", lambda c=list(chunk): session.uaclient.call(c))
        for (label, declared), result in zip(labels[start:start + len(chunk)], results, strict=True):
            arg_results = result.InputArgumentResults or []
            bad_args = [
                f"'{spec.Name or k}' {status.name}"
                for k, (spec, status) in enumerate(zip(declared, arg_results, strict=False), 1)
                if not status.is_good()
            ]
            if not result.StatusCode.is_good():
                detail = f" (arguments: {', '.join(bad_args)})" if bad_args else ""
                raise OpcUaError(
                    f"{label} failed: {result.StatusCode.name} ({result.StatusCode.doc}){detail}",
                    result.StatusCode.name,
                )
            outputs.append([v.Value for v in result.OutputArguments or []])
    return outputs


async def _method_id(session: UaConnection, obj: ua.NodeId, method: str, object_tag: str) -> ua.NodeId:
    """A method given as a NodeId, or by browse/display name among the methods of ``obj`` (cached)."""
    if "=" in method:
        return session.to_nodeid(method)
    methods = session.methods
    key = (obj, method)
    if key not in methods:
        (refs,) = await browse_references(session, [obj], class_mask=ua.NodeClass.Method)
        for ref in refs:
            methods[(obj, ref.BrowseName.Name)] = session.local(ref.NodeId)
            if ref.DisplayName and ref.DisplayName.Text:
                methods.setdefault((obj, ref.DisplayName.Text), session.local(ref.NodeId))
    if key not in methods:
        known = sorted({name for (o, name) in methods if o == obj})
        raise DeviceError(f"{object_tag} has no method {method!r}; it has: {', '.join(known) or 'none'}")
    return methods[key]


async def _input_arguments(session: UaConnection, mid: ua.NodeId) -> list[ua.Argument]:
    """The InputArguments a method declares (cached), with their data types resolved."""
    if mid not in session.arguments:
        (target,) = await translate_paths(session, [property_path(mid, "InputArguments")])
        declared: list[ua.Argument] = []
        if target is not None:
            (dv,) = await read_values(session, [target])
            declared = list(dv.Value.Value or []) if dv.StatusCode.is_good() else []
        await resolve_types(session, [a.DataType for a in declared])
        session.arguments[mid] = declared
    return session.arguments[mid]
