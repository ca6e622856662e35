"""The real Qt dialogs behind Prompts, driven by clicks."""

import asyncio

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from tests.gui.conftest import run, until
from workbench.recovery import RecoveryEntry
from workbench.ui.new_project_dialog import NewProjectDialog, folder_name_for
from workbench.ui.prompts import QtPrompts, UnsavedChoice


def _open_box():
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)


def _answer(loop, coroutine, button):
    async def scenario():
        task = asyncio.ensure_future(coroutine)
        await until(lambda: _open_box() is not None)
        box = _open_box()
        text = box.text()
        box.button(button).click()
        return text, await task

    return run(loop, scenario())


def test_unsaved_changes_question(loop, qtbot):
    prompts = QtPrompts()
    text, choice = _answer(loop, prompts.ask_unsaved(None, "Line 3"), QMessageBox.StandardButton.Discard)
    assert text == "The project “Line 3” has unsaved changes." and choice is UnsavedChoice.DISCARD
    _, choice = _answer(loop, prompts.ask_unsaved(None, "Line 3"), QMessageBox.StandardButton.Cancel)
    assert choice is UnsavedChoice.CANCEL


def test_recovery_question(loop, tmp_path):
    entry = RecoveryEntry(tmp_path / "r.json", tmp_path, "Pump", 0.0, {})
    text, recovered = _answer(loop, QtPrompts().ask_recover(None, entry), QMessageBox.StandardButton.Yes)
    assert "“Pump” had unsaved changes" in text and recovered is True


def test_errors_are_non_blocking_and_selectable(loop, qtbot):
    QtPrompts().error(None, "Cannot open the project", "/p/project.json (line 3, column 20): ...")
    box = _open_box()
    assert box is not None and box.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    box.accept()


def test_new_project_dialog_checks_as_the_user_types(qtbot, tmp_path):
    (tmp_path / "Busy").mkdir()
    (tmp_path / "Busy" / "x").write_text("x")
    dialog = NewProjectDialog(None, tmp_path)
    qtbot.addWidget(dialog)
    ok = dialog._buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and dialog._result.text() == "Enter a name for the project."
    dialog._name.setText("Busy")
    assert not ok.isEnabled() and "already exists and is not empty" in dialog._result.text()
    dialog._name.setText("Line 3: packing / 包装")
    assert ok.isEnabled() and dialog.project_folder() == tmp_path / "Line 3- packing - 包装"
    assert folder_name_for('  <>:"  ') == "project"
