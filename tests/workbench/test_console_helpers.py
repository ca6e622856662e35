"""The console's helpers on the example project, without a kernel: what `project`, `recording`, `run`,
`component` and `plot` give, and what they say when asked for something the project lacks."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from nodes.resources import example_project
from workbench.cli import main
from workbench.console_helpers import ConsoleError, ConsoleHelpers, preload
from workbench.console_plot import WIDTH, plot

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def helpers() -> ConsoleHelpers:
    return ConsoleHelpers(example_project())


@pytest.fixture(scope="module")
def pump_run(helpers) -> pd.DataFrame:
    return helpers.recording("pump_run")


def test_project_lists_what_is_in_its_folders(helpers, tmp_path):
    project = helpers.project
    assert project.name == "Pump station"
    assert list(project.graphs) == ["pump_efficiency", "vibration_alarm"]
    assert list(project.recordings) == ["pump_run"]
    assert project.components == []
    assert "graphs: pump_efficiency, vibration_alarm" in repr(project)
    # Read when asked: a recording copied in is there at once.
    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    fresh = ConsoleHelpers(copy)
    (copy / "data" / "later.csv").write_text("time,x\n0,1\n1,2\n")
    assert list(fresh.project.recordings) == ["later", "pump_run"]


def test_recording_reads_like_the_engine_does(pump_run):
    raw = pd.read_csv(example_project() / "data" / "pump_run.csv")
    assert list(pump_run.columns) == list(raw.columns)
    assert len(pump_run) == len(raw) == 40_000
    assert str(pump_run["time"].dt.tz) == "UTC"
    assert pump_run["time"].iloc[1] - pump_run["time"].iloc[0] == pd.Timedelta("0.5ms")
    np.testing.assert_array_equal(pump_run["flow"].to_numpy(), raw["flow"].to_numpy())


def test_run_gives_what_run_graph_writes(helpers, pump_run, tmp_path):
    out = tmp_path / "efficiency.csv"
    graph = example_project() / "graphs" / "pump_efficiency.json"
    assert main(["run-graph", str(graph), "-i", str(example_project() / "data" / "pump_run.csv"), "-o", str(out),
                 "-q"]) == 0
    written = pd.read_csv(out)
    from_frame = helpers.run("pump_efficiency", pump_run)
    from_name = helpers.run("pump_efficiency", "pump_run")
    assert list(from_frame.columns) == list(written.columns)
    for column in written.columns[1:]:
        np.testing.assert_allclose(from_frame[column], written[column], rtol=1e-9, equal_nan=True)
    pd.testing.assert_frame_equal(from_frame, from_name)
    assert from_frame.attrs["failures"] == {}


def test_run_takes_parameter_overrides_and_a_datetime_index(helpers, pump_run):
    indexed = pump_run.set_index("time")
    plain = helpers.run("vibration_alarm", indexed)
    graph = helpers.project.graph("vibration_alarm")
    longer = helpers.run(graph, pump_run, params={"rms": {"block_size": 4000}})  # 2 s blocks instead of 1 s
    assert len(plain) == 2 * len(longer) > 0


def test_run_refuses_data_that_does_not_fit(helpers, pump_run):
    with pytest.raises(ConsoleError, match=r"needs column\(s\) 'motor_current', 'flow'.*\(columns: time, acc\)"):
        helpers.run("pump_efficiency", pump_run[["time", "acc"]])
    backwards = pump_run.iloc[[0, 2, 1, 3]]
    with pytest.raises(ConsoleError, match="time goes backwards at row 2"):
        helpers.run("pump_efficiency", backwards)
    with pytest.raises(ConsoleError, match=r"no graph 'pump_eficiency'.*Did you mean 'pump_efficiency'"):
        helpers.run("pump_eficiency", pump_run)


def test_mistakes_name_what_there_is(helpers):
    with pytest.raises(ConsoleError, match=r"no recording 'pump'.*Did you mean 'pump_run'\?.*\(there: pump_run\)"):
        helpers.recording("pump")
    with pytest.raises(ConsoleError, match=r"Did you mean 'signal\.bandpass'"):
        helpers.component("signal.bandpas")
    nothing_open = ConsoleHelpers(None)
    with pytest.raises(ConsoleError, match="No project is open"):
        nothing_open.recording("pump_run")
    assert nothing_open.component("signal.bandpass").type_name == "signal.bandpass"
    assert len(nothing_open.recording(example_project() / "data" / "pump_run.csv")) == 40_000


def test_a_bad_recording_is_named_with_its_line(helpers, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,flow\n2026-11-25T08:00:00Z,1\n2026-11-25T08:00:01Z,abc\n")
    with pytest.raises(ValueError, match=r"bad.csv, line 3, column 'flow': 'abc' is not a number"):
        helpers.recording(bad)


def test_component_is_the_class_with_its_documentation(helpers, tmp_path):
    cls = helpers.component("signal.bandpass")
    assert cls.type_name == "signal.bandpass" and "Butterworth" in cls.__doc__
    assert {p.name for p in cls.params} >= {"low", "high"}
    # The project's own components are there too.
    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    shutil.copy(copy / "graphs" / "vibration_alarm.json", copy / "components" / "vibration_check.json")
    project_helpers = ConsoleHelpers(copy)
    assert "project.vibration_check" in project_helpers.project.components
    assert project_helpers.component("project.vibration_check").category == "project"


def test_preload_puts_the_helpers_in_the_namespace(monkeypatch):
    class Shell:
        def push(self, names):
            self.names = names

    monkeypatch.setenv("MILLWRIGHT_PROJECT", str(example_project()))
    shell = Shell()
    preload(shell)
    assert {"project", "recording", "run", "component", "try_component", "plot", "np", "pd"} <= set(shell.names)
    assert shell.names["project"].root == example_project().resolve()
    monkeypatch.setenv("MILLWRIGHT_PROJECT", "")
    preload(shell)
    assert shell.names["project"] is None


def test_plot_is_svg_with_a_line_per_series_and_no_lost_spikes(pump_run):
    picture = plot(pump_run, ["flow", "speed"], title="Pump <run>")
    root = ET.fromstring(picture._repr_svg_())  # well-formed, the title escaped
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 2
    points = [len(line.get("points").split()) for line in lines]
    assert all(count <= 2 * WIDTH for count in points)  # 40,000 samples reduced to the pixels' extremes
    spiky = pump_run[["time"]].assign(x=0.0)
    spiky.loc[12_345, "x"] = 100.0
    spike = ET.fromstring(plot(spiky)._repr_svg_()).find(f"{SVG}polyline").get("points").split()
    ys = [float(p.split(",")[1]) for p in spike]
    assert min(ys) < max(ys) - 100  # the one high sample is still drawn


def test_plot_breaks_the_line_at_gaps(tmp_path):
    frame = pd.DataFrame({"time": pd.date_range("2026-01-01", periods=6, freq="s", tz="UTC"),
                          "x": [1.0, 2.0, np.nan, np.nan, 3.0, 4.0]})
    picture = plot(frame)
    assert len(ET.fromstring(picture.svg).findall(f"{SVG}polyline")) == 2
    saved = picture.save(tmp_path / "x.svg")
    assert saved.read_text() == picture.svg
    with pytest.raises(ValueError, match="no column"):
        plot(frame, ["y"])


def test_script_components_load_only_in_a_trusted_folder(tmp_path, capsys):
    from app_packager.folder_trust import TrustedFolders

    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    assert main(["component", "new", "head_check", "--project", str(copy)]) == 0
    helpers = ConsoleHelpers(copy)
    assert "project.head_check" not in helpers.project.components
    assert "not loaded: components/head_check.py" in repr(helpers.project)
    with pytest.raises(ConsoleError, match=r"no component 'project\.head_check'"):
        helpers.component("project.head_check")
    TrustedFolders().trust(copy)
    assert helpers.component("project.head_check").type_name == "project.head_check"
    assert "not loaded" not in repr(helpers.project)


def test_recordings_of_the_project_store_read_and_run_like_files(helpers, pump_run, tmp_path):
    from device_browser.store import open_store, project_store_path

    copy = tmp_path / "pump_station"
    shutil.copytree(example_project(), copy)
    t = pump_run["time"].dt.tz_convert(None).to_numpy("datetime64[ns]").view("int64")
    with open_store(project_store_path(copy)) as store:
        recording = store.create_recording("pump test 3", operator="li.wei")
        store.append(recording, {name: (t, pump_run[name].to_numpy()) for name in pump_run.columns[1:]})
        store.annotate(recording, int(t[1000]), int(t[3000]), "rub")
    stored = ConsoleHelpers(copy)
    assert list(stored.project.recordings) == ["pump_run", "pump test 3"]
    assert "recordings: pump_run, pump test 3" in repr(stored.project)
    frame = stored.recording("pump test 3")
    assert list(frame.columns) == list(pump_run.columns)
    np.testing.assert_array_equal(frame["flow"].to_numpy(), pump_run["flow"].to_numpy())
    assert (frame["time"] == pump_run["time"]).all()
    pd.testing.assert_frame_equal(stored.run("pump_efficiency", "pump test 3"),
                                  helpers.run("pump_efficiency", pump_run))
    assert len(stored.recording("pump test 3", label="rub")) == 2000  # half-open: t[1000] <= time < t[3000]
    assert len(stored.recording("pump_run", "2026-11-25T08:00:01Z", "2026-11-25T08:00:02Z")) == 2000
    with pytest.raises(ConsoleError, match="a file has no annotations"):
        stored.recording("pump_run", label="rub")
    with pytest.raises(ConsoleError, match=r"Did you mean 'pump test 3'\?"):
        stored.recording("pump test 4")


def test_try_component_runs_one_component_on_a_recording(helpers, pump_run):
    params = {"low": 10.0, "high": 800.0, "order": 4, "sample_rate": 2000.0}
    tried = helpers.try_component("signal.bandpass", "pump_run", {"x": "acc"}, params)
    assert list(tried.columns) == ["time", "x (input)", "y"]
    np.testing.assert_array_equal(tried["x (input)"].to_numpy(), pump_run["acc"].to_numpy())
    # 1 Hz drift under a 100 Hz tone: the band-pass keeps the tone (RMS 0.5/√2) and drops the drift.
    seconds = np.arange(8000) / 2000.0
    frame = pd.DataFrame({"time": pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"),
                          "x": np.sin(2 * np.pi * seconds) + 0.5 * np.sin(2 * np.pi * 100 * seconds)})
    y = helpers.try_component("signal.bandpass", frame, params=params)["y"].to_numpy()[2000:]
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)
    with pytest.raises(ConsoleError, match=r"has no input 'acc' \(its inputs: x\)"):
        helpers.try_component("signal.bandpass", pump_run, {"acc": "acc"}, params)
    with pytest.raises(ConsoleError, match=r"None of the inputs of signal\.bandpass \(x\)"):
        helpers.try_component("signal.bandpass", pump_run, params=params)
