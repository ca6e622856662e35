"""``millwright data``: list, export, import and annotate round trips on a real store; ``run-graph
--recording`` equal to run-graph on the exported CSV; and ``data record`` killed with SIGKILL at
random moments, after which the store opens and holds every sample the recorder said it committed."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from device_browser.store import TagInfo, open_store
from nodes.resources import resources_dir
from tests.postgres import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.simulator_process import SimulatorProcess
from workbench.cli import main

T0 = 1_796_000_000_000_000_000  # ns: 2026-11-30 00:53:20 UTC
TAGS = {"flow": "m^3/h", "discharge_pressure": "bar", "motor_current": "A"}
COMMITTED = re.compile(r"^committed (\d+) samples")
GRAPH = resources_dir() / "examples" / "pump_station" / "graphs" / "pump_efficiency.json"


def make_recording(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """'site run': three tags at their own rates (100, 50, 20 Hz, as a poll group each), one NaN sample."""
    rng = np.random.default_rng(3)
    t = T0 + np.arange(2000, dtype=np.int64) * 10_000_123  # not whole microseconds: exports keep the ns
    data = {"flow": (t, 120 + rng.standard_normal(2000)),
            "discharge_pressure": (t[::2].copy(), 4.6 + 0.01 * rng.standard_normal(1000)),
            "motor_current": (t[::5].copy(), 35 + rng.standard_normal(400))}
    data["flow"][1][500] = np.nan
    with open_store(path) as store:
        rec = store.create_recording("site run", operator="li.wei", devices=["pump_station"], started=T0)
        store.define_tags(rec, [TagInfo(name, unit=unit, device="pump_station", point=name) for name, unit in
                                TAGS.items()])
        store.append(rec, data)
        store.finish_recording(rec, T0 + 20 * 10**9)
    return data


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "recordings.sqlite"
    make_recording(path)
    return path


def data(*args, capsys) -> tuple[int, str, str]:
    code = main(["data", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_tags_with_units_samples_range_and_annotations(store_path, capsys):
    code, out, _ = data("annotate", "site run", "--start", "+1", "--end", "+2", "--label", "pump cavitating",
                        "--store", store_path, capsys=capsys)
    assert code == 0
    code, out, _ = data("list", "--store", store_path, capsys=capsys)
    assert code == 0
    assert "1 recording(s)" in out and "site run" in out and "by li.wei; devices pump_station" in out
    assert "flow [m^3/h], discharge_pressure [bar], motor_current [A]" in out
    assert "samples  3400," in out and "0 gap(s), 1 annotation(s)" in out
    assert "2026-11-30 00:53:20.000 UTC → 2026-11-30 00:53:39.990 UTC (20.0 s)" in out


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """'site run' in an SQLite file or in a real PostgreSQL database (by URL)."""
    location = tmp_path / "recordings.sqlite" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    make_recording(location)
    return location


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_export_then_import_gives_the_same_recording(any_store, tmp_path, capsys, suffix):
    store_path = any_store
    exported = tmp_path / f"site.{suffix}"
    code, out, err = data("export", "site run", "-o", exported, "--store", store_path, capsys=capsys)
    assert code == 0, err
    assert f"2000 rows of 'site run' written to {exported}" in out  # the union of the times
    code, out, err = data("import", exported, "--name", "copy", "--store", store_path, capsys=capsys)
    assert code == 0, err
    with open_store(store_path, read_only=True) as store:
        original = store.read(None, recording="site run", form="wide")
        copy = store.read(None, recording="copy", form="wide")
        pd.testing.assert_frame_equal(copy, original)  # exact: every time to the ns, every value
        counts = store.statistics(recording="copy")["count"].to_dict()
        assert {t.name: t.unit for t in store.tags("copy")} == TAGS  # units travel in the headers
    assert counts == {"flow": 1999, "discharge_pressure": 1000, "motor_current": 400}  # the NaN is no sample


def test_a_historian_export_is_imported_with_its_mapping_and_its_bad_lines_reported(tmp_path, capsys):
    export = tmp_path / "historian.csv"
    export.write_text("TagName;Timestamp;Value\n"
                      "FIC101.PV;2026-11-30 08:00:00;12,5\n"
                      "PT102.PV;2026-11-30 08:00:00;4,61\n"
                      "FIC101.PV;2026-11-30 08:00:01;12,x\n"  # line 4: not a number
                      "FIC101.PV;2026-11-30 08:00:02;12,7\n", encoding="utf-8")
    mapping = tmp_path / "historian.yaml"
    mapping.write_text("layout: long\ntag_column: TagName\ntime: Timestamp\nvalue_column: Value\n"
                       "rename: {FIC101.PV: flow, PT102.PV: pressure}\nunits: {flow: m^3/h, pressure: bar}\n"
                       "max_bad_fraction: 0.5\n", encoding="utf-8")
    store = tmp_path / "recordings.sqlite"
    code, out, err = data("import", export, "--mapping", mapping, "--tz", "Asia/Shanghai", "--name", "historian",
                          "--store", store, capsys=capsys)
    assert code == 0, err
    assert "line 4" in err and "'12,x'" in err  # reported by line, not dropped silently
    assert "imported 3 samples of 2 tag(s)" in out and "1 bad cell(s) or line(s) left out" in out
    with open_store(store, read_only=True) as opened:
        frame = opened.read(["flow"], recording="historian")
        assert {t.name: t.unit for t in opened.tags("historian")} == {"flow": "m^3/h", "pressure": "bar"}
    assert frame.value.tolist() == [12.5, 12.7]
    assert frame.time.iloc[0] == pd.Timestamp("2026-11-30T00:00:00Z")  # 08:00 in Shanghai


def test_excel_export_of_a_range(store_path, tmp_path, capsys):
    exported = tmp_path / "range.xlsx"
    code, _, err = data("export", "site run", "-o", exported, "--start", "+1", "--end", "+2", "--tags",
                          "flow,motor_current", "--store", store_path, capsys=capsys)
    assert code == 0, err
    sheet = pd.read_excel(exported)
    assert list(sheet.columns) == ["time [UTC]", "flow [m³/h]", "motor_current [A]"]
    with open_store(store_path, read_only=True) as store:
        expected = store.read(["flow", "motor_current"], T0 + 10**9, T0 + 2 * 10**9, recording="site run",
                              form="wide")
    assert len(sheet) == len(expected) == 100
    np.testing.assert_allclose(sheet["flow [m³/h]"], expected["flow"], equal_nan=True)
    late = (sheet["time [UTC]"] - expected.index.tz_convert(None)).abs().max()
    assert late < pd.Timedelta("1ms")  # Excel keeps times to the millisecond


def test_annotations_are_added_listed_used_and_removed(store_path, tmp_path, capsys):
    code, out, _ = data("annotate", "site run", "--start", "2026-11-30T00:53:25Z", "--end", "+7.5", "--label",
                        "bearing fault injected", "--note", "shim under the foot", "--author", "li.wei",
                        "--store", store_path, capsys=capsys)
    assert code == 0 and "annotation 1 'bearing fault injected'" in out
    code, out, _ = data("annotations", "site run", "--store", store_path, capsys=capsys)
    assert "2026-11-30 00:53:25.000 UTC → 2026-11-30 00:53:27.500 UTC  bearing fault injected — shim under " \
           "the foot (li.wei)" in out and "1 annotation(s)" in out
    labelled = tmp_path / "fault.csv"
    code, out, _ = data("export", "site run", "-o", labelled, "--label", "bearing fault injected",
                        "--store", store_path, capsys=capsys)
    times = pd.to_datetime(pd.read_csv(labelled)["time"], utc=True)
    assert code == 0 and times.min() >= pd.Timestamp("2026-11-30T00:53:25Z")
    assert times.max() < pd.Timestamp("2026-11-30T00:53:27.5Z") and len(times) == 250
    code, out, _ = data("annotations", "site run", "--remove", "1", "--store", store_path, capsys=capsys)
    assert code == 0 and "removed annotation 1" in out
    code, out, _ = data("annotations", "site run", "--store", store_path, capsys=capsys)
    assert "0 annotation(s)" in out


def test_mistakes_are_one_clear_line(store_path, tmp_path, capsys, monkeypatch):
    code, _, err = data("export", "no such run", "-o", tmp_path / "x.csv", "--store", store_path, capsys=capsys)
    assert code == 1 and "there is no recording 'no such run' (recordings: site run)" in err
    code, _, err = data("export", "site run", "-o", tmp_path / "x.dat", "--store", store_path, capsys=capsys)
    assert code == 1 and "cannot tell the format from '.dat'" in err
    code, _, err = data("export", "site run", "-o", tmp_path / "x.csv", "--format", "parquet", "--store", store_path,
                        capsys=capsys)
    assert code == 2 and "--format parquet needs a file named *.parquet" in err
    code, _, err = data("annotate", "site run", "--start", "yesterday-ish", "--end", "+1", "--label", "x",
                        "--store", store_path, capsys=capsys)
    assert code == 1 and "--start: 'yesterday-ish' is not a date-time" in err
    monkeypatch.chdir(tmp_path)  # not a project folder
    code, _, err = data("list", capsys=capsys)
    assert code == 2 and "no store: give --store PATH|URL, or --project DIR" in err
    assert not (tmp_path / "x.csv").exists()


def test_run_graph_on_a_stored_recording_equals_run_graph_on_its_exported_csv(store_path, tmp_path, capsys):
    exported = tmp_path / "site.csv"
    assert data("export", "site run", "-o", exported, "--store", store_path, capsys=capsys)[0] == 0
    stored, from_file = tmp_path / "stored.csv", tmp_path / "file.csv"
    code = main(["run-graph", str(GRAPH), "--recording", "site run", "--store", str(store_path), "-o", str(stored),
                 "--chunk", "700"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "2000 rows of 'site run'" in out
    assert main(["run-graph", str(GRAPH), "--input", str(exported), "-o", str(from_file), "-q"]) == 0
    capsys.readouterr()
    assert stored.read_bytes() == from_file.read_bytes()
    result = pd.read_csv(stored)
    assert len(result) == 2000 and result["efficiency"].notna().sum() > 100
    held = tmp_path / "held.csv"  # on a 100 ms time base, each tag's last value held: every input has a value
    assert main(["run-graph", str(GRAPH), "--recording", "site run", "--store", str(store_path), "-o", str(held),
                 "--align", "hold", "--period", "100ms"]) == 0
    capsys.readouterr()
    steps = pd.to_datetime(pd.read_csv(held)["time"]).diff().dropna()
    assert (steps == pd.Timedelta("100ms")).all() and len(steps) >= 199
    assert pd.read_csv(held)["efficiency"].notna().mean() > 0.9
    code = main(["run-graph", str(GRAPH), "--recording", "site run", "--input", str(exported), "--store",
                 str(store_path), "-o", str(tmp_path / "both.csv")])
    assert code == 2 and "not both" in capsys.readouterr().err


def _file_size_limit(limit: int):
    """For a child process: writes past ``limit`` bytes fail with EFBIG, as on a full disk (no root needed)."""

    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the kernel kills the writer
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_data_record_stops_cleanly_when_the_disk_is_full(tmp_path, free_tcp_port):
    sim = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    sim.start()
    store_file = tmp_path / "recordings.sqlite"
    open_store(store_file).close()  # the schema, before the limit
    try:
        result = subprocess.run(
            [sys.executable, "-m", "workbench", "data", "record", str(sim.profile()), "--duration", "120",
             "--store", str(store_file), "--name", "full", "--interval", "50"],
            capture_output=True, text=True, timeout=180, check=False, preexec_fn=_file_size_limit(
                store_file.stat().st_size + 24_000), env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        sim.stop()
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"millwright: {store_file.resolve()}: could not commit samples" in result.stderr
    assert "recording stopped, what was committed before is kept" in result.stderr
    printed = [int(m.group(1)) for line in result.stdout.splitlines() if (m := COMMITTED.match(line))]
    assert printed and f"{printed[-1]} samples of 'full' were committed before it stopped" in result.stderr
    with open_store(store_file) as store:
        assert len(store.read(None, recording="full")) == printed[-1]  # exactly what it said was committed


# -- kill -9 while recording ------------------------------------------------------------------------

KILLS = 20  # in pairs: two recorders at once into one store (one kill each at its own moment)


class KilledRecorder:
    """``millwright data record`` into the project's store, killed with SIGKILL at a random moment.

    ``early`` ones die at any moment from their start (imports, creating or opening the store,
    connecting, the first commit); the others at a random moment after their first commit.
    """

    def __init__(self, profile: Path, project: Path, name: str, early: bool, delay: float):
        self.name, self.early, self.delay = name, early, delay
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workbench", "data", "record", str(profile), "--duration", "60",
             "--project", str(project), "--name", name, "--interval", "100"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.lines: list[str] = []
        self.started = time.monotonic()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.kill_at: float | None = self.started + delay if early else None

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)
            if self.kill_at is None and COMMITTED.match(line):
                self.kill_at = time.monotonic() + self.delay

    def due(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} ended by itself:\n{''.join(self.lines)}")
        if time.monotonic() - self.started > 60:
            raise AssertionError(f"{self.name} never committed:\n{''.join(self.lines)}")
        return self.kill_at is not None and time.monotonic() >= self.kill_at

    def kill(self) -> list[int]:
        """SIGKILL; the committed counts it printed before dying."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self.reader.join(10)
        self.process.stdout.close()
        assert self.process.returncode == -signal.SIGKILL, "".join(self.lines)
        return [int(m.group(1)) for line in self.lines if (m := COMMITTED.match(line))]


