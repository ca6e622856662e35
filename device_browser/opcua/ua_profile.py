"""A device profile from an OPC UA server's sub-tree: what ``device profile-from-server`` writes.

Only process values become points: variables of the built-in types below (arrays, structures
and enumerations stay out), named after the objects above them (``pump_flow``). Alarm and
condition objects are not entered: their many state variables are no process values. The
profile's id is the browse name of the start node, not its NodeId.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from device_browser.opcua.ua_browse import browse_name, variables_below
from device_browser.opcua.ua_connection import UaConnection
from device_browser.profiles import DeviceProfile, Point
from device_browser.units import pint_symbol, unece_code

if TYPE_CHECKING:
    from device_browser.session import BrowseItem

# OPC UA built-in types that are process values, as profile data types; others are not imported.
PROFILE_TYPES = {"Boolean": "bool", "SByte": "sbyte", "Byte": "byte", "Int16": "int16", "UInt16": "uint16",
                 "Int32": "int32", "UInt32": "uint32", "Int64": "int64", "UInt64": "uint64", "Float": "float",
                 "Double": "double", "String": "string", "DateTime": "datetime"}
# ConditionType and its subtypes (OPC UA Part 9): not entered.
CONDITION_TYPES = {"i=2782", "i=2830", "i=2881", "i=2915", "i=2955", "i=9341", "i=9482", "i=9764", "i=9906",
                   "i=10060", "i=10214", "i=10368", "i=10523", "i=10637", "i=11163", "i=11436"}


async def profile_from_server(session: UaConnection, node: str, *, depth: int = 3, profile_id: str | None = None,
                              user: str | None = None) -> DeviceProfile:
    """The profile of the variables down to ``depth`` levels below ``node`` (an empty point list if none)."""
    name = profile_id or profile_id_of(await browse_name(session, node))
    found = await variables_below(session, node, depth, CONDITION_TYPES)
    points = [point for names, item in found if (point := _point(names, item)) is not None]
    connection = {"protocol": "opcua", "endpoint": session.url, "security_policy": session.policy,
                  "security_mode": session.mode}
    if user:
        connection["user"] = user
    return DeviceProfile(id=name, nameplate={"manufacturer": "unknown", "model": name}, connection=connection,
                         points=points, title=f"Imported from {session.url}")


def _point(names: tuple[str, ...], item: BrowseItem) -> Point | None:
    data_type = PROFILE_TYPES.get(item.data_type)
    if data_type is None:
        return None
    unit = pint_symbol(item.unit)
    return Point(name="_".join(identifier(n) for n in (*names, item.name)), data_type=data_type,
                 address={"node_id": item.tag}, description={"en": item.description or item.name},
                 unit=unit, unit_code=unece_code(unit), range=item.eu_range, access=item.access or "r")


def profile_id_of(browse_name: str) -> str:
    """A profile id (letters, digits and ``_ . : -``) from a node's browse name: "Pump Station #1" → pump-station-1."""
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]+", "-", browse_name.strip()).strip("-.").lower()
    return cleaned or "device"


def identifier(text: str) -> str:
    """A point name from a browse name: "DischargePressure" → discharge_pressure."""
    cleaned = "".join(c if c.isalnum() else "_" for c in text).strip("_")
    snake = "".join(f"_{c.lower()}" if c.isupper() and i and cleaned[i - 1].islower() else c.lower()
                    for i, c in enumerate(cleaned))
    return snake if snake[:1].isalpha() else f"p_{snake}"
