"""Units in column headers: ``flow [m3/h]``, ``flow (m³/h)``, ``temperature [℃]``.

Exports from historians, spreadsheets and SCADA put the unit in the column header in the
engineer's spelling. We read it into the pint symbol Millwright computes with
(:mod:`nodes.units`, :mod:`device_browser.units`) and write it back in the spelling an
engineer reads (``flow [m³/h]``), so that a file round-trips with its units.

Square brackets always mean a unit: an unknown unit there is reported. Parentheses are also
used in tag names ("Pump (north)"), so text in parentheses is a unit only if pint knows it.
A time column's header may carry its time zone the same way: ``time [UTC]``,
``Zeit (Europe/Berlin)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from device_browser.units import display_symbol, pint_symbol
from nodes.units import UnitError, parse

_HEADER = re.compile(r"^\s*(?P<name>.*?)\s*(?P<open>[\[(])\s*(?P<unit>[^\[\]()]*(?:\([^()]*\)[^\[\]()]*)*)\s*"
                     r"(?P<close>[\])])\s*$")
# Superscript and spreadsheet spellings of powers: m3/h, m³/h, m2 → m^3/h, m^2 (a letter then 2 or 3).
_BARE_POWER = re.compile(r"(?<=[A-Za-z])([23])(?![0-9])")
_SUPERSCRIPTS = str.maketrans({"²": "^2", "³": "^3", "·": "*", "×": "*"})
_SPELLINGS = {"℃": "degC", "°c": "degC", "℉": "degF", "°f": "degF", "r/min": "rpm", "1/min": "rpm",
              "U/min": "rpm", "%RH": "%", "pct": "%", "m3/hr": "m^3/h", "hr": "h"}


@dataclass(frozen=True)
class Header:
    """A column header split into the tag ``name`` and its pint ``unit`` ("" when none).

    ``problem`` says why a unit in square brackets was not understood (the unit is then "").
    """

    text: str
    name: str
    unit: str = ""
    problem: str | None = None


@lru_cache(maxsize=4096)
def split_header(text: str) -> Header:
    """``"flow [m3/h]"`` → ``Header(name="flow", unit="m^3/h")``; a header without a unit keeps its name.

    Examples
    --------
    >>> split_header("flow [m3/h]").unit
    'm^3/h'
    >>> split_header("Pump (north)").name
    'Pump (north)'
    """
    match = _HEADER.match(text)
    if match is None or not match.group("name") or (match.group("open") == "[") != (match.group("close") == "]"):
        return Header(text, text.strip())
    name, written = match.group("name"), match.group("unit").strip()
    try:
        return Header(text, name, unit_symbol(written))
    except UnitError as exc:
        if is_time_zone(written):
            return Header(text, name)  # a time column's zone: see time_zone_of
        if match.group("open") == "(":
            return Header(text, text.strip())  # "Pump (north)": part of the name
        return Header(text, name, "", f"the unit in its header is not understood ({exc}); "
                                      "the column is read without a unit")


def unit_symbol(written: str) -> str:
    """The pint symbol of a unit as engineers write it (``m3/h``, ``m³/h``, ``℃``); :class:`UnitError` if unknown."""
    text = written.strip()
    if not text:
        return ""
    text = _SPELLINGS.get(text, _SPELLINGS.get(text.lower(), text))
    text = pint_symbol(text)
    candidate = _BARE_POWER.sub(r"^\1", text.translate(_SUPERSCRIPTS))
    try:
        parse(text)
        return text
    except UnitError:
        parse(candidate)  # raises with pint's own reason
        return candidate


def header_text(name: str, unit: str, brackets: str = "[]") -> str:
    """The header of a column with a unit, as engineers read it: ``flow [m³/h]`` (``flow`` without a unit)."""
    if not unit:
        return name
    return f"{name} {brackets[0]}{display_symbol(unit)}{brackets[1]}"


def time_zone_of(header: str) -> str | None:
    """The time zone written in a time column's header (``time [UTC]``, ``Zeit (Asia/Shanghai)``), or None."""
    match = _HEADER.match(header)
    if match is None:
        return None
    zone = match.group("unit").strip()
    return zone if zone and is_time_zone(zone) else None


@lru_cache(maxsize=256)
def is_time_zone(zone: str) -> bool:
    """True for an IANA zone name (``Asia/Shanghai``), ``UTC`` or a fixed offset pandas accepts (``+08:00``)."""
    import pandas as pd

    try:
        pd.Timestamp(0).tz_localize(zone)
    except Exception:  # noqa: BLE001 - pytz and zoneinfo raise different types for an unknown zone
        return False
    return True
