"""Work a view runs off the UI thread, one job per kind, with a progress bar and a Cancel button.

A view asks for ``jobs.in_thread(kind, title, work)``: ``work(job)`` runs on the loop's executor as a
:class:`~workbench.session.Job` (progress and cancel, thread-safe), and a newer job of the same kind
calls off the one before (a plot re-read after a zoom makes the previous read pointless). The job
exists, and can be cancelled, from the call on, before its coroutine first runs: Esc pressed right
after a request must reach it. ``jobs.spawn`` runs the coroutine that awaits it; what it raises ends
up in front of the user (``show_error``) or, for a bug, in the log too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TypeVar

from qtpy import shiboken
from qtpy.QtWidgets import QProgressBar, QPushButton

from device_browser.ui.tasks import TaskSet
from workbench.session import Job

log = logging.getLogger(__name__)
T = TypeVar("T")
STEPS = 1000


class JobCancelled(Exception):
    """Raised by (or for) a job whose work was called off; never shown."""


class ViewJobs:
    """The background jobs of one view, shown in its ``progress`` bar and ``cancel_button`` (which the view
    wires to :meth:`cancel`, with its shortcut)."""

    def __init__(self, progress: QProgressBar, cancel_button: QPushButton, show_error: Callable[[str], None],
                 user_errors: tuple[type[BaseException], ...], cancelled: tuple[type[BaseException], ...] = ()):
        self.progress, self.cancel_button = progress, cancel_button
        self.show_error = show_error
        self.user_errors = user_errors
        self.cancelled = (JobCancelled, *cancelled)
        self.jobs: dict[str, Job] = {}  # kind → the job running
        self._tasks = TaskSet()
        progress.setRange(0, STEPS)
        progress.hide()
        cancel_button.hide()

    @property
    def busy(self) -> bool:
        return bool(self.jobs) or bool(self._tasks)

    def in_thread(self, kind: str, title: str, work: Callable[[Job], T]) -> Coroutine[None, None, T]:
        """``work(job)`` to await on a worker thread as the ``kind`` job, calling off the one before."""
        old = self.jobs.get(kind)
        if old is not None:
            old.cancel()
        loop = asyncio.get_event_loop()
        job = Job(title, loop)
        self.jobs[kind] = job
        job.progress.connect(self._progressed)
        self._show()

        async def run() -> T:
            try:
                if job.is_cancelled():
                    raise JobCancelled(f"{title}: called off")
                # the loop captured now: under qasync a step may run from Qt's event processing
                return await loop.run_in_executor(None, work, job)
            finally:
                if self.jobs.get(kind) is job:
                    del self.jobs[kind]
                self._show()

        return run()

    def spawn(self, coroutine_factory: Callable[[], Coroutine], where: str) -> asyncio.Task:
        """Run ``coroutine_factory()`` as a task; user errors are shown, bugs logged and shown."""

        async def guarded() -> None:
            try:
                await coroutine_factory()
            except self.cancelled:
                pass
            except self.user_errors as exc:
                self._error(str(exc))
            except Exception as exc:  # a bug must reach the log, not vanish in a task nobody awaits
                log.error("%s: %s", where, exc, exc_info=exc)
                self._error(str(exc))

        return self._tasks.spawn(guarded())

    def cancel(self) -> None:
        """Call off every running job (each stops at its next check)."""
        for job in list(self.jobs.values()):
            job.cancel()

    def close(self) -> None:
        """Call off the jobs and end the tasks (the view is going)."""
        self.cancel()
        self._tasks.cancel()

    def _error(self, text: str) -> None:
        if shiboken.isValid(self.progress):
            self.show_error(text)

    def _progressed(self, done: int, total: int) -> None:
        if shiboken.isValid(self.progress) and total:
            self.progress.setRange(0, STEPS)
            self.progress.setValue(int(STEPS * done / total))

    def _show(self) -> None:
        if not shiboken.isValid(self.progress):
            return
        busy = bool(self.jobs)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # busy until a job reports how far it is
