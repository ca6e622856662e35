"""Data types of a server: their names for the tag list, and the built-in type a value travels as.

A variable's DataType attribute is a NodeId. Standard types (namespace 0) are named from
asyncua's tables without asking; other names take one Read of their BrowseName. A write
needs the *built-in* type (Double, Int32, …) to build the Variant: for a server's own type
(an enumeration, a subtype of Double) we walk up HasSubtype until a built-in type is reached.
The tag list only needs names, so it skips that walk. Both are cached for the connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from asyncua import ua

from device_browser.opcua.ua_requests import browse_references, read_values

if TYPE_CHECKING:
    from device_browser.opcua.client import OpcUaSession


def builtin_type(d: ua.NodeId) -> ua.VariantType | None:
    """The built-in type a DataType NodeId stands for, if it is one (Enumeration travels as Int32)."""
    if d.NamespaceIndex != 0 or not isinstance(d.Identifier, int):
        return None
    if 1 <= d.Identifier <= 25:
        return ua.VariantType(d.Identifier)
    if d.Identifier == ua.ObjectIds.Enumeration:
        return ua.VariantType.Int32
    return None


class DataTypes:
    """Names and base types of the data types met on one connection."""

    def __init__(self) -> None:
        self.names: dict[ua.NodeId, str] = {}
        self.supertype: dict[ua.NodeId, ua.NodeId | None] = {}

    def clear(self) -> None:
        self.names.clear()
        self.supertype.clear()

    def name(self, dtype: ua.NodeId | None) -> str:
        return self.names.get(dtype, "") if dtype is not None else ""

    async def resolve(self, session: OpcUaSession, dtypes: Iterable[ua.NodeId], *, supertypes: bool = True) -> None:
        """Learn the names (and with ``supertypes`` the built-in base types) of ``dtypes``:
        one Read of unknown names and, for types of the server's own, a few inverse Browses."""
        todo = list(dict.fromkeys(dtypes))
        unnamed = []
        for d in todo:
            if d in self.names:
                continue
            name = ua.ObjectIdNames.get(d.Identifier) if d.NamespaceIndex == 0 else None
            if name:
                self.names[d] = name
            else:
                unnamed.append(d)
        if unnamed:
            for d, dv in zip(unnamed, await read_values(session, unnamed, ua.AttributeIds.BrowseName), strict=True):
                self.names[d] = dv.Value.Value.Name if dv.StatusCode.is_good() else d.to_string()
        if not supertypes:
            return
        frontier = [d for d in todo if builtin_type(d) is None]
        for _ in range(12):  # walk up HasSubtype until a built-in type is reached
            frontier = [d for d in dict.fromkeys(frontier) if d not in self.supertype]
            if not frontier:
                break
            parents = await browse_references(
                session, frontier, ref_type=ua.ObjectIds.HasSubtype, direction=ua.BrowseDirection.Inverse
            )
            nxt = []
            for d, refs in zip(frontier, parents, strict=True):
                parent = session.local(refs[0].NodeId) if refs else None
                self.supertype[d] = parent
                if parent is not None and builtin_type(parent) is None:
                    nxt.append(parent)
            frontier = nxt

    def variant_of(self, dtype: ua.NodeId) -> ua.VariantType | None:
        """The built-in type values of ``dtype`` travel as (after :meth:`resolve` with supertypes)."""
        seen = 0
        node: ua.NodeId | None = dtype
        while node is not None and seen < 16:
            builtin = builtin_type(node)
            if builtin is not None:
                return builtin
            node = self.supertype.get(node)
            seen += 1
        return None
