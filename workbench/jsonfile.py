"""Readable, diff-friendly JSON files with error messages that name the file and position."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nodes.atomic_file import atomic_write_text


class FileFormatError(Exception):
    """A user's file cannot be read; ``str()`` is a message for a plant engineer."""

    def __init__(self, path: Path, problem: str, line: int | None = None, column: int | None = None):
        self.path = Path(path)
        self.problem = problem
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{self.path}{where}: {problem}")


def dumps_stable(data: Any) -> str:
    """Serialise with sorted keys, two-space indent, real UTF-8 text and a final newline.

    The same data always gives the same bytes, so files diff cleanly under git.
    """
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` atomically in the stable layout of :func:`dumps_stable`."""
    atomic_write_text(path, dumps_stable(data))


def read_json(path: Path) -> Any:
    """Read a JSON file, turning every failure into a :class:`FileFormatError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(path, "the file does not exist") from None
    except IsADirectoryError:
        raise FileFormatError(path, "this is a folder, not a file") from None
    except PermissionError:
        raise FileFormatError(path, "permission denied: you may not read this file") from None
    except OSError as exc:
        raise FileFormatError(path, f"the file cannot be read ({exc.strerror})") from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark from Windows editors
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")  # count characters, as editors do
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise FileFormatError(path, "the file is not UTF-8 text", line, column) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = exc.msg
        if text[: exc.pos].rstrip().endswith(",") and text[exc.pos: exc.pos + 1] in ("}", "]"):
            # The commonest hand-edit mistake; Python 3.11 calls it "Expecting property name".
            problem = "a comma before a closing bracket is not allowed (trailing comma)"
        raise FileFormatError(path, f"not valid JSON: {problem}", exc.lineno, exc.colno) from None
