"""Coroutines a view started on the asyncio loop, referenced until they end.

The loop keeps only weak references to its tasks: a task nobody holds can be collected while
it waits, so every view that starts one keeps it here until it is done (and can cancel them
all when it closes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from device_browser.session import DeviceError

T = TypeVar("T")
log = logging.getLogger(__name__)


class TaskSet:
    """The tasks a view has running; ``bool(tasks)`` says whether any is."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coroutine)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def spawn_guarded(self, work: Coroutine[Any, Any, object], where: str,
                      show: Callable[[str], None] | None = None) -> asyncio.Task[None]:
        """Run ``work``; a DeviceError goes to ``show`` (or the log as a warning), a bug to the log.

        Nobody awaits these tasks, so whatever they raise must end up where a user sees it.
        """

        async def guarded() -> None:
            try:
                await work
            except DeviceError as exc:
                if show is None:
                    log.warning("%s", exc)
                else:
                    show(str(exc))
            except Exception as exc:  # a bug must not vanish in a task nobody awaits
                log.error("%s: %s", where, exc, exc_info=exc)
                if show is not None:
                    show(str(exc))

        return self.spawn(guarded())

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()

    def __bool__(self) -> bool:
        return bool(self._running)
