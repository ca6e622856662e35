"""Modbus addresses as engineers write them, read into a :class:`ModbusTag` without a profile.

Two conventions meet on site, and both are accepted:

* the 1-based Modicon numbers of manuals: ``40001`` (5 digits, up to ``49999``) or ``400001``
  (6 digits, up to ``465536``), the first digit naming the table (0 coils, 1 discrete inputs,
  3 input registers, 4 holding registers);
* the 0-based protocol address a sniffer or a PLC program shows, with the table spelled out:
  ``hr:0``, ``ir:5``, ``co:0``, ``di:3``.

Either may be followed by ``:TYPE`` and ``:ORDER`` (``40001:float32:CDAB``, ``hr:0:uint32:BADC``);
IEC 61131-3 names work too (``real``, ``dint``, ``lreal`` …). A bit of a register is written
``40013.3`` or ``hr:12.3``, a string ``hr:17:string:8`` (8 registers, 16 characters).
Messages show both forms: ``40001 (hr:0)``.
"""

from __future__ import annotations

from device_browser.modbus.registers import (
    LAST_ADDRESS,
    MAX_REGISTERS,
    Area,
    ByteOrder,
    DataType,
    ModbusTag,
    format_display_address,
    parse_display_address,
)
from device_browser.session import DeviceError

AREA_CODES = {"co": Area.COIL, "di": Area.DISCRETE_INPUT, "ir": Area.INPUT_REGISTER, "hr": Area.HOLDING_REGISTER}
_CODE_OF = {area: code for code, area in AREA_CODES.items()}
# PLC programmers' names (IEC 61131-3) next to ours: a manual says REAL or DINT more often than float32.
TYPE_ALIASES = {"float": DataType.FLOAT32, "real": DataType.FLOAT32, "double": DataType.FLOAT64,
                "lreal": DataType.FLOAT64, "int": DataType.INT16, "uint": DataType.UINT16, "word": DataType.UINT16,
                "dint": DataType.INT32, "udint": DataType.UINT32, "dword": DataType.UINT32,
                "lint": DataType.INT64, "ulint": DataType.UINT64, "lword": DataType.UINT64}
_EXAMPLES = "40001, 400001, hr:0, ir:5, co:0, di:3, optionally with :TYPE[:ORDER] as in 40001:float32:CDAB"


def protocol_address(area: Area, address: int) -> str:
    """The 0-based form: holding register 0 is ``hr:0``."""
    return f"{_CODE_OF[Area(area)]}:{address}"


def both_forms(area: Area, address: int) -> str:
    """Manual and protocol form together, so nobody has to convert: ``40001 (hr:0)``."""
    return f"{format_display_address(area, address)} ({protocol_address(area, address)})"


def describe_tag(tag: ModbusTag) -> str:
    """Where a tag is and how it is read: ``40001 (hr:0) float32 CDAB``, ``40013.3 (hr:12.3) bit``."""
    bit = f".{tag.bit}" if tag.data_type is DataType.BIT else ""
    where = f"{format_display_address(tag.area, tag.address)}{bit} ({protocol_address(tag.area, tag.address)}{bit})"
    kind = str(tag.data_type)
    if tag.data_type is DataType.STRING:
        kind += f" {tag.length} registers"
    if tag.register_count > 1 and not tag.area.is_bit:
        kind += f" {tag.byte_order}"
    return f"{where} {kind}"


def parse_address(text: str) -> ModbusTag:
    """A tag for a raw address (see the module docstring); its name is ``text`` as given.

    Tags in coils and holding registers come back writable: without a profile there are no
    limits to check, and the device itself refuses what it does not allow.

    >>> parse_address("40001:float32:CDAB").address, parse_address("hr:0").display_address
    (0, '40001')
    """
    parts = [part.strip() for part in text.strip().split(":")]
    if not parts[0]:
        raise DeviceError(f"'{text}' is not a Modbus address (use {_EXAMPLES})")
    if parts[0].lower() in AREA_CODES:
        if len(parts) < 2 or not parts[1]:
            raise DeviceError(f"'{text}' needs an address after '{parts[0]}:' (0-based, e.g. {parts[0]}:0)")
        area, address, bit = _protocol_part(text, parts[0].lower(), parts[1])
        rest = parts[2:]
    else:
        area, address, bit = _display_part(text, parts[0])
        rest = parts[1:]
    data_type, byte_order, length = _type_part(text, area, bit, rest)
    tag = ModbusTag(text, area, address, data_type, byte_order, length=length, bit=bit or 0,
                    writable=area.writable_area)
    try:
        tag.check()
    except DeviceError as exc:  # e.g. a float32 at the very last register
        raise DeviceError(f"'{text}': {str(exc).split(': ', 1)[-1]}") from None
    return tag


