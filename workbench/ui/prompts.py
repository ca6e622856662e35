"""Questions and messages the workbench puts to the user.

The main window talks to a :class:`Prompts` object, never to QMessageBox directly, so that
its logic can be tested with scripted answers and the Qt dialogs tested on their own.
"""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import Protocol

from qtpy.QtCore import QObject, Qt
from qtpy.QtWidgets import QFileDialog, QMessageBox, QWidget

from workbench.recovery import RecoveryEntry
from workbench.ui.dialogs import run_dialog
from workbench.ui.new_project_dialog import NewProjectDialog


class UnsavedChoice(enum.Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class Prompts(Protocol):
    async def ask_unsaved(self, parent: QWidget, project_name: str) -> UnsavedChoice: ...
    async def ask_recover(self, parent: QWidget, entry: RecoveryEntry) -> bool: ...
    async def choose_project(self, parent: QWidget, start: Path) -> Path | None: ...
    async def choose_new_project(self, parent: QWidget, start: Path,
                                 name: str = "") -> tuple[str, Path] | None: ...
    def error(self, parent: QWidget, title: str, text: str) -> None: ...
    def warning(self, parent: QWidget, title: str, text: str) -> None: ...


class QtPrompts(QObject):
    """:class:`Prompts` with Qt's dialogs, each window-modal and awaited without nesting loops."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._open_boxes: set[QMessageBox] = set()

    async def ask_unsaved(self, parent: QWidget, project_name: str) -> UnsavedChoice:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Unsaved changes"),
                          self.tr("The project “{name}” has unsaved changes.").format(name=project_name),
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, parent)
        box.setInformativeText(self.tr("Do you want to save them before closing the project?"))
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        await run_dialog(box)
        button = box.standardButton(box.clickedButton()) if box.clickedButton() else None
        box.deleteLater()
        return {QMessageBox.StandardButton.Save: UnsavedChoice.SAVE,
                QMessageBox.StandardButton.Discard: UnsavedChoice.DISCARD}.get(button, UnsavedChoice.CANCEL)

    async def ask_recover(self, parent: QWidget, entry: RecoveryEntry) -> bool:
        when = dt.datetime.fromtimestamp(entry.saved_at).strftime("%Y-%m-%d %H:%M:%S")
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Recover unsaved work"),
                          self.tr("Millwright was not closed normally while the project “{name}” "
                                  "had unsaved changes.").format(name=entry.project_name),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
        box.setInformativeText(
            self.tr("A recovery copy was saved at {time} for {folder}.\n"
                    "Recover it? (No deletes the recovery copy.)").format(time=when, folder=entry.project_root))
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        await run_dialog(box)
        recovered = box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        box.deleteLater()
        return recovered

    async def choose_project(self, parent: QWidget, start: Path) -> Path | None:
        dialog = QFileDialog(parent, self.tr("Open project folder"), str(start))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        accepted = await run_dialog(dialog)
        chosen = Path(dialog.selectedFiles()[0]) if accepted and dialog.selectedFiles() else None
        dialog.deleteLater()
        return chosen

    async def choose_new_project(self, parent: QWidget, start: Path,
                                 name: str = "") -> tuple[str, Path] | None:
        dialog = NewProjectDialog(parent, start, name)
        accepted = await run_dialog(dialog)
        result = (dialog.project_name(), dialog.project_folder()) if accepted else None
        dialog.deleteLater()
        return result

    def error(self, parent: QWidget, title: str, text: str) -> None:
        self._show(QMessageBox.Icon.Critical, parent, title, text)

    def warning(self, parent: QWidget, title: str, text: str) -> None:
        self._show(QMessageBox.Icon.Warning, parent, title, text)

    def _show(self, icon: QMessageBox.Icon, parent: QWidget, title: str, text: str) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
        # Engineers paste these messages into tickets: let them select the text.
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Without a parent nothing else holds the box: keep it alive until it is closed.
        self._open_boxes.add(box)
        box.finished.connect(lambda _result: self._open_boxes.discard(box))
        box.open()
