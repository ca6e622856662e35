"""Device profiles: a structured description of a device in YAML (or JSON).

A profile holds the nameplate (manufacturer, model, serial, firmware — named as in the AAS
Digital Nameplate and OPC UA DI), the connection (protocol, endpoint or host/port/serial,
security) and the data points (name, en/zh description, data type, unit as UNECE code plus
symbol, EU range, access, address, interval). OPC UA addresses are NodeIds written with the
namespace URI (``nsu=…``) so they survive a server renumbering its namespaces. The mapping to
W3C WoT Thing Descriptions is in docs/device_profiles.md and :func:`to_thing_description`.

Every problem in a file is reported with its line and column.
"""

from __future__ import annotations

import copy
import difflib
import json
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from device_browser.session import DeviceError
from device_browser.yaml_source import YamlSource, dump_yaml, read_source
from nodes.resources import resources_dir

SCHEMA_VERSION = 1
MODBUS_TYPES = {"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64", "string", "bit"}


class ProfileError(DeviceError):
    """A profile that cannot be used; the message names the file, line and column."""


@dataclass(frozen=True)
class Point:
    name: str
    data_type: str
    address: dict[str, Any]
    description: dict[str, str] = field(default_factory=dict)
    unit_code: str = ""
    unit: str = ""  # the symbol Millwright computes with (pint)
    range: tuple[float, float] | None = None
    access: str = "r"
    write_limits: tuple[float, float] | None = None
    interval_ms: float | None = None

    @property
    def writable(self) -> bool:
        return "w" in self.access


@dataclass
class DeviceProfile:
    id: str
    nameplate: dict[str, str]
    connection: dict[str, Any]
    points: list[Point]
    title: str = ""
    description: dict[str, str] = field(default_factory=dict)
    source: Path | None = None
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def protocol(self) -> str:
        return self.connection["protocol"]

    def point(self, name: str) -> Point:
        """The point named ``name``; :class:`ProfileError` listing some names if there is none."""
        # By an index of positions, checked on use: ``points`` is a plain list that a caller may
        # change, and a search through it made reading 10,000 points by name quadratic.
        at = self._index.get(name)
        if at is None or at >= len(self.points) or self.points[at].name != name:
            self._index = {}
            for i, p in enumerate(self.points):
                self._index.setdefault(p.name, i)  # the first of a name, as a search would find
            at = self._index.get(name)
        if at is not None:
            return self.points[at]
        names = ", ".join(p.name for p in self.points[:12])
        raise ProfileError(f"No data point '{name}' in profile '{self.id}' (points: {names}"
                           f"{', …' if len(self.points) > 12 else ''})")

    def to_data(self) -> dict[str, Any]:
        return {**self._header(), "points": [_point_data(p) for p in self.points]}

    def _header(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "id": self.id}
        if self.title:
            data["title"] = self.title
        if self.description:
            data["description"] = self.description
        data.update(nameplate=self.nameplate, connection=self.connection)
        return data

    def dumps(self) -> str:
        """YAML with a stable key order (as written here, not alphabetical: name first reads best)."""
        # Points are written a slice at a time: the emitter's node tree of 10,000 points at once
        # took some 40 MB. PyYAML writes a list under "points:" unindented, so a list written on
        # its own gives the same lines.
        parts = [dump_yaml(self._header()), "points:\n" if self.points else "points: []\n"]
        for start in range(0, len(self.points), _POINTS_PER_DUMP):
            parts.append(dump_yaml([_point_data(p) for p in self.points[start:start + _POINTS_PER_DUMP]]))
        return "".join(parts)


_POINTS_PER_DUMP = 500


def _point_data(p: Point) -> dict[str, Any]:
    data: dict[str, Any] = {"name": p.name}
    if p.description:
        data["description"] = p.description
    data["data_type"] = p.data_type
    if p.unit or p.unit_code:
        data["unit"] = {k: v for k, v in (("code", p.unit_code), ("symbol", p.unit)) if v}
    if p.range is not None:
        data["range"] = list(p.range)
    data["access"] = p.access
    if p.write_limits is not None:
        data["write_limits"] = list(p.write_limits)
    if p.interval_ms is not None:
        data["interval_ms"] = p.interval_ms
    data["address"] = p.address
    return data


@cache
def _schema() -> dict[str, Any]:
    return json.loads((resources_dir() / "schemas" / "device_profile.schema.json").read_text())


# --- checking a profile against the schema ------------------------------------------------------
#
# jsonschema takes about 0.1 ms per point (its $ref and oneOf machinery), a second for 10,000.
# So the schema is applied in two parts: jsonschema checks the profile without the items of
# ``points``, and each point goes through a predicate compiled here from the point's schema
# (a few microseconds). Only a point the predicate refuses is checked by jsonschema, whose
# errors make the messages: the predicate decides nothing that jsonschema would not.


