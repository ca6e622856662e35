"""From a device profile to a live session, and from a register map back to a profile."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from device_browser.modbus.registers import Area, ByteOrder, DataType, ModbusTag, RegisterMap
from device_browser.profiles import DeviceProfile, Point
from device_browser.session import DeviceError, DeviceSession
from device_browser.units import pint_symbol, unece_code

if TYPE_CHECKING:
    from device_browser.opcua.security import Decide

def register_map(profile: DeviceProfile) -> RegisterMap:
    """The Modbus register map described by a profile's points."""
    return RegisterMap(_modbus_tag(point) for point in profile.points)


def _modbus_tag(point: Point) -> ModbusTag:
    a = point.address
    limits = point.write_limits or (None, None)
    return ModbusTag(name=point.name, area=Area(a["area"]), address=a["address"], data_type=DataType(point.data_type),
                     byte_order=ByteOrder(a.get("order", "ABCD")), length=a.get("length", 1), bit=a.get("bit", 0),
                     scale=a.get("scale", 1.0), offset=a.get("offset", 0.0), unit=point.unit,
                     writable=point.writable, write_min=limits[0], write_max=limits[1],
                     description=point.description.get("en", ""))


def profile_from_register_map(tags: RegisterMap, profile_id: str, nameplate: dict[str, str],
                              connection: dict, zh: dict[str, str] | None = None) -> DeviceProfile:
    """A profile listing every tag of a register map (how the simulator's profile is made)."""
    points = []
    for tag in tags:
        unit = pint_symbol(tag.unit)
        address = {"area": tag.area.value, "address": tag.address}
        if tag.byte_order is not ByteOrder.ABCD:
            address["order"] = tag.byte_order.value
        if tag.data_type is DataType.STRING:
            address["length"] = tag.length
        if tag.data_type is DataType.BIT:
            address["bit"] = tag.bit
        if tag.scale != 1.0:
            address["scale"] = tag.scale
        if tag.offset != 0.0:
            address["offset"] = tag.offset
        limits = (tag.write_min, tag.write_max) if tag.write_min is not None and tag.write_max is not None else None
        description = {"en": tag.description} | ({"zh": zh[tag.name]} if zh and tag.name in zh else {})
        points.append(Point(name=tag.name, data_type=tag.data_type.value, address=address, description=description,
                            unit_code=unece_code(unit), unit=unit, access="rw" if tag.writable else "r",
                            write_limits=limits))
    return DeviceProfile(id=profile_id, nameplate=nameplate, connection=connection, points=points)


# Connection fields a caller (the command line) may override, per protocol.
OVERRIDABLE = {"modbus": ("timeout_s",), "opcua": ("timeout_s", "security_policy", "security_mode", "user")}


def connection_with(profile: DeviceProfile, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The profile's connection with the given fields replaced (None values are "not given").

    Raises :class:`DeviceError` for a field the profile's protocol does not have (a Modbus
    device has no user or security policy).
    """
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    allowed = OVERRIDABLE.get(profile.protocol, ())
    foreign = sorted(set(given) - set(allowed))
    if foreign:
        names = ", ".join(foreign)
        raise DeviceError(f"{names} cannot be set for {profile.id}: a {profile.protocol} connection has only "
                          f"{', '.join(allowed)}")
    return {**profile.connection, **given}


def open_session(profile: DeviceProfile, password: str | None = None, *,
                 overrides: Mapping[str, Any] | None = None, decide: Decide | None = None) -> DeviceSession:
    """A session (not yet connected) for the device a profile describes.

    ``overrides`` replace fields of the profile's connection (``timeout_s``, and for OPC UA
    ``security_policy``, ``security_mode``, ``user``); None values leave the profile's.
    OPC UA passwords come from the OS keyring when ``password`` is None; ``decide`` is asked
    about an unknown server certificate (trust on first use). Points are known to the OPC UA
    session by name too (``aliases``).
    """
    conn = connection_with(profile, overrides)
    if profile.protocol == "modbus":
        from device_browser.modbus.client import ModbusSession

        serial = conn.get("serial", {})
        framer = {"tcp": "socket", "rtu_over_tcp": "rtu", "rtu": "rtu"}[conn.get("framer", "tcp")]
        return ModbusSession(register_map(profile), host=conn.get("host"), port=conn.get("port", 502),
                             serial_port=serial.get("port"), baudrate=serial.get("baudrate", 19200),
                             parity=serial.get("parity", "N"), stopbits=serial.get("stopbits", 1), framer=framer,
                             unit=conn.get("unit_id", 1), timeout=conn.get("timeout_s", 1.0),
                             max_gap=conn.get("max_gap", 10))
    from device_browser.opcua.client import OpcUaSession

    aliases = {point.name: point.address["node_id"] for point in profile.points}  # validated: OPC UA points have one
    return OpcUaSession(conn["endpoint"], policy=conn.get("security_policy", "None"),
                        mode=conn.get("security_mode", "None"), user=conn.get("user"), password=password,
                        timeout=conn.get("timeout_s", 5.0), decide=decide, aliases=aliases)
