"""The built-in library as a whole: size, declarations as data, documentation."""

import json
from collections import Counter

import jsonschema
import pytest

from nodes.library import builtin_components
from nodes.registry import ComponentRegistry, declaration_problem
from nodes.resources import resources_dir

SCHEMA = json.loads((resources_dir() / "schemas" / "component.schema.json").read_text())
COMPONENTS = builtin_components()


def test_at_least_forty_components_in_every_palette_group():
    registry = ComponentRegistry()
    for cls in COMPONENTS:
        registry.register(cls)
    groups = Counter(cls.category for cls in COMPONENTS if cls.category != "io")
    assert sum(groups.values()) >= 40
    assert set(groups) >= {"signal", "logic", "vibration", "process", "quality", "maintenance"}


@pytest.mark.parametrize("cls", COMPONENTS, ids=lambda c: c.type_name)
def test_declaration_is_valid_data_and_documented(cls):
    assert declaration_problem(cls) is None
    spec = json.loads(json.dumps(cls.spec()))  # JSON-able as it is
    jsonschema.validate(spec, SCHEMA)
    doc = cls.__doc__ or ""
    assert "References" in doc and spec["summary"], "numpydoc: a summary line and a References section"
    assert "=" in doc or "·" in doc, "the docstring states the formula"
    assert cls.title.zh, "every component has a Chinese title"
