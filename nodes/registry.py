"""The catalogue of component types: built-ins plus plug-ins found through entry points.

A plug-in package declares, in its ``pyproject.toml``::

    [project.entry-points."millwright.components"]
    my_components = "my_package.components"

The entry point may name a module with a ``COMPONENTS`` sequence, a sequence of component
classes, or one class. A plug-in that fails to import or declares something invalid is
reported in :attr:`ComponentRegistry.problems` and skipped; the others still load.
"""

from __future__ import annotations

import difflib
import inspect
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType

from nodes.component import Component, Kind, unit_source

ENTRY_POINT_GROUP = "millwright.components"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PluginProblem:
    plugin: str
    message: str


class ComponentRegistry:
    def __init__(self):
        self._types: dict[str, type[Component]] = {}
        self._origin: dict[str, str] = {}
        self.problems: list[PluginProblem] = []

    def register(self, cls: type[Component], origin: str = "built-in") -> None:
        problem = declaration_problem(cls)
        if problem:
            raise ValueError(f"{cls.__module__}.{cls.__name__}: {problem}")
        if cls.type_name in self._types and self._types[cls.type_name] is not cls:
            raise ValueError(f"component type '{cls.type_name}' from {origin} is already provided by "
                             f"{self._origin[cls.type_name]}")
        self._types[cls.type_name] = cls
        self._origin[cls.type_name] = origin

    def get(self, type_name: str) -> type[Component] | None:
        return self._types.get(type_name)

    def close_matches(self, type_name: str, limit: int = 3) -> list[str]:
        """Installed type names that look like ``type_name``: a typo, a missing or wrong group.

        Names are compared without their group (``signal.`` would make every signal component
        look alike); the same group counts a little more, and only matches close to the best one
        are offered.

        >>> registry = default_registry()
        >>> registry.close_matches("signal.bandpas"), registry.close_matches("bandpass")
        (['signal.bandpass'], ['signal.bandpass'])
        >>> registry.close_matches("vibration.lowpass"), registry.close_matches("signal.nope")
        (['signal.lowpass'], [])
        """
        group, _, short = type_name.rpartition(".")
        scores: dict[str, float] = {}
        for name in self._types:
            their_group, _, their_short = name.rpartition(".")
            ratio = difflib.SequenceMatcher(None, short.lower(), their_short.lower()).ratio()
            prefix = their_short.startswith(short) or short.startswith(their_short)
            if prefix and min(len(short), len(their_short)) >= 3:
                ratio = max(ratio, 0.85)  # "rul" → rul_linear, "pid_controller" → pid
            if ratio >= 0.75:
                scores[name] = ratio + (0.05 if group.lower() == their_group.lower() else 0.0)
        if not scores:
            return []
        best = max(scores.values())
        ranked = sorted((name for name, score in scores.items() if score >= best - 0.1), key=lambda n: -scores[n])
        return ranked[:limit]

    def origin(self, type_name: str) -> str:
        return self._origin.get(type_name, "")

    def copy(self) -> ComponentRegistry:
        """An independent registry with the same types: a project adds its own to a copy, never to the default."""
        copied = ComponentRegistry()
        copied.replace_with(self)
        return copied

    def replace_with(self, other: ComponentRegistry) -> None:
        """Hold exactly ``other``'s types, origins and problems.

        For a registry that canvases, runs and inspectors already hold: it follows the open
        project's components in place, so each holder sees the new types without being told.
        """
        self._types, self._origin, self.problems = dict(other._types), dict(other._origin), list(other.problems)

    def __iter__(self) -> Iterator[type[Component]]:
        return iter(sorted(self._types.values(), key=lambda c: (c.category, c.type_name)))

    def __len__(self) -> int:
        return len(self._types)

    def __contains__(self, type_name: str) -> bool:
        return type_name in self._types

    def load_plugins(self, group: str = ENTRY_POINT_GROUP) -> None:
        for entry in metadata.entry_points(group=group):
            name = f"{entry.name} ({entry.value})"
            try:
                classes = list(_component_classes(entry.load()))
                if not classes:
                    raise ValueError("it provides no component classes")
                # Check every class first: a plug-in loads completely or not at all.
                names = [cls.type_name for cls in classes]
                for cls in classes:
                    problem = declaration_problem(cls)
                    if problem:
                        raise ValueError(f"{cls.__name__}: {problem}")
                    if cls.type_name in self._types or names.count(cls.type_name) > 1:
                        raise ValueError(f"component type '{cls.type_name}' is already provided by "
                                         f"{self._origin.get(cls.type_name, 'this plug-in')}")
                for cls in classes:
                    self.register(cls, origin=f"plug-in {entry.name}")
            except Exception as exc:  # noqa: BLE001 - any failure of foreign code is reported, not raised
                message = f"{type(exc).__name__}: {exc}"
                log.warning("Component plug-in %s was skipped: %s", name, message)
                self.problems.append(PluginProblem(name, message))


def _component_classes(obj: object) -> Iterable[type[Component]]:
    if isinstance(obj, ModuleType):
        obj = getattr(obj, "COMPONENTS", ())
    if inspect.isclass(obj):
        obj = (obj,)
    for item in obj:
        if not (inspect.isclass(item) and issubclass(item, Component)):
            raise TypeError(f"{item!r} is not a Millwright component class")
        yield item


def declaration_problem(cls: type[Component]) -> str | None:
    """What is wrong with a component declaration, or None."""
    if not getattr(cls, "type_name", "") or "." not in cls.type_name:
        return "type_name must look like 'group.name'"
    if not getattr(cls, "title", None) or not cls.title.en:
        return "needs a title"
    if not (cls.__doc__ or "").strip():
        return "needs a docstring stating its formula and a reference"
    names = [p.name for p in cls.inputs] + [p.name for p in cls.outputs]
    if len(set(names)) != len(names):
        return "input and output names must be unique"
    input_names = {p.name for p in cls.inputs}
    param_names = {p.name for p in cls.params}
    for port in cls.inputs + cls.outputs:
        if not isinstance(port.kind, Kind):
            return f"port '{port.name}' has no valid kind"
        source = unit_source(port.unit)
        if port.unit.startswith("=") and source not in input_names:
            return f"port '{port.name}' takes its unit from unknown input '{source}'"
        if port.unit.startswith("@") and source not in param_names:
            return f"port '{port.name}' takes its unit from unknown parameter '{source}'"
    for port in cls.outputs:
        if port.unit == "*":
            return f"output '{port.name}' needs a unit ('' for dimensionless, '=input' to follow an input)"
    try:
        cls.resolve_params({})
    except ValueError as exc:
        return f"its default parameters are invalid: {exc}"
    return None


_default: ComponentRegistry | None = None


def default_registry() -> ComponentRegistry:
    """Built-in components plus installed plug-ins, loaded once per process."""
    global _default
    if _default is None:
        from nodes.library import builtin_components

        registry = ComponentRegistry()
        for cls in builtin_components():
            registry.register(cls)
        registry.load_plugins()
        _default = registry
    return _default
