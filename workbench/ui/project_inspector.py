"""Project properties in the Inspector dock; every edit is an undoable command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qtpy.QtCore import QEvent, Qt
from qtpy.QtGui import QTextOption, QUndoCommand, QUndoStack
from qtpy.QtWidgets import QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

from workbench.project import Project, ProjectError
from workbench.session import ProjectSession
from workbench.ui.text_limits import elide_end

# Above this many characters the description is shown shortened and read-only: every
# keystroke in a QPlainTextEdit lays out the whole paragraph again on the UI thread.
DESCRIPTION_EDIT_LIMIT = 20_000
PREVIEW_CHARS = 2_000


@dataclass(frozen=True, eq=False)
class ProjectField:
    """A project field the inspector edits: how to read it and the setter that changes it.

    Commands hold these objects, not attribute names, so a rename of a setter is followed by
    tools and type checkers (STYLE.md §3).
    """

    read: Callable[[Project], str]
    write: Callable[[Project, str], None]
    merge_edits: bool  # consecutive edits (typing) become one undo step


NAME = ProjectField(read=lambda project: project.name, write=Project.set_name, merge_edits=False)
DESCRIPTION = ProjectField(read=lambda project: project.description, write=Project.set_description,
                           merge_edits=True)


class SetProjectField(QUndoCommand):
    """Change one field of one project; consecutive edits of a merging field merge."""

    ID = 1001

    def __init__(self, project: Project, field: ProjectField, value: str, text: str):
        super().__init__(text)
        self.project, self.field = project, field
        self.old, self.new = field.read(project), value

    def redo(self) -> None:
        self.field.write(self.project, self.new)

    def undo(self) -> None:
        self.field.write(self.project, self.old)

    def id(self) -> int:
        return self.ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, SetProjectField) or other.field is not self.field
                or not self.field.merge_edits or other.project is not self.project):
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
        # WordWrap is linear in the line length; the default WrapAtWordBoundaryOrAnywhere is
        # quadratic on an unbroken line (a 400 kB line froze the window for over two minutes).
        self.description.setWordWrapMode(QTextOption.WrapMode.WordWrap)
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

    def observe(self, session: ProjectSession) -> None:
        """Follow the session's open project (bound methods: psygnal holds them weakly)."""
        session.opened.connect(self.set_project)
        session.closed.connect(self._closed)
        self.set_project(session.project)

    def _closed(self, _project: Project) -> None:
        self.set_project(None)

    def set_project(self, project: Project | None) -> None:
        if self._project is not None:
            self._project.changed.disconnect(self._refresh)
            self._project.root_changed.disconnect(self._refresh)
        self._project = project
        if project is not None:
            project.changed.connect(self._refresh)
            project.root_changed.connect(self._refresh)
        self._refresh()

    def description_too_long(self) -> bool:
        """Whether the description is shown shortened and read-only."""
        return self._project is not None and len(self._project.description) > DESCRIPTION_EDIT_LIMIT

    def _refresh(self, *_unused: object) -> None:
        project = self._project
        too_long_name = project is not None and len(project.name) > self.name.maxLength()
        too_long_description = self.description_too_long()
        for widget in (self.name, self.description):
            widget.blockSignals(True)
        self.name.setText(elide_end(project.name, PREVIEW_CHARS) if too_long_name else
                          project.name if project else "")
        shown = (elide_end(project.description, PREVIEW_CHARS) if too_long_description else
                 project.description if project else "")
        if self.description.toPlainText() != shown:
            self.description.setPlainText(shown)
        for widget in (self.name, self.description):
            widget.blockSignals(False)
            widget.setEnabled(project is not None)
        read_only = bool(project and project.read_only)
        self.name.setReadOnly(read_only or too_long_name)
        self.description.setReadOnly(read_only or too_long_description)
        self.folder.setText(str(project.root) if project else "")
        self.schema.setText(self.tr("schema {schema}, written by Millwright {version}").format(
            schema=project.file_schema, version=project.written_by) if project else "")
        hints = [project.read_only_reason or ""] if read_only else []
        if too_long_description:
            hints.append(self.tr("The description has {count:,} characters, too many to edit here; only its "
                                 "start is shown and it is kept unchanged. Shorten it in project.json, or "
                                 "undo the edit that made it this long.").format(count=len(project.description)))
        self.hint.setText("\n\n".join(hints))

    def retranslate(self) -> None:
        for label, text in zip(self._labels, (self.tr("Name:"), self.tr("Description:"),
                                              self.tr("Folder:"), self.tr("File:")), strict=True):
            label.setText(text)
        self.name.setPlaceholderText(self.tr("Project name"))
        self.description.setPlaceholderText(self.tr("What this project is for: plant, line, machine…"))
        self._refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _name_edited(self) -> None:
        project = self._project
        name = self.name.text().strip()
        if project is None or self.name.isReadOnly() or name == project.name:
            return
        if not name:  # an empty name is refused: show the old one again
            self.name.setText(project.name)
            return
        self._push(SetProjectField(project, NAME, name, self.tr("Rename project")))

    def _description_edited(self) -> None:
        project = self._project
        if project is None or self.description.isReadOnly():
            return
        text = self.description.toPlainText()
        if text != project.description:
            self._push(SetProjectField(project, DESCRIPTION, text, self.tr("Edit project description")))

    def _push(self, command: SetProjectField) -> None:
        try:
            self._undo.push(command)
        except ProjectError:
            self._refresh()
