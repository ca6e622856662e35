"""Modbus trouble in plain words: exception codes, socket errors, serial ports, and pymodbus' own logs.

Split out of :mod:`device_browser.modbus.client` so the session module keeps to the protocol
flow; everything a plant engineer reads about a Modbus fault is worded here.
"""

from __future__ import annotations

import errno
import logging

from device_browser.modbus.registers import Area, format_display_address
from device_browser.session import DeviceError

ILLEGAL_ADDRESS = 2
# Codes that say "not now" rather than "never": a device failure, a slow command, a busy device.
TRANSIENT_CODES = frozenset({4, 5, 6})

_FUNCTION_NAMES = {1: "read coils", 2: "read discrete inputs", 3: "read holding registers",
                   4: "read input registers", 5: "write single coil", 6: "write single register",
                   15: "write multiple coils", 16: "write multiple registers", 23: "read/write registers"}
_SOCKET_ERRORS = {errno.ECONNREFUSED: "connection refused", errno.EHOSTUNREACH: "host unreachable",
                  errno.ENETUNREACH: "network unreachable", errno.ETIMEDOUT: "no answer",
                  errno.ECONNRESET: "connection reset by the device", errno.EADDRNOTAVAIL: "address not available",
                  errno.ENOENT: "no such serial port", errno.EACCES: "permission denied",
                  errno.EBUSY: "the port is in use by another program"}


class ModbusDeviceError(DeviceError):
    """The device answered, but not with the data: a Modbus exception (``code``) or a malformed reply (None)."""

    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


def exception_message(code: int, where: str, *, function_code: int, unit: int, write: bool = False) -> str:
    """Plain words for Modbus exception ``code`` answered to a request on ``where`` (a display address)."""
    verb = "writing" if write else "reading"
    texts = {
        1: f"Illegal function: the device does not support function code {function_code} "
           f"({_FUNCTION_NAMES.get(function_code, 'unknown')})",
        2: f"Illegal data address: {where} is not in the device's map"
           + (" or is not writable" if write else ""),
        3: f"Illegal data value: the device refused the {'value' if write else 'request'} for {where}",
        4: f"Server device failure: the device failed while {verb} {where}",
        5: f"Acknowledge: the device accepted the request for {where} but needs more time; try again later",
        6: f"Server device busy: the device is busy with a long command; try {verb} {where} again later",
        8: "Memory parity error: the device found a parity error in its extended memory",
        10: f"Gateway path unavailable: the gateway has no path to unit {unit}",
        11: f"Gateway target failed to respond: unit {unit} did not answer the gateway",
    }
    return texts.get(code, f"Modbus exception {code} while {verb} {where}")


_EXCEPTION_NAMES = {1: "Illegal function", 2: "Illegal data address", 3: "Illegal data value",
                    4: "Server device failure", 5: "Acknowledge", 6: "Server device busy",
                    8: "Memory parity error", 10: "Gateway path unavailable",
                    11: "Gateway target failed to respond"}


def exception_name(code: int) -> str:
    """The standard's short name of Modbus exception ``code``: ``Illegal data address`` for 2."""
    return _EXCEPTION_NAMES.get(code, f"Modbus exception {code}")


def function_name(function_code: int) -> str:
    """What a function code does: ``read holding registers`` for 3."""
    return _FUNCTION_NAMES.get(function_code, "unknown function")


def not_modbus_message(endpoint: str, framing: str, serial: bool = False) -> str:
    """What to say when bytes came back that are no Modbus frame (an HTTP server, a console, a wrong baud rate)."""
    hint = "wrong baud rate, parity or protocol?" if serial else "wrong port or protocol?"
    return f"The device at {endpoint} answered, but not in Modbus {framing} ({hint})"


def span_text(area: Area, start: int, count: int) -> str:
    """Display address of a request: ``40001`` or ``40001–40036``."""
    first = format_display_address(area, start)
    return first if count == 1 else f"{first}–{format_display_address(area, start + count - 1)}"


def seconds_text(value: float) -> str:
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


def os_error_text(exc: OSError) -> str:
    return _SOCKET_ERRORS.get(exc.errno or 0, (exc.strerror or str(exc)).lower())


def serial_open_error(port: str) -> str:
    """Why a serial port does not open, found by opening it once more (pymodbus only logs it)."""
    try:
        import serial  # the pymodbus[serial] extra
    except ImportError:
        return "pyserial is not installed (install pymodbus[serial])"
    try:
        serial.serial_for_url(port, exclusive=True).close()
    except serial.SerialException as exc:
        return os_error_text(exc)
    except ValueError as exc:
        return str(exc)
    return "the port could not be opened"


def quiet_pymodbus_logs() -> None:
    """Keep pymodbus' own log lines (hex dumps, "Failed to connect", framing errors) off the console.

    Every one of them is either repeated in our own messages or noise to a plant engineer; with
    no handler configured, Python's last-resort handler would print them to stderr. When the
    root logger is at DEBUG (``--verbose``), they go through like any other log record.
    """
    logger = logging.getLogger("pymodbus")
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
    else:
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
