"""Device profiles from what an engineer picked in a browser: "save as profile".

The address-space tree (OPC UA) and the register workbench (Modbus) hand over the tags the user
selected; these functions turn them into :class:`~device_browser.profiles.DeviceProfile` points
that pass the profile schema (``resources/schemas/device_profile.schema.json``):

* point names follow the schema's pattern ``^[A-Za-z_][A-Za-z0-9_]*$`` and are unique in the
  profile (``speed``, ``speed_2`` …);
* OPC UA addresses are NodeIds in the ``nsu=`` form, so the profile survives a server that
  renumbers its namespaces;
* Modbus points are made by :func:`device_browser.connect.profile_from_register_map`, as the
  simulator's own profile is.

No Qt and no I/O here: the dialog gathers the browse items and node facts on the device thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from device_browser.connect import profile_from_register_map
from device_browser.modbus.registers import ModbusTag, RegisterMap
from device_browser.opcua.ua_profile import PROFILE_TYPES, identifier
from device_browser.profiles import DeviceProfile, Point
from device_browser.session import DeviceError
from device_browser.units import pint_symbol, unece_code

if TYPE_CHECKING:
    from device_browser.opcua.ua_connection import NodeFacts
    from device_browser.session import BrowseItem

POINT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # the schema's pattern for a point name
PROFILE_ID = re.compile(r"^[A-Za-z0-9_.:\-]+$")  # the schema's pattern for a profile id
DEFAULT_NAMEPLATE = {"manufacturer": "unknown", "model": "unknown"}


def point_name(*texts: str) -> str:
    """A valid point name from the first of ``texts`` (a display name, then an address) that has
    ASCII letters or digits: "Discharge Pressure" → discharge_pressure, "温度" → "point"."""
    for text in texts:
        ascii_text = re.sub(r"[^A-Za-z0-9]+", "_", text)
        if ascii_text.strip("_"):
            return re.sub(r"_+", "_", identifier(ascii_text))
    return "point"


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3`` … — the first that is not in ``taken`` (which it joins)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}_{n}"
    taken.add(candidate)
    return candidate


def browse_point(item: BrowseItem, facts: NodeFacts | None = None, name: str = "") -> Point:
    """A profile point of an OPC UA variable; :class:`DeviceError` if its type cannot be a point.

    ``facts`` (from ``node_facts(..., properties=True)``) take precedence over the browse item:
    they name the built-in type a value travels as (an enumeration as int32) and the access this
    user has.
    """
    type_name = facts.variant_type.name if facts is not None and facts.variant_type is not None else item.data_type
    data_type = PROFILE_TYPES.get(type_name)
    if data_type is None or (facts is not None and facts.value_rank >= 0):
        kind = "an array" if facts is not None and facts.value_rank >= 0 else f"of type {type_name or 'unknown'}"
        raise DeviceError(f"{item.name} is {kind}: a profile point holds one value of a built-in type")
    unit = pint_symbol(facts.unit if facts is not None and facts.unit else item.unit)
    eu_range = facts.eu_range if facts is not None and facts.eu_range else item.eu_range
    access = (facts.access if facts is not None and facts.access else item.access) or "r"
    name = name or point_name(item.name, item.tag.rpartition("=")[2])  # else the NodeId's identifier
    return Point(name=name, data_type=data_type, address={"node_id": item.tag},
                 description={"en": item.description or item.name}, unit=unit, unit_code=unece_code(unit),
                 range=eu_range, access=access)


def profile_from_browse(device_id: str, connection: dict[str, Any], items: Sequence[BrowseItem],
                        facts: Sequence[NodeFacts] | None = None, *, title: str = "",
                        nameplate: dict[str, str] | None = None) -> DeviceProfile:
    """A profile of the OPC UA variables ``items`` (browse output), names made unique.

    Raises :class:`DeviceError` naming the items that cannot be points (arrays, structures) or
    when nothing is left.
    """
    if facts is not None and len(facts) != len(items):
        raise ValueError("one NodeFacts per browse item, or none")
    points, taken, problems = [], set(), []
    for k, item in enumerate(items):
        try:
            point = browse_point(item, facts[k] if facts is not None else None)
        except DeviceError as exc:
            problems.append(str(exc))
            continue
        points.append(replace(point, name=unique_name(point.name, taken)))
    if problems:
        raise DeviceError("; ".join(problems))
    return _profile(device_id, connection, points, title, nameplate)


def register_points(tags: Iterable[ModbusTag]) -> list[Point]:
    """Profile points of Modbus tags (raw-address tags are renamed after their address: ``hr_13``)."""
    taken: set[str] = set()
    named = []
    for tag in tags:
        name = tag.name if POINT_NAME.match(tag.name) else _address_name(tag)
        named.append(replace(tag, name=unique_name(name, taken)))
    return profile_from_register_map(RegisterMap(named), "points", DEFAULT_NAMEPLATE, {"protocol": "modbus"}).points


def profile_from_registers(device_id: str, connection: dict[str, Any], tags: Iterable[ModbusTag], *,
                           title: str = "", nameplate: dict[str, str] | None = None) -> DeviceProfile:
    """A profile of Modbus tags (a register map's, or raw addresses parsed by ``parse_address``)."""
    return _profile(device_id, connection, register_points(tags), title, nameplate)


def _address_name(tag: ModbusTag) -> str:
    area = {"coil": "coil", "discrete_input": "di", "input_register": "ir", "holding_register": "hr"}[tag.area.value]
    bit = f"_bit{tag.bit}" if tag.data_type.value == "bit" else ""
    return f"{area}_{tag.address}{bit}"


def merge_points(profile: DeviceProfile, new_points: Iterable[Point]) -> DeviceProfile:
    """``profile`` with ``new_points`` added: a point whose address is in it already is skipped,
    a name in use gets a suffix. The profile given is not changed."""
    points = list(profile.points)
    taken = {p.name for p in points}
    addresses = {_address_key(p) for p in points}
    for point in new_points:
        key = _address_key(point)
        if key in addresses:
            continue
        addresses.add(key)
        points.append(replace(point, name=unique_name(point.name, taken)))
    return replace(profile, points=points)


def _address_key(point: Point) -> tuple:
    # The type is part of a Modbus address (a float32 and its first word read as uint16 are two points).
    return (point.data_type, *sorted((k, str(v)) for k, v in point.address.items()))


def check_profile_id(device_id: str, taken: Iterable[str] = ()) -> str:
    """Why ``device_id`` cannot name a new profile ("" if it can)."""
    if not device_id:
        return "A profile needs an id"
    if not PROFILE_ID.match(device_id):
        return f"'{device_id}' may hold only letters, digits and _ . : -"
    if device_id in set(taken):
        return f"A device '{device_id}' exists already: choose another id"
    return ""


def _profile(device_id: str, connection: dict[str, Any], points: list[Point], title: str,
             nameplate: dict[str, str] | None) -> DeviceProfile:
    problem = check_profile_id(device_id)
    if problem:
        raise DeviceError(problem)
    if not points:
        raise DeviceError("Choose at least one variable or register for the profile")
    return DeviceProfile(id=device_id, nameplate=dict(nameplate or DEFAULT_NAMEPLATE), connection=dict(connection),
                         points=points, title=title)
