"""Devices named by a URL, for commissioning without a profile.

* ``opc.tcp://host:port/path`` — an OPC UA server;
* ``modbus+tcp://host[:port][/unit]`` (also ``modbus://``) — Modbus TCP, port 502 and unit 1 by default;
* ``modbus+rtu-tcp://host:port[/unit]`` — RTU frames over a TCP gateway or serial server;
* ``modbus+rtu:///dev/ttyUSB0?baudrate=19200&parity=E&stopbits=1&unit=3`` — serial RTU;
* ``mqtt://host[:port]`` and ``mqtts://host[:port]`` — an MQTT broker seen as a Sparkplug B host
  (port 1883, or 8883 with TLS, by default); its tags are ``group/edge_node/device/metric``.

The ``modbus+tcp`` and ``modbus+rtu`` schemes are those of the W3C WoT Modbus binding, which
our profiles export to. A Modbus device named this way has no register map: its tags are raw
addresses (``40001``, ``hr:0:float32:CDAB``).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from device_browser.session import DeviceError, DeviceSession

MODBUS_SCHEMES = ("modbus", "modbus+tcp", "modbus+rtu-tcp", "modbus+rtu")
SPARKPLUG_SCHEMES = ("mqtt", "mqtts")


def sparkplug_session_from_url(url: str, timeout: float | None = None, **options) -> DeviceSession:
    """A Sparkplug host session (not yet connected) on the broker at ``url``, with the credentials
    of the environment; ``options`` are further :class:`~device_browser.sparkplug.broker.BrokerSettings`."""
    from device_browser.sparkplug.broker import BrokerSettings
    from device_browser.sparkplug.session import SparkplugSession

    if timeout is not None:
        options["timeout_s"] = timeout
    return SparkplugSession(BrokerSettings.from_url(url, **options))


def modbus_session_from_url(url: str, timeout: float | None = None) -> DeviceSession:
    """A Modbus session (not yet connected) with an empty register map, for raw addresses."""
    from device_browser.modbus.client import ModbusSession
    from device_browser.modbus.registers import RegisterMap

    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        serial = parts.scheme == "modbus+rtu"  # its path is the serial port, not the unit
        unit = int(query.pop("unit", "") or ("" if serial else parts.path.strip("/")) or 1)
        options = {"unit": unit, "timeout": timeout if timeout is not None else float(query.pop("timeout", 1.0))}
        if serial:
            if not parts.path:
                raise DeviceError(f"{url}: name the serial port, e.g. modbus+rtu:///dev/ttyUSB0?baudrate=19200")
            return ModbusSession(RegisterMap([]), serial_port=parts.path, baudrate=int(query.pop("baudrate", 19200)),
                                 parity=query.pop("parity", "N").upper(), stopbits=int(query.pop("stopbits", 1)),
                                 **options)
        if not parts.hostname:
            raise DeviceError(f"{url}: name the host, e.g. modbus+tcp://192.168.0.10:502/1")
        framer = "rtu" if parts.scheme == "modbus+rtu-tcp" else "socket"
        return ModbusSession(RegisterMap([]), host=parts.hostname, port=parts.port or 502, framer=framer, **options)
    except ValueError as exc:
        raise DeviceError(f"{url}: {exc} (unit, port, baudrate and stopbits are numbers)") from None
