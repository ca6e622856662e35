import json
import subprocess
import sys

import psutil

from workbench.recovery import RecoveryStore


def test_save_pending_discard(tmp_path):
    store = RecoveryStore(tmp_path / "recovery")
    project_root = tmp_path / "p"
    snapshot = {"project.json": {"name": "P", "schema_version": 1}}
    file = store.save(project_root, "P", snapshot)
    # Written by this process, which is alive: offered anyway (it is our own copy).
    [entry] = store.pending()
    assert (entry.file, entry.project_root, entry.project_name, entry.snapshot) == (
        file, project_root.resolve(), "P", snapshot)
    store.discard(project_root)
    assert store.pending() == []


def test_copies_of_another_running_workbench_are_not_offered(tmp_path):
    store = RecoveryStore(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        file = store.save(tmp_path / "p", "P", {})
        data = json.loads(file.read_text())
        data["pid"], data["pid_started"] = other.pid, psutil.Process(other.pid).create_time()
        file.write_text(json.dumps(data))
        assert store.pending() == []
        data["pid_started"] -= 3600  # the same PID, reused by another program after a reboot
        file.write_text(json.dumps(data))
        assert [e.project_name for e in store.pending()] == ["P"]
        data["pid_started"] += 3600
        file.write_text(json.dumps(data))
    finally:
        other.kill()
        other.wait()
    assert [e.project_name for e in store.pending()] == ["P"]  # its owner is gone now


def test_damaged_copies_are_skipped_not_fatal(tmp_path, caplog):
    store = RecoveryStore(tmp_path)
    store.save(tmp_path / "good", "Good", {})
    (tmp_path / "bad.json").write_text("{ not json")
    (tmp_path / "partial.json").write_text('{"project_root": "/x"}')
    (tmp_path / "list.json").write_text("[]")
    assert [e.project_name for e in store.pending()] == ["Good"]
    assert "Ignoring damaged recovery file" in caplog.text
