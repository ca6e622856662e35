"""The Apps view: the project's industrial apps, their manifests, builds and publishing (right dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from app_packager.new_app import default_app_id
from app_packager.ui.app_panel import AppPanel, PanelSetup
from app_packager.ui.panel_memory import PanelMemory
from workbench.app_publish_commands import default_catalog
from workbench.ui.views import Area, ViewContext, register_view


@register_view("apps", title=("Apps", "应用"), area=Area.RIGHT, order=70, tab_with="palette", width=320)
def apps_view(context: ViewContext) -> QWidget:
    session = context.session

    def propose_id(graph: str) -> str:
        return default_app_id(session.project.name if session.project else "project", graph)

    panel = AppPanel(PanelSetup(lambda: context.components.registry, propose_id, PanelMemory.load(),
                                default_catalog()))
    session.opened.connect(lambda project: panel.spawn(panel.show_project(project.root), "opening the project's apps"))
    session.root_changed.connect(lambda root: panel.spawn(panel.show_project(root), "following the project"))
    session.closed.connect(lambda _project: panel.spawn(panel.show_project(None), "closing the project's apps"))
    return panel
