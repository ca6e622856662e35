"""Where each tick's graph outputs go: the contract between the runtime core and its outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from nodes.chunk import Chunk


@runtime_checkable
class OutputSink(Protocol):
    """A destination of the app's outputs: the OPC UA server, the Sparkplug edge node, device writes.

    The runtime calls ``start`` once before the first tick, then ``publish`` once per tick on its
    own asyncio loop with that tick's graph outputs (output column name -> Chunk of the samples
    the tick produced: ``t`` in ns since the epoch, ``v``, ``q``; a column that produced nothing
    in the tick may be absent or empty), and ``close`` once on shutdown, even after a failure.

    A sink must never block the loop: the ticks of every sink share it, so slow or blocking work
    (network retries, disk) goes to the sink's own task or thread, and ``publish`` only hands the
    values over. A sink that raises is logged and counted by the runtime; the other sinks and the
    following ticks go on, and the same sink is called again on the next tick.
    """

    async def start(self) -> None: ...

    async def publish(self, outputs: Mapping[str, Chunk]) -> None: ...

    async def close(self) -> None: ...
