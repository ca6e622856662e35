import asyncio
import json

from qtpy.QtWidgets import QDockWidget, QMenu

from tests.gui.conftest import run, until
from workbench.project import Project
from workbench.settings import Settings
from workbench.ui.prompts import UnsavedChoice
from workbench.ui.window_actions import MENUS


def test_window_has_all_menus_docks_and_status(make_window):
    window = make_window()
    titles = [action.text() for action in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Device", "&Model", "&App", "&Help"]
    assert [window.findChild(QMenu, f"menu_{name}") is not None for name in MENUS] == [True] * len(MENUS)
    docks = {d.objectName(): d.windowTitle() for d in window.findChildren(QDockWidget)}
    # A dock's objectName is its view id: the saved layout follows it.
    assert docks == {"project": "Project", "devices": "Devices", "browser": "Device browser", "palette": "Palette",
                     "inspector": "Inspector", "watch": "Watch", "trends": "Trends", "log": "Log",
                     "outputs": "Outputs", "problems": "Problems", "apps": "Apps", "scripts": "Scripts",
                     "console": "Console", "data": "Data"}
    assert window.devices_label.text() == "No devices connected" and window.run_label.text() == "Model: idle"
    window.status.devices_total, window.status.devices_connected, window.status.run_state = 3, 2, "running"
    assert window.devices_label.text() == "Devices: 2/3 connected" and window.run_label.text() == "Model: running"
    shortcuts = {a.objectName(): a.shortcut().toString() for a in window.findChildren(type(window.actions.new))}
    assert [shortcuts[f"action_{n}"] for n in ("new", "open", "save")] == ["Ctrl+N", "Ctrl+O", "Ctrl+S"]


def test_new_edit_save_reopen(make_window, prompts, loop, tmp_path):
    window = make_window()
    prompts.answers["new_project"].append(("Line 3", tmp_path / "line3"))
    assert run(loop, window.controller.new_project())
    assert window.project.name == "Line 3" and not window.actions.save.isEnabled()
    window.views["inspector"].project.name.setText("Line 3 — packing")
    window.views["inspector"].project.name.editingFinished.emit()
    assert window.project.dirty and window.isWindowModified() and window.actions.save.isEnabled()
    assert window.windowTitle() == "Line 3 — packing[*] — Millwright"
    window.undo_stack.undo()
    assert window.project.name == "Line 3"
    window.undo_stack.redo()
    assert run(loop, window.controller.save())
    assert not window.project.dirty and not window.isWindowModified()
    assert json.loads((tmp_path / "line3" / "project.json").read_text())["name"] == "Line 3 — packing"
    assert window.settings.recent_projects == [str((tmp_path / "line3").resolve())]
    assert run(loop, window.controller.close_project())
    assert run(loop, window.open_project(tmp_path / "line3"))
    assert window.project.name == "Line 3 — packing"
    assert window.settings.recent_projects == [str((tmp_path / "line3").resolve())]


def test_closing_with_unsaved_changes_asks(make_window, prompts, loop, qtbot, tmp_path):
    Project.create(tmp_path / "p", "P")
    window = make_window()
    run(loop, window.open_project(tmp_path / "p"))
    window.project.set_description("unsaved")
    prompts.answers["unsaved"].extend([UnsavedChoice.CANCEL, UnsavedChoice.SAVE])
    window.close()
    run(loop, until(lambda: prompts.asked == [("unsaved", "P")]))
    assert window.isVisible() and window.project.dirty  # cancelled: nothing lost
    window.close()
    run(loop, until(lambda: not window.isVisible()))
    assert json.loads((tmp_path / "p" / "project.json").read_text())["description"] == "unsaved"


def test_discard_closes_without_writing(make_window, prompts, loop, qtbot, tmp_path):
    Project.create(tmp_path / "p", "P")
    before = (tmp_path / "p" / "project.json").read_bytes()
    window = make_window()
    run(loop, window.open_project(tmp_path / "p"))
    window.project.set_name("changed")
    prompts.answers["unsaved"].append(UnsavedChoice.DISCARD)
    window.close()
    run(loop, until(lambda: not window.isVisible()))
    assert (tmp_path / "p" / "project.json").read_bytes() == before


def test_malformed_project_shows_the_documented_message_and_window_stays_usable(make_window, prompts, loop,
                                                                               tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "project.json").write_text('{\n  "name": "Bad",\n  "schema_version" 1\n}\n')
    Project.create(tmp_path / "good", "Good")
    window = make_window()
    assert not run(loop, window.open_project(bad))
    assert prompts.errors == [("Cannot open the project",
                               f"{bad / 'project.json'} (line 3, column 20): not valid JSON: Expecting ':' delimiter")]
    assert window.project is None and window.actions.open.isEnabled()
    assert run(loop, window.open_project(tmp_path / "good")) and window.project.name == "Good"


def test_future_version_opens_read_only_with_a_message(make_window, prompts, loop, tmp_path):
    root = tmp_path / "future"
    root.mkdir()
    (root / "project.json").write_text(json.dumps({"name": "Future", "schema_version": 99,
                                                   "millwright_version": "7.0"}))
    window = make_window()
    assert run(loop, window.open_project(root))
    [(title, text)] = prompts.warnings
    assert title == "Project opened read-only"
    assert "written by Millwright 7.0 (project schema 99)" in text and "opened read-only" not in text
    assert "update Millwright to edit it" in text
    assert not window.actions.save.isEnabled() and not window.actions.save_as.isEnabled()
    assert window.views["inspector"].project.name.isReadOnly() and window.read_only_label.text() == "Read-only"
    assert window.windowTitle() == "Future[*] (read-only) — Millwright"


def test_recovery_is_offered_after_a_crash_and_restores_unsaved_state(make_window, prompts, loop, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    crashed = make_window(autosave_seconds=5)
    run(loop, crashed.open_project(tmp_path / "p"))
    crashed.project.set_description("typed before the crash")
    run(loop, crashed.session.write_recovery())  # what the 60 s timer does
    # The process dies here: no close, no save. A new workbench starts.
    crashed._close_confirmed = True
    crashed.hide()
    assert json.loads((tmp_path / "p" / "project.json").read_text())["description"] == ""

    prompts.answers["recover"].append(True)
    window = make_window()
    run(loop, window.startup(None))
    assert prompts.asked[-1] == ("recover", "Pump")
    assert window.project.description == "typed before the crash" and window.project.dirty
    assert run(loop, window.controller.save())
    assert window.recovery.pending() == []


def test_declining_recovery_deletes_the_copy(make_window, prompts, loop, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window()
    window.recovery.save(tmp_path / "p", "Pump", {"project.json": {"name": "Pump", "schema_version": 1}})
    prompts.answers["recover"].append(False)
    run(loop, window.startup(tmp_path / "p"))
    assert window.recovery.pending() == [] and window.project.description == ""


def test_autosave_timer_writes_a_recovery_copy_only_while_dirty(make_window, loop, qtbot, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window(autosave_seconds=5)
    window.autosave_timer.setInterval(50)
    run(loop, window.open_project(tmp_path / "p"))
    run(loop, asyncio.sleep(0.15))
    assert window.recovery.pending() == []
    window.project.set_description("dirty")
    run(loop, until(lambda: len(window.recovery.pending()) == 1))
    assert window.recovery.pending()[0].snapshot["project.json"]["description"] == "dirty"


def test_layout_recent_projects_and_theme_persist(make_window, loop, qtbot, tmp_path):
    Project.create(tmp_path / "p", "Pump")
    window = make_window()
    run(loop, window.open_project(tmp_path / "p"))
    # The offscreen screen is 800 px wide: only the height can be checked, and it must be one
    # the window can take (above its minimum, which depends on what the start page shows).
    height = window.minimumSizeHint().height() + 30
    window.resize(700, height)
    window.docks["trends"].hide()
    window.set_theme("dark")
    window.close()
    settings = Settings.load(window.settings_path)
    assert settings.recent_projects == [str((tmp_path / "p").resolve())] and settings.theme == "dark"
    again = make_window(settings)
    assert again.size().height() == height
    assert not again.docks["trends"].isVisible() and again.docks["log"].isVisible()
    assert again.actions.theme["dark"].isChecked()
    again.actions.reset_layout.trigger()
    assert again.docks["trends"].isVisible() or not again.docks["trends"].isHidden()


def test_save_as_copies_the_project_and_continues_there(make_window, prompts, loop, tmp_path):
    Project.create(tmp_path / "a", "A")
    (tmp_path / "a" / "data" / "run.csv").write_text("t,v\n")
    window = make_window()
    run(loop, window.open_project(tmp_path / "a"))
    prompts.answers["new_project"].append(("B", tmp_path / "b"))
    assert run(loop, window.controller.save_as())
    assert window.project.root == tmp_path / "b" and window.project.name == "B" and not window.project.dirty
    assert (tmp_path / "b" / "data" / "run.csv").exists()
    assert json.loads((tmp_path / "a" / "project.json").read_text())["name"] == "A"
    assert window.views["project"].model.rootPath() == str(tmp_path / "b")


def test_an_unexpected_error_in_a_task_becomes_a_message(make_window, prompts, loop, qtbot):
    window = make_window()

    async def broken():
        raise RuntimeError("boom")

    window.spawn(broken())
    run(loop, until(lambda: bool(prompts.errors)))
    title, text = prompts.errors[0]
    assert title == "Unexpected error" and text.startswith("Something went wrong: boom")
    assert "Traceback" not in text
