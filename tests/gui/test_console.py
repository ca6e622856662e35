"""The Console dock on a real kernel: lazy start, code and helpers, interrupt, restart, shutdown with the window."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from pytestqt.qtbot import QtBot
from qtpy.QtCore import Qt, QTimer

from nodes.resources import example_project
from tests.gui.conftest import run, until
from workbench.ui.console_view import ConsoleView

KERNEL_START = 60  # seconds: a kernel imports IPython, numpy and pandas; CI shares two cores


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    return copy


def console_window(make_window, loop, project: Path):
    window = make_window()
    assert run(loop, window.open_project(project, remember=False))
    return window, window.views["console"]


def show_console(window, loop, view: ConsoleView) -> None:
    window.docks["console"].raise_()
    run(loop, until(lambda: view.state == "idle", KERNEL_START), timeout=KERNEL_START + 5)


def output(view: ConsoleView) -> str:
    return view.console._control.toPlainText()


def execute(loop, view: ConsoleView, code: str, timeout: float = 30) -> str:
    """Run ``code`` as typed; what the console shows after it, once the next prompt is there."""
    before = len(output(view))
    view.execute(code)
    run(loop, until(lambda: "\nIn [" in output(view)[before:], timeout), timeout=timeout + 5)
    return output(view)[before:]


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_the_kernel_starts_only_when_the_console_is_shown(make_window, loop, qapp, project):
    window, view = console_window(make_window, loop, project)
    run(loop, asyncio.sleep(0.5))  # the window's first events, its layout, the project's views
    assert view.visibleRegion().isEmpty()  # tabbed behind the Trends at start-up
    assert view.kernel is None and view.state == "not started"

    show_console(window, loop, view)
    process = psutil.Process(view.kernel.pid)
    assert Path(process.cwd()) == project
    folder, connection = view.kernel.folder.path, view.kernel.folder.connection_file
    assert folder.stat().st_mode & 0o777 == 0o700
    assert connection.stat().st_mode & 0o777 == 0o600
    assert connection.parent == folder


def test_code_runs_with_the_helpers_on_the_example_project(make_window, loop, project):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)
    assert "6" in execute(loop, view, "2 * 3")
    shown = execute(loop, view, "sorted(project.graphs), sorted(project.recordings)")
    assert "['pump_efficiency', 'vibration_alarm'], ['pump_run']" in shown
    shown = execute(loop, view, "data = recording('pump_run'); list(data.columns), len(data)")
    assert "(['time', 'acc', 'speed', 'flow', 'discharge_pressure', 'motor_current'],\n 40000)" in shown
    shown = execute(loop, view, "out = run('pump_efficiency', data); 'efficiency' in out, len(out)")
    assert "(True, 40000)" in shown
    shown = execute(loop, view, "component('signal.bandpass').type_name, 'Butterworth' in component("
                                "'signal.bandpass').__doc__")
    assert "('signal.bandpass', True)" in shown
    shown = execute(loop, view, "recording('pump_rn')")
    assert "Did you mean 'pump_run'?" in shown
    # An inline plot is a picture in the console, not the text of an object.
    images_before = len(view.console._name_to_svg_map)
    execute(loop, view, "plot(out, ['efficiency'])")
    run(loop, until(lambda: len(view.console._name_to_svg_map) > images_before, 10))


def longest_gap_while(loop, action, done, timeout: float = 30) -> float:
    """Seconds of the longest stall of the event loop, measured by a 10 ms QTimer, from ``action()`` to ``done()``."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    try:
        run(loop, until(lambda: len(ticks) > 5, 5))  # the loop runs while the kernel spins
        action()
        run(loop, until(done, timeout), timeout=timeout + 5)
    finally:
        timer.stop()
    return max(b - a for a, b in itertools.pairwise(ticks))


def test_an_endless_loop_is_interrupted_and_the_window_stays_responsive(make_window, loop, project):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)
    execute(loop, view, "kept = 41 + 1; kept")
    started: list[str] = []
    finished: list[dict] = []
    view.code_started.connect(started.append)
    view.code_finished.connect(finished.append)
    for interrupt in (view.interrupt_action.trigger, lambda: press_ctrl_c(view)):  # the toolbar, the console's key
        count = len(finished)
        view.execute("while True: pass")
        run(loop, until(lambda n=count: len(started) > n and started[-1] == "while True: pass", 30), timeout=35)
        assert view.state == "busy"
        gap = longest_gap_while(loop, interrupt, lambda n=count: len(finished) > n)
        assert finished[-1]["ename"] == "KeyboardInterrupt"
        assert gap < 1.0, f"the window froze for {gap:.2f} s during the interrupt"
    assert "42" in execute(loop, view, "kept")  # an interrupt keeps the variables


