"""Exchange round trips: CSV, Parquet and Excel with units in the headers, ranges, atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from device_browser.exchange import CsvMapping, ExchangeError, export, read_file, split_header
from device_browser.recordings import open_source
from nodes.atomic_file import TEMP_PREFIX
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk

START = pd.Timestamp("2026-11-25T08:00:00Z").value
MS = 1_000_000


def _chunks(step_ns: int = 123_456_789) -> dict[str, Chunk]:
    t = START + np.arange(6, dtype=np.int64) * step_ns
    return {"flow": Chunk.of(t, [12.5, -0.0, np.nan, 1e-300, 1 / 3, 7.0], [GOOD, GOOD, BAD, UNCERTAIN, GOOD, BAD]),
            "temperature": Chunk.of(t, [20.0, 20.5, 21.0, 21.5, 22.0, 22.5])}


UNITS = {"flow": "m^3/h", "temperature": "degC"}


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_round_trip_keeps_times_values_quality_and_units(tmp_path, suffix):
    step = 250 * MS if suffix == ".xlsx" else 123_456_789  # Excel keeps times to the millisecond
    chunks = _chunks(step)
    path = tmp_path / f"site{suffix}"
    assert export(chunks, path, units=UNITS, quality=True) == 6
    back = read_file(path)
    assert back.units == UNITS
    assert back.tags == ["flow", "temperature"]
    assert not back.problems
    for name, chunk in chunks.items():
        np.testing.assert_array_equal(back.chunks[name].t, chunk.t)
        np.testing.assert_array_equal(back.chunks[name].v, chunk.v)  # exact: 1/3, 1e-300, NaN
        np.testing.assert_array_equal(back.chunks[name].q, chunk.q)
    assert np.signbit(back.chunks["flow"].v[1]) == (suffix != ".xlsx")  # Excel has no negative zero


def test_headers_show_units_as_engineers_read_them_and_run_graph_reads_them(tmp_path):
    path = tmp_path / "site.csv"
    export(_chunks(), path, units=UNITS, timezone="Asia/Shanghai")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "time,flow [m³/h],temperature [°C]"
    assert lines[1].startswith("2026-11-25T16:00:00.000000000+08:00,12.5,20.0")
    assert lines[3].split(",")[1] == ""  # bad without a quality column: an empty cell
    source = open_source(path)  # the run-graph reader finds a column by its tag and knows its unit
    assert source.columns() == ["flow [m³/h]", "temperature [°C]"]
    assert source.units == UNITS
    source.check_columns(["flow", "temperature [°C]"])
    (chunks,) = source.chunks(["flow"], 100)
    np.testing.assert_array_equal(chunks["flow"].t, _chunks()["flow"].t)


def test_a_range_and_some_tags_of_a_dataframe_in_a_decimal_comma_locale(tmp_path):
    index = pd.date_range("2026-11-25 08:00", periods=10, freq="1s", name="time")  # naive: UTC
    frame = pd.DataFrame({"flow": np.arange(10) + 0.5, "speed": np.arange(10) * 100.0}, index=index)
    path = tmp_path / "range.csv"
    rows = export(frame, path, start="2026-11-25T08:00:02", end="2026-11-25T08:00:05", tags=["flow"],
                  delimiter=";", decimal=",")
    assert rows == 3
    assert path.read_text().splitlines() == ["time;flow", "2026-11-25T08:00:02Z;2,5", "2026-11-25T08:00:03Z;3,5",
                                             "2026-11-25T08:00:04Z;4,5"]
    np.testing.assert_array_equal(read_file(path).chunks["flow"].v, [2.5, 3.5, 4.5])


def test_a_refused_export_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "site.xlsx"
    export(_chunks(250 * MS), path)
    before = path.read_bytes()
    t = START + np.arange(1_048_576, dtype=np.int64) * MS
    with pytest.raises(ExchangeError, match="1,048,576 rows do not fit in an Excel sheet"):
        export({"x": Chunk.of(t, np.zeros(len(t)))}, path)
    with pytest.raises(ExchangeError, match="no tag\\(s\\) 'torque' to export"):
        export(_chunks(), path, tags=["torque"])
    with pytest.raises(ExchangeError, match=r"cannot tell the format from '\.json'"):
        export(_chunks(), tmp_path / "site.json")
    assert path.read_bytes() == before
    if os.geteuid() != 0:  # root writes anywhere
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        with pytest.raises(ExchangeError, match="cannot write into the folder"):
            export(_chunks(), folder / "x.csv")
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_units_in_headers():
    assert split_header("flow [m3/h]").unit == "m^3/h"
    assert split_header("flow (m³/h)").unit == "m^3/h"
    assert split_header("温度 [℃]").unit == "degC"
    assert split_header("speed (r/min)").unit == "rpm"
    assert split_header("acc [m/s2]").unit == "m/s^2"
    assert split_header("Pump (north)").name == "Pump (north)"  # not a unit: part of the name
    header = split_header("x [blargs/h]")
    assert header.name == "x" and header.unit == "" and "not understood" in header.problem


def test_an_unknown_unit_in_a_header_is_reported_at_the_header_line(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("time,x [blargs]\n2026-11-25T08:00:00Z,1\n", encoding="utf-8")
    imported = read_file(path)
    (problem,) = imported.problems
    assert str(problem).startswith(f"{path}, line 1, column 'x [blargs]': the unit in its header is not understood")
    assert imported.problems.row_count() == 0 and imported.units == {"x": ""}


def test_an_excel_sheet_names_bad_cells_by_the_sheet_s_row(tmp_path):
    path = tmp_path / "manual log.xlsx"
    frame = pd.DataFrame({"time [Asia/Shanghai]": pd.date_range("2026-11-25 16:00", periods=4, freq="1h"),
                          "flow [m3/h]": [1.5, "x", 3.0, None], "operator": ["li", "li", "wang", "wang"]})
    frame.to_excel(path, index=False, engine="openpyxl")
    imported = read_file(path, CsvMapping(tags=("flow",), max_bad_fraction=0.5))
    assert [str(p) for p in imported.problems] == [f"{path}, row 3: 'x' in column 'flow' is not a number"]
    flow = imported.chunks["flow"]
    assert imported.units == {"flow": "m^3/h"}
    np.testing.assert_array_equal(flow.v, [1.5, np.nan, 3.0, np.nan])
    np.testing.assert_array_equal(flow.q, [GOOD, BAD, GOOD, BAD])
    assert flow.t[0] == START  # 16:00 in Shanghai, the zone named in the time column's header
