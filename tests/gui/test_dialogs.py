import asyncio
import sys

from qtpy.QtGui import QPalette
from qtpy.QtWidgets import QApplication, QDialog

from tests.gui.conftest import run, until
from workbench import __version__
from workbench.ui.about_dialog import AboutDialog
from workbench.ui.application import install_excepthook
from workbench.ui.preferences_dialog import PreferencesDialog


def test_about_lists_versions_and_copies_them(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    names = [name for name, _ in dialog.rows]
    assert names[:3] == ["Millwright", "Python", "Qt"] and {"asyncua", "pymodbus", "numpy"} <= set(names)
    assert dict(dialog.rows)["Millwright"] == __version__
    assert dict(dialog.rows)["pymodbus"].startswith("3.16")
    text = dialog.as_text()
    assert f"Millwright: {__version__}\n" in text and "Qt: 6." in text


def test_preferences_switch_language_and_theme_live(make_window, loop, qapp):
    window = make_window()

    async def scenario():
        task = asyncio.ensure_future(window.edit_preferences())
        await until(lambda: isinstance(QApplication.activeModalWidget(), PreferencesDialog))
        dialog = QApplication.activeModalWidget()
        dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
        dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
        dialog.autosave.setValue(30)
        dialog.done(QDialog.DialogCode.Accepted)
        await task
        await until(lambda: window.menuBar().actions()[0].text() == "文件(&F)")  # LanguageChange is queued

    run(loop, scenario())
    assert window.menuBar().actions()[0].text() == "文件(&F)"
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert window.autosave_timer.interval() == 30_000
    saved = window.settings_path.read_text()
    assert '"language": "zh_CN"' in saved and '"theme": "dark"' in saved and '"autosave_seconds": 30' in saved
    window.set_theme("light")
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 180


def test_an_exception_in_a_slot_becomes_a_message_not_a_traceback(make_window, prompts):
    window = make_window()
    previous = sys.excepthook
    install_excepthook(window)
    try:
        try:
            raise ValueError("register 40001 is outside the map")
        except ValueError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = previous
    [(title, text)] = prompts.errors
    assert title == "Unexpected error" and "register 40001 is outside the map" in text and "Traceback" not in text
