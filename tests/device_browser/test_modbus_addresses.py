"""Raw Modbus addresses as engineers write them, and every interpretation of a register range (pure functions)."""

from __future__ import annotations

import math
import struct

import pytest

from device_browser.modbus.addresses import both_forms, describe_tag, parse_address, protocol_address
from device_browser.modbus.interpret import format_interpretations, interpret
from device_browser.modbus.registers import Area, ByteOrder, DataType
from device_browser.modbus.registers import parse_address as parse_address_from_registers
from device_browser.session import DeviceError

H, IR, C, D = Area.HOLDING_REGISTER, Area.INPUT_REGISTER, Area.COIL, Area.DISCRETE_INPUT


@pytest.mark.parametrize(("text", "area", "address", "data_type", "order"), [
    ("40001", H, 0, DataType.UINT16, ByteOrder.ABCD),
    ("400001", H, 0, DataType.UINT16, ByteOrder.ABCD),
    ("49999", H, 9998, DataType.UINT16, ByteOrder.ABCD),
    ("410000", H, 9999, DataType.UINT16, ByteOrder.ABCD),
    ("465536", H, 65535, DataType.UINT16, ByteOrder.ABCD),
    ("30013", IR, 12, DataType.UINT16, ByteOrder.ABCD),
    ("00001", C, 0, DataType.BOOL, ByteOrder.ABCD),
    ("10004", D, 3, DataType.BOOL, ByteOrder.ABCD),
    ("hr:0", H, 0, DataType.UINT16, ByteOrder.ABCD),
    ("IR:5", IR, 5, DataType.UINT16, ByteOrder.ABCD),
    ("co:0", C, 0, DataType.BOOL, ByteOrder.ABCD),
    ("di:3", D, 3, DataType.BOOL, ByteOrder.ABCD),
    ("40001:float32:CDAB", H, 0, DataType.FLOAT32, ByteOrder.CDAB),
    ("hr:0:uint32:badc", H, 0, DataType.UINT32, ByteOrder.BADC),
    ("hr:100:real", H, 100, DataType.FLOAT32, ByteOrder.ABCD),
    ("30001:int16", IR, 0, DataType.INT16, ByteOrder.ABCD),
    ("40032:lreal:DCBA", H, 31, DataType.FLOAT64, ByteOrder.DCBA),
    ("co:1:bool", C, 1, DataType.BOOL, ByteOrder.ABCD),
])
def test_addresses_in_both_conventions(text, area, address, data_type, order):
    tag = parse_address(text)
    assert (tag.name, tag.area, tag.address, tag.data_type, tag.byte_order) == (text, area, address, data_type, order)
    assert tag.writable is area.writable_area  # without a profile the device itself decides


def test_bits_of_a_register_and_strings():
    bit = parse_address("40013.3")
    assert (bit.area, bit.address, bit.data_type, bit.bit) == (H, 12, DataType.BIT, 3)
    assert parse_address("hr:12.3") == parse_address("hr:12.3")  # same text, same tag
    assert parse_address("hr:12.3").address == 12
    text = parse_address("hr:17:string:8")
    assert (text.data_type, text.length, text.register_count) == (DataType.STRING, 8, 8)


@pytest.mark.parametrize(("text", "says"), [
    ("", "is not a Modbus address (use 40001, 400001, hr:0"),
    ("flow", "is not a Modbus address"),
    ("4001", "is not a Modbus address"),
    ("50001", "is not a Modbus address"),
    ("40000", "manual addresses start at 1 (40001 is the first)"),
    ("465537", "outside 40001…465536"),
    ("hr:", "needs an address after 'hr:'"),
    ("hr:-1", "whole numbers 0…65535 (0-based; hr:0 is 40001)"),
    ("hr:65536", "whole numbers 0…65535"),
    ("40001:float", ""),  # an alias, accepted
    ("40001:float33", "'float33' is not a data type"),
    ("40001:float32:ABDC", "'ABDC' is not a byte order (use ABCD, CDAB, BADC or DCBA)"),
    ("40001:float32:CDAB:x", "too many parts"),
    ("co:0:float32", "a coil holds one bit, so it reads as bool, not float32"),
    ("40001.16", "numbered 0…15"),
    ("00001.2", "single bit already"),
    ("40001.2:float32", "has no data type of its own"),
    ("hr:17:string", "a string needs its length in registers"),
    ("hr:65535:float32", "run past the last address 65535"),
])
def test_malformed_addresses_say_what_is_wrong(text, says):
    if not says:
        parse_address(text)
        return
    with pytest.raises(DeviceError) as refused:
        parse_address(text)
    assert says in str(refused.value)
    assert f"'{text}'" in str(refused.value)


