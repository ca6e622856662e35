"""The Log view: Python logging records, filterable and exportable (bottom dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from workbench.ui.log_panel import LogPanel
from workbench.ui.views import Area, ViewContext, register_view


@register_view("log", title=("Log", "日志"), area=Area.BOTTOM, order=60, height=220)
def log_view(context: ViewContext) -> QWidget:
    return LogPanel(context.log_capture)
