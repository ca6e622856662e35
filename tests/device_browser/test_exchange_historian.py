"""Historian CSV imports: bad rows reported by line, thresholds, layouts, encodings, time zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from device_browser.exchange import CsvMapping, ExchangeError, read_file
from nodes.chunk import BAD, GOOD, UNCERTAIN

MALFORMED = (
    "Historian export,Plant 3\n"                          # 1  preamble
    "exported by,li.wei\n"                                # 2
    "Timestamp,flow [m3/h],pressure (bar),note\n"         # 3  header
    "2026-11-25 08:00:00,12.5,4.1,ok\n"                   # 4
    "\n"                                                  # 5  blank
    "2026-11-25 08:00:01,12,5x,4.2,ok\n"                  # 6  5 fields: an unquoted decimal comma
    "2026-11-25 08:00:02,\"12,5x\",4.3,\"two\n"           # 7  a quoted cell over two lines...
    "lines\"\n"                                           # 8
    "2026-11-25 08:00:03,12.7,,ok\n"                      # 9  empty pressure: NaN, bad, not a problem
    "25/11/2026 08:00:04,12.8,4.4,ok\n"                   # 10 not ISO
    "2026-11-25 08:00:05,12.9,4.5\n"                      # 11 3 fields
    "2026-11-25 08:00:06,abc,4.6,ok\n"                    # 12
    "2026-11-25 08:00:07,13.1,4.7,ok\n")                  # 13


def test_a_malformed_historian_csv_reports_every_bad_row_by_line_and_keeps_the_good_data(tmp_path):
    path = tmp_path / "historian.csv"
    path.write_text(MALFORMED, encoding="utf-8")
    imported = read_file(path, CsvMapping(skip_lines=2, tags=("flow", "pressure"), max_bad_fraction=0.9))
    assert [str(p) for p in imported.problems] == [
        f"{path}, line 6: 5 fields where the header has 4 (a decimal comma, or a text with a comma not in quotes?): "
        "2026-11-25 08:00:01,12,5x,4.2,ok",
        f"{path}, line 7: '12,5x' in column 'flow' is not a number",
        f"{path}, line 10: '25/11/2026 08:00:04' in column 'Timestamp' is not a time "
        "(expected ISO 8601 such as 2026-11-25 08:00:00, or seconds since 1970)",
        f"{path}, line 11: 3 fields where the header has 4: 2026-11-25 08:00:05,12.9,4.5",
        f"{path}, line 12: 'abc' in column 'flow' is not a number"]
    assert imported.units == {"flow": "m^3/h", "pressure": "bar"}
    flow, pressure = imported.chunks["flow"], imported.chunks["pressure"]
    seconds = (flow.t - pd.Timestamp("2026-11-25T08:00:00Z").value) // 10**9
    np.testing.assert_array_equal(seconds, [0, 2, 3, 6, 7])  # the rows whose time is known
    np.testing.assert_array_equal(flow.v, [12.5, np.nan, 12.7, np.nan, 13.1])
    np.testing.assert_array_equal(flow.q, [GOOD, BAD, GOOD, BAD, GOOD])
    np.testing.assert_array_equal(pressure.v, [4.1, 4.3, np.nan, 4.6, 4.7])
    np.testing.assert_array_equal(pressure.q, [GOOD, GOOD, BAD, GOOD, GOOD])
    assert imported.rows == 8
    assert imported.problems.row_count() == 5


def test_too_many_bad_rows_refuse_the_file_and_list_the_first(tmp_path):
    path = tmp_path / "export.csv"
    lines = ["time;flow"] + [f"2026-11-25T08:00:{i:02d};{i},5" for i in range(50)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Told the decimal mark is '.', every '1,5' is a bad number: the separator guess was wrong, refuse.
    with pytest.raises(ExchangeError) as refused:
        read_file(path, CsvMapping(decimal="."))
    message = str(refused.value)
    assert message.startswith(f"{path}: 50 of 50 rows have problems and at most 1.0% are allowed")
    assert f"{path}, line 2: '0,5' in column 'flow' is not a number" in message
    assert "... and 30 more" in message
    assert len(refused.value.problems) == 50
    imported = read_file(path)  # the decimal comma is recognised beside ';'
    np.testing.assert_array_equal(imported.chunks["flow"].v[:3], [0.5, 1.5, 2.5])
    assert not imported.problems
    with pytest.raises(ExchangeError, match="3 of 50 rows have problems and at most 2 are allowed"):
        path.write_text("\n".join(lines[:-3] + ["2026-11-25T09:00:00;x"] * 3) + "\n", encoding="utf-8")
        read_file(path, CsvMapping(max_bad_rows=2))


def test_a_long_export_is_pivoted_with_its_quality_codes_and_units(tmp_path):
    path = tmp_path / "pi.csv"
    path.write_text("TagName,Timestamp,Value,Status,Units\n"
                    "FIC101.PV,2026-11-25T08:00:00Z,10.5,192,m3/h\n"
                    "PT102.PV,2026-11-25T08:00:00Z,4.2,192,bar\n"
                    "FIC101.PV,2026-11-25T08:00:01Z,10.7,64,m3/h\n"
                    "PT102.PV,2026-11-25T08:00:02Z,4.3,0,bar\n"
                    "FIC101.PV,2026-11-25T08:00:02Z,10.9,abc,m3/h\n"
                    ",2026-11-25T08:00:03Z,1.0,192,\n", encoding="utf-8")
    mapping = CsvMapping.from_dict({"layout": "long", "time": "Timestamp", "tag_column": "TagName",
                                    "value_column": "Value", "quality_column": "Status", "quality_codes": "opcda",
                                    "unit_column": "Units", "rename": {"FIC101.PV": "flow"}, "max_bad_fraction": 0.5})
    imported = read_file(path, mapping)
    assert imported.tags == ["flow", "PT102.PV"]
    assert imported.units == {"flow": "m^3/h", "PT102.PV": "bar"}
    np.testing.assert_array_equal(imported.chunks["flow"].q, [GOOD, UNCERTAIN, BAD])
    np.testing.assert_array_equal(imported.chunks["PT102.PV"].q, [GOOD, BAD])
    assert [str(p) for p in imported.problems] == [
        f"{path}, line 6: 'abc' in column 'Status' is not a quality (a number)",
        f"{path}, line 7: '' in column 'TagName' has no tag name"]
    wide = imported.frame(with_quality=True)
    assert list(wide.columns) == ["flow", "flow quality", "PT102.PV", "PT102.PV quality"]
    np.testing.assert_array_equal(wide["PT102.PV"].to_numpy(), [4.2, np.nan, 4.3])  # no sample at 08:00:01
    np.testing.assert_array_equal(wide["PT102.PV quality"].to_numpy(), [GOOD, BAD, BAD])


def test_a_gbk_export_with_chinese_headers_and_quality_words(tmp_path):
    path = tmp_path / "historian_gbk.csv"
    text = ("时间,流量 [m3/h],压力 (bar),流量 质量\n"
            "2026-11-25 16:00:00,12.5,4.1,正常\n"
            "2026-11-25 16:00:01,12.6,4.2,坏\n"
            "2026-11-25 16:00:02,12.7,4.3,不确定\n")
    path.write_bytes(text.encode("gbk"))
    mapping = CsvMapping(timezone="Asia/Shanghai", quality_columns={"流量": "流量 质量"})  # 时间 is the time
    for encoding in ("auto", "gbk"):
        imported = read_file(path, CsvMapping(**{**mapping.__dict__, "encoding": encoding}))
        assert imported.units == {"流量": "m^3/h", "压力": "bar"}
        np.testing.assert_array_equal(imported.chunks["流量"].q, [GOOD, BAD, UNCERTAIN])
        assert imported.chunks["流量"].t[0] == pd.Timestamp("2026-11-25T08:00:00Z").value  # 16:00 in Shanghai
        assert not imported.problems
    assert any("read as GB18030/GBK" in note for note in read_file(path, mapping).notes)
    with pytest.raises(ExchangeError, match=r"historian_gbk.csv, line 1: byte 0xbc is not utf-8 text"):
        read_file(path, CsvMapping(encoding="utf-8"))
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))
    assert read_file(utf16, mapping).tags == ["流量", "压力"]


def test_time_zones_and_the_hours_daylight_saving_makes_ambiguous(tmp_path):
    path = tmp_path / "berlin.csv"
    path.write_text("Zeit;Durchfluss [m3/h]\n"
                    "25.10.2026 01:30:00,0;1\n"
                    "25.10.2026 02:30:00,0;2\n"       # summer time (first pass)
                    "25.10.2026 02:30:00,0;3\n"       # winter time (second pass)
                    "29.03.2026 02:30:00,0;4\n", encoding="utf-8")  # skipped by the spring change
    mapping = dict(time_format="%d.%m.%Y %H:%M:%S,%f", timezone="Europe/Berlin", max_bad_fraction=1.0)
    reported = read_file(path, CsvMapping(**mapping))
    assert [str(p) for p in reported.problems] == [
        f"{path}, line 3: '25.10.2026 02:30:00,0' in column 'Zeit' happened twice in Europe/Berlin (the clocks went "
        "back at the end of summer time); set 'ambiguous' to earliest, latest or infer, or export times with their "
        "offset",
        f"{path}, line 4: '25.10.2026 02:30:00,0' in column 'Zeit' happened twice in Europe/Berlin (the clocks went "
        "back at the end of summer time); set 'ambiguous' to earliest, latest or infer, or export times with their "
        "offset",
        f"{path}, line 5: '29.03.2026 02:30:00,0' in column 'Zeit' does not exist in Europe/Berlin (the clocks went "
        "forward over it)"]
    assert reported.chunks["Durchfluss"].v.tolist() == [1.0]
    inferred = read_file(path, CsvMapping(**mapping, ambiguous="infer"))
    utc = pd.to_datetime(inferred.chunks["Durchfluss"].t, utc=True).strftime("%H:%M").tolist()
    assert utc == ["23:30", "00:30", "01:30"]  # 01:30 CEST, 02:30 CEST, 02:30 CET
    latest = read_file(path, CsvMapping(**mapping, ambiguous="latest"))
    assert pd.to_datetime(latest.chunks["Durchfluss"].t, utc=True).strftime("%H:%M").tolist() == [
        "23:30", "01:30", "01:30"]


def test_epoch_times_offsets_and_zones_in_headers(tmp_path):
    epoch = tmp_path / "epoch.csv"
    epoch.write_text("ts,x\n1764057600000,1\n1764057600500,2\n", encoding="utf-8")
    t = read_file(epoch, CsvMapping(time_format="epoch_ms")).chunks["x"].t
    np.testing.assert_array_equal(t, [1764057600 * 10**9, 1764057600 * 10**9 + 500_000_000])
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("time [Asia/Shanghai],x\n2026-11-25T16:00:00,1\n2026-11-25T08:00:01Z,2\n"
                     "2026-11-25T10:00:02+02:00,3\n", encoding="utf-8")
    imported = read_file(mixed)
    seconds = (imported.chunks["x"].t - pd.Timestamp("2026-11-25T08:00:00Z").value) / 1e9
    np.testing.assert_array_equal(seconds, [0, 1, 2])  # the header's zone only for times without their own


def test_mappings_are_checked_by_key(tmp_path):
    with pytest.raises(ExchangeError, match=r"unknown key\(s\) timezon \(did you mean timezone\?\)"):
        CsvMapping.from_dict({"timezon": "UTC"}, "site.yaml")
    with pytest.raises(ExchangeError, match=r"site\.yaml: 'timezone' 'Mars/Olympus' is not a time zone"):
        CsvMapping.from_dict({"timezone": "Mars/Olympus"}, "site.yaml")
    with pytest.raises(ExchangeError, match="'decimal' is ',' and so is the delimiter"):
        CsvMapping(delimiter=",", decimal=",")
    spec = tmp_path / "mapping.yaml"
    spec.write_text("layout: long\ntags: [a, b]\nunits: {a: m3/h}\n", encoding="utf-8")
    assert CsvMapping.load(spec).tags == ("a", "b")
    spec.write_text("layout: [long\n", encoding="utf-8")
    with pytest.raises(ExchangeError, match=r"mapping.yaml, line 2: not a readable mapping"):
        CsvMapping.load(spec)
    path = tmp_path / "x.csv"
    path.write_text("time,a\n2026-11-25T08:00:00Z,1\n", encoding="utf-8")
    with pytest.raises(ExchangeError, match="there is no column 'flow' \\(named by 'tags'\\); columns: time, a"):
        read_file(path, CsvMapping(tags=("flow",)))


def test_bad_lines_of_a_file_read_in_parallel_blocks_keep_their_line_numbers(tmp_path):
    rows = 300_000  # ~9 MB: the parser splits it into blocks on both cores and reports out of order
    times = pd.date_range("2026-11-25 08:00", periods=rows, freq="1s").strftime("%Y-%m-%dT%H:%M:%S")
    lines = [f"{t},{i}.5" for i, t in enumerate(times)]
    broken = [7, 140_001, 260_123, 299_998]  # indices into ``lines``; the file's line is index + 2
    for i in broken:
        lines[i] += ",extra"
    lines[200_000] = lines[200_000].replace(".5", ".5x")
    path = tmp_path / "big.csv"
    path.write_text("time,flow\n" + "\n".join(lines) + "\n", encoding="utf-8")
    imported = read_file(path)
    assert [p.line for p in imported.problems] == [9, 140_003, 200_002, 260_125, 300_000]
    assert len(imported.chunks["flow"]) == rows - len(broken)
    assert np.isnan(imported.chunks["flow"].v[200_000 - 2])  # two broken lines above it were left out
