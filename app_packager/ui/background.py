"""Library work off the UI thread: progress reported back on it, cancel from a button, errors shown.

The packager's functions block (a build runs golden tests, a registry may take its full timeout
to answer), so the panel runs each one on a worker thread (:func:`in_worker`) and awaits it on
the qasync loop: the window keeps repainting and answering clicks meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from app_packager.errors import AppError
from device_browser.ui.tasks import TaskSet

T = TypeVar("T")


async def in_worker(call: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` on a worker thread, awaited.

    What :func:`asyncio.to_thread` does, without asking for the *running* loop: qasync's
    ``run_until_complete`` processes Qt's pending events once more after its loop stopped, and a
    task stepped then finds no running loop (tests drive the loop that way).
    """
    loop = asyncio.get_event_loop()
    return await loop.run_in_executor(None, functools.partial(call, *args, **kwargs))


class Work:
    """One blocking call's progress and cancel, safe to use from its worker thread.

    ``report(step, fraction)`` from the worker reaches ``on_progress`` on the loop's thread;
    :meth:`cancel` (from a button) makes ``cancelled()`` true for the worker to stop at its next check.
    """

    def __init__(self, on_progress: Callable[[str, float], None] = lambda step, done: None):
        self._loop = asyncio.get_event_loop()
        self._on_progress = on_progress
        self._cancel = threading.Event()

    def report(self, step: str, done: float) -> None:
        self._loop.call_soon_threadsafe(self._on_progress, step, done)

    def cancel(self) -> None:
        self._cancel.set()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    async def run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``call(*args, **kwargs)`` on a worker thread; cancelling the awaiting task cancels the work too."""
        try:
            return await in_worker(call, *args, **kwargs)
        except asyncio.CancelledError:
            self.cancel()
            raise


def spawn_reporting(tasks: TaskSet, work: Coroutine[Any, Any, object], where: str,
                    show: Callable[[str], None]) -> asyncio.Task[None]:
    """Run ``work`` in ``tasks``; an :class:`AppError` (a user's problem) goes to ``show`` as its message.

    Any other exception is a bug: :meth:`TaskSet.spawn_guarded` logs it with its traceback and shows it.
    """

    async def reporting() -> None:
        try:
            await work
        except AppError as exc:
            show(str(exc))

    return tasks.spawn_guarded(reporting(), where, show)
