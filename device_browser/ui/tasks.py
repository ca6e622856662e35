"""Coroutines a view started on the asyncio loop, referenced until they end.

The loop keeps only weak references to its tasks: a task nobody holds can be collected while
it waits, so every view that starts one keeps it here until it is done (and can cancel them
all when it closes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class TaskSet:
    """The tasks a view has running; ``bool(tasks)`` says whether any is."""

    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(coroutine)
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def cancel(self) -> None:
        for task in list(self._running):
            task.cancel()

    def __bool__(self) -> bool:
        return bool(self._running)