def test_display_forms_show_manual_and_protocol_address():
    assert protocol_address(H, 0) == "hr:0" and both_forms(H, 0) == "40001 (hr:0)"
    assert both_forms(IR, 12) == "30013 (ir:12)" and both_forms(H, 9999) == "410000 (hr:9999)"
    assert describe_tag(parse_address("40001:float32:CDAB")) == "40001 (hr:0) float32 CDAB"
    assert describe_tag(parse_address("40013.3")) == "40013.3 (hr:12.3) bit"
    assert describe_tag(parse_address("co:4")) == "00005 (co:4) bool"
    assert parse_address_from_registers is parse_address  # registers.py offers it too


def _registers(fmt: str, value: float | int) -> list[int]:
    data = struct.pack(">" + fmt, value)
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def _values(rows, kind: str, order: str | None = None, offset: int = 0) -> list:
    return [row.value for row in rows if row.data_type == kind and row.offset == offset
            and (order is None or row.byte_order == order)]


def test_interpret_finds_pi_in_every_byte_order():
    assert _registers("f", 3.14159) == [0x4049, 0x0FD0]  # the textbook image
    for order, words in (("ABCD", [0x4049, 0x0FD0]), ("CDAB", [0x0FD0, 0x4049]),
                         ("BADC", [0x4940, 0xD00F]), ("DCBA", [0xD00F, 0x4940])):
        rows = interpret(words)
        [value] = _values(rows, "float32", order)
        assert value == pytest.approx(3.14159, rel=1e-6), order
        others = [v for o in ByteOrder if o != order for v in _values(rows, "float32", o)]
        assert all(v != pytest.approx(3.14159, rel=1e-3) for v in others)


def test_interpret_integers_and_64_bit_values():
    rows = interpret([0x0001, 0x0000])
    assert _values(rows, "int32", "ABCD") == [65536] and _values(rows, "int32", "CDAB") == [1]
    assert _values(rows, "uint32", "BADC") == [16777216] and _values(rows, "uint32", "DCBA") == [256]
    minus_one = interpret([0xFFFF])
    assert _values(minus_one, "int16") == [-1] and _values(minus_one, "uint16") == [65535]
    assert _values(minus_one, "float32") == []  # one register: no pairs

    pi = _registers("d", math.pi)
    assert pi == [0x4009, 0x21FB, 0x5444, 0x2D18]
    rows = interpret(pi)
    assert _values(rows, "float64", "ABCD") == [math.pi]
    assert _values(rows, "float64", "CDAB") == [struct.unpack(">d", struct.pack(">4H", *reversed(pi)))[0]]
    assert _values(interpret([0, 0, 0, 1]), "int64", "ABCD") == [1]
    assert _values(interpret([0, 0, 0, 1]), "int64", "CDAB") == [1 << 48]


def test_interpret_covers_every_offset_once():
    n = 6
    rows = interpret(list(range(n)))
    assert len(rows) == 2 * n + (n - 1) * 4 * 3 + (n - 3) * 4 * 2
    assert {row.offset for row in rows if row.count == 4} == {0, 1, 2}
    assert interpret([]) == []
    with pytest.raises(ValueError, match="70000 is not a 16-bit register value"):
        interpret([70000])


def test_formatted_table_names_both_address_forms_and_marks_implausible_floats():
    lines = format_interpretations(interpret([0x4049, 0x0FD0]), start=100)
    assert lines[0].startswith("40101 (hr:100)") and "int16" in lines[0] and lines[0].endswith("16457")
    pi_line = next(line for line in lines if "float32" in line and "ABCD" in line)
    assert pi_line.rstrip().endswith("3.14159")
    cdab = next(line for line in lines if "float32" in line and "CDAB" in line)
    assert cdab.endswith("?")  # 2.05e-29: a wrong order, most likely
    inputs = format_interpretations(interpret([1]), start=12, area=IR)
    assert inputs[0].startswith("30013 (ir:12)")
