"""Structure of JSON files checked against the shipped JSON Schemas, problems placed by path, line and column.

The schemas in ``resources/schemas`` say what a file must look like (structure); the engine
then says whether it makes sense (meaning). This module is the first half for every JSON file
a user may edit by hand (graphs, ``project.json``): each problem names its JSON path and,
when the text is at hand, the line and column where the value starts, as an editor counts
them. Positions are found only for files that have problems, by walking the text along the
path (:func:`json_position`), so reading a good file costs one schema check.

A schema may give a plain-language message for a rule with the ``x-message`` keyword (``{found}``
marks where the value found goes) and a hint after "is missing" with ``x-required-message``;
validators ignore both. Without them the message is built from the rule (type, required, …).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from json.decoder import scanstring
from typing import Any

from nodes.resources import resources_dir

MAX_PROBLEMS = 20
_WS = " \t\n\r"
_TYPE_WORDS = {"object": "an object {…}", "array": "a list […]", "string": "text", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "null"}


@dataclass(frozen=True)
class StructureProblem:
    """One thing a schema refuses: where (JSON path, line, column) and what."""

    path: tuple[str | int, ...]
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def json_path(self) -> str:
        """``nodes[2].position`` style; ``(the file)`` for the top level."""
        text = ""
        for key in self.path:
            text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
        return text or "(the file)"

    def where(self, source: str) -> str:
        """``source (line L, column C)``, or just ``source`` when the position is unknown."""
        return f"{source} (line {self.line}, column {self.column})" if self.line is not None else source

    def describe(self, source: str) -> str:
        """``file (line L, column C): json.path: message``, the form every message of ours takes."""
        if not self.path:
            return f"{self.where(source)}: {'' if self.message.startswith(chr(39)) else 'the file '}{self.message}"
        return f"{self.where(source)}: {self.json_path}: {self.message}"


@cache
def shipped_schema(name: str) -> dict[str, Any]:
    """A schema from ``resources/schemas`` by file name, e.g. ``graph.schema.json``."""
    return json.loads((resources_dir() / "schemas" / name).read_text(encoding="utf-8"))


def structure_problems(data: Any, schema: dict[str, Any], text: str | None = None) -> list[StructureProblem]:
    """What ``schema`` refuses in ``data`` (at most :data:`MAX_PROBLEMS`), in file order.

    ``text``, the JSON text ``data`` was parsed from, adds line and column to each problem.
    """
    if _quick_check(_Frozen(schema))(data):
        return []  # no problems: jsonschema, which explains problems, is not needed
    import jsonschema  # only for a file with problems

    validator = jsonschema.Draft202012Validator(schema)
    found: list[StructureProblem] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(k) for k in e.absolute_path]):
        for path, message in _explain(error):
            found.append(StructureProblem(path, message))
        if len(found) >= MAX_PROBLEMS:
            break
    found = found[:MAX_PROBLEMS]
    if text is not None:
        found = [StructureProblem(p.path, p.message, *(json_position(text, p.path) or (None, None)))
                 for p in found]
        found.sort(key=lambda p: (p.line or 0, p.column or 0))
    return found


def _explain(error: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, message) in words a plant engineer reads; one error may name several keys."""
    path = tuple(error.absolute_path)
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    found = _found(error.instance)
    if error.validator == "required":
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        hint = error.schema.get("x-required-message", "") if isinstance(error.schema, dict) else ""
        return [(path, f"'{key}' is missing{'; ' + hint if hint else ''}") for key in missing] or \
            [(path, error.message)]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return [((*path, key), f"'{key}' is not a known key here (known: {', '.join(allowed)})") for key in extra]
    if custom:
        return [(path, custom.replace("{found}", found) if "{found}" in custom else f"{custom} (found {found})")]
    if error.validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return [(path, f"must be {' or '.join(_TYPE_WORDS.get(w, w) for w in wanted)} (found {found})")]
    if error.validator == "const":
        return [(path, f"must be {json.dumps(error.validator_value)} (found {found})")]
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {"minimum": "at least", "exclusiveMinimum": "more than", "maximum": "at most",
                 "exclusiveMaximum": "less than"}[error.validator]
        return [(path, f"must be {words} {error.validator_value} (found {found})")]
    if error.validator in ("minItems", "maxItems") and isinstance(error.instance, list):
        words = "at least" if error.validator == "minItems" else "at most"
        return [(path, f"must hold {words} {error.validator_value} item(s) (found {found})")]
    if error.validator == "minLength":
        return [(path, f"must not be empty (found {found})")]
    return [(path, error.message)]


