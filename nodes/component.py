"""The component model: a component is a declaration plus one vectorised ``process`` method.

Declarations are data (:meth:`Component.spec` gives JSON), so the palette, the inspector,
validation, the docs and the app manifest are all derived from them and nothing is written
twice. Units are pint strings; a port unit may also be

* ``"*"`` (input only): any unit, the value passes through unconverted;
* ``"=x"``: the same unit as whatever is wired into input ``x``; an expression may follow,
  ``"=x/s"`` for a derivative, ``"=x*s"`` for an integral;
* ``"@name"``: the unit named by parameter ``name`` (e.g. a unit-conversion target); when the
  parameter is empty, the unit of the first input.

On an input, ``"=x"`` and ``"@name"`` make the engine convert what is wired in to that unit.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from nodes.chunk import Chunk
from nodes.kernels import Kernel


class Kind(enum.StrEnum):
    SIGNAL = "signal"
    BOOLEAN = "boolean"
    SCALAR = "scalar"
    SPECTRUM = "spectrum"
    TABLE = "table"
    EVENTS = "events"


# (from, to) pairs that may be wired besides equal kinds: a boolean is a 0/1 signal, a scalar is
# a signal that changes rarely, and a signal may feed a scalar input (e.g. failure times).
COMPATIBLE_KINDS = {(Kind.BOOLEAN, Kind.SIGNAL), (Kind.SCALAR, Kind.SIGNAL), (Kind.SIGNAL, Kind.SCALAR)}


def kinds_compatible(source: Kind, target: Kind) -> bool:
    return source == target or (source, target) in COMPATIBLE_KINDS


_UNIT_REFERENCE = re.compile(r"^[=@](\w+)(.*)$")


def unit_source(unit: str) -> str | None:
    """The input (``=x…``) or parameter (``@name``) a unit refers to, or None for a plain unit."""
    match = _UNIT_REFERENCE.match(unit)
    return match.group(1) if match else None


def derived_unit(unit: str, base: str) -> str:
    """Apply the expression after ``=x`` (e.g. ``/s``) to the unit ``base`` of input ``x``."""
    match = _UNIT_REFERENCE.match(unit)
    rest = match.group(2) if match else ""
    if not rest:
        return base
    return f"({base}){rest}" if base else f"1{rest}"


@dataclass(frozen=True)
class Text:
    """A user-visible text in English and Simplified Chinese."""

    en: str
    zh: str = ""

    def get(self, language: str = "en") -> str:
        return self.zh if language.startswith("zh") and self.zh else self.en

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


@dataclass(frozen=True)
class Port:
    name: str
    kind: Kind = Kind.SIGNAL
    unit: str = "*"
    title: Text = Text("")
    description: Text = Text("")
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind.value, "unit": self.unit, "required": self.required,
                "title": self.title.to_json(), "description": self.description.to_json()}


PARAM_TYPES = {"float": (int, float), "int": (int,), "bool": (bool,), "str": (str,), "choice": (str,),
               "unit": (str,), "floats": (list,)}


@dataclass(frozen=True)
class Param:
    """A parameter: type, default, range (inclusive) or choices, unit and descriptions."""

    name: str
    type: str = "float"
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    title: Text = Text("")
    description: Text = Text("")

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable, or None."""
        if (self.type == "float" and isinstance(value, bool)) or not isinstance(value, PARAM_TYPES[self.type]):
            return f"must be {_TYPE_WORDS[self.type]} (found {value!r})"
        if self.type == "int" and isinstance(value, bool):
            return f"must be a whole number (found {value!r})"
        if self.type == "float" and not math.isfinite(value):
            return f"must be a finite number (found {value!r})"
        if self.type == "floats" and not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
            return f"must be a list of numbers (found {value!r})"
        if self.type == "choice" and value not in self.choices:
            return f"must be one of {', '.join(self.choices)} (found {value!r})"
        if self.type in ("float", "int"):
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum:g} (found {value!r})"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum:g} (found {value!r})"
        return None

    def to_json(self) -> dict[str, Any]:
        data = {"name": self.name, "type": self.type, "default": self.default, "unit": self.unit,
                "title": self.title.to_json(), "description": self.description.to_json()}
        if self.minimum is not None:
            data["minimum"] = self.minimum
        if self.maximum is not None:
            data["maximum"] = self.maximum
        if self.choices:
            data["choices"] = list(self.choices)
        return data


_TYPE_WORDS = {"float": "a number", "int": "a whole number", "bool": "true or false", "str": "text",
               "choice": "one of the listed choices", "unit": "a unit such as 'mm/s'", "floats": "a list of numbers"}


