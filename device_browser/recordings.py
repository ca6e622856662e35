"""Recordings as graph sources and sinks: CSV and Parquet files.

A recording has one time column (ISO 8601 text, or seconds since the Unix epoch as numbers)
and one column per tag. Reading checks what engineers get wrong with exported files and says
where: unknown column names, timestamps that go backwards (with the row), text that is not a
number (with the row and column). Empty cells become NaN with bad quality.

Outputs are written wide (one row per timestamp, one column per output) to a temporary file
that replaces the target only when the run completes, so a failed or cancelled run leaves no
half-written file.
"""

from __future__ import annotations

import contextlib
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


class _Source:
    def __init__(self, path: Path, time_column: str | None, time_unit: str = "s"):
        self.path = path
        self.time_unit = time_unit
        names = self._header()
        if not names:
            raise RecordingError(f"{path}: the file has no columns")
        if time_column is None:
            time_column = next((n for n in names if n.strip().lower() in TIME_NAMES), names[0])
        elif time_column not in names:
            raise RecordingError(f"{path}: there is no time column '{time_column}' (columns: {', '.join(names)})")
        self.time_column = time_column
        self._names = names
        self._last_t: int | None = None
        self._rows_read = 0

    def columns(self) -> list[str]:
        return [n for n in self._names if n != self.time_column]

    def check_columns(self, wanted: list[str]) -> None:
        missing = [c for c in wanted if c not in self._names]
        if missing:
            raise RecordingError(f"{self.path}: the graph needs column(s) {', '.join(repr(m) for m in missing)}, "
                                 f"which the file does not have (columns: {', '.join(self.columns())})")

    def _to_chunks(self, frame: pd.DataFrame, columns: list[str], first_line: int) -> dict[str, Chunk]:
        t = self._timestamps(frame[self.time_column], first_line)
        chunks = {}
        for column in columns:
            values, quality = self._numbers(frame[column], column, first_line)
            chunks[column] = Chunk(t, values, quality)
        return chunks

    def _timestamps(self, raw: pd.Series, first_line: int) -> np.ndarray:
        if not pd.api.types.is_numeric_dtype(raw):
            numbers = pd.to_numeric(raw, errors="coerce")
            if numbers.notna().all():
                raw = numbers  # seconds since the epoch, written as text
        if pd.api.types.is_numeric_dtype(raw):
            numbers = raw.to_numpy(dtype=np.float64)
            bad = np.flatnonzero(~np.isfinite(numbers))
            if len(bad):
                self._fail_row(first_line + bad[0], self.time_column, "the time is empty")
            ns = numbers * TIME_UNITS[self.time_unit]
            beyond = np.flatnonzero(np.abs(ns) > 9.2e18)  # int64 nanoseconds end in the year 2262
            if len(beyond):
                hint = "milliseconds? use --time-unit ms" if self.time_unit == "s" else "another unit?"
                self._fail_row(first_line + beyond[0], self.time_column,
                               f"{raw.iloc[beyond[0]]} {self.time_unit} since 1970 is after the year 2262; "
                               f"are the times in {hint}")
            t = np.round(ns).astype(np.int64)
        else:
            parsed = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
            bad = np.flatnonzero(parsed.isna().to_numpy())
            if len(bad):
                self._fail_row(first_line + bad[0], self.time_column,
                               f"'{raw.iloc[bad[0]]}' is not a time (use ISO 8601, e.g. 2026-11-25T08:00:00Z)")
            t = parsed.dt.tz_localize(None).to_numpy("datetime64[ns]").view(np.int64)
        previous = np.concatenate([[self._last_t if self._last_t is not None else t[0]], t[:-1]]) if len(t) else t
        backwards = np.flatnonzero(t < previous)
        if len(backwards):
            self._fail_row(first_line + backwards[0], self.time_column,
                           "the time goes backwards (timestamps must increase)")
        if len(t):
            self._last_t = int(t[-1])
        return t

    def _numbers(self, raw: pd.Series, column: str, first_line: int) -> tuple[np.ndarray, np.ndarray]:
        if pd.api.types.is_bool_dtype(raw):
            return raw.to_numpy(np.float64), np.zeros(len(raw), np.uint8)
        if pd.api.types.is_numeric_dtype(raw):
            values = raw.to_numpy(np.float64)
        else:
            text = raw.astype("string").str.strip()
            values = pd.to_numeric(text.replace({"true": "1", "false": "0", "True": "1", "False": "0"}),
                                   errors="coerce").to_numpy(np.float64)
            wrong = np.flatnonzero(np.isnan(values) & text.notna().to_numpy() & (text != "").to_numpy()
                                   & (text.str.lower() != "nan").to_numpy())
            if len(wrong):
                self._fail_row(first_line + wrong[0], column, f"'{raw.iloc[wrong[0]]}' is not a number")
        quality = np.where(np.isnan(values), BAD, GOOD).astype(np.uint8)
        return values, quality

    def _fail_row(self, line: int, column: str, problem: str) -> None:
        raise RecordingError(f"{self.path}, {self._row_word} {line}, column '{column}': {problem}")