@pytest.mark.slow
def test_recorders_killed_at_random_moments_leave_a_store_that_opens_with_every_committed_sample(
        tmp_path, free_tcp_port):
    sim = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    sim.start()
    project = tmp_path / "site"
    project.mkdir()
    (project / "project.json").write_text('{"name": "site", "schema_version": 1}\n', encoding="utf-8")
    store_file = project / "data" / "recordings.sqlite"
    profile = sim.profile()
    rng = random.Random(21)
    checked = 0
    try:
        for i in range(0, KILLS, 2):
            pair = [KilledRecorder(profile, project, f"run {i}", True, rng.uniform(0.0, 3.0)),
                    KilledRecorder(profile, project, f"run {i + 1}", False, rng.uniform(0.0, 1.5))]
            printed = {}
            while len(printed) < 2:
                for recorder in pair:
                    if recorder.name not in printed and recorder.due():
                        printed[recorder.name] = recorder.kill()
                time.sleep(0.01)
            if not store_file.exists():
                assert not any(printed.values())
                continue
            with sqlite3.connect(store_file) as raw:  # SQLite's own check of the file after the kills
                assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            with open_store(store_file) as store:  # opens for writing, as the next recorder does
                names = {r.name for r in store.recordings()}
                for name, counts in printed.items():
                    if not counts:
                        continue
                    checked += 1
                    assert name in names
                    frame = store.read(None, recording=name)
                    assert len(frame) >= counts[-1], f"{name}: {len(frame)} stored, {counts[-1]} said committed"
                    assert not frame.duplicated(["tag", "time"]).any()
    finally:
        for recorder in locals().get("pair", []):
            if recorder.process.poll() is None:
                recorder.process.kill()
        sim.stop()
    assert checked >= KILLS // 2  # every late kill came after a commit: the check above ran for each
