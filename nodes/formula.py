"""Formulas: an expression over named inputs, checked by our own whitelist, unit-aware, run on numpy arrays.

A model author writes ``flow * head * 9.81[m/s^2] * 1000[kg/m^3] / eta`` and gets a node. What
may be written is decided here, on Python's parsed tree (:mod:`ast`), never by ``eval``: every
node of the tree is one this module knows (numbers, the node's inputs, a fixed set of numpy
functions and constants, arithmetic, comparisons, ``and``/``or``/``not``, ``a if c else b``), and
anything else is refused with the offending token and its column. The checked tree is then turned
into a tree of closures over numpy functions, so nothing of the user's text ever reaches Python's
compiler, and the whitelist is the only boundary there is to get right.

Checking runs in two stages, because the units of the inputs are known only once they are wired:

1. :func:`parse` - syntax, the whitelist, names, function arity and the bounds that keep a
   formula cheap (length, size, depth, the magnitude of constant exponents: ``x ** 10**10`` and
   ``9**9**9`` are refused before anything is computed);
2. :meth:`ParsedFormula.bind` - dimensional analysis with pint over the tree, given each input's
   unit; the result is converted to the declared output unit, and when the dimensions do not
   match the message says what the formula gives ("the formula gives m⁴/h, which cannot be shown
   in kW ...").

Numbers are computed in SI base units (inputs and unit literals are converted on the way in, the
result on the way out), so ``a + b`` with ``a`` in m and ``b`` in mm adds like quantities.
Temperatures on offset scales (°C, °F) are computed in kelvin: the mean of two °C inputs shown in
°C is right, and the difference of two of them comes out in K.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pint

from nodes.units import UnitError, conversion, dimension_name, registry
from nodes.units import parse as parse_unit

MAX_LENGTH = 2000  # characters of a formula
MAX_NODES = 400  # nodes of its parsed tree
MAX_DEPTH = 60  # nesting of its parsed tree
MAX_EXPONENT = 100.0  # magnitude of a constant exponent

NOT_ALLOWED = "is not allowed: formulas may use inputs, numbers and the functions listed"


@dataclass(frozen=True)
class Function:
    """A function formulas may call: its numpy implementation, arity and rule for units.

    ``units`` is one of ``plain`` (dimensionless in, dimensionless out), ``same`` (arguments of one
    dimension, result in it), ``power`` (the argument's unit to ``power``), ``ratio`` (arguments of
    one dimension, a plain number out), ``any`` (any unit in, a plain number out), ``where``
    (condition, then two values of one dimension) and ``round`` (plain number, optional decimals).
    """

    impl: Callable[..., Any]
    arity: tuple[int, ...]
    units: str
    power: float = 1.0
    keywords: tuple[str, ...] = ()


def _round(x, decimals=0):
    return np.round(x, int(decimals))


FUNCTIONS: dict[str, Function] = {
    **{name: Function(getattr(np, name), (1,), "plain")
       for name in ("exp", "log", "log10", "log2", "log1p", "expm1", "sin", "cos", "tan", "arcsin", "arccos",
                    "arctan", "sinh", "cosh", "tanh", "floor", "ceil")},
    "sqrt": Function(np.sqrt, (1,), "power", 0.5),
    "cbrt": Function(np.cbrt, (1,), "power", 1.0 / 3.0),
    "square": Function(np.square, (1,), "power", 2.0),
    "abs": Function(np.abs, (1,), "same"),
    "minimum": Function(np.minimum, (2,), "same"),
    "maximum": Function(np.maximum, (2,), "same"),
    "hypot": Function(np.hypot, (2,), "same"),
    "clip": Function(np.clip, (3,), "same"),
    "arctan2": Function(np.arctan2, (2,), "ratio"),
    "sign": Function(np.sign, (1,), "any"),
    "isnan": Function(np.isnan, (1,), "any"),
    "isfinite": Function(np.isfinite, (1,), "any"),
    "where": Function(np.where, (3,), "where"),
    "round": Function(_round, (1, 2), "round", keywords=("decimals",)),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "nan": math.nan, "inf": math.inf}

_BINARY = {ast.Add: ("+", np.add), ast.Sub: ("-", np.subtract), ast.Mult: ("*", np.multiply),
           ast.Div: ("/", np.true_divide), ast.Pow: ("**", np.power)}
_REFUSED_BINARY = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                   ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}
_COMPARE = {ast.Lt: ("<", np.less), ast.LtE: ("<=", np.less_equal), ast.Gt: (">", np.greater),
            ast.GtE: (">=", np.greater_equal), ast.Eq: ("==", np.equal), ast.NotEq: ("!=", np.not_equal)}
_REFUSED_COMPARE = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
_TOKENS = {ast.Lambda: "lambda", ast.ListComp: "for", ast.SetComp: "for", ast.DictComp: "for",
           ast.GeneratorExp: "for", ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
           ast.NamedExpr: ":=", ast.Starred: "*", ast.JoinedStr: "f-string", ast.Dict: "{", ast.Set: "{",
           ast.List: "[", ast.Slice: ":"}

# A number followed by a unit in brackets: 9.81[m/s^2]. Not after a letter, digit or dot (x1[0]).
_UNIT_LITERAL = re.compile(r"(?<![\w.])((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(\s*)\[([^\[\]\n]*)\]")


class FormulaError(ValueError):
    """A formula that cannot be used; the message names the token and where it is."""


@dataclass(frozen=True)
class Source:
    """The formula's text as parsed (without leading spaces, ``shift`` of them) and where things are in it."""

    text: str
    shift: int = 0

    def column(self, byte_column: int) -> int:
        """1-based column, in characters of the user's text, of an AST byte offset (names may be 流量)."""
        return len(self.text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore")) + 1 + self.shift

    def at(self, node: ast.AST, byte_column: int | None = None) -> str:
        return f"column {self.column(node.col_offset if byte_column is None else byte_column)}"

    def segment(self, node: ast.AST) -> str:
        """The text of ``node`` (shortened), for naming it in a message."""
        text = ast.get_source_segment(self.text, node) or type(node).__name__
        return text if len(text) <= 24 else text[:21] + "..."

    def find(self, before: ast.AST, token: str) -> int:
        """Byte offset of ``token`` after the node ``before``: where an operator is."""
        index = self.text.encode("utf-8").find(token.encode("utf-8"), before.end_col_offset)
        return index if index >= 0 else before.end_col_offset


@dataclass(frozen=True)
class _Problem:
    rank: int  # 0: an escape attempt (dunder, attribute, call outside the list); 1: other syntax; 2: names
    column: int
    message: str


@dataclass
class ParsedFormula:
    """A formula that passed the structural checks; :meth:`bind` adds units and makes it runnable."""

    text: str
    names: tuple[str, ...]
    tree: ast.Expression
    used: tuple[str, ...]  # input names the formula reads, in the order of ``names``
    literals: dict[int, str]  # byte offset of a number in the tree -> its unit text
    constants: dict[int, float] = field(repr=False)  # id(node) -> folded value of constant sub-expressions
    source: Source = field(repr=False)

    def bind(self, input_units: Mapping[str, str], output_unit: str = "") -> BoundFormula:
        """Check units and build the evaluator; ``input_units`` maps each used input to its unit.

        ``output_unit`` empty keeps the unit the formula gives. Raises :class:`FormulaError`.
        """
        missing = [name for name in self.used if name not in input_units]
        if missing:
            raise FormulaError(f"the formula uses {_names(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                               "not connected")
        units = {}
        for name in self.used:
            try:
                units[name] = parse_unit(input_units[name])
            except UnitError as exc:
                raise FormulaError(f"input '{name}': {exc}") from None
        term = _Binder(self, units).visit(self.tree.body)
        return _finish(self, term, units, output_unit)


@dataclass(frozen=True)
class BoundFormula:
    """A formula with units checked: ``unit`` is what it gives, ``output_unit`` what it is shown in."""

    formula: ParsedFormula
    unit: pint.Unit
    output_unit: str
    _inputs: tuple[tuple[str, Callable[[np.ndarray], np.ndarray]], ...]
    _root: Callable[[dict[str, Any]], Any]
    _output: Callable[[np.ndarray], np.ndarray]

    @property
    def unit_text(self) -> str:
        """What the formula gives, as an engineer writes it (m⁴/h)."""
        return show_unit(self.unit)

    def __call__(self, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """The formula over ``n`` samples; ``values`` maps each used input to its array.

        Arithmetic is IEEE: a division by zero gives ±inf or NaN, never an exception.
        """
        with np.errstate(all="ignore"):
            env = {name: to_base(np.asarray(values[name], dtype=np.float64)) for name, to_base in self._inputs}
            result = np.asarray(self._root(env), dtype=np.float64)
            result = self._output(result)
        return np.array(np.broadcast_to(result, (n,)), dtype=np.float64)


# -- stage 1: structure --------------------------------------------------------------------------------------
def parse(text: str, names: Sequence[str]) -> ParsedFormula:
    """Check a formula's syntax and that it uses only what is allowed; raise :class:`FormulaError`.

    ``names`` are the inputs the formula may read.

    >>> parse("flow * head / eta", ["flow", "head", "eta", "spare"]).used
    ('flow', 'head', 'eta')
    >>> parse("().__class__", ["x"])
    Traceback (most recent call last):
    ...
    nodes.formula.FormulaError: '__class__' at column 4 is not allowed: formulas may use inputs, numbers and ...
    """
    if not text.strip():
        raise FormulaError("the formula is empty; write an expression over the inputs, e.g. a * b")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    # A formula is one line; line breaks (from a file edited by hand) count as spaces.
    masked, literals = _mask_unit_literals(text.replace("\r", " ").replace("\n", " "))
    stripped = masked.strip()
    shift = len(masked) - len(masked.lstrip())  # Python's parser refuses leading spaces; columns keep them
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(_syntax_message(exc, stripped, shift)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FormulaError(f"the formula is nested too deeply ({type(exc).__name__})") from None
    source = Source(stripped, shift)
    _check_size(tree)
    structure = _Structure(names, source, literals)
    structure.visit(tree.body)
    if structure.problems:
        worst = min(structure.problems, key=lambda p: (p.rank, p.column))
        raise FormulaError(worst.message)
    used = tuple(name for name in names if name in structure.used)
    literal_at = {structure.literal_keys[key]: unit for key, unit in literals.items() if key in structure.literal_keys}
    return ParsedFormula(text, tuple(names), tree, used, literal_at, structure.constants, source)


def _mask_unit_literals(text: str) -> tuple[str, dict[int, str]]:
    """``9.81[m/s^2]`` → ``9.81       `` and each unit by the (0-based) column of its number.

    The brackets are blanked with as many spaces, so every column the parser reports is still the
    column of the user's text.
    """
    literals: dict[int, str] = {}

    def blank(match: re.Match) -> str:
        literals[match.start(1)] = match.group(3).strip()
        return match.group(1) + " " * (len(match.group(0)) - len(match.group(1)))
    return _UNIT_LITERAL.sub(blank, text), literals


def _syntax_message(exc: SyntaxError, text: str, shift: int) -> str:
    reason = (exc.msg or "invalid syntax").removesuffix("?")
    if reason.startswith("invalid syntax. Perhaps you forgot a comma"):
        reason = "invalid syntax (an operator is missing between two terms)"
    if not exc.offset or exc.offset > len(text):
        return f"syntax error at the end: {reason}; the formula is not complete"
    return f"syntax error at column {exc.offset + shift}: {reason}"


def _check_size(tree: ast.AST) -> None:
    """Size and depth of the tree, walked without recursion (a deep tree must not overflow our stack)."""
    count, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(f"the formula has more than {MAX_NODES} terms and operators; split it over several "
                               "formula nodes")
        if depth > MAX_DEPTH:
            raise FormulaError(f"the formula is nested more than {MAX_DEPTH} levels deep; split it over several "
                               "formula nodes")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


class _Structure:
    """Stage 1: every node is one we know; names are inputs, constants or callable functions."""

    def __init__(self, names: Sequence[str], source: Source, literals: dict[int, str]):
        self.names = set(names)
        self.ordered = list(names)
        self.source = source
        self.literals = literals
        self.literal_keys: dict[int, int] = {}  # column of a number with a unit -> its byte offset in the tree
        self.used: set[str] = set()
        self.problems: list[_Problem] = []
        self.constants: dict[int, float] = {}

    def where(self, node: ast.AST, byte_column: int | None = None) -> str:
        return self.source.at(node, byte_column)

    def refuse(self, rank: int, node: ast.AST, message: str, byte_column: int | None = None) -> None:
        column = self.source.column(node.col_offset if byte_column is None else byte_column)
        self.problems.append(_Problem(rank, column, message))

    def refuse_token(self, rank: int, node: ast.AST, token: str, byte_column: int | None = None) -> None:
        self.refuse(rank, node, f"'{token}' at {self.where(node, byte_column)} {NOT_ALLOWED}", byte_column)

    def visit(self, node: ast.AST) -> float | None:
        """Check ``node``; its value when it is a constant sub-expression (for exponent bounds)."""
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            token = _TOKENS.get(type(node)) or self.source.segment(node)
            self.refuse_token(1, node, token)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.visit(child)
            return None
        value = method(node)
        if value is not None:
            self.constants[id(node)] = value
        return value

    def visit_Constant(self, node: ast.Constant) -> float | None:
        value = node.value
        if isinstance(value, bool) or (isinstance(value, (int, float)) and not isinstance(value, complex)):
            key = self.source.column(node.col_offset) - 1
            if key in self.literals:
                self.literal_keys[key] = node.col_offset
                return None  # a quantity with a unit: its value depends on the unit (stage 2)
            return _float(value)
        if isinstance(value, str):
            self.refuse(1, node, f"the text {self.source.segment(node)} at {self.where(node)} {NOT_ALLOWED}")
        else:
            self.refuse_token(1, node, self.source.segment(node))
        return None

    def visit_Name(self, node: ast.Name, called: bool = False) -> float | None:
        name = node.id
        if name.startswith("__") or name.startswith("_"):
            self.refuse_token(0, node, name)
        elif name in self.names:
            self.used.add(name)
        elif name in CONSTANTS:
            return CONSTANTS[name]
        elif name in FUNCTIONS:
            self.refuse(2, node, f"'{name}' at {self.where(node)} is a function: call it, as in {name}(x)")
        else:
            self.refuse(2, node, self._unknown(name, node))
        return None

    def _unknown(self, name: str, node: ast.AST) -> str:
        inputs = ", ".join(self.ordered) if self.ordered else "none"
        close = difflib.get_close_matches(name, [*self.ordered, *CONSTANTS, *FUNCTIONS], n=1, cutoff=0.7)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (f"'{name}' at {self.where(node)} is not an input or a known constant{hint}; the inputs are {inputs}, "
                f"the constants {', '.join(CONSTANTS)}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # Name the attribute nearest the start of a chain: ().__class__.__bases__ → '__class__'.
        first = node
        while isinstance(first.value, ast.Attribute):
            first = first.value
        self.refuse_token(0, first, first.attr, first.end_col_offset - len(first.attr.encode("utf-8")))
        self.visit(first.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        bracket = self.source.find(node.value, "[")
        self.refuse(1, node, f"'[' at {self.where(node, bracket)} {NOT_ALLOWED}; a unit may follow a number only, "
                             "as in 9.81[m/s^2] (an input's unit comes from what is wired to it)", bracket)
        self.visit(node.value)
        self.visit(node.slice)

    def visit_Tuple(self, node: ast.Tuple) -> None:
        self.refuse_token(1, node, self.source.segment(node) or "()")
        for element in node.elts:
            self.visit(element)

    def visit_Call(self, node: ast.Call) -> float | None:
        func = node.func
        if not isinstance(func, ast.Name):
            self.visit(func)
            if not isinstance(func, ast.Attribute):
                self.refuse(1, node, f"'(' at {self.where(node, func.end_col_offset)} calls something that is not "
                                     "a function name; formulas may call the functions listed", func.end_col_offset)
            for arg in node.args:
                self.visit(arg)
            return None
        name = func.id
        if name.startswith("_"):
            self.refuse_token(0, func, name)
        elif name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.refuse(0, func, f"'{name}' at {self.where(func)} is not a function formulas may call{hint}; they "
                                 "may call sqrt, exp, log, sin, minimum, where and the others listed in the "
                                 "documentation")
        else:
            self._check_arguments(node, name)
        values = [self.visit(arg) for arg in node.args]
        for kw in node.keywords:
            self.visit(kw.value)
        if name in FUNCTIONS and values and all(v is not None for v in values) and not node.keywords \
                and len(values) in FUNCTIONS[name].arity and FUNCTIONS[name].units in ("plain", "power", "same"):
            with np.errstate(all="ignore"):
                return float(FUNCTIONS[name].impl(*(np.float64(v) for v in values)))
        return None

    def _check_arguments(self, node: ast.Call, name: str) -> None:
        function = FUNCTIONS[name]
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                self.refuse_token(1, arg, "*")
        for kw in node.keywords:
            if kw.arg is None:
                self.refuse_token(1, kw.value, "**", kw.value.col_offset - 2)
            elif kw.arg not in function.keywords:
                allowed = f"; it takes {', '.join(function.keywords)}=" if function.keywords else ""
                self.refuse(1, kw, f"'{kw.arg}=' at {self.where(kw)} is not an argument of {name}(){allowed}")
        count = len(node.args) + len([kw for kw in node.keywords if kw.arg in function.keywords])
        if count not in function.arity:
            wanted = " or ".join(str(n) for n in function.arity)
            plural = "s" if function.arity[-1] != 1 else ""
            self.refuse(2, node, f"{name}() at {self.where(node)} takes {wanted} argument{plural} (found {count})")

    def visit_BinOp(self, node: ast.BinOp) -> float | None:
        op = type(node.op)
        left, right = self.visit(node.left), self.visit(node.right)
        if op in _REFUSED_BINARY:
            token = _REFUSED_BINARY[op]
            self.refuse_token(1, node, token, self.source.find(node.left, token))
            return None
        impl = _BINARY[op][1]
        if op is ast.Pow and right is not None and not abs(right) <= MAX_EXPONENT:
            column = self.source.find(node.left, "**")
            self.refuse(1, node, f"the exponent {_number(right)} of '**' at {self.where(node, column)} is too large: "
                                 f"constant exponents may be at most {MAX_EXPONENT:g} in magnitude", column)
            return None
        if left is None or right is None:
            return None
        with np.errstate(all="ignore"):
            return float(impl(np.float64(left), np.float64(right)))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> float | None:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.Invert):
            self.refuse_token(1, node, "~")
            return None
        if value is None:
            return None
        if isinstance(node.op, ast.Not):
            return float(not value)
        return -value if isinstance(node.op, ast.USub) else value

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for value in node.values:
            self.visit(value)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        previous = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) in _REFUSED_COMPARE:
                token = _REFUSED_COMPARE[type(op)]
                self.refuse_token(1, node, token, self.source.find(previous, token.split()[0]))
            self.visit(right)
            previous = right

    def visit_IfExp(self, node: ast.IfExp) -> None:
        for child in (node.test, node.body, node.orelse):
            self.visit(child)


def _float(value: float | int) -> float:
    """A literal as float64: an integer too large for it is inf (no big-integer arithmetic, ever)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) < 1e15 and float(value).is_integer() else f"{value:g}"


def _names(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


# -- stage 2: units and evaluation -----------------------------------------------------------------------
def show_unit(unit: pint.Unit | None) -> str:
    """A unit as engineers write it: m⁴/h, kg/m³; 'a plain number' when dimensionless."""
    if unit is None or (unit.dimensionless and str(unit) == "dimensionless"):
        return "a plain number"
    return f"{unit:~P}"


def _base(unit: pint.Unit) -> pint.Unit:
    return registry.Quantity(1.0, unit).to_base_units().units


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


_DIMENSIONLESS = registry.dimensionless


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
        value = _float(node.value)
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
        constant = np.float64(conversion(str(unit), str(_base(unit)))(value))
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
            return _Term(_DIMENSIONLESS, lambda env: np.logical_not(fn(env)))
        unit = None if operand.unit is None else _arithmetic(operand.unit)
        if isinstance(node.op, ast.USub):
            return _Term(unit, lambda env: np.negative(fn(env)), zero=operand.zero)
        return _Term(unit, fn, zero=operand.zero)

    def visit_BinOp(self, node: ast.BinOp) -> _Term:
        symbol, impl = _BINARY[type(node.op)]
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
            return _Term(lu * ru if symbol == "*" else lu / ru, fn)
        return self._power(node, left, right, fn, column)

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
        return _Term(_factor(base.unit) ** value, fn)

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
            return result
        return _Term(_DIMENSIONLESS, combine)

    def visit_Compare(self, node: ast.Compare) -> _Term:
        operands = [node.left, *node.comparators]
        terms = [self.visit(operand) for operand in operands]
        pairs = []
        for i, op in enumerate(node.ops):
            symbol, impl = _COMPARE[type(op)]
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
            return result
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
            unit = None if args[0].unit is None else _factor(args[0].unit) ** function.power
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
                return _Term(_DIMENSIONLESS, lambda env: _round(first(env), digits))
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
        except UnitError as exc:
            raise FormulaError(f"the output unit: {exc}") from None
        if target.dimensionality != unit.dimensionality:
            missing = (registry.Quantity(1.0, target) / registry.Quantity(1.0, unit)).to_base_units().units
            raise FormulaError(f"the formula gives {show_unit(unit)}, which cannot be shown in {shown} "
                               f"({show_unit(unit)} is {_dimension(unit)}, {shown} is {_dimension(target)}; "
                               f"a factor in {show_unit(missing)} is missing)")
    else:
        shown = port_unit(unit)
    to_output = conversion(str(_base(unit)), shown)
    inputs = tuple((name, conversion(str(u), str(_base(u)))) for name, u in units.items())
    return BoundFormula(formula, unit, shown, inputs, term.fn, to_output)


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
    return "a plain number" if not unit.dimensionality else dimension_name(unit)


def check_names(text: str, count: int) -> tuple[str, ...]:
    """Names given to ``count`` inputs, comma-separated (``flow, head, eta``); empty entries are unnamed.

    Raises :class:`FormulaError` for a name that is not an identifier, a keyword, a function or
    constant, private (``_x``) or given twice.
    """
    names = tuple(part.strip() for part in text.split(",")) if text.strip() else ()
    if len(names) > count:
        raise FormulaError(f"{len(names)} names are given, but the node has {count} inputs")
    seen: set[str] = set()
    for name in names:
        if not name:
            continue
        if not name.isidentifier() or keyword.iskeyword(name):
            raise FormulaError(f"'{name}' cannot name an input: use letters, digits and _, starting with a letter")
        if name.startswith("_"):
            raise FormulaError(f"'{name}' cannot name an input: names may not start with _")
        if name in FUNCTIONS or name in CONSTANTS:
            raise FormulaError(f"'{name}' cannot name an input: it is a function or constant formulas use")
        if name in seen:
            raise FormulaError(f"'{name}' names two inputs")
        seen.add(name)
    return names