class CsvSource(_Source):
    _row_word = "line"

    def _header(self) -> list[str]:
        try:
            return list(pd.read_csv(self.path, nrows=0).columns)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise RecordingError(f"{self.path}: not a readable CSV file ({exc})") from None

    def count_rows(self) -> int:
        with open(self.path, "rb") as f:
            return max(0, sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b"")) - 1)

    def chunks(self, columns: list[str], rows: int) -> Iterator[dict[str, Chunk]]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        self.check_columns(columns)
        # pyarrow reads strictly (a row with an extra field is an error, wherever it falls);
        # every cell comes as text so that our own checks can name the row of a bad number.
        options = pacsv.ConvertOptions(column_types={name: pa.string() for name in self._names},
                                       include_columns=[self.time_column, *columns])
        line = 2  # line 1 is the header
        pending: list[pd.DataFrame] = []
        try:
            reader = pacsv.open_csv(self.path, read_options=pacsv.ReadOptions(block_size=1 << 22),
                                    convert_options=options)
            for batch in reader:
                pending.append(batch.to_pandas())
                frame = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
                full = len(frame) - len(frame) % rows
                for start in range(0, full, rows):
                    yield self._to_chunks(frame.iloc[start:start + rows], columns, line)
                    line += rows
                pending = [frame.iloc[full:]] if full < len(frame) else []
            if pending:
                yield self._to_chunks(pending[0], columns, line)
        except pa.ArrowInvalid as exc:
            raise RecordingError(f"{self.path}: the CSV layout is broken after line {line}: {exc}") from None


class ParquetSource(_Source):
    _row_word = "row"

    def _header(self) -> list[str]:
        import pyarrow.parquet as pq

        try:
            self._file = pq.ParquetFile(self.path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a damaged file
            raise RecordingError(f"{self.path}: not a readable Parquet file ({exc})") from None
        return list(self._file.schema_arrow.names)

    def count_rows(self) -> int:
        return self._file.metadata.num_rows

    def chunks(self, columns: list[str], rows: int) -> Iterator[dict[str, Chunk]]:
        self.check_columns(columns)
        row = 1
        for batch in self._file.iter_batches(batch_size=rows, columns=[self.time_column, *columns]):
            frame = batch.to_pandas()
            if pd.api.types.is_datetime64_any_dtype(frame[self.time_column]):
                stamps = frame[self.time_column]
                stamps = stamps.dt.tz_localize("UTC") if stamps.dt.tz is None else stamps
                frame[self.time_column] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            yield self._to_chunks(frame, columns, row)
            row += len(frame)


class RecordingSink:
    """Writes outputs wide into CSV or Parquet, committed atomically by :meth:`close`."""

    def __init__(self, path: Path):
        self.path = path
        self.parquet = path.suffix.lower() in (".parquet", ".pq")
        self._file = AtomicFile(path)
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
        if self.parquet:
            self._parquet_writer(frame).write_table(_arrow(frame))
        else:
            frame = frame.assign(time=frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
            frame.to_csv(self._file.tmp, mode="a", header=self.rows == 0, index=False, float_format="%.10g")
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
        if self.parquet:
            self._parquet_writer(empty).close()
        elif self.rows == 0:
            empty.to_csv(self._file.tmp, index=False)
        self._file.commit()

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._file.abort()


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
