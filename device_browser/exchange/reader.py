"""Import CSV (historian exports), Parquet and Excel files into per-tag chunks, reporting bad rows by line.

The result keeps every good sample and lists every problem (:mod:`.problems`): a cell that is
not a number stays in the data as NaN with bad quality (its time is known), a row whose time
cannot be read or placed is left out (it has no place on the time axis), and a line with the
wrong number of fields is left out. Past ``max_bad_fraction`` of bad rows the file is refused,
since a wrong separator or code page then spoils everything.

The good path is vectorised: pyarrow splits the text on both cores, each column is converted
with one pyarrow call, and bad cells are located with a second vectorised pass only in the
columns that have them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from device_browser.exchange.headers import Header, split_header, time_zone_of, unit_symbol
from device_browser.exchange.mapping import CsvMapping
from device_browser.exchange.parse import as_text, localize, numbers, qualities, times
from device_browser.exchange.problems import ExchangeError, Problems
from device_browser.exchange.text import Lines, decode, header_fields, skip_lines, sniff_decimal, sniff_delimiter
from device_browser.recordings import TIME_NAMES
from nodes.chunk import BAD, Chunk
from nodes.units import UnitError

PARQUET_SUFFIXES = (".parquet", ".pq")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
# Time column names of exports beside run-graph's own: Chinese and German historians, spreadsheets.
TIME_HEADERS = (*TIME_NAMES, "时间", "时间戳", "日期时间", "采集时间", "zeit", "zeitstempel", "datum", "date",
                "date/time", "datetime (utc)")
QUALITY_SUFFIXES = (" quality", "_quality", ".quality", " status", "_status", ".status", " q", "_q")


@dataclass
class Imported:
    """What an import gives: per-tag chunks (each tag on its own times), units, problems and notes."""

    source: str
    chunks: dict[str, Chunk]
    units: dict[str, str]
    problems: Problems
    rows: int
    notes: list[str] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return list(self.chunks)

    def frame(self, *, with_quality: bool = False):
        """The samples wide: a row per distinct time (index ``time``, UTC), a column per tag."""
        from device_browser.exchange.writer import wide_frame

        return wide_frame(self.chunks, with_quality=with_quality)


def read_file(path: Path, mapping: CsvMapping | None = None, *, sheet: str | int = 0) -> Imported:
    """Import a CSV, Parquet or Excel file, chosen by its suffix (``.csv``/``.txt``, ``.parquet``, ``.xlsx``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return import_parquet(path, mapping)
    if suffix in EXCEL_SUFFIXES:
        return import_excel(path, mapping, sheet=sheet)
    return import_csv(path, mapping)


def import_csv(path: Path, mapping: CsvMapping | None = None) -> Imported:
    """Import a CSV export (wide or long layout) as :func:`read_file` describes."""
    import pyarrow.csv as pacsv

    mapping = mapping or CsvMapping()
    path = Path(path)
    source = str(path)
    raw = _read_bytes(path)
    text = decode(raw, mapping.encoding, source)
    data = text.data
    start = skip_lines(data, mapping.skip_lines)
    delimiter = sniff_delimiter(data, start) if mapping.delimiter == "auto" else mapping.delimiter
    decimal = sniff_decimal(data, start, delimiter) if mapping.decimal == "auto" else mapping.decimal
    names = header_fields(data, start, delimiter)
    if not any(n.strip() for n in names):
        raise ExchangeError(f"{source}, line {mapping.skip_lines + 1}: there is no header line (column names)")
    lines = Lines(data, start, mapping.skip_lines)
    problems = Problems(source, lines)
    invalid: list = []

    def refuse(row) -> str:
        invalid.append(row)
        return "skip"

    generated = [f"c{i}" for i in range(len(names))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(memoryview(data)[start:]),
            read_options=pacsv.ReadOptions(column_names=generated, skip_rows=1, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, invalid_row_handler=refuse,
                                             newlines_in_values=data.find(b'"', start) >= 0),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(generated, pa.string()),
                                                 strings_can_be_null=True))
    except pa.ArrowInvalid as exc:
        raise ExchangeError(f"{source}: the CSV text cannot be read ({exc})") from None
    if invalid:
        _report_field_counts(lines, problems, invalid, delimiter, decimal, len(names))
    notes = list(text.notes)
    return _Convert(source, names, table, mapping, problems, notes, decimal, extra_rows=len(invalid)).run()


def import_parquet(path: Path, mapping: CsvMapping | None = None) -> Imported:
    """Import a Parquet file (units in the column headers, as :func:`~.writer.export` writes them)."""
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        table = pq.read_table(path)
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
        raise ExchangeError(f"{path}: not a readable Parquet file ({exc})") from None
    names = list(table.column_names)
    table = table.rename_columns([f"c{i}" for i in range(len(names))])
    problems = Problems(str(path), lambda rows: rows + 1, place="row")
    return _Convert(str(path), names, table, mapping or CsvMapping(), problems, [], ".").run()