@cache
def _top_validator() -> jsonschema.Draft202012Validator:
    schema = copy.deepcopy(_schema())
    schema["properties"]["points"].pop("items")
    return jsonschema.Draft202012Validator(schema)


@cache
def _point_validator() -> jsonschema.Draft202012Validator:
    schema = _schema()
    return jsonschema.Draft202012Validator({"$schema": schema["$schema"], "$defs": schema["$defs"],
                                            "$ref": "#/$defs/point"})


@cache
def _point_ok() -> Callable[[Any], bool]:
    schema = _schema()
    return _compile({"$ref": "#/$defs/point"}, schema["$defs"])


class _Unsupported(Exception):
    """A schema keyword the predicate compiler does not know: jsonschema checks every point."""


# Keywords that describe and do not constrain.
_ANNOTATIONS = frozenset({"description", "title", "$comment", "default", "examples"})
# As jsonschema's type checker of draft 2020-12: a bool is no number, 1.0 is an integer.
_IS_TYPE: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}

# Written as jsonschema tests them (``not v < b``, not ``v >= b``): the same answer for NaN.
_NUMBER_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": lambda v, b: not v < b, "maximum": lambda v, b: not v > b,
    "exclusiveMinimum": lambda v, b: not v <= b, "exclusiveMaximum": lambda v, b: not v >= b,
}


def _compile(schema: dict[str, Any], defs: dict[str, Any]) -> Callable[[Any], bool]:
    """A predicate true exactly when ``schema`` (of the keywords handled here) accepts a value.

    Exact, not merely conservative: inside ``oneOf`` a branch wrongly refused would let two
    matching branches pass as one. tests/device_browser/test_profile_schema.py compares it
    with jsonschema on generated points.
    """
    checks: list[Callable[[Any], bool]] = []
    for keyword, arg in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "$ref":
            if not arg.startswith("#/$defs/"):
                raise _Unsupported(arg)
            checks.append(_compile(defs[arg.removeprefix("#/$defs/")], defs))
        elif keyword == "type":
            types = [arg] if isinstance(arg, str) else list(arg)
            tests = [_IS_TYPE[t] for t in types]
            checks.append(lambda v, tests=tests: any(t(v) for t in tests))
        elif keyword in ("enum", "const"):
            allowed = {_tagged(x) for x in (arg if keyword == "enum" else [arg])}
            if any(kind == "other" for kind, _ in allowed):  # lists and objects compare by content
                raise _Unsupported(keyword)
            checks.append(lambda v, allowed=allowed: _tagged(v) in allowed)
        elif keyword == "pattern":
            search = re.compile(arg).search
            checks.append(lambda v, search=search: not isinstance(v, str) or search(v) is not None)
        elif keyword == "required":
            needed = frozenset(arg)
            checks.append(lambda v, needed=needed: not isinstance(v, dict) or needed.issubset(v.keys()))
        elif keyword == "additionalProperties":
            if arg is not False or "patternProperties" in schema:
                raise _Unsupported(keyword)
            known = frozenset(schema.get("properties", {}))
            checks.append(lambda v, known=known: not isinstance(v, dict) or known.issuperset(v.keys()))
        elif keyword == "properties":
            checks.append(_properties({name: _compile(sub, defs) for name, sub in arg.items()}))
        elif keyword == "items":
            item = _compile(arg, defs)
            checks.append(lambda v, item=item: not isinstance(v, list) or all(map(item, v)))
        elif keyword == "minItems":
            checks.append(lambda v, b=arg: not isinstance(v, list) or len(v) >= b)
        elif keyword == "maxItems":
            checks.append(lambda v, b=arg: not isinstance(v, list) or len(v) <= b)
        elif keyword in _NUMBER_BOUNDS:
            holds = _NUMBER_BOUNDS[keyword]
            checks.append(lambda v, b=arg, holds=holds: not _IS_TYPE["number"](v) or holds(v, b))
        elif keyword == "oneOf":
            branches = [_compile(sub, defs) for sub in arg]
            checks.append(lambda v, branches=branches: sum(1 for b in branches if b(v)) == 1)
        else:
            raise _Unsupported(keyword)
    if len(checks) == 1:
        return checks[0]
    return _every(tuple(checks))


