"""What the recording store raises: messages a plant engineer can act on, naming store, tag or line."""

from __future__ import annotations


class StoreError(ValueError):
    """A store that cannot be opened, or data that cannot be written or read; the message says why."""


class StoreReadOnlyError(StoreError):
    """A write to a store opened read-only (on request, or because a newer Millwright wrote it)."""


class StoreFullError(StoreError):
    """The disk (or the database's quota) is full: the write was rolled back, nothing half-written."""
