"""Recordings as sources and sinks: places named as the user finds them, outputs refused early and honestly."""

from __future__ import annotations

import pandas as pd
import pytest

from device_browser.recordings import RecordingError, RecordingSink, check_output, open_source
from nodes.atomic_file import TEMP_PREFIX
from nodes.chunk import Chunk


def _csv(tmp_path, text, name="in.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def _read_all(source, columns, rows=2):
    return list(source.chunks(columns, rows))


def test_a_bad_number_after_blank_lines_names_the_line_an_editor_shows(tmp_path):
    source = open_source(_csv(tmp_path, "time,a\r\n1,1\r\n\r\n\r\n2,2\r\n3,x\r\n"))
    with pytest.raises(RecordingError, match=r"in\.csv, line 6, column 'a': 'x' is not a number"):
        _read_all(source, ["a"])


@pytest.mark.parametrize(("rows", "line"), [(1, 40_001), (7, 40_001), (100_000, 40_001)])
def test_a_row_with_an_extra_field_names_its_line_whatever_the_chunk(tmp_path, rows, line):
    text = "time,a\n" + "".join(f"{i},{i}\n" for i in range(1, 40_000)) + "40000,1,5\n41000,1\n"
    source = open_source(_csv(tmp_path, text))
    with pytest.raises(RecordingError) as caught:
        _read_all(source, ["a"], rows)
    assert str(caught.value) == (f"{tmp_path / 'in.csv'}, line {line}: 3 fields where the header has 2 (time, a); "
                                 "is a decimal comma used, or a text with a comma not in quotes?: 40000,1,5")


@pytest.mark.parametrize("lines", [3, 30_000])
def test_text_that_is_not_utf8_names_its_line_and_character(tmp_path, lines):
    """Near the top pandas meets it reading the header; far down, pyarrow meets it while reading rows."""
    rows = b"".join(f"{i},{i}\n".encode() for i in range(1, lines - 1))
    path = tmp_path / "in.csv"
    path.write_bytes(b"time,a\n" + rows + "3,°C\n".encode("gb18030"))
    with pytest.raises(RecordingError) as caught:
        _read_all(open_source(path), ["a"], rows=1000)
    assert str(caught.value) == (f"{path}, line {lines}, character 3: byte 0xa1 is not UTF-8 text; "
                                 "save the file as UTF-8 (in Excel: CSV UTF-8)")


def test_a_parquet_problem_names_its_row(tmp_path):
    path = tmp_path / "in.parquet"
    pd.DataFrame({"time": [1.0, 2.0, 3.0], "a": ["1", "2", "x"]}).to_parquet(path)
    with pytest.raises(RecordingError, match=r"in\.parquet, row 3, column 'a': 'x' is not a number"):
        _read_all(open_source(path), ["a"])


@pytest.mark.parametrize(("text", "rows"), [("time,a\n1,1\n2,2", 2), ("time,a\n1,1\n2,2\n", 2), ("time,a", 0),
                                             ("", 0)])
def test_rows_are_counted_with_or_without_a_final_newline(tmp_path, text, rows):
    path = _csv(tmp_path, text)
    if not text:
        with pytest.raises(RecordingError, match="not a readable CSV file"):
            open_source(path)
        return
    assert open_source(path).count_rows() == rows


@pytest.mark.parametrize("text", ["time,a\n", "time,a", "time,a\r\n\r\n  \n"])
def test_a_header_without_rows_is_refused(tmp_path, text):
    with pytest.raises(RecordingError, match=r"the recording has a header \(time, a\) but no rows"):
        open_source(_csv(tmp_path, text)).check_rows()
    open_source(_csv(tmp_path, text + "\n1,1\n")).check_rows()


# ------------------------------------------------------------------------------------ outputs


def test_check_output_accepts_a_new_or_existing_file(tmp_path):
    check_output(tmp_path / "new.csv")
    (tmp_path / "old.csv").write_text("x")
    check_output(tmp_path / "old.csv", input_path=tmp_path / "in.csv")


@pytest.mark.parametrize(("make", "message"), [
    (lambda tmp: (tmp / "dir").mkdir() or tmp / "dir", "{out}: this is a folder; give a file name for the output"),
    (lambda tmp: tmp / "missing" / "o.csv", "{out}: the folder {folder} does not exist"),
    (lambda tmp: (tmp / "f").write_text("") or tmp / "f" / "o.csv", "{out}: {folder} is a file, not a folder"),
])
def test_check_output_refuses_what_cannot_be_written(tmp_path, make, message):
    out = make(tmp_path)
    with pytest.raises(RecordingError) as caught:
        check_output(out)
    assert str(caught.value).startswith(message.format(out=out, folder=out.parent))


def test_check_output_refuses_to_replace_the_input(tmp_path):
    source = _csv(tmp_path, "time,a\n1,1\n")
    with pytest.raises(RecordingError, match="the output would replace the input recording"):
        check_output(tmp_path / "." / "in.csv", input_path=source)


def _outputs() -> dict[str, Chunk]:
    return {"y": Chunk.of([1_000_000_000, 2_000_000_000], [1.0, 2.0])}


def test_a_sink_in_a_missing_folder_names_the_users_path(tmp_path):
    out = tmp_path / "gone" / "o.csv"
    with pytest.raises(RecordingError) as caught:
        RecordingSink(out)
    assert str(caught.value) == f"{out}: the folder {out.parent} does not exist"


@pytest.mark.parametrize("name", ["o.csv", "o.parquet"])
def test_a_target_that_became_a_folder_is_named_and_no_temporary_is_left(tmp_path, name):
    out = tmp_path / name
    sink = RecordingSink(out)
    sink.write(_outputs())
    out.mkdir()  # made while the run was going on
    with pytest.raises(RecordingError) as caught:
        sink.close()
    sink.abort()
    assert str(caught.value) == f"{out}: this is a folder; nothing was written"
    assert TEMP_PREFIX not in str(caught.value)
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))


def test_a_failed_write_names_the_users_path_not_the_temporary(tmp_path):
    out = tmp_path / "o.csv"
    sink = RecordingSink(out)
    sink._file.tmp.unlink()
    sink._file.tmp.mkdir()  # any OSError from the temporary file: here "Is a directory"
    try:
        with pytest.raises(RecordingError) as caught:
            sink.write(_outputs())
    finally:
        sink._file.tmp.rmdir()
    assert str(caught.value).startswith(f"{out}: the output cannot be written (")
    assert TEMP_PREFIX not in str(caught.value)


def test_a_sink_writes_and_commits(tmp_path):
    out = tmp_path / "o.csv"
    sink = RecordingSink(out)
    sink.write(_outputs())
    sink.close()
    assert out.read_text().splitlines() == ["time,y", "1970-01-01T00:00:01.000000Z,1",
                                            "1970-01-01T00:00:02.000000Z,2"]
    assert not list(tmp_path.glob(f"{TEMP_PREFIX}*"))