def import_excel(path: Path, mapping: CsvMapping | None = None, *, sheet: str | int = 0) -> Imported:
    """Import one sheet of an Excel workbook; problems name the sheet's row numbers."""
    import pandas as pd

    path = Path(path)
    mapping = mapping or CsvMapping()
    try:
        frame = pd.read_excel(path, sheet_name=sheet, header=mapping.skip_lines, engine="openpyxl", dtype=object)
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except (ValueError, KeyError) as exc:
        raise ExchangeError(f"{path}: not a readable Excel workbook or sheet ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile/XML errors for a damaged file
        raise ExchangeError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})") from None
    names = [str(c) for c in frame.columns]
    columns = []
    for name in frame.columns:
        column = frame[name]
        inferred = pd.api.types.infer_dtype(column, skipna=True)
        if inferred in ("datetime64", "datetime"):
            columns.append(pa.array(pd.to_datetime(column, errors="coerce").to_numpy("datetime64[ns]")))
        elif inferred in ("floating", "integer", "mixed-integer-float", "empty"):
            columns.append(pa.array(pd.to_numeric(column, errors="coerce").to_numpy(np.float64)))
        else:
            columns.append(pa.array(column.map(lambda x: None if x is None or x != x else str(x)), pa.string()))
    table = pa.table(columns, names=[f"c{i}" for i in range(len(names))])
    header_row = mapping.skip_lines + 1
    problems = Problems(str(path), lambda rows: rows + header_row + 1, place="row")
    return _Convert(str(path), names, table, mapping, problems, [], ".").run()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ExchangeError(f"{path}: the file does not exist") from None
    except IsADirectoryError:
        raise ExchangeError(f"{path}: this is a folder; give a file") from None
    except OSError as exc:
        raise ExchangeError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _report_field_counts(lines: Lines, problems: Problems, invalid: list, delimiter: str, decimal: str,
                         expected: int) -> None:
    """Report the lines the parser left out for their field count, by line number.

    The parser hands them over in no particular order (it splits the file on two threads), so they
    are found again by counting each record's fields with numpy; when that count disagrees with the
    parser's (odd quoting), each is searched for by its text.
    """
    counts = lines.field_counts(delimiter)
    records = np.flatnonzero(counts != expected)
    if len(records) != len(invalid):
        records = np.array(sorted(r for r in (lines.locate(row.text.encode("utf-8", "surrogateescape"), -1)
                                              for row in invalid) if r >= 0), np.int64)
    for record in records.tolist():
        actual = int(counts[record])
        problem = f"{actual} fields where the header has {expected}"
        if actual > expected and decimal == "." and delimiter == ",":
            problem += " (a decimal comma, or a text with a comma not in quotes?)"
        problems.add_line(lines.line_of_record(record), problem, text=lines.record_text(record))
    lines.dropped.extend(records.tolist())