def press_ctrl_c(view: ConsoleView) -> None:
    control = view.console._control
    control.setFocus()
    QtBot.keyClick(control, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)


def test_restart_gives_a_fresh_kernel_with_the_helpers(make_window, loop, project):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)
    execute(loop, view, "forgotten = 1; forgotten")
    old = view.kernel.pid
    view.restart_action.trigger()
    run(loop, until(lambda: view.kernel.pid not in (None, old) and view.state == "idle", KERNEL_START),
        timeout=KERNEL_START + 5)
    assert gone(old) or not psutil.pid_exists(old)
    assert "NameError" in execute(loop, view, "forgotten")
    assert "40000" in execute(loop, view, "len(recording('pump_run'))")


def test_a_killed_kernel_is_restarted(make_window, loop, project):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)
    old = view.kernel.pid
    psutil.Process(old).kill()
    run(loop, until(lambda: view.kernel.pid not in (None, old) and view.state == "idle", KERNEL_START),
        timeout=KERNEL_START + 5)
    assert "Kernel died" in output(view)
    assert "2" in execute(loop, view, "1 + 1")


def test_no_kernel_remains_after_the_window_closes(make_window, loop, project):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)
    pid, folder = view.kernel.pid, view.kernel.folder.path
    window._close_confirmed = True
    window.close()
    assert view.kernel is None and view.state == "stopped"
    assert gone(pid)
    assert not folder.exists()  # the connection file with its key is gone too


def test_another_project_restarts_the_kernel_in_its_folder(make_window, loop, project, tmp_path):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)
    old = view.kernel.pid
    other = tmp_path / "other"
    shutil.copytree(example_project(), other)
    assert run(loop, window.open_project(other, remember=False))
    run(loop, until(lambda: view.kernel is not None and view.kernel.pid not in (None, old)
                    and view.state == "idle", KERNEL_START), timeout=KERNEL_START + 5)
    assert gone(old)
    assert Path(psutil.Process(view.kernel.pid).cwd()) == other
    assert str(other) in execute(loop, view, "project.root")


def test_a_kernel_that_cannot_start_is_reported_in_the_log(make_window, loop, project, monkeypatch, caplog):
    monkeypatch.setenv("PYTHONHOME", str(project / "no-such-python"))  # the kernel's interpreter cannot start
    window, view = console_window(make_window, loop, project)
    window.docks["console"].raise_()
    run(loop, until(lambda: view.state == "failed", KERNEL_START), timeout=KERNEL_START + 5)
    message = next(r.getMessage() for r in caplog.records if "kernel exited while starting" in r.getMessage())
    assert "no-such-python" in message  # the interpreter's own words, from the kernel's log
    assert "failed to start" in view.state_label.text()
    monkeypatch.delenv("PYTHONHOME")  # the cause fixed, Restart tries again from scratch
    view.restart_action.trigger()
    run(loop, until(lambda: view.state == "idle", KERNEL_START), timeout=KERNEL_START + 5)
    assert "2" in execute(loop, view, "1 + 1")


def test_the_workbench_starts_without_the_console_libraries():
    """The dock is registered at start-up; qtconsole, jupyter_client and IPython come only when it is shown."""
    code = ("import sys, workbench.ui.docks.console; "
            "print(sorted(m for m in ('qtconsole', 'jupyter_client', 'zmq', 'IPython') if m in sys.modules))")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "QT_API": "pyside6"}).stdout
    assert shown.strip() == "[]"


def test_the_console_follows_the_workbench_theme(make_window, loop, project):
    window, view = console_window(make_window, loop, project)
    show_console(window, loop, view)

    def background():  # a corner of the text area as drawn, below the last line
        image = view.console._control.viewport().grab().toImage()
        return image.pixelColor(image.width() - 3, image.height() - 3)

    assert background().lightness() > 128
    window.set_theme("dark")
    run(loop, until(lambda: background().lightness() < 128, 5))
    assert "2" in execute(loop, view, "1 + 1")
    window.set_theme("light")
    run(loop, until(lambda: background().lightness() > 128, 5))
