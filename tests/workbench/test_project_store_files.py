"""A project's recording store is ignored by git (with SQLite's -wal/-shm files) and is never a
leftover for ``project check``, even while it is open and its -wal holds committed samples."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from device_browser.store import open_store, project_store_path
from workbench.project import Project
from workbench.project_check import check_project


@pytest.fixture
def live_store(tmp_path):
    """A new project with its store open and written to (so its -wal and -shm files exist)."""
    project = Project.create(tmp_path / "line3", "Line 3")
    store = open_store(project_store_path(project.root, create=True))
    store.append(store.create_recording("r"), {"flow": (np.arange(100), np.ones(100))})
    yield project.root, store
    store.close()


def test_project_check_keeps_a_live_store_and_its_wal(live_store):
    root, store = live_store
    data = root / "data"
    names = {p.name for p in data.iterdir()}
    assert {"recordings.sqlite", "recordings.sqlite-wal", "recordings.sqlite-shm"} <= names
    (data / ".~millwright-0a1b2c3d4e5f.tmp").write_text("half-written")  # a real leftover beside it
    report = check_project(root, fix=True)
    assert [p.name for p in report.leftovers] == [".~millwright-0a1b2c3d4e5f.tmp"]
    assert {p.name for p in data.iterdir()} == names
    assert len(store.read_chunk("flow")) == 100


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_ignores_the_store_files_of_a_new_project(live_store):
    root, _ = live_store
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    files = ["data/recordings.sqlite", "data/recordings.sqlite-wal", "data/recordings.sqlite-shm",
             "data/site 2.sqlite-journal", "build/app.iapp", "data/pump.csv", "project.json"]
    result = subprocess.run(["git", "-C", str(root), "check-ignore", "--no-index", *files],
                            capture_output=True, text=True, check=False)
    assert result.stdout.splitlines() == files[:5]