class _Convert:
    """Turns a table of text (or typed) columns into per-tag chunks, reporting problems as it goes."""

    def __init__(self, source: str, names: list[str], table: pa.Table, mapping: CsvMapping, problems: Problems,
                 notes: list[str], decimal: str, extra_rows: int = 0):
        self.source = source
        self.names = names
        self.headers = [split_header(n) for n in names]
        self.table = table
        self.mapping = mapping
        self.problems = problems
        self.notes = notes
        self.decimal = decimal
        self.extra_rows = extra_rows

    def column_index(self, wanted: str, key: str) -> int:
        """The column whose header (or header without its unit) is ``wanted``; case is ignored if unique."""
        for exact in (True, False):
            found = [i for i, h in enumerate(self.headers)
                     if (wanted in (h.text, h.name) if exact else wanted.lower() in (h.text.lower(), h.name.lower()))]
            if len(found) == 1 or (found and exact):
                return found[0]
        raise ExchangeError(f"{self.source}: there is no column '{wanted}' (named by '{key}'); "
                            f"columns: {', '.join(self.names)}")

    def run(self) -> Imported:
        m = self.mapping
        time_index = self._time_index()
        t, keep = self._times(time_index)
        if m.layout == "long":
            chunks, units = self._long(time_index, t, keep)
        else:
            chunks, units = self._wide(time_index, t, keep)
        rows = self.table.num_rows + self.extra_rows
        self._check_threshold(rows)
        return Imported(self.source, chunks, units, self.problems, rows, self.notes)

    # -- time -------------------------------------------------------------------------------------
    def _time_index(self) -> int:
        if self.mapping.time is not None:
            return self.column_index(self.mapping.time, "time")
        for i, header in enumerate(self.headers):
            if header.name.strip().lower() in TIME_HEADERS:
                return i
        return 0

    def _times(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        m = self.mapping
        name = self.headers[index].name
        column = self.table.column(index)
        parsed, zoned = times(column, m.time_format)
        if parsed.bad.any():
            rows = np.flatnonzero(parsed.bad)
            if pa.types.is_timestamp(column.type):
                empty = np.ones(len(rows), bool)
            else:
                length = pc.utf8_length(pc.utf8_trim_whitespace(as_text(column.take(pa.array(rows)))))
                empty = pc.fill_null(length, 0).to_numpy(zero_copy_only=False) == 0
            self.problems.add(rows[empty], name, "has no time", [""] * int(empty.sum()))
            hint = {"auto": "ISO 8601 such as 2026-11-25 08:00:00, or seconds since 1970",
                    "iso": "ISO 8601 such as 2026-11-25T08:00:00"}.get(m.time_format, m.time_format)
            self.problems.add(rows[~empty], name, f"is not a time (expected {hint})", _texts(column, rows[~empty]))
        keep = ~parsed.bad
        ns = parsed.values
        naive = keep & ~zoned
        if naive.any():
            zone = m.timezone or time_zone_of(self.names[index])
            if zone is None:
                self.notes.append(f"{self.source}: the times have no time zone; they were read as UTC "
                                  "(give the timezone, e.g. Asia/Shanghai, if they are local times)")
            elif zone.upper() != "UTC":
                placed = localize(ns[naive], zone, m.ambiguous)
                rows = np.flatnonzero(naive)
                ns = ns.copy()
                ns[rows] = placed.ns
                for mask, reason in ((placed.ambiguous, f"happened twice in {zone} (the clocks went back at the end "
                                                        "of summer time); set 'ambiguous' to earliest, latest or "
                                                        "infer, or export times with their offset"),
                                     (placed.nonexistent, f"does not exist in {zone} (the clocks went forward over "
                                                          "it)")):
                    if mask.any():
                        bad = rows[mask]
                        self.problems.add(bad, name, reason, _texts(column, bad))
                        keep[bad] = False
        return ns, keep

    # -- layouts ----------------------------------------------------------------------------------
    def _wide(self, time_index: int, t: np.ndarray, keep: np.ndarray) -> tuple[dict[str, Chunk], dict[str, str]]:
        m = self.mapping
        quality_of = {tag: self.column_index(column, f"quality_columns: {tag}")
                      for tag, column in m.quality_columns.items()}
        taken = {time_index, *quality_of.values()}
        if m.tags is not None:
            wanted = [self.column_index(tag, "tags") for tag in m.tags]
        else:
            wanted = [i for i in range(len(self.names)) if i not in taken and self.names[i].strip()]
        by_name = {self.headers[i].name.lower(): i for i in range(len(self.names))}
        for i in wanted:  # "flow quality" beside "flow": its quality column, unless the mapping says otherwise
            header = self.headers[i]
            if header.name not in quality_of and header.text not in quality_of:
                found = next((by_name[header.name.lower() + s] for s in QUALITY_SUFFIXES
                              if header.name.lower() + s in by_name), None)
                if found is not None:
                    quality_of[header.name] = found
        wanted = [i for i in wanted if i not in quality_of.values() or m.tags is not None]
        order = self._order(t, keep)
        chunks, units = {}, {}
        for i in wanted:
            header = self.headers[i]
            tag = m.rename.get(header.text, m.rename.get(header.name, header.name))
            values, quality = self._values(i, header, quality_of.get(header.name, quality_of.get(header.text)))
            chunks[tag] = Chunk(t[order], values[order], quality[order])
            units[tag] = self._unit(tag, header)
        return chunks, units

    def _long(self, time_index: int, t: np.ndarray, keep: np.ndarray) -> tuple[dict[str, Chunk], dict[str, str]]:
        m = self.mapping
        tag_index = self.column_index(m.tag_column, "tag_column")
        value_index = self.column_index(m.value_column, "value_column")
        quality_index = self.column_index(m.quality_column, "quality_column") if m.quality_column else None
        value_header = self.headers[value_index]
        values, quality = self._values(value_index, value_header, quality_index, "value")
        tag_text = pc.utf8_trim_whitespace(self.table.column(tag_index).combine_chunks().cast(pa.string()))
        encoded = pc.dictionary_encode(tag_text)
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        no_tag = np.flatnonzero((codes < 0) | _equal(encoded, ""))
        self.problems.add(no_tag, self.headers[tag_index].name, "has no tag name", [""] * len(no_tag))
        unit_codes = None
        if m.unit_column:
            unit_column = self.table.column(self.column_index(m.unit_column, "unit_column"))
            unit_codes = unit_column.combine_chunks().cast(pa.string())
        names = encoded.dictionary.to_pylist()
        selected = set(m.tags) if m.tags is not None else None
        chunks, units = {}, {}
        for code, name in enumerate(names):
            if not name or (selected is not None and name not in selected):
                continue
            rows = np.flatnonzero((codes == code) & keep)
            tag = m.rename.get(name, name)
            order = self._order(t[rows], np.ones(len(rows), bool), tag)
            rows = rows[order]
            chunks[tag] = Chunk(t[rows], values[rows], quality[rows])
            written = unit_codes[int(rows[0])].as_py() if unit_codes is not None and len(rows) else None
            units[tag] = self._unit(tag, Header(name, name, "" if written is None else self._symbol(written, tag)))
        if selected is not None:
            missing = sorted(selected - set(names))
            if missing:
                raise ExchangeError(f"{self.source}: no rows of tag(s) {', '.join(map(repr, missing))} "
                                    f"(named by 'tags'); the file has {len(names)} tags, e.g. {', '.join(names[:5])}")
        return chunks, units

    def _values(self, index: int, header: Header, quality_index: int | None,
                column_name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        column = self.table.column(index)
        name = column_name or header.name
        parsed = numbers(column, self.decimal)
        if parsed.bad.any():
            rows = np.flatnonzero(parsed.bad)
            self.problems.add(rows, name, "is not a number", _texts(column, rows))
        quality = np.where(np.isnan(parsed.values), BAD, 0).astype(np.uint8)
        if quality_index is not None:
            q_column = self.table.column(quality_index)
            levels = qualities(q_column, self.mapping.quality_codes, self.mapping.quality_words)
            if levels.bad.any():
                rows = np.flatnonzero(levels.bad)
                words = ("a number" if self.mapping.quality_codes != "text" else
                         "good, uncertain or bad (add its meaning under 'quality_words')")
                self.problems.add(rows, self.headers[quality_index].name, f"is not a quality ({words})",
                                  _texts(q_column, rows))
            quality = np.maximum(quality, levels.values)
        return parsed.values, quality

    def _order(self, t: np.ndarray, keep: np.ndarray, tag: str | None = None) -> np.ndarray:
        rows = np.flatnonzero(keep)
        ts = t[rows]
        if len(ts) > 1 and (np.diff(ts) < 0).any():
            self.notes.append(f"{self.source}: the times{f' of {tag}' if tag else ''} were not in order "
                              "(newest first?); they were sorted")
            rows = rows[np.argsort(ts, kind="stable")]
        return rows

    def _unit(self, tag: str, header: Header) -> str:
        given = self.mapping.units.get(tag, self.mapping.units.get(header.name))
        if given is not None:
            return self._symbol(given, tag, "units")
        if header.problem:
            self.problems.add_line(self.mapping.skip_lines + 1, header.problem, column=header.text, row=False)
        return header.unit

    def _symbol(self, written: str, tag: str, key: str | None = None) -> str:
        try:
            return unit_symbol(written)
        except UnitError as exc:
            if key:
                raise ExchangeError(f"{self.source}: '{key}' gives tag '{tag}' the unit '{written}': {exc}") from None
            self.notes.append(f"{self.source}: tag '{tag}' has the unit '{written}', which is not understood ({exc}); "
                              "it is read without a unit")
            return ""

    def _check_threshold(self, rows: int) -> None:
        m = self.mapping
        bad = self.problems.row_count()
        if not bad:
            return
        limit = m.max_bad_rows if m.max_bad_rows is not None else int(m.max_bad_fraction * rows)
        if bad > limit:
            allowed = (f"at most {m.max_bad_rows} are allowed" if m.max_bad_rows is not None
                       else f"at most {m.max_bad_fraction:.1%} are allowed (max_bad_fraction)")
            raise ExchangeError(f"{self.source}: {bad} of {rows} rows have problems and {allowed}; nothing was "
                                f"imported. Is the separator, decimal mark, encoding or time format right?\n"
                                f"{self.problems.summary()}", self.problems)


def _texts(column: pa.ChunkedArray, rows: np.ndarray) -> Callable[[int], str]:
    """The cell text of ``rows[i]``, read only for the problems someone looks at."""
    def text(i: int) -> str:
        value = column[int(rows[i])].as_py()
        return "" if value is None else str(value)
    return text


def _equal(encoded: pa.DictionaryArray, text: str) -> np.ndarray:
    matches = [i for i, v in enumerate(encoded.dictionary.to_pylist()) if v == text]
    if not matches:
        return np.zeros(len(encoded), bool)
    return pc.is_in(encoded.indices, pa.array(matches, encoded.indices.type)).fill_null(False).to_numpy(
        zero_copy_only=False)
