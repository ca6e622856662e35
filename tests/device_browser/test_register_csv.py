"""Register maps to CSV and back: round trips, both address forms, and messages that name line and column."""

from __future__ import annotations

import pytest

from device_browser.modbus.register_csv import (
    RegisterCsvError,
    parse_register_csv,
    read_register_csv,
    register_csv_text,
    write_register_csv,
)
from device_browser.modbus.registers import Area, ByteOrder, DataType
from device_browser.simulators.modbus import simulator_map

HEADER = "name,area,address,data_type,byte_order,scale,offset,unit,writable,min,max,description\n"


def test_the_simulator_map_round_trips_through_a_file(tmp_path):
    registers = simulator_map(extra_tags=60)  # strings, bits, scales, limits, every area, 6-digit addresses
    path = tmp_path / "registers.csv"
    write_register_csv(registers, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the °C and m³ right
    again = read_register_csv(path)
    assert list(again) == list(registers)
    assert register_csv_text(again) == register_csv_text(registers)


def test_addresses_in_either_form_and_names_from_the_manuals():
    registers = parse_register_csv(
        HEADER
        + "flow,,40001,real,CDAB,,,m³/h,no,,,Flow\n"
        + "setpoint,holding_register,13,uint16,,,,rpm,yes,0,1500,\n"
        + "running,hr,hr:12.0,,,,,,,,,\n"
        + "suction,input_register,30001,int,,0.01,,bar,,,,\n"
        + "\n"
        + "start,coil,0,,,,,,x,,,\n", "manual.csv")
    flow, setpoint, running, suction, start = registers
    assert (flow.area, flow.address, flow.data_type, flow.byte_order) == (
        Area.HOLDING_REGISTER, 0, DataType.FLOAT32, ByteOrder.CDAB)
    assert (setpoint.address, setpoint.writable, setpoint.write_min, setpoint.write_max) == (13, True, 0, 1500)
    assert (running.data_type, running.bit, running.address) == (DataType.BIT, 0, 12)
    assert (suction.area, suction.scale, suction.data_type) == (Area.INPUT_REGISTER, 0.01, DataType.INT16)
    assert (start.area, start.data_type, start.writable) == (Area.COIL, DataType.BOOL, True)


def test_semicolons_and_decimal_commas_from_a_european_spreadsheet():
    [tag] = parse_register_csv("name;address;scale\nlevel;40005;0,5\n")
    assert (tag.address, tag.scale) == (4, 0.5)


@pytest.mark.parametrize(("row", "message"), [
    ("flow,,40001,floot32,,,,,,,,", "registers.csv line 7, data_type: 'floot32' is not a data type: use one of"),
    ("flow,,40001,float32,ACBD,,,,,,,", "registers.csv line 7, byte_order: 'ACBD' is not a byte order"),
    ("flow,input_register,40001,,,,,,,,,", "registers.csv line 7, address: 40001 is a holding register address "
                                           "but the area column says input register"),
    ("flow,,40001,,,,,,maybe,,,", "registers.csv line 7, writable: 'maybe' is neither yes nor no"),
    ("flow,,40001,,,ten,,,,,,", "registers.csv line 7, scale: 'ten' is not a number"),
    ("flow,,49a,,,,,,,,,", "registers.csv line 7, address: '49a' is not a Modbus address"),
    ("flow,,40001,float32,,,,,yes,10,5,", "registers.csv line 7: Tag 'flow' (40001): write_min 10 is above"),
    ("speed,,40002,,,,,,,,,", "registers.csv line 7, name: 'speed' is used on line 2 already"),
])
def test_a_bad_line_is_named_with_its_column(row, message):
    text = HEADER + "speed,,40001,,,,,,,,,\n" + "".join(f"t{i},,{40003 + i},,,,,,,,,\n" for i in range(4)) + row + "\n"
    with pytest.raises(RegisterCsvError) as error:
        parse_register_csv(text)
    assert str(error.value).startswith(message), str(error.value)


def test_a_file_that_is_not_a_register_list_says_so(tmp_path):
    with pytest.raises(RegisterCsvError, match=r"registers\.csv line 1: no 'address' column"):
        parse_register_csv("name,value\nflow,3\n")
    with pytest.raises(RegisterCsvError, match="line 1: unknown column 'colour'"):
        parse_register_csv("name,address,colour\n")
    latin = tmp_path / "old.csv"
    latin.write_bytes(HEADER.encode() + "t,,40001,,,,,\xb0C,,,,\n".encode("latin-1"))
    with pytest.raises(RegisterCsvError, match=r"old\.csv: not UTF-8 text"):
        read_register_csv(latin)
