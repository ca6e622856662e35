"""Modbus register maps: what each tag is, where it lives, and how its registers become a value.

Modbus itself only moves 16-bit registers and single bits. Everything an engineer cares about
(a float setpoint, a 64-bit counter, a serial-number string, bit 3 of a status word, a raw
count scaled to bar) is a convention between the device maker and us, written down here as a
:class:`ModbusTag`. Decoding and encoding are pure functions so the client, the simulator and
the tests all agree byte for byte.

Byte order
    Letters name the bytes of the value, ``A`` the most significant. ``ABCD`` is the Modbus
    default (big-endian bytes in big-endian words). The four orders are two independent
    swaps, which extend to 64-bit values naturally:

    ======  ==================  ===============  ========
    order   first register      bytes in each    64-bit
    ======  ==================  ===============  ========
    ABCD    most significant    high byte first  ABCDEFGH
    CDAB    least significant   high byte first  GHEFCDAB
    BADC    most significant    low byte first   BADCFEHG
    DCBA    least significant   low byte first   HGFEDCBA
    ======  ==================  ===============  ========

    ``CDAB`` equals pymodbus' ``word_order="little"``; pymodbus has no byte swap. Strings
    follow the same rule: ``BADC`` swaps the two characters of each register (devices
    that store text little-endian), ``CDAB`` reverses the order of the registers.

Addresses
    :attr:`ModbusTag.address` is the 0-based protocol address sent on the wire. Manuals and
    engineers speak the 1-based "40001" convention; :attr:`ModbusTag.display_address` and
    :func:`parse_display_address` translate, so no off-by-one ever reaches a message.

Text is Latin-1 (one byte per character, so any register image reads and writes back).
"""

from __future__ import annotations

import enum
import math
import numbers
import struct
import sys
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from device_browser.session import DeviceError, WriteRefused

MAX_REGISTERS = 125  # registers per FC3/FC4 read (Modbus spec)
MAX_BITS = 2000  # bits per FC1/FC2 read (Modbus spec)
LAST_ADDRESS = 65535
FLOAT32_MAX = 3.4028234663852886e38
TEXT_ENCODING = "latin-1"


class Area(enum.StrEnum):
    """The four Modbus data tables; each has its own address space and function codes."""

    COIL = "coil"
    DISCRETE_INPUT = "discrete_input"
    INPUT_REGISTER = "input_register"
    HOLDING_REGISTER = "holding_register"

    @property
    def is_bit(self) -> bool:
        return self in (Area.COIL, Area.DISCRETE_INPUT)

    @property
    def prefix(self) -> int:
        """The leading digit of the 0xxxx/1xxxx/3xxxx/4xxxx convention used in manuals."""
        return _PREFIXES[self]

    @property
    def writable_area(self) -> bool:
        """Only coils and holding registers have write function codes (FC5/6/15/16)."""
        return self in (Area.COIL, Area.HOLDING_REGISTER)

    @property
    def read_function_code(self) -> int:
        return _READ_FUNCTION_CODES[self]

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


_PREFIXES = {Area.COIL: 0, Area.DISCRETE_INPUT: 1, Area.INPUT_REGISTER: 3, Area.HOLDING_REGISTER: 4}
_READ_FUNCTION_CODES = {Area.COIL: 1, Area.DISCRETE_INPUT: 2, Area.HOLDING_REGISTER: 3, Area.INPUT_REGISTER: 4}


class DataType(enum.StrEnum):
    """How the registers of a tag are read. BOOL is a coil/discrete bit, BIT one bit of a register."""

    BOOL = "bool"
    INT16 = "int16"
    UINT16 = "uint16"
    INT32 = "int32"
    UINT32 = "uint32"
    FLOAT32 = "float32"
    INT64 = "int64"
    UINT64 = "uint64"
    FLOAT64 = "float64"
    STRING = "string"
    BIT = "bit"

    @property
    def is_numeric(self) -> bool:
        return self in _STRUCT_FORMATS

    @property
    def is_integer(self) -> bool:
        return self.is_numeric and not self.is_float

    @property
    def is_float(self) -> bool:
        return self in (DataType.FLOAT32, DataType.FLOAT64)

    @property
    def register_count(self) -> int | None:
        """Registers a value of this type takes; None for strings, whose length the tag sets."""
        if self is DataType.STRING:
            return None
        return _STRUCT_SIZES.get(self, 2) // 2 if self.is_numeric else 1

    @property
    def range(self) -> tuple[int | float, int | float] | None:
        """Smallest and largest raw value of a numeric type (None for bool, bit and string)."""
        return _RANGES.get(self)