def _protocol_part(text: str, code: str, number: str) -> tuple[Area, int, int | None]:
    number, bit = _split_bit(text, number)
    if not number.isdigit() or int(number) > LAST_ADDRESS:
        raise DeviceError(f"'{text}': protocol addresses are whole numbers 0…{LAST_ADDRESS} "
                          f"(0-based; {code}:0 is {format_display_address(AREA_CODES[code], 0)})")
    return AREA_CODES[code], int(number), bit


def _display_part(text: str, number: str) -> tuple[Area, int, int | None]:
    number, bit = _split_bit(text, number)
    if not number.isdigit() or len(number) not in (5, 6):
        raise DeviceError(f"'{text}' is not a Modbus address (use {_EXAMPLES})")
    if len(number) == 5 and number[1:] == "0000":
        raise DeviceError(f"'{text}': manual addresses start at 1 ({number[0]}0001 is the first)")
    area, address = parse_display_address(number)
    return area, address, bit


def _split_bit(text: str, number: str) -> tuple[str, int | None]:
    if "." not in number:
        return number, None
    number, bit = number.split(".", 1)
    if not bit.isdigit() or int(bit) > 15:
        raise DeviceError(f"'{text}': a bit of a register is numbered 0…15 (e.g. 40013.3)")
    return number, int(bit)


def _type_part(text: str, area: Area, bit: int | None, rest: list[str]) -> tuple[DataType, ByteOrder, int]:
    if bit is not None:
        if area.is_bit:
            raise DeviceError(f"'{text}': a {area.label} is a single bit already; drop the '.{bit}'")
        if rest and rest[0].lower() not in ("bit", "bool"):
            raise DeviceError(f"'{text}': a bit of a register has no data type of its own")
        return DataType.BIT, ByteOrder.ABCD, 1
    if not rest:
        return (DataType.BOOL if area.is_bit else DataType.UINT16), ByteOrder.ABCD, 1
    data_type = _data_type(text, rest[0])
    if area.is_bit and data_type is not DataType.BOOL:
        raise DeviceError(f"'{text}': a {area.label} holds one bit, so it reads as bool, not {data_type}")
    rest = rest[1:]
    length = 1
    if data_type is DataType.STRING:
        if not rest or not rest[0].isdigit() or not 1 <= int(rest[0]) <= MAX_REGISTERS:
            raise DeviceError(f"'{text}': a string needs its length in registers (2 characters each, "
                              f"1…{MAX_REGISTERS}), e.g. hr:17:string:8")
        length, rest = int(rest[0]), rest[1:]
    if len(rest) > 1:
        raise DeviceError(f"'{text}' has too many parts (the form is ADDRESS[:TYPE[:ORDER]])")
    order = ByteOrder.ABCD
    if rest:
        try:
            order = ByteOrder(rest[0].upper())
        except ValueError:
            raise DeviceError(f"'{text}': '{rest[0]}' is not a byte order (use ABCD, CDAB, BADC or DCBA)") from None
    return data_type, order, length


def _data_type(text: str, name: str) -> DataType:
    key = name.lower()
    if key in TYPE_ALIASES:
        return TYPE_ALIASES[key]
    try:
        return DataType(key)
    except ValueError:
        known = ", ".join(t.value for t in DataType if t is not DataType.BIT)
        raise DeviceError(f"'{text}': '{name}' is not a data type (use one of: {known})") from None
