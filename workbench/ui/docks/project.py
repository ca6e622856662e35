"""The Project view: the open project's folder as a tree (left dock)."""

from __future__ import annotations

from qtpy.QtCore import QUrl
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import QWidget

from workbench.ui.project_explorer import ProjectExplorer
from workbench.ui.views import Area, ViewContext, register_view


@register_view("project", title=("Project", "项目"), area=Area.LEFT, order=10, width=280, height=420)
def project_view(context: ViewContext) -> QWidget:
    explorer = ProjectExplorer()
    explorer.observe(context.session)
    explorer.file_activated.connect(lambda path: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
    return explorer