_STRUCT_FORMATS = {DataType.INT16: "h", DataType.UINT16: "H", DataType.INT32: "i", DataType.UINT32: "I",
                   DataType.FLOAT32: "f", DataType.INT64: "q", DataType.UINT64: "Q", DataType.FLOAT64: "d"}
_STRUCT_SIZES = {data_type: struct.calcsize(code) for data_type, code in _STRUCT_FORMATS.items()}
_RANGES: dict[DataType, tuple[int | float, int | float]] = {
    DataType.INT16: (-(2**15), 2**15 - 1), DataType.UINT16: (0, 2**16 - 1),
    DataType.INT32: (-(2**31), 2**31 - 1), DataType.UINT32: (0, 2**32 - 1),
    DataType.INT64: (-(2**63), 2**63 - 1), DataType.UINT64: (0, 2**64 - 1),
    DataType.FLOAT32: (-FLOAT32_MAX, FLOAT32_MAX), DataType.FLOAT64: (-sys.float_info.max, sys.float_info.max),
}


class ByteOrder(enum.StrEnum):
    """Byte and word order of multi-register values; see the module docstring for the table."""

    ABCD = "ABCD"
    CDAB = "CDAB"
    BADC = "BADC"
    DCBA = "DCBA"

    @property
    def word_swap(self) -> bool:
        """The first register holds the least significant word."""
        return self in (ByteOrder.CDAB, ByteOrder.DCBA)

    @property
    def byte_swap(self) -> bool:
        """Each register holds its low byte first."""
        return self in (ByteOrder.BADC, ByteOrder.DCBA)

    def pattern(self, register_count: int) -> str:
        """The byte letters as they appear on the wire, e.g. ``GHEFCDAB`` for CDAB over 4 registers."""
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if register_count > len(letters) // 2:
            return self.value
        return "".join(_reorder_words(letters[: 2 * register_count], self))


def _reorder_words(data: Sequence, order: ByteOrder) -> list:
    """Move between value order (most significant first) and wire order; the mapping is its own inverse."""
    words = [list(data[i:i + 2]) for i in range(0, len(data), 2)]
    if order.word_swap:
        words.reverse()
    if order.byte_swap:
        words = [word[::-1] for word in words]
    return [item for word in words for item in word]


def registers_to_bytes(words: Sequence[int], order: ByteOrder = ByteOrder.ABCD) -> bytes:
    """The value's bytes, most significant first, from registers in ``order``."""
    wire = b"".join((word & 0xFFFF).to_bytes(2, "big") for word in words)
    return bytes(_reorder_words(wire, order))


def bytes_to_registers(data: bytes, order: ByteOrder = ByteOrder.ABCD) -> list[int]:
    """Registers in ``order`` for a value's bytes (most significant first, even length)."""
    wire = bytes(_reorder_words(data, order))
    return [int.from_bytes(wire[i:i + 2], "big") for i in range(0, len(wire), 2)]


