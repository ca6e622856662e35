"""Register maps as CSV: the spreadsheet a device manual's register table is typed into, and back.

Columns (a header row names them, in any order; only ``name`` and ``address`` are required)::

    name, area, address, data_type, byte_order, length, scale, offset, unit, writable, min, max, description

* ``address`` takes either form: the manual's ``40001`` (with ``.3`` for a bit of a register:
  ``40013.3``) or the protocol's 0-based ``hr:0`` / ``hr:12.3``; a plain number shorter than five
  digits is 0-based in the row's ``area``. Export writes the manual form.
* ``area`` may be left empty when the address names it; ``data_type`` takes our names and the
  IEC 61131-3 ones (``real``, ``dint``); ``length`` is for strings (registers, 2 characters each).
* ``writable`` is yes/no (also true/false, 1/0, x); empty ``min``/``max`` mean no write limit.

The file is UTF-8 (a BOM, as Excel writes it, is accepted and written); commas or semicolons
separate the fields. Every problem names the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from device_browser.modbus.addresses import AREA_CODES, TYPE_ALIASES, parse_address
from device_browser.modbus.registers import Area, ByteOrder, DataType, ModbusTag, RegisterMap
from device_browser.session import DeviceError

COLUMNS = ("name", "area", "address", "data_type", "byte_order", "length", "scale", "offset", "unit", "writable",
           "min", "max", "description")
_YES, _NO = {"yes", "y", "true", "1", "x", "rw"}, {"no", "n", "false", "0", "", "r", "ro"}


class RegisterCsvError(DeviceError):
    """A register CSV that cannot be read; the message names the file, line and column."""


def register_csv_text(registers: RegisterMap) -> str:
    """The register map as CSV text (header first, one row per tag, in map order)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for tag in registers:
        writer.writerow(_row(tag))
    return out.getvalue()


def write_register_csv(registers: RegisterMap, path: Path) -> None:
    """Write the map to ``path`` with a BOM, so that spreadsheet programs read °C and m³ right."""
    Path(path).write_text(register_csv_text(registers), encoding="utf-8-sig", newline="")


