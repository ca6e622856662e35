"""The Problems view: every problem of the graph in front, click to go to its node (bottom dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from model_designer.validation_panel import ValidationPanel
from workbench.ui.views import Area, ViewContext, register_view


@register_view("problems", title=("Problems", "问题"), area=Area.BOTTOM, order=65, tab_with="log", height=220)
def problems_view(context: ViewContext) -> QWidget:
    panel = ValidationPanel()
    context.editors.current_editor_changed.connect(panel.set_editor)
    return panel
