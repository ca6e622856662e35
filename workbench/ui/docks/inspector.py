"""The Inspector view: the selected node's parameters, or the open project's properties (right dock).

Both are edited through undo commands: a node's parameters on its graph's undo history, the
project's properties on the project's.
"""

from __future__ import annotations

from typing import Any

from qtpy import shiboken
from qtpy.QtWidgets import QStackedWidget, QWidget

from model_designer.commands import SetParam
from model_designer.editor import GraphEditor
from model_designer.inspector import NodeInspector
from workbench.ui.project_inspector import ProjectInspector
from workbench.ui.views import Area, ViewContext, register_view


class Inspector(QStackedWidget):
    """The project's form, replaced by a node's form while a canvas has exactly one node selected."""

    def __init__(self, context: ViewContext):
        super().__init__()
        self.project = ProjectInspector(context.undo_stack)
        self.project.observe(context.session)
        self.registry = context.components.registry
        self.node = NodeInspector(self.registry, self._edit)
        self.addWidget(self.project)
        self.addWidget(self.node)
        self.editor: GraphEditor | None = None
        context.editors.current_editor_changed.connect(self.follow)
        context.components.changed.connect(lambda: shiboken.isValid(self) and self._components_changed())

    def follow(self, editor: GraphEditor | None) -> None:
        """Show what is selected on ``editor``'s canvas (None: the start page is in front)."""
        # The tab in front changes before a closed editor is deleted: the old one is still there.
        if self.editor is not None:
            self.editor.canvas.selection_changed.disconnect(self._selected)
        self.editor = editor
        if editor is not None:
            editor.canvas.selection_changed.connect(self._selected)
        self._selected(editor.canvas.selected_node_ids() if editor is not None else [])

    def _selected(self, node_ids: list[str]) -> None:
        if self.editor is not None and len(node_ids) == 1:
            self.node.show_node(self.editor.graph, node_ids[0], self.editor.canvas.inputs)
            self.setCurrentWidget(self.node)
        else:
            self.node.show_node(None, None)  # let go of the graph: it may close
            self.setCurrentWidget(self.project)

    def _components_changed(self) -> None:
        """A new node form: a NodeInspector reads the components' documentation once, when it is made."""
        old = self.node
        old.show_node(None, None)  # let go of the graph
        self.node = NodeInspector(self.registry, self._edit)
        self.addWidget(self.node)
        self.removeWidget(old)
        old.deleteLater()
        self._selected(self.editor.canvas.selected_node_ids() if self.editor is not None else [])

    def _edit(self, node_id: str, name: str, value: Any) -> None:
        if self.editor is not None:
            self.editor.undo_stack.push(SetParam(self.editor.graph, node_id, name, value))


@register_view("inspector", title=("Inspector", "属性"), area=Area.RIGHT, order=40, tab_with="palette", height=300)
def inspector_view(context: ViewContext) -> QWidget:
    return Inspector(context)
