"""Formulas, stage 2: the unit of every term through pint, and the closures that compute it with numpy.

:func:`bind` takes a formula that passed :func:`nodes.formula.parse` and the units of its inputs,
checks the dimensions of every operator and function (``flow + head`` adds m to m³/h: refused),
converts the result to the declared output unit and returns a :class:`BoundFormula`, a tree of
closures over numpy functions. Numbers are computed in SI base units: inputs and unit literals are
converted on the way in, the result on the way out, so like quantities in different units (m and
mm) combine correctly, and offset scales (°C) are computed in kelvin.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pint

from nodes.formula import (
    BINARY,
    COMPARE,
    CONSTANTS,
    FUNCTIONS,
    MAX_EXPONENT,
    FormulaError,
    ParsedFormula,
    as_float,
    as_number,
    round_to,
)
from nodes.units import Conversion, UnitError, conversion, dimension_name, registry
from nodes.units import parse as parse_unit

_DIMENSIONLESS = registry.dimensionless


@dataclass(frozen=True)
class BoundFormula:
    """A formula with units checked: ``unit`` is what it gives, ``output_unit`` what it is shown in."""

    formula: ParsedFormula
    unit: pint.Unit
    output_unit: str
    _inputs: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...]
    _root: Callable[[dict[str, Any]], Any]
    _output: Conversion

    @property
    def unit_text(self) -> str:
        """What the formula gives, as an engineer writes it (m⁴/h)."""
        return show_unit(self.unit)

    def __call__(self, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """The formula over ``n`` samples, a new array; ``values`` maps each used input to its array.

        Arithmetic is IEEE: a division by zero gives ±inf or NaN, never an exception.
        """
        with np.errstate(all="ignore"):
            env = {name: to_base(np.asarray(values[name], dtype=np.float64)) for name, to_base in self._inputs}
            result = np.asarray(self._root(env), dtype=np.float64)
            if result.shape != (n,) or any(np.may_share_memory(result, v) for v in (*values.values(), *env.values())):
                result = np.array(np.broadcast_to(result, (n,)), dtype=np.float64)  # a constant, or an input as is
            if not self._output.identity:  # in place: the result is ours
                result *= self._output.scale
                if self._output.offset:
                    result += self._output.offset
        return result


def bind(formula: ParsedFormula, input_units: Mapping[str, str], output_unit: str = "") -> BoundFormula:
    """Check the units of ``formula`` and build its evaluator (see :meth:`ParsedFormula.bind`)."""
    missing = [name for name in formula.used if name not in input_units]
    if missing:
        raise FormulaError(f"the formula uses {_names(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                           "not connected")
    units = {}
    for name in formula.used:
        try:
            units[name] = parse_unit(input_units[name])
            _base(units[name])
        except OverflowError:
            raise FormulaError(f"input '{name}': {input_units[name]} is too large a power of a unit to compute "
                               "with") from None
        except UnitError as exc:
            raise FormulaError(f"input '{name}': {exc}") from None
    try:
        term = _Binder(formula, units).visit(formula.tree.body)
        return _finish(formula, term, units, output_unit)
    except (OverflowError, UnitError) as exc:
        # A unit whose power is so large that its factor overflows float64 (h¹⁰⁰ is 3600¹⁰⁰ s¹⁰⁰), or one
        # our unit parser refuses (m²⁰⁰): the operators name their own; this is for what they cannot see.
        raise FormulaError(f"the units of the formula cannot be worked out: {_overflow(exc)}; divide by a unit "
                           "first, as in (x / 1[h])**2") from None


def _overflow(exc: Exception) -> str:
    return "a power of a unit is too large" if isinstance(exc, OverflowError) else str(exc)


def _names(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def show_unit(unit: pint.Unit | None) -> str:
    """A unit as engineers write it: m⁴/h, kg/m³; 'a plain number' when dimensionless."""
    if unit is None or (unit.dimensionless and str(unit) == "dimensionless"):
        return "a plain number"
    return f"{unit:~P}"


@lru_cache(maxsize=1024)  # pint's to_base_units costs ~0.1 ms; a formula asks it for each operator
def _base(unit: pint.Unit) -> pint.Unit:
    return registry.Quantity(1.0, unit).to_base_units().units


@lru_cache(maxsize=1024)
def _is_offset(unit: pint.Unit) -> bool:
    return conversion(str(unit), str(_base(unit))).offset != 0.0


def _arithmetic(unit: pint.Unit) -> pint.Unit:
    """The unit a term has inside arithmetic: offset scales (°C) count as their base (K)."""
    return _base(unit) if _is_offset(unit) else unit


def _factor(unit: pint.Unit | None) -> pint.Unit:
    """The unit a factor brings to a product or power: a % or ppm is a plain number there (m⁴/h, not m⁴/h/%)."""
    if unit is None or unit.dimensionless:
        return _DIMENSIONLESS
    return _arithmetic(unit)


@dataclass(frozen=True)
class _Term:
    """A checked sub-expression: its unit (None: fits any, as 0, nan and inf do) and its closure."""

    unit: pint.Unit | None
    fn: Callable[[dict[str, Any]], Any]
    zero: bool = False  # a bare 0: fits any unit except an offset scale, where it is ambiguous


class _Binder:
    """Stage 2: the unit of every node (pint dimensional analysis) and the closure that computes it."""

    def __init__(self, formula: ParsedFormula, units: Mapping[str, pint.Unit]):
        self.formula = formula
        self.units = units

    def where(self, node: ast.AST, byte_column: int | None = None) -> str:
        return self.formula.source.at(node, byte_column)

    def visit(self, node: ast.AST) -> _Term:
        return getattr(self, f"visit_{type(node).__name__}")(node)

    # leaves
    def visit_Constant(self, node: ast.Constant) -> _Term:
        value = as_float(node.value)
        unit_text = self.formula.literals.get(node.col_offset)
        if unit_text is None:
            constant = np.float64(value)
            free = value == 0.0 or not math.isfinite(value)
            return _Term(None if free else _DIMENSIONLESS, lambda env: constant, zero=value == 0.0)
        where = self.where(node)
        if not unit_text:
            raise FormulaError(f"the brackets after the number at {where} hold no unit; write one, as in 9.81[m/s^2]")
        try:
            unit = parse_unit(unit_text)
        except UnitError as exc:
            raise FormulaError(f"the unit of the number at {where}: {exc}") from None
        try:
            constant = np.float64(conversion(str(unit), str(_base(unit)))(value))
        except (OverflowError, UnitError) as exc:
            raise FormulaError(f"the unit of the number at {where}: {unit_text} cannot be computed with "
                               f"({_overflow(exc)})") from None
        return _Term(unit, lambda env: constant)

    def visit_Name(self, node: ast.Name) -> _Term:
        name = node.id
        if name in self.units:
            return _Term(self.units[name], lambda env: env[name])
        constant = np.float64(CONSTANTS[name])
        return _Term(_DIMENSIONLESS if math.isfinite(constant) else None, lambda env: constant)

    # operators
    def visit_UnaryOp(self, node: ast.UnaryOp) -> _Term:
        operand = self.visit(node.operand)
        fn = operand.fn
        if isinstance(node.op, ast.Not):
            self._plain(operand, node.operand, "'not' needs a condition")
            return _Term(_DIMENSIONLESS, lambda env: as_number(np.logical_not(fn(env))))
        unit = None if operand.unit is None else _arithmetic(operand.unit)
        if isinstance(node.op, ast.USub):
            return _Term(unit, lambda env: -fn(env), zero=operand.zero)
        return _Term(unit, fn, zero=operand.zero)

    def visit_BinOp(self, node: ast.BinOp) -> _Term:
        symbol, impl = BINARY[type(node.op)]
        left, right = self.visit(node.left), self.visit(node.right)
        column = self.formula.source.find(node.left, symbol)
        a, b = left.fn, right.fn
        fn = lambda env: impl(a(env), b(env))  # noqa: E731 - one closure per operator node
        if symbol in "+-":
            verb, joint = ("adds", "to") if symbol == "+" else ("subtracts", "from")
            unit = self._same([(left, node.left), (right, node.right)],
                              lambda a, b: f"'{symbol}' at {self.where(node, column)} {verb} {b} {joint} {a}: both "
                                           "sides need the same dimension")
            return _Term(None if unit is None else _arithmetic(unit), fn, zero=left.zero and right.zero)
        if symbol in "*/":
            if left.unit is None and right.unit is None:
                return _Term(None, fn)
            lu, ru = _factor(left.unit), _factor(right.unit)
            return _Term(self._bounded(lu * ru if symbol == "*" else lu / ru, node, column, symbol), fn)
        return self._power(node, left, right, fn, column)

    def _bounded(self, unit: pint.Unit, node: ast.AST, column: int, symbol: str) -> pint.Unit:
        """``unit``, if it can be computed with: powers of at most MAX_EXPONENT and a factor float64 can hold."""
        try:
            ok = all(abs(power) <= MAX_EXPONENT for power in unit.dimensionality.values())
            if ok:
                _base(unit)
        except (OverflowError, UnitError):
            ok = False
        if not ok:
            raise FormulaError(f"'{symbol}' at {self.where(node, column)} gives {show_unit(unit)}, too large a power "
                               f"of a unit to compute with; divide by a unit first, as in (x / 1[h])**2")
        return unit

    def _power(self, node: ast.BinOp, base: _Term, exponent: _Term, fn, column: int) -> _Term:
        where = self.where(node, column)
        if exponent.unit is not None and not exponent.unit.dimensionless:
            raise FormulaError(f"the exponent of '**' at {where} is {show_unit(exponent.unit)}; an exponent must be "
                               "a plain number")
        if base.unit is None or base.unit.dimensionless:
            unit = None if base.unit is None else _DIMENSIONLESS
            return _Term(unit, fn)
        value = self.formula.constants.get(id(node.right))
        if value is None:
            raise FormulaError(f"'**' at {where} raises {show_unit(base.unit)} to a power that is not a constant "
                               "number; the unit of the result would change with the data (write e.g. x**2, or "
                               "divide by a unit first: (x / 1[m])**k)")
        if value == 0:  # pint keeps m**0 as a unit of its own, which no unit string can name
            return _Term(_DIMENSIONLESS, fn)
        return _Term(self._bounded(_factor(base.unit) ** value, node, column, "**"), fn)

    def visit_BoolOp(self, node: ast.BoolOp) -> _Term:
        terms = [self.visit(value) for value in node.values]
        word = "and" if isinstance(node.op, ast.And) else "or"
        for term, value in zip(terms, node.values, strict=True):
            self._plain(term, value, f"'{word}' needs conditions")
        impl = np.logical_and if word == "and" else np.logical_or
        fns = [term.fn for term in terms]

        def combine(env):
            result = fns[0](env)
            for f in fns[1:]:
                result = impl(result, f(env))
            return as_number(result)
        return _Term(_DIMENSIONLESS, combine)

    def visit_Compare(self, node: ast.Compare) -> _Term:
        operands = [node.left, *node.comparators]
        terms = [self.visit(operand) for operand in operands]
        pairs = []
        for i, op in enumerate(node.ops):
            symbol, impl = COMPARE[type(op)]
            column = self.formula.source.find(operands[i], symbol[0])
            at = self.where(node, column)
            self._same([(terms[i], operands[i]), (terms[i + 1], operands[i + 1])],
                       lambda a, b, symbol=symbol, at=at: f"'{symbol}' at {at} compares {a} with {b}")
            pairs.append((impl, terms[i].fn, terms[i + 1].fn))

        def compare(env):
            result = None
            for impl, a, b in pairs:
                step = impl(a(env), b(env))
                result = step if result is None else np.logical_and(result, step)
            return as_number(result)
        return _Term(_DIMENSIONLESS, compare)

    def visit_IfExp(self, node: ast.IfExp) -> _Term:
        test, body, orelse = self.visit(node.test), self.visit(node.body), self.visit(node.orelse)
        self._plain(test, node.test, "the condition after 'if' must be a comparison or a plain number")
        unit = self._same([(body, node.body), (orelse, node.orelse)],
                          lambda a, b: f"'if ... else' at {self.where(node)} chooses between {a} and {b}: both need "
                                       "the same dimension")
        t, a, b = test.fn, body.fn, orelse.fn
        return _Term(unit, lambda env: np.where(t(env), a(env), b(env)), zero=body.zero and orelse.zero)

    def visit_Call(self, node: ast.Call) -> _Term:
        name = node.func.id
        function = FUNCTIONS[name]
        args = [self.visit(arg) for arg in node.args]
        keywords = {kw.arg: self.visit(kw.value) for kw in node.keywords}
        fns = [arg.fn for arg in args]
        impl = function.impl
        where = self.where(node)
        pairs = list(zip(args, node.args, strict=True))
        rule = function.units
        if rule == "plain":
            self._plain(args[0], node.args[0], f"{name}() at {where} needs a plain number (dimensionless)")
            unit = _DIMENSIONLESS if args[0].unit is not None else None
        elif rule == "power":
            unit = None if args[0].unit is None else self._bounded(_factor(args[0].unit) ** function.power, node,
                                                                   node.col_offset, f"{name}()")
        elif rule == "same":
            unit = self._same(pairs, lambda a, b: f"{name}() at {where} is given {a} and {b}: its arguments need "
                                                  "the same dimension")
            unit = None if unit is None else _arithmetic(unit)
        elif rule == "ratio":
            self._same(pairs, lambda a, b: f"{name}() at {where} is given {a} and {b}: its arguments need the "
                                           "same dimension")
            unit = _DIMENSIONLESS
        elif rule == "any":
            unit = _DIMENSIONLESS
        elif rule == "where":
            self._plain(args[0], node.args[0], f"the condition of where() at {where} must be a comparison or a "
                        "plain number")
            unit = self._same(pairs[1:], lambda a, b: f"where() at {where} chooses between {a} and {b}: both need "
                                                      "the same dimension")
        else:  # round
            self._plain(args[0], node.args[0], f"round() at {where} needs a plain number",
                        "; divide by a unit first, as in round(x / 1[m^3/h], decimals=1)")
            decimals = args[1:] + list(keywords.values())
            if decimals:
                value = self.formula.constants.get(id((node.args[1:] + [kw.value for kw in node.keywords])[0]))
                if value is None or not float(value).is_integer() or abs(value) > 15:
                    raise FormulaError(f"the decimals of round() at {where} must be a whole number from -15 to 15")
                digits = int(value)
                first = fns[0]
                return _Term(_DIMENSIONLESS, lambda env: round_to(first(env), digits))
            unit = _DIMENSIONLESS
        if len(fns) == 1:
            only = fns[0]
            return _Term(unit, lambda env: impl(only(env)))
        return _Term(unit, lambda env: impl(*(f(env) for f in fns)))

    # unit rules
    def _plain(self, term: _Term, node: ast.AST, what: str, hint: str = "") -> None:
        if term.unit is not None and not term.unit.dimensionless:
            raise FormulaError(f"{what}, but {self.formula.source.segment(node)!r} is {show_unit(term.unit)}{hint}")

    def _same(self, terms: Sequence[tuple[_Term, ast.AST]], message: Callable[[str, str], str]) -> pint.Unit | None:
        """The common unit of terms that must share a dimension (the first's); None if all fit any unit.

        ``message(first, other)`` says what is wrong, given the two units as shown.
        """
        known = [(term, node) for term, node in terms if term.unit is not None]
        if not known:
            return None
        first = known[0][0]
        for term, _ in known[1:]:
            if term.unit.dimensionality != first.unit.dimensionality:
                hint = ""
                if term.unit.dimensionless or first.unit.dimensionless:
                    other = first.unit if term.unit.dimensionless else term.unit
                    hint = f" (give the number a unit, as in 5[{show_unit(other)}])"
                raise FormulaError(message(show_unit(first.unit), show_unit(term.unit)) + hint)
        if any(term.zero for term, _ in terms) and any(_is_offset(term.unit) for term, _ in known):
            node = next(node for term, node in terms if term.zero)
            raise FormulaError(f"the 0 at {self.where(node)} beside {show_unit(first.unit)} is ambiguous on an "
                               f"offset scale; write 0[{first.unit:~C}] or 0[K]")
        return first.unit


def _finish(formula: ParsedFormula, term: _Term, units: Mapping[str, pint.Unit], output_unit: str) -> BoundFormula:
    unit = _DIMENSIONLESS if term.unit is None else term.unit
    shown = output_unit.strip()
    if shown:
        try:
            target = parse_unit(shown)
            _base(target)
        except OverflowError:
            raise FormulaError(f"the output unit: {shown} is too large a power of a unit to compute with") from None
        except UnitError as exc:
            raise FormulaError(f"the output unit: {exc}") from None
        if target.dimensionality != unit.dimensionality:
            missing = (registry.Quantity(1.0, target) / registry.Quantity(1.0, unit)).to_base_units().units
            measures = [f"{text} is {_dimension(u)}" for text, u in ((show_unit(unit), unit), (shown, target))
                        if u.dimensionality]
            raise FormulaError(f"the formula gives {show_unit(unit)}, which cannot be shown in {shown} "
                               f"({', '.join(measures)}; a factor in {show_unit(missing)} is missing)")
    else:
        shown = port_unit(unit)
    to_output = conversion(str(_base(unit)), shown)
    inputs = tuple((name, _converter(conversion(str(u), str(_base(u))))) for name, u in units.items())
    return BoundFormula(formula, unit, shown, inputs, term.fn, to_output)


def _converter(convert: Conversion) -> Callable[[np.ndarray], np.ndarray]:
    """``convert`` in as few passes over the data as it needs (most units have no offset)."""
    if convert.identity:
        return lambda values: values
    if not convert.offset:
        scale = convert.scale
        return lambda values: values * scale
    return convert


def port_unit(unit: pint.Unit) -> str:
    """A unit as a port's unit string that parses back to it (m**4/h, else pint's long form)."""
    if unit.dimensionless and str(unit) == "dimensionless":
        return ""
    short = f"{unit:~C}"
    try:
        if parse_unit(short) == unit:
            return short
    except UnitError:
        pass
    return str(unit)


def _dimension(unit: pint.Unit) -> str:
    """What a unit measures: "a power", else its dimension as engineers read it ([length]⁴/[time])."""
    if not unit.dimensionality:
        return "a plain number"
    name = dimension_name(unit)
    return f"of dimension {unit.dimensionality:P}" if name.startswith("dimension ") else name
