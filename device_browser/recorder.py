"""Recording a device's values to a file as they arrive, so that nothing recorded is ever lost.

A monitoring run may last hours and meet outages, Ctrl-C or ``kill -9``. So a recorder writes
as it goes and never deletes: rows are flushed at least every ``flush_s`` seconds (default 1),
and whatever was flushed stays readable whatever happens next.

Layouts:

* **long** (default, CSV or Parquet): one row per sample — ``time, tag, value, quality,
  status``. It stays fast with 10,000 tags (a wide row of 10,000 columns per poll does not),
  keeps each tag's own timestamps, and marks a gap as a row with quality ``bad`` and status
  ``BadNoCommunication``. pandas reads it back with ``pivot`` when a wide table is wanted.
* **wide** (CSV only): one row per poll, one column per tag, as Modbus Poll's log looks; for a
  handful of tags read together.

Parquet output is a folder of part files (``OUT.parquet/part-000000.parquet`` …), each written
whole to a temporary name and renamed, so a ``kill -9`` leaves only complete parts;
``pandas.read_parquet(OUT)`` reads the folder as one table.
"""

from __future__ import annotations

import abc
import csv
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from device_browser.display import format_time
from device_browser.session import DeviceError
from nodes.quality import QUALITY_NAMES

LAYOUTS = ("long", "wide")


class RecorderError(DeviceError):
    """The output cannot be written; the message names the path."""


