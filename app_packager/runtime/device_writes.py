"""Outputs written back to device tags: only what the manifest permits, within its limits, audited.

The manifest's ``permissions.write_tags`` lists each output an app may write, with its range
(``minimum``/``maximum``), the largest change per write (``max_step``) and the shortest time
between writes (``min_interval_s``). The site binds each such output to a tag in its bindings
file, under the output's name. On each tick the newest sample of the output is written when it
is of good quality, finite, within the range, and within the step from the last value written;
a value held back by ``min_interval_s`` waits for a later tick. Writes go through the
workspace's audited safe-write path; in shadow mode they are only logged.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from app_packager.manifest import WriteLimit
from app_packager.runtime.metrics import NULL_METRICS, RuntimeMetrics
from device_browser.session import DeviceError
from device_browser.tags import TagRef
from nodes.chunk import GOOD, Chunk
from nodes.units import Conversion

log = logging.getLogger(__name__)

Write = Callable[[TagRef, float], Awaitable[object]]


@dataclass(frozen=True)
class WriteTarget:
    """The tag an output is written to, and the conversion from the output's unit to the tag's."""

    ref: TagRef
    convert: Conversion


class _TagWrites:
    """What was last written to one tag, and the write in flight."""

    def __init__(self) -> None:
        self.value: float | None = None  # in the output's unit, as checked against the limits
        self.at = -math.inf  # monotonic seconds
        self.task: asyncio.Task | None = None


class DeviceWriteSink:
    """An :class:`~app_packager.runtime.sinks.OutputSink` writing permitted outputs to their bound tags."""

    def __init__(self, limits: Sequence[WriteLimit], targets: Mapping[str, WriteTarget], write: Write, *,
                 shadow: bool = False, metrics: RuntimeMetrics = NULL_METRICS):
        self.limits = [limit for limit in limits if limit.output in targets]
        self.targets = dict(targets)
        self.shadow = shadow
        self.metrics = metrics
        self._write = write
        self._tags = {limit.output: _TagWrites() for limit in self.limits}
        self.written = 0  # writes sent (or, in shadow mode, that would have been)
        self.refused = 0

    async def start(self) -> None:
        for limit in self.limits:
            log.info("output %s is written to %s%s", limit.output, self.targets[limit.output].ref,
                     " (shadow: logged, not sent)" if self.shadow else "",
                     extra={"output": limit.output, "tag": str(self.targets[limit.output].ref)})

    async def publish(self, outputs: Mapping[str, Chunk]) -> None:
        now = time.monotonic()
        for limit in self.limits:
            chunk = outputs.get(limit.output)
            if chunk is None or not len(chunk):
                continue
            self._offer(limit, float(chunk.v[-1]), int(chunk.q[-1]), now)

    async def close(self) -> None:
        pending = [w.task for w in self._tags.values() if w.task is not None and not w.task.done()]
        if pending:
            await asyncio.wait(pending, timeout=2.0)

    def _offer(self, limit: WriteLimit, value: float, quality: int, now: float) -> None:
        state = self._tags[limit.output]
        if state.task is not None and not state.task.done():
            return  # the previous write of this tag is still on its way
        if state.value == value or now - state.at < (limit.min_interval_s or 0.0):
            return
        refusal = refusal_of(limit, value, quality, state.value)
        target = self.targets[limit.output]
        fields = {"output": limit.output, "tag": str(target.ref), "value": value}
        if refusal:
            self.refused += 1
            log.warning("write of %s to %s refused: %s", limit.output, target.ref, refusal,
                        extra={**fields, "reason": refusal})
            self.metrics.error(f"write {target.ref}", refusal)
            state.at = now  # a refused value is offered again after min_interval_s, not every tick
            return
        state.value, state.at = value, now
        self.written += 1
        if self.shadow:
            log.info("shadow: would write %s = %g to %s", limit.output, value, target.ref,
                     extra={**fields, "shadow": True})
            return
        state.task = asyncio.get_running_loop().create_task(self._send(target, value, fields))

    async def _send(self, target: WriteTarget, value: float, fields: dict) -> None:
        device_value = float(target.convert(value)) if not target.convert.identity else value
        try:
            await self._write(target.ref, device_value)
        except DeviceError as exc:
            log.warning("write to %s failed: %s", target.ref, exc, extra={**fields, "reason": str(exc)})
            self.metrics.error(f"write {target.ref}", str(exc))
            return
        log.info("wrote %s = %g to %s", fields["output"], value, target.ref, extra=fields)


def refusal_of(limit: WriteLimit, value: float, quality: int, last: float | None) -> str:
    """Why ``value`` of ``limit.output`` may not be written ("" when it may), in the output's unit."""
    if quality != GOOD:
        return "the value is not of good quality"
    if not math.isfinite(value):
        return f"the value {value} is not a finite number"
    if not limit.minimum <= value <= limit.maximum:
        return f"{value:g} is outside the permitted range {limit.minimum:g} … {limit.maximum:g}"
    if limit.max_step is not None and last is not None and abs(value - last) > limit.max_step:
        return f"a step of {abs(value - last):g} from the last value written ({last:g}) exceeds the permitted " \
               f"{limit.max_step:g}"
    return ""
