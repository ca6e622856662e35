"""Built-in components, grouped as in the palette."""

from __future__ import annotations

import importlib

from nodes.component import Component

GROUPS = ("io", "signal", "logic", "vibration", "process", "quality", "maintenance")


def builtin_components() -> list[type[Component]]:
    classes: list[type[Component]] = []
    for group in GROUPS:
        module = importlib.import_module(f"nodes.library.{group}")
        classes.extend(module.COMPONENTS)
    return classes
