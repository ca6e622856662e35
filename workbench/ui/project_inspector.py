"""Project properties in the Inspector dock; every edit is an undoable command."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtGui import QUndoCommand, QUndoStack
from qtpy.QtWidgets import QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from workbench.project import Project, ProjectError


class SetProjectField(QUndoCommand):
    """Change the project's name or description; consecutive description edits merge."""

    ID = 1001

    def __init__(self, project: Project, field: str, value: str, text: str):
        super().__init__(text)
        self.project, self.field = project, field
        self.old, self.new = getattr(project, field), value

    def redo(self) -> None:
        getattr(self.project, f"set_{self.field}")(self.new)

    def undo(self) -> None:
        getattr(self.project, f"set_{self.field}")(self.old)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, SetProjectField) or self.field != "description"
                or other.field != self.field or other.project is not self.project):
            return False
        self.new = other.new
        return True


class ProjectInspector(QWidget):
    """Name, description and file facts of the open project."""

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None):
        super().__init__(parent)
        self._undo = undo_stack
        self._project: Project | None = None
        self.name = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setTabChangesFocus(True)
        self.folder, self.schema, self.hint = QLabel(), QLabel(), QLabel()
        for label in (self.folder, self.hint):
            label.setWordWrap(True)
        self.folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form = QFormLayout(self)
        self._labels = [QLabel() for _ in range(4)]
        for label, widget in zip(self._labels, (self.name, self.description, self.folder, self.schema), strict=True):
            self.form.addRow(label, widget)
        self.form.addRow(self.hint)
        self.name.editingFinished.connect(self._name_edited)
        self.description.textChanged.connect(self._description_edited)
        self.set_project(None)
        self.retranslate()

    def set_project(self, project: Project | None) -> None:
        if self._project is not None:
            self._project.changed.disconnect(self._refresh)
            self._project.root_changed.disconnect(self._refresh)
        self._project = project
        if project is not None:
            project.changed.connect(self._refresh)
            project.root_changed.connect(self._refresh)
        self._refresh()

    def _refresh(self, *_unused) -> None:
        project = self._project
        for widget in (self.name, self.description):
            widget.blockSignals(True)
        self.name.setText(project.name if project else "")
        if project is None or self.description.toPlainText() != project.description:
            self.description.setPlainText(project.description if project else "")
        for widget in (self.name, self.description):
            widget.blockSignals(False)
            widget.setEnabled(project is not None)
            widget.setReadOnly(bool(project and project.read_only))
        self.folder.setText(str(project.root) if project else "")
        self.schema.setText(self.tr("schema {schema}, written by Millwright {version}").format(
            schema=project.file_schema, version=project.written_by) if project else "")
        self.hint.setText(project.read_only_reason if project and project.read_only else "")

    def retranslate(self) -> None:
        for label, text in zip(self._labels, (self.tr("Name:"), self.tr("Description:"),
                                              self.tr("Folder:"), self.tr("File:")), strict=True):
            label.setText(text)
        self.name.setPlaceholderText(self.tr("Project name"))
        self.description.setPlaceholderText(self.tr("What this project is for: plant, line, machine…"))
        self._refresh()

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _name_edited(self) -> None:
        project = self._project
        name = self.name.text().strip()
        if project is None or project.read_only or name == project.name:
            return
        if not name:  # an empty name is refused: show the old one again
            self.name.setText(project.name)
            return
        self._push(SetProjectField(project, "name", name, self.tr("Rename project")))

    def _description_edited(self) -> None:
        project = self._project
        if project is None or project.read_only or self.description.toPlainText() == project.description:
            return
        self._push(SetProjectField(project, "description", self.description.toPlainText(),
                                   self.tr("Edit project description")))

    def _push(self, command: SetProjectField) -> None:
        try:
            self._undo.push(command)
        except ProjectError:
            self._refresh()
