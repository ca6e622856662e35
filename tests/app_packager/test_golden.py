"""Golden tests: the example app's recorded input against its expected outputs, and what a failure reports."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from app_packager.golden import Cancelled, iso_time, run_golden_test
from app_packager.manifest import Tolerance, load_manifest
from nodes.engine import compile_graph
from nodes.graph import load_graph
from nodes.resources import example_project

EXAMPLE = example_project()
MANIFEST = load_manifest(EXAMPLE / "apps" / "pump_efficiency" / "app.yaml")
NOMINAL = MANIFEST.tests[0]
START = np.datetime64("2026-11-25T08:00:00", "ns").astype(np.int64)  # the first row of the test data


@pytest.fixture(scope="module")
def compiled():
    return compile_graph(load_graph(EXAMPLE / MANIFEST.graph))


@pytest.fixture
def folder(tmp_path):
    """A copy of the example app's test data, to be edited; the test's paths resolve in it."""
    tests = tmp_path / "apps" / "pump_efficiency" / "tests"
    shutil.copytree(EXAMPLE / "apps" / "pump_efficiency" / "tests", tests)
    return tmp_path


def edit_cell(folder, row: int, column: str, text: str) -> None:
    """Write ``text`` into the expected file's cell at data row ``row`` (from 0)."""
    path = folder / NOMINAL.expected
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row + 1].split(",")
    cells[header.index(column)] = text
    lines[row + 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


def expected_cell(folder, row: int, column: str) -> float:
    lines = (folder / NOMINAL.expected).read_text().splitlines()
    return float(lines[row + 1].split(",")[lines[0].split(",").index(column)])


def test_the_example_app_passes_its_golden_test(compiled):
    report = run_golden_test(NOMINAL, compiled, EXAMPLE)
    assert report.passed, report.describe()
    assert report.checked == ("efficiency", "energy", "hydraulic_power", "shaft_power", "specific_energy", "volume")
    assert report.rows == 4000
    assert report.describe() == "golden test 'nominal' passed: 6 output(s), 4,000 rows"


def test_a_value_out_of_tolerance_names_the_output_the_time_and_the_difference(compiled, folder):
    original = expected_cell(folder, 100, "efficiency")  # 50 ms in: the data is sampled every 0.5 ms
    edit_cell(folder, 100, "efficiency", f"{original + 0.25:.10g}")
    edit_cell(folder, 3000, "volume", "")  # no value where the run has one
    report = run_golden_test(NOMINAL, compiled, folder)
    assert not report.passed and not report.problems
    efficiency, volume = report.failures
    assert (efficiency.output, efficiency.failed, efficiency.samples) == ("efficiency", 1, 4000)
    assert efficiency.time_ns == START + 50_000_000
    assert efficiency.expected == pytest.approx(original + 0.25) and efficiency.actual == pytest.approx(original)
    assert efficiency.difference == pytest.approx(-0.25)
    assert (volume.output, volume.failed, volume.time_ns) == ("volume", 1, START + 1_500_000_000)
    assert np.isnan(volume.expected) and np.isnan(volume.difference)
    text = report.describe()
    assert text.startswith("golden test 'nominal' FAILED:")
    assert ("output 'efficiency' at 2026-11-25T08:00:00.050000Z (0.05 s into the test): expected "
            f"{original + 0.25:.10g}, got {original:.10g}, difference -0.25") in text
    assert "1 of 4,000 samples out of tolerance" in text
    assert "output 'volume' at 2026-11-25T08:00:01.500000Z (1.5 s into the test): expected no value (bad quality)" \
           in text


def test_a_tolerance_for_one_output_overrides_the_tests(compiled, folder):
    original = expected_cell(folder, 100, "efficiency")
    edit_cell(folder, 100, "efficiency", f"{original + 0.25:.10g}")
    loose = replace(NOMINAL, outputs={"efficiency": Tolerance(absolute=0.3, relative=0.0)})
    assert run_golden_test(loose, compiled, folder).passed
    tight = replace(NOMINAL, tolerance=Tolerance(absolute=1.0), outputs={"efficiency": Tolerance(absolute=0.2)})
    assert [f.output for f in run_golden_test(tight, compiled, folder).failures] == ["efficiency"]


def test_an_expected_file_may_check_some_outputs_only(compiled, folder):
    path = folder / NOMINAL.expected
    lines = [",".join(line.split(",")[:3:2]) for line in path.read_text().splitlines()]  # time, energy
    path.write_text("\n".join(lines) + "\n")
    report = run_golden_test(NOMINAL, compiled, folder)
    assert report.passed and report.checked == ("energy",)


def test_a_column_the_graph_does_not_write_and_a_missing_row_are_failures(compiled, folder):
    path = folder / NOMINAL.expected
    lines = path.read_text().splitlines()
    lines = [lines[0] + ",head"] + [line + ",1" for line in lines[1:-1]]  # the last row left out
    path.write_text("\n".join(lines) + "\n")
    report = run_golden_test(replace(NOMINAL, outputs={"flow": Tolerance()}), compiled, folder)
    assert not report.passed and not report.failures
    assert report.problems == (
        f"{NOMINAL.expected}: column 'head' is not an output of the graph (its outputs: efficiency, energy, "
        "hydraulic_power, shaft_power, specific_energy, volume)",
        f"tests.nominal.outputs.flow: a tolerance for 'flow', but {NOMINAL.expected} has no such column",
        f"{NOMINAL.expected} has 3,999 rows, the run gave 4,000")


def test_a_bad_input_recording_is_a_failure_naming_its_line(compiled, folder):
    path = folder / NOMINAL.input
    lines = path.read_text().splitlines()
    lines[7] = lines[7].replace(",4.", ",four.")
    path.write_text("\n".join(lines) + "\n")
    report = run_golden_test(NOMINAL, compiled, folder)
    assert len(report.problems) == 1
    assert "nominal_input.csv, line 8, column 'discharge_pressure'" in report.problems[0]


def test_a_golden_test_can_be_cancelled(compiled, folder):
    with pytest.raises(Cancelled):
        run_golden_test(NOMINAL, compiled, folder, cancelled=lambda: True)


def test_times_are_shown_as_recordings_write_them():
    assert iso_time(START + 1_500) == "2026-11-25T08:00:00.000001Z"


def test_parquet_input_and_expected_files(compiled, folder):
    for role in ("input", "expected"):
        csv = folder / getattr(NOMINAL, role)
        frame = pd.read_csv(csv)
        frame.iloc[:, 0] = pd.to_datetime(frame.iloc[:, 0], utc=True)
        frame.to_parquet(csv.with_suffix(".parquet"), index=False)
    test = replace(NOMINAL, input=NOMINAL.input.replace(".csv", ".parquet"),
                   expected=NOMINAL.expected.replace(".csv", ".parquet"))
    report = run_golden_test(test, compiled, folder)
    assert report.passed, report.describe()
    assert report.rows == 4000 and len(report.checked) == 6
