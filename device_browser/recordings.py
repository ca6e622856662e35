"""Recordings as graph sources and sinks: CSV and Parquet files.

A recording has one time column (ISO 8601 text, or seconds since the Unix epoch as numbers)
and one column per tag. A header may carry the tag's unit, as exports write it (``flow [m³/h]``,
:mod:`device_browser.exchange.headers`): the column is then named by the tag alone (``flow``)
or by its whole header, and :attr:`_Source.units` gives the unit.

Reading checks what engineers get wrong with exported files and says where: unknown column
names, timestamps that go backwards (with the row), text that is not a number (with the row
and column). Empty cells become NaN with bad quality.

Outputs are written wide (one row per timestamp, one column per output) to a temporary file
that replaces the target only when the run completes, so a failed or cancelled run leaves no
half-written file. :func:`check_output` refuses an output path that cannot be written before
any work is done, and every message names the user's file, never the temporary one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from nodes.atomic_file import AtomicFile
from nodes.chunk import BAD, GOOD, Chunk

TIME_NAMES = ("timestamp", "time", "datetime", "date_time", "t", "ts")


class RecordingError(ValueError):
    """A recording that cannot be read or written; the message names the file, row and column."""


TIME_UNITS = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}  # nanoseconds per unit of numeric times


def open_source(path: Path, time_column: str | None = None, time_unit: str = "s") -> CsvSource | ParquetSource:
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"{path}: the file does not exist")
    if path.suffix.lower() in (".parquet", ".pq"):
        return ParquetSource(path, time_column, time_unit)
    return CsvSource(path, time_column, time_unit)


def open_sink(path: Path) -> RecordingSink:
    return RecordingSink(Path(path))


def check_output(path: Path, input_path: Path | None = None) -> None:
    """Refuse an output path that cannot be written, before any work is done.

    The target must not be a folder, its folder must exist and be writable, and it must not be
    the input recording (the run would replace the recording with its own results).
    """
    path = Path(path)
    folder = path.parent
    if path.is_dir():
        raise RecordingError(f"{path}: this is a folder; give a file name for the output, "
                             f"e.g. {path / 'result.csv'}")
    if not folder.exists():
        raise RecordingError(f"{path}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise RecordingError(f"{path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise RecordingError(f"{path}: cannot write into the folder {folder} (permission denied)")
    if input_path is not None and path.exists() and Path(input_path).exists() and path.samefile(input_path):
        raise RecordingError(f"{path}: the output would replace the input recording; choose another file name")


class _Source:
    def __init__(self, path: Path, time_column: str | None, time_unit: str = "s"):
        self.path = path
        self.time_unit = time_unit
        names = self._header()
        if not names:
            raise RecordingError(f"{path}: the file has no columns")
        from device_browser.exchange.headers import split_header  # lazily: exchange imports this module

        headers = [split_header(n) for n in names]
        if time_column is None:
            time_column = next((h.text for h in headers if h.name.lower() in TIME_NAMES), names[0])
        elif time_column not in names:
            time_column = next((h.text for h in headers if h.name == time_column), None) or time_column
            if time_column not in names:
                raise RecordingError(f"{path}: there is no time column '{time_column}' (columns: {', '.join(names)})")
        self.time_column = time_column
        self._names = names
        # A column is named by its tag (the header without its unit) unless two headers share a tag.
        tags = [h.name for h in headers]
        self._tags = {n: (t if tags.count(t) == 1 else n) for n, t in zip(names, tags, strict=True)}
        self._by_tag = {tag: n for n, tag in self._tags.items()}
        self.units = {self._tags[h.text]: h.unit for h in headers if h.unit and h.text != time_column}
        self._last_t: int | None = None
        self._rows_read = 0

    def _header(self) -> list[str]:
        raise NotImplementedError

    def _has_rows(self) -> bool:
        raise NotImplementedError

    def _place(self, row: int) -> str:
        """Where the recording's row number ``row`` (from 0) is, as the user finds it ("line 7")."""
        raise NotImplementedError

    def columns(self) -> list[str]:
        """The columns as their headers say (``flow [m³/h]``); :meth:`chunks` also takes the tag (``flow``)."""
        return [n for n in self._names if n != self.time_column]

    def _header_of(self, column: str) -> str | None:
        """The header of the column named ``column`` (its tag, or its whole header text)."""
        return self._by_tag.get(column, column if column in self._names else None)

    def check_columns(self, wanted: list[str]) -> None:
        missing = [c for c in wanted if self._header_of(c) is None]
        if missing:
            raise RecordingError(f"{self.path}: the graph needs column(s) {', '.join(repr(m) for m in missing)}, "
                                 f"which the file does not have (columns: {', '.join(self.columns())})")

    def check_rows(self) -> None:
        """Refuse a recording with a header and no rows: there is nothing to run."""
        if not self._has_rows():
            raise RecordingError(f"{self.path}: the recording has a header ({', '.join(self._names)}) but no rows; "
                                 "there is nothing to run")

    def _to_chunks(self, frame: pd.DataFrame, columns: list[str], first: int) -> dict[str, Chunk]:
        """Chunks of ``frame``, whose first row is the recording's row number ``first`` (from 0)."""
        t = self._timestamps(frame[self.time_column], first)
        chunks = {}
        for column in columns:
            values, quality = self._numbers(frame[self._header_of(column)], column, first)
            chunks[column] = Chunk(t, values, quality)
        return chunks

    def _timestamps(self, raw: pd.Series, first: int) -> np.ndarray:
        if not pd.api.types.is_numeric_dtype(raw):
            numbers = pd.to_numeric(raw, errors="coerce")
            if numbers.notna().all():
                raw = numbers  # seconds since the epoch, written as text
        if pd.api.types.is_numeric_dtype(raw):
            numbers = raw.to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(numbers))
            if len(bad):
                self._fail_row(first + bad[0], self.time_column, "the time is empty")
            ns = numbers * TIME_UNITS[self.time_unit]
            beyond = np.flatnonzero(np.abs(ns) > 9.2e18)  # int64 nanoseconds end in the year 2262
            if len(beyond):
                hint = "milliseconds? use --time-unit ms" if self.time_unit == "s" else "another unit?"
                self._fail_row(first + beyond[0], self.time_column,
                               f"{raw.iloc[beyond[0]]} {self.time_unit} since 1970 is after the year 2262; "
                               f"are the times in {hint}")
            t = np.round(ns).astype(np.int64)
        else:
            parsed = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
            bad = np.flatnonzero(parsed.isna().to_numpy())
            if len(bad):
                self._fail_row(first + bad[0], self.time_column,
                               f"'{raw.iloc[bad[0]]}' is not a time (use ISO 8601, e.g. 2026-11-25T08:00:00Z)")
            t = parsed.dt.tz_localize(None).to_numpy("datetime64[ns]").view(np.int64)
        previous = np.concatenate([[self._last_t if self._last_t is not None else t[0]], t[:-1]]) if len(t) else t
        backwards = np.flatnonzero(t < previous)
        if len(backwards):
            self._fail_row(first + backwards[0], self.time_column,
                           "the time goes backwards (timestamps must increase)")
        if len(t):
            self._last_t = int(t[-1])
        return t

    def _numbers(self, raw: pd.Series, column: str, first: int) -> tuple[np.ndarray, np.ndarray]:
        if pd.api.types.is_bool_dtype(raw):
            return raw.to_numpy(np.float64), np.zeros(len(raw), np.uint8)
        if pd.api.types.is_numeric_dtype(raw):
            values = raw.to_numpy(np.float64)
        else:
            import pyarrow as pa

            from device_browser.exchange.parse import numbers  # the one number parser of every import

            parsed = numbers(pa.array(raw.astype(object), pa.string(), from_pandas=True))
            values = parsed.values
            wrong = np.flatnonzero(parsed.bad)
            if len(wrong):
                self._fail_row(first + wrong[0], column, f"'{raw.iloc[wrong[0]]}' is not a number")
        quality = np.where(np.isnan(values), BAD, GOOD).astype(np.uint8)
        return values, quality

    def _fail_row(self, row: int, column: str, problem: str) -> None:
        """Raise for the recording's row number ``row`` (from 0), named as the user finds it."""
        raise RecordingError(f"{self.path}, {self._place(row)}, column '{column}': {problem}")


