import json
import logging
import os

import pytest

from workbench.log_capture import LogCapture
from workbench.settings import MAX_RECENT, Settings


def test_round_trip(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings(language="zh_CN", theme="dark", autosave_seconds=30, window_geometry="AAA=")
    settings.add_recent(tmp_path / "a")
    settings.save(path)
    assert Settings.load(path) == settings


def test_missing_and_damaged_files_give_defaults(tmp_path, caplog):
    assert Settings.load(tmp_path / "none.json") == Settings()
    assert not caplog.records
    bad = tmp_path / "settings.json"
    bad.write_text("{oops")
    assert Settings.load(bad) == Settings()
    assert "Settings were reset because" in caplog.text and "line 1, column 2" in caplog.text


def _saved_then_truncated(path):
    """A real settings file with recent projects, cut off halfway as by a crash or a full disk."""
    settings = Settings(language="zh_CN")
    for name in ("pump_station", "boiler", "line_3"):
        settings.add_recent(path.parent / name)
    settings.save(path)
    full = path.read_bytes()
    path.write_bytes(full[: len(full) // 2])
    return path.read_bytes()


@pytest.fixture
def log_panel():
    """What the Log panel would show: the workbench puts a LogCapture on the root logger."""
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)


def test_a_truncated_file_is_kept_as_bak_and_the_log_panel_names_both_files(tmp_path, log_panel):
    path = tmp_path / "settings.json"
    damaged = _saved_then_truncated(path)
    with pytest.raises(json.JSONDecodeError):
        json.loads(damaged)  # the test file really is broken

    assert Settings.load(path) == Settings()

    backup = tmp_path / "settings.json.bak"
    assert backup.read_bytes() == damaged
    assert not path.exists()  # the next save starts a fresh file; the damaged bytes are in the .bak
    [entry] = [e for e in log_panel.drain() if e.level >= logging.WARNING]
    assert entry.level == logging.WARNING and entry.source.startswith("workbench.")
    assert str(path) in entry.text and str(backup) in entry.text and "reset" in entry.text


def test_an_older_backup_is_never_overwritten(tmp_path, caplog):
    path = tmp_path / "settings.json"
    first = _saved_then_truncated(path)
    Settings.load(path)
    second = _saved_then_truncated(path)
    Settings.load(path)
    path.write_text("[1, 2]")  # valid JSON, but not settings: damaged too
    Settings.load(path)

    older = tmp_path / "settings.json.bak"
    assert older.read_bytes() == first
    stamped = sorted(tmp_path.glob("settings.json.*.bak"))
    assert len(stamped) == 2  # found in the same second or not, each copy has its own name
    assert {p.read_bytes() for p in stamped} == {second, b"[1, 2]"}
    assert all(str(p) in caplog.text for p in stamped)
    assert "does not hold a JSON object" in caplog.text
    assert Settings.load(path) == Settings() and len(list(tmp_path.iterdir())) == 3  # nothing more to keep


def test_saving_after_a_reset_leaves_the_backup_alone(tmp_path):
    path = tmp_path / "settings.json"
    damaged = _saved_then_truncated(path)
    settings = Settings.load(path)
    settings.add_recent(tmp_path / "new")
    settings.save(path)
    assert Settings.load(path).recent_projects == [str((tmp_path / "new").resolve())]
    assert (tmp_path / "settings.json.bak").read_bytes() == damaged


def test_a_damaged_file_that_cannot_be_moved_is_reported(tmp_path, caplog, monkeypatch):
    path = tmp_path / "settings.json"
    damaged = _saved_then_truncated(path)

    def refuse(src, dst):
        # What a read-only config folder does; simulated because tests may run as root,
        # for whom folder permissions do not stop a rename.
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr(os, "replace", refuse)
    assert Settings.load(path) == Settings()
    monkeypatch.undo()
    assert path.read_bytes() == damaged and not list(tmp_path.glob("*.bak"))
    assert "could not be kept (Permission denied)" in caplog.text and str(path) in caplog.text


def test_wrong_types_and_unknown_values_fall_back_per_field(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"language": "klingon", "theme": 3, "autosave_seconds": 1,
                                "recent_projects": ["/a", 5], "future_option": True}))
    settings = Settings.load(path)
    assert (settings.language, settings.theme, settings.autosave_seconds, settings.recent_projects) == (
        "system", "system", 5, ["/a"])


def test_recent_projects_most_recent_first_without_duplicates(tmp_path):
    settings = Settings()
    for i in range(MAX_RECENT + 3):
        settings.add_recent(tmp_path / str(i))
    settings.add_recent(tmp_path / "5")
    assert len(settings.recent_projects) == MAX_RECENT
    assert settings.recent_projects[0] == str((tmp_path / "5").resolve())
    assert settings.recent_projects.count(str((tmp_path / "5").resolve())) == 1
    settings.forget_recent(tmp_path / "5")
    assert str((tmp_path / "5").resolve()) not in settings.recent_projects
