"""The runtime runs without Qt: importing it, and `millwright app run --help`, never import a Qt binding.

A venv without PySide6 would take minutes to build here; a meta-path finder that makes every
import of PySide6, shiboken6, qtpy or pyqtgraph fail proves the same thing in a plain subprocess.
"""

from __future__ import annotations

import subprocess
import sys

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
