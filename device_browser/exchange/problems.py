"""Problems found while importing a file: each names the file, the line, the column and the cell.

An import does not stop at the first bad cell, nor drop bad rows silently: it keeps the good
data and reports every problem ("historian.csv, line 1234: '12,5x' in column 'flow' is not a
number"). Problems are found column by column with vectorised tests, so they are kept as arrays
of row indices and turned into messages only when someone reads them; a file with a thousand bad
rows costs no Python loop over its million good ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from device_browser.recordings import RecordingError

SHOWN = 20  # problems listed in a refusal's message


class ExchangeError(RecordingError):
    """A file that cannot be imported or exported; the message names the file and, where it can, the line.

    ``problems`` holds what was found when an import is refused for having too many bad rows.
    """

    def __init__(self, message: str, problems: Problems | None = None):
        super().__init__(message)
        self.problems = problems


@dataclass(frozen=True)
class Problem:
    """One bad cell, row or header. ``line`` is the file's line number (an editor's), or a sheet's row."""

    source: str
    line: int | None
    column: str | None
    text: str | None
    reason: str
    place: str = "line"

    def __str__(self) -> str:
        where = f"{self.source}, {self.place} {self.line}" if self.line is not None else self.source
        if self.text is not None and self.column is not None:
            return f"{where}: '{_short(self.text)}' in column '{self.column}' {self.reason}"
        if self.column is not None:
            return f"{where}, column '{self.column}': {self.reason}"
        if self.text is not None:
            return f"{where}: {self.reason}: {_short(self.text)}"
        return f"{where}: {self.reason}"


@dataclass
class _Group:
    rows: np.ndarray  # indices of the parsed table's rows (or lines, when ``lines`` is set)
    column: str | None
    reason: str
    texts: Callable[[int], str] | np.ndarray | list | None  # the cell text of each row, or how to get it
    lines: bool = False  # rows are already line numbers
    counts: bool = True  # a bad row of data (not the header)


class Problems:
    """The problems of one import, kept as arrays until read; iterating gives them in line order.

    ``line_of`` turns row indices of the parsed table into the file's line numbers (it is only
    called when there are problems to show).
    """

    def __init__(self, source: str, line_of: Callable[[np.ndarray], np.ndarray] | None = None, place: str = "line"):
        self.source = source
        self.place = place
        self._line_of = line_of or (lambda rows: rows + 2)
        self._groups: list[_Group] = []
        self.refused: str | None = None

    def add(self, rows: np.ndarray, column: str | None, reason: str, texts=None) -> None:
        """Report ``reason`` for the table rows ``rows`` with each row's cell text, if any: a list, or a
        function of the index into ``rows`` (so that a million bad cells are not all turned into text)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows):
            self._groups.append(_Group(rows, column, reason, texts))

    def add_line(self, line: int | None, reason: str, column: str | None = None, text: str | None = None, *,
                 row: bool = True) -> None:
        """Report a problem at a known line: a row with the wrong number of fields, or (``row=False``) the header."""
        self._groups.append(_Group(np.array([-1 if line is None else line], np.int64), column, reason,
                                   None if text is None else [text], lines=True, counts=row))

    def bad_rows(self) -> np.ndarray:
        """The distinct table rows with at least one problem."""
        rows = [g.rows for g in self._groups if not g.lines]
        if not rows:
            return np.empty(0, np.int64)
        marked = np.zeros(max(int(r.max()) for r in rows) + 1, bool)  # faster than np.unique on a million
        for r in rows:
            marked[r] = True
        return np.flatnonzero(marked)

    def row_count(self) -> int:
        """Rows of the file with a problem: bad table rows plus lines that did not become rows."""
        return len(self.bad_rows()) + sum(len(g.rows) for g in self._groups if g.lines and g.counts)

    def __len__(self) -> int:
        return sum(len(g.rows) for g in self._groups)

    def __bool__(self) -> bool:
        return bool(self._groups)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.first(None))

    def first(self, limit: int | None) -> list[Problem]:
        """The first ``limit`` problems in line order (all with None); only those are made into objects."""
        if not self._groups:
            return []
        lines = np.concatenate([g.rows if g.lines else self._line_of(g.rows) for g in self._groups])
        group = np.repeat(np.arange(len(self._groups)), [len(g.rows) for g in self._groups])
        position = np.concatenate([np.arange(len(g.rows)) for g in self._groups])
        order = np.argsort(lines, kind="stable")[:limit]
        problems = []
        for line, g, i in zip(lines[order].tolist(), group[order].tolist(), position[order].tolist(), strict=True):
            found = self._groups[g]
            text = None if found.texts is None else found.texts(i) if callable(found.texts) else found.texts[i]
            problems.append(Problem(self.source, None if line < 0 else line, found.column,
                                    None if text is None else str(text), found.reason, self.place))
        return problems

    def messages(self, limit: int | None = None) -> list[str]:
        """The problems as sentences, in line order (the first ``limit``)."""
        return [str(p) for p in self.first(limit)]

    def summary(self, limit: int = SHOWN) -> str:
        """The first ``limit`` problems, one a line, and how many more there are."""
        shown = self.messages(limit)
        more = len(self) - len(shown)
        return "\n".join(shown + ([f"... and {more} more"] if more > 0 else []))


def _short(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."