class CsvSource(_Source):
    """A CSV recording; places are the file's line numbers as an editor shows them."""

    def _header(self) -> list[str]:
        try:
            return list(pd.read_csv(self.path, nrows=0).columns)
        except UnicodeDecodeError as exc:
            raise self._not_utf8() or RecordingError(f"{self.path}: not a readable CSV file ({exc})") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise RecordingError(f"{self.path}: not a readable CSV file ({exc})") from None

    def _not_utf8(self) -> RecordingError | None:
        """The first line with bytes that are not UTF-8 text (an export in a local code page), or None."""
        with open(self.path, "rb") as f:
            for number, line in enumerate(f, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    character = len(line[:exc.start].decode("utf-8")) + 1
                    return RecordingError(f"{self.path}, line {number}, character {character}: byte "
                                          f"0x{line[exc.start]:02x} is not UTF-8 text; save the file as UTF-8 "
                                          "(in Excel: CSV UTF-8)")
        return None

    def count_rows(self) -> int:
        """Lines after the header (for the progress bar; blank lines are counted too)."""
        newlines, last = 0, b"\n"
        with open(self.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                newlines, last = newlines + block.count(b"\n"), block[-1:]
        return max(0, newlines + (last != b"\n") - 1)

    def _has_rows(self) -> bool:
        with open(self.path, "rb") as f:
            f.readline()  # the header
            return any(line.strip() for line in f)

    def _data_lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, content) of every line after the header that is not empty, as pyarrow reads them."""
        with open(self.path, "rb") as f:
            f.readline()
            for number, line in enumerate(f, start=2):
                content = line.rstrip(b"\r\n")
                if content:
                    yield number, content

    def _place(self, row: int) -> str:
        # pyarrow skips empty lines, so the row number alone would point above a blank line's row.
        for index, (number, _) in enumerate(self._data_lines()):
            if index == row:
                return f"line {number}"
        return f"line {row + 2}"

    def _broken_row(self, invalid: list) -> RecordingError:
        """The first row whose field count differs from the header's, named by its line number."""
        first = invalid[0]
        texts = {row.text.encode("utf-8", "surrogateescape") for row in invalid}
        number = next((n for n, content in self._data_lines() if content in texts), None)
        where = f"{self.path}, line {number}" if number is not None else f"{self.path}, a line"
        fields = f"{first.actual_columns} field{'s' if first.actual_columns != 1 else ''}"
        problem = f"{fields} where the header has {first.expected_columns} ({', '.join(self._names)})"
        if first.actual_columns > first.expected_columns:
            problem += "; is a decimal comma used, or a text with a comma not in quotes?"
        elif first.actual_columns < len(self._names):
            problem += f"; column '{self._names[first.actual_columns]}' is missing"
        text = first.text if len(first.text) <= 80 else first.text[:77] + "..."
        return RecordingError(f"{where}: {problem}: {text}")

    def chunks(self, columns: list[str], rows: int) -> Iterator[dict[str, Chunk]]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        self.check_columns(columns)
        # pyarrow reads strictly (a row with an extra field is an error, wherever it falls);
        # every cell comes as text so that our own checks can name the row of a bad number.
        options = pacsv.ConvertOptions(column_types={name: pa.string() for name in self._names},
                                       include_columns=[self.time_column, *map(self._header_of, columns)])
        invalid: list = []  # rows with too many or too few fields, as pyarrow meets them

        def refuse(row) -> str:
            invalid.append(row)
            return "error"

        done = 0  # rows handed out so far
        pending: list[pd.DataFrame] = []
        try:
            reader = pacsv.open_csv(self.path, read_options=pacsv.ReadOptions(block_size=1 << 22),
                                    parse_options=pacsv.ParseOptions(invalid_row_handler=refuse),
                                    convert_options=options)
            for batch in reader:
                pending.append(batch.to_pandas())
                frame = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
                full = len(frame) - len(frame) % rows
                for start in range(0, full, rows):
                    yield self._to_chunks(frame.iloc[start:start + rows], columns, done)
                    done += rows
                pending = [frame.iloc[full:]] if full < len(frame) else []
            if pending:
                yield self._to_chunks(pending[0], columns, done)
        except pa.ArrowInvalid as exc:
            if invalid:
                raise self._broken_row(invalid) from None
            if "UTF8" in str(exc) or "UTF-8" in str(exc):
                not_utf8 = self._not_utf8()
                if not_utf8 is not None:
                    raise not_utf8 from None
            where = self._place(done)
            raise RecordingError(f"{self.path}: the CSV file cannot be read from {where} on: {exc}") from None


class ParquetSource(_Source):
    """A Parquet recording; places are row numbers from 1."""

    def _header(self) -> list[str]:
        import pyarrow.parquet as pq

        try:
            self._file = pq.ParquetFile(self.path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise RecordingError(f"{self.path}: not a readable Parquet file ({exc})") from None
        return list(self._file.schema_arrow.names)

    def count_rows(self) -> int:
        return self._file.metadata.num_rows

    def _has_rows(self) -> bool:
        return self._file.metadata.num_rows > 0

    def _place(self, row: int) -> str:
        return f"row {row + 1}"

    def chunks(self, columns: list[str], rows: int) -> Iterator[dict[str, Chunk]]:
        self.check_columns(columns)
        row = 0
        wanted = [self.time_column, *map(self._header_of, columns)]
        for batch in self._file.iter_batches(batch_size=rows, columns=wanted):
            frame = batch.to_pandas()
            if pd.api.types.is_datetime64_any_dtype(frame[self.time_column]):
                stamps = frame[self.time_column]
                stamps = stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps
                frame[self.time_column] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            yield self._to_chunks(frame, columns, row)
            row += len(frame)


class RecordingSink:
    """Writes outputs wide into CSV or Parquet, committed atomically by :meth:`close`.

    Failures raise :class:`RecordingError` naming :attr:`path`, never the temporary file.
    """

    def __init__(self, path: Path):
        self.path = path
        self.parquet = path.suffix.lower() in (".parquet", ".pq")
        try:
            self._file = AtomicFile(path)
        except OSError as exc:
            check_output(path)  # says why in the user's words when it can
            raise self._cannot_write(exc) from None
        self._writer = None
        self._columns: list[str] | None = None
        self.rows = 0

    def write(self, outputs: dict[str, Chunk]) -> None:
        frame = _wide(outputs)
        if self._columns is None:
            self._columns = list(frame.columns)
        frame = frame.reindex(columns=self._columns)
        if frame.empty:
            return
        try:
            if self.parquet:
                self._parquet_writer(frame).write_table(_arrow(frame))
            else:
                frame = frame.assign(time=frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
                frame.to_csv(self._file.tmp, mode="a", header=self.rows == 0, index=False, float_format="%.10g")
        except OSError as exc:
            raise self._cannot_write(exc) from None
        self.rows += len(frame)

    def _parquet_writer(self, frame: pd.DataFrame):
        if self._writer is None:
            import pyarrow.parquet as pq

            self._writer = pq.ParquetWriter(self._file.tmp, _arrow(frame).schema)
        return self._writer

    def close(self) -> None:
        """Commit: an output with no rows is still a valid file with its header (or schema)."""
        empty = pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")}).reindex(
            columns=self._columns or ["time"])
        try:
            if self.parquet:
                self._parquet_writer(empty).close()
            elif self.rows == 0:
                empty.to_csv(self._file.tmp, index=False)
            self._file.commit()
        except OSError as exc:
            if self.path.is_dir():
                raise RecordingError(f"{self.path}: this is a folder; nothing was written") from None
            raise self._cannot_write(exc) from None

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._file.abort()

    def _cannot_write(self, exc: OSError) -> RecordingError:
        reason = exc.strerror or str(exc)
        if hasattr(self, "_file"):
            reason = reason.replace(str(self._file.tmp), str(self.path)).replace(self._file.tmp.name, self.path.name)
        return RecordingError(f"{self.path}: the output cannot be written ({reason})")


def _arrow(frame: pd.DataFrame):
    import pyarrow as pa

    return pa.Table.from_pandas(frame, preserve_index=False)


def _wide(outputs: dict[str, Chunk]) -> pd.DataFrame:
    """One row per timestamp, one column per output (spectra: one column per bin)."""
    frames = []
    for name in sorted(outputs):
        chunk = outputs[name]
        values = np.asarray(chunk.v, dtype=np.float64)
        bad = chunk.q == BAD
        if values.ndim == 2:
            values = np.where(bad[:, None], np.nan, values)
            columns = [f"{name}@{a:g}" for a in (chunk.axis if chunk.axis is not None else range(values.shape[1]))]
            frame = pd.DataFrame(values, columns=columns)
        else:
            frame = pd.DataFrame({name: np.where(bad, np.nan, values)})
            if chunk.labels and len(chunk.labels) == len(chunk):
                frame[f"{name}.label"] = list(chunk.labels)
        # Equal timestamps are legal (exports repeat them): number the repeats so that the k-th
        # sample at a time in one output meets the k-th sample at that time in the others.
        frame.index = pd.MultiIndex.from_arrays([chunk.t, pd.Series(chunk.t).groupby(chunk.t).cumcount().to_numpy()],
                                                names=["t", "repeat"])
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})
    wide = pd.concat(frames, axis=1, join="outer").sort_index()
    wide.insert(0, "time", pd.to_datetime(wide.index.get_level_values("t").to_numpy(), utc=True))
    return wide.reset_index(drop=True)
