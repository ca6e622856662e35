"""The project session: which project is open, whether it is saved, and what work is running.

A pure model (psygnal, asyncio; no Qt) that the workbench window and its views observe.
It owns the project life cycle (create, open, save, save as, close, crash recovery) and
runs every file operation on a worker thread through :func:`asyncio.to_thread`, so the
caller's loop (the UI thread under qasync) never blocks on a disk.

Long work is a :class:`Job`. A worker reports progress and polls for cancel through the job,
which is safe from any thread: progress reaches listeners on the loop's thread, and cancel is
a :class:`threading.Event`. Workers never call into the UI, so no Qt object is touched off
the UI thread. Asking the user (unsaved changes, errors) is the view layer's business.

Example (inside a coroutine)::

    session = ProjectSession(RecoveryStore(state_folder))
    session.opened.connect(lambda project: print("open", project.name))
    await session.open(Path("pump_station"))
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from psygnal import Signal

from workbench.jsonfile import dumps_stable
from workbench.project import Project, copy_project_tree
from workbench.recovery import RecoveryEntry, RecoveryStore

T = TypeVar("T")


class Job:
    """One piece of long work on a worker thread, with progress and cancel.

    ``report`` and ``is_cancelled`` may be called from any thread; ``progress`` is emitted
    on the thread of the loop that started the job, at most once per loop iteration (a
    worker reporting 100,000 files does not flood the loop).
    """

    progress = Signal(int, int)  # done, total (in the worker's units, e.g. bytes)

    def __init__(self, title: str, loop: asyncio.AbstractEventLoop):
        self.title = title
        self.done = 0
        self.total = 0
        self._loop = loop
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._latest = (0, 0)
        self._publish_pending = False

    def report(self, done: int, total: int) -> None:
        """Record progress; thread-safe. Listeners hear of it on the loop's thread."""
        with self._lock:
            self._latest = (done, total)
            if self._publish_pending:  # the newest value is picked up by the pending call
                return
            self._publish_pending = True
        self._loop.call_soon_threadsafe(self._publish)

    def _publish(self) -> None:
        with self._lock:
            self._publish_pending = False
            done, total = self._latest
        if (done, total) != (self.done, self.total):
            self.done, self.total = done, total
            self.progress.emit(done, total)

    def cancel(self) -> None:
        """Ask the worker to stop at its next check; thread-safe, idempotent."""
        self._cancel.set()

    def is_cancelled(self) -> bool:
        """Whether cancel was asked; workers poll this between steps."""
        return self._cancel.is_set()

    def wait_cancelled(self, timeout: float | None = None) -> bool:
        """Block a worker until cancel is asked (or ``timeout``); True if it was."""
        return self._cancel.wait(timeout)

    def __repr__(self) -> str:
        return f"Job({self.title!r}, {self.done}/{self.total}{', cancelled' if self.is_cancelled() else ''})"


class RunningJobs:
    """The jobs running now; views show a progress bar per job and offer cancel."""

    started = Signal(object)  # Job
    finished = Signal(object)  # Job, after its work returned or raised

    def __init__(self) -> None:
        self._jobs: list[Job] = []

    def __iter__(self):
        return iter(list(self._jobs))

    def __len__(self) -> int:
        return len(self._jobs)

    async def run(self, title: str, work: Callable[[Job], T]) -> T:
        """Run ``work(job)`` on a worker thread and return its result.

        If the awaiting task is cancelled, the job is cancelled too, so the worker stops at
        its next check instead of running on unseen.
        """
        job = Job(title, asyncio.get_running_loop())
        self._jobs.append(job)
        self.started.emit(job)
        try:
            return await asyncio.to_thread(work, job)
        except asyncio.CancelledError:
            job.cancel()
            raise
        finally:
            self._jobs.remove(job)
            self.finished.emit(job)


