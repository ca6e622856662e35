"""Physical units (pint): parsing, compatibility and conversion between port units.

Unit strings follow pint's syntax with the symbols engineers write: ``mm/s``, ``m^3/h``,
``degC``, ``bar``, ``kW``, ``rpm``, ``%``. An empty string means dimensionless.
"""

from __future__ import annotations

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


@lru_cache(maxsize=1024)
def parse(unit: str) -> pint.Unit:
    text = (unit or "").strip()
    if not text:
        return registry.dimensionless
    try:
        return registry.Unit(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, TypeError,
            AttributeError, AssertionError) as exc:
        raise UnitError(f"'{unit}' is not a unit Millwright knows ({exc})") from None


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
