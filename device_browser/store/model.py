"""What the store keeps beside the samples: recordings, tags, gaps and annotations, as plain values.

Times are int64 nanoseconds since the Unix epoch (UTC), as in :class:`nodes.chunk.Chunk`;
:func:`to_ns` turns what people type (ISO text, ``datetime``, pandas timestamps) into them.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

import numpy as np

from device_browser.store.errors import StoreError

TimeLike = int | np.integer | str | dt.datetime | np.datetime64


@dataclass(frozen=True)
class Recording:
    """One recording session: who recorded what, when, from which devices."""

    id: int
    name: str
    operator: str = ""
    started_ns: int | None = None
    ended_ns: int | None = None
    devices: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True)
class TagInfo:
    """A recorded tag: its name in the recording and where it came from.

    ``device`` is the source device (a profile id), ``point`` the profile point and ``ref`` the
    tag reference text (:class:`device_browser.tags.TagRef` form, ``device/point`` or
    ``device@address``).
    """

    name: str
    unit: str = ""
    device: str = ""
    point: str = ""
    ref: str = ""
    id: int | None = field(default=None, compare=False)
    recording_id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Gap:
    """A device outage recorded as such (``end_ns`` is None while it lasts); ``device`` empty = all tags."""

    id: int
    recording_id: int
    start_ns: int
    end_ns: int | None
    device: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Annotation:
    """A labelled time range of a recording ("bearing fault injected"), optionally about some tags."""

    id: int
    recording_id: int
    start_ns: int
    end_ns: int
    label: str
    note: str = ""
    author: str = ""
    tags: tuple[str, ...] = ()
    created_ns: int | None = None


# ISO 8601 and its relatives, year first (2026-12-03, 2026-12-03 08:00:00.5+08:00, 2026/12/03): pandas reads
# 03.12.2026 month first, as the 12th of March, where Europe and China mean the 3rd of December.
_YEAR_FIRST = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}(?![\d])")


def to_ns(value: TimeLike | None, what: str = "time") -> int | None:
    """Nanoseconds since the epoch from an int (already ns), ISO text, ``datetime`` or ``datetime64``.

    Naive datetimes and texts are taken as UTC, so that a recording made on site and read at home
    in another time zone selects the same samples. A float is refused: seconds or nanoseconds? So is
    a text that does not start with the year (03.12.2026: which is the month?); ``"now"`` is now.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise StoreError(f"{what}: {value!r} is not a time")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        raise StoreError(f"{what}: {value!r} is a number with a fraction; give int nanoseconds or a date-time text")
    import pandas as pd

    if isinstance(value, str):
        text = value.strip()
        if text.lower() == "now":  # pandas reads 'now' as the local wall clock, which we would take as UTC
            return time.time_ns()
        if not _YEAR_FIRST.match(text):
            raise StoreError(f"{what}: {value!r} is not a date-time in ISO 8601 form; write the year first, as in "
                             "2026-12-03T08:00 (UTC unless a zone is given, as in 2026-12-03T08:00+08:00): a date "
                             "like 03.12.2026 can be the 3rd of December or the 12th of March")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise StoreError(f"{what}: {value!r} is not a date-time ({exc})") from None
    if stamp is pd.NaT:
        raise StoreError(f"{what}: {value!r} is not a date-time")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value)