@dataclass(frozen=True)
class ModbusTag:
    """One named value in a device's register map, with its scaling and write limits.

    Strings given for ``area``, ``data_type`` and ``byte_order`` (as read from a YAML or CSV
    register list) become the enums. In a coil or discrete-input area a tag is one bit, so the
    default data type ``uint16`` is taken as ``bool`` there: coil tags need not say it.
    """

    name: str
    area: Area
    address: int  # 0-based protocol address
    data_type: DataType = DataType.UINT16
    byte_order: ByteOrder = ByteOrder.ABCD
    length: int = 1  # registers, only for STRING (2 chars per register)
    bit: int = 0  # 0..15, only for BIT (a bit of a register)
    scale: float = 1.0  # engineering value = raw * scale + offset
    offset: float = 0.0
    unit: str = ""
    writable: bool = False
    write_min: float | None = None  # engineering-value limits for writes
    write_max: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "area", _choice(Area, self.area, "area"))
        object.__setattr__(self, "data_type", _choice(DataType, self.data_type, "data type"))
        object.__setattr__(self, "byte_order", _choice(ByteOrder, self.byte_order, "byte order"))
        if self.area.is_bit and self.data_type is DataType.UINT16:
            object.__setattr__(self, "data_type", DataType.BOOL)

    @property
    def register_count(self) -> int:
        """Registers (or bits, in a bit area) the tag occupies."""
        if self.data_type is DataType.STRING:
            return self.length
        return self.data_type.register_count or 1

    @property
    def end(self) -> int:
        """First address after the tag (exclusive end)."""
        return self.address + self.register_count

    @property
    def display_address(self) -> str:
        """The 1-based address of manuals: holding 0 is "40001", holding 9999 is "410000"."""
        return format_display_address(self.area, self.address)

    @property
    def reference(self) -> str:
        """Where the tag is, for messages: the display address, plus ".bit" for a bit of a register."""
        if not _valid_address(self.address):
            return f"address {self.address}"
        if self.data_type is DataType.BIT and not self.area.is_bit:
            return f"{self.display_address}.{self.bit}"
        return self.display_address

    def check(self) -> None:
        """Raise :class:`DeviceError` naming every inconsistency, before the tag meets a device."""
        problems = _check_address(self) + _check_type(self) + _check_scaling(self) + _check_writes(self)
        if problems:
            raise DeviceError(f"Tag '{self.name}' ({self.reference}): " + "; ".join(problems))


def _choice(kind: type[enum.StrEnum], value: object, what: str):
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise DeviceError(f"'{value}' is not a Modbus {what} (use one of: {choices})") from None


def _valid_address(address: object) -> bool:
    return isinstance(address, int) and not isinstance(address, bool) and 0 <= address <= LAST_ADDRESS


def _check_address(tag: ModbusTag) -> list[str]:
    problems = [] if tag.name else ["a tag needs a name"]
    if not _valid_address(tag.address):
        return [*problems, f"address {tag.address} is outside 0…{LAST_ADDRESS} (addresses are 0-based)"]
    if tag.register_count >= 1 and tag.end > LAST_ADDRESS + 1:
        unit = "bits" if tag.area.is_bit else "registers"
        problems.append(f"{tag.register_count} {unit} from address {tag.address} run past the last "
                        f"address {LAST_ADDRESS}")
    return problems


def _check_type(tag: ModbusTag) -> list[str]:
    problems = []
    kind = tag.data_type
    if tag.area.is_bit and kind is not DataType.BOOL:
        problems.append(f"a {tag.area.label} holds one bit, so its data type must be bool, not {kind}")
    if not tag.area.is_bit and kind is DataType.BOOL:
        problems.append("bool is for coils and discrete inputs; one bit of a register is data type bit")
    if kind is DataType.BIT and not 0 <= tag.bit <= 15:
        problems.append(f"bit {tag.bit} is outside 0…15")
    if kind is not DataType.BIT and tag.bit != 0:
        problems.append(f"bit {tag.bit} is given but only data type bit uses it")
    if kind is DataType.STRING and not 1 <= tag.length <= MAX_REGISTERS:
        problems.append(f"a string needs a length of 1…{MAX_REGISTERS} registers (2 characters each), "
                        f"not {tag.length}")
    if kind is not DataType.STRING and tag.length != 1:
        problems.append(f"length {tag.length} is given but only strings use it ({kind} sets its own size)")
    return problems


def _check_scaling(tag: ModbusTag) -> list[str]:
    if not tag.data_type.is_numeric:
        scaled = tag.scale != 1.0 or tag.offset != 0.0
        return [f"scale and offset apply only to numbers, not to {tag.data_type}"] if scaled else []
    problems = []
    if not math.isfinite(tag.scale) or tag.scale == 0:
        problems.append(f"scale {tag.scale} must be a finite number other than 0")
    if not math.isfinite(tag.offset):
        problems.append(f"offset {tag.offset} must be a finite number")
    return problems


