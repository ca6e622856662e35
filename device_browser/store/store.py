"""The recording store: recordings, their tags, blocks of samples, gaps and annotations.

One :class:`RecordingStore` wraps one database (see :func:`open_store`). Writes are transactions:
:meth:`RecordingStore.append` writes many tags' samples in one commit, so a crash keeps all of a
call or none of it. Reads live in :mod:`device_browser.store.query` and are offered here as methods.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from device_browser.store import gaps_annotations, query, schema
from device_browser.store.codec import EncodedBlock, decode_block, encode_block
from device_browser.store.connect import is_disk_full, parse_location, postgres_engine, sqlite_engine
from device_browser.store.errors import StoreError, StoreFullError, StoreReadOnlyError
from device_browser.store.migrate import Revision, prepare, revision_of
from device_browser.store.model import Recording, TagInfo, TimeLike, to_ns
from nodes.chunk import Chunk

log = logging.getLogger(__name__)

DEFAULT_BLOCK_SIZE = 65_536  # samples per block: ~0.5 MB of values before compression
COMPACT_SAMPLES = 1_000_000  # samples merged per compaction transaction (~0.1-0.3 s of work)
# …and blocks: a recorder's one-second blocks are tiny (10 samples), and 100,000 of them in one
# transaction held the recorder's next commit for 30-45 s (each block costs ~0.1 ms to decode).
COMPACT_BLOCKS = 2_000
RecordingRef = int | str | Recording
Samples = Chunk | tuple[Any, Any] | tuple[Any, Any, Any]


def open_store(location: str | Path, *, read_only: bool = False,
               block_size: int = DEFAULT_BLOCK_SIZE) -> RecordingStore:
    """Open (and create, or upgrade to this version's schema) a store.

    Parameters
    ----------
    location
        An SQLite file path (see :func:`~device_browser.store.files.project_store_path`) or a
        ``postgresql+psycopg://user:password@host:port/database`` URL.
    read_only
        Open without writing anything. A store written by a newer Millwright is always opened
        read-only; :attr:`RecordingStore.read_only_reason` then says why.
    block_size
        The most samples per block that :meth:`RecordingStore.append` and ``compact`` write.
    """
    _check_block_size(block_size)  # before any engine exists: a refusal leaves no connection and no file
    target = parse_location(location)
    if isinstance(target, Path):
        engine = sqlite_engine(target, read_only=read_only)
        shown = str(target.resolve())
    else:
        engine = postgres_engine(target, read_only=read_only)
        shown = target.render_as_string(hide_password=True)
    try:
        if read_only:
            with engine.connect() as connection:
                found = revision_of(connection)
            if found.current is None:
                raise StoreError(f"{shown}: there is no recording store here yet; open it once for writing to "
                                 "create one")
            if found.outdated:
                raise StoreError(f"{shown}: the store has schema revision {found.current or 'none'} and needs an "
                                 f"upgrade to {found.head}; open it once for writing to upgrade it")
            reason = "opened read-only on request"
        else:
            found = prepare(engine)
            reason = None
        if found.newer:
            reason = (f"{shown}: the store was written by a newer version of Millwright (schema revision "
                      f"{found.current}; this version knows up to {found.head}), so it is opened read-only; "
                      "update Millwright to record into it")
            log.warning(reason)
            if not read_only:  # let the database refuse writes too, not only this code
                engine.dispose()
                engine = (sqlite_engine(target, read_only=True) if isinstance(target, Path)
                          else postgres_engine(target, read_only=True))
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise StoreError(f"{shown}: cannot be opened as a recording store ({exc.orig})") from None
    except BaseException:
        engine.dispose()
        raise
    return RecordingStore(engine, shown, found, read_only_reason=reason, block_size=block_size)


class RecordingStore:
    """Recordings of time series in blocks; every method opens its own short transaction (thread-safe)."""

    def __init__(self, engine: sa.Engine, location: str, revision: Revision, *, read_only_reason: str | None,
                 block_size: int = DEFAULT_BLOCK_SIZE):
        _check_block_size(block_size)
        self.engine = engine
        self.location = location
        self.revision = revision
        self.read_only_reason = read_only_reason
        self.block_size = block_size
        self._tag_ids: dict[tuple[int, str], int] = {}
        self._recording_keys: dict[int | str, tuple[int, str]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RecordingStore {self.location}{' (read-only)' if self.read_only else ''}>"

    def __enter__(self) -> RecordingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        return self.read_only_reason is not None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def close(self) -> None:
        """Close every connection (SQLite then folds its WAL file back into the store)."""
        self.engine.dispose()

    # -- transactions -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _write(self, what: str) -> Iterator[sa.Connection]:
        """A write transaction: refused when read-only; a full disk becomes :class:`StoreFullError`."""
        if self.read_only_reason:
            raise StoreReadOnlyError(f"cannot {what}: {self.read_only_reason}")
        try:
            with self.engine.connect() as connection:
                connection.execution_options(store_write=True)
                with connection.begin():
                    yield connection
        except sa.exc.DBAPIError as exc:
            if is_disk_full(exc):
                raise StoreFullError(f"{self.location}: the disk is full; could not {what} "
                                     "(nothing of this write was kept)") from None
            raise

    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A read transaction: one consistent snapshot (WAL readers never wait for the writer)."""
        with self.engine.connect() as connection, connection.begin():
            yield connection

    # -- recordings -------------------------------------------------------------------------------
    def create_recording(self, name: str, *, operator: str = "", devices: Sequence[str] = (), notes: str = "",
                         started: TimeLike | None = None) -> Recording:
        """A new recording session; ``started`` defaults to now. Names are unique in a store."""
        if not name.strip():
            raise StoreError("a recording needs a name")
        started_ns = to_ns(started, "started") if started is not None else time.time_ns()
        taken = StoreError(f"{self.location}: there is already a recording named '{name}'")
        try:
            with self._write(f"create the recording '{name}'") as connection:
                if connection.execute(sa.select(schema.recordings.c.id)
                                      .where(schema.recordings.c.name == name)).first():
                    raise taken
                new_id = connection.execute(schema.recordings.insert().values(
                    name=name, operator=operator, started_ns=started_ns, devices=list(devices), notes=notes)
                ).inserted_primary_key[0]
        except sa.exc.IntegrityError:  # another program created it since the check (PostgreSQL writers overlap)
            raise taken from None
        return Recording(new_id, name, operator, started_ns, None, tuple(devices), notes)

    def update_recording(self, recording: RecordingRef, *, name: str | None = None, operator: str | None = None,
                         devices: Sequence[str] | None = None, notes: str | None = None,
                         ended: TimeLike | None = None) -> Recording:
        """Change what is said about a recording (``ended`` marks it finished)."""
        changes: dict[str, Any] = {k: v for k, v in (("name", name), ("operator", operator), ("notes", notes))
                                   if v is not None}
        if devices is not None:
            changes["devices"] = list(devices)
        if ended is not None:
            changes["ended_ns"] = to_ns(ended, "ended")
        if name is not None and not name.strip():
            raise StoreError("a recording needs a name")
        rec = self.recording(recording)
        if changes:
            taken = StoreError(f"{self.location}: there is already a recording named '{name}'")
            try:
                with self._write(f"change the recording '{rec.name}'") as connection:
                    if name is not None and name != rec.name and connection.execute(
                            sa.select(schema.recordings.c.id).where(schema.recordings.c.name == name)).first():
                        raise taken
                    connection.execute(schema.recordings.update().where(schema.recordings.c.id == rec.id)
                                       .values(**changes))
            except sa.exc.IntegrityError:  # renamed to a name another program took since the check
                raise taken from None
            self._forget(rec.id)
        return self.recording(rec.id)

    def finish_recording(self, recording: RecordingRef, ended: TimeLike | None = None) -> Recording:
        """Mark a recording as ended (now, unless ``ended`` is given)."""
        return self.update_recording(recording, ended=ended if ended is not None else time.time_ns())

    def delete_recording(self, recording: RecordingRef) -> None:
        """Delete a recording with its tags, samples, gaps and annotations."""
        rec = self.recording(recording)
        with self._write(f"delete the recording '{rec.name}'") as connection:
            for table in (schema.annotations, schema.gaps, schema.blocks, schema.tags):
                connection.execute(table.delete().where(table.c.recording_id == rec.id))
            connection.execute(schema.recordings.delete().where(schema.recordings.c.id == rec.id))
        self._forget(rec.id)

    def _forget(self, recording_id: int) -> None:
        with self._lock:
            self._tag_ids = {k: v for k, v in self._tag_ids.items() if k[0] != recording_id}
            self._recording_keys = {k: v for k, v in self._recording_keys.items() if v[0] != recording_id}

    def _recording_key(self, recording: RecordingRef) -> tuple[int, str]:
        """Id and name of a recording, remembered: appends every second need not look it up again."""
        key = recording.id if isinstance(recording, Recording) else recording
        with self._lock:
            known = self._recording_keys.get(key)
        if known is None:
            rec = self.recording(key)
            known = (rec.id, rec.name)
            with self._lock:
                self._recording_keys[key] = known
        return known

    def recordings(self) -> list[Recording]:
        """Every recording, oldest first."""
        with self._read() as connection:
            rows = connection.execute(sa.select(schema.recordings)
                                      .order_by(schema.recordings.c.started_ns, schema.recordings.c.id)).all()
        return [_recording(row) for row in rows]

    def recording(self, recording: RecordingRef) -> Recording:
        """A recording by id, name or value; an unknown one is a :class:`StoreError` naming it."""
        table = schema.recordings
        if isinstance(recording, Recording):
            recording = recording.id
        where = table.c.id == recording if isinstance(recording, int) else table.c.name == recording
        with self._read() as connection:
            row = connection.execute(sa.select(table).where(where)).first()
        if row is None:
            known = ", ".join(r.name for r in self.recordings()[:10]) or "none"
            raise StoreError(f"{self.location}: there is no recording '{recording}' (recordings: {known})")
        return _recording(row)

    # -- tags -------------------------------------------------------------------------------------
    def define_tags(self, recording: RecordingRef, tags: Iterable[TagInfo]) -> list[TagInfo]:
        """Create tags of a recording, or update the unit, device, point and reference of existing ones."""
        rec = self.recording(recording)
        tags = list(tags)
        with self._write(f"define tags of '{rec.name}'") as connection:
            ids = self._ensure_tags(connection, rec.id, [t.name for t in tags])
            for tag in tags:
                connection.execute(schema.tags.update().where(schema.tags.c.id == ids[tag.name]).values(
                    unit=tag.unit, device=tag.device, point=tag.point, ref=tag.ref))
        self._remember(rec.id, ids)
        return self.tags(rec)

    def tags(self, recording: RecordingRef | None = None) -> list[TagInfo]:
        """The tags of one recording, or of all, in the order they were first written."""
        table = schema.tags
        select = sa.select(table).order_by(table.c.recording_id, table.c.id)
        if recording is not None:
            select = select.where(table.c.recording_id == self.recording(recording).id)
        with self._read() as connection:
            rows = connection.execute(select).all()
        return [TagInfo(r.name, r.unit, r.device, r.point, r.ref, r.id, r.recording_id) for r in rows]

    def _ensure_tags(self, connection: sa.Connection, recording_id: int, names: Iterable[str]) -> dict[str, int]:
        """Ids of the named tags of a recording, inserting those that do not exist (in this transaction)."""
        names = list(dict.fromkeys(names))
        with self._lock:
            ids = {n: self._tag_ids[(recording_id, n)] for n in names if (recording_id, n) in self._tag_ids}
        missing = [n for n in names if n not in ids]
        if missing:
            table = schema.tags
            found = connection.execute(sa.select(table.c.name, table.c.id).where(
                table.c.recording_id == recording_id, table.c.name.in_(missing))).all()
            ids.update({row.name: row.id for row in found})
            new = [n for n in missing if n not in ids]
            if "" in new:
                raise StoreError("a tag needs a name")
            if new:
                # Another program may insert the same tag meanwhile (PostgreSQL runs writers side by side): the
                # conflict is skipped, not an error that loses this append, and the ids are read afterwards.
                insert = (sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert)(table)
                connection.execute(insert.on_conflict_do_nothing(index_elements=["recording_id", "name"]),
                                   [{"recording_id": recording_id, "name": n} for n in new])
                ids.update({row.name: row.id for row in connection.execute(sa.select(table.c.name, table.c.id).where(
                    table.c.recording_id == recording_id, table.c.name.in_(new)))})
        return ids

    def _remember(self, recording_id: int, ids: Mapping[str, int]) -> None:
        """Cache tag ids once their transaction has committed (a rolled-back insert must not be cached)."""
        with self._lock:
            self._tag_ids.update({(recording_id, n): i for n, i in ids.items()})

    # -- samples ----------------------------------------------------------------------------------
    def append(self, recording: RecordingRef, samples: Mapping[str, Samples], *, block_size: int | None = None) -> int:
        """Write samples of many tags in one transaction; the number of samples written.

        ``samples`` maps tag names to a :class:`~nodes.chunk.Chunk` or ``(t, v)`` / ``(t, v, q)``
        arrays (int64 ns, float values, uint8 quality; good when omitted). Unknown tags are created
        (:meth:`define_tags` gives them units and sources). Each tag's samples are sorted by time and
        cut into blocks of at most ``block_size``. Small appends make small blocks: a recorder that
        writes every second calls :meth:`compact` now and then.

        Blocks go in with one ``executemany``; PostgreSQL's COPY would not help, as a million
        samples are some tens of rows (the benchmark's inserts spend their time compressing).
        """
        rec_id, rec_name = self._recording_key(recording)
        size = block_size or self.block_size
        encoded = {name: _encode(name, data, size) for name, data in samples.items()}
        encoded = {name: blocks for name, blocks in encoded.items() if blocks}
        if not encoded:
            return 0
        with self._write(f"append samples to the recording '{rec_name}'") as connection:
            ids = self._ensure_tags(connection, rec_id, encoded)
            rows = [{**block.row(), "tag_id": ids[name], "recording_id": rec_id}
                    for name, blocks in encoded.items() for block in blocks]
            connection.execute(schema.blocks.insert(), rows)
        self._remember(rec_id, ids)
        return sum(block.count for blocks in encoded.values() for block in blocks)

    def compact(self, recording: RecordingRef | None = None, *, block_size: int | None = None) -> int:
        """Merge runs of small consecutive blocks of each tag into full ones; the number of blocks removed.

        Runs are merged in transactions of about ``COMPACT_SAMPLES`` samples or ``COMPACT_BLOCKS`` blocks
        (many tags each, as every commit costs an fsync), so a recorder appending meanwhile waits only for
        one such batch.
        """
        size = block_size or self.block_size
        table = schema.blocks
        select = sa.select(table.c.id, table.c.tag_id, table.c.count).order_by(table.c.tag_id, table.c.t_first,
                                                                               table.c.id)
        if recording is not None:
            select = select.where(table.c.recording_id == self.recording(recording).id)
        with self._read() as connection:
            every = connection.execute(select).all()
        removed, batch, held, blocks = 0, [], 0, 0
        for tag_id, group, samples in _runs(every, size):
            batch.append((tag_id, group))
            held += samples
            blocks += len(group)
            if held >= COMPACT_SAMPLES or blocks >= COMPACT_BLOCKS:
                removed += self._merge(batch, size)
                batch, held, blocks = [], 0, 0
        return removed + (self._merge(batch, size) if batch else 0)

    def _merge(self, groups: list[tuple[int, list[int]]], size: int) -> int:
        """Replace each group of blocks by as few as hold its samples, all in one transaction."""
        table = schema.blocks
        removed = 0
        with self._write("compact blocks") as connection:
            # Locked as read, in ascending id order (no deadlock between two compactions): on PostgreSQL another
            # compaction of the same blocks waits here, then finds them gone, instead of merging them a second time.
            rows_by_id = {}
            every = sorted(i for _, group in groups for i in group)
            for part in range(0, len(every), 512):
                select = (sa.select(table).where(table.c.id.in_(every[part:part + 512])).order_by(table.c.id)
                          .with_for_update())
                rows_by_id.update({r.id: r for r in connection.execute(select)})
            for tag_id, group in groups:
                rows = sorted((rows_by_id[i] for i in group if i in rows_by_id), key=lambda r: (r.t_first, r.id))
                if len(rows) < 2:
                    continue  # another program compacted them meanwhile
                parts = [decode_block(r.t_first, r.count, r.encoding, r.t_width, r.t_data, r.v_data, r.q_data)
                         for r in rows]
                merged = _encode(str(tag_id), tuple(np.concatenate(p) for p in zip(*parts, strict=True)), size)
                connection.execute(table.delete().where(table.c.id.in_([r.id for r in rows])))
                connection.execute(table.insert(), [{**b.row(), "tag_id": tag_id, "recording_id": rows[0].recording_id}
                                                    for b in merged])
                removed += len(rows) - len(merged)
        return removed

    def stored_bytes(self, recording: RecordingRef | None = None) -> int:
        """Bytes of compressed samples (what a recording costs on disk, without the database's overhead)."""
        table = schema.blocks
        total = sa.func.coalesce(sa.func.sum(sa.func.length(table.c.t_data) + sa.func.length(table.c.v_data)
                                             + sa.func.length(table.c.q_data)), 0)
        select = sa.select(total)
        if recording is not None:
            select = select.where(table.c.recording_id == self.recording(recording).id)
        with self._read() as connection:
            return int(connection.execute(select).scalar())

    # -- gaps and annotations (device_browser.store.gaps_annotations) ----------------------------
    add_gap = gaps_annotations.add_gap
    end_gap = gaps_annotations.end_gap
    gaps = gaps_annotations.gaps
    annotate = gaps_annotations.annotate
    update_annotation = gaps_annotations.update_annotation
    delete_annotation = gaps_annotations.delete_annotation
    annotation = gaps_annotations.annotation
    annotations = gaps_annotations.annotations

    # -- reads (device_browser.store.query) -------------------------------------------------------
    read = query.read
    read_chunk = query.read_chunk
    read_chunks = query.read_chunks
    iter_chunks = query.iter_chunks
    statistics = query.statistics


def _check_block_size(block_size: int) -> None:
    if block_size < 1:
        raise StoreError(f"block size {block_size}: a block holds at least one sample")


def _recording(row: Any) -> Recording:
    return Recording(row.id, row.name, row.operator, row.started_ns, row.ended_ns, tuple(row.devices or ()),
                     row.notes)


def _encode(name: str, data: Samples, block_size: int) -> list[EncodedBlock]:
    """One tag's samples as sorted blocks; mismatched or unusable arrays are refused naming the tag."""
    if isinstance(data, Chunk):
        t, v, q = data.t, data.v, data.q
    elif isinstance(data, tuple) and len(data) in (2, 3):
        t, v, q = data[0], data[1], data[2] if len(data) == 3 else None
    else:
        raise StoreError(f"tag '{name}': give a Chunk or a (t, v) or (t, v, q) tuple of arrays")
    try:
        t = np.asarray(t)
        if t.dtype.kind == "M":
            t = t.astype("datetime64[ns]").view(np.int64)
        elif t.dtype.kind not in "iu":
            raise StoreError(f"tag '{name}': timestamps must be int64 nanoseconds or datetime64, not {t.dtype}")
        if t.dtype.kind == "u" and t.size and int(t.max()) > np.iinfo(np.int64).max:
            # astype would wrap them to times before 1970 without a word.
            raise StoreError(f"tag '{name}': timestamp {int(t.max())} is beyond int64 nanoseconds (year 2262)")
        t = t.astype(np.int64, copy=False)
        v = np.asarray(v, dtype=np.float64)
        q = np.zeros(len(t), np.uint8) if q is None else np.asarray(q)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"tag '{name}': {exc}") from None
    q = _quality(name, q)
    if v.ndim != 1 or t.ndim != 1 or q.ndim != 1:
        raise StoreError(f"tag '{name}': one value per timestamp is stored (a signal), not {v.ndim}-D values")
    if not (len(t) == len(v) == len(q)):
        raise StoreError(f"tag '{name}': {len(t)} timestamps, {len(v)} values and {len(q)} qualities")
    if len(t) and np.any(t[1:] < t[:-1]):
        order = np.argsort(t, kind="stable")
        t, v, q = t[order], v[order], q[order]
    return [encode_block(t[i:i + block_size], v[i:i + block_size], q[i:i + block_size])
            for i in range(0, len(t), block_size)]


