import json
import os
import subprocess
import sys

import pytest

from workbench import __version__
from workbench.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"Millwright {__version__}"


def test_help_lists_options_and_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "--project FOLDER" in out and "project" in out
    assert "Without a command it opens the workbench" in " ".join(out.split())


def test_project_new_and_check(tmp_path, capsys):
    assert main(["project", "new", str(tmp_path / "line3"), "--name", "Line 3"]) == 0
    assert "Created project 'Line 3'" in capsys.readouterr().out
    assert main(["project", "check", str(tmp_path / "line3")]) == 0
    assert "Project 'Line 3' (schema 1, written by Millwright" in capsys.readouterr().out


def test_project_check_on_a_broken_project_exits_1_with_the_reason(tmp_path, capsys):
    (tmp_path / "project.json").write_text('{"name": "x", "schema_version": 1')
    assert main(["project", "check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("millwright: ") and "(line 1, column 34): not valid JSON" in err


def test_headless_commands_do_not_load_qt(tmp_path):
    code = ("import sys; from workbench.cli import main; main(['project', 'new', sys.argv[1]]); "
            "print([m for m in sys.modules if m.split('.')[0] in ('qtpy', 'PySide6', 'qasync')])")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p")], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith("[]")


def test_workbench_starts_on_the_example_project_and_reports_startup(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "workbench", "--project", "resources/examples/pump_station",
                             "--quit-after-shown"], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["project"].endswith("pump_station") and report["shown_seconds"] > 0 and report["peak_rss_mb"] > 0


def test_a_reader_that_stops_early_is_no_error():
    # `millwright … | head -1`: the pipe closes before all is written; no traceback, exit 0
    process = subprocess.Popen([sys.executable, "-m", "workbench", "components", "list"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0 and "Traceback" not in stderr, stderr
