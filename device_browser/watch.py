"""The watch list: the tags a user chose to watch, in their order, with how each is shown.

A pure model (psygnal, no Qt, no I/O). It keeps what the user chose — the tag, a display
name, a unit, a display format, a sampling interval and a deadband per item — and announces
every change; it never talks to a device. Whoever subscribes the tags reads the interval and
deadband from here; the watch view reads values from the live bus.

Events (emitted after the change, on the caller's thread):

* ``inserted(first, items)`` — ``items`` now sit at ``first, first + 1, …``
* ``removed(first, items)`` — the contiguous rows ``first …`` are gone
* ``moved(source, destination)`` — one item went from ``source`` to index ``destination``
* ``changed(index, item)`` — the item at ``index`` was replaced (name, format, interval …)

A list holds each tag once: adding a tag that is already watched leaves the list unchanged.
Serialised as plain JSON-ready data with a schema version (:meth:`WatchList.to_data`).
"""

from __future__ import annotations

import enum
import math
import numbers
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from psygnal import Signal

from device_browser.display import format_value
from device_browser.session import DeviceError
from device_browser.tags import TagRef

WATCH_SCHEMA_VERSION = 1


class WatchError(DeviceError):
    """A watch-list entry or file that cannot be used; the message says which and why."""


class DisplayFormat(enum.StrEnum):
    """How a value is written: as the device gives it, in hex, in binary, or in engineering notation."""

    DECIMAL = "decimal"
    HEX = "hex"
    BINARY = "binary"
    ENGINEERING = "engineering"


@dataclass(frozen=True)
class WatchItem:
    """One watched tag and how to show it.

    ``name`` and ``unit`` default to the tag's text and unit; ``interval_ms`` is the sampling
    interval asked of the device (0: the device's default) and ``deadband`` the absolute change
    below which a new value is not reported (0: every change).
    """

    ref: TagRef
    name: str = ""
    unit: str = ""
    display: DisplayFormat = DisplayFormat.DECIMAL
    interval_ms: float = 0.0
    deadband: float = 0.0

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "display", DisplayFormat(self.display))
        except ValueError:
            raise WatchError(f"'{self.display}' is not a display format of {self.ref}: use one of "
                             f"{', '.join(f.value for f in DisplayFormat)}") from None
        for field, value in (("sampling interval", self.interval_ms), ("deadband", self.deadband)):
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise WatchError(f"The {field} of {self.ref} must be a number of at least 0, not {value!r}")

    @property
    def display_name(self) -> str:
        return self.name or str(self.ref)

    @property
    def display_unit(self) -> str:
        return self.unit or self.ref.unit

    def format(self, value: object) -> str:
        """``value`` written in this item's display format (see :func:`format_watch_value`)."""
        return format_watch_value(value, self.display, self.ref.data_type)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tag": self.ref.to_data()}
        if self.name:
            data["name"] = self.name
        if self.unit:
            data["unit"] = self.unit
        if self.display is not DisplayFormat.DECIMAL:
            data["display"] = self.display.value
        if self.interval_ms:
            data["interval_ms"] = self.interval_ms
        if self.deadband:
            data["deadband"] = self.deadband
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> WatchItem:
        if not isinstance(data, dict) or not isinstance(data.get("tag"), dict):
            raise WatchError(f"A watch-list entry needs a 'tag' (device and point or address), not {data!r}")
        return cls(TagRef.from_data(data["tag"]), name=str(data.get("name", "")), unit=str(data.get("unit", "")),
                   display=data.get("display", DisplayFormat.DECIMAL),
                   interval_ms=data.get("interval_ms", 0.0), deadband=data.get("deadband", 0.0))


