"""Asks for a new project's name and the folder it will be created in."""

from __future__ import annotations

import re
from pathlib import Path

from qtpy.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')


def folder_name_for(project_name: str) -> str:
    """A folder name derived from a project name that is valid on Windows and Linux."""
    return _UNSAFE.sub("-", project_name.strip()).strip(" .-") or "project"


class NewProjectDialog(QDialog):
    """Name + location, with the resulting folder shown and checked as the user types."""

    def __init__(self, parent: QWidget | None, location: Path, name: str = ""):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New project"))
        self._name = QLineEdit(name)
        self._name.setPlaceholderText(self.tr("e.g. Pump station 3"))
        self._location = QLineEdit(str(location))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self._location, 1)
        row.addWidget(browse)
        self._result = QLabel()
        self._result.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Name:"), self._name)
        form.addRow(self.tr("Location:"), row)
        self._buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                         | QDialogButtonBox.StandardButton.Cancel)
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._result)
        layout.addWidget(self._buttons)
        self._name.textChanged.connect(self._update)
        self._location.textChanged.connect(self._update)
        self.resize(520, self.sizeHint().height())
        self._update()

    def project_name(self) -> str:
        return self._name.text().strip()

    def project_folder(self) -> Path:
        return Path(self._location.text().strip()).expanduser() / folder_name_for(self.project_name())

    def _update(self) -> None:
        problem = self._problem()
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)
        self._result.setText(problem or self.tr("The project will be created in {folder}").format(
            folder=self.project_folder()))

    def _problem(self) -> str | None:
        if not self.project_name():
            return self.tr("Enter a name for the project.")
        if not self._location.text().strip():
            return self.tr("Choose where to create the project.")
        folder = self.project_folder()
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            return self.tr("{folder} already exists and is not empty.").format(folder=folder)
        return None

    def _browse(self) -> None:
        dialog = QFileDialog(self, self.tr("Location of the new project"), self._location.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self._location.setText)
        dialog.open()
