"""The Data view: the open project's recording store (or any store opened by path or URL) browsed,
plotted, annotated and exported (bottom dock, tabbed behind the Log)."""

from __future__ import annotations

from qtpy import shiboken
from qtpy.QtWidgets import QWidget

from workbench.ui.data_browser import DataBrowserView
from workbench.ui.data_recorder import RecordPanel
from workbench.ui.views import Area, ViewContext, register_view


@register_view("data", title=("Data", "数据"), area=Area.BOTTOM, order=55, tab_with="log", height=320)
def data_view(context: ViewContext) -> QWidget:
    session = context.session
    view = DataBrowserView()
    workspace = context.devices

    def store_path():
        from device_browser.store import project_store_path

        return project_store_path(session.project.root, create=True) if session.project is not None else None

    def recorded(_status) -> None:
        if shiboken.isValid(view) and session.project is not None:
            follow(session.project.root)  # opens the store if this recording created it, and lists it

    panel = RecordPanel(workspace.bus, lambda: [str(item.ref) for item in workspace.watch], store_path, view)
    panel.finished.connect(recorded)
    workspace.status_changed.connect(lambda device, status: shiboken.isValid(panel)
                                     and panel.device_status(device, status))
    for signal in (workspace.watch.inserted, workspace.watch.removed):  # the list follows the Watch list
        signal.connect(lambda *_: shiboken.isValid(panel) and not panel.running and panel.refresh_tags())
    view.layout().insertWidget(view.layout().count() - 1, panel)
    view.recorder = panel

    def follow(root) -> None:
        if shiboken.isValid(view):
            view.follow_project(root)

    session.opened.connect(lambda project: follow(project.root))
    session.closed.connect(lambda _project: follow(None))
    session.root_changed.connect(follow)
    if session.project is not None:
        follow(session.project.root)
    return view
