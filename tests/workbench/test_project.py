import json
import threading

import numpy as np
import pytest

from workbench import __version__
from workbench.project import (
    PROJECT_FOLDERS,
    SCHEMA_VERSION,
    CopyCancelled,
    Project,
    ProjectError,
    copy_project_tree,
)


def test_create_save_reopen_is_byte_stable(tmp_path):
    root = tmp_path / "pump"
    project = Project.create(root, "Pump station 泵站")
    first = project.path.read_bytes()
    reopened = Project.open(root)
    assert (reopened.name, reopened.description, reopened.file_schema) == ("Pump station 泵站", "", SCHEMA_VERSION)
    reopened.save()
    assert project.path.read_bytes() == first
    assert json.loads(first) == {"description": "", "millwright_version": __version__,
                                 "name": "Pump station 泵站", "schema_version": SCHEMA_VERSION}
    assert first.endswith(b"}\n") and b'\n  "name"' in first
    assert all((root / folder).is_dir() for folder in PROJECT_FOLDERS)


def test_keys_from_elsewhere_survive_a_save(tmp_path):
    root = tmp_path / "p"
    Project.create(root, "P")
    document = json.loads((root / "project.json").read_text())
    document["site"] = {"plant": "Wuxi", "line": 3}
    (root / "project.json").write_text(json.dumps(document))
    project = Project.open(root)
    project.set_description("with a site")
    project.save()
    assert json.loads((root / "project.json").read_text())["site"] == {"plant": "Wuxi", "line": 3}


def test_dirty_tracks_edits_and_saves(tmp_path):
    project = Project.create(tmp_path / "p", "P")
    seen = []
    project.dirty_changed.connect(seen.append)
    assert not project.dirty
    project.set_name("Q")
    assert project.dirty and seen == [True]
    revision = project.revision
    project.set_description("edited while the save was on disk")
    project.mark_saved(revision)  # a save that started before the last edit
    assert project.dirty
    project.save()
    assert not project.dirty and seen[-1] is False


def test_open_accepts_the_project_json_path_too(tmp_path):
    Project.create(tmp_path / "p", "P")
    assert Project.open(tmp_path / "p" / "project.json").root == (tmp_path / "p").resolve()


def test_malformed_json_names_file_line_and_column(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "project.json").write_text('{\n  "name": "P",\n  "schema_version": 1,\n}\n')
    with pytest.raises(ProjectError) as info:
        Project.open(root)
    assert str(info.value) == (f"{root / 'project.json'} (line 4, column 1): not valid JSON: "
                               "a comma before a closing bracket is not allowed (trailing comma)")


@pytest.mark.parametrize(("document", "message"), [
    ([1, 2], r"project\.json \(line 1, column 1\): the file must be an object \{…\} \(found \[1, 2\]\)$"),
    ({"name": "P"}, r"project\.json \(line 1, column 1\): 'schema_version' is missing; "
                    r"is this a Millwright project\?$"),
    ({"name": "P", "schema_version": "1"}, r"\(line 1, column 33\): schema_version: must be a whole number ≥ 1 "
                                           r"\(found \"1\"\); is this a Millwright project\?$"),
    ({"name": "P", "schema_version": 0}, r"schema_version: must be a whole number ≥ 1 \(found 0\)"),
    ({"name": " ", "schema_version": 1}, r"\(line 1, column 10\): name: must be non-empty text \(found \" \"\)$"),
    ({"name": "P", "schema_version": 1, "description": 5}, r"description: must be text \(found 5\)$"),
])
def test_wrong_content_is_explained_with_key_line_and_column(tmp_path, document, message):
    root = tmp_path / "p"
    root.mkdir()
    (root / "project.json").write_text(json.dumps(document))
    with pytest.raises(ProjectError, match=message):
        Project.open(root)


