"""Data types of a server: their names for the tag list, and the built-in type a value travels as.

A variable's DataType attribute is a NodeId. Standard types (namespace 0) are named from
asyncua's tables without asking; other names take one Read of their BrowseName. A write
needs the *built-in* type (Double, Int32, …) to build the Variant: for a server's own type
(an enumeration, a subtype of Double) we walk up HasSubtype until a built-in type is reached.
The tag list only needs names, so it skips that walk. Both are cached for the connection, in its
:class:`~device_browser.opcua.ua_connection.DataTypes` (``session.types``).
"""

from __future__ import annotations

from collections.abc import Iterable

from asyncua import ua

from device_browser.opcua.ua_connection import DataTypes, UaConnection, builtin_type
from device_browser.opcua.ua_requests import browse_references, read_values

__all__ = ["DataTypes", "builtin_type", "resolve_types"]


async def resolve_types(session: UaConnection, dtypes: Iterable[ua.NodeId], *, supertypes: bool = True) -> None:
    """Learn the names (and with ``supertypes`` the built-in base types) of ``dtypes`` into
    ``session.types``: one Read of unknown names and, for types of the server's own, a few inverse Browses."""
    types = session.types
    todo = list(dict.fromkeys(dtypes))
    unnamed = []
    for d in todo:
        if d in types.names:
            continue
        name = ua.ObjectIdNames.get(d.Identifier) if d.NamespaceIndex == 0 else None
        if name:
            types.names[d] = name
        else:
            unnamed.append(d)
    if unnamed:
        for d, dv in zip(unnamed, await read_values(session, unnamed, ua.AttributeIds.BrowseName), strict=True):
            types.names[d] = dv.Value.Value.Name if dv.StatusCode.is_good() else d.to_string()
    if not supertypes:
        return
    frontier = [d for d in todo if builtin_type(d) is None]
    for _ in range(12):  # walk up HasSubtype until a built-in type is reached
        frontier = [d for d in dict.fromkeys(frontier) if d not in types.supertype]
        if not frontier:
            break
        parents = await browse_references(
            session, frontier, ref_type=ua.ObjectIds.HasSubtype, direction=ua.BrowseDirection.Inverse
        )
        nxt = []
        for d, refs in zip(frontier, parents, strict=True):
            parent = session.local(refs[0].NodeId) if refs else None
            types.supertype[d] = parent
            if parent is not None and builtin_type(parent) is None:
                nxt.append(parent)
        frontier = nxt
