"""Physical units (pint): parsing, compatibility and conversion between port units.

Unit strings follow pint's syntax with the symbols engineers write: ``mm/s``, ``m^3/h``,
``degC``, ``bar``, ``kW``, ``rpm``, ``%``. An empty string means dimensionless.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

import pint

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    registry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, on_redefinition="warn")
    # Engineers convert shaft speed to shaft frequency (60 rpm = 1 Hz); pint's default rpm is
    # 2π rad/min, which would make 60 rpm = 6.28 Hz. Angular velocity in rad/s needs a scale node.
    registry.define("revolutions_per_minute = 1 / minute = rpm")


class UnitError(ValueError):
    """A unit string that cannot be parsed, or two units that cannot be converted."""


MAX_UNIT_LENGTH = 100
MAX_UNIT_EXPONENT = 100.0
_POWER = re.compile(r"\*\*|\^")
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")
# What may follow a power: a number or a fraction, in parentheses or not (m**2, s^-1, m**(1/2)).
_EXPONENT = re.compile(r"\s*(\()?\s*[-+]?\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?:\s*/\s*(\d+(?:\.\d*)?))?\s*(?(1)\))")


@lru_cache(maxsize=1024)
def parse(unit: str) -> pint.Unit:
    """The pint unit of a unit string; :class:`UnitError` when there is none."""
    text = (unit or "").strip()
    if not text:
        return registry.dimensionless
    _check_size(unit, text)
    try:
        return registry.Unit(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, TypeError,
            AttributeError, AssertionError) as exc:
        raise UnitError(f"'{unit}' is not a unit Millwright knows ({exc})") from None


def _check_size(unit: str, text: str) -> None:
    """Refuse what would make pint compute for ever: it evaluates ``9**9**9 m`` with Python integers.

    Numbers in a unit may be exponents (at most 100, not a power of a power) and the 1 of ``1/s``;
    any other number is a scaling factor, which a unit cannot have anyway.
    """
    def refuse(why: str) -> UnitError:
        return UnitError(f"'{unit}' is not a unit Millwright knows ({why})")
    if len(text) > MAX_UNIT_LENGTH:
        raise refuse(f"it is over {MAX_UNIT_LENGTH} characters")
    exponents: set[int] = set()
    for power in _POWER.finditer(text):
        exponent = _EXPONENT.match(text, power.end())
        if exponent is None or _POWER.match(text[exponent.end():].lstrip()):
            raise refuse("an exponent must be a number, as in m^2 or s**-1")
        if abs(float(exponent.group(2)) / float(exponent.group(3) or 1.0)) > MAX_UNIT_EXPONENT:
            raise refuse(f"an exponent may be at most {MAX_UNIT_EXPONENT:g}")
        exponents.update(range(exponent.start(), exponent.end()))
    for number in _NUMBER.finditer(text):
        if number.start() not in exponents and number.group() != "1":
            raise refuse(f"a number in a unit can only be an exponent, as in m^2, or the 1 of 1/s; "
                         f"'{number.group()}' is neither")


@dataclass(frozen=True)
class Conversion:
    """``to = from * scale + offset`` (offset only for temperatures on offset scales)."""

    scale: float = 1.0
    offset: float = 0.0

    @property
    def identity(self) -> bool:
        return self.scale == 1.0 and self.offset == 0.0

    def __call__(self, values):
        return values if self.identity else values * self.scale + self.offset


@lru_cache(maxsize=1024)
def conversion(source: str, target: str) -> Conversion:
    """How to convert values in ``source`` units to ``target`` units; :class:`UnitError` if impossible."""
    src, dst = parse(source), parse(target)
    if src == dst:
        return Conversion()
    if src.dimensionality != dst.dimensionality:
        raise UnitError(f"{describe(source)} cannot be converted to {describe(target)} "
                        f"({dimension_name(src)} is not {dimension_name(dst)})")
    zero = registry.Quantity(0.0, src).to(dst).magnitude
    one = registry.Quantity(1.0, src).to(dst).magnitude
    return Conversion(scale=float(one - zero), offset=float(zero))


def describe(unit: str) -> str:
    return f"'{unit}'" if unit else "a dimensionless value"


def dimension_name(unit: pint.Unit) -> str:
    """What a unit measures, in words where engineers have one ("a power"), else its dimension."""
    dims = unit.dimensionality
    if not dims:
        return "dimensionless"
    known = {"[length] / [time]": "a speed", "[temperature]": "a temperature",
             "[mass] / [length] / [time] ** 2": "a pressure", "[length] ** 3 / [time]": "a volume flow",
             "[mass] * [length] ** 2 / [time] ** 3": "a power", "[length] / [time] ** 2": "an acceleration",
             "1 / [time]": "a frequency", "[current]": "an electric current", "[time]": "a time",
             "[length]": "a length", "[mass] / [time]": "a mass flow", "[mass] / [length] ** 3": "a density",
             "[mass] * [length] ** 2 / [time] ** 2": "an energy", "[length] ** 3": "a volume", "[mass]": "a mass",
             "[length] ** 2": "an area", "[mass] * [length] / [time] ** 2": "a force"}
    return known.get(str(dims), f"dimension {dims}")
