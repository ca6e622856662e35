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
   in kW ..."); that stage lives in :mod:`nodes.formula_units`.

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
import operator
import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nodes.formula_units import BoundFormula

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


def as_number(condition: Any) -> np.ndarray:
    """A condition as 1.0 / 0.0: numpy refuses arithmetic on booleans ((a > b) - (c > d), -(a > b))."""
    return np.asarray(condition, dtype=np.float64)


def round_to(x: Any, decimals: float = 0) -> Any:
    """``np.round`` with the number of decimals a formula gives as a float."""
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
    "isnan": Function(lambda x: as_number(np.isnan(x)), (1,), "any"),
    "isfinite": Function(lambda x: as_number(np.isfinite(x)), (1,), "any"),
    "where": Function(np.where, (3,), "where"),
    "round": Function(round_to, (1, 2), "round", keywords=("decimals",)),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "nan": math.nan, "inf": math.inf}

# Python's operators, not the ufuncs: numpy then reuses the temporaries of a chain (a * b * c) in place.
BINARY = {ast.Add: ("+", operator.add), ast.Sub: ("-", operator.sub), ast.Mult: ("*", operator.mul),
          ast.Div: ("/", operator.truediv), ast.Pow: ("**", operator.pow)}
_REFUSED_BINARY = {ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                   ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^"}
COMPARE = {ast.Lt: ("<", np.less), ast.LtE: ("<=", np.less_equal), ast.Gt: (">", np.greater),
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
        from nodes.formula_units import bind

        return bind(self, input_units, output_unit)


# -- stage 1: structure --------------------------------------------------------------------------------------
def parse(text: str, names: Sequence[str]) -> ParsedFormula:
    """Check a formula's syntax and that it uses only what is allowed; raise :class:`FormulaError`.

    ``names`` are the inputs the formula may read; like the formula's own identifiers they are
    folded to NFKC (ﬂow is flow), and :attr:`ParsedFormula.names` and ``used`` hold them folded.

    >>> parse("flow * head / eta", ["flow", "head", "eta", "spare"]).used
    ('flow', 'head', 'eta')
    >>> parse("().__class__", ["x"])
    Traceback (most recent call last):
    ...
    nodes.formula.FormulaError: '__class__' at column 4 is not allowed: formulas may use inputs, numbers and ...
    """
    if not text.strip():
        raise FormulaError("the formula is empty; write an expression over the inputs, e.g. x1 * x2")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    # A formula is one line; line breaks (from a file edited by hand) count as spaces.
    masked, literals = _mask_unit_literals(text.replace("\r", " ").replace("\n", " "))
    stripped = masked.strip()
    shift = len(masked) - len(masked.lstrip())  # Python's parser refuses leading spaces; columns keep them
    try:
        with warnings.catch_warnings():  # "invalid escape sequence" and the like: the whitelist decides
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(_syntax_message(exc, stripped, shift)) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FormulaError(f"the formula is nested too deeply ({type(exc).__name__})") from None
    source = Source(stripped, shift)
    _check_size(tree)
    names = [unicodedata.normalize("NFKC", name) for name in names]  # as Python folds the formula's identifiers
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
        if isinstance(value, (bool, int, float)):
            key = self.source.column(node.col_offset) - 1
            if key in self.literals:
                self.literal_keys[key] = node.col_offset
                return None  # a quantity with a unit: its value depends on the unit (stage 2)
            return as_float(value)
        if isinstance(value, str):
            self.refuse(1, node, f"the text {self.source.segment(node)} at {self.where(node)} {NOT_ALLOWED}")
        else:
            self.refuse_token(1, node, self.source.segment(node))
        return None

    def visit_Name(self, node: ast.Name) -> float | None:
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
        impl = BINARY[op][1]
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


def as_float(value: float | int) -> float:
    """A literal as float64: an integer too large for it is inf (no big-integer arithmetic, ever)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) < 1e15 and float(value).is_integer() else f"{value:g}"


def check_names(text: str, count: int) -> tuple[str, ...]:
    """Names given to ``count`` inputs, comma-separated (``flow, head, eta``); empty entries are unnamed.

    Raises :class:`FormulaError` for a name that is not an identifier, a keyword, a function or
    constant, private (``_x``) or given twice.
    """
    given = tuple(part.strip() for part in text.split(",")) if text.strip() else ()
    # Python folds the identifiers of a formula to NFKC (ｐｉ is pi, ﬂow is flow): names are folded alike, so
    # an input named ｐｉ is refused as the constant it would silently be, and ﬂow finds its input.
    names = tuple(unicodedata.normalize("NFKC", name) for name in given)
    if len(names) > count:
        raise FormulaError(f"{len(names)} names are given, but the node has {count} inputs")
    seen: set[str] = set()
    for original, name in zip(given, names, strict=True):
        if not name:
            continue
        quoted = f"'{original}'" + (f" (read as '{name}')" if original != name else "")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise FormulaError(f"{quoted} cannot name an input: use letters, digits and _, starting with a letter, "
                               "and no Python keyword")
        if name.startswith("_"):
            raise FormulaError(f"{quoted} cannot name an input: names may not start with _")
        if name in FUNCTIONS or name in CONSTANTS:
            raise FormulaError(f"{quoted} cannot name an input: it is a function or constant formulas use")
        if name in seen:
            raise FormulaError(f"{quoted} names two inputs")
        seen.add(name)
    return names
