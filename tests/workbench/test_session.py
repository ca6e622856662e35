"""The project session model, without Qt: life cycle, announcements, jobs with progress and cancel."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading

import pytest

from workbench.project import CopyCancelled, Project
from workbench.recovery import RecoveryStore
from workbench.session import Job, ProjectSession


@pytest.fixture
def session(tmp_path):
    return ProjectSession(RecoveryStore(tmp_path / "recovery"))


class Heard:
    """Records what a session announces, in order."""

    def __init__(self, session: ProjectSession):
        self.events: list[tuple] = []
        for name in ("opened", "closed", "dirty_changed", "edited", "root_changed", "busy_changed"):
            getattr(session, name).connect(lambda *args, name=name: self.events.append((name, *args)))

    def names(self) -> list[str]:
        return [event[0] for event in self.events]


def test_the_session_module_imports_no_qt():
    code = ("import sys, workbench.session; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('qtpy', 'PySide6', 'qasync')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_open_edit_save_close_are_announced(session, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    heard = Heard(session)

    async def scenario():
        project = await session.open(tmp_path / "p")
        assert session.project is project and not session.dirty
        project.set_description("Line 3")
        assert session.dirty
        assert await session.save()
        await session.close()
        return project

    project = asyncio.run(scenario())
    assert heard.events == [("busy_changed", True), ("busy_changed", False), ("opened", project),
                            ("edited", "description"), ("dirty_changed", True),
                            ("busy_changed", True), ("busy_changed", False), ("dirty_changed", False),
                            ("closed", project)]
    assert session.project is None
    assert json.loads((tmp_path / "p" / "project.json").read_text())["description"] == "Line 3"
    project.set_name("after close")  # a closed project no longer speaks through the session
    assert heard.names()[-1] == "closed"


def test_a_failed_open_keeps_the_open_project(session, tmp_path):
    Project.create(tmp_path / "good", "Good")

    async def scenario():
        await session.open(tmp_path / "good")
        with pytest.raises(Exception, match="not a folder"):
            await session.open(tmp_path / "missing")

    asyncio.run(scenario())
    assert session.project.name == "Good" and not session.busy


def test_read_only_project_is_not_saved(session, tmp_path):
    root = tmp_path / "future"
    root.mkdir()
    (root / "project.json").write_text(json.dumps({"name": "Future", "schema_version": 99}))
    before = (root / "project.json").read_bytes()

    async def scenario():
        await session.open(root)
        return await session.save(), await session.save_as(tmp_path / "copy", "Copy")

    assert asyncio.run(scenario()) == (False, False)
    assert (root / "project.json").read_bytes() == before and not (tmp_path / "copy").exists()


def test_save_as_reports_progress_on_the_loop_thread_and_continues_there(session, tmp_path):
    Project.create(tmp_path / "a", "A")
    for i in range(20):
        (tmp_path / "a" / "data" / f"run{i}.csv").write_text("t,v\n" * 1000)
    seen: list[tuple[int, int, str]] = []
    jobs = []

    def started(job: Job) -> None:
        jobs.append(job)
        job.progress.connect(lambda done, total: seen.append((done, total, threading.current_thread().name)))

    session.jobs.started.connect(started)

    async def scenario():
        await session.open(tmp_path / "a")
        return await session.save_as(tmp_path / "b", "B", title="Copying to b")

    assert asyncio.run(scenario())
    [job] = jobs
    assert job.title == "Copying to b" and len(session.jobs) == 0
    assert seen and {thread for *_, thread in seen} == {threading.main_thread().name}
    assert seen[-1][0] == seen[-1][1]  # the last report is the whole copy
    assert session.project.root == tmp_path / "b" and session.project.name == "B" and not session.dirty
    assert json.loads((tmp_path / "b" / "project.json").read_text())["name"] == "B"
    assert json.loads((tmp_path / "a" / "project.json").read_text())["name"] == "A"


def test_cancelling_the_copy_job_leaves_nothing_behind(session, tmp_path):
    Project.create(tmp_path / "a", "A")
    (tmp_path / "a" / "data" / "run.csv").write_text("t,v\n")
    # Cancel is asked on the loop's thread before the worker copies its first file.
    session.jobs.started.connect(lambda job: job.cancel())

    async def scenario():
        await session.open(tmp_path / "a")
        with pytest.raises(CopyCancelled):
            await session.save_as(tmp_path / "b", "B")

    asyncio.run(scenario())
    assert not (tmp_path / "b").exists()
    assert session.project.root == tmp_path / "a" and session.project.name == "A" and not session.busy


def test_a_worker_sees_cancel_from_another_thread_and_progress_is_coalesced(session):
    async def scenario():
        reported = asyncio.Event()
        heard: list[tuple[int, int]] = []

        def work(job: Job) -> str:
            for i in range(1, 10_001):
                job.report(i, 10_000)
            reported_loop.call_soon_threadsafe(reported.set)
            return "cancelled" if job.wait_cancelled(timeout=30) else "timed out"

        def started(job: Job) -> None:
            job.progress.connect(lambda done, total: heard.append((done, total)))

        session.jobs.started.connect(started)
        reported_loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(session.jobs.run("work", work))
        await reported.wait()
        [job] = list(session.jobs)
        job.cancel()  # from the loop's thread, as a Cancel button does
        result = await task
        await asyncio.sleep(0)  # let a last coalesced report arrive
        return result, heard

    result, heard = asyncio.run(scenario())
    assert result == "cancelled"
    assert heard[-1] == (10_000, 10_000)
    assert len(heard) < 10_000  # reports are coalesced, not queued one by one
    assert heard == sorted(heard)


def test_cancelling_the_awaiting_task_cancels_the_job(session):
    async def scenario():
        seen = threading.Event()

        def work(job: Job) -> bool:
            seen.set()
            return job.wait_cancelled(timeout=30)

        jobs: list[Job] = []
        session.jobs.started.connect(jobs.append)
        task = asyncio.ensure_future(session.jobs.run("work", work))
        await asyncio.to_thread(seen.wait, 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return jobs[0]

    job = asyncio.run(scenario())
    assert job.is_cancelled() and len(session.jobs) == 0


def test_recovery_copy_and_recover(session, tmp_path):
    Project.create(tmp_path / "p", "Pump")

    async def crash():
        project = await session.open(tmp_path / "p")
        project.set_description("typed before the crash")
        await session.write_recovery()

    asyncio.run(crash())
    again = ProjectSession(RecoveryStore(tmp_path / "recovery"))

    async def restart():
        [entry] = await again.pending_recoveries()
        project = await again.recover(entry)
        return project

    project = asyncio.run(restart())
    assert project.description == "typed before the crash" and again.dirty
    assert asyncio.run(again.save())
    assert again.recovery.pending() == []