# Loops rather than all(generator): these run some 20 times per point.
def _every(checks: tuple[Callable[[Any], bool], ...]) -> Callable[[Any], bool]:
    def every(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 - see above
            if not check(value):
                return False
        return True

    return every


def _properties(subs: dict[str, Callable[[Any], bool]]) -> Callable[[Any], bool]:
    def properties(value: Any) -> bool:
        if isinstance(value, dict):
            for key, item in value.items():
                check = subs.get(key)
                if check is not None and not check(item):
                    return False
        return True

    return properties


def _tagged(value: Any) -> tuple[str, Any]:
    """A value as jsonschema compares it in enum and const: True is not 1, 1 is 1.0."""
    if isinstance(value, bool):
        return "bool", value
    if isinstance(value, int | float):
        return "number", value
    if isinstance(value, str) or value is None:
        return "scalar", value
    return "other", id(value)  # lists and objects: equal to no enum value (_compile refuses enums of them)


def _schema_problems(doc: YamlSource) -> list[str]:
    """Messages (with line and column) of what the schema refuses, at most ten."""
    errors: list[tuple[list, str]] = [m for e in _top_validator().iter_errors(doc.data) for m in _explain(e, [])]
    points = doc.data.get("points") if isinstance(doc.data, dict) else None
    if isinstance(points, list):
        try:
            ok = _point_ok()
        except _Unsupported:
            ok = _never
        for i, raw in enumerate(points):
            if len(errors) >= 10:
                break
            if not ok(raw):
                errors += [m for e in _point_validator().iter_errors(raw) for m in _explain(e, ["points", i])]
    errors.sort(key=lambda pair: pair[0])
    return [f"{doc.where(path)}: {'.'.join(map(str, path)) or 'the profile'}: {message}"
            for path, message in errors[:10]]


def _never(_value: Any) -> bool:
    return False


# Enumerations whose messages name what the value should be. Byte orders are not guessed:
# a near miss (ABDC for ABCD?) read with a wrong guess gives wrong values without an error.
_CHOICES = {"order": ("a byte order", False), "area": ("an area", True)}


def _explain(error: jsonschema.ValidationError, prefix: list) -> list[tuple[list, str]]:
    """(path, message) pairs saying what is wrong, inside the oneOf branch the value meant."""
    if error.validator == "oneOf" and list(error.absolute_path) == ["connection"]:
        # Report what is wrong inside the branch the protocol chose, not that no branch matched.
        inner = [e for e in error.context if e.validator not in ("const", "required", "additionalProperties")]
        if inner:
            error = max(inner, key=lambda e: len(e.absolute_path))
    path = prefix + list(error.absolute_path)
    if error.validator == "oneOf" and path[-1:] == ["address"]:
        return _explain_address(error, prefix, path)
    message = error.message
    if error.validator == "oneOf" and path == ["connection"]:
        message = "the connection needs protocol: opcua with an endpoint, or protocol: modbus"
    elif error.validator == "enum" and path and path[-1] in _CHOICES:
        noun, suggest = _CHOICES[path[-1]]
        choices = [str(c) for c in error.validator_value]
        message = f"{error.instance!r} is not {noun}; use {', '.join(choices[:-1])} or {choices[-1]}"
        close = difflib.get_close_matches(str(error.instance), choices, n=1, cutoff=0.5) if suggest else []
        if close:
            message += f" (did you mean {close[0]}?)"
    return [(path, message)]


def _explain_address(error: jsonschema.ValidationError, prefix: list, path: list) -> list[tuple[list, str]]:
    """An address matched neither kind: the errors of the kind its keys say it is."""
    address = error.instance
    opcua = isinstance(address, dict) and "node_id" in address
    modbus = isinstance(address, dict) and ("area" in address or "address" in address)
    if opcua and modbus:
        return [(path, "an address has either node_id (OPC UA) or area and address (Modbus), not both")]
    if not (opcua or modbus):
        return [(path, "an address needs either node_id (OPC UA) or area and address (Modbus)")]
    branch = 0 if opcua else 1  # the order of the oneOf in the schema
    inner = [e for e in error.context if e.relative_schema_path[0] == branch]
    return [m for e in inner for m in _explain(e, prefix)] or [(path, error.message)]


def load_profile(path: Path) -> DeviceProfile:
    """Read and check a profile; every problem raises :class:`ProfileError` naming line and column."""
    path = Path(path)
    return parse_profile(read_source(path, ProfileError), path)


def parse_profile(text: str, source: Path | str = "profile") -> DeviceProfile:
    """A profile from YAML (or JSON) text; every problem raises :class:`ProfileError` naming line and column."""
    doc = YamlSource(text, source, ProfileError)
    problems = _schema_problems(doc)
    if problems:
        raise ProfileError("\n".join(problems))
    profile = _build(doc.data, Path(source))
    _check(profile, doc)
    return profile


def _build(data: dict[str, Any], source: Path) -> DeviceProfile:
    def text(value) -> dict[str, str]:
        return {"en": value} if isinstance(value, str) else dict(value or {})

    points = []
    for raw in data["points"]:
        unit = raw.get("unit", {})
        points.append(Point(
            name=raw["name"], data_type=raw["data_type"], address=dict(raw["address"]),
            description=text(raw.get("description")), unit_code=unit.get("code", ""), unit=unit.get("symbol", ""),
            range=tuple(raw["range"]) if "range" in raw else None, access=raw.get("access", "r"),
            write_limits=tuple(raw["write_limits"]) if "write_limits" in raw else None,
            interval_ms=raw.get("interval_ms")))
    return DeviceProfile(id=data["id"], nameplate=dict(data["nameplate"]), connection=dict(data["connection"]),
                         points=points, title=data.get("title", ""), description=text(data.get("description")),
                         source=source)


def _check(profile: DeviceProfile, doc: YamlSource) -> None:
    """Rules a JSON Schema cannot say: unique names, address kinds matching the protocol, limits."""
    problems = []
    seen: set[str] = set()
    modbus = profile.protocol == "modbus"
    for i, point in enumerate(profile.points):
        found = []
        if point.name in seen:
            found.append("the name is used twice")
        seen.add(point.name)
        if modbus != ("area" in point.address):
            found.append(f"a {profile.protocol} device needs {'area and address' if modbus else 'a node_id'}")
        if modbus and point.data_type not in MODBUS_TYPES:
            found.append(f"data type '{point.data_type}' does not exist in Modbus "
                         f"(use one of {', '.join(sorted(MODBUS_TYPES))})")
        if point.write_limits and not point.writable:
            found.append(f"write_limits are given but access is '{point.access}'")
        for name, pair in (("range", point.range), ("write_limits", point.write_limits)):
            if pair and pair[0] > pair[1]:
                found.append(f"{name} must be [low, high] (found {list(pair)})")
        if found:  # positions only now: finding them parses the file again
            where = doc.where(["points", i, "name"])
            problems += [f"{where}: point '{point.name}': {problem}" for problem in found]
    if problems:
        raise ProfileError("\n".join(problems))


def to_thing_description(profile: DeviceProfile) -> dict[str, Any]:
    """The profile as a W3C WoT Thing Description 1.1 (JSON-LD), with protocol bindings in the forms."""
    conn = profile.connection
    if profile.protocol == "opcua":
        base = conn["endpoint"]
        security = {"nosec_sc": {"scheme": "nosec"}} if conn.get("security_mode", "None") == "None" else \
            {"opcua_sc": {"scheme": "auto", "description": f"OPC UA {conn.get('security_policy')} "
                                                            f"{conn.get('security_mode')}"}}
    else:
        scheme = "modbus+tcp" if conn.get("framer", "tcp") != "rtu" else "modbus+rtu"
        base = f"{scheme}://{conn.get('host', 'serial')}:{conn.get('port', 502)}/{conn.get('unit_id', 1)}/"
        security = {"nosec_sc": {"scheme": "nosec"}}
    td: dict[str, Any] = {
        "@context": ["https://www.w3.org/2022/wot/td/v1.1", {"modv": "https://www.w3.org/2019/wot/modbus#"}],
        "id": f"urn:millwright:device:{profile.id}",
        "title": profile.title or profile.nameplate.get("model", profile.id),
        "base": base,
        "securityDefinitions": security,
        "security": list(security),
        "properties": {p.name: _td_property(p, profile.protocol) for p in profile.points},
    }
    if profile.description.get("en"):
        td["description"] = profile.description["en"]
    if profile.description.get("zh"):
        td["descriptions"] = {"zh": profile.description["zh"]}
    td["manufacturer"] = profile.nameplate  # kept verbatim: AAS nameplate fields
    return td


_JSON_TYPES = {"bool": "boolean", "bit": "boolean", "string": "string", "datetime": "string"}


def _td_property(point: Point, protocol: str) -> dict[str, Any]:
    scaled = point.address.get("scale", 1) != 1 or point.address.get("offset", 0) != 0
    integer = "int" in point.data_type and not scaled
    prop: dict[str, Any] = {"type": _JSON_TYPES.get(point.data_type, "integer" if integer else "number"),
                            "readOnly": not point.writable, "writeOnly": point.access == "w"}
    if point.description.get("en"):
        prop["description"] = point.description["en"]
    if point.description.get("zh"):
        prop["descriptions"] = {"zh": point.description["zh"]}
    if point.unit:
        prop["unit"] = point.unit
    if point.range:
        prop["minimum"], prop["maximum"] = point.range
    ops = ["readproperty"] + (["writeproperty"] if point.writable else [])
    if protocol == "opcua":
        form = {"href": f"?id={point.address['node_id']}", "op": ops}
    else:
        a = point.address
        entity = {"coil": "Coil", "discrete_input": "DiscreteInput", "input_register": "InputRegister",
                  "holding_register": "HoldingRegister"}[a["area"]]
        form = {"href": f"{a['address']}", "op": ops, "modv:entity": entity, "modv:type": f"xsd:{point.data_type}"}
        if point.interval_ms:
            form["modv:pollingTime"] = int(point.interval_ms)
    prop["forms"] = [form]
    return prop
