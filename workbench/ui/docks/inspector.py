"""The Inspector view: properties of the open project, edited through undo commands (right dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from workbench.ui.project_inspector import ProjectInspector
from workbench.ui.views import Area, ViewContext, register_view


@register_view("inspector", title=("Inspector", "属性"), area=Area.RIGHT, order=40, tab_with="palette", height=300)
def inspector_view(context: ViewContext) -> QWidget:
    inspector = ProjectInspector(context.undo_stack)
    inspector.observe(context.session)
    return inspector
