"""Save a selection as a reusable project component: a dialog, then one undo step on the canvas.

The selected nodes (or one selected group's inside) are written to the project's
``components/`` folder as a graph file with exposed ports (:mod:`nodes.project_components`);
the palette lists the new type at once under "Project". On the canvas the selection is then
replaced by one node of the new type, wired as the selection was, in one undo step. Undoing it
gives the original graph back; the component file stays, as a saved file does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from qtpy import shiboken
from qtpy.QtCore import QCoreApplication, Qt
from qtpy.QtGui import QRegularExpressionValidator
from qtpy.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from model_designer.commands import _Composite
from model_designer.composites import Boundary, is_group, selection_boundary
from nodes.component import Component, Text
from nodes.graph import Graph, Node
from nodes.project_components import (
    ComponentExistsError,
    ComponentFileError,
    ProjectComponents,
    component_type,
    name_problem,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SaveComponent", text)


class ReplaceWithComponent(_Composite):
    """Put one node of component ``cls`` where ``boundary``'s selection was; :attr:`node_id` is its id."""

    def __init__(self, graph: Graph, boundary: Boundary, cls: type[Component]):
        super().__init__(_tr("Replace {count} nodes by {type}").format(count=len(boundary.node_ids),
                                                                       type=cls.type_name))
        self.node_id = boundary.node_id
        node = Node(boundary.node_id, cls.type_name, cls.resolve_params({}), cls.version, position=boundary.corner)
        self.parts = boundary.replacement(graph, node)


def component_boundary(graph: Graph, node_ids: Iterable[str], node_id: str) -> Boundary:
    """The :class:`Boundary` of a selection; one selected group stands for its inside, its ports kept."""
    chosen = list(dict.fromkeys(node_ids))
    if len(chosen) != 1 or not is_group(graph, chosen[0]):
        return selection_boundary(graph, chosen, node_id)
    group = graph.nodes[chosen[0]]
    inner = Graph.from_json(group.graph.to_json())  # a copy: the group itself is only removed, and undo restores it
    wires = [(_renamed(edge.source, edge.source_port, group.id, node_id),
              _renamed(edge.target, edge.target_port, group.id, node_id))
             for edge in sorted(graph.edges) if group.id in (edge.source, edge.target)]
    return Boundary([group.id], node_id, inner, wires, group.position)


def _renamed(node: str, port: str, old: str, new: str) -> str:
    return f"{new if node == old else node}.{port}"


def save_as_component(canvas, components: ProjectComponents, node_ids: list[str], name: str, title: Text,
                      description: str = "", *, overwrite: bool = False) -> str:
    """Save ``node_ids`` of ``canvas`` (a :class:`GraphCanvas`) as component ``name``; one node of it replaces them.

    Returns the new node's id, which becomes the selection. Raises
    :class:`~nodes.project_components.ComponentFileError` (:class:`ComponentExistsError` when
    the name is taken and ``overwrite`` is not given) or :class:`OSError`; the graph is then unchanged.
    """
    graph = canvas.graph
    boundary = component_boundary(graph, node_ids, graph.free_id(name))
    type_name = components.save(name, boundary.inner, title, description, overwrite=overwrite)
    command = ReplaceWithComponent(graph, boundary, components.registry.get(type_name))
    canvas.undo_stack.push(command)
    canvas.select([command.node_id])
    return command.node_id


class SaveComponentDialog(QDialog):
    """Name (a-z, 0-9, _), title in English and Chinese, and description of a new project component."""

    def __init__(self, title: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Save as Component"))
        self.name = QLineEdit()
        self.name.setValidator(QRegularExpressionValidator(r"[a-z][a-z0-9_]*", self.name))
        self.name.setPlaceholderText("vibration_check")
        self.title_en, self.title_zh = QLineEdit(title), QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setTabChangesFocus(True)
        self.type_label = QLabel()
        self.type_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow(self.tr("&Name:"), self.name)
        form.addRow("", self.type_label)
        form.addRow(self.tr("&Title:"), self.title_en)
        form.addRow(self.tr("Title in &Chinese:"), self.title_zh)
        form.addRow(self.tr("&Description:"), self.description)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._name_changed)
        self._name_changed("")

    def _name_changed(self, name: str) -> None:
        problem = name_problem(name) if name else None
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(bool(name) and problem is None)
        self.type_label.setText(self.tr("Component type: {type}").format(type=component_type(name)) if name
                                else self.tr("The name becomes the file components/<name>.json"))

    def component_title(self) -> Text:
        return Text(self.title_en.text().strip() or self.name.text(), self.title_zh.text().strip())


def ask_to_save_as_component(canvas, components: ProjectComponents, parent: QWidget) -> SaveComponentDialog | None:
    """Ask for a name and texts, then save ``canvas``'s selection as a component (:func:`save_as_component`).

    Dialogs are opened, never run modally in place, so the event loop goes on. Problems are shown
    on the canvas. None when there is nothing to save or no project to save into.
    """
    node_ids = canvas.selected_node_ids()
    if not node_ids:
        canvas.show_message(_tr("Select the nodes to save as a component first"))
        return None
    if components.folder is None:
        canvas.show_message(_tr("Open a project first: components are saved in its components folder"))
        return None
    one = canvas.graph.nodes[node_ids[0]] if len(node_ids) == 1 else None
    dialog = SaveComponentDialog(one.title if one is not None else "", parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def save(name: str, title: Text, description: str, overwrite: bool = False) -> None:
        if not shiboken.isValid(canvas):  # the graph's tab closed while a question was open
            return
        try:
            save_as_component(canvas, components, node_ids, name, title, description, overwrite=overwrite)
        except ComponentExistsError:
            _ask_to_replace(name, parent, lambda: save(name, title, description, True))
        except ComponentFileError as exc:
            canvas.show_message(str(exc))
        except OSError as exc:
            canvas.show_message(_tr("The component {name} was not saved: {reason}").format(
                name=name, reason=exc.strerror or exc))

    # The dialog is gone by the time a question about replacing is answered: read it when accepted.
    dialog.accepted.connect(lambda: save(dialog.name.text(), dialog.component_title(),
                                         dialog.description.toPlainText()))
    dialog.open()
    return dialog


def _ask_to_replace(name: str, parent: QWidget, replace: Callable[[], None]) -> None:
    box = QMessageBox(QMessageBox.Icon.Question, _tr("Replace component"),
                      _tr("There is already a component '{name}'. Replace it? Graphs that use it will use "
                          "the new one.").format(name=name),
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button) -> None:
        if box.standardButton(button) == QMessageBox.StandardButton.Yes:
            replace()

    box.buttonClicked.connect(answered)
    box.open()


if __name__ == "__main__":  # a preview: python -m model_designer.save_component
    from qtpy.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    preview = SaveComponentDialog("Velocity RMS")
    preview.accepted.connect(lambda: print(preview.name.text(), preview.component_title(),
                                           preview.description.toPlainText()))
    preview.show()
    app.exec()