def _check_writes(tag: ModbusTag) -> list[str]:
    problems = []
    if tag.writable and not tag.area.writable_area:
        problems.append(f"it is marked writable but Modbus cannot write {tag.area.label}s")
    limits = [limit for limit in (tag.write_min, tag.write_max) if limit is not None]
    if limits and not tag.data_type.is_numeric:
        problems.append(f"write limits apply only to numbers, not to {tag.data_type}")
    if any(math.isnan(limit) for limit in limits):
        problems.append("a write limit is NaN")
    elif len(limits) == 2 and tag.write_min > tag.write_max:
        problems.append(f"write_min {_number(tag.write_min)} is above write_max {_number(tag.write_max)}")
    return problems


def format_display_address(area: Area, address: int) -> str:
    """1-based manual convention: 5 digits up to x9999, then 6 ("400001"-style) from address 9999 on."""
    number = address + 1
    return f"{Area(area).prefix}{number:04d}" if number <= 9999 else f"{Area(area).prefix}{number:05d}"


def parse_display_address(text: str) -> tuple[Area, int]:
    """Area and 0-based address of a manual's "40001"/"400001"-style address."""
    digits = text.strip()
    areas = {area.prefix: area for area in Area}
    if not digits.isdigit() or len(digits) not in (5, 6) or int(digits[0]) not in areas:
        raise DeviceError(f"'{text}' is not a Modbus address like 40001, 30120, 00001, 10001 or 400001")
    number = int(digits[1:])
    if not 1 <= number <= LAST_ADDRESS + 1:
        raise DeviceError(f"'{text}' is outside {digits[0]}0001…{digits[0]}{LAST_ADDRESS + 1} "
                          "(display addresses are 1-based)")
    return areas[int(digits[0])], number - 1


# --------------------------------------------------------------------------- decoding


def decode(tag: ModbusTag, words: Sequence[int] | Sequence[bool]) -> float | int | bool | str:
    """Raw registers (or bits) as read from the device -> the engineering value.

    Integers stay ``int`` when the tag is unscaled, so counters and enumerations keep their
    exact values; a scale or offset makes the result a float.
    """
    if len(words) != tag.register_count:
        unit = "bit" if tag.area.is_bit else "register"
        raise DeviceError(f"Tag '{tag.name}' ({tag.reference}) takes {tag.register_count} {unit}(s), "
                          f"but {len(words)} were given")
    if tag.area.is_bit:
        return bool(words[0])
    registers = [_register(tag, word) for word in words]
    if tag.data_type is DataType.BIT:
        return bool((registers[0] >> tag.bit) & 1)
    data = registers_to_bytes(registers, tag.byte_order)
    if tag.data_type is DataType.STRING:
        return _decode_text(data)
    raw = struct.unpack(">" + _STRUCT_FORMATS[tag.data_type], data)[0]
    return _engineering(tag, raw)


def _register(tag: ModbusTag, word: int) -> int:
    """Accept unsigned (pymodbus) and signed 16-bit images; anything wider is a caller's bug."""
    if not -0x8000 <= int(word) <= 0xFFFF:
        raise DeviceError(f"Tag '{tag.name}' ({tag.reference}): {word} is not a 16-bit register value")
    return int(word) & 0xFFFF


def _decode_text(data: bytes) -> str:
    """Devices end strings with NULs (and whatever follows them) or pad them with spaces."""
    return data.split(b"\0", 1)[0].decode(TEXT_ENCODING).rstrip(" ")


def _engineering(tag: ModbusTag, raw: int | float) -> int | float:
    if tag.scale == 1.0 and tag.offset == 0.0:
        return raw
    value = raw * tag.scale + tag.offset
    # 15 significant digits so 123 × 0.1 reads 12.3, not 12.300000000000001.
    return float(f"{value:.15g}") if math.isfinite(value) else value


# --------------------------------------------------------------------------- encoding


