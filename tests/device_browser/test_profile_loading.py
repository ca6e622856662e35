"""How large profiles load fast: the YAML built from parser events, and points checked by a
predicate compiled from the schema. Both must answer exactly as the slow, sure ways do."""

import math

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from device_browser import profiles
from device_browser.yaml_source import YamlSource, load_yaml

# --- the predicate against jsonschema ------------------------------------------------------------

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70_000), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 1.0, 2, 15, 16, 65535, 65536, -1, 0.5, True, False]),
    st.sampled_from(["", "x", "flow", "9lives", "r", "rw", "w", "double", "uint16", "uint17", "bit",
                     "coil", "holding_register", "holding_registers", "ABCD", "ABDC", "DCBA",
                     "nsu=urn:x;s=A", "ns=0;i=85", "i=85", "ns=2;s=A", "m^3/h", "MQH"]),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.sampled_from(["en", "zh", "code", "symbol", "x"]), inner, max_size=3),
                       max_leaves=6)
_ADDRESS_KEYS = ["node_id", "area", "address", "order", "length", "bit", "scale", "offset", "register"]
_POINT_KEYS = ["name", "description", "data_type", "unit", "range", "access", "write_limits", "interval_ms",
               "address", "colour"]


@st.composite
def _points(draw):
    address = draw(st.dictionaries(st.sampled_from(_ADDRESS_KEYS), _SCALARS, max_size=4) | _VALUES)
    point = draw(st.dictionaries(st.sampled_from(_POINT_KEYS), _VALUES, max_size=6))
    if draw(st.booleans()):
        point["address"] = address
    for key in ("name", "data_type"):  # most points in a file are nearly right: reach deep branches too
        if draw(st.booleans()):
            point[key] = draw(st.sampled_from(["flow", "tag_1", "double", "int16", "uint17"]))
    if draw(st.booleans()):
        point["range"] = draw(st.lists(_SCALARS, max_size=3))
    return point if draw(st.integers(0, 20)) else draw(_VALUES)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_points())
def test_the_compiled_point_check_agrees_with_jsonschema(point):
    assert profiles._point_ok()(point) == profiles._point_validator().is_valid(point)


def test_the_point_schema_compiles():
    """A keyword the compiler does not know makes every point go through jsonschema: slow, so say it here."""
    assert profiles._point_ok() is not profiles._never
    good = {"name": "flow", "data_type": "float32", "unit": {"code": "MQH", "symbol": "m^3/h"}, "range": [0, 300],
            "address": {"area": "holding_register", "address": 0, "order": "CDAB"}}
    assert profiles._point_ok()(good)
    assert not profiles._point_ok()({**good, "address": {**good["address"], "node_id": "i=85"}})  # both kinds


@pytest.mark.parametrize(("schema", "values"), [
    ({"type": "integer"}, [1, 1.0, True, "1", None]),
    ({"type": ["string", "null"]}, ["a", None, 0]),
    ({"enum": [1, "a", None]}, [1, 1.0, True, "a", None, "b", [1]]),
    ({"const": False}, [False, 0, None]),
    ({"minimum": 0, "exclusiveMaximum": 10}, [0, 10, -1, math.nan, "x", True]),
    ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, [1, 1.5, "x"]),
    ({"type": "object", "required": ["a"], "additionalProperties": False,
      "properties": {"a": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2}}},
     [{"a": ["x"]}, {"a": []}, {"a": ["x", "y", "z"]}, {"a": [1]}, {"a": ["x"], "b": 1}, {}, []]),
])
def test_each_keyword_as_jsonschema_reads_it(schema, values):
    check = profiles._compile(schema, {})
    for value in values:
        assert check(value) == jsonschema.Draft202012Validator(schema).is_valid(value), value


@pytest.mark.parametrize("schema", [{"type": "string", "format": "date-time"}, {"enum": [[1, 2], "a"]}])
def test_what_the_compiler_does_not_know_is_not_guessed(schema):
    with pytest.raises(profiles._Unsupported):
        profiles._compile(schema, {})


# --- YAML built from events against yaml.safe_load -----------------------------------------------

@pytest.mark.parametrize("text", [
    "", "a: 1", "- 1\n- 2.5\n- true\n- null\n- ~\n- 2024-01-02\n- '3'\n- x\n- 0x1F\n- 1_000\n- .inf\n- -.5",
    "a:\n  b:\n    - {c: d}\n    - []\n    - {}\n", "a: 1\na: 2", "? [1]\n: 2\n", "1: one\ntrue: yes\n~: none",
    "a: &x [1]\nb: *x", "base: &b {x: 1}\nc:\n  <<: *b\n  y: 2", "a: !!str 3", "---\na: 1\n---\nb: 2", "just text",
    "a: [1, 2", "a: 'unterminated",
])
def test_yaml_data_as_safe_load_gives_it(text):
    try:
        expected = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            load_yaml(text)
    else:
        assert load_yaml(text) == expected


def test_positions_are_found_only_when_asked():
    doc = YamlSource("a:\n  b: [1, 2]\n", "f.yaml")
    assert doc._root is None and doc.data == {"a": {"b": [1, 2]}}
    assert doc.where(["a", "b", 1]) == "f.yaml (line 2, column 10)"
    assert doc.position(["a", "missing"]) == (2, 3)  # the nearest parent
