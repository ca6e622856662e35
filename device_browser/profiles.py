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

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from device_browser.session import DeviceError
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

    @property
    def protocol(self) -> str:
        return self.connection["protocol"]

    def point(self, name: str) -> Point:
        for point in self.points:
            if point.name == name:
                return point
        names = ", ".join(p.name for p in self.points[:12])
        raise ProfileError(f"No data point '{name}' in profile '{self.id}' (points: {names}"
                           f"{', …' if len(self.points) > 12 else ''})")

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "id": self.id}
        if self.title:
            data["title"] = self.title
        if self.description:
            data["description"] = self.description
        data.update(nameplate=self.nameplate, connection=self.connection, points=[_point_data(p) for p in self.points])
        return data

    def dumps(self) -> str:
        """YAML with a stable key order (as written here, not alphabetical: name first reads best)."""
        return yaml.safe_dump(self.to_data(), sort_keys=False, allow_unicode=True, width=120)


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


def load_profile(path: Path) -> DeviceProfile:
    """Read and check a profile; every problem raises :class:`ProfileError` naming line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot be read ({exc})") from None
    return parse_profile(text, path)


def parse_profile(text: str, source: Path | str = "profile") -> DeviceProfile:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ProfileError(f"{source}{where}: not valid YAML: {exc.problem}") from None
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        raise ProfileError("\n".join(_explain(error, root, source) for error in errors[:10]))
    profile = _build(data, Path(source) if not isinstance(source, Path) else source)
    _check(profile, root, source)
    return profile


def _explain(error: jsonschema.ValidationError, root, source) -> str:
    if error.validator == "oneOf" and list(error.absolute_path) == ["connection"]:
        # Report what is wrong inside the branch the protocol chose, not that no branch matched.
        inner = [e for e in error.context if e.validator not in ("const", "required", "additionalProperties")]
        if inner:
            error = max(inner, key=lambda e: len(e.absolute_path))
    path = list(error.absolute_path)
    line, column = _position(root, path)
    field_name = ".".join(str(p) for p in path) or "the profile"
    message = error.message
    if error.validator == "oneOf" and path and path[-1] == "address":
        message = "an address needs either node_id (OPC UA) or area and address (Modbus)"
    elif error.validator == "oneOf" and path == ["connection"]:
        message = "the connection needs protocol: opcua with an endpoint, or protocol: modbus"
    return f"{source} (line {line}, column {column}): {field_name}: {message}"


def _position(node, path: list) -> tuple[int, int]:
    """Line and column (1-based) of the YAML node at ``path``, or of its nearest parent."""
    for key in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


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


def _check(profile: DeviceProfile, root, source) -> None:
    """Rules a JSON Schema cannot say: unique names, address kinds matching the protocol, limits."""
    problems = []
    seen: set[str] = set()
    for i, point in enumerate(profile.points):
        line, column = _position(root, ["points", i, "name"])
        where = f"{source} (line {line}, column {column}): point '{point.name}'"
        if point.name in seen:
            problems.append(f"{where}: the name is used twice")
        seen.add(point.name)
        modbus_address = "area" in point.address
        if (profile.protocol == "modbus") != modbus_address:
            problems.append(f"{where}: a {profile.protocol} device needs "
                            f"{'area and address' if profile.protocol == 'modbus' else 'a node_id'}")
        if profile.protocol == "modbus" and point.data_type not in MODBUS_TYPES:
            problems.append(f"{where}: data type '{point.data_type}' does not exist in Modbus "
                            f"(use one of {', '.join(sorted(MODBUS_TYPES))})")
        if point.write_limits and not point.writable:
            problems.append(f"{where}: write_limits are given but access is '{point.access}'")
        for name, pair in (("range", point.range), ("write_limits", point.write_limits)):
            if pair and pair[0] > pair[1]:
                problems.append(f"{where}: {name} must be [low, high] (found {list(pair)})")
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