def test_every_problem_of_project_json_is_reported_at_once(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    (root / "project.json").write_text('{\n  "schema_version": "one",\n  "name": 7,\n  "site": {"plant": "Wuxi"}\n}\n')
    with pytest.raises(ProjectError) as info:
        Project.open(root)
    lines = str(info.value).splitlines()
    assert lines == [f"{root / 'project.json'} (line 2, column 21): schema_version: must be a whole number ≥ 1 "
                     '(found "one"); is this a Millwright project?',
                     f"{root / 'project.json'} (line 3, column 11): name: must be non-empty text (found 7)"]


def test_the_shipped_schema_accepts_what_project_writes_and_keeps(tmp_path):
    import jsonschema

    from nodes.resources import resources_dir

    schema = json.loads((resources_dir() / "schemas" / "project.schema.json").read_text())
    project = Project.create(tmp_path / "p", "P")
    project.extra["site"] = {"plant": "Wuxi"}  # keys of plug-ins and newer releases are kept, so allowed
    jsonschema.validate(project.document(), schema)
    jsonschema.Draft202012Validator.check_schema(schema)


def test_open_removes_leftover_temp_files_unless_asked_not_to(tmp_path):
    root = tmp_path / "p"
    Project.create(root, "P")
    leftover = root / ".~millwright-0123456789ab.tmp"
    leftover.write_text("half a project.json")
    Project.open(root, remove_temp_files=False)
    assert leftover.exists()
    Project.open(root)
    assert not leftover.exists()


def test_folder_without_project_file(tmp_path):
    with pytest.raises(ProjectError, match=r"is not a Millwright project: it has no project\.json"):
        Project.open(tmp_path)
    with pytest.raises(ProjectError, match="is not a folder"):
        Project.open(tmp_path / "missing")


def test_newer_schema_opens_read_only_and_refuses_to_save(tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    original = json.dumps({"name": "Future", "schema_version": SCHEMA_VERSION + 1,
                           "millwright_version": "9.0.0", "graphs_index": ["a"]})
    (root / "project.json").write_text(original)
    project = Project.open(root)
    assert project.read_only
    assert project.read_only_reason == (
        f"{root / 'project.json'} was written by Millwright 9.0.0 (project schema {SCHEMA_VERSION + 1}); "
        f"this Millwright {__version__} understands schema {SCHEMA_VERSION} and older. The project is open "
        "read-only so that nothing in it is lost; update Millwright to edit it.")
    with pytest.raises(ProjectError, match="read-only"):
        project.set_name("x")
    with pytest.raises(ProjectError, match="read-only"):
        project.save()
    assert (root / "project.json").read_text() == original


def test_create_refuses_a_non_empty_folder_and_an_empty_name(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thing.txt").write_text("x")
    with pytest.raises(ProjectError, match="the folder is not empty"):
        Project.create(tmp_path / "busy", "P")
    with pytest.raises(ProjectError, match="needs a name"):
        Project.create(tmp_path / "new", "  ")


def test_snapshot_restore_round_trip(tmp_path):
    project = Project.create(tmp_path / "p", "P")
    project.set_description("unsaved")
    snapshot = project.snapshot()
    fresh = Project.open(tmp_path / "p")
    fresh.restore(snapshot)
    assert fresh.description == "unsaved" and fresh.dirty


def test_copy_for_save_as_copies_everything_but_git(tmp_path):
    source = tmp_path / "src"
    Project.create(source, "P")
    (source / "data" / "run1.csv").write_text("t,v\n1,2\n")
    (source / ".git").mkdir()
    (source / ".git" / "HEAD").write_text("ref")
    reports = []
    copy_project_tree(source, tmp_path / "dst", lambda done, total: reports.append((done, total)))
    assert (tmp_path / "dst" / "data" / "run1.csv").read_text() == "t,v\n1,2\n"
    assert not (tmp_path / "dst" / ".git").exists()
    assert reports[-1][0] == reports[-1][1] > 0


def test_cancelled_copy_removes_the_partial_folder(tmp_path):
    source = tmp_path / "src"
    Project.create(source, "P")
    for i in range(5):
        (source / "data" / f"{i}.csv").write_text("x" * 1000)
    calls = threading.Event()

    def cancel_after_first() -> bool:
        was = calls.is_set()
        calls.set()
        return was

    with pytest.raises(CopyCancelled):
        copy_project_tree(source, tmp_path / "dst", cancelled=cancel_after_first)
    assert not (tmp_path / "dst").exists()


def test_copy_refuses_a_target_inside_the_project(tmp_path):
    source = tmp_path / "src"
    Project.create(source, "P")
    with pytest.raises(ProjectError, match="inside its own folder"):
        copy_project_tree(source, source / "data" / "copy")


def test_save_as_copies_a_recording_store_whole_while_it_is_open_for_writing(tmp_path):
    from device_browser.store import open_store, project_store_path

    source = tmp_path / "src"
    Project.create(source, "P")
    store = open_store(project_store_path(source, create=True))
    try:
        recording = store.create_recording("run 1")
        t = np.arange(10_000, dtype=np.int64) * 1_000_000
        store.append(recording, {"flow": (t, np.sin(t / 1e9), np.zeros(len(t), np.uint8))})
        # Committed samples sit in the -wal file while the writer keeps the store open.
        assert (project_store_path(source).with_name("recordings.sqlite-wal")).stat().st_size > 0
        copy_project_tree(source, tmp_path / "dst")
    finally:
        store.close()
    assert not list((tmp_path / "dst" / "data").glob("*-wal")) and not list((tmp_path / "dst" / "data").glob("*-shm"))
    with open_store(project_store_path(tmp_path / "dst"), read_only=True) as copy:
        assert len(copy.read_chunk("flow", recording="run 1")) == 10_000