class ProjectSession:
    """The open project (at most one), its saved state, and the running jobs.

    Signals, all emitted on the loop's thread:

    * ``opened(project)`` after a project was created, opened or recovered;
    * ``closed(project)`` after it was closed (its recovery copy is gone by then);
    * ``dirty_changed(bool)``, ``edited(field)``, ``root_changed(path)`` while it is open;
    * ``busy_changed(bool)`` while a save, open or copy runs (the window refuses to close).
    """

    opened = Signal(object)
    closed = Signal(object)
    dirty_changed = Signal(bool)
    edited = Signal(str)
    root_changed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, recovery: RecoveryStore):
        self.recovery = recovery
        self.jobs = RunningJobs()
        self._project: Project | None = None
        self._busy = 0  # nested: save inside save-as

    # -- state ------------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        return self._project

    @property
    def busy(self) -> bool:
        return self._busy > 0

    @property
    def dirty(self) -> bool:
        return self._project is not None and self._project.dirty

    @property
    def writable(self) -> bool:
        return self._project is not None and not self._project.read_only

    # -- life cycle ---------------------------------------------------------------------
    async def create(self, folder: Path, name: str) -> Project:
        """Create a project folder and make it the open project (closing any other)."""
        async with self._busy_scope():
            project = await asyncio.to_thread(Project.create, folder, name)
        await self.close()
        self._attach(project)
        return project

    async def open(self, folder: Path) -> Project:
        """Open the project in ``folder``; raises :class:`ProjectError` and keeps the old one.

        Callers ask the user about unsaved changes first: an open project is closed here.
        """
        async with self._busy_scope():
            project = await asyncio.to_thread(Project.open, folder)
        await self.close()
        self._attach(project)
        return project

    async def close(self) -> None:
        """Close the open project without asking; its recovery copy is removed."""
        project = self._project
        if project is None:
            return
        await asyncio.to_thread(self.recovery.discard, project.root)
        self._detach()
        self.closed.emit(project)

    async def save(self) -> bool:
        """Write ``project.json``; False if nothing is open or it is read-only. Raises ProjectError."""
        project = self._project
        if project is None or project.read_only:
            return False
        # Serialise on the loop's thread: the worker must not read fields that edits change.
        revision, text = project.revision, dumps_stable(project.document())
        async with self._busy_scope():
            await asyncio.to_thread(project.write, project.root, text)
        project.mark_saved(revision)
        await asyncio.to_thread(self.recovery.discard, project.root)
        return True

    async def save_as(self, target: Path, name: str, title: str = "Copying the project") -> bool:
        """Copy the project folder to ``target`` (a cancellable job), continue there, save.

        Raises :class:`~workbench.project.CopyCancelled` if the job was cancelled (nothing is
        left in ``target``) and :class:`ProjectError` if the copy or the save failed.
        """
        project = self._project
        if project is None or project.read_only:
            return False
        source = project.root
        async with self._busy_scope():
            await self.jobs.run(title, lambda job: copy_project_tree(source, target, job.report,
                                                                     job.is_cancelled))
            project.move_to(target)
            if name != project.name:
                project.set_name(name)
            if not await self.save():
                return False
        await asyncio.to_thread(self.recovery.discard, source)
        return True

    # -- crash recovery ---------------------------------------------------------------------
    async def pending_recoveries(self) -> list[RecoveryEntry]:
        return await asyncio.to_thread(self.recovery.pending)

    async def discard_recovery(self, entry: RecoveryEntry) -> None:
        await asyncio.to_thread(self.recovery.discard, entry.project_root)

    async def recover(self, entry: RecoveryEntry) -> Project:
        """Open the project of ``entry`` and apply its unsaved state; it is dirty afterwards."""
        project = await self.open(entry.project_root)
        project.restore(entry.snapshot)
        await self.write_recovery()
        return project

    async def write_recovery(self) -> None:
        """Write a recovery copy of the unsaved state (what the autosave timer calls)."""
        project = self._project
        if project is not None and project.dirty and not project.read_only:
            await asyncio.to_thread(self.recovery.save, project.root, project.name, project.snapshot())

    # -- plumbing -----------------------------------------------------------------------------
    def _attach(self, project: Project) -> None:
        self._project = project
        # Forward through methods with exact signatures: connecting ``SignalInstance.emit``
        # itself made psygnal 0.16 emit once at connect time, with 255 placeholder arguments.
        project.dirty_changed.connect(self._forward_dirty)
        project.changed.connect(self._forward_edit)
        project.root_changed.connect(self._forward_root)
        self.opened.emit(project)

    def _detach(self) -> None:
        project, self._project = self._project, None
        if project is not None:
            project.dirty_changed.disconnect(self._forward_dirty)
            project.changed.disconnect(self._forward_edit)
            project.root_changed.disconnect(self._forward_root)

    def _forward_dirty(self, dirty: bool) -> None:
        self.dirty_changed.emit(dirty)

    def _forward_edit(self, field: str) -> None:
        self.edited.emit(field)

    def _forward_root(self, root: Path) -> None:
        self.root_changed.emit(root)

    def _busy_scope(self) -> _BusyScope:
        return _BusyScope(self)


class _BusyScope:
    """``async with``: the session is busy inside; busy_changed only on the outer edges."""

    def __init__(self, session: ProjectSession):
        self._session = session

    async def __aenter__(self) -> None:
        self._session._busy += 1
        if self._session._busy == 1:
            self._session.busy_changed.emit(True)

    async def __aexit__(self, *exc_info) -> None:
        self._session._busy -= 1
        if self._session._busy == 0:
            self._session.busy_changed.emit(False)


__all__ = ["Job", "ProjectSession", "RunningJobs"]
