"""Register maps: byte orders, scaling, strings, bits, write refusals, addresses and checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymodbus.client.mixin import ModbusClientMixin

from device_browser.modbus.registers import (
    Area,
    ByteOrder,
    DataType,
    ModbusTag,
    RegisterMap,
    decode,
    encode,
    encode_bit,
    parse_display_address,
)
from device_browser.session import DeviceError, WriteRefused

HR, IR, COIL, DI = Area.HOLDING_REGISTER, Area.INPUT_REGISTER, Area.COIL, Area.DISCRETE_INPUT
NUMERIC = [kind for kind in DataType if kind.is_numeric]
WORDS = st.integers(0, 0xFFFF)


def holding(data_type: DataType = DataType.UINT16, order: ByteOrder = ByteOrder.ABCD, **fields) -> ModbusTag:
    fields = {"name": "speed_sp", "address": 10, "writable": True} | fields
    return ModbusTag(area=HR, data_type=data_type, byte_order=order, **fields)


def refusal(tag: ModbusTag, value: object) -> str:
    with pytest.raises(WriteRefused) as caught:
        encode(tag, value)
    return str(caught.value)


# --------------------------------------------------------------------------- known register images

KNOWN_IMAGES = [
    (DataType.FLOAT32, 123.456, {"ABCD": [0x42F6, 0xE979], "CDAB": [0xE979, 0x42F6],
                                 "BADC": [0xF642, 0x79E9], "DCBA": [0x79E9, 0xF642]}),
    (DataType.INT32, 0x12345678, {"ABCD": [0x1234, 0x5678], "CDAB": [0x5678, 0x1234],
                                  "BADC": [0x3412, 0x7856], "DCBA": [0x7856, 0x3412]}),
    (DataType.UINT32, 0xDEADBEEF, {"ABCD": [0xDEAD, 0xBEEF], "CDAB": [0xBEEF, 0xDEAD],
                                   "BADC": [0xADDE, 0xEFBE], "DCBA": [0xEFBE, 0xADDE]}),
    (DataType.INT16, -2, {"ABCD": [0xFFFE], "CDAB": [0xFFFE], "BADC": [0xFEFF], "DCBA": [0xFEFF]}),
    (DataType.UINT16, 0x1234, {"ABCD": [0x1234], "CDAB": [0x1234], "BADC": [0x3412], "DCBA": [0x3412]}),
    (DataType.UINT64, 0x0102030405060708, {
        "ABCD": [0x0102, 0x0304, 0x0506, 0x0708], "CDAB": [0x0708, 0x0506, 0x0304, 0x0102],
        "BADC": [0x0201, 0x0403, 0x0605, 0x0807], "DCBA": [0x0807, 0x0605, 0x0403, 0x0201]}),
    (DataType.INT64, -(2**63), {"ABCD": [0x8000, 0, 0, 0], "CDAB": [0, 0, 0, 0x8000],
                                "BADC": [0x0080, 0, 0, 0], "DCBA": [0, 0, 0, 0x0080]}),
    (DataType.FLOAT64, 1.0, {"ABCD": [0x3FF0, 0, 0, 0], "CDAB": [0, 0, 0, 0x3FF0],
                             "BADC": [0xF03F, 0, 0, 0], "DCBA": [0, 0, 0, 0xF03F]}),
]


@pytest.mark.parametrize(("data_type", "value", "images"), KNOWN_IMAGES, ids=[row[0] for row in KNOWN_IMAGES])
@pytest.mark.parametrize("order", list(ByteOrder))
def test_known_register_images_in_every_byte_order(data_type, value, images, order):
    tag = holding(data_type, order)
    assert encode(tag, value) == images[order]
    decoded = decode(tag, images[order])
    assert decoded == (pytest.approx(value, rel=1e-7) if data_type is DataType.FLOAT32 else value)
    assert type(decoded) is type(value)


def test_known_images_cover_every_numeric_type():
    assert {row[0] for row in KNOWN_IMAGES} == set(NUMERIC)


def test_byte_order_patterns_extend_to_64_bit():
    assert [order.pattern(2) for order in ByteOrder] == ["ABCD", "CDAB", "BADC", "DCBA"]
    assert [order.pattern(4) for order in ByteOrder] == ["ABCDEFGH", "GHEFCDAB", "BADCFEHG", "HGFEDCBA"]


# --------------------------------------------------------------------------- round trips


def _values(data_type: DataType) -> st.SearchStrategy:
    if data_type is DataType.FLOAT32:
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    if data_type is DataType.FLOAT64:
        return st.floats(allow_nan=False, allow_infinity=False)
    low, high = data_type.range
    return st.integers(low, high)


@pytest.mark.parametrize("order", list(ByteOrder))
@pytest.mark.parametrize("data_type", NUMERIC)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_value_round_trip_for_every_type_and_order(data_type, order, data):
    tag = holding(data_type, order)
    value = data.draw(_values(data_type))
    words = encode(tag, value)
    assert len(words) == tag.register_count and all(0 <= word <= 0xFFFF for word in words)
    decoded = decode(tag, words)
    assert decoded == value and type(decoded) is type(value)


@pytest.mark.parametrize("order", list(ByteOrder))
@pytest.mark.parametrize("data_type", NUMERIC)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_register_image_round_trip_for_every_type_and_order(data_type, order, data):
    """Any register image a device sends decodes to a value that writes back as the same image."""
    tag = holding(data_type, order)
    words = data.draw(st.lists(WORDS, min_size=tag.register_count, max_size=tag.register_count))
    value = decode(tag, words)
    if isinstance(value, float) and not math.isfinite(value):
        return  # NaN and infinities are read but never written
    assert encode(tag, value) == words


@pytest.mark.parametrize("order", list(ByteOrder))
@pytest.mark.parametrize("data_type", NUMERIC)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_decoding_agrees_with_pymodbus(data_type, order, data):
    """pymodbus knows word order only; a byte swap per register first gives BADC and DCBA."""
    tag = holding(data_type, order)
    words = data.draw(st.lists(WORDS, min_size=tag.register_count, max_size=tag.register_count))
    wire = [((word & 0xFF) << 8) | (word >> 8) for word in words] if order.byte_swap else words
    expected = ModbusClientMixin.convert_from_registers(
        wire, ModbusClientMixin.DATATYPE[data_type.name], word_order="little" if order.word_swap else "big")
    value = decode(tag, words)
    assert value == expected or (math.isnan(value) and math.isnan(expected))


@pytest.mark.parametrize("data_type", [kind for kind in NUMERIC if kind.is_integer])
@pytest.mark.parametrize(("scale", "offset"), [(0.1, 0.0), (0.01, -40.0), (2.5, 3.0), (-0.5, 100.0), (10.0, 0.0)])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_scaled_integers_write_back_the_register_image_they_were_read_from(data_type, scale, offset, data):
    tag = holding(data_type, scale=scale, offset=offset)
    words = data.draw(st.lists(WORDS, min_size=tag.register_count, max_size=tag.register_count))
    value = decode(tag, words)
    assert isinstance(value, float)
    if data_type.register_count < 4:  # 64-bit counts exceed a float's 53-bit mantissa
        assert encode(tag, value) == words


def test_scaled_nan_image_reads_as_nan_and_negative_zero_survives():
    assert math.isnan(decode(holding(DataType.FLOAT32), [0x7FC0, 0]))
    assert math.isnan(decode(holding(DataType.FLOAT32, scale=2.0), [0x7FC0, 0]))
    assert math.copysign(1, decode(holding(DataType.FLOAT32), encode(holding(DataType.FLOAT32), -0.0))) == -1


# --------------------------------------------------------------------------- scale and offset


def test_scale_and_offset_give_engineering_values():
    assert decode(holding(DataType.INT16, scale=0.1), [123]) == 12.3
    assert decode(holding(DataType.INT16, scale=0.1, offset=-40), [0xFFFF]) == -40.1
    assert decode(holding(DataType.UINT16, scale=0.01, offset=273.15), [0]) == 273.15
    assert encode(holding(DataType.INT16, scale=0.1), 12.3) == [123]
    assert encode(holding(DataType.INT16, scale=0.1, offset=-40), -40.1) == [0xFFFF]


def test_integers_stay_int_unless_scaled():
    assert type(decode(holding(DataType.UINT16), [7])) is int
    assert type(decode(holding(DataType.INT32), [0, 7])) is int
    assert type(decode(holding(DataType.UINT16, scale=1.0, offset=1.0), [7])) is float
    assert decode(holding(DataType.UINT16, scale=2.0), [7]) == 14.0
    assert type(decode(holding(DataType.FLOAT32), [0, 0])) is float


def test_scaled_writes_round_to_the_nearest_step():
    tag = holding(DataType.INT16, scale=0.1)
    assert encode(tag, 12.34) == [123]
    assert encode(tag, 12.36) == [124]
    assert encode(tag, np.float32(1.5)) == [15]
    assert encode(holding(DataType.UINT16), np.int64(5)) == [5]
    assert encode(holding(DataType.FLOAT32), 5) == encode(holding(DataType.FLOAT32), 5.0)


def test_signed_register_images_are_accepted_but_wider_values_are_not():
    assert decode(holding(DataType.INT16), [-2]) == -2
    assert decode(holding(DataType.UINT16), [-1]) == 0xFFFF
    with pytest.raises(DeviceError, match=r"70000 is not a 16-bit register value"):
        decode(holding(DataType.UINT16), [70000])
    with pytest.raises(DeviceError, match=r"takes 2 register\(s\), but 1 were given"):
        decode(holding(DataType.FLOAT32), [0])


# --------------------------------------------------------------------------- strings


def text_tag(length: int = 4, order: ByteOrder = ByteOrder.ABCD) -> ModbusTag:
    return holding(DataType.STRING, order, name="serial", length=length)


def test_strings_are_two_characters_per_register_nul_padded():
    assert encode(text_tag(), "Pump 7") == [0x5075, 0x6D70, 0x2037, 0x0000]
    assert encode(text_tag(), "abc") == [0x6162, 0x6300, 0, 0]
    assert decode(text_tag(), [0x5075, 0x6D70, 0x2037, 0x0000]) == "Pump 7"


def test_string_decoding_stops_at_nul_and_strips_space_padding():
    assert decode(text_tag(), [0x6162, 0x6300, 0x5858, 0x5858]) == "abc"  # garbage after the terminator
    assert decode(text_tag(), [0x6162, 0x2020, 0x2020, 0x2020]) == "ab"
    assert decode(text_tag(), [0, 0x4142, 0, 0]) == ""
    assert decode(text_tag(1), [0x41FF]) == "Aÿ"  # Latin-1: every byte reads as a character


def test_string_byte_orders():
    assert encode(text_tag(2, ByteOrder.BADC), "ABCD") == [0x4241, 0x4443]
    assert decode(text_tag(2, ByteOrder.BADC), [0x4241, 0x0043]) == "ABC"
    assert encode(text_tag(2, ByteOrder.CDAB), "ABCD") == [0x4344, 0x4142]
    assert encode(text_tag(2, ByteOrder.DCBA), "ABCD") == [0x4443, 0x4241]


@pytest.mark.parametrize("order", list(ByteOrder))
@settings(max_examples=50, deadline=None)
@given(length=st.integers(1, 8), data=st.data())
def test_string_round_trip(order, length, data):
    alphabet = st.characters(min_codepoint=1, max_codepoint=255)
    text = data.draw(st.text(alphabet, max_size=2 * length).map(lambda text: text.rstrip(" ")))
    tag = text_tag(length, order)
    assert decode(tag, encode(tag, text)) == text


def test_string_refusals():
    assert refusal(text_tag(2), "ABCDE") == "'ABCDE' is 5 characters; tag 'serial' (40011) holds at most 4"
    assert refusal(text_tag(2), "T温度") == (
        "'温度' cannot be written to tag 'serial' (40011): it holds Latin-1 text, one byte per character")
    assert refusal(text_tag(2), "a\0b") == (
        "Text for tag 'serial' (40011) contains a NUL character, which would end the string on the device")
    assert refusal(text_tag(2), 12) == "Tag 'serial' (40011) takes text, not 12 (int)"


# --------------------------------------------------------------------------- bits


def test_bits_of_a_register():
    status = 0b1000_0000_0000_1001
    bits = [decode(ModbusTag(f"b{bit}", HR, 5, DataType.BIT, bit=bit), [status]) for bit in range(16)]
    assert bits == [True, False, False, True] + [False] * 11 + [True]
    assert decode(ModbusTag("sign", IR, 5, DataType.BIT, bit=15), [-1]) is True


def test_encode_bit_changes_only_its_bit():
    tag = ModbusTag("valve", HR, 5, DataType.BIT, bit=3, writable=True)
    assert encode_bit(tag, 0b1010_0000_0000_0001, True) == 0b1010_0000_0000_1001
    assert encode_bit(tag, 0xFFFF, False) == 0xFFF7
    assert encode_bit(tag, 0x0008, True) == 0x0008
    assert encode_bit(tag, 0, 1) == 0x0008


def test_bit_write_refusals():
    tag = ModbusTag("valve", HR, 5, DataType.BIT, bit=3, writable=True)
    assert refusal(tag, True) == ("Tag 'valve' (40006.3) is one bit of a register: write it with "
                                  "encode_bit(tag, current_register, value) so the other 15 bits keep their values")
    with pytest.raises(WriteRefused, match=r"^Tag 'valve' \(40006\.3\) takes True or False, not 2 \(int\)$"):
        encode_bit(tag, 0, 2)
    with pytest.raises(WriteRefused, match=r"is int16, not one bit of a register: write it with encode"):
        encode_bit(holding(DataType.INT16), 0, True)
    with pytest.raises(WriteRefused, match=r"is read-only"):
        encode_bit(ModbusTag("valve", HR, 5, DataType.BIT, bit=3), 0, True)


def test_coils_and_discrete_inputs_are_single_bools():
    coil = ModbusTag("run", COIL, 0, writable=True)
    assert coil.data_type is DataType.BOOL  # the default uint16 means bool in a bit area
    assert decode(coil, [True]) is True and decode(coil, [0]) is False
    assert decode(ModbusTag("alarm", DI, 3, DataType.BOOL), [1]) is True
    assert encode(coil, True) == [True] and encode(coil, 0) == [False] and encode(coil, np.bool_(True)) == [True]
    assert refusal(coil, 2) == "Tag 'run' (00001) takes True or False, not 2 (int)"
    assert refusal(coil, "on") == "Tag 'run' (00001) takes True or False, not 'on' (str)"


# --------------------------------------------------------------------------- write refusals


def test_values_outside_the_data_type_are_refused():
    assert refusal(holding(DataType.INT16), 70000) == (
        "70000 does not fit int16 (−32768…32767) for tag 'speed_sp' (40011)")
    assert refusal(holding(DataType.UINT16), -1) == "−1 does not fit uint16 (0…65535) for tag 'speed_sp' (40011)"
    assert refusal(holding(DataType.UINT32), 2**32) == (
        "4294967296 does not fit uint32 (0…4294967295) for tag 'speed_sp' (40011)")
    assert refusal(holding(DataType.INT64), 2**63) == (
        "9223372036854775808 does not fit int64 (−9223372036854775808…9223372036854775807) for tag 'speed_sp' (40011)")
    assert refusal(holding(DataType.FLOAT32), 1e39) == (
        "1e+39 does not fit float32 (−3.402823466e+38…3.402823466e+38) for tag 'speed_sp' (40011)")
    assert refusal(holding(DataType.FLOAT64), 10**400).startswith("1000000000")


def test_range_of_a_scaled_tag_is_given_in_engineering_units():
    assert refusal(holding(DataType.INT16, scale=0.1), 5000) == (
        "5000 does not fit int16 at scale 0.1 (−3276.8…3276.7) for tag 'speed_sp' (40011)")
    assert refusal(holding(DataType.UINT16, scale=0.1, offset=-40), -50) == (
        "−50 does not fit uint16 at scale 0.1, offset −40 (−40…6513.5) for tag 'speed_sp' (40011)")
    assert encode(holding(DataType.INT16, scale=0.1), 3276.7) == [32767]


def test_write_limits_are_enforced_in_engineering_units():
    tag = holding(DataType.FLOAT32, unit="rpm", write_min=0, write_max=1500.5)
    assert refusal(tag, 1600) == "1600 rpm is above the write maximum 1500.5 rpm of tag 'speed_sp' (40011)"
    assert refusal(tag, -0.5) == "−0.5 rpm is below the write minimum 0 rpm of tag 'speed_sp' (40011)"
    assert decode(tag, encode(tag, 1500.5)) == 1500.5
    assert refusal(holding(DataType.INT16, write_max=10), 11) == (
        "11 is above the write maximum 10 of tag 'speed_sp' (40011)")


def test_read_only_tags_are_refused():
    assert refusal(holding(writable=False), 1) == "Tag 'speed_sp' (40011) is read-only (not marked writable)"
    assert refusal(ModbusTag("temp", IR, 119), 1) == (
        "Tag 'temp' (30120) is in the input registers, which Modbus cannot write")
    assert refusal(ModbusTag("alarm", DI, 0), True) == (
        "Tag 'alarm' (10001) is in the discrete inputs, which Modbus cannot write")


def test_nan_infinity_and_wrong_types_are_refused():
    tag = holding(DataType.FLOAT32)
    assert refusal(tag, math.nan) == "NaN cannot be written to tag 'speed_sp' (40011)"
    assert refusal(tag, -math.inf) == "−inf cannot be written to tag 'speed_sp' (40011)"
    assert refusal(tag, np.float64("nan")) == "NaN cannot be written to tag 'speed_sp' (40011)"
    assert refusal(tag, "12") == "Tag 'speed_sp' (40011) takes a number, not '12' (str)"
    assert refusal(tag, True) == "Tag 'speed_sp' (40011) takes a number, not True (bool)"
    assert refusal(tag, None) == "Tag 'speed_sp' (40011) takes a number, not None (NoneType)"
    assert refusal(holding(DataType.INT16), 12.5) == (
        "12.5 is not a whole number; tag 'speed_sp' (40011) holds int16 values")


def test_refusals_are_device_errors():
    with pytest.raises(DeviceError):
        encode(holding(DataType.INT16), 70000)


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(("area", "address", "shown"), [
    (HR, 0, "40001"), (HR, 10, "40011"), (HR, 9998, "49999"), (HR, 9999, "410000"), (HR, 65535, "465536"),
    (IR, 0, "30001"), (IR, 119, "30120"), (IR, 9999, "310000"),
    (COIL, 0, "00001"), (COIL, 9998, "09999"), (COIL, 9999, "010000"),
    (DI, 0, "10001"), (DI, 65535, "165536"),
])
def test_display_addresses_are_one_based(area, address, shown):
    tag = ModbusTag("x", area, address)
    assert tag.display_address == shown
    assert parse_display_address(shown) == (area, address)


def test_area_properties():
    assert [area.prefix for area in Area] == [0, 1, 3, 4]
    assert [area.is_bit for area in Area] == [True, True, False, False]
    assert [area.writable_area for area in Area] == [True, False, False, True]
    assert [area.read_function_code for area in Area] == [1, 2, 4, 3]


def test_bit_tags_show_their_bit():
    assert ModbusTag("b", HR, 0, DataType.BIT, bit=12).reference == "40001.12"


@pytest.mark.parametrize("text", ["4001", "4000001", "20001", "40000", "465537", "4x001", ""])
def test_malformed_display_addresses(text):
    with pytest.raises(DeviceError, match=r"Modbus address|outside"):
        parse_display_address(text)


def test_display_address_parsing_messages():
    with pytest.raises(DeviceError) as caught:
        parse_display_address("40000")
    assert str(caught.value) == "'40000' is outside 40001…465536 (display addresses are 1-based)"
    with pytest.raises(DeviceError) as caught:
        parse_display_address("20001")
    assert str(caught.value) == "'20001' is not a Modbus address like 40001, 30120, 00001, 10001 or 400001"


# --------------------------------------------------------------------------- tag checks


def check_message(tag: ModbusTag) -> str:
    with pytest.raises(DeviceError) as caught:
        tag.check()
    return str(caught.value)


@pytest.mark.parametrize(("tag", "message"), [
    (ModbusTag("x", HR, -1), "Tag 'x' (address -1): address -1 is outside 0…65535 (addresses are 0-based)"),
    (ModbusTag("x", HR, 65536), "Tag 'x' (address 65536): address 65536 is outside 0…65535 (addresses are 0-based)"),
    (ModbusTag("x", HR, 65535, DataType.FLOAT32),
     "Tag 'x' (465536): 2 registers from address 65535 run past the last address 65535"),
    (ModbusTag("x", COIL, 0, DataType.INT16), "Tag 'x' (00001): a coil holds one bit, so its data type must be bool, "
                                               "not int16"),
    (ModbusTag("x", DI, 0, DataType.BIT), "Tag 'x' (10001): a discrete input holds one bit, so its data type must be "
                                           "bool, not bit"),
    (ModbusTag("x", HR, 0, DataType.BOOL), "Tag 'x' (40001): bool is for coils and discrete inputs; one bit of a "
                                            "register is data type bit"),
    (ModbusTag("x", IR, 0, DataType.BIT, bit=16), "Tag 'x' (30001.16): bit 16 is outside 0…15"),
    (ModbusTag("x", IR, 0, DataType.UINT16, bit=3), "Tag 'x' (30001): bit 3 is given but only data type bit uses it"),
    (ModbusTag("x", HR, 0, DataType.STRING, length=0),
     "Tag 'x' (40001): a string needs a length of 1…125 registers (2 characters each), not 0"),
    (ModbusTag("x", HR, 0, DataType.STRING, length=126),
     "Tag 'x' (40001): a string needs a length of 1…125 registers (2 characters each), not 126"),
    (ModbusTag("x", HR, 0, DataType.INT32, length=2),
     "Tag 'x' (40001): length 2 is given but only strings use it (int32 sets its own size)"),
    (ModbusTag("x", IR, 0, writable=True), "Tag 'x' (30001): it is marked writable but Modbus cannot write "
                                            "input registers"),
    (ModbusTag("x", DI, 0, writable=True), "Tag 'x' (10001): it is marked writable but Modbus cannot write "
                                            "discrete inputs"),
    (ModbusTag("x", HR, 0, write_min=10, write_max=5), "Tag 'x' (40001): write_min 10 is above write_max 5"),
    (ModbusTag("x", HR, 0, write_min=math.nan), "Tag 'x' (40001): a write limit is NaN"),
    (ModbusTag("x", HR, 0, DataType.STRING, write_max=5),
     "Tag 'x' (40001): write limits apply only to numbers, not to string"),
    (ModbusTag("x", COIL, 0, scale=2.0), "Tag 'x' (00001): scale and offset apply only to numbers, not to bool"),
    (ModbusTag("x", HR, 0, scale=0.0), "Tag 'x' (40001): scale 0.0 must be a finite number other than 0"),
    (ModbusTag("x", HR, 0, offset=math.inf), "Tag 'x' (40001): offset inf must be a finite number"),
    (ModbusTag("", HR, 0), "Tag '' (40001): a tag needs a name"),
])
def test_check_names_the_problem(tag, message):
    assert check_message(tag) == message


def test_check_lists_every_problem_at_once():
    tag = ModbusTag("x", IR, 0, DataType.BOOL, bit=2, writable=True)
    assert check_message(tag) == (
        "Tag 'x' (30001): bool is for coils and discrete inputs; one bit of a register is data type bit; "
        "bit 2 is given but only data type bit uses it; it is marked writable but Modbus cannot write input registers")


@pytest.mark.parametrize("tag", [
    ModbusTag("a", HR, 0), ModbusTag("b", HR, 65534, DataType.INT32, ByteOrder.DCBA, writable=True),
    ModbusTag("c", IR, 7, DataType.BIT, bit=15), ModbusTag("d", COIL, 65535, writable=True),
    ModbusTag("e", DI, 0, DataType.BOOL), ModbusTag("f", HR, 0, DataType.STRING, length=125),
    ModbusTag("g", HR, 0, DataType.FLOAT64, scale=-2.0, offset=1.0, write_min=-1.0, write_max=-1.0, writable=True),
])
def test_consistent_tags_pass(tag):
    tag.check()


def test_tags_accept_enum_values_as_text():
    tag = ModbusTag("t", "holding_register", 3, "float32", "CDAB")
    assert (tag.area, tag.data_type, tag.byte_order) == (HR, DataType.FLOAT32, ByteOrder.CDAB)
    assert tag == ModbusTag("t", HR, 3, DataType.FLOAT32, ByteOrder.CDAB) and hash(tag) == hash(tag)
    with pytest.raises(DeviceError) as caught:
        ModbusTag("t", "holding", 3)
    assert str(caught.value) == ("'holding' is not a Modbus area "
                                 "(use one of: coil, discrete_input, input_register, holding_register)")
    with pytest.raises(DeviceError, match="'float' is not a Modbus data type"):
        ModbusTag("t", HR, 3, "float")


@pytest.mark.parametrize(("data_type", "count"), [
    (DataType.INT16, 1), (DataType.UINT16, 1), (DataType.INT32, 2), (DataType.UINT32, 2), (DataType.FLOAT32, 2),
    (DataType.INT64, 4), (DataType.UINT64, 4), (DataType.FLOAT64, 4), (DataType.BIT, 1),
])
def test_register_counts(data_type, count):
    assert ModbusTag("x", HR, 0, data_type).register_count == count


def test_string_and_bit_area_register_counts():
    assert ModbusTag("s", HR, 0, DataType.STRING, length=7).register_count == 7
    assert ModbusTag("c", COIL, 0).register_count == 1


# --------------------------------------------------------------------------- register maps


def make_map() -> RegisterMap:
    return RegisterMap([
        ModbusTag("status", HR, 0), ModbusTag("running", HR, 0, DataType.BIT, bit=0),
        ModbusTag("fault", HR, 0, DataType.BIT, bit=1), ModbusTag("fault_again", HR, 0, DataType.BIT, bit=1),
        ModbusTag("flow", HR, 10, DataType.FLOAT32), ModbusTag("flow_low_word", HR, 11),
        ModbusTag("next", HR, 12), ModbusTag("flow_input", IR, 10, DataType.FLOAT32), ModbusTag("run", COIL, 10),
    ])


def test_register_map_lookup_and_order():
    tags = make_map()
    assert len(tags) == 9 and list(tags.tags)[:3] == ["status", "running", "fault"]
    assert [tag.name for tag in tags][-1] == "run"
    assert tags["flow"].data_type is DataType.FLOAT32 and "flow" in tags and "nope" not in tags


def test_register_map_missing_tag_message():
    with pytest.raises(DeviceError) as caught:
        RegisterMap([ModbusTag("a", HR, 0), ModbusTag("b", HR, 1)])["x"]
    assert str(caught.value) == "No tag 'x' in the register map (tags: a, b)"
    many = RegisterMap(ModbusTag(f"t{index}", HR, index) for index in range(12))
    with pytest.raises(DeviceError, match=r"\(tags: t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, …\)$"):
        many["x"]


def test_register_map_checks_tags_and_names():
    with pytest.raises(DeviceError, match=r"Tag name 'a' is used twice in the register map \(40001 and 40002\)"):
        RegisterMap([ModbusTag("a", HR, 0), ModbusTag("a", HR, 1)])
    with pytest.raises(DeviceError, match="marked writable"):
        RegisterMap([ModbusTag("a", IR, 0, writable=True)])


def test_overlaps_are_reported_in_address_order():
    assert make_map().overlaps() == [
        ("status", "running"), ("status", "fault"), ("status", "fault_again"),
        ("fault", "fault_again"), ("flow", "flow_low_word"),
    ]
    assert RegisterMap([ModbusTag("a", HR, 0), ModbusTag("b", IR, 0), ModbusTag("c", COIL, 0)]).overlaps() == []
