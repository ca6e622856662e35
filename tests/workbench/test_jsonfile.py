import pytest

from workbench.jsonfile import FileFormatError, dumps_stable, read_json


def test_stable_layout_sorted_keys_real_utf8_and_final_newline():
    text = dumps_stable({"b": 1, "a": {"z": "泵站", "y": [1, 2]}})
    assert text == '{\n  "a": {\n    "y": [\n      1,\n      2\n    ],\n    "z": "泵站"\n  },\n  "b": 1\n}\n'


def test_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "project.json"
    path.write_text('{\n  "name": "x"\n  "schema_version": 1\n}\n')
    with pytest.raises(FileFormatError) as info:
        read_json(path)
    assert (info.value.line, info.value.column) == (3, 3)
    assert str(info.value) == f"{path} (line 3, column 3): not valid JSON: Expecting ',' delimiter"


def test_non_utf8_bytes_are_located(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b'{\n "name": "\xff"\n}')
    with pytest.raises(FileFormatError, match=r"line 2, column 11\): the file is not UTF-8 text"):
        read_json(path)


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: None, "the file does not exist"),
    (lambda p: p.mkdir(), "this is a folder, not a file"),
])
def test_unreadable_files_say_why(tmp_path, make, message):
    path = tmp_path / "p.json"
    make(path)
    with pytest.raises(FileFormatError, match=message):
        read_json(path)


def test_a_bad_byte_is_located_in_characters_after_a_byte_order_mark(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b'\xef\xbb\xbf{"name": "' + "中文".encode() + b'\xff"}')
    with pytest.raises(FileFormatError, match=r"line 1, column 13\): the file is not UTF-8 text"):
        read_json(path)


def test_byte_order_mark_from_windows_editors_is_accepted(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert read_json(path) == {"a": 1}
