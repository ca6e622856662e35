"""Units as devices display them, as Millwright computes with them (pint), and as profiles code them.

Profiles carry both the UNECE Recommendation 20 common code (what OPC UA's EUInformation and
the AAS use) and the pint symbol; devices show their own spelling (m³/h, °C, r/min).
"""

from __future__ import annotations

# UNECE Recommendation 20 common codes of the units our profiles use (symbol as pint reads it).
UNECE_CODES = {"m^3/h": "MQH", "bar": "BAR", "A": "AMP", "mA": "4K", "mm/s": "C16", "rpm": "RPM", "degC": "CEL",
               "h": "HUR", "kWh": "KWH", "kW": "KWT", "W": "WTT", "V": "VLT", "Hz": "HTZ", "%": "P1", "m^3": "MTQ"}
# The NamespaceUri of an OPC UA EUInformation whose UnitId is a UNECE code (OPC UA Part 8, 5.6.3).
UNECE_NAMESPACE = "http://www.opcfoundation.org/UA/units/un/cefact"
_PINT_SYMBOLS = {"m³/h": "m^3/h", "°C": "degC", "r/min": "rpm", "℃": "degC", "m³": "m^3"}


def pint_symbol(display: str) -> str:
    """The unit as Millwright computes with it, from the symbol a device displays (m³/h → m^3/h)."""
    return _PINT_SYMBOLS.get(display, display)


_DISPLAY_SYMBOLS = {"m^3/h": "m³/h", "degC": "°C", "m^3": "m³", "degF": "°F", "m^2": "m²"}


def display_symbol(symbol: str) -> str:
    """The unit as an engineer reads it, from the symbol Millwright computes with (m^3/h → m³/h)."""
    return _DISPLAY_SYMBOLS.get(symbol, symbol)


def unece_code(symbol: str) -> str:
    """The UNECE common code of a pint symbol, or "" where we know none."""
    return UNECE_CODES.get(symbol, "")


def unece_unit_id(code: str) -> int:
    """The OPC UA ``UnitId`` of a UNECE common code: its ASCII bytes as one integer (Part 8); -1 for none."""
    if not code:
        return -1
    value = 0
    for char in code:
        value = (value << 8) | ord(char)
    return value