class ParamError(ValueError):
    """Parameters that do not fit the declaration; ``problems`` maps parameter name to reason."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"parameter '{k}' {v}" for k, v in problems.items()))


class Component:
    """Base class of every component. Subclasses declare, then implement :meth:`process`.

    ``process`` receives one chunk per connected input and the node's state object (from
    :meth:`init_state`), mutates the state in place and returns one chunk per output. It must
    give the same result whatever the chunking of its inputs (state carries what is needed).
    """

    type_name: ClassVar[str]
    version: ClassVar[int] = 1
    category: ClassVar[str] = "signal"
    title: ClassVar[Text]
    inputs: ClassVar[tuple[Port, ...]] = ()
    outputs: ClassVar[tuple[Port, ...]] = ()
    params: ClassVar[tuple[Param, ...]] = ()
    # A feedback component (a delay) may close a cycle: its output for a block comes from its
    # state alone (:meth:`emit`), before its inputs for that block are known.
    feedback: ClassVar[bool] = False
    # Whether the engine checks that every signal input arrives regularly at the ``sample_rate``
    # parameter before ``process`` (see nodes/sample_clock.py): a stream at another rate (by over
    # 1 %), with a gap or with jitter beyond 10 % of the period fails the node with the reason. None (auto)
    # means yes when the component has a ``sample_rate`` parameter; False opts out (a component
    # that uses the timestamps themselves); True opts in and needs a ``sample_rate`` parameter.
    regular_input: ClassVar[bool | None] = None

    def __init__(self, params: Mapping[str, Any] | None = None):
        self.p = self.resolve_params(params or {})

    @classmethod
    def resolve_params(cls, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults filled in and every value checked; raises :class:`ParamError`."""
        declared = {p.name: p for p in cls.params}
        problems = {name: "is not a parameter of this component" for name in given if name not in declared}
        values = {}
        for name, param in declared.items():
            value = given.get(name, param.default)
            if param.type == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            reason = param.check(value)
            if reason:
                problems[name] = reason
            values[name] = value
        if problems:
            raise ParamError(problems)
        cls.check_params(values, problems)
        if problems:
            raise ParamError(problems)
        return values

    @classmethod
    def check_params(cls, values: dict[str, Any], problems: dict[str, str]) -> None:
        """Cross-parameter rules (e.g. low cut-off below high cut-off); add reasons to ``problems``."""

    @classmethod
    def with_input_units(cls, params: Mapping[str, Any], units: Mapping[str, str]) -> type[Component]:
        """This component as it runs with ``units`` (input name → unit) wired into its inputs.

        Most components declare their units and are themselves. One whose arithmetic and output
        unit follow what is wired in (a formula) checks its parameters against the units here,
        raising :class:`ParamError` with the reason, and returns a subclass that knows them:
        validation resolves the class of every node this way and the engine builds the node from it.
        ``units`` holds the connected inputs whose unit is known.
        """
        return cls

    @classmethod
    def migrate_params(cls, params: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Bring parameters saved by an older version of this component up to date."""
        return params

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """The declaration as JSON-able data (palette, docs, manifest, JSON Schema)."""
        doc = (cls.__doc__ or "").strip()
        return {"type": cls.type_name, "version": cls.version, "category": cls.category,
                "title": cls.title.to_json(), "summary": doc.splitlines()[0] if doc else "",
                "inputs": [p.to_json() for p in cls.inputs], "outputs": [p.to_json() for p in cls.outputs],
                "params": [p.to_json() for p in cls.params], "feedback": cls.feedback}

    @classmethod
    def port_kind(cls, port: Port, params: Mapping[str, Any]) -> Kind:
        """The kind of ``port`` under ``params`` (a graph input may be boolean or a signal)."""
        return port.kind

    def init_state(self) -> Any:
        return None

    def process(self, inputs: dict[str, Chunk], state: Any) -> dict[str, Chunk]:
        raise NotImplementedError

    def emit(self, state: Any, t) -> dict[str, Chunk]:
        """Feedback components only: outputs at timestamps ``t`` from the state alone."""
        raise NotImplementedError

    def absorb(self, inputs: dict[str, Chunk], state: Any) -> None:
        """Feedback components only: take the block's inputs after the rest of the loop ran."""
        raise NotImplementedError

    def feedback_capacity(self) -> int:
        """Feedback components only: how many samples :meth:`emit` can give before new input."""
        return 1

    def kernel(self, state: Any) -> Kernel | None:
        """This component's per-sample step for fusion (:mod:`nodes.kernels`), or None.

        A chain of components that all declare one runs as one compiled pass over each chunk instead
        of a pass per component; a component without one (the default) runs its ``process`` as
        always. ``state`` is what :meth:`init_state` gave: some kernels take coefficients from it.
        """
        return None
