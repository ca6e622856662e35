import json

from workbench.settings import MAX_RECENT, Settings


def test_round_trip(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    settings = Settings(language="zh_CN", theme="dark", autosave_seconds=30, window_geometry="AAA=")
    settings.add_recent(tmp_path / "a")
    settings.save(path)
    assert Settings.load(path) == settings


def test_missing_and_damaged_files_give_defaults(tmp_path, caplog):
    assert Settings.load(tmp_path / "none.json") == Settings()
    bad = tmp_path / "settings.json"
    bad.write_text("{oops")
    assert Settings.load(bad) == Settings()
    assert "Settings were reset because" in caplog.text and "line 1, column 2" in caplog.text


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
