"""Tag references and bindings: how every later layer names a value on a device.

A :class:`TagRef` is protocol-neutral and serialisable: a device (the id of a profile in the
project's ``devices/``) and either one of its points by name, or a raw address the device's
session understands (an OPC UA NodeId ``nsu=…;s=…``; a Modbus address ``40001`` or
``hr:0:float32:CDAB``). It carries the data type and unit the consumer expects, so a graph can
check units before anything is connected. Text form: ``device/point`` or ``device@address``.

**Bindings** map named, typed inputs (of a graph, or of an app at install) to tags. They are one
YAML format everywhere — the project's ``bindings.yaml``, an app's ``bindings.yaml`` — checked
against ``resources/schemas/bindings.schema.json``, problems reported by line and column::

    schema_version: 1
    bindings:
      flow:                      # the input's name
        device: pump_station
        point: flow
        unit: m^3/h
      discharge_pressure:
        device: plc1
        address: "nsu=urn:millwright:pumpstation;s=PumpStation.DischargePressure"
        data_type: double
        unit: bar
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from device_browser.session import DeviceError
from device_browser.yaml_source import YamlSource, dump_yaml, read_source
from nodes.resources import resources_dir

BINDINGS_SCHEMA_VERSION = 1


class BindingError(DeviceError):
    """A tag reference or bindings file that cannot be used; the message says where."""


@dataclass(frozen=True)
class TagRef:
    """A value on a device: ``device`` plus ``point`` (a profile point) or ``address`` (raw)."""

    device: str
    point: str = ""
    address: str = ""
    data_type: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if not self.device:
            raise BindingError("A tag reference needs a device")
        if bool(self.point) == bool(self.address):
            raise BindingError(f"A tag reference on '{self.device}' needs a point or an address (one of them)")

    @property
    def tag(self) -> str:
        """What the device's session reads it by: the point name or the raw address."""
        return self.point or self.address

    def __str__(self) -> str:
        return f"{self.device}/{self.point}" if self.point else f"{self.device}@{self.address}"

    @classmethod
    def parse(cls, text: str, *, data_type: str = "", unit: str = "") -> TagRef:
        """``device/point`` or ``device@address`` (an address may itself contain ``/``)."""
        at, slash = text.find("@"), text.find("/")
        if at > 0 and (slash < 0 or at < slash):
            device, address = text[:at], text[at + 1:]
            if address:
                return cls(device, address=address, data_type=data_type, unit=unit)
        elif slash > 0 and text[slash + 1:]:
            return cls(text[:slash], point=text[slash + 1:], data_type=data_type, unit=unit)
        raise BindingError(f"'{text}' is not a tag reference: write device/point (pump_station/flow) "
                           "or device@address (plc1@40001, ua1@nsu=urn:plant;s=Pump.Speed)")

    def to_data(self) -> dict[str, str]:
        data = {"device": self.device}
        data.update({k: v for k, v in (("point", self.point), ("address", self.address),
                                       ("data_type", self.data_type), ("unit", self.unit)) if v})
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TagRef:
        return cls(**{k: str(data.get(k, "")) for k in ("device", "point", "address", "data_type", "unit")})


@cache
def _schema() -> dict[str, Any]:
    return json.loads((resources_dir() / "schemas" / "bindings.schema.json").read_text())


def parse_bindings(text: str, source: Path | str = "bindings") -> dict[str, TagRef]:
    """Input name → tag, from bindings YAML; every problem raises :class:`BindingError` with line and column."""
    doc = YamlSource(text, source, BindingError)
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(doc.data), key=lambda e: list(e.path))
    if errors:
        raise BindingError("\n".join(f"{doc.where(list(e.absolute_path))}: "
                                     f"{'.'.join(map(str, e.absolute_path)) or 'the file'}: {e.message}"
                                     for e in errors[:10]))
    return {name: TagRef.from_data(entry) for name, entry in doc.data["bindings"].items()}


def load_bindings(path: Path) -> dict[str, TagRef]:
    path = Path(path)
    return parse_bindings(read_source(path, BindingError), path)


def dump_bindings(bindings: dict[str, TagRef]) -> str:
    """Bindings YAML with inputs in name order, so that the file diffs well."""
    data = {"schema_version": BINDINGS_SCHEMA_VERSION,
            "bindings": {name: bindings[name].to_data() for name in sorted(bindings)}}
    return dump_yaml(data)