def _quality(name: str, q: np.ndarray) -> np.ndarray:
    """Qualities as uint8, refusing what does not fit one: a cast would wrap 300 to 44 silently."""
    if q.dtype == np.uint8:
        return q
    if q.dtype.kind not in "iubf" or (q.dtype.kind == "f" and not np.all(np.mod(q, 1) == 0)):
        raise StoreError(f"tag '{name}': qualities must be whole numbers from 0 to 255"
                         + (f", not {q.dtype}" if q.dtype.kind != "f" else ""))
    if q.size and (q.min() < 0 or q.max() > 255):
        bad = q.min() if q.min() < 0 else q.max()
        raise StoreError(f"tag '{name}': quality {bad:g} is outside 0 to 255")
    return q.astype(np.uint8)


def _runs(small: Sequence[Any], size: int) -> Iterator[tuple[int, list[int], int]]:
    """Groups of consecutive blocks of one tag whose samples fit one block (two or more each).

    ``small`` is every block's (id, tag_id, count) in time order; a full block ends a group.
    """
    group: list[int] = []
    total, tag = 0, None
    for row in small:
        if row.tag_id != tag or total + row.count > size:
            if len(group) > 1:
                yield tag, group, total
            group, total, tag = [], 0, row.tag_id
        group.append(row.id)
        total += row.count
    if len(group) > 1:
        yield tag, group, total
