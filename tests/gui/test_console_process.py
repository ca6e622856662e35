"""No kernel outlives its workbench: a real workbench process, closed by its user or killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest

from nodes.resources import example_project
from workbench.console_kernel import KernelFolder

ROOT = Path(__file__).resolve().parents[2]
STARTUP = 90  # seconds for the workbench and its kernel on a loaded two-core machine
EXIT = 30  # seconds for the kernel to go once its workbench has


def ended(pid: int) -> bool:
    """The process is gone, or a zombie nobody has reaped yet (it runs nothing any more)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture
def workbench():
    """Start ``tests.gui.console_workbench`` on the example project; the kernel's pid and folder."""
    process = subprocess.Popen([sys.executable, "-m", "tests.gui.console_workbench", str(example_project())],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                               env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"})
    with ThreadPoolExecutor(1) as reader:
        line = reader.submit(process.stdout.readline).result(timeout=STARTUP)
    if not line:
        process.kill()
        pytest.fail(f"the workbench ended before its console was ready: {process.stderr.read().decode()[-2000:]}")
    info = json.loads(line)
    yield process, info["pid"], Path(info["folder"])
    if process.poll() is None:
        process.kill()
        process.wait()
    if not ended(info["pid"]):
        psutil.Process(info["pid"]).kill()


def test_closing_the_workbench_shuts_its_kernel_down(workbench):
    process, kernel, folder = workbench
    assert psutil.Process(kernel).ppid() == process.pid
    process.stdin.write(b"close\n")
    process.stdin.flush()
    assert process.wait(timeout=EXIT) == 0
    assert wait_until(lambda: ended(kernel), EXIT), "the kernel outlived the workbench"
    assert not folder.exists()  # shut down, not orphaned: its connection file went with it


def test_a_killed_workbench_takes_its_kernel_along(workbench):
    process, kernel, folder = workbench
    assert psutil.Process(kernel).ppid() == process.pid
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=EXIT)
    assert wait_until(lambda: ended(kernel), EXIT), "the kernel is an orphan"
    assert folder.exists()  # nobody was left to remove it: the next console does
    KernelFolder().remove()
    assert not folder.exists()
