"""The formula component: ``y = f(x1, …, x6)`` typed by the model author, checked and unit-aware.

The expression language, its whitelist and its unit rules are in :mod:`nodes.formula`; this module
makes a node of it. A node's ports are declared by its class, and the canvas, validation and the
app manifest read them from there, so a formula has six fixed inputs ``x1`` … ``x6`` (all
optional), and the ``names`` parameter lets the expression call them ``flow``, ``head``, ``eta``.
Ports that follow a parameter would need every one of those readers to ask the node instead of
its class; six inputs cover the formulas engineers put on one node, and a longer one reads better
split over several.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from nodes.chunk import BAD, Chunk, require_aligned, worst_quality
from nodes.component import Component, Kind, Param, ParamError, Port, Text
from nodes.formula import FormulaError, ParsedFormula, check_names, parse
from nodes.formula_units import BoundFormula
from nodes.units import UnitError
from nodes.units import parse as parse_unit

INPUTS = 6


def _input(i: int) -> Port:
    return Port(f"x{i}", Kind.SIGNAL, "*", Text(f"x{i}", f"x{i}"),
                Text(f"Input {i}: called x{i} in the formula, or by the {_ordinal(i)} of the names given.",
                     f"输入 {i}：公式中记作 x{i}，或用所给名称中的第 {i} 个。"), required=False)


def _ordinal(i: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(i, f"{i}th")


class Formula(Component):
    """Formula over the inputs: ``y = f(x1, …, x6)``, e.g. ``y = flow · head · ρ · g / η``.

    The ``expression`` is written like Python over the inputs (by their ``names``, else ``x1`` …
    ``x6``), numbers and the functions below, and is checked as it is typed: its syntax, that it
    uses only what is listed here, and that its units agree. Each input brings the unit of what is
    wired to it; a number may carry a unit in brackets, ``9.81[m/s^2]``. The result is converted to
    ``output_unit``; when the dimensions differ the node says what the formula gives, e.g. "the
    formula gives m⁴/h, which cannot be shown in kW". An empty ``output_unit`` keeps the unit the
    formula gives.

    What a formula may contain:

    * numbers (``2``, ``0.5``, ``1e-3``), optionally with a unit: ``1000[kg/m^3]``, ``50[degC]``;
    * the inputs; the constants ``pi``, ``e``, ``nan`` and ``inf``;
    * ``+ - * / **`` (a quantity with a unit may be raised to a constant power of at most 100);
    * comparisons ``< <= > >= == !=``, chained as in ``0 < x < 1``, and ``and``, ``or``, ``not``
      (per sample; a condition is 1 where true, 0 where false);
    * ``a if condition else b`` (per sample, as ``where(condition, a, b)``);
    * functions of a plain number: ``exp log log10 log2 log1p expm1 sin cos tan arcsin arccos
      arctan sinh cosh tanh floor ceil round(x, decimals=n)``;
    * functions that keep the unit: ``abs minimum(a, b) maximum(a, b) clip(x, low, high)
      hypot(a, b) where(condition, a, b)``; ``sqrt cbrt square`` take its root or square;
    * ``arctan2(y, x)``, ``sign(x)``, ``isnan(x)``, ``isfinite(x)`` give plain numbers.

    Anything else is refused with the token and its column: attribute access (``x.real``),
    subscripts, calls of other functions, keyword arguments other than ``decimals``, text, lambdas,
    comprehensions and names that start with ``_``. The expression never reaches Python's ``eval``:
    it is checked on its parsed tree and computed with numpy, in SI base units (°C in kelvin, so
    the difference of two temperatures in °C comes out in K).

    A sample is bad where an input the formula uses is bad, and where the result is not a finite
    number (a division by zero, the logarithm of a negative number, ``nan``); otherwise it has the
    worst quality of those inputs. The inputs the formula uses must be sampled at the same times
    (an *Align by time* node before it aligns them).

    References
    ----------
    BIPM, *The International System of Units (SI)*, 9th ed., 2019 (quantity calculus: a value is a
    number times a unit).
    ISO 80000-1:2022, *Quantities and units — Part 1: General*.

    Examples
    --------
    Hydraulic power of a pump, ``P = Q · H · g · ρ / η``, from a flow in m³/h, a head in m and an
    efficiency in %, shown in kW: 100 m³/h at 30 m with η = 75 % takes 10.9 kW.

    >>> from nodes.chunk import Chunk
    >>> params = {"expression": "flow * head * 9.81[m/s^2] * 1000[kg/m^3] / eta",
    ...           "names": "flow, head, eta", "output_unit": "kW"}
    >>> node = Formula.with_input_units(params, {"x1": "m^3/h", "x2": "m", "x3": "%"})(params)
    >>> out = node.process({"x1": Chunk.of([0], [100.0]), "x2": Chunk.of([0], [30.0]),
    ...                     "x3": Chunk.of([0], [75.0])}, None)
    >>> round(float(out["y"].v[0]), 2)
    10.9

    Without the units of g and ρ the formula gives m⁴/h, and the node says why it cannot be kW:

    >>> Formula.with_input_units({**params, "expression": "flow * head * 9.81 / eta"},
    ...                          {"x1": "m^3/h", "x2": "m", "x3": "%"})
    Traceback (most recent call last):
    ...
    nodes.component.ParamError: parameter 'expression' does not fit its inputs: the formula gives m⁴/h, which ...
    """

    type_name = "signal.formula"
    title = Text("Formula", "公式")
    inputs = tuple(_input(i) for i in range(1, INPUTS + 1))
    outputs = (Port("y", Kind.SIGNAL, "@output_unit", Text("Result", "结果")),)
    params = (Param("expression", "str", "x1", title=Text("Formula", "公式"),
                    description=Text("The expression over the inputs, e.g. flow * head * 9.81[m/s^2] / eta; see "
                                     "the documentation for what it may contain.",
                                     "输入量的表达式，例如 flow * head * 9.81[m/s^2] / eta；可用内容见文档。")),
              Param("output_unit", "unit", "", title=Text("Output unit", "输出单位"),
                    description=Text("Unit the result is shown in; empty keeps the unit the formula gives.",
                                     "结果的显示单位；为空则使用公式算出的单位。")),
              Param("names", "str", "", title=Text("Input names", "输入名称"),
                    description=Text("Names of x1, x2, … in the formula, separated by commas (flow, head, eta); "
                                     "an input without a name is called x1, x2, ….",
                                     "公式中 x1、x2 … 的名称，以逗号分隔（flow, head, eta）；"
                                     "未命名的输入记作 x1、x2 …。")))
    # Set on the class that :meth:`with_input_units` makes for one node: input port → its unit.
    input_units: ClassVar[Mapping[str, str] | None] = None

    @classmethod
    def variables(cls, values: Mapping[str, Any]) -> dict[str, str]:
        """Input port → the name the formula calls it by; FormulaError for bad names."""
        names = check_names(str(values.get("names", "")), len(cls.inputs))
        return {port.name: (names[i] if i < len(names) and names[i] else port.name)
                for i, port in enumerate(cls.inputs)}

    @classmethod
    def check_params(cls, values: dict[str, Any], problems: dict[str, str]) -> None:
        try:
            variables = cls.variables(values)
        except FormulaError as exc:
            problems["names"] = f"cannot be used: {exc}"
            return
        try:
            parse(str(values["expression"]), list(variables.values()))
        except FormulaError as exc:
            problems["expression"] = f"cannot be used: {exc}"

    @classmethod
    def with_input_units(cls, params: Mapping[str, Any], units: Mapping[str, str]) -> type[Formula]:
        root = next(c for c in cls.__mro__ if "type_name" in c.__dict__)  # the registered class
        try:
            parse_unit(str(params.get("output_unit", "")))
        except UnitError:
            return root  # the unit parameter's own check reports it
        try:
            bound = root._bind(params, units)
        except FormulaError as exc:
            raise ParamError({"expression": f"does not fit its inputs: {exc}"}) from None
        output = replace(root.outputs[0], unit=bound.output_unit)
        return type(root.__name__, (root,), {"__doc__": root.__doc__, "__module__": root.__module__,
                                             "input_units": dict(units), "outputs": (output,)})

    @classmethod
    def _bind(cls, params: Mapping[str, Any], units: Mapping[str, str]) -> BoundFormula:
        variables = cls.variables(params)
        parsed = _parsed(str(params["expression"]), tuple(variables.values()))
        unconnected = [f"'{name}'" + (f" (input {port})" if name != port else "") for port, name in variables.items()
                       if name in parsed.used and port not in units]
        if unconnected:
            raise FormulaError(f"the formula uses {', '.join(unconnected)}, which "
                               f"{'is' if len(unconnected) == 1 else 'are'} not connected")
        if not units:
            raise FormulaError("no input is connected; the result is computed at the times of the inputs")
        return _bound(str(params["expression"]), tuple(variables.values()),
                      tuple((name, str(units[port])) for port, name in variables.items() if port in units),
                      str(params.get("output_unit", "")))

    def __init__(self, params: Mapping[str, Any] | None = None):
        super().__init__(params)
        self.ports = self.variables(self.p)
        units = self.input_units if self.input_units is not None else dict.fromkeys(self.ports, "")
        self.formula: BoundFormula = self._bind(self.p, units)
        parsed: ParsedFormula = self.formula.formula
        self.used = [port for port, name in self.ports.items() if name in parsed.used]

    def process(self, inputs, state):
        used = {port: inputs[port] for port in self.used}
        first = next(iter(used.values())) if used else next(iter(inputs.values()))
        if len(used) > 1:
            require_aligned(used)
        n = len(first)
        y = self.formula({self.ports[port]: chunk.v for port, chunk in used.items()}, n)
        q = worst_quality(*(chunk.q for chunk in used.values())).astype(np.uint8) if used \
            else np.zeros(n, np.uint8)
        q = np.where(np.isfinite(y), q, BAD).astype(np.uint8)
        return {"y": Chunk(first.t, y, q)}


# Validation binds every formula of a graph each time the graph is checked (the inspector does so while the
# author types): an unchanged formula over unchanged units is bound once. Both results are never mutated.
@lru_cache(maxsize=512)
def _parsed(expression: str, names: tuple[str, ...]) -> ParsedFormula:
    return parse(expression, list(names))


@lru_cache(maxsize=512)
def _bound(expression: str, names: tuple[str, ...], units: tuple[tuple[str, str], ...],
           output_unit: str) -> BoundFormula:
    return _parsed(expression, names).bind(dict(units), output_unit)


COMPONENTS = (Formula,)
