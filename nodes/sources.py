"""Where graph inputs come from and where outputs go: interfaces only (no I/O in ``nodes``).

Recordings (CSV, Parquet) implement them in :mod:`device_browser.recordings`; the live data
bus and the recorder implement them later.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from nodes.chunk import Chunk


class Source(Protocol):
    """Gives chunks of the named columns, all sharing one time base per chunk."""

    def columns(self) -> list[str]: ...

    def chunks(self, columns: list[str], rows: int) -> Iterator[dict[str, Chunk]]: ...


class Sink(Protocol):
    """Takes the graph's outputs chunk by chunk; ``close`` commits, ``abort`` leaves nothing behind."""

    def write(self, outputs: dict[str, Chunk]) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...