def encode(tag: ModbusTag, value: object) -> list[int] | list[bool]:
    """Engineering value -> registers (or one bit) to write; :class:`WriteRefused` if it must not go out.

    Refused before anything is sent: read-only tags, values of the wrong kind, NaN and
    infinities, values outside ``write_min``/``write_max`` and values the data type cannot
    hold (a PLC would otherwise store a wrapped-around number).
    """
    _require_writable(tag)
    if tag.area.is_bit:
        return [_as_bool(tag, value)]
    if tag.data_type is DataType.BIT:
        raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) is one bit of a register: write it with "
                           "encode_bit(tag, current_register, value) so the other 15 bits keep their values")
    if tag.data_type is DataType.STRING:
        return bytes_to_registers(_encode_text(tag, value), tag.byte_order)
    raw = _raw_value(tag, _as_number(tag, value))
    return bytes_to_registers(_pack(tag, raw), tag.byte_order)


def encode_bit(tag: ModbusTag, current_register: int, value: bool) -> int:
    """The register to write so that only ``tag.bit`` changes; read ``current_register`` just before."""
    _require_writable(tag)
    if tag.data_type is not DataType.BIT:
        raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) is {tag.data_type}, not one bit of a "
                           "register: write it with encode(tag, value)")
    register = _register(tag, current_register)
    mask = 1 << tag.bit
    return register | mask if _as_bool(tag, value) else register & ~mask


def _require_writable(tag: ModbusTag) -> None:
    if not tag.area.writable_area:
        raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) is in the {tag.area.label}s, "
                           "which Modbus cannot write")
    if not tag.writable:
        raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) is read-only (not marked writable)")


def _as_bool(tag: ModbusTag, value: object) -> bool:
    """True/False, or 0/1: a 2 meant for a bit is more likely a wrong tag than a wish for True."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) takes True or False, not {_shown(value)}")


def _as_number(tag: ModbusTag, value: object) -> int | float:
    """A real number; bools and numeric text are refused because they usually mean the wrong tag or field."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) takes a number, not {_shown(value)}")
    number = int(value) if isinstance(value, numbers.Integral) else float(value)
    if isinstance(number, float) and not math.isfinite(number):
        raise WriteRefused(f"{_number(number)} cannot be written to tag '{tag.name}' ({tag.reference})")
    _check_limits(tag, number)
    return number


def _check_limits(tag: ModbusTag, value: int | float) -> None:
    unit = f" {tag.unit}" if tag.unit else ""
    if tag.write_min is not None and value < tag.write_min:
        raise WriteRefused(f"{_number(value)}{unit} is below the write minimum {_number(tag.write_min)}{unit} "
                           f"of tag '{tag.name}' ({tag.reference})")
    if tag.write_max is not None and value > tag.write_max:
        raise WriteRefused(f"{_number(value)}{unit} is above the write maximum {_number(tag.write_max)}{unit} "
                           f"of tag '{tag.name}' ({tag.reference})")


def _raw_value(tag: ModbusTag, value: int | float) -> int | float:
    """Undo scale and offset; integer types round to the nearest step (exact ints stay exact)."""
    unscaled = tag.scale == 1.0 and tag.offset == 0.0
    try:
        raw = value if unscaled else (value - tag.offset) / tag.scale
        raw = float(raw) if tag.data_type.is_float else raw
    except OverflowError:  # an int beyond any float
        raise _range_error(tag, value) from None
    if isinstance(raw, float) and not tag.data_type.is_float:
        if unscaled and math.isfinite(raw) and not raw.is_integer():
            raise WriteRefused(f"{_number(value)} is not a whole number; tag '{tag.name}' ({tag.reference}) "
                               f"holds {tag.data_type} values")
        raw = round(raw) if math.isfinite(raw) else raw
    low, high = tag.data_type.range
    if not low <= raw <= high:
        raise _range_error(tag, value)
    return raw


def _pack(tag: ModbusTag, raw: int | float) -> bytes:
    try:
        return struct.pack(">" + _STRUCT_FORMATS[tag.data_type], raw)
    except (OverflowError, struct.error):  # float32 values that round past its largest value
        raise _range_error(tag, raw) from None


def _range_error(tag: ModbusTag, value: int | float) -> WriteRefused:
    low, high = _engineering_range(tag)
    scaling = ""
    if tag.scale != 1.0 or tag.offset != 0.0:
        scaling = f" at scale {_number(tag.scale)}" + (f", offset {_number(tag.offset)}" if tag.offset else "")
    return WriteRefused(f"{_number(value)} does not fit {tag.data_type}{scaling} ({_number(low)}…{_number(high)}) "
                        f"for tag '{tag.name}' ({tag.reference})")


