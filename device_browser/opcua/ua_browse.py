"""One level of a server's address space as the tag list shows it, lean enough for 10,000-tag folders.

A tag list row needs a name, a node class, whether the row expands, and for variables the
data type, access, unit and range. The Browse answer already gives NodeClass, BrowseName,
DisplayName and TypeDefinition of every child, so the cost per child is kept to that plus a
few attributes in one batched Read. Requests for one level:

1. Browse (+ BrowseNext) of the node, asking for references of *all* types and keeping the
   hierarchical ones here. Servers that evaluate "HierarchicalReferences and subtypes" per
   reference (asyncua's walks the reference type tree for each one) answer this several
   times faster; reference types outside namespace 0 are placed once per connection.
2. Only for variables whose type definition is not one of the well-known types below: one
   batched Browse of their children (whether they expand, where their EU properties are).
3. One batched TranslateBrowsePaths to EURange/EngineeringUnits of the variables whose type
   declares them (AnalogItemType, …) and, in a detailed level, of plain variables
   (BaseDataVariableType, …), which may carry them too.
4. One Read (chunked) of DataType and UserAccessLevel of the variables, Description of every
   child in a detailed level, and the values of the EU properties found.
5. A Read of the names of data types outside namespace 0, once per connection.

A level of up to :data:`DETAILED_LEVEL_MAX` children is detailed; a larger one is lean: no
Descriptions, and EU facts only where the type declares them; from
:data:`NAMES_ONLY_LEVEL_MIN` children on, steps 3 and 4 are skipped (names only). Each of those costs about as
much per child as reading the values, and a list of thousands of tags is a list of names;
the EU facts of any variable come from ``node_facts`` when a write, a percent deadband or a
detail view needs them.

Whether a row expands: Objects always do (as in UaExpert; expanding an empty one lists
nothing), Methods never; a Variable does when its type declares mandatory children other
than the EU properties folded into its row (TwoStateDiscreteType: TrueState, FalseState) and,
for types not known here, when it has such children. Optional properties (InstrumentRange,
ValuePrecision, …) of the known types are details of the row, not children.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Collection, Sequence
from typing import Any

from asyncua import ua

from device_browser.opcua.ua_connection import UaConnection
from device_browser.opcua.ua_errors import OpcUaError
from device_browser.opcua.ua_facts import EU_PROPERTIES, access_of, eu_of
from device_browser.opcua.ua_requests import (
    browse_references,
    property_path,
    read_attributes,
    read_values,
    translate_paths,
)
from device_browser.opcua.ua_types import resolve_types
from device_browser.session import BrowseItem

_log = logging.getLogger(__name__)

_CHILD_CLASSES = ua.NodeClass.Object | ua.NodeClass.Variable | ua.NodeClass.Method

# --- reference types ------------------------------------------------------------------------------

# HierarchicalReferences with its subtypes, and all other reference types, of namespace 0
# (OPC UA 1.05, as in the standard nodeset asyncua ships).
_HIERARCHICAL = frozenset({
    33, 34, 35, 36, 44, 45, 46, 47, 48, 49, 56, 129, 131, 14476, 14936, 15112, 15296, 15297, 16361, 16362, 17604,
    18804, 18805, 19815, 19816, 19817, 19819, 19845, 19846, 24136, 25238, 25254, 25256, 25262, 25263, 25264, 25345,
    32059, 32679,
})
_NON_HIERARCHICAL = frozenset({
    31, 32, 37, 38, 39, 40, 41, 51, 52, 53, 54, 117, 3065, 9004, 9005, 9006, 17276, 17597, 17603, 17983, 17984,
    17985, 19814, 19818, 23469, 23562, 24137, 25237, 25253, 25255, 25257, 25258, 25259, 25260, 25261, 25265, 32407,
    32558, 32559, 32633, 32634,
})


def _known_kind(session: UaConnection, ref_type: ua.NodeId) -> bool | None:
    """True for a hierarchical reference type, False for another, None when not placed yet."""
    if ref_type.NamespaceIndex == 0 and isinstance(ref_type.Identifier, int):
        if ref_type.Identifier in _HIERARCHICAL:
            return True
        if ref_type.Identifier in _NON_HIERARCHICAL:
            return False
    return session.reference_kinds.get(ref_type)


async def _learn_reference_kinds(session: UaConnection, ref_types: set[ua.NodeId]) -> None:
    """Place reference types unknown here (a vendor's, or newer than 1.05) by walking up HasSubtype."""
    parent: dict[ua.NodeId, ua.NodeId | None] = {}
    frontier = list(ref_types)
    for _ in range(16):
        frontier = [r for r in dict.fromkeys(frontier) if _known_kind(session, r) is None and r not in parent]
        if not frontier:
            break
        supers = await browse_references(
            session, frontier, ref_type=ua.ObjectIds.HasSubtype, direction=ua.BrowseDirection.Inverse
        )
        for r, refs in zip(frontier, supers, strict=True):
            parent[r] = session.local(refs[0].NodeId) if refs else None
        frontier = [p for p in parent.values() if p is not None]
    for start in ref_types:
        node: ua.NodeId | None = start
        kind = None
        for _ in range(32):
            if node is None or (kind := _known_kind(session, node)) is not None:
                break
            node = parent.get(node)
        if kind is None:  # cannot be placed: not followed, as a server asked for hierarchical ones would not
            _log.debug("%s: reference type %s not placed; its references are not listed", session.url, start)
        session.reference_kinds[start] = bool(kind)


async def child_references(session: UaConnection, nids: Sequence[ua.NodeId], *,
                           class_mask: int = _CHILD_CLASSES) -> list[list[ua.ReferenceDescription]]:
    """Forward hierarchical references of ``nids`` to Objects, Variables and Methods (see step 1);
    ``class_mask`` 0 takes targets of every node class (types and views too)."""
    found = await browse_references(session, nids, ref_type=0, class_mask=class_mask)
    unplaced = {r.ReferenceTypeId for refs in found for r in refs if _known_kind(session, r.ReferenceTypeId) is None}
    if unplaced:
        await _learn_reference_kinds(session, unplaced)
    return [[r for r in refs if _known_kind(session, r.ReferenceTypeId)] for refs in found]


# --- what a variable's type tells -----------------------------------------------------------------


class _EU(enum.Enum):
    NONE = "none"  # the type has no EU properties (a property has no properties)
    DECLARED = "declared"  # the type declares EURange / EngineeringUnits
    POSSIBLE = "possible"  # a plain type: an instance may carry them


# type definition (namespace 0) -> (declares mandatory children besides EU properties, EU properties)
_VARIABLE_TYPES: dict[int, tuple[bool, _EU]] = {
    ua.ObjectIds.PropertyType: (False, _EU.NONE),
    ua.ObjectIds.BaseVariableType: (False, _EU.POSSIBLE),
    ua.ObjectIds.BaseDataVariableType: (False, _EU.POSSIBLE),
    ua.ObjectIds.DataItemType: (False, _EU.POSSIBLE),
    ua.ObjectIds.DiscreteItemType: (False, _EU.POSSIBLE),
    ua.ObjectIds.BaseAnalogType: (False, _EU.DECLARED),
    ua.ObjectIds.AnalogItemType: (False, _EU.DECLARED),
    ua.ObjectIds.AnalogUnitType: (False, _EU.DECLARED),
    ua.ObjectIds.AnalogUnitRangeType: (False, _EU.DECLARED),
    ua.ObjectIds.TwoStateDiscreteType: (True, _EU.NONE),
    ua.ObjectIds.MultiStateDiscreteType: (True, _EU.NONE),
    ua.ObjectIds.MultiStateValueDiscreteType: (True, _EU.NONE),
    ua.ObjectIds.ArrayItemType: (True, _EU.DECLARED),
    ua.ObjectIds.YArrayItemType: (True, _EU.DECLARED),
    ua.ObjectIds.XYArrayItemType: (True, _EU.DECLARED),
    ua.ObjectIds.ImageItemType: (True, _EU.DECLARED),
    ua.ObjectIds.CubeItemType: (True, _EU.DECLARED),
    ua.ObjectIds.NDimensionArrayItemType: (True, _EU.DECLARED),
}


class _TypeDefinitions:
    """Tag and shape of the type definitions met in one level, worked out once per type."""

    def __init__(self, session: UaConnection) -> None:
        self.session = session
        self.seen: dict[tuple[Any, ...], tuple[str, tuple[bool, _EU] | None]] = {}

    def __call__(self, ref: ua.ReferenceDescription) -> tuple[str, tuple[bool, _EU] | None]:
        """The tag of the type definition ("" for none) and what it tells of a variable (None: not known here)."""
        td = ref.TypeDefinition
        if td is None:
            return "", None
        key = (td.Identifier, td.NamespaceIndex, getattr(td, "NamespaceUri", None))
        if key not in self.seen:
            if td.is_null():
                self.seen[key] = ("", None)
            else:
                local = self.session.local(td)
                ns0 = local.NamespaceIndex == 0 and isinstance(local.Identifier, int)
                self.seen[key] = (self.session.to_tag(local), _VARIABLE_TYPES.get(local.Identifier) if ns0 else None)
        return self.seen[key]


# --- one level ------------------------------------------------------------------------------------

# Levels up to this many children are browsed with details (Descriptions, EU properties of
# plain variables); larger ones lean. Each detail costs about as much as reading the values.
DETAILED_LEVEL_MAX = 500
# Beyond this many children a level lists names, node classes and expandability only (as the
# address-space tree of UaExpert does): data type, access and units of a node then come from
# ``node_facts`` when it is selected, read or written. Reading them for 10,000 tags would cost
# as much as reading the 10,000 values.
NAMES_ONLY_LEVEL_MIN = 2000

# UserAccessLevel alone: the access column is this user's, and the server derives it from
# AccessLevel (a write still checks both, in ua_facts).
_VARIABLE_ATTRIBUTES = (("data_type", ua.AttributeIds.DataType), ("user_access", ua.AttributeIds.UserAccessLevel))
_DESCRIPTION = ("description", ua.AttributeIds.Description)


async def browse_level(session: UaConnection, tag: str | None, details: bool | None = None) -> list[BrowseItem]:
    """The children of ``tag`` (the Objects folder if None), one level; requests as the module says.

    ``details`` True or False asks for a detailed or a lean level whatever its size; None
    decides by :data:`DETAILED_LEVEL_MAX`.
    """
    parent = session.to_nodeid(tag) if tag else ua.NodeId(ua.ObjectIds.ObjectsFolder)
    (level,) = await child_references(session, [parent])
    children: list[ua.ReferenceDescription] = []
    nids: list[ua.NodeId] = []
    seen: set[ua.NodeId] = set()
    for ref in level:
        if getattr(ref.NodeId, "ServerIndex", 0):
            continue  # a node on another server
        nid = session.local(ref.NodeId)
        if nid not in seen:  # not a node reached by a second reference
            seen.add(nid)
            children.append(ref)
            nids.append(nid)

    names_only = details is None and len(children) >= NAMES_ONLY_LEVEL_MIN
    detailed = (len(children) <= DETAILED_LEVEL_MAX if details is None else details) and not names_only
    type_of = _TypeDefinitions(session)
    expands: dict[int, bool] = {}
    declared, possible, unknown = [], [], []
    for i, ref in enumerate(children):
        if ref.NodeClass != ua.NodeClass.Variable:
            expands[i] = ref.NodeClass == ua.NodeClass.Object
            continue
        shape = type_of(ref)[1]
        if shape is None:
            unknown.append(i)
            continue
        expands[i] = shape[0]
        if shape[1] is _EU.DECLARED:
            declared.append(i)
        elif shape[1] is _EU.POSSIBLE:
            possible.append(i)

    # EU property values go into the one Read below: where they are, from the children of
    # variables of unknown types, and from TranslateBrowsePaths for the others.
    reads: list[ua.ReadValueId] = []
    slots: list[tuple[int, str]] = []

    def read_value_of(i: int, name: str, nid: ua.NodeId) -> None:
        reads.append(ua.ReadValueId(NodeId=nid, AttributeId=ua.AttributeIds.Value))
        slots.append((i, name))

    if unknown:
        for i, refs in zip(unknown, await child_references(session, [nids[i] for i in unknown]), strict=True):
            expands[i] = any(r.BrowseName.Name not in EU_PROPERTIES for r in refs)
            for r in refs:
                if r.BrowseName.Name in EU_PROPERTIES:
                    read_value_of(i, r.BrowseName.Name, session.local(r.NodeId))
    asked = declared + possible if detailed else [] if names_only else declared
    if asked:
        paths = [property_path(nids[i], name) for i in asked for name in EU_PROPERTIES]
        for j, target in enumerate(await translate_paths(session, paths)):
            if target is not None:
                read_value_of(asked[j // len(EU_PROPERTIES)], EU_PROPERTIES[j % len(EU_PROPERTIES)], target)

    described = (_DESCRIPTION,) if detailed else ()
    for i, ref in enumerate(children):
        variable = ref.NodeClass == ua.NodeClass.Variable and not names_only
        attributes = _VARIABLE_ATTRIBUTES + described if variable else described
        for key, attr in attributes:
            reads.append(ua.ReadValueId(NodeId=nids[i], AttributeId=attr))
            slots.append((i, key))
    got: list[dict[str, Any]] = [{} for _ in children]
    for (i, key), dv in zip(slots, await read_attributes(session, reads, ua.TimestampsToReturn.Neither),
                            strict=True):
        if dv.StatusCode.is_good() and dv.Value is not None:
            got[i][key] = dv.Value.Value
    dtypes = [g["data_type"] for g in got if isinstance(g.get("data_type"), ua.NodeId)]
    await resolve_types(session, dtypes, supertypes=False)  # a tag list shows names only
    return [
        _item(session, ref, nid, expands[i], got[i], type_of(ref)[0])
        for i, (ref, nid) in enumerate(zip(children, nids, strict=True))
    ]


def _item(session: UaConnection, ref: ua.ReferenceDescription, nid: ua.NodeId, expands: bool,
          got: dict[str, Any], type_definition: str) -> BrowseItem:
    variable = ref.NodeClass == ua.NodeClass.Variable
    dtype = got.get("data_type") if isinstance(got.get("data_type"), ua.NodeId) else None
    eu_range, unit = eu_of(got)
    description = got.get("description")
    return BrowseItem(
        tag=session.to_tag(nid),
        name=_display_name(ref),
        node_class=ua.NodeClass(ref.NodeClass).name,
        has_children=expands,
        data_type=session.types.name(dtype),
        access=access_of(got) if variable else "",
        unit=unit,
        eu_range=eu_range,
        description=(description.Text or "") if isinstance(description, ua.LocalizedText) else "",
        extra={"browse_name": f"{ref.BrowseName.NamespaceIndex}:{ref.BrowseName.Name}",
               "type_definition": type_definition},
    )


# --- every variable of a sub-tree (a device profile) -----------------------------------------------

# Variables whose facts are asked together: bounds the requests and answers held at once
# (a Read of 3 attributes per variable, a Browse of their properties) whatever the tree's size.
VARIABLES_PER_BATCH = 2000
# Attributes of a variable a profile states: data type, access for this user, and description.
_PROFILE_ATTRIBUTES = (*_VARIABLE_ATTRIBUTES, _DESCRIPTION)


# HasEventSource and HasNotifier (and their subtypes in namespace 0) are hierarchical, but they
# lead to where events come from, not to parts: Server -HasNotifier-> PumpStation would list the
# pump station a second time under the Server object.
_EVENT_PATHS = frozenset({36, 48})


def _is_event_path(ref_type: ua.NodeId) -> bool:
    return ref_type.NamespaceIndex == 0 and ref_type.Identifier in _EVENT_PATHS


async def browse_name(session: UaConnection, tag: str) -> str:
    """The BrowseName (without its namespace) of the node ``tag``; :class:`OpcUaError` if there is none."""
    (dv,) = await read_values(session, [session.to_nodeid(tag)], ua.AttributeIds.BrowseName)
    if not dv.StatusCode.is_good() or not isinstance(dv.Value.Value, ua.QualifiedName):
        raise OpcUaError(f"{tag} does not exist on {session.url}", dv.StatusCode.name)
    return dv.Value.Value.Name or ""


async def variables_below(
    session: UaConnection, tag: str, depth: int, skip_types: Collection[str] = ()
) -> list[tuple[tuple[str, ...], BrowseItem]]:
    """Every variable down to ``depth`` levels below ``tag``, with the facts a device profile states.

    Returns (names of the objects between ``tag`` and the variable, item) in the order of a
    depth-first walk. Objects whose type definition tag is in ``skip_types`` are not entered
    (alarm conditions: their state variables are no process values). Variables' own children
    (EURange, …) are facts of the variable, not variables of the tree.

    Each level of the tree is one batched Browse of all its objects; the variables found go in
    batches of :data:`VARIABLES_PER_BATCH` through one Browse of their properties and one Read
    of DataType, UserAccessLevel and Description, side by side, then one Read of the EU
    properties found. Browsing properties costs the server a quarter of what translating the
    two browse paths of each variable costs, and a variable without them answers empty.
    """
    type_of = _TypeDefinitions(session)
    root: list[Any] = []  # entries: (names, ref, nid) for a variable, or (list of entries) for an object
    level: list[tuple[ua.NodeId, tuple[str, ...], list[Any]]] = [(session.to_nodeid(tag), (), root)]
    found: list[tuple[tuple[str, ...], ua.ReferenceDescription, ua.NodeId]] = []
    seen: set[ua.NodeId] = {level[0][0]}  # a node reached a second time (another path, a loop) is listed once
    for remaining in range(depth, 0, -1):
        next_level = []
        for (_, names, entries), refs in zip(level, await child_references(session, [n for n, _, _ in level]),
                                             strict=True):
            for ref in refs:
                if getattr(ref.NodeId, "ServerIndex", 0) or _is_event_path(ref.ReferenceTypeId):
                    continue  # a node on another server; an event notifier, not a part of this object
                nid = session.local(ref.NodeId)
                if nid in seen:
                    continue
                seen.add(nid)
                if ref.NodeClass == ua.NodeClass.Variable:
                    entries.append(len(found))
                    found.append((names, ref, nid))
                elif ref.NodeClass == ua.NodeClass.Object and remaining > 1 and type_of(ref)[0] not in skip_types:
                    below: list[Any] = []
                    entries.append(below)
                    next_level.append((nid, (*names, _display_name(ref)), below))
        level = next_level
        if not level:
            break
    items: list[BrowseItem] = []
    for start in range(0, len(found), VARIABLES_PER_BATCH):
        items += await _variable_items(session, found[start:start + VARIABLES_PER_BATCH], type_of)
    ordered: list[tuple[tuple[str, ...], BrowseItem]] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                ordered.append((found[entry][0], items[entry]))

    walk(root)
    return ordered


async def _variable_items(
    session: UaConnection,
    variables: Sequence[tuple[tuple[str, ...], ua.ReferenceDescription, ua.NodeId]],
    type_of: _TypeDefinitions,
) -> list[BrowseItem]:
    """BrowseItems of one batch of variables: properties browsed while the attributes are read."""
    with_properties = [i for i, (_, ref, _) in enumerate(variables)
                       if (shape := type_of(ref)[1]) is None or shape[1] is not _EU.NONE]
    reads = [ua.ReadValueId(NodeId=nid, AttributeId=attr) for _, _, nid in variables for _, attr in _PROFILE_ATTRIBUTES]
    properties, values = await asyncio.gather(
        browse_references(session, [variables[i][2] for i in with_properties], ref_type=ua.ObjectIds.HasProperty,
                          class_mask=ua.NodeClass.Variable),
        read_attributes(session, reads, ua.TimestampsToReturn.Neither),
    )
    del reads  # some 1,000 bytes per variable held in ua objects: not kept while the items are built
    got: list[dict[str, Any]] = [{} for _ in variables]
    keys = [key for key, _ in _PROFILE_ATTRIBUTES]
    for j, dv in enumerate(values):
        if dv.StatusCode.is_good() and dv.Value is not None:
            got[j // len(keys)][keys[j % len(keys)]] = dv.Value.Value
    del values
    eu_reads, eu_slots = [], []
    for i, refs in zip(with_properties, properties, strict=True):
        for r in refs:
            if r.BrowseName.Name in EU_PROPERTIES and r.BrowseName.NamespaceIndex == 0:
                eu_reads.append(ua.ReadValueId(NodeId=session.local(r.NodeId), AttributeId=ua.AttributeIds.Value))
                eu_slots.append((i, r.BrowseName.Name))
    if eu_reads:
        for (i, name), dv in zip(eu_slots, await read_attributes(session, eu_reads, ua.TimestampsToReturn.Neither),
                                 strict=True):
            if dv.StatusCode.is_good() and dv.Value is not None:
                got[i][name] = dv.Value.Value
    dtypes = [g["data_type"] for g in got if isinstance(g.get("data_type"), ua.NodeId)]
    await resolve_types(session, dtypes, supertypes=False)  # a profile states the type by name
    return [_item(session, ref, nid, False, g, type_of(ref)[0])
            for (_, ref, nid), g in zip(variables, got, strict=True)]


def _display_name(ref: ua.ReferenceDescription) -> str:
    return ref.DisplayName.Text if ref.DisplayName and ref.DisplayName.Text else ref.BrowseName.Name


# --- browse paths ---------------------------------------------------------------------------------


async def translate(session: UaConnection, paths: Sequence[str], start: str | None = None) -> list[str | None]:
    """Tags of browse paths like ``"2:PumpStation/2:Flow"`` (or ``"PumpStation/Flow"``, names in
    the start node's namespace) below ``start`` (the Objects folder); None where nothing matches.
    Chunked by MaxNodesPerTranslateBrowsePathsToNodeIds."""
    origin = session.to_nodeid(start) if start else ua.NodeId(ua.ObjectIds.ObjectsFolder)
    namespaces = session.namespace_count
    default_ns = origin.NamespaceIndex or (namespaces - 1 if namespaces > 1 else 0)
    browse_paths = []
    for path in paths:
        elements = []
        for part in [p for p in path.split("/") if p]:
            ns, sep, name = part.partition(":")
            qname = ua.QualifiedName(name, int(ns)) if sep and ns.isdigit() else ua.QualifiedName(part, default_ns)
            elements.append(
                ua.RelativePathElement(
                    ReferenceTypeId=ua.NodeId(ua.ObjectIds.HierarchicalReferences),
                    IsInverse=False,
                    IncludeSubtypes=True,
                    TargetName=qname,
                )
            )
        browse_paths.append(ua.BrowsePath(StartingNode=origin, RelativePath=ua.RelativePath(Elements=elements)))
    return [session.to_tag(t) if t is not None else None for t in await translate_paths(session, browse_paths)]
