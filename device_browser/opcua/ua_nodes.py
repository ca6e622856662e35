"""One node of an address space as an explorer shows it: its children of every node class, all its
attributes and references, its values in words, and the arguments of a method.

The tag list (:mod:`~device_browser.opcua.ua_browse`) lists the Objects, Variables and Methods below
the Objects folder with the facts a tag row needs. An address-space explorer (UaExpert's tree) shows
the whole server instead: the Types and Views folders too, with ObjectTypes, VariableTypes,
DataTypes and ReferenceTypes, by name and node class only; everything else about a node is read
when it is selected. Requests:

* :func:`children`: one Browse (+ BrowseNext) of the node, through ``ua_browse.child_references``
  (chunked by the server's limits, continuation points followed). No Read: a 10,000-child
  folder costs one Browse and its BrowseNexts.
* :func:`read_node`: one Browse of the references of the node in both directions, then one Read
  (chunked) of every attribute, the EU properties found among the references and the names of
  reference types outside namespace 0; an enumeration's names add one Translate and one Read.
* :func:`method_arguments`: one Translate of InputArguments/OutputArguments and one Read.

Values are put in words by :func:`describe_value`: enumerations as ``Running (0)``, structures as
``field = value`` lines, arrays as ``[1.0, 2.0, …] (n=12)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from asyncua import ua

from device_browser.display import format_time, format_value
from device_browser.opcua.ua_browse import child_references
from device_browser.opcua.ua_connection import UaConnection
from device_browser.opcua.ua_errors import OpcUaError
from device_browser.opcua.ua_facts import EU_PROPERTIES, eu_of
from device_browser.opcua.ua_requests import browse_references, property_path, read_attributes, translate_paths
from device_browser.opcua.ua_types import resolve_types
from device_browser.opcua.ua_values import format_number, status_name, to_ns
from device_browser.session import BrowseItem

ROOT_TAG = "i=84"  # the Root folder: Objects, Types, Views
ARRAY_SHOWN = 10  # array elements put in words; the rest is "…" and the count
_HAS_PROPERTY = ua.ObjectIds.HasProperty
_EVENT_PATHS = frozenset({ua.ObjectIds.HasEventSource, ua.ObjectIds.HasNotifier})

# The attributes the attributes pane shows, in its order (those a node class lacks come back bad and are left out).
NODE_ATTRIBUTES = (
    "NodeId", "NodeClass", "BrowseName", "DisplayName", "Description", "Value", "DataType", "ValueRank",
    "ArrayDimensions", "AccessLevel", "UserAccessLevel", "MinimumSamplingInterval", "Historizing",
    "EventNotifier", "Executable", "UserExecutable", "IsAbstract", "Symmetric", "InverseName", "ContainsNoLoops",
)


# --- children -------------------------------------------------------------------------------------


async def children(session: UaConnection, tag: str | None = None) -> list[BrowseItem]:
    """The hierarchical children of ``tag`` (the Root folder if None), of every node class, names only.

    ``has_children`` is a guess that costs no request: every node may have children except a
    Method and a Property (a variable of PropertyType). ``extra`` holds ``browse_name`` (the
    name without its namespace index) and ``type_definition`` (a tag, or "").
    """
    parent = session.to_nodeid(tag or ROOT_TAG)
    (refs,) = await child_references(session, [parent], class_mask=0)
    items: list[BrowseItem] = []
    seen: set[ua.NodeId] = set()
    for ref in refs:
        if getattr(ref.NodeId, "ServerIndex", 0) or _is_event_path(ref.ReferenceTypeId):
            continue  # a node on another server; an event path, not a part (Server -HasNotifier-> PumpStation)
        nid = session.local(ref.NodeId)
        if nid in seen:
            continue
        seen.add(nid)
        node_class = ua.NodeClass(ref.NodeClass)
        typedef = session.local(ref.TypeDefinition) if ref.TypeDefinition and not ref.TypeDefinition.is_null() else None
        is_property = typedef == ua.NodeId(ua.ObjectIds.PropertyType)
        items.append(BrowseItem(
            tag=session.to_tag(nid),
            name=ref.DisplayName.Text if ref.DisplayName and ref.DisplayName.Text else ref.BrowseName.Name,
            node_class=node_class.name,
            has_children=node_class != ua.NodeClass.Method and not is_property,
            extra={"browse_name": ref.BrowseName.Name or "",
                   "type_definition": session.to_tag(typedef) if typedef is not None else ""},
        ))
    return items


def _is_event_path(ref_type: ua.NodeId) -> bool:
    return ref_type.NamespaceIndex == 0 and ref_type.Identifier in _EVENT_PATHS


# --- one node in full -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NodeReference:
    """One reference of a node, as the references pane lists it."""

    reference_type: str  # its BrowseName, e.g. "HasComponent"
    forward: bool
    target_name: str
    target_tag: str
    target_class: str  # "Variable", …


@dataclasses.dataclass
class NodeDetails:
    """Everything read about one node: attribute rows in words, references, and how to word its value."""

    tag: str
    node_class: str
    attributes: list[tuple[str, str]]  # (attribute, text) in NODE_ATTRIBUTES order, EU units and range added
    references: list[NodeReference]
    enum_names: dict[int, str] | None = None  # the value's data type is an enumeration: value -> name

    def attribute(self, name: str) -> str:
        """The text of attribute ``name`` ("" if the node has none)."""
        return next((text for key, text in self.attributes if key == name), "")


async def read_node(session: UaConnection, tag: str) -> NodeDetails:
    """All attributes and references of ``tag`` (requests in the module docstring).

    Raises :class:`OpcUaError` if the node does not exist.
    """
    nid = session.to_nodeid(tag)
    (refs,) = await browse_references(session, [nid], ref_type=0, direction=ua.BrowseDirection.Both)
    reads = [ua.ReadValueId(NodeId=nid, AttributeId=getattr(ua.AttributeIds, name)) for name in NODE_ATTRIBUTES]
    slots: list[tuple[str, Any]] = [("attribute", name) for name in NODE_ATTRIBUTES]
    for ref in refs:
        name = ref.BrowseName.Name
        if ref.IsForward and ref.ReferenceTypeId == ua.NodeId(_HAS_PROPERTY) and name in EU_PROPERTIES:
            reads.append(ua.ReadValueId(NodeId=session.local(ref.NodeId), AttributeId=ua.AttributeIds.Value))
            slots.append(("property", name))
    ref_types = list(dict.fromkeys(r.ReferenceTypeId for r in refs))
    type_names = {r: ua.ObjectIdNames[r.Identifier] for r in ref_types
                  if r.NamespaceIndex == 0 and r.Identifier in ua.ObjectIdNames}
    for r in ref_types:
        if r not in type_names:
            reads.append(ua.ReadValueId(NodeId=r, AttributeId=ua.AttributeIds.BrowseName))
            slots.append(("reference_type", r))
    got: dict[str, ua.DataValue] = {}
    properties: dict[str, Any] = {}
    for (kind, key), dv in zip(slots, await read_attributes(session, reads), strict=True):
        if kind == "attribute":
            got[key] = dv
        elif dv.StatusCode.is_good() and dv.Value is not None:
            if kind == "property":
                properties[key] = dv.Value.Value
            else:
                type_names[key] = dv.Value.Value.Name
    if not got["NodeClass"].StatusCode.is_good():
        raise OpcUaError(f"{tag} does not exist on {session.url}", got["NodeClass"].StatusCode.name)
    node_class = ua.NodeClass(got["NodeClass"].Value.Value).name
    dtype = _good(got["DataType"])
    enum_names = None
    if isinstance(dtype, ua.NodeId):
        await resolve_types(session, [dtype])
        enum_names = (await enumeration_names(session, [dtype]))[0]
    details = NodeDetails(tag, node_class, [], [
        NodeReference(
            reference_type=type_names.get(r.ReferenceTypeId, r.ReferenceTypeId.to_string()),
            forward=bool(r.IsForward),
            target_name=r.DisplayName.Text if r.DisplayName and r.DisplayName.Text else r.BrowseName.Name or "",
            target_tag=session.to_tag(session.local(r.NodeId)),
            target_class=ua.NodeClass(r.NodeClass).name if r.NodeClass else "",
        )
        for r in refs
    ], enum_names)
    for name in NODE_ATTRIBUTES:
        dv = got[name]
        if name == "Value":
            if node_class in ("Variable", "VariableType"):
                details.attributes += value_rows(dv, enum_names)
            continue
        value = _good(dv)
        if value is not None:
            details.attributes.append((name, attribute_text(session, name, value)))
    eu_range, unit = eu_of(properties)
    if unit:
        details.attributes.append(("EngineeringUnits", unit))
    if eu_range:
        details.attributes.append(("EURange", f"{format_number(eu_range[0])} … {format_number(eu_range[1])}"))
    return details


def _good(dv: ua.DataValue) -> Any:
    return dv.Value.Value if dv.StatusCode.is_good() and dv.Value is not None else None


async def read_value(session: UaConnection, tag: str) -> ua.DataValue:
    """The Value attribute of ``tag`` with both timestamps (the attributes pane's refresh)."""
    (dv,) = await read_attributes(session, [ua.ReadValueId(NodeId=session.to_nodeid(tag),
                                                            AttributeId=ua.AttributeIds.Value)])
    return dv


def value_rows(dv: ua.DataValue, enum_names: dict[int, str] | None = None) -> list[tuple[str, str]]:
    """Value, StatusCode, SourceTimestamp and ServerTimestamp rows of a read value."""
    status = dv.StatusCode or ua.StatusCode()
    value = dv.Value.Value if dv.Value is not None else None
    return [
        ("Value", describe_value(value, enum_names) if status.is_good() or value is not None else ""),
        ("StatusCode", status_name(status) or "Good"),
        ("SourceTimestamp", _time_text(dv.SourceTimestamp)),
        ("ServerTimestamp", _time_text(dv.ServerTimestamp)),
    ]


def _time_text(stamp: dt.datetime | None) -> str:
    return format_time(to_ns(stamp))


_VALUE_RANKS = {-3: "ScalarOrOneDimension", -2: "Any", -1: "Scalar", 0: "OneOrMoreDimensions", 1: "OneDimension"}


def attribute_text(session: UaConnection, name: str, value: Any) -> str:
    """An attribute's value in words (access levels and event notifier bits spelled out, types by name)."""
    if name in ("AccessLevel", "UserAccessLevel"):
        return flag_names(ua.AccessLevel, int(value))
    if name == "EventNotifier":
        return flag_names(ua.EventNotifier, int(value))
    if name == "NodeId":
        return session.to_tag(value)
    if name == "NodeClass":
        return ua.NodeClass(value).name
    if name == "DataType":
        return session.types.name(value) or session.to_tag(value)
    if name == "ValueRank":
        return f"{_VALUE_RANKS.get(int(value), f'{int(value)} dimensions')} ({int(value)})"
    if name == "MinimumSamplingInterval":
        return f"{format_number(float(value))} ms"
    if name == "BrowseName":
        return f"{value.NamespaceIndex}:{value.Name}"
    return describe_value(value)


def flag_names(flags: type[enum.Enum], mask: int) -> str:
    """The names of the bits set in ``mask`` joined by `` | `` (``CurrentRead | HistoryRead``), or "None"."""
    names = [member.name for member in flags if mask & (1 << member.value)]
    return " | ".join(names) if names else "None"


def describe_value(value: Any, enum_names: dict[int, str] | None = None, *, nested: bool = False) -> str:
    """A value in words: enumerations by name, structures field by field, arrays shortened with their count."""
    if isinstance(value, list | tuple):
        shown = ", ".join(describe_value(v, enum_names, nested=True) for v in value[:ARRAY_SHOWN])
        more = ", …" if len(value) > ARRAY_SHOWN else ""
        return f"[{shown}{more}] (n={len(value)})"
    if isinstance(value, enum.Enum):
        return f"{value.name} ({value.value})"
    if enum_names is not None and isinstance(value, int) and not isinstance(value, bool):
        return f"{enum_names.get(value, '?')} ({value})"
    if isinstance(value, ua.LocalizedText):
        return value.Text or ""
    if isinstance(value, ua.QualifiedName):
        return f"{value.NamespaceIndex}:{value.Name}"
    if isinstance(value, ua.NodeId):
        return value.to_string()
    if isinstance(value, ua.StatusCode):
        return value.name
    if isinstance(value, bytes | bytearray):
        return value[:32].hex(" ") + (" …" if len(value) > 32 else "") + f" ({len(value)} bytes)"
    if isinstance(value, ua.ExtensionObject):  # a structure this client cannot decode
        return f"{value.TypeId.to_string()} ({len(value.Body or b'')} bytes, not decoded)"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [(f.name, describe_value(getattr(value, f.name), nested=True)) for f in dataclasses.fields(value)]
        if nested:
            return "{" + ", ".join(f"{k} = {v}" for k, v in fields) + "}"
        return "\n".join(f"{k} = {v}" for k, v in fields)
    return format_value(value)


# --- enumerations and method arguments -------------------------------------------------------------


def is_enumeration(session: UaConnection, dtype: ua.NodeId) -> bool:
    """Whether ``dtype`` is a subtype of Enumeration (after ``resolve_types`` with supertypes)."""
    node: ua.NodeId | None = dtype
    for _ in range(16):
        if node is None:
            return False
        if node == ua.NodeId(ua.ObjectIds.Enumeration):
            return True
        node = session.types.supertype.get(node)
    return False


async def enumeration_names(session: UaConnection, dtypes: Sequence[ua.NodeId]) -> list[dict[int, str] | None]:
    """Value -> name of each enumeration in ``dtypes`` (None for a type that is none), from its
    EnumStrings or EnumValues property: one Translate and one Read for all of them."""
    enums = [d for d in dict.fromkeys(dtypes) if d != ua.NodeId(ua.ObjectIds.Enumeration)
             and is_enumeration(session, d)]
    names: dict[ua.NodeId, dict[int, str]] = {}
    if enums:
        kinds = ("EnumStrings", "EnumValues")
        targets = await translate_paths(session, [property_path(d, k) for d in enums for k in kinds])
        found = [(enums[j // 2], kinds[j % 2], t) for j, t in enumerate(targets) if t is not None]
        values = await read_attributes(session, [ua.ReadValueId(NodeId=t, AttributeId=ua.AttributeIds.Value)
                                                 for _, _, t in found], ua.TimestampsToReturn.Neither)
        for (d, kind, _), dv in zip(found, values, strict=True):
            entries = _good(dv) or []
            if kind == "EnumStrings":
                names[d] = {i: text.Text or "" for i, text in enumerate(entries)}
            else:
                names[d] = {int(e.Value): e.DisplayName.Text or "" for e in entries}
    return [names.get(d, {}) if d in enums else None for d in dtypes]


@dataclasses.dataclass(frozen=True)
class ArgumentSpec:
    """One declared argument of a method, as a form needs it."""

    name: str
    data_type: str  # by name: "Double", "ServerState", …
    variant_type: ua.VariantType | None  # the built-in type it travels as (None: not known)
    value_rank: int
    description: str
    enum_names: dict[int, str] | None = None  # an enumeration: value -> name


async def method_arguments(session: UaConnection, method_tag: str) -> tuple[list[ArgumentSpec], list[ArgumentSpec]]:
    """The InputArguments and OutputArguments a method declares (empty lists when it has none)."""
    mid = session.to_nodeid(method_tag)
    targets = await translate_paths(session, [property_path(mid, "InputArguments"),
                                              property_path(mid, "OutputArguments")])
    declared: list[list[ua.Argument]] = [[], []]
    found = [(k, t) for k, t in enumerate(targets) if t is not None]
    if found:
        values = await read_attributes(session, [ua.ReadValueId(NodeId=t, AttributeId=ua.AttributeIds.Value)
                                                 for _, t in found], ua.TimestampsToReturn.Neither)
        for (k, _), dv in zip(found, values, strict=True):
            declared[k] = list(_good(dv) or [])
    dtypes = [a.DataType for args in declared for a in args]
    await resolve_types(session, dtypes)
    enums = dict(zip(dtypes, await enumeration_names(session, dtypes), strict=True))
    inputs, outputs = (
        [ArgumentSpec(
            name=a.Name or f"argument {k}",
            data_type=session.types.name(a.DataType),
            variant_type=session.types.variant_of(a.DataType),
            value_rank=int(a.ValueRank),
            description=(a.Description.Text or "") if a.Description else "",
            enum_names=enums.get(a.DataType),
        ) for k, a in enumerate(args, 1)]
        for args in declared
    )
    return inputs, outputs