def _engineering_range(tag: ModbusTag) -> tuple[int | float, int | float]:
    low, high = tag.data_type.range
    ends = sorted((_engineering(tag, low), _engineering(tag, high)))
    return ends[0], ends[1]


def _encode_text(tag: ModbusTag, value: object) -> bytes:
    if not isinstance(value, str):
        raise WriteRefused(f"Tag '{tag.name}' ({tag.reference}) takes text, not {_shown(value)}")
    try:
        data = value.encode(TEXT_ENCODING)
    except UnicodeEncodeError as exc:
        raise WriteRefused(f"'{value[exc.start:exc.end]}' cannot be written to tag '{tag.name}' "
                           f"({tag.reference}): it holds Latin-1 text, one byte per character") from None
    if b"\0" in data:
        raise WriteRefused(f"Text for tag '{tag.name}' ({tag.reference}) contains a NUL character, "
                           "which would end the string on the device")
    capacity = 2 * tag.length
    if len(data) > capacity:
        raise WriteRefused(f"'{value}' is {len(data)} characters; tag '{tag.name}' ({tag.reference}) "
                           f"holds at most {capacity}")
    return data.ljust(capacity, b"\0")


def _shown(value: object) -> str:
    return f"{value!r} ({type(value).__name__})"


def _number(value: float | int) -> str:
    """Numbers for messages: whole floats without ".0", 10 significant digits, a real minus sign."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, float) and math.isinf(value):
        text = "inf"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(abs(value)))
    elif isinstance(value, float):
        text = f"{abs(value):.10g}"
    else:
        text = str(abs(int(value)))
    return ("−" if value < 0 else "") + text


# --------------------------------------------------------------------------- maps


class RegisterMap:
    """A device's tags by name, each checked on the way in; names are unique, overlaps allowed."""

    def __init__(self, tags: Iterable[ModbusTag]) -> None:
        self.tags: dict[str, ModbusTag] = {}
        for tag in tags:
            tag.check()
            if tag.name in self.tags:
                raise DeviceError(f"Tag name '{tag.name}' is used twice in the register map "
                                  f"({self.tags[tag.name].reference} and {tag.reference})")
            self.tags[tag.name] = tag

    def __getitem__(self, name: str) -> ModbusTag:
        try:
            return self.tags[name]
        except KeyError:
            names = list(self.tags)
            shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
            raise DeviceError(f"No tag '{name}' in the register map (tags: {shown or 'none'})") from None

    def __contains__(self, name: object) -> bool:
        return name in self.tags

    def __iter__(self) -> Iterator[ModbusTag]:
        return iter(self.tags.values())

    def __len__(self) -> int:
        return len(self.tags)

    def overlaps(self) -> list[tuple[str, str]]:
        """Pairs of tags sharing registers (or bits) in one area, in address order.

        Allowed (a status word and its bits, a float also read as two words) but worth a look,
        as one may be a typo. Bit tags on different bits of one register do not count.
        """
        pairs = []
        for area in Area:
            ordered = sorted((tag for tag in self if tag.area is area), key=lambda tag: (tag.address, tag.end))
            pairs += _area_overlaps(ordered)
        return pairs


def _area_overlaps(ordered: list[ModbusTag]) -> list[tuple[str, str]]:
    starts = [tag.address for tag in ordered]
    pairs = []
    for index, tag in enumerate(ordered):
        for other in ordered[index + 1:bisect_left(starts, tag.end)]:
            if not _different_bits(tag, other):
                pairs.append((tag.name, other.name))
    return pairs


def _different_bits(first: ModbusTag, second: ModbusTag) -> bool:
    bits = first.data_type is DataType.BIT and second.data_type is DataType.BIT
    return bits and first.bit != second.bit


def __getattr__(name: str) -> object:
    """``parse_address`` lives in :mod:`device_browser.modbus.addresses` (it builds on this module);
    this keeps ``from device_browser.modbus.registers import parse_address`` working without an import cycle."""
    if name == "parse_address":
        from device_browser.modbus.addresses import parse_address

        return parse_address
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
