"""Killing Millwright in the middle of saves never leaves a torn project file."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from workbench.project import Project

SAVER = textwrap.dedent("""
    import sys
    from workbench.project import Project
    project = Project.open(sys.argv[1])
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        # A large description makes every write take long enough to be interrupted.
        project.set_description(f"version {i} " + "x" * 400_000)
        project.save()
""")


def test_killed_during_saves_always_leaves_a_parseable_project(tmp_path):
    root = tmp_path / "p"
    Project.create(root, "Kill test")
    rng = random.Random(20261125)
    seen_versions = set()
    for _ in range(50):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(root)], stdout=subprocess.PIPE,
                                 env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        assert saver.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.0, 0.08))
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        project = Project.open(root)  # raises on a torn or empty file
        document = json.loads(project.path.read_text())
        assert document["name"] == "Kill test"
        if document["description"]:
            head, _, tail = document["description"].partition(" x")
            assert head.startswith("version ") and set(tail) <= {"x"} and len(tail) == 400_000 - 1
            seen_versions.add(head)
        assert [p.name for p in root.iterdir() if p.name.startswith(".~")] == []  # cleaned on open
    assert len(seen_versions) > 5, "the saver was killed before it ever saved: the test proved nothing"
