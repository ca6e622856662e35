"""The recording store: time series of recordings in a database (SQLite by default, or PostgreSQL).

Engineers record site data, carry it home, replay it into graphs, annotate it and exchange it.
This package keeps it: recording sessions (who, when, which devices, notes), their tags (name,
unit, source device, profile point, tag reference), the samples in compressed per-tag blocks,
device outages (gaps) and annotations, in one schema that Alembic migrates. No Qt here.

Open
    ``store = open_store(path_or_url, read_only=False, block_size=65536)``. A path is an SQLite
    file (a project keeps it at ``project_store_path(root)`` = ``data/recordings.sqlite``; WAL
    journal, ``synchronous=FULL``, one writer at a time, readers never blocked). A
    ``postgresql+psycopg://user:pw@host:port/db`` URL selects PostgreSQL. An older store is
    upgraded on open; one written by a newer Millwright opens read-only and
    ``store.read_only_reason`` says so (writes then raise :class:`StoreReadOnlyError`).
    ``store.close()`` (or ``with open_store(...) as store:``) releases it.

Recordings, tags
    ``create_recording(name, operator=, devices=, notes=, started=)`` → :class:`Recording`;
    ``recordings()``, ``recording(id_or_name)``, ``update_recording``, ``finish_recording``,
    ``delete_recording``; ``define_tags(recording, [TagInfo(name, unit, device, point, ref)])``,
    ``tags(recording=None)``.

Write
    ``append(recording, {"flow": (t_ns, values, quality), "speed": chunk}, block_size=None)``
    writes many tags in one transaction (all or nothing; ``executemany`` of whole blocks) and
    returns the sample count. Small appends make small blocks: call ``compact(recording)`` now and
    then (a recorder: every minute and at stop). ``stored_bytes(recording)`` is the compressed size.
    A full disk raises :class:`StoreFullError` and keeps nothing of that call.

Read (ranges are half-open, ``start <= t < end``; times are int64 ns, ISO text or datetimes)
    ``read(tags, start, end, recording=, label=, form="long"|"wide", with_quality=)`` → DataFrame
    (long: ``time, tag, value, quality``; wide: one column per tag on the union of times);
    ``read_chunk(tag, ...)`` → :class:`nodes.chunk.Chunk`; ``read_chunks(tags, ...)`` → dict of
    chunks; ``iter_chunks(tag, start, end, samples=)`` streams a long range;
    ``statistics(tags, start, end, recording=)`` → DataFrame of count, values, min, max, mean,
    first, last, gaps per tag, from block metadata (only blocks cut by the range are decoded).

Gaps and annotations
    ``add_gap(recording, start, end=None, device=, reason=)``, ``end_gap(gap, end)``,
    ``gaps(recording, start, end, device=)``; ``annotate(recording, start, end, label, note=,
    author=, tags=)``, ``update_annotation``, ``delete_annotation``, ``annotation(id)``,
    ``annotations(recording, label=, start=, end=)``; ``read(..., label="pump cavitating")``
    selects the samples inside every annotation with that label (golden tests select data so).

Example
    >>> store = open_store(project_store_path(root, create=True))
    >>> rec = store.create_recording("pump test 3", operator="li.wei", devices=["pump_station"])
    >>> store.append(rec, {"flow": (t_ns, flow, quality)})
    >>> store.annotate(rec, t_ns[100], t_ns[500], "pump cavitating")
    >>> store.read(["flow"], recording=rec, label="pump cavitating", form="wide")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from device_browser.store.files import DEFAULT_STORE_NAME, GITIGNORE_PATTERNS, is_store_file, project_store_path

if TYPE_CHECKING:
    from device_browser.store.errors import StoreError, StoreFullError, StoreReadOnlyError
    from device_browser.store.model import Annotation, Gap, Recording, TagInfo, to_ns
    from device_browser.store.store import DEFAULT_BLOCK_SIZE, RecordingStore, open_store

# The rest loads SQLAlchemy, Alembic and pandas: imported when first used, so that the project
# model can ask which files are stores without paying for a database layer.
_LAZY = {"StoreError": "errors", "StoreFullError": "errors", "StoreReadOnlyError": "errors",
         "Annotation": "model", "Gap": "model", "Recording": "model", "TagInfo": "model", "to_ns": "model",
         "DEFAULT_BLOCK_SIZE": "store", "RecordingStore": "store", "open_store": "store"}

__all__ = ["DEFAULT_BLOCK_SIZE", "DEFAULT_STORE_NAME", "GITIGNORE_PATTERNS", "Annotation", "Gap", "Recording",
           "RecordingStore", "StoreError", "StoreFullError", "StoreReadOnlyError", "TagInfo", "is_store_file",
           "open_store", "project_store_path", "to_ns"]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"device_browser.store.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'device_browser.store' has no attribute '{name}'")
