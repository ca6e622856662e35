"""Trend data without Qt: gaps, uncertain stretches, cursor values, time windows and the CSV export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from device_browser.recordings import RecordingError, open_source
from device_browser.trend import NS, TrendSeries, column_names, export_csv, lines, range_of, value_at, window
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk

T0 = 1_700_000_000 * NS


def chunk(values, quality=None, step_ns=NS) -> Chunk:
    return Chunk.of(T0 + np.arange(len(values)) * step_ns, values, quality)


def test_bad_samples_and_nan_are_gaps_in_the_solid_line():
    drawn = lines(chunk([1.0, 2.0, 3.0, np.nan, 5.0], [GOOD, GOOD, BAD, GOOD, GOOD]))
    assert drawn.x[1] - drawn.x[0] == pytest.approx(1.0)
    np.testing.assert_array_equal(drawn.solid, [1.0, 2.0, np.nan, np.nan, 5.0])
    assert drawn.dashed is None  # nothing uncertain: no second line at all


def test_uncertain_runs_are_dashed_and_meet_their_good_neighbours():
    drawn = lines(chunk([1, 2, 3, 4, 5, 6, 7], [GOOD, GOOD, UNCERTAIN, UNCERTAIN, GOOD, BAD, UNCERTAIN]))
    np.testing.assert_array_equal(drawn.solid, [1, 2, np.nan, np.nan, 5, np.nan, np.nan])
    # 2 and 5 join the dashed stretch; the bad sample stays a gap in both lines.
    np.testing.assert_array_equal(drawn.dashed, [np.nan, 2, 3, 4, 5, np.nan, 7])


def test_the_cursor_reads_the_value_in_force_not_an_interpolation():
    data = chunk([10.0, 20.0, 30.0], [GOOD, UNCERTAIN, GOOD])
    assert value_at(data, T0 - 1) is None
    assert value_at(data, T0) == (10.0, GOOD)
    assert value_at(data, T0 + NS + NS // 2) == (20.0, UNCERTAIN)
    assert value_at(data, T0 + 100 * NS) == (30.0, GOOD)


def test_window_and_range():
    data = chunk(np.arange(10.0))
    assert list(window(data, T0 + 2 * NS, T0 + 4 * NS).v) == [2.0, 3.0, 4.0]
    assert range_of({"a": data, "b": Chunk.empty()}) == (T0, T0 + 9 * NS)
    assert range_of({"b": Chunk.empty()}) is None


def test_column_names_carry_the_unit_and_stay_unique():
    series = [TrendSeries("a", "Speed", "rpm"), TrendSeries("b", "Speed", "rpm"), TrendSeries("c", "Count")]
    assert column_names(series) == ["Speed [rpm]", "Speed [rpm] (2)", "Count"]
    assert TrendSeries("t", "T", "°C").axis_unit == TrendSeries("u", "U", "degC").axis_unit


def test_export_writes_the_visible_samples_as_a_wide_recording(tmp_path):
    speed = TrendSeries("plc1/speed", "Speed", "rpm")
    temperature = TrendSeries("plc1/temp", "Temperature", "°C")
    data = {speed: chunk(np.arange(100.0), [BAD if i == 50 else GOOD for i in range(100)]),
            temperature: chunk(np.linspace(20, 30, 50), step_ns=2 * NS)}
    path = tmp_path / "trend.csv"
    rows = export_csv(path, data, T0 + 10 * NS, T0 + 59 * NS)
    frame = pd.read_csv(path)
    assert rows == len(frame) == 50
    assert list(frame.columns) == ["time", "Speed [rpm]", "Temperature [°C]"]
    assert frame["time"][0] == "2023-11-14T22:13:30.000000Z"
    assert frame["Speed [rpm]"].count() == 49  # the bad sample is an empty cell
    assert frame["Speed [rpm]"].dropna().tolist() == [float(i) for i in range(10, 60) if i != 50]
    assert frame["Temperature [°C]"].count() == 25  # every other second
    assert frame["Temperature [°C]"].dropna().tolist() == pytest.approx(np.linspace(20, 30, 50)[5:30].tolist())
    source = open_source(path)  # the canvas can replay it as a recording
    assert source.columns() == ["Speed [rpm]", "Temperature [°C]"]
    assert [p.name for p in tmp_path.iterdir()] == ["trend.csv"]  # no temporary file left


def test_export_to_a_missing_folder_names_the_users_file(tmp_path):
    target = tmp_path / "no" / "trend.csv"
    with pytest.raises(RecordingError, match=r"trend\.csv"):
        export_csv(target, {TrendSeries("a", "A"): chunk([1.0])})