def _found(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


# --- a quick yes for files without problems -----------------------------------------------------
#
# jsonschema takes about 0.2 ms per graph node (its $ref machinery), 0.2 s to load a graph of
# 1,000 nodes. Most files are fine, so a schema is first compiled into a plain predicate for the
# keywords our schemas use; only when it says no (or meets a keyword it does not know) does
# jsonschema run, to find and explain the problems. The predicate never says yes where
# jsonschema would say no: the tests compare both on good and bad files.

_TYPES: dict[str, Any] = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
_IGNORED = {"$schema", "$id", "$defs", "title", "description", "x-message", "x-required-message", "$comment"}


class _Unsupported(Exception):
    pass


@cache
def _quick_check(schema_key: Any) -> Any:
    schema = schema_key.schema if isinstance(schema_key, _Frozen) else schema_key
    try:
        return _compile(schema, schema, {})
    except _Unsupported:
        return lambda value: False


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        return name == "number" or isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    return isinstance(value, _TYPES[name])


def _compile(schema: Any, root: dict[str, Any], refs: dict[str, Any]) -> Any:
    if schema is True:
        return lambda value: True
    if not isinstance(schema, dict):
        raise _Unsupported()
    checks = []
    for key, rule in schema.items():
        if key in _IGNORED:
            continue
        if key == "$ref":
            if not rule.startswith("#"):
                raise _Unsupported()
            if rule not in refs:
                refs[rule] = None
                target: Any = root
                for part in [p for p in rule[1:].split("/") if p]:
                    target = target[part]
                refs[rule] = _compile(target, root, refs)
            checks.append(lambda v, r=rule: refs[r](v))
        elif key == "type":
            names = rule if isinstance(rule, list) else [rule]
            checks.append(lambda v, n=tuple(names): any(_is_type(v, t) for t in n))
        elif key == "const":
            checks.append(lambda v, c=rule: type(v) is type(c) and v == c)
        elif key == "pattern":
            checks.append(lambda v, rx=re.compile(rule): not isinstance(v, str) or rx.search(v) is not None)
        elif key == "minLength":
            checks.append(lambda v, n=rule: not isinstance(v, str) or len(v) >= n)
        elif key == "minimum":
            checks.append(lambda v, n=rule: not _is_type(v, "number") or v >= n)
        elif key in ("minItems", "maxItems"):
            low = key == "minItems"
            checks.append(lambda v, n=rule, low=low: not isinstance(v, list) or (len(v) >= n if low else len(v) <= n))
        elif key == "items":
            item = _compile(rule, root, refs)
            checks.append(lambda v, f=item: not isinstance(v, list) or all(f(x) for x in v))
        elif key == "required":
            checks.append(lambda v, names=tuple(rule): not isinstance(v, dict) or all(n in v for n in names))
        elif key == "properties":
            subs = {name: _compile(sub, root, refs) for name, sub in rule.items()}
            checks.append(lambda v, subs=subs: not isinstance(v, dict)
                          or all(f(v[name]) for name, f in subs.items() if name in v))
        elif key == "additionalProperties":
            if rule is True:
                continue
            if rule is not False:
                raise _Unsupported()
            allowed = frozenset(schema.get("properties", {}))
            checks.append(lambda v, a=allowed: not isinstance(v, dict) or all(k in a for k in v))
        else:
            raise _Unsupported()
    return lambda value: all(check(value) for check in checks)


class _Frozen:
    """A schema as a cache key: schemas are dicts, compiled once per object."""

    def __init__(self, schema: dict[str, Any]):
        self.schema = schema

    def __hash__(self) -> int:
        return id(self.schema)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Frozen) and other.schema is self.schema


# --- positions ---------------------------------------------------------------------------------

def json_position(text: str, path: Sequence[str | int]) -> tuple[int, int] | None:
    """Line and column (1-based) where the value at ``path`` starts in JSON ``text``.

    For a key that is missing, the position of the nearest enclosing value. None if ``text``
    is not valid JSON. The walk skips unrelated values with the C decoder, so it is cheap.
    """
    decoder = json.JSONDecoder()
    try:
        at = _skip_ws(text, 0)
        for key in path:
            inner = _child(decoder, text, at, key)
            if inner is None:
                break
            at = inner
    except (ValueError, IndexError):
        return None
    before = text[:at]
    line = before.count("\n") + 1
    return line, at - (before.rfind("\n") + 1) + 1


def _skip_ws(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WS:
        at += 1
    return at


def _child(decoder: json.JSONDecoder, text: str, at: int, key: str | int) -> int | None:
    """Offset of the value under ``key`` in the object or array starting at ``at``, or None."""
    opening = text[at]
    if opening not in "{[" or (opening == "{") != isinstance(key, str):
        return None
    at = _skip_ws(text, at + 1)
    index = 0
    while text[at] not in "}]":
        if opening == "{":
            name, at = scanstring(text, at + 1)
            at = _skip_ws(text, _skip_ws(text, at) + 1)  # past the colon
            if name == key:
                return at
        elif index == key:
            return at
        _, at = decoder.raw_decode(text, at)
        index += 1
        at = _skip_ws(text, at)
        if text[at] == ",":
            at = _skip_ws(text, at + 1)
    return None
