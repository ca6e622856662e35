"""What Millwright needs to know about a variable before writing or watching it.

A write must send the variable's own built-in type and value rank, only to a writable node,
and only inside its engineering range; a percent deadband is a share of that range. These
facts (:class:`NodeFacts`) are read in one batched Translate + Read by :func:`node_facts` and
cached per connection. The tag list reads less (see ``ua_browse``) and leaves this cache alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asyncua import ua

from device_browser.opcua.ua_connection import DataTypes, NodeFacts, UaConnection
from device_browser.opcua.ua_errors import OpcUaError
from device_browser.opcua.ua_requests import property_path, read_attributes, translate_paths
from device_browser.opcua.ua_types import resolve_types

# Properties of a variable that the tag list folds into its row (unit, range) instead of
# showing them as children. Their browse names are in namespace 0 (OPC UA Part 8).
EU_PROPERTIES = ("EURange", "EngineeringUnits")

# The attributes of a variable a write needs, under the keys facts_from() reads.
FACT_ATTRIBUTES = (
    ("data_type", ua.AttributeIds.DataType),
    ("value_rank", ua.AttributeIds.ValueRank),
    ("access", ua.AttributeIds.AccessLevel),
    ("user_access", ua.AttributeIds.UserAccessLevel),
)


def access_of(got: dict[str, Any]) -> str:
    """"r", "w", "rw" or "" from AccessLevel narrowed by UserAccessLevel (a server may state a
    node writable and still refuse this user), or from the one of them that was read."""
    level = got.get("access", got.get("user_access", 0)) or 0
    if "user_access" in got:
        level &= got["user_access"] or 0
    return ("r" if level & ua.AccessLevel.CurrentRead.mask else "") + (
        "w" if level & ua.AccessLevel.CurrentWrite.mask else ""
    )


def eu_of(got: dict[str, Any]) -> tuple[tuple[float, float] | None, str]:
    """The EURange (low, high) and the unit's display name from read property values."""
    eu = got.get("EURange")
    unit = got.get("EngineeringUnits")
    return (
        (float(eu.Low), float(eu.High)) if isinstance(eu, ua.Range) else None,
        (unit.DisplayName.Text or "") if isinstance(unit, ua.EUInformation) and unit.DisplayName else "",
    )


def facts_from(types: DataTypes, got: dict[str, Any]) -> NodeFacts:
    """NodeFacts from read attribute and property values (keys of FACT_ATTRIBUTES and EU_PROPERTIES)."""
    dtype = got.get("data_type") if isinstance(got.get("data_type"), ua.NodeId) else None
    eu_range, unit = eu_of(got)
    return NodeFacts(
        data_type=dtype,
        data_type_name=types.name(dtype),
        variant_type=types.variant_of(dtype) if dtype else None,
        value_rank=int(got.get("value_rank", -1)),
        access=access_of(got),
        eu_range=eu_range,
        unit=unit,
    )


async def node_facts(session: UaConnection, tags: Sequence[str], *, properties: bool = False) -> list[NodeFacts]:
    """Type, access (and with ``properties`` EURange and unit) of variables, cached per session.

    Requests for what is not cached: with ``properties`` one TranslateBrowsePaths (EURange,
    EngineeringUnits), then one Read of the attributes and the property values found; each
    chunked by the server's limits. Data types of the server's own add a Read and a few Browses.
    """
    nids = [session.to_nodeid(t) for t in tags]
    cached = session.facts
    need = list(dict.fromkeys(n for n in nids if n not in cached or (properties and not cached[n].with_properties)))
    if need:
        reads = [ua.ReadValueId(NodeId=n, AttributeId=a) for n in need for _, a in FACT_ATTRIBUTES]
        slots = [(k, key) for k in range(len(need)) for key, _ in FACT_ATTRIBUTES]
        if properties:  # where the properties are first, so that one Read takes their values too
            paths = [property_path(n, name) for n in need for name in EU_PROPERTIES]
            for j, target in enumerate(await translate_paths(session, paths)):
                if target is not None:
                    reads.append(ua.ReadValueId(NodeId=target, AttributeId=ua.AttributeIds.Value))
                    slots.append((j // len(EU_PROPERTIES), EU_PROPERTIES[j % len(EU_PROPERTIES)]))
        got: list[dict[str, Any]] = [{} for _ in need]
        for (k, key), dv in zip(slots, await read_attributes(session, reads, ua.TimestampsToReturn.Neither),
                                strict=True):
            if dv.StatusCode.is_good() and dv.Value is not None:
                got[k][key] = dv.Value.Value
        for g, n in zip(got, need, strict=True):
            if "data_type" not in g:
                raise OpcUaError(f"{session.to_tag(n)} is not a variable on {session.url}", "BadAttributeIdInvalid")
        await resolve_types(session, [g["data_type"] for g in got])
        for n, g in zip(need, got, strict=True):
            facts = facts_from(session.types, g)
            facts.with_properties = properties
            cached[n] = facts
    return [cached[n] for n in nids]


# Properties that name a variable's values (OPC UA Part 8): a TwoStateDiscreteType's TrueState and
# FalseState, a MultiStateDiscreteType's EnumStrings, a MultiStateValueDiscreteType's EnumValues;
# an Enumeration data type names its values by EnumStrings or EnumValues.
_STATE_PROPERTIES = ("TrueState", "FalseState", "EnumStrings", "EnumValues")
_TYPE_PROPERTIES = ("EnumStrings", "EnumValues")


async def value_names(session: UaConnection, tag: str) -> dict[Any, str]:
    """The names of a variable's values (``{True: "Fault", False: "Normal"}``, ``{0: "Off", 1: "On"}``),
    empty when it names none: one TranslateBrowsePaths and one Read.

    Lets an engineer write an enumeration or a two-state boolean by name.
    """
    nid = session.to_nodeid(tag)
    [facts] = await node_facts(session, [tag])
    paths = [property_path(nid, name) for name in _STATE_PROPERTIES]
    if facts.data_type is not None:  # a built-in type has no such property: not found, at no extra request
        paths += [property_path(facts.data_type, name) for name in _TYPE_PROPERTIES]
    names = [*_STATE_PROPERTIES, *_TYPE_PROPERTIES][:len(paths)]
    found = [(name, target) for name, target in zip(names, await translate_paths(session, paths), strict=True)
             if target is not None]
    if not found:
        return {}
    reads = [ua.ReadValueId(NodeId=target, AttributeId=ua.AttributeIds.Value) for _, target in found]
    got = {name: dv.Value.Value for (name, _), dv in
           zip(found, await read_attributes(session, reads, ua.TimestampsToReturn.Neither), strict=True)
           if dv.StatusCode.is_good() and dv.Value is not None and dv.Value.Value is not None}
    if "TrueState" in got or "FalseState" in got:
        return {True: _text(got.get("TrueState")) or "true", False: _text(got.get("FalseState")) or "false"}
    if got.get("EnumStrings"):
        return {i: _text(text) for i, text in enumerate(got["EnumStrings"])}
    if got.get("EnumValues"):
        return {int(e.Value): _text(e.DisplayName) for e in got["EnumValues"]}
    return {}


def _text(value: Any) -> str:
    return (value.Text or "") if isinstance(value, ua.LocalizedText) else str(value or "")
