"""The text of a CSV export: its encoding, separators, and which line each row came from.

Historians export in the code page of the machine they run on (GBK/GB18030 on Chinese
Windows, cp1252 in Europe), sometimes UTF-16 with a byte-order mark, and with ``;`` and a
decimal comma where the locale says so. The file is decoded once into UTF-8 bytes (a no-op for
UTF-8), so the parser and the line numbering see the same text.

Line numbers are what an editor shows. The parser skips blank lines and lets quoted cells span
lines, so row ``k`` of the parsed table is not line ``k + 2``: :class:`Lines` finds the record
boundaries (newlines outside quotes) with numpy, only when there is a problem to report.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field

import numpy as np

from device_browser.exchange.problems import ExchangeError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECIMAL_COMMA = re.compile(rb"(?:^|[;\t|])\s*-?\d+,\d+\s*(?:[;\t|]|$)", re.MULTILINE)
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class Text:
    """A file's content as UTF-8 bytes, the encoding it was read with, and notes for the user."""

    data: bytes
    encoding: str
    notes: list[str] = field(default_factory=list)


def decode(raw: bytes, encoding: str, source: str) -> Text:
    """UTF-8 bytes of ``raw``. ``encoding="auto"``: a byte-order mark, else UTF-8, else GB18030 (GBK's superset).

    A byte that the encoding cannot read is refused with its line, since a wrong code page spoils
    every text cell, not one row.
    """
    for bom, name in _BOMS:
        if raw.startswith(bom) and encoding in ("auto", name, name.split("-sig")[0], name[:6]):
            body = raw[len(bom):]
            if name.startswith("utf-8"):
                return Text(body, "utf-8")
            return Text(_transcode(body, name, source), name)
    if encoding == "auto":
        try:
            raw.decode("utf-8")
            return Text(raw, "utf-8")
        except UnicodeDecodeError as exc:
            try:
                return Text(raw.decode("gb18030").encode("utf-8"), "gb18030",
                            [f"{source}: the file is not UTF-8 (line {_line_at(raw, exc.start)}); it was read as "
                             "GB18030/GBK; give the encoding if that is wrong (e.g. cp1252 for a Western export)"])
            except UnicodeDecodeError:
                raise ExchangeError(f"{source}, line {_line_at(raw, exc.start)}: byte 0x{raw[exc.start]:02x} is not "
                                    "UTF-8 text, and the file is not GBK either; give its encoding "
                                    "(e.g. cp1252, shift_jis)") from None
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ExchangeError(f"{source}: '{encoding}' is not an encoding Python knows "
                            "(e.g. utf-8, gbk, cp1252)") from None
    if codecs.lookup(encoding).name == "utf-8":
        _transcode(raw, "utf-8", source)  # raises with the line of a bad byte
        return Text(raw, "utf-8")
    return Text(_transcode(raw, encoding, source), encoding)


def _transcode(raw: bytes, encoding: str, source: str) -> bytes:
    try:
        return raw.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        wide = encoding.startswith("utf-16")
        line = _line_at(raw, exc.start, b"\n\x00" if encoding == "utf-16-le" else b"\x00\n" if wide else b"\n")
        raise ExchangeError(f"{source}, line {line}: byte 0x{raw[exc.start]:02x} is not {encoding} text; "
                            "is the encoding right?") from None


def _line_at(raw: bytes, offset: int, newline: bytes = b"\n") -> int:
    return raw.count(newline, 0, offset) + 1


def skip_lines(data: bytes, count: int) -> int:
    """The offset after the first ``count`` lines (a preamble above the header)."""
    offset = 0
    for _ in range(count):
        found = data.find(b"\n", offset)
        if found < 0:
            return len(data)
        offset = found + 1
    return offset


def header_fields(data: bytes, start: int, delimiter: str) -> list[str]:
    """The header's column names (quotes handled as the parser does)."""
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)].decode("utf-8").rstrip("\r")
    return next(csv.reader([line], delimiter=delimiter), [])


def sniff_delimiter(data: bytes, start: int) -> str:
    """The separator the header line uses most among ``, ; TAB |``."""
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)]
    counts = {d: line.count(d.encode()) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def sniff_decimal(data: bytes, start: int, delimiter: str) -> str:
    """``,`` when the separator is not a comma and the first lines hold numbers like ``12,5``."""
    if delimiter == ",":
        return "."
    return "," if _DECIMAL_COMMA.search(data[start:start + 65536]) else "."


class Lines:
    """The line number of each data row: records are split at newlines outside quotes, blank ones skipped.

    ``first`` is the offset of the header line; ``line_offset`` the lines before it.
    """

    def __init__(self, data: bytes, first: int, line_offset: int):
        self._data = data
        self._first = first
        self._line_offset = line_offset
        self._lines: np.ndarray | None = None
        self._starts: np.ndarray | None = None
        self._ends: np.ndarray | None = None
        self.dropped: list[int] = []  # record indices the parser did not make rows (wrong field count)

    def _build(self) -> None:
        body = np.frombuffer(self._data, np.uint8)[self._first:]
        every = newlines = np.flatnonzero(body == 10)
        if self._data.find(b'"', self._first) >= 0:
            quotes = np.flatnonzero(body == 34)
            newlines = newlines[np.searchsorted(quotes, newlines) % 2 == 0]
        starts = np.concatenate([[0], newlines + 1])
        ends = np.concatenate([newlines, [len(body)]])
        ends = ends - ((ends > starts) & (body[np.maximum(ends - 1, 0)] == 13))  # "\r\n"
        physical = np.searchsorted(every, starts) + 1 + self._line_offset
        keep = ends > starts
        keep[0] = False  # the header
        self._starts = starts[keep] + self._first
        self._ends = ends[keep] + self._first
        self._lines = physical[keep]

    def field_counts(self, delimiter: str) -> np.ndarray:
        """The number of fields of each data record (delimiters outside quotes, plus one)."""
        if self._starts is None:
            self._build()
        body = np.frombuffer(self._data, np.uint8)
        separators = np.flatnonzero(body == ord(delimiter))
        if self._data.find(b'"', self._first) >= 0:
            quotes = np.flatnonzero(body == 34)
            separators = separators[np.searchsorted(quotes, separators) % 2 == 0]
        inside = np.searchsorted(separators, self._ends) - np.searchsorted(separators, self._starts)
        return inside.astype(np.int64) + 1

    def record_text(self, record: int) -> str:
        return self._data[int(self._starts[record]):int(self._ends[record])].decode("utf-8", "replace")

    def locate(self, text: bytes, after: int) -> int:
        """The index of the first record after record ``after`` whose whole text is ``text``; -1 if none."""
        if self._starts is None:
            self._build()
        starts = self._starts
        offset = int(starts[after + 1]) if after + 1 < len(starts) else len(self._data)
        while (offset := self._data.find(text, offset)) >= 0:
            record = int(np.searchsorted(starts, offset, side="right")) - 1
            end = offset + len(text)
            if record >= 0 and starts[record] == offset and self._data[end:end + 1] in (b"", b"\r", b"\n"):
                return record
            offset += 1
        return -1

    def line_of_record(self, record: int) -> int:
        if self._lines is None:
            self._build()
        return int(self._lines[record])

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        """File line numbers of parsed table rows."""
        if self._lines is None:
            self._build()
        lines = self._lines
        if self.dropped:
            lines = np.delete(lines, self.dropped)
        return lines[np.minimum(rows, len(lines) - 1)] if len(lines) else rows + 2 + self._line_offset
