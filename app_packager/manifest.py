"""The app manifest (``app.yaml``): what an industrial app is, reads, writes, needs and is tested on.

The JSON Schema ``resources/schemas/app.schema.json`` is the contract: every problem it finds
is reported with the file, line and column. The checks that need more than the schema (an
industry division outside its section, a parameter range inverted) follow in
:func:`parse_manifest`; the checks against a graph and a component registry are in
:mod:`app_packager.app_checks`.

A manifest in a project names project files (``graph: graphs/pump_efficiency.json``); the
manifest inside an archive names archive entries (``graph: graph.json``). :meth:`AppManifest.to_data`
gives the data in schema order, so a manifest written by a tool diffs well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from app_packager.errors import AppError
from device_browser.tags import TagRef
from device_browser.yaml_source import YamlSource, dump_yaml, read_source
from nodes.resources import resources_dir

MANIFEST_NAME = "app.yaml"
SCHEMA_VERSION = 1
LIFECYCLE_STAGES = ("rd_design", "production", "operation_maintenance", "management")
LEVELS = ("device", "line", "plant", "enterprise")
GENERALITY = ("basic_common", "industry_general", "enterprise_specific")
MATURITY = (1, 2, 3, 4, 5)


class ManifestError(AppError):
    """A manifest that cannot be used; the message names the file, line and column of each problem."""


@dataclass(frozen=True)
class Text:
    en: str
    zh: str = ""

    def get(self, language: str = "en") -> str:
        return self.zh if language.startswith("zh") and self.zh else self.en

    def to_data(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh} if self.zh else {"en": self.en}

    @classmethod
    def from_data(cls, data: dict[str, str] | None) -> Text | None:
        return cls(data["en"], data.get("zh", "")) if data else None


@dataclass(frozen=True)
class Classification:
    """Classification and grading (definitions of every value in the schema)."""

    industry: str  # GB/T 4754-2017 section letter, optionally with its division: "C", "C34"
    lifecycle: str
    level: str
    generality: str
    maturity: int

    @property
    def section(self) -> str:
        return self.industry[:1]


@dataclass(frozen=True)
class AppInput:
    unit: str = ""
    kind: str = "signal"
    description: Text | None = None
    binding: TagRef | None = None  # the author's suggestion; a site binds its own at install


@dataclass(frozen=True)
class AppOutput:
    unit: str = ""
    kind: str = "signal"
    description: Text | None = None


@dataclass(frozen=True)
class AppParameter:
    node: str
    param: str
    description: Text | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class WriteLimit:
    output: str
    minimum: float
    maximum: float
    max_step: float | None = None
    min_interval_s: float | None = None


@dataclass(frozen=True)
class Permissions:
    read_tags: bool = True
    write_tags: tuple[WriteLimit, ...] = ()
    network: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tolerance:
    """``|actual − expected| ≤ absolute + relative·|expected|`` (as :func:`numpy.isclose`)."""

    absolute: float = 1e-9
    relative: float = 1e-6


@dataclass(frozen=True)
class GoldenTest:
    name: str
    input: str
    expected: str
    description: str = ""
    tolerance: Tolerance = Tolerance()
    outputs: dict[str, Tolerance] = field(default_factory=dict)

    def tolerance_of(self, output: str) -> Tolerance:
        return self.outputs.get(output, self.tolerance)


@dataclass(frozen=True)
class Author:
    name: str
    email: str = ""
    organization: str = ""


@dataclass(frozen=True)
class AppManifest:
    id: str
    version: str
    name: Text
    license: str
    classification: Classification
    graph: str
    inputs: dict[str, AppInput]
    outputs: dict[str, AppOutput]
    description: Text | None = None
    authors: tuple[Author, ...] = ()
    parameters: dict[str, AppParameter] = field(default_factory=dict)
    requires_millwright: str = ""
    requires_components: dict[str, int] = field(default_factory=dict)
    resources: dict[str, float] = field(default_factory=dict)
    permissions: Permissions = Permissions()
    tests: tuple[GoldenTest, ...] = ()

    @property
    def archive_name(self) -> str:
        """``ID-VERSION.iapp``: what a build writes and a catalogue stores."""
        return f"{self.id}-{self.version}.iapp"

    def with_paths(self, graph: str, tests: dict[str, tuple[str, str]]) -> AppManifest:
        """A copy naming other files: the graph, and each test's (input, expected) by test name."""
        return replace(self, graph=graph, tests=tuple(replace(t, input=tests[t.name][0], expected=tests[t.name][1])
                                                      for t in self.tests))

    # -- data ------------------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """The manifest as YAML/JSON data in schema order; empty optional parts left out."""
        data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "id": self.id, "version": self.version,
                                "name": self.name.to_data()}
        if self.description:
            data["description"] = self.description.to_data()
        if self.authors:
            data["authors"] = [compact({"name": a.name, "email": a.email, "organization": a.organization})
                               for a in self.authors]
        data["license"] = self.license
        c = self.classification
        data["classification"] = {"industry": c.industry, "lifecycle": c.lifecycle, "level": c.level,
                                  "generality": c.generality, "maturity": c.maturity}
        data["graph"] = self.graph
        data["inputs"] = {name: compact({"unit": i.unit, "kind": i.kind,
                                          "description": i.description.to_data() if i.description else None,
                                          "binding": i.binding.to_data() if i.binding else None}, keep=("unit",))
                          for name, i in self.inputs.items()}
        data["outputs"] = {name: compact({"unit": o.unit, "kind": o.kind,
                                           "description": o.description.to_data() if o.description else None},
                                          keep=("unit",))
                           for name, o in self.outputs.items()}
        if self.parameters:
            data["parameters"] = {name: compact({"node": p.node, "param": p.param,
                                                  "description": p.description.to_data() if p.description else None,
                                                  "minimum": p.minimum, "maximum": p.maximum})
                                  for name, p in self.parameters.items()}
        requires = compact({"millwright": self.requires_millwright,
                             "components": dict(sorted(self.requires_components.items())) or None})
        if requires:
            data["requires"] = requires
        if self.resources:
            data["resources"] = dict(self.resources)
        permissions = compact({
            "read_tags": None if self.permissions.read_tags else False,
            "write_tags": [compact({"output": w.output, "minimum": w.minimum, "maximum": w.maximum,
                                     "max_step": w.max_step, "min_interval_s": w.min_interval_s})
                           for w in self.permissions.write_tags] or None,
            "network": list(self.permissions.network) or None})
        if permissions:
            data["permissions"] = permissions
        if self.tests:
            data["tests"] = [_test_data(t) for t in self.tests]
        return data

    def to_yaml(self) -> str:
        return dump_yaml(self.to_data())

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AppManifest:
        """From data the schema accepted (see :func:`parse_manifest`)."""
        c = data["classification"]
        requires = data.get("requires", {})
        permissions = data.get("permissions", {})
        return cls(
            id=data["id"], version=data["version"], name=Text.from_data(data["name"]), license=data["license"],
            classification=Classification(c["industry"], c["lifecycle"], c["level"], c["generality"], c["maturity"]),
            graph=data["graph"],
            inputs={name: AppInput(i.get("unit", ""), i.get("kind", "signal"), Text.from_data(i.get("description")),
                                   TagRef.from_data(i["binding"]) if "binding" in i else None)
                    for name, i in data["inputs"].items()},
            outputs={name: AppOutput(o.get("unit", ""), o.get("kind", "signal"), Text.from_data(o.get("description")))
                     for name, o in data["outputs"].items()},
            description=Text.from_data(data.get("description")),
            authors=tuple(Author(a["name"], a.get("email", ""), a.get("organization", ""))
                          for a in data.get("authors", ())),
            parameters={name: AppParameter(p["node"], p["param"], Text.from_data(p.get("description")),
                                           p.get("minimum"), p.get("maximum"))
                        for name, p in data.get("parameters", {}).items()},
            requires_millwright=requires.get("millwright", ""),
            requires_components=dict(requires.get("components", {})),
            resources=dict(data.get("resources", {})),
            permissions=Permissions(permissions.get("read_tags", True),
                                    tuple(WriteLimit(w["output"], w["minimum"], w["maximum"], w.get("max_step"),
                                                     w.get("min_interval_s"))
                                          for w in permissions.get("write_tags", ())),
                                    tuple(permissions.get("network", ()))),
            tests=tuple(_test_from(t) for t in data.get("tests", ())))


