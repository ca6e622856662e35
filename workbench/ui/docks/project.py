"""The Project view: the open project's folder as a tree (left dock)."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import QUrl
from qtpy.QtGui import QDesktopServices
from qtpy.QtWidgets import QWidget

from workbench.ui.project_explorer import ProjectExplorer
from workbench.ui.views import Area, ViewContext, register_view


@register_view("project", title=("Project", "项目"), area=Area.LEFT, order=10, width=280, height=420)
def project_view(context: ViewContext) -> QWidget:
    explorer = ProjectExplorer()
    explorer.observe(context.session)
    def activated(path: Path) -> None:
        # A graph opens on a canvas; any other file in the application the desktop has for it.
        if path.suffix == ".json" and path.parent.name == "graphs":
            context.window.spawn(context.editors.open_graph_file(path))
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    explorer.file_activated.connect(activated)
    return explorer
