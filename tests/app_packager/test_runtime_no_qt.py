"""The runtime runs without Qt: importing it, and `millwright app run --help`, never import a Qt binding;
and `millwright app run` serves the example app from a venv in which PySide6 is not installed.

A meta-path finder that makes every import of PySide6, shiboken6, qtpy or pyqtgraph fail proves
the first quickly in a plain subprocess; the venv proves the second as an edge machine has it.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from device_browser.simulators.opcua.simulation import free_port
from tests.app_packager.test_runtime import BINDINGS
from tests.simulator_process import SimulatorProcess

BLOCKER = """
import sys
class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'PySide6', 'shiboken6', 'qtpy', 'pyqtgraph', 'qasync'}:
            raise ImportError(f'Qt is blocked in this test: {name}')
sys.meta_path.insert(0, NoQt())
"""


def run_without_qt(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCKER + code], capture_output=True, text=True, timeout=120)


def test_the_blocker_blocks_qt():
    result = run_without_qt("import qtpy")
    assert result.returncode != 0 and "Qt is blocked in this test: qtpy" in result.stderr


def test_the_runtime_and_its_command_import_no_qt():
    result = run_without_qt(
        "import app_packager.runtime.core, app_packager.runtime.health, workbench.app_run_commands\n"
        "from workbench.cli import main\n"
        "try:\n    main(['app', 'run', '--help'])\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in {'PySide6', 'qtpy', 'pyqtgraph'}]\n")
    assert result.returncode == 0, result.stderr
    assert "FILE.iapp|APP_FOLDER" in result.stdout


QT_DISTRIBUTIONS = ("pyside6", "shiboken6", "qtpy", "pyqtgraph", "qasync", "pytestqt", "pytest_qt", "qtconsole")


@pytest.fixture(scope="module")
def venv_without_qt(tmp_path_factory) -> Path:
    """A venv holding every package of ours except the Qt ones: the runtime's dependencies, no PySide6.

    The packages are links to this venv's installed files (installing them again would take
    minutes and need a package index); what matters is that PySide6 and its kin are not installed.
    """
    venv = tmp_path_factory.mktemp("no-qt") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    ours = Path(sysconfig.get_paths()["purelib"])
    target = Path(subprocess.run([str(venv / "bin" / "python"), "-c",
                                  "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip())
    for entry in ours.iterdir():
        if not entry.name.lower().replace("-", "_").startswith(QT_DISTRIBUTIONS) and not (target / entry.name).exists():
            (target / entry.name).symlink_to(entry)
    return venv / "bin" / "python"


def test_app_run_serves_the_example_app_in_a_venv_where_pyside6_is_not_installed(venv_without_qt, example_build,
                                                                                  tmp_path):
    missing = subprocess.run([str(venv_without_qt), "-c", "import PySide6"], capture_output=True, text=True)
    assert missing.returncode != 0 and "No module named 'PySide6'" in missing.stderr
    simulator = SimulatorProcess("opcua", free_port("127.0.0.1"), tmp_path / "sim")
    simulator.start()
    devices = tmp_path / "devices"
    devices.mkdir()
    text, name = simulator.profile_text()
    (devices / name).write_text(text, encoding="utf-8")
    (tmp_path / "bindings.yaml").write_text(BINDINGS, encoding="utf-8")
    health, opcua = free_port("127.0.0.1"), free_port("127.0.0.1")
    command = [str(venv_without_qt), "-m", "workbench", "app", "run", str(example_build), "--bind",
               str(tmp_path / "bindings.yaml"), "--devices", str(devices), "--data", str(tmp_path / "data"),
               "--allow-unsigned", "--health-port", str(health), "--opcua-port", str(opcua)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "MILLWRIGHT_OPCUA_USER": "operator",
                                    "MILLWRIGHT_OPCUA_PASSWORD": "a long password"})
    try:
        ready = _wait_for(lambda: _get(health, "/readyz") == 200 and process.poll() is None, 90)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{health}/metrics", timeout=5).read().decode()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            output, _ = process.communicate()
        simulator.stop()
    assert ready, f"the runtime did not become ready:\n{output[-3000:]}"
    assert process.returncode == 0, output[-3000:]
    assert re.search(r'millwright_node_samples_total\{node="\w+"\} [1-9]', metrics)
    assert "Qt" not in output and "PySide6" not in output


def _get(port: int, path: str) -> int | None:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2).status
    except (OSError, urllib.error.HTTPError):
        return None


def _wait_for(condition, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