def number(value: Any) -> float:
    """A sample's value as a float for a numeric column (text, None and arrays become NaN)."""
    if isinstance(value, bool):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _cell(value: Any) -> Any:
    """A CSV cell: numbers and text as they are, booleans as 0/1, nothing (bad, no value) as empty."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | str):
        return value
    v = number(value)
    return "" if math.isnan(v) else v


class Recorder(abc.ABC):
    """Rows in, flushed to disk at least every ``flush_s`` seconds; :meth:`close` flushes the rest."""

    def __init__(self, path: Path, tags: Sequence[str], layout: str = "long", flush_s: float = 1.0):
        self.path, self.tags, self.layout, self.flush_s = Path(path), list(tags), layout, flush_s
        self.rows = 0
        self._last_flush = time.monotonic()

    @abc.abstractmethod
    def add(self, tag: str, t: int, value: Any, quality: int, status: str = "") -> None:
        """One sample of one tag."""

    def add_row(self, t: int, values: Sequence[Any], qualities: Sequence[int], statuses: Sequence[str]) -> None:
        """One sample of every tag, at one time (a poll)."""
        for tag, value, quality, status in zip(self.tags, values, qualities, statuses, strict=True):
            self.add(tag, t, value, quality, status)

    def flush_due(self) -> bool:
        return time.monotonic() - self._last_flush >= self.flush_s

    def flush(self) -> None:
        self._last_flush = time.monotonic()

    def close(self) -> None:
        self.flush()


class _CsvRecorder(Recorder):
    """A new CSV file with a header row, flushed to the disk (fsync) at every flush."""

    def __init__(self, path: Path, tags: Sequence[str], layout: str, flush_s: float, header: Sequence[str]):
        super().__init__(path, tags, layout, flush_s)
        self._file = _create(self.path)
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(header)

    def flush(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        super().flush()

    def close(self) -> None:
        if not self._file.closed:
            self.flush()
            self._file.close()


class CsvLongRecorder(_CsvRecorder):
    def __init__(self, path: Path, tags: Sequence[str], layout: str = "long", flush_s: float = 1.0):
        super().__init__(path, tags, layout, flush_s, ["time", "tag", "value", "quality", "status"])
        self._times: tuple[int, str] = (-1, "")

    def _time(self, t: int) -> str:
        if self._times[0] != t:  # a poll stamps every tag alike: format once
            self._times = (t, format_time(t))
        return self._times[1]

    def add(self, tag: str, t: int, value: Any, quality: int, status: str = "") -> None:
        self._writer.writerow([self._time(t), tag, _cell(value), QUALITY_NAMES[int(quality)], status])
        self.rows += 1


class CsvWideRecorder(_CsvRecorder):
    def __init__(self, path: Path, tags: Sequence[str], layout: str = "wide", flush_s: float = 1.0):
        super().__init__(path, tags, layout, flush_s, ["time", *tags, *(f"{tag}.quality" for tag in tags)])

    def add(self, tag: str, t: int, value: Any, quality: int, status: str = "") -> None:
        raise RecorderError(f"{self.path}: the wide layout records whole polls; use the long layout for single values")

    def add_row(self, t: int, values: Sequence[Any], qualities: Sequence[int], statuses: Sequence[str]) -> None:
        self._writer.writerow([format_time(t), *map(_cell, values), *(QUALITY_NAMES[int(q)] for q in qualities)])
        self.rows += 1


class ParquetRecorder(Recorder):
    """Long rows collected in memory and written as one closed part file per flush."""

    def __init__(self, path: Path, tags: Sequence[str], layout: str = "long", flush_s: float = 1.0):
        super().__init__(path, tags, layout, flush_s)
        try:
            self.path.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise RecorderError(f"{self.path} already exists; choose another output or remove it first") from None
        except OSError as exc:
            raise RecorderError(f"{self.path}: cannot create the folder ({exc.strerror})") from None
        self.parts = 0
        self._t: list[int] = []
        self._tag: list[str] = []
        self._v: list[float] = []
        self._q: list[int] = []
        self._s: list[str] = []

    def add(self, tag: str, t: int, value: Any, quality: int, status: str = "") -> None:
        self._t.append(int(t))
        self._tag.append(tag)
        self._v.append(number(value))
        self._q.append(int(quality))
        self._s.append(status)
        self.rows += 1

    def flush(self) -> None:
        super().flush()
        if not self._t:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({
            "time": pa.array(np.asarray(self._t, np.int64), pa.timestamp("ns", tz="UTC")),
            "tag": pa.array(self._tag).dictionary_encode(),
            "value": pa.array(self._v, pa.float64()),
            "quality": pa.array(self._q, pa.uint8()),
            "status": pa.array(self._s).dictionary_encode(),
        })
        final = self.path / f"part-{self.parts:06d}.parquet"
        temporary = self.path / f".{final.name}.tmp"
        pq.write_table(table, temporary)
        os.replace(temporary, final)  # only whole parts ever carry the .parquet name
        self.parts += 1
        self._t, self._tag, self._v, self._q, self._s = [], [], [], [], []


def _create(path: Path):
    """A new file for writing; an existing one is never overwritten (it may hold yesterday's recording)."""
    try:
        return open(path, "x", encoding="utf-8", newline="")
    except FileExistsError:
        raise RecorderError(f"{path} already exists; choose another output or remove it first") from None
    except IsADirectoryError:
        raise RecorderError(f"{path} is a folder; give a file name for the recording") from None
    except OSError as exc:
        raise RecorderError(f"{path}: cannot be written ({exc.strerror})") from None


def check_new_output(path: Path) -> None:
    """Refuse an output that exists (a recording is never overwritten) or whose folder does not."""
    path = Path(path)
    if path.exists():
        raise RecorderError(f"{path} already exists; choose another output or remove it first")
    if not path.parent.is_dir():
        raise RecorderError(f"{path}: the folder {path.parent} does not exist")


def open_recorder(path: Path, tags: Sequence[str], layout: str = "long", flush_s: float = 1.0) -> Recorder:
    """A recorder for ``path``: Parquet for ``.parquet``/``.pq``, CSV otherwise."""
    path = Path(path)
    if layout not in LAYOUTS:
        raise RecorderError(f"Unknown layout '{layout}'; use long or wide")
    if path.suffix.lower() in (".parquet", ".pq"):
        if layout == "wide":
            raise RecorderError(f"{path}: Parquet recordings use the long layout (one row per sample)")
        return ParquetRecorder(path, tags, layout, flush_s)
    if layout == "wide":
        return CsvWideRecorder(path, tags, layout, flush_s)
    return CsvLongRecorder(path, tags, layout, flush_s)
