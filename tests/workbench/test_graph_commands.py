"""`millwright run-graph` and `millwright components` on good and bad inputs."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from nodes.resources import resources_dir
from workbench.cli import main

EXAMPLE = resources_dir() / "examples" / "pump_station"
GRAPH, SAMPLE = EXAMPLE / "graphs" / "vibration_alarm.json", EXAMPLE / "data" / "pump_run.csv"


def test_vibration_alarm_example_finds_the_developing_fault(tmp_path, capsys):
    out = tmp_path / "alarm.csv"
    assert main(["run-graph", str(GRAPH), "--input", str(SAMPLE), "--output", str(out)]) == 0
    assert "40000 rows in" in capsys.readouterr().out
    result = pd.read_csv(out, parse_dates=["time"])
    seconds = (result["time"] - pd.Timestamp("2026-11-25T08:00:00Z")).dt.total_seconds().to_numpy()
    # The recording's velocity grows linearly from 1.0 to 6.0 mm/s RMS over 20 s.
    np.testing.assert_allclose(result["velocity_rms"], 1.0 + 5.0 * (seconds - 0.5) / 20, rtol=0.04)
    assert list(result["zone"][:2]) == [0, 1] and result["zone"].iloc[-1] == 2  # A → B → C (class II)
    first_alarm = seconds[result["alarm"].astype(bool)][0]
    assert 7.0 < first_alarm < 9.0 and result["alarm"].iloc[-1] == 1


def test_the_output_does_not_depend_on_the_chunk_size(tmp_path):
    for chunk in (997, 40_000):
        assert main(["run-graph", str(GRAPH), "-i", str(SAMPLE), "-o", str(tmp_path / f"{chunk}.csv"), "--chunk",
                     str(chunk)]) == 0
    assert (tmp_path / "997.csv").read_bytes() == (tmp_path / "40000.csv").read_bytes()


def test_parquet_in_and_out(tmp_path):
    frame = pd.read_csv(SAMPLE)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame.to_parquet(tmp_path / "in.parquet")
    assert main(["run-graph", str(GRAPH), "-i", str(tmp_path / "in.parquet"), "-o", str(tmp_path / "o.parquet")]) == 0
    assert main(["run-graph", str(GRAPH), "-i", str(SAMPLE), "-o", str(tmp_path / "o.csv")]) == 0
    parquet, csv = pd.read_parquet(tmp_path / "o.parquet"), pd.read_csv(tmp_path / "o.csv")
    np.testing.assert_allclose(parquet["velocity_rms"], csv["velocity_rms"], rtol=1e-9)


def _csv(tmp_path, text):
    path = tmp_path / "in.csv"
    path.write_text(text)
    return path


def test_bad_graph_lists_every_problem_and_exits_2(tmp_path, capsys):
    code = main(["run-graph", str(GRAPH), "-i", str(SAMPLE), "-o", str(tmp_path / "o.csv"),
                 "--param", "band.low=900", "--param", "rms.block_size=0"])
    err = capsys.readouterr().err
    assert code == 2 and "the graph cannot run (2 problem(s))" in err
    assert "error: band.low: parameter 'low' must be below the high cut-off (800 Hz)" in err
    assert "error: rms.block_size: parameter 'block_size' must be at least 1 (found 0)" in err
    assert not (tmp_path / "o.csv").exists()


def test_malformed_graph_file_names_line_and_column(tmp_path, capsys):
    bad = tmp_path / "g.json"
    bad.write_text('{"schema_version": 2,\n "nodes": [\n}')
    assert main(["run-graph", str(bad), "-i", str(SAMPLE), "-o", str(tmp_path / "o.csv")]) == 2
    assert f"{bad} (line 3, column 1): not valid JSON" in capsys.readouterr().err


@pytest.mark.parametrize(("content", "message"), [
    ("time,accel\n1.0,2.0\n", "the graph needs column(s) 'acc', which the file does not have (columns: accel)"),
    ("time,acc\n1.0,2.0\n3.0,4.0\n2.0,5.0\n", "line 4, column 'time': the time goes backwards"),
    ("time,acc\n1.0,2.0\n2.0,2,5\n", "line 3: 3 fields where the header has 2 (time, acc); "
                                      "is a decimal comma used, or a text with a comma not in quotes?: 2.0,2,5"),
    ("time,acc\n1.0,2.0\n\n\n2.0,2.5x\n", "line 5, column 'acc': '2.5x' is not a number"),  # blank lines count
    ("time,acc\n1.0,2.0\n2.0,2.5x\n", "line 3, column 'acc': '2.5x' is not a number"),
    ("time,acc\n2026-11-25T08:00:00Z,1\nyesterday,2\n", "line 3, column 'time': 'yesterday' is not a time"),
    ("time,acc\n1700000000000,1\n", "line 2, column 'time': 1700000000000 s since 1970 is after the year 2262; "
                                     "are the times in milliseconds? use --time-unit ms"),
])
def test_bad_data_is_reported_with_its_place_and_nothing_is_written(tmp_path, capsys, content, message):
    source = _csv(tmp_path, content)
    out = tmp_path / "o.csv"
    assert main(["run-graph", str(GRAPH), "-i", str(source), "-o", str(out), "--chunk", "1"]) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert not out.exists() and not list(tmp_path.glob(".~millwright-*"))


def test_repeated_timestamps_and_millisecond_times(tmp_path):
    g = tmp_path / "g.json"
    g.write_text('{"schema_version": 2, "nodes": [{"id": "a", "type": "io.input", "params": {"column": "a"}}, '
                 '{"id": "o", "type": "io.output", "params": {"column": "a2"}}], '
                 '"edges": [{"from": "a.y", "to": "o.x"}]}')
    src = _csv(tmp_path, "time,a\n1700000000000,1\n1700000000000,2\n1700000001000,3\n")
    for chunk in ("1", "10"):
        out = tmp_path / f"o{chunk}.csv"
        assert main(["run-graph", str(g), "-i", str(src), "-o", str(out), "--time-unit", "ms", "--chunk", chunk]) == 0
        assert out.read_text().splitlines() == ["time,a2", "2023-11-14T22:13:20.000000Z,1",
                                                "2023-11-14T22:13:20.000000Z,2", "2023-11-14T22:13:21.000000Z,3"]
    assert oct((tmp_path / "o1.csv").stat().st_mode & 0o777) != oct(0o600)  # readable by colleagues (umask)


def test_an_empty_result_is_still_a_valid_file(tmp_path):
    src = _csv(tmp_path, "time,acc\n0,1\n0.0005,2\n")  # 2 kHz, far shorter than one RMS block
    for name in ("o.parquet", "o.csv"):
        assert main(["run-graph", str(GRAPH), "-i", str(src), "-o", str(tmp_path / name)]) == 0
    assert len(pd.read_parquet(tmp_path / "o.parquet")) == 0 and len(pd.read_csv(tmp_path / "o.csv")) == 0


def test_bad_param_syntax(tmp_path, capsys):
    assert main(["run-graph", str(GRAPH), "-i", str(SAMPLE), "-o", str(tmp_path / "o.csv"), "--param", "low=3"]) == 2
    assert "--param 'low=3' must look like NODE.NAME=VALUE" in capsys.readouterr().err


def test_components_list_and_show(capsys):
    assert main(["components", "list"]) == 0
    out = capsys.readouterr().out
    count = int(out.strip().splitlines()[-1].split()[0])
    assert count >= 40 and "signal.bandpass" in out and "vibration.iso_severity" in out
    assert main(["components", "list", "--lang", "zh"]) == 0
    assert "带通滤波器（巴特沃斯）" in capsys.readouterr().out
    assert main(["components", "show", "signal.ewma"]) == 0
    shown = capsys.readouterr().out
    assert "y[k] = α·x[k] + (1 − α)·y[k−1]" in shown and "References" in shown and "alpha" in shown
    assert main(["components", "show", "signal.nope"]) == 1
    assert "there is no component 'signal.nope'" in capsys.readouterr().err


def test_headless_graph_run_does_not_load_qt(tmp_path):
    code = (f"import sys; from workbench.cli import main; main(['run-graph', r'{GRAPH}', '-i', r'{SAMPLE}', "
            f"'-o', r'{tmp_path / 'o.csv'}', '-q']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('qtpy', 'PySide6', 'qasync')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


# ----------------------------------------------------------------- issue 16: clear run-graph errors

PASS_THROUGH = ('{"schema_version": 2, "nodes": [{"id": "a", "type": "io.input", "params": {"column": "a"}}, '
                '{"id": "o", "type": "io.output", "params": {"column": "a2"}}], '
                '"edges": [{"from": "a.y", "to": "o.x"}]}')


def _pass_through(tmp_path):
    graph = tmp_path / "g.json"
    graph.write_text(PASS_THROUGH)
    return graph


def _no_temp_files(folder):
    return not list(folder.glob(".~millwright-*"))


def test_an_extra_field_far_down_is_reported_on_its_own_line(tmp_path, capsys):
    lines = ["time,a"] + [f"{i},{i}" for i in range(1, 40_000)]
    lines[29_999] = "29999,2,5"  # line 30,000 of the file: a decimal comma
    source = _csv(tmp_path, "\n".join(lines) + "\n")
    out = tmp_path / "o.csv"
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{source}, line 30000: 3 fields where the header has 2 (time, a)" in err, err
    assert "Traceback" not in err and not out.exists() and _no_temp_files(tmp_path)


def test_a_short_row_names_its_line_and_the_missing_column(tmp_path, capsys):
    source = _csv(tmp_path, "time,a\r\n1,1\r\n\r\n2,2\r\n3\r\n")
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(tmp_path / "o.csv"),
                 "--chunk", "1"]) == 1
    assert f"{source}, line 5: 1 field where the header has 2 (time, a); column 'a' is missing" in \
        capsys.readouterr().err


def test_an_output_path_that_is_a_folder_is_refused_before_reading_the_input(tmp_path, capsys):
    folder = tmp_path / "results"
    folder.mkdir()
    missing_input = tmp_path / "not_there.csv"  # would fail if the input were read first
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(missing_input), "-o", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"{folder}: this is a folder; give a file name for the output, e.g. {folder / 'result.csv'}" in err, err
    assert folder.is_dir() and _no_temp_files(tmp_path)


def test_a_missing_output_folder_names_the_users_path(tmp_path, capsys):
    out = tmp_path / "no_such_folder" / "o.csv"
    source = _csv(tmp_path, "time,a\n1,1\n")
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}: the folder {out.parent} does not exist" in err, err
    assert ".~millwright" not in err and "Errno" not in err


def test_an_output_folder_that_is_a_file_names_the_users_path(tmp_path, capsys):
    (tmp_path / "notes").write_text("a file, not a folder")
    out = tmp_path / "notes" / "o.csv"
    source = _csv(tmp_path, "time,a\n1,1\n")
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}: {out.parent} is a file, not a folder" in err, err
    assert ".~millwright" not in err and "Errno" not in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_output_folder_names_the_users_path(tmp_path, capsys):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    out = folder / "o.csv"
    source = _csv(tmp_path, "time,a\n1,1\n")
    try:
        assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(out)]) == 1
    finally:
        folder.chmod(0o755)
    err = capsys.readouterr().err
    assert f"{out}: cannot write into the folder {folder} (permission denied)" in err, err
    assert ".~millwright" not in err and "Errno" not in err


def test_the_output_may_not_replace_the_input(tmp_path, capsys):
    source = _csv(tmp_path, "time,a\n1,1\n")
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(source)]) == 1
    assert "the output would replace the input recording" in capsys.readouterr().err
    assert source.read_text() == "time,a\n1,1\n"


@pytest.mark.parametrize("content", ["time,a\n", "time,a", "time,a\n\n\n"])
def test_an_input_with_no_rows_says_so_and_writes_nothing(tmp_path, capsys, content):
    source = _csv(tmp_path, content)
    out = tmp_path / "o.csv"
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{source}: the recording has a header (time, a) but no rows; there is nothing to run" in err, err
    assert not out.exists() and _no_temp_files(tmp_path)


def test_a_parquet_input_with_no_rows_says_so(tmp_path, capsys):
    source = tmp_path / "in.parquet"
    pd.DataFrame({"time": pd.Series([], dtype="float64"), "a": pd.Series([], dtype="float64")}).to_parquet(source)
    out = tmp_path / "o.parquet"
    assert main(["run-graph", str(_pass_through(tmp_path)), "-i", str(source), "-o", str(out)]) == 1
    assert "the recording has a header (time, a) but no rows" in capsys.readouterr().err
    assert not out.exists() and _no_temp_files(tmp_path)


def test_an_unknown_component_gets_close_matches_and_no_knock_on_errors(tmp_path, capsys):
    graph = tmp_path / "g.json"
    graph.write_text('{"schema_version": 2, "nodes": ['
                     '{"id": "acc", "type": "io.input", "params": {"column": "a"}}, '
                     '{"id": "band", "type": "signal.bandpas", "params": {}}, '
                     '{"id": "rms", "type": "signal.ewma", "params": {}}, '
                     '{"id": "out", "type": "io.output", "params": {"column": "r"}}], '
                     '"edges": [{"from": "acc.y", "to": "band.x"}, {"from": "band.y", "to": "rms.x"}, '
                     '{"from": "rms.y", "to": "out.x"}]}')
    source = _csv(tmp_path, "time,a\n1,1\n")
    assert main(["run-graph", str(graph), "-i", str(source), "-o", str(tmp_path / "o.csv")]) == 2
    err = capsys.readouterr().err
    assert "the graph cannot run (1 problem(s))" in err, err
    assert "error: band: component type 'signal.bandpas' is not installed; did you mean 'signal.bandpass'?" in err, err
    assert "must be connected" not in err


@pytest.mark.parametrize("lang", ["zh", "zh_CN"])
def test_components_accept_the_guis_language_spelling(capsys, lang):
    assert main(["components", "list", "--lang", lang]) == 0
    assert "带通滤波器（巴特沃斯）" in capsys.readouterr().out
    assert main(["components", "show", "signal.bandpass", "--lang", lang]) == 0
    assert "带通滤波器（巴特沃斯）" in capsys.readouterr().out


def test_the_language_may_come_before_the_command_as_for_the_workbench(capsys):
    assert main(["--lang", "zh_CN", "components", "list"]) == 0
    assert "带通滤波器（巴特沃斯）" in capsys.readouterr().out
    assert main(["components", "list"]) == 0  # English unless asked
    assert "Band-pass" in capsys.readouterr().out


def test_the_system_language_follows_the_locale(capsys, monkeypatch):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["components", "show", "signal.bandpass", "--lang", "system"]) == 0
    assert "带通滤波器（巴特沃斯）" in capsys.readouterr().out
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert main(["components", "show", "signal.bandpass", "--lang", "system"]) == 0
    assert "带通" not in capsys.readouterr().out


def test_components_refuse_an_unknown_language(capsys):
    with pytest.raises(SystemExit):
        main(["components", "list", "--lang", "fr"])
    assert "--lang" in capsys.readouterr().err


def test_components_show_offers_close_matches(capsys):
    assert main(["components", "show", "signal.bandpas"]) == 1
    assert "there is no component 'signal.bandpas'. Did you mean 'signal.bandpass'?" in capsys.readouterr().err
