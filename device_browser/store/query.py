"""Reading a store: time-range and tag queries as pandas DataFrames or engine chunks, and statistics.

Ranges are half-open, ``start <= t < end`` (either may be None), so consecutive windows never
share a sample. A query reads only the blocks that overlap the range (indexes on
``(tag_id, t_first)`` and ``(tag_id, t_last)``), decodes each block with numpy and cuts the ends
with ``searchsorted``: there is no loop over samples in Python. A tag name found in several
recordings (``recording=None``) gives one series of all of them, in time order.

These functions are the read methods of :class:`~device_browser.store.store.RecordingStore`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import sqlalchemy as sa

from device_browser.store import schema
from device_browser.store.codec import decode_block, value_stats
from device_browser.store.errors import StoreError
from device_browser.store.model import TimeLike, to_ns
from nodes.chunk import BAD, Chunk

if TYPE_CHECKING:
    import pandas as pd

    from device_browser.store.store import RecordingRef, RecordingStore

_ID_BATCH = 500  # tag ids per IN (...) list
_BLOCK_COLUMNS = ("tag_id", "t_first", "count", "encoding", "t_width", "t_data", "v_data", "q_data")
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def read(store: RecordingStore, tags: str | Sequence[str] | None = None, start: TimeLike | None = None,
         end: TimeLike | None = None, *, recording: RecordingRef | None = None, label: str | None = None,
         form: Literal["long", "wide"] = "long", with_quality: bool = False) -> pd.DataFrame:
    """Samples of ``tags`` (all of the recording's when None) in ``[start, end)`` as a DataFrame.

    ``form="long"`` gives one row per sample, columns ``time`` (UTC), ``tag`` (categorical),
    ``value``, ``quality``, ordered by tag then time. ``form="wide"`` gives one row per distinct
    time (index ``time``) and one column per tag; a tag without a sample at that time shows NaN
    (and, with ``with_quality``, bad quality in its ``"<tag> quality"`` column).
    ``label`` keeps only samples inside the annotations with that label, each in its own recording.
    """
    import pandas as pd

    names, data = _fetch(store, tags, start, end, recording, label)
    if form == "long":
        lengths = [len(data[n][0]) for n in names]
        return pd.DataFrame({
            "time": _times(_concat([data[n][0] for n in names], np.int64)),
            "tag": pd.Categorical.from_codes(np.repeat(np.arange(len(names), dtype=np.int32), lengths),
                                             categories=list(names)),
            "value": _concat([data[n][1] for n in names], np.float64),
            "quality": _concat([data[n][2] for n in names], np.uint8)}, copy=False)
    if form != "wide":
        raise StoreError(f"form '{form}': choose 'long' or 'wide'")
    union = np.unique(np.concatenate([data[n][0] for n in names])) if names else np.empty(0, np.int64)
    columns: dict[str, np.ndarray] = {}
    for name in names:
        t, v, q = data[name]
        keep = np.ones(len(t), bool)
        keep[:-1] = t[1:] != t[:-1]  # one value per time in a wide table: the last one written
        at = np.searchsorted(union, t[keep])
        values = np.full(len(union), np.nan)
        values[at] = v[keep]
        columns[name] = values
        if with_quality:
            quality = np.full(len(union), BAD, np.uint8)
            quality[at] = q[keep]
            columns[f"{name} quality"] = quality
    return pd.DataFrame(columns, index=pd.DatetimeIndex(_times(union), name="time", copy=False), copy=False)


def read_chunk(store: RecordingStore, tag: str, start: TimeLike | None = None, end: TimeLike | None = None, *,
               recording: RecordingRef | None = None, label: str | None = None) -> Chunk:
    """One tag's samples in ``[start, end)`` as an engine :class:`~nodes.chunk.Chunk`."""
    return read_chunks(store, [tag], start, end, recording=recording, label=label)[tag]


def read_chunks(store: RecordingStore, tags: Sequence[str] | None = None, start: TimeLike | None = None,
                end: TimeLike | None = None, *, recording: RecordingRef | None = None,
                label: str | None = None) -> dict[str, Chunk]:
    """Several tags' samples in ``[start, end)``, one chunk per tag (what a replay source emits)."""
    names, data = _fetch(store, tags, start, end, recording, label)
    return {name: Chunk(*data[name]) for name in names}


def iter_chunks(store: RecordingStore, tag: str, start: TimeLike | None = None, end: TimeLike | None = None, *,
                recording: RecordingRef | None = None, samples: int | None = None) -> Iterator[Chunk]:
    """One tag's samples in ``[start, end)`` as consecutive chunks of about ``samples`` (default: a block).

    Reads the blocks as it goes (within one read transaction), so a long recording is never held
    in memory at once. Chunks are in time order when the tag's blocks do not overlap in time (the
    recorder's appends never do); use :func:`read_chunk` for data written out of order.
    """
    start_ns, end_ns = to_ns(start, "start"), to_ns(end, "end")
    ids = _tag_ids(store, [tag], recording)
    table = schema.blocks
    select = (sa.select(*(table.c[c] for c in _BLOCK_COLUMNS)).where(table.c.tag_id.in_(ids[tag]),
                                                                     *_overlap(start_ns, end_ns))
              .order_by(table.c.t_first, table.c.id))
    pending: list[Arrays] = []
    held = 0
    with store._read() as connection:
        for row in connection.execution_options(yield_per=16).execute(select):
            t, v, q = _clip(*_decode(row), start_ns, end_ns)
            if len(t):
                pending.append((t, v, q))
                held += len(t)
            if held and held >= (samples or 1):
                yield Chunk(*_joined(pending))
                pending, held = [], 0
    if held:
        yield Chunk(*_joined(pending))


def statistics(store: RecordingStore, tags: str | Sequence[str] | None = None, start: TimeLike | None = None,
               end: TimeLike | None = None, *, recording: RecordingRef | None = None) -> pd.DataFrame:
    """Per tag: recording count, unit, ``count``, ``values`` (non-NaN), ``min``, ``max``, ``mean``,
    ``first``, ``last`` (UTC times) and ``gaps`` (outages of its device overlapping the range).

    Blocks wholly inside the range contribute their stored statistics without being decoded; only
    the (at most two per tag) blocks cut by the range ends are decoded.
    """
    import pandas as pd

    start_ns, end_ns = to_ns(start, "start"), to_ns(end, "end")
    infos = _tag_infos(store, tags, recording)
    table = schema.blocks
    meta_columns = (table.c.id, table.c.tag_id, table.c.t_first, table.c.t_last, table.c.count, table.c.n_values,
                    table.c.v_min, table.c.v_max, table.c.v_sum)
    frames = []
    with store._read() as connection:
        for batch in _batches(list(infos.index)):
            rows = connection.execute(sa.select(*meta_columns).where(table.c.tag_id.in_(batch),
                                                                     *_overlap(start_ns, end_ns))).all()
            frames.append(pd.DataFrame(rows, columns=[c.name for c in meta_columns]))
        frames = [f for f in frames if len(f)]
        blocks = (pd.concat(frames, ignore_index=True) if frames
                  else pd.DataFrame(columns=[c.name for c in meta_columns]))
        cut_mask = np.zeros(len(blocks), bool)
        if start_ns is not None:
            cut_mask |= blocks.t_first.to_numpy(np.int64) < start_ns
        if end_ns is not None:
            cut_mask |= blocks.t_last.to_numpy(np.int64) >= end_ns
        exact = _cut_block_stats(connection, blocks.id[cut_mask].tolist(), start_ns, end_ns)
    pieces = [p for p in (blocks[~cut_mask].drop(columns="id"), exact) if len(p)]
    parts = pd.concat(pieces, ignore_index=True) if pieces else exact
    parts = parts.astype({"t_first": np.int64, "t_last": np.int64, "count": np.int64, "n_values": np.int64,
                          "v_min": float, "v_max": float, "v_sum": float})
    parts = parts[parts["count"] > 0].merge(infos[["name"]], left_on="tag_id", right_index=True)
    grouped = parts.groupby("name", sort=False)
    summary = pd.DataFrame({"count": grouped["count"].sum(), "values": grouped["n_values"].sum(),
                            "min": grouped["v_min"].min(), "max": grouped["v_max"].max(),
                            "sum": grouped["v_sum"].sum(min_count=1),
                            "first": grouped["t_first"].min(), "last": grouped["t_last"].max()})
    names = list(dict.fromkeys(infos.name))
    at = summary.index.get_indexer(names)  # -1: a tag without samples in the range
    found = at >= 0

    def column(name: str, empty: float | int, dtype: type) -> np.ndarray:
        values = np.full(len(names), empty, dtype)
        values[found] = summary[name].to_numpy(dtype)[at[found]]
        return values

    result = pd.DataFrame(index=pd.Index(names, name="tag"))
    result["recordings"] = infos.groupby("name").recording_id.nunique().reindex(names).to_numpy()
    result["unit"] = infos.groupby("name").unit.first().reindex(names).to_numpy()
    result["count"] = column("count", 0, np.int64)
    result["values"] = column("values", 0, np.int64)
    result["min"], result["max"] = column("min", np.nan, float), column("max", np.nan, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        result["mean"] = np.where(result["values"] > 0, column("sum", np.nan, float) / result["values"], np.nan)
    result["first"] = _times(column("first", 0, np.int64)).where(found)
    result["last"] = _times(column("last", 0, np.int64)).where(found)
    result["gaps"] = _gap_counts(store, infos, start_ns, end_ns).reindex(names).fillna(0).astype(np.int64)
    return result


# -- helpers ---------------------------------------------------------------------------------------

def _fetch(store: RecordingStore, tags: str | Sequence[str] | None, start: TimeLike | None, end: TimeLike | None,
           recording: RecordingRef | None, label: str | None) -> tuple[list[str], dict[str, Arrays]]:
    """Sorted, clipped ``(t, v, q)`` per tag name, in the order asked (or of first recording)."""
    start_ns, end_ns = to_ns(start, "start"), to_ns(end, "end")
    infos = _tag_infos(store, tags, recording)
    names = list(dict.fromkeys(infos.name))
    ranges: dict[int, np.ndarray] = {}
    if label is not None:
        found = store.annotations(recording, label=label, start=start, end=end)
        if not found:
            where = f"the recording '{store.recording(recording).name}'" if recording is not None else store.location
            raise StoreError(f"{where}: no annotation is labelled '{label}'")
        for a in found:
            ranges.setdefault(a.recording_id, []).append((a.start_ns, a.end_ns))
        ranges = {rid: np.array(r, np.int64) for rid, r in ranges.items()}
        infos = infos[infos.recording_id.isin(list(ranges))]
        lo = int(min(r[:, 0].min() for r in ranges.values()))
        hi = int(max(r[:, 1].max() for r in ranges.values()))
        start_ns = lo if start_ns is None else max(start_ns, lo)
        end_ns = hi if end_ns is None else min(end_ns, hi)
    per_tag: dict[int, list[sa.Row]] = {}
    table = schema.blocks
    with store._read() as connection:
        for batch in _batches(list(infos.index)):
            select = (sa.select(*(table.c[c] for c in _BLOCK_COLUMNS))
                      .where(table.c.tag_id.in_(batch), *_overlap(start_ns, end_ns))
                      .order_by(table.c.tag_id, table.c.t_first, table.c.id))
            for row in connection.execute(select):
                per_tag.setdefault(row.tag_id, []).append(row)
    data: dict[str, Arrays] = {}
    for name in names:
        parts = []
        for tag_id, recording_id in infos[infos.name == name].recording_id.items():
            if tag_id not in per_tag:
                continue
            t, v, q = _clip(*_decode_rows(per_tag.pop(tag_id)), start_ns, end_ns)
            if label is not None:
                keep = _inside(t, ranges[recording_id])
                t, v, q = t[keep], v[keep], q[keep]
            parts.append((t, v, q))
        data[name] = _joined(parts) if parts else (np.empty(0, np.int64), np.empty(0), np.empty(0, np.uint8))
    return names, data


def _tag_infos(store: RecordingStore, tags: str | Sequence[str] | None, recording: RecordingRef | None) -> pd.DataFrame:
    """Tag rows (index id; name, recording_id, unit, device) for the names asked, each name checked."""
    import pandas as pd

    table = schema.tags
    select = sa.select(table.c.id, table.c.name, table.c.recording_id, table.c.unit, table.c.device)
    recording_id = store.recording(recording).id if recording is not None else None
    if recording_id is not None:
        select = select.where(table.c.recording_id == recording_id)
    wanted = [tags] if isinstance(tags, str) else (list(tags) if tags is not None else None)
    if wanted is not None:
        select = select.where(table.c.name.in_(wanted))
    with store._read() as connection:
        rows = connection.execute(select.order_by(table.c.recording_id, table.c.id)).all()
    infos = pd.DataFrame(rows, columns=["id", "name", "recording_id", "unit", "device"]).set_index("id")
    if wanted is not None:
        missing = [n for n in wanted if n not in set(infos.name)]
        if missing:
            where = f"the recording '{store.recording(recording).name}'" if recording is not None else store.location
            known = sorted({t.name for t in store.tags(recording)})
            shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
            raise StoreError(f"{where} has no tag {', '.join(repr(m) for m in missing)} (tags: {shown or 'none'})")
        order = {n: i for i, n in enumerate(dict.fromkeys(wanted))}
        infos = infos.iloc[np.argsort([order[n] for n in infos.name], kind="stable")]
    return infos


def _tag_ids(store: RecordingStore, tags: Sequence[str], recording: RecordingRef | None) -> dict[str, list[int]]:
    infos = _tag_infos(store, tags, recording)
    return {name: [int(i) for i in infos.index[infos.name == name]] for name in tags}


def _overlap(start_ns: int | None, end_ns: int | None) -> list:
    table = schema.blocks
    where = []
    if start_ns is not None:
        where.append(table.c.t_last >= start_ns)
    if end_ns is not None:
        where.append(table.c.t_first < end_ns)
    return where


def _decode(row: sa.Row) -> Arrays:
    return decode_block(row.t_first, row.count, row.encoding, row.t_width, row.t_data, row.v_data, row.q_data)


def _decode_rows(rows: list[sa.Row]) -> Arrays:
    """Blocks decoded straight into one set of arrays (no per-block arrays joined afterwards), sorted."""
    total = sum(row.count for row in rows)
    t, v, q = np.empty(total, np.int64), np.empty(total, np.float64), np.empty(total, np.uint8)
    at = 0
    for row in rows:
        part = slice(at, at + row.count)
        decode_block(row.t_first, row.count, row.encoding, row.t_width, row.t_data, row.v_data, row.q_data,
                     out=(t[part], v[part], q[part]))
        at += row.count
    return _sorted(t, v, q)


def _sorted(t: np.ndarray, v: np.ndarray, q: np.ndarray) -> Arrays:
    """Stably sorted by time, only if the parts were written out of order."""
    if len(t) > 1 and np.any(t[1:] < t[:-1]):
        order = np.argsort(t, kind="stable")
        t, v, q = t[order], v[order], q[order]
    return t, v, q


def _joined(parts: list[Arrays]) -> Arrays:
    """Concatenated arrays, sorted by time (stably) only if the parts overlap."""
    if len(parts) == 1:
        return _sorted(*parts[0])
    return _sorted(*(np.concatenate(a) for a in zip(*parts, strict=True)))


def _concat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    """One array of several without a copy when there is only one (10 M samples cost 80 MB a copy)."""
    if len(arrays) == 1:
        return arrays[0]
    return np.concatenate(arrays) if arrays else np.empty(0, dtype)


def _clip(t: np.ndarray, v: np.ndarray, q: np.ndarray, start_ns: int | None, end_ns: int | None) -> Arrays:
    lo = 0 if start_ns is None else int(np.searchsorted(t, start_ns, "left"))
    hi = len(t) if end_ns is None else int(np.searchsorted(t, end_ns, "left"))
    return t[lo:hi], v[lo:hi], q[lo:hi]


def _inside(t: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """Mask of sorted ``t`` inside any of the half-open ranges (a loop over annotations, not samples)."""
    keep = np.zeros(len(t), bool)
    for lo, hi in zip(np.searchsorted(t, ranges[:, 0], "left"), np.searchsorted(t, ranges[:, 1], "left"),
                      strict=True):
        keep[lo:hi] = True
    return keep


def _batches(ids: list) -> Iterator[list]:
    for i in range(0, len(ids), _ID_BATCH):
        yield [int(x) for x in ids[i:i + _ID_BATCH]]


def _times(t: np.ndarray) -> pd.DatetimeIndex:
    import pandas as pd

    return pd.DatetimeIndex(np.asarray(t, np.int64).view("datetime64[ns]")).tz_localize("UTC")


def _cut_block_stats(connection: sa.Connection, ids: list[int], start_ns: int | None,
                     end_ns: int | None) -> pd.DataFrame:
    """Exact statistics of the part of each cut block inside the range (those blocks are decoded)."""
    import pandas as pd

    table = schema.blocks
    rows = []
    for batch in _batches(ids):
        for row in connection.execute(sa.select(*(table.c[c] for c in _BLOCK_COLUMNS)).where(table.c.id.in_(batch))):
            t, v, _ = _clip(*_decode(row), start_ns, end_ns)
            if len(t):
                n_values, v_min, v_max, v_sum = value_stats(v)
                rows.append((row.tag_id, int(t[0]), int(t[-1]), len(t), n_values, v_min, v_max, v_sum))
    return pd.DataFrame(rows, columns=["tag_id", "t_first", "t_last", "count", "n_values", "v_min", "v_max", "v_sum"])


def _gap_counts(store: RecordingStore, infos: pd.DataFrame, start_ns: int | None, end_ns: int | None) -> pd.Series:
    """Per tag name: gaps of its recording overlapping the range, of its device or of every device."""
    import pandas as pd

    gaps = pd.DataFrame([(g.id, g.recording_id, g.device) for g in store.gaps(None, start_ns, end_ns)],
                        columns=["gap", "recording_id", "device"])
    if gaps.empty:
        return pd.Series(dtype=np.int64)
    pairs = infos.reset_index().merge(gaps, on="recording_id", suffixes=("", "_gap"))
    pairs = pairs[(pairs.device_gap == "") | (pairs.device_gap == pairs.device)]
    return pairs.groupby("name").gap.nunique()
