"""Export time series to CSV, Parquet or Excel with units in the headers, atomically.

The headers are those :mod:`.reader` reads back: ``flow [m³/h]``, a ``time`` column (ISO 8601
with its offset in CSV, a UTC timestamp in Parquet, ``time [UTC]`` or ``time [Asia/Shanghai]``
in Excel, which has no time zones) and, on request, a ``flow quality`` column of good /
uncertain / bad. Without quality columns a bad sample is written as an empty cell.

The file appears whole or not at all (:class:`nodes.atomic_file.AtomicFile`): a full disk
or an interrupted export leaves the previous file, never half of a new one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from device_browser.exchange.headers import header_text, is_time_zone
from device_browser.exchange.problems import ExchangeError
from device_browser.exchange.reader import EXCEL_SUFFIXES, PARQUET_SUFFIXES, Imported
from device_browser.recordings import RecordingError, check_output
from nodes.atomic_file import AtomicFile
from nodes.chunk import BAD, QUALITY_NAMES, Chunk

if TYPE_CHECKING:
    import pandas as pd

EXCEL_ROWS = 1_048_575  # a sheet's rows below its header
CSV_SUFFIXES = (".csv", ".txt")


def wide_frame(chunks: Mapping[str, Chunk], *, with_quality: bool = False) -> pd.DataFrame:
    """Tags side by side: a row per distinct time (index ``time``, UTC), a column per tag.

    A tag without a sample at a row's time shows NaN (and bad quality in ``"<tag> quality"``);
    of several samples of one tag at the same time, the last is kept.
    """
    import pandas as pd

    names = list(chunks)
    times = [np.asarray(chunks[n].t, np.int64) for n in names]
    shared = bool(names) and all(len(t) == len(times[0]) and np.array_equal(t, times[0]) for t in times[1:])
    union = times[0] if shared and (len(times[0]) < 2 or (np.diff(times[0]) > 0).all()) else \
        (np.unique(np.concatenate(times)) if names else np.empty(0, np.int64))
    columns: dict[str, np.ndarray] = {}
    for name, t in zip(names, times, strict=True):
        chunk = chunks[name]
        if t is union:
            at, keep = slice(None), slice(None)
            values, quality = np.asarray(chunk.v, np.float64), chunk.q
        else:
            keep = np.ones(len(t), bool)
            keep[:-1] = t[1:] != t[:-1]
            at = np.searchsorted(union, t[keep])
            values = np.full(len(union), np.nan)
            values[at] = np.asarray(chunk.v, np.float64)[keep]
            quality = np.full(len(union), BAD, np.uint8)
            quality[at] = chunk.q[keep]
        columns[name] = values
        if with_quality:
            columns[f"{name} quality"] = quality
    index = pd.DatetimeIndex(pd.to_datetime(union, utc=True), name="time")
    return pd.DataFrame(columns, index=index, copy=False)


def export(data: Mapping[str, Chunk] | Imported | pd.DataFrame, path: Path, *, start: Any = None, end: Any = None,
           tags: Sequence[str] | None = None, units: Mapping[str, str] | None = None, quality: bool = False,
           timezone: str | None = None, delimiter: str = ",", decimal: str = ".") -> int:
    """Write ``data`` (per-tag chunks, an import, or a wide DataFrame) to ``path``; returns the rows written.

    Parameters
    ----------
    data
        ``{tag: Chunk}``, an :class:`~.reader.Imported`, or a DataFrame with a ``DatetimeIndex`` (or a
        ``time`` column; naive times are UTC) and a column per tag (``"<tag> quality"`` columns, if any,
        hold uint8 quality levels).
    path
        ``.csv``/``.txt``, ``.parquet``/``.pq`` or ``.xlsx``.
    start, end
        Keep ``start <= time < end`` (ns, ISO text or datetimes; naive means UTC).
    tags
        The tags to write, in this order (default: all).
    units
        Unit per tag (pint symbols such as ``m^3/h``), written into the headers as ``flow [m³/h]``.
    quality
        Also write a ``"<tag> quality"`` column (good, uncertain, bad) per tag.
    timezone
        Write times in this zone (CSV: with their offset; Excel: wall-clock, zone in the header).
    delimiter, decimal
        For CSV read by a spreadsheet in a decimal-comma locale: ``delimiter=";"``, ``decimal=","``.
    """
    path = Path(path)
    kind = _kind(path)
    if timezone is not None and not is_time_zone(timezone):
        raise ExchangeError(f"{path}: '{timezone}' is not a time zone (use e.g. Asia/Shanghai or UTC)")
    if decimal == delimiter:
        raise ExchangeError(f"{path}: the decimal mark and the delimiter are both '{delimiter}'")
    if isinstance(data, Imported):
        units = {**data.units, **(units or {})}
        data = data.chunks
    frame = _frame(data, path)
    frame = _select(frame, path, start, end, tags)
    if kind == "excel" and len(frame) > EXCEL_ROWS:
        raise ExchangeError(f"{path}: {len(frame):,} rows do not fit in an Excel sheet ({EXCEL_ROWS:,} at most); "
                            "export a shorter range, or to CSV or Parquet")
    try:
        check_output(path)
    except RecordingError as exc:
        raise ExchangeError(str(exc)) from None
    out = _headers(frame, units or {}, quality)
    target = AtomicFile(path)
    try:
        if kind == "csv":
            _write_csv(out, frame.index, target.tmp, timezone, delimiter, decimal)
        elif kind == "parquet":
            _write_parquet(out, frame.index, target.tmp, timezone, units or {})
        else:
            _write_excel(out, frame.index, target.tmp, timezone)
        target.commit()
    except OSError as exc:
        target.abort()
        reason = (exc.strerror or str(exc)).replace(str(target.tmp), str(path))
        raise ExchangeError(f"{path}: the export cannot be written ({reason}); nothing was written") from None
    except BaseException:
        target.abort()
        raise
    return len(frame)


def export_recording(store, recording, path: Path, *, tags: Sequence[str] | None = None, start: Any = None,
                     end: Any = None, label: str | None = None, **options: Any) -> int:
    """Export a range of a stored recording (:mod:`device_browser.store`) with its tags' units.

    ``label`` keeps only the samples inside the recording's annotations with that label;
    ``options`` are those of :func:`export`.
    """
    chunks = store.read_chunks(list(tags) if tags is not None else None, start, end, recording=recording, label=label)
    units = {info.name: info.unit for info in store.tags(recording)}
    return export(chunks, path, units={**units, **options.pop("units", {})}, **options)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise ExchangeError(f"{path}: cannot tell the format from '{suffix or 'no suffix'}'; "
                        "use .csv, .parquet or .xlsx")


def _frame(data, path: Path) -> pd.DataFrame:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        frame = data
        if not isinstance(frame.index, pd.DatetimeIndex):
            if "time" not in frame.columns:
                raise ExchangeError(f"{path}: the table has no times (a DatetimeIndex or a 'time' column)")
            frame = frame.set_index(pd.DatetimeIndex(pd.to_datetime(frame["time"]), name="time")).drop(columns="time")
        if frame.index.tz is None:
            frame = frame.tz_localize("UTC")
        return frame.tz_convert("UTC")
    return wide_frame(data, with_quality=True)


def _select(frame: pd.DataFrame, path: Path, start: Any, end: Any, tags: Sequence[str] | None) -> pd.DataFrame:
    from device_browser.store import StoreError, to_ns

    try:
        start_ns, end_ns = to_ns(start, "start"), to_ns(end, "end")
    except StoreError as exc:
        raise ExchangeError(f"{path}: {exc}") from None
    t = frame.index.asi8
    lo = 0 if start_ns is None else int(np.searchsorted(t, start_ns, side="left"))
    hi = len(t) if end_ns is None else int(np.searchsorted(t, end_ns, side="left"))
    frame = frame.iloc[lo:max(lo, hi)]
    if tags is not None:
        missing = [t for t in tags if t not in frame.columns]
        if missing:
            known = [c for c in frame.columns if not str(c).endswith(" quality")]
            raise ExchangeError(f"{path}: no tag(s) {', '.join(map(repr, missing))} to export "
                                f"(tags: {', '.join(map(str, known))})")
        keep = [c for t in tags for c in (t, f"{t} quality") if c in frame.columns]
        frame = frame[keep]
    return frame


def _headers(frame: pd.DataFrame, units: Mapping[str, str], quality: bool) -> dict[str, Any]:
    """Output columns by header: values NaN where bad (unless quality is written), quality as words."""
    import pandas as pd

    out: dict[str, Any] = {}
    words = np.array([QUALITY_NAMES.get(i, "bad") for i in range(256)], dtype=object)
    for name in frame.columns:
        if str(name).endswith(" quality"):
            continue
        values = frame[name].to_numpy(np.float64)
        q = frame.get(f"{name} quality")
        q = None if q is None else q.to_numpy(np.uint8)
        if q is not None and not quality:
            values = np.where(q == BAD, np.nan, values)
        out[header_text(str(name), units.get(name, ""))] = values
        if quality:
            out[f"{name} quality"] = pd.Categorical(words[q if q is not None else np.zeros(len(values), np.uint8)])
    return out


def _iso(index: pd.DatetimeIndex, timezone: str | None) -> np.ndarray:
    """ISO 8601 text with as many decimals as the times need; ``Z``, or the zone's offset."""
    t = index.asi8
    unit = next((u for u, step in (("s", 10**9), ("ms", 10**6), ("us", 10**3)) if not (t % step).any()), "ns")
    if timezone is None or timezone.upper() == "UTC":
        return np.datetime_as_string(t.view("datetime64[ns]"), unit=unit, timezone="UTC")
    local = index.tz_convert(timezone).tz_localize(None).asi8
    offsets, inverse = np.unique((local - t) // 60_000_000_000, return_inverse=True)
    signs = ["+" if o >= 0 else "-" for o in offsets]
    names = np.array([f"{s}{abs(o) // 60:02d}:{abs(o) % 60:02d}" for s, o in zip(signs, offsets, strict=True)],
                     dtype=object)
    text = np.datetime_as_string(local.view("datetime64[ns]"), unit=unit).astype(object)
    return text + names[inverse]


def _write_csv(columns: dict[str, Any], index: pd.DatetimeIndex, tmp: Path, timezone: str | None,
               delimiter: str, decimal: str) -> None:
    import pandas as pd

    frame = pd.DataFrame({"time": _iso(index, timezone), **columns}, copy=False)
    frame.to_csv(tmp, index=False, sep=delimiter, decimal=decimal, lineterminator="\n")


def _write_parquet(columns: dict[str, Any], index: pd.DatetimeIndex, tmp: Path, timezone: str | None,
                   units: Mapping[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    zone = timezone or "UTC"
    arrays = [pa.array(index.asi8, pa.timestamp("ns", "UTC")).cast(pa.timestamp("ns", zone))]
    fields = [pa.field("time", arrays[0].type)]
    for header, values in columns.items():
        array = pa.array(values, from_pandas=False) if isinstance(values, np.ndarray) else \
            pa.array(np.asarray(values, dtype=object)).dictionary_encode()
        name = header.split(" [")[0]
        metadata = {"unit": units[name]} if units.get(name) else None
        arrays.append(array)
        fields.append(pa.field(header, array.type, metadata=metadata))
    pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), tmp)


def _write_excel(columns: dict[str, Any], index: pd.DatetimeIndex, tmp: Path, timezone: str | None) -> None:
    import pandas as pd

    zone = timezone or "UTC"
    wall = index.tz_convert(zone).tz_localize(None)
    frame = pd.DataFrame({f"time [{zone}]": wall, **columns}, copy=False)
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="data")
