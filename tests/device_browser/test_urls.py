"""Modbus devices named by a URL (the WoT binding's schemes), for commissioning without a profile."""

import pytest

from device_browser.session import DeviceError
from device_browser.urls import modbus_session_from_url


@pytest.mark.parametrize(("url", "endpoint", "unit", "framer"), [
    ("modbus+tcp://10.0.0.5:5020/3", "10.0.0.5:5020", 3, "socket"),
    ("modbus://10.0.0.5", "10.0.0.5:502", 1, "socket"),
    ("modbus+rtu-tcp://gw:4001/7?unit=2", "gw:4001", 2, "rtu"),  # the query wins over the path
    ("modbus+rtu:///dev/ttyS0?unit=4&baudrate=9600&parity=e", "/dev/ttyS0", 4, "rtu"),
])
def test_urls_name_endpoint_unit_and_framing(url, endpoint, unit, framer):
    session = modbus_session_from_url(url)
    assert (session.endpoint, session.unit, session.framer.value) == (endpoint, unit, framer)


def test_serial_settings_and_timeouts_come_from_the_query_or_the_command_line():
    session = modbus_session_from_url("modbus+rtu:///dev/ttyS0?baudrate=9600&parity=e&stopbits=2&timeout=2")
    assert session.serial_settings | {"timeout": session.timeout} == {
        "baudrate": 9600, "parity": "E", "stopbits": 2, "bytesize": 8, "timeout": 2.0}
    assert modbus_session_from_url("modbus+tcp://h/1?timeout=2", timeout=0.5).timeout == 0.5


@pytest.mark.parametrize(("url", "message"), [
    ("modbus+tcp://h/x", "are numbers"),
    ("modbus+tcp:///1", "name the host"),
    ("modbus+rtu://?baudrate=9600", "name the serial port"),
])
def test_bad_urls_say_what_is_missing(url, message):
    with pytest.raises(DeviceError, match=message):
        modbus_session_from_url(url)
