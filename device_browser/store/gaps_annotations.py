"""Gaps and annotations of recordings: device outages recorded as such, and labelled time ranges.

A gap is an outage of one device (``device`` empty: of every tag) from ``start`` to ``end``
(None while it lasts); statistics count the gaps of each tag's device. An annotation labels the
half-open range ``[start, end)`` of a recording ("bearing fault injected", "pump cavitating") with a
note, its author and optionally the tags it is about; ``read(..., label=...)`` selects the samples
inside every annotation with a label, which is how golden tests and model evaluations pick data.

These functions are methods of :class:`~device_browser.store.store.RecordingStore`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from device_browser.store import schema
from device_browser.store.errors import StoreError
from device_browser.store.model import Annotation, Gap, TimeLike, to_ns

if TYPE_CHECKING:
    from device_browser.store.store import RecordingRef, RecordingStore


def add_gap(store: RecordingStore, recording: RecordingRef, start: TimeLike, end: TimeLike | None = None, *,
            device: str = "", reason: str = "") -> Gap:
    """Record a device outage (``end`` None while it lasts; ``device`` empty for every tag)."""
    rec = store.recording(recording)
    start_ns, end_ns = to_ns(start, "gap start"), to_ns(end, "gap end")
    _check_range(start_ns, end_ns, "gap")
    with store._write(f"record a gap in '{rec.name}'") as connection:
        gap_id = connection.execute(schema.gaps.insert().values(
            recording_id=rec.id, device=device, start_ns=start_ns, end_ns=end_ns, reason=reason)
        ).inserted_primary_key[0]
    return Gap(gap_id, rec.id, start_ns, end_ns, device, reason)


def end_gap(store: RecordingStore, gap: int | Gap, end: TimeLike) -> Gap:
    """Close an open gap when the device is back."""
    gap_id = gap.id if isinstance(gap, Gap) else gap
    end_ns = to_ns(end, "gap end")
    with store._write(f"end gap {gap_id}") as connection:
        row = connection.execute(sa.select(schema.gaps).where(schema.gaps.c.id == gap_id)).first()
        if row is None:
            raise StoreError(f"{store.location}: there is no gap {gap_id}")
        _check_range(row.start_ns, end_ns, "gap")
        connection.execute(schema.gaps.update().where(schema.gaps.c.id == gap_id).values(end_ns=end_ns))
    return Gap(row.id, row.recording_id, row.start_ns, end_ns, row.device, row.reason)


def gaps(store: RecordingStore, recording: RecordingRef | None = None, start: TimeLike | None = None,
         end: TimeLike | None = None, *, device: str | None = None) -> list[Gap]:
    """Gaps overlapping ``[start, end)`` (an open gap lasts until now), oldest first."""
    table = schema.gaps
    select = sa.select(table).order_by(table.c.start_ns, table.c.id)
    if recording is not None:
        select = select.where(table.c.recording_id == store.recording(recording).id)
    if device is not None:
        select = select.where(table.c.device == device)
    if (end_ns := to_ns(end, "end")) is not None:
        select = select.where(table.c.start_ns < end_ns)
    if (start_ns := to_ns(start, "start")) is not None:
        select = select.where(sa.or_(table.c.end_ns.is_(None), table.c.end_ns > start_ns))
    with store._read() as connection:
        rows = connection.execute(select).all()
    return [Gap(r.id, r.recording_id, r.start_ns, r.end_ns, r.device, r.reason) for r in rows]


def annotate(store: RecordingStore, recording: RecordingRef, start: TimeLike, end: TimeLike, label: str, *,
             note: str = "", author: str = "", tags: Sequence[str] = ()) -> Annotation:
    """Label the time range ``[start, end)`` of a recording ("pump cavitating")."""
    rec = store.recording(recording)
    start_ns, end_ns = to_ns(start, "annotation start"), to_ns(end, "annotation end")
    _check_range(start_ns, end_ns, f"annotation '{label}'")
    if not label.strip():
        raise StoreError("an annotation needs a label")
    created = time.time_ns()
    with store._write(f"annotate '{rec.name}'") as connection:
        new_id = connection.execute(schema.annotations.insert().values(
            recording_id=rec.id, start_ns=start_ns, end_ns=end_ns, label=label, note=note, author=author,
            tags=list(tags), created_ns=created)).inserted_primary_key[0]
    return Annotation(new_id, rec.id, start_ns, end_ns, label, note, author, tuple(tags), created)


def update_annotation(store: RecordingStore, annotation: int | Annotation, *, start: TimeLike | None = None,
                      end: TimeLike | None = None, label: str | None = None, note: str | None = None,
                      author: str | None = None, tags: Sequence[str] | None = None) -> Annotation:
    """Change an annotation's range, label, note, author or tags."""
    old = store.annotation(annotation)
    changes: dict[str, Any] = {k: v for k, v in (("label", label), ("note", note), ("author", author))
                               if v is not None}
    if tags is not None:
        changes["tags"] = list(tags)
    start_ns = to_ns(start, "annotation start") if start is not None else old.start_ns
    end_ns = to_ns(end, "annotation end") if end is not None else old.end_ns
    _check_range(start_ns, end_ns, f"annotation '{changes.get('label', old.label)}'")
    if label is not None and not label.strip():
        raise StoreError("an annotation needs a label")
    changes.update(start_ns=start_ns, end_ns=end_ns)
    with store._write(f"change annotation {old.id}") as connection:
        connection.execute(schema.annotations.update().where(schema.annotations.c.id == old.id).values(**changes))
    return store.annotation(old.id)


def delete_annotation(store: RecordingStore, annotation: int | Annotation) -> None:
    old = store.annotation(annotation)
    with store._write(f"delete annotation {old.id}") as connection:
        connection.execute(schema.annotations.delete().where(schema.annotations.c.id == old.id))


def annotation(store: RecordingStore, annotation: int | Annotation) -> Annotation:
    annotation_id = annotation.id if isinstance(annotation, Annotation) else annotation
    found = _annotations(store, schema.annotations.c.id == annotation_id)
    if not found:
        raise StoreError(f"{store.location}: there is no annotation {annotation_id}")
    return found[0]


def annotations(store: RecordingStore, recording: RecordingRef | None = None, *, label: str | None = None,
                start: TimeLike | None = None, end: TimeLike | None = None) -> list[Annotation]:
    """Annotations, optionally of one recording, with one label, overlapping ``[start, end)``."""
    table = schema.annotations
    where = []
    if recording is not None:
        where.append(table.c.recording_id == store.recording(recording).id)
    if label is not None:
        where.append(table.c.label == label)
    if (end_ns := to_ns(end, "end")) is not None:
        where.append(table.c.start_ns < end_ns)
    if (start_ns := to_ns(start, "start")) is not None:
        where.append(table.c.end_ns > start_ns)
    return _annotations(store, *where)


def _annotations(store: RecordingStore, *where: Any) -> list[Annotation]:
    table = schema.annotations
    with store._read() as connection:
        rows = connection.execute(sa.select(table).where(*where).order_by(table.c.start_ns, table.c.id)).all()
    return [Annotation(r.id, r.recording_id, r.start_ns, r.end_ns, r.label, r.note, r.author, tuple(r.tags),
                       r.created_ns) for r in rows]


def _check_range(start_ns: int, end_ns: int | None, what: str) -> None:
    if end_ns is not None and end_ns < start_ns:
        raise StoreError(f"{what}: the end is before the start")