def _tolerance_from(data: dict[str, float] | None, default: Tolerance = Tolerance()) -> Tolerance:
    if not data:
        return default
    return Tolerance(data.get("absolute", default.absolute), data.get("relative", default.relative))


def _test_from(data: dict[str, Any]) -> GoldenTest:
    tolerance = _tolerance_from(data.get("tolerance"))
    return GoldenTest(data["name"], data["input"], data["expected"], data.get("description", ""), tolerance,
                      {name: _tolerance_from(t, tolerance) for name, t in data.get("outputs", {}).items()})


def _test_data(test: GoldenTest) -> dict[str, Any]:
    data: dict[str, Any] = {"name": test.name}
    if test.description:
        data["description"] = test.description
    data.update({"input": test.input, "expected": test.expected,
                 "tolerance": {"absolute": test.tolerance.absolute, "relative": test.tolerance.relative}})
    if test.outputs:
        data["outputs"] = {name: {"absolute": t.absolute, "relative": t.relative}
                           for name, t in sorted(test.outputs.items())}
    return data


def compact(data: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    """``data`` without its empty values (``keep`` names keys kept even when empty)."""
    return {k: v for k, v in data.items() if k in keep or v not in (None, "", [], {})}


# -- reading ---------------------------------------------------------------------------------------

@cache
def manifest_schema() -> dict[str, Any]:
    return json.loads((resources_dir() / "schemas" / "app.schema.json").read_text(encoding="utf-8"))


@cache
def _validator() -> jsonschema.protocols.Validator:
    bindings = json.loads((resources_dir() / "schemas" / "bindings.schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(bindings["$id"], Resource.from_contents(bindings))
    return jsonschema.Draft202012Validator(manifest_schema(), registry=registry)


def industry_sections() -> dict[str, dict[str, Any]]:
    """GB/T 4754-2017 sections: letter → {"en", "zh", "divisions": [first, last]}."""
    return manifest_schema()["$defs"]["classification"]["properties"]["industry"]["x-sections"]


def definitions(field_name: str) -> dict[str, dict[str, str]]:
    """The definitions of a classification field's values (lifecycle, level, generality, maturity)."""
    return manifest_schema()["$defs"]["classification"]["properties"][field_name]["x-definitions"]


def parse_manifest(text: str, source: Path | str = MANIFEST_NAME) -> AppManifest:
    """A manifest from YAML text; every problem raises :class:`ManifestError` with line and column."""
    doc = YamlSource(text, source, ManifestError)
    errors = sorted(_validator().iter_errors(doc.data), key=lambda e: [str(k) for k in e.absolute_path])
    problems = [f"{doc.where(list(e.absolute_path))}: {'.'.join(map(str, e.absolute_path)) or 'the manifest'}: "
                f"{_message(e)}" for e in errors[:10]]
    if not problems:
        problems = [f"{doc.where(path)}: {'.'.join(map(str, path))}: {message}"
                    for path, message in _semantic_problems(doc.data)]
    if problems:
        raise ManifestError("\n".join(problems))
    return AppManifest.from_data(doc.data)


def load_manifest(path: Path) -> AppManifest:
    path = Path(path)
    return parse_manifest(read_source(path, ManifestError), path)


def _message(error: jsonschema.ValidationError) -> str:
    path = list(error.absolute_path)
    if error.validator == "pattern" and path == ["id"]:
        return f"{error.instance!r} is not a reverse-DNS id: write it like com.example.pump-efficiency"
    if path == ["version"] and error.validator in ("pattern", "type"):
        return f"{error.instance!r} is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.0.0"
    if error.validator == "pattern" and path == ["classification", "industry"]:
        return (f"{error.instance!r} is not a GB/T 4754-2017 industry: write a section letter A–T, optionally with "
                "its two-digit division (C34)")
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    return error.message


def _semantic_problems(data: dict[str, Any]) -> list[tuple[list, str]]:
    problems: list[tuple[list, str]] = []
    industry = data["classification"]["industry"]
    if len(industry) == 3:
        section = industry_sections()[industry[0]]
        first, last = section["divisions"]
        if not first <= int(industry[1:]) <= last:
            problems.append((["classification", "industry"],
                             f"division {industry[1:]} is not in section {industry[0]} ({section['en']}, divisions "
                             f"{first:02d}–{last:02d})"))
    for name, parameter in data.get("parameters", {}).items():
        if parameter.get("minimum", float("-inf")) > parameter.get("maximum", float("inf")):
            problems.append((["parameters", name], "minimum is above maximum"))
    for i, limit in enumerate(data.get("permissions", {}).get("write_tags", ())):
        if limit["output"] not in data["outputs"]:
            problems.append((["permissions", "write_tags", i, "output"],
                             f"'{limit['output']}' is not an output of the app"))
        if limit["minimum"] > limit["maximum"]:
            problems.append((["permissions", "write_tags", i], "minimum is above maximum"))
    names = [t["name"] for t in data.get("tests", ())]
    for i, name in enumerate(names):
        if name in names[:i]:
            problems.append((["tests", i, "name"], f"a second test named '{name}'; each test needs its own name"))
    return problems