def read_register_csv(path: Path) -> RegisterMap:
    """The register map in the CSV file at ``path``; :class:`RegisterCsvError` says what is wrong where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegisterCsvError(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
    except OSError as exc:
        raise RegisterCsvError(f"{path.name}: {exc.strerror or exc}") from None
    return parse_register_csv(text, path.name)


def parse_register_csv(text: str, source: str = "registers.csv") -> RegisterMap:
    """The register map in CSV ``text``; ``source`` names it in messages."""
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or not lines[0].strip():
        raise RegisterCsvError(f"{source}: empty; the first line names the columns ({', '.join(COLUMNS)})")
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    _check_header(header, source)
    tags: list[ModbusTag] = []
    lines_of: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        row = {name: value.strip() for name, value in zip(header, fields, strict=False)}
        tag = _tag(row, f"{source} line {line}")
        if tag.name in lines_of:
            raise RegisterCsvError(f"{source} line {line}, name: '{tag.name}' is used on line "
                                   f"{lines_of[tag.name]} already; tag names must be unique")
        lines_of[tag.name] = line
        tags.append(tag)
    return RegisterMap(tags)


def _check_header(header: list[str], source: str) -> None:
    missing = [name for name in ("name", "address") if name not in header]
    if missing:
        raise RegisterCsvError(f"{source} line 1: no '{missing[0]}' column (columns: {', '.join(COLUMNS)})")
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise RegisterCsvError(f"{source} line 1: unknown column '{unknown[0]}' (columns: {', '.join(COLUMNS)})")


def _row(tag: ModbusTag) -> list[str]:
    bit = f".{tag.bit}" if tag.data_type is DataType.BIT else ""
    return [tag.name, tag.area.value, tag.display_address + bit, tag.data_type.value, tag.byte_order.value,
            str(tag.length) if tag.data_type is DataType.STRING else "", _number(tag.scale, 1.0),
            _number(tag.offset, 0.0), tag.unit, "yes" if tag.writable else "no", _number(tag.write_min),
            _number(tag.write_max), tag.description]


def _number(value: float | None, default: float | None = None) -> str:
    """Shortest exact text, ``0`` rather than ``0.0``; empty for no value or the default."""
    if value is None or value == default:
        return ""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _tag(row: dict[str, str], where: str) -> ModbusTag:
    name = row.get("name", "")
    if not name:
        raise RegisterCsvError(f"{where}, name: empty; every tag needs a name")
    area, address, bit = _address(row, where)
    data_type = _data_type(row.get("data_type", ""), area, bit, where)
    options = {"byte_order": _byte_order(row.get("byte_order", ""), where), "unit": row.get("unit", ""),
               "description": row.get("description", ""), "writable": _flag(row.get("writable", ""), where),
               "scale": _float(row, "scale", where, 1.0), "offset": _float(row, "offset", where, 0.0),
               "write_min": _float(row, "min", where), "write_max": _float(row, "max", where),
               "length": _int(row, "length", where, 1), "bit": bit or 0}
    tag = ModbusTag(name, area, address, data_type, **options)
    try:
        tag.check()
    except DeviceError as exc:
        raise RegisterCsvError(f"{where}: {exc}") from None
    return tag


def _address(row: dict[str, str], where: str) -> tuple[Area, int, int | None]:
    text, area_text = row.get("address", ""), row.get("area", "").lower()
    area = _area(area_text, where) if area_text else None
    if not text:
        raise RegisterCsvError(f"{where}, address: empty; write 40001 or hr:0")
    number = text.split(".", 1)[0]
    if area is not None and number.isdigit() and len(number) < 5:
        text = f"{_code(area)}:{text}"  # a plain 0-based address in the row's area
    try:
        parsed = parse_address(text)
    except DeviceError as exc:
        raise RegisterCsvError(f"{where}, address: {exc}") from None
    if area is not None and parsed.area is not area:
        raise RegisterCsvError(f"{where}, address: {text} is a {parsed.area.label} address but the area "
                               f"column says {area.label}")
    return parsed.area, parsed.address, parsed.bit if parsed.data_type is DataType.BIT else None


def _code(area: Area) -> str:
    return next(code for code, known in AREA_CODES.items() if known is area)


def _area(text: str, where: str) -> Area:
    if text in AREA_CODES:
        return AREA_CODES[text]
    try:
        return Area(text.replace(" ", "_"))
    except ValueError:
        known = ", ".join(area.value for area in Area)
        raise RegisterCsvError(f"{where}, area: '{text}' is not a Modbus area: use one of {known} "
                               f"(or {', '.join(AREA_CODES)})") from None


def _data_type(text: str, area: Area, bit: int | None, where: str) -> DataType:
    if bit is not None:
        return DataType.BIT
    key = text.lower()
    if not key:
        return DataType.BOOL if area.is_bit else DataType.UINT16
    if key in TYPE_ALIASES:
        return TYPE_ALIASES[key]
    try:
        return DataType(key)
    except ValueError:
        known = ", ".join(kind.value for kind in DataType)
        raise RegisterCsvError(f"{where}, data_type: '{text}' is not a data type: use one of {known}") from None


def _byte_order(text: str, where: str) -> ByteOrder:
    try:
        return ByteOrder(text.upper() or "ABCD")
    except ValueError:
        raise RegisterCsvError(f"{where}, byte_order: '{text}' is not a byte order: use ABCD, CDAB, BADC "
                               "or DCBA") from None


def _flag(text: str, where: str) -> bool:
    if text.lower() in _YES:
        return True
    if text.lower() in _NO:
        return False
    raise RegisterCsvError(f"{where}, writable: '{text}' is neither yes nor no")


def parse_decimal(text: str) -> float:
    """A finite number as an engineer types it, a decimal comma too (``12,5``); ValueError says why not."""
    try:
        value = float(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(value):
        raise ValueError("is not a finite number")
    return value


def _float(row: dict[str, str], column: str, where: str, default: float | None = None) -> float | None:
    text = row.get(column, "")
    if not text:
        return default
    try:
        return parse_decimal(text)
    except ValueError as exc:
        raise RegisterCsvError(f"{where}, {column}: '{text}' {exc}") from None


def _int(row: dict[str, str], column: str, where: str, default: int) -> int:
    text = row.get(column, "")
    if not text:
        return default
    if not text.isdigit():
        raise RegisterCsvError(f"{where}, {column}: '{text}' is not a whole number")
    return int(text)

