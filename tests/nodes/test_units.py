import pytest

from nodes.units import UnitError, conversion, parse


@pytest.mark.parametrize(("source", "target", "value", "expected"), [
    ("mm/s", "m/s", 1500.0, 1.5),
    ("m^3/h", "m^3/s", 3600.0, 1.0),
    ("degC", "K", 25.0, 298.15),
    ("degF", "degC", 212.0, 100.0),
    ("bar", "kPa", 1.5, 150.0),
    ("rpm", "Hz", 1500.0, 25.0),
    ("%", "", 50.0, 0.5),
    ("kW", "W", 1.2, 1200.0),
])
def test_conversions(source, target, value, expected):
    assert conversion(source, target)(value) == pytest.approx(expected)


def test_incompatible_dimensions_are_refused_with_a_reason():
    with pytest.raises(UnitError) as info:
        conversion("degC", "bar")
    assert str(info.value) == "'degC' cannot be converted to 'bar' (a temperature is not a pressure)"
    with pytest.raises(UnitError, match="a dimensionless value cannot be converted to 'm/s'"):
        conversion("", "m/s")


def test_unknown_units_are_named():
    with pytest.raises(UnitError, match="'furlongs_per_fortnightz' is not a unit Millwright knows"):
        parse("furlongs_per_fortnightz")