class WatchList:
    """The watched items in the user's order; emits an event for every change."""

    inserted = Signal(int, list)  # first index, the items inserted there
    removed = Signal(int, list)  # first index, the items that were at first, first + 1, …
    moved = Signal(int, int)  # source index, destination index
    changed = Signal(int, object)  # index, the new WatchItem

    def __init__(self, items: Iterable[WatchItem | TagRef] = ()):
        self._items: list[WatchItem] = []
        self.extend(items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[WatchItem]:
        return iter(list(self._items))

    def __getitem__(self, index: int) -> WatchItem:
        return self._items[index]

    def index_of(self, ref: TagRef) -> int:
        """Index of the item watching ``ref``, or -1."""
        return next((i for i, item in enumerate(self._items) if item.ref == ref), -1)

    def add(self, item: WatchItem | TagRef, index: int | None = None) -> int:
        """Watch ``item`` (at ``index``, else at the end); returns its index (the old one if already watched)."""
        item = item if isinstance(item, WatchItem) else WatchItem(item)
        existing = self.index_of(item.ref)
        if existing >= 0:
            return existing
        self.extend([item], index)
        return self.index_of(item.ref)

    def extend(self, items: Iterable[WatchItem | TagRef], index: int | None = None) -> int:
        """Watch several items at once (one ``inserted`` event); returns how many were new."""
        watched = {item.ref for item in self._items}
        new: list[WatchItem] = []
        for item in items:
            item = item if isinstance(item, WatchItem) else WatchItem(item)
            if item.ref not in watched:
                watched.add(item.ref)
                new.append(item)
        if not new:
            return 0
        first = len(self._items) if index is None else max(0, min(index, len(self._items)))
        self._items[first:first] = new
        self.inserted.emit(first, new)
        return len(new)

    def remove(self, indexes: int | Sequence[int]) -> list[WatchItem]:
        """Stop watching the items at ``indexes``; one ``removed`` event per contiguous run, last run first."""
        wanted = sorted({indexes} if isinstance(indexes, int) else set(indexes))
        for i in wanted:
            if not 0 <= i < len(self._items):
                raise IndexError(f"No watch item at {i} (the list has {len(self._items)})")
        runs: list[tuple[int, int]] = []  # (first, last) inclusive
        for i in wanted:
            if runs and runs[-1][1] == i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))
        gone: list[WatchItem] = []
        for first, last in reversed(runs):  # from the end, so earlier indexes stay valid
            items = self._items[first:last + 1]
            del self._items[first:last + 1]
            self.removed.emit(first, items)
            gone[0:0] = items
        return gone

    def clear(self) -> None:
        if self._items:
            self.remove(range(len(self._items)))

    def move(self, source: int, destination: int) -> None:
        """Move the item at ``source`` so that it ends up at index ``destination``."""
        count = len(self._items)
        if not (0 <= source < count and 0 <= destination < count):
            raise IndexError(f"Cannot move watch item {source} to {destination} (the list has {count})")
        if source == destination:
            return
        self._items.insert(destination, self._items.pop(source))
        self.moved.emit(source, destination)

    def update(self, index: int, **changes: Any) -> WatchItem:
        """Change fields of the item at ``index`` (``name``, ``unit``, ``display``, ``interval_ms``, ``deadband``)."""
        old = self._items[index]
        if "ref" in changes:
            raise WatchError("A watch item's tag cannot change: remove it and add the other tag")
        new = replace(old, **changes)
        if new != old:
            self._items[index] = new
            self.changed.emit(index, new)
        return new

    def to_data(self) -> dict[str, Any]:
        return {"schema_version": WATCH_SCHEMA_VERSION, "items": [item.to_data() for item in self._items]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> WatchList:
        if not isinstance(data, dict):
            raise WatchError("A watch list must be a mapping with 'schema_version' and 'items'")
        version = data.get("schema_version", WATCH_SCHEMA_VERSION)
        if version != WATCH_SCHEMA_VERSION:
            raise WatchError(f"This watch list has schema version {version}; this Millwright reads "
                             f"version {WATCH_SCHEMA_VERSION}")
        items = data.get("items", [])
        if not isinstance(items, list):
            raise WatchError("A watch list's 'items' must be a list")
        return cls(WatchItem.from_data(entry) for entry in items)


def format_watch_value(value: object, display: DisplayFormat | str = DisplayFormat.DECIMAL,
                       data_type: str = "") -> str:
    """``value`` as a watch list shows it.

    Decimal is :func:`~device_browser.display.format_value`. Hex and binary apply to whole
    numbers (``0x1F``, ``0b1010_0101``; a negative number keeps its sign); other values fall
    back to decimal. Engineering writes a number with an exponent that is a multiple of 3
    and six significant digits (``12.3457e3``).

    Examples
    --------
    >>> format_watch_value(255, "hex"), format_watch_value(5, "binary"), format_watch_value(0.00123, "engineering")
    ('0xFF', '0b0101', '1.23e-3')
    """
    display = DisplayFormat(display)
    if display is DisplayFormat.DECIMAL or isinstance(value, bool) or value is None:
        return format_value(value, data_type)
    number = _whole(value)
    if display is DisplayFormat.HEX and number is not None:
        return f"{'-' if number < 0 else ''}0x{abs(number):X}"
    if display is DisplayFormat.BINARY and number is not None:
        digits = f"{abs(number):b}"
        digits = digits.zfill(-(-len(digits) // 4) * 4)
        return f"{'-' if number < 0 else ''}0b" + "_".join(digits[i:i + 4] for i in range(0, len(digits), 4))
    if display is DisplayFormat.ENGINEERING and isinstance(value, int | float) and math.isfinite(value) and value:
        exponent = math.floor(math.log10(abs(value)) / 3) * 3
        mantissa = float(f"{value / 10.0 ** exponent:.6g}")
        if abs(mantissa) >= 1000:  # rounding carried into the next group: 999.9999e0 → 1e3
            mantissa, exponent = mantissa / 1000, exponent + 3
        return f"{mantissa:g}e{exponent}" if exponent else f"{mantissa:g}"
    return format_value(value, data_type)


def _whole(value: object) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, numbers.Integral):  # numpy integers
        return int(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None
