"""The Console view: a Python console on the open project's data, in a kernel process (bottom dock).

Tabbed behind the Log: the kernel starts the first time the tab is shown, never at start-up.
"""

from __future__ import annotations

from qtpy import shiboken
from qtpy.QtWidgets import QWidget

from workbench.ui.console_view import ConsoleView
from workbench.ui.views import Area, ViewContext, register_view


@register_view("console", title=("Console", "控制台"), area=Area.BOTTOM, order=70, tab_with="log", height=220)
def console_view(context: ViewContext) -> QWidget:
    session = context.session
    view = ConsoleView(session.project.root if session.project is not None else None)

    def follow(root) -> None:
        if shiboken.isValid(view):
            view.follow_project(root)

    session.opened.connect(lambda project: follow(project.root))
    session.closed.connect(lambda _project: follow(None))
    session.root_changed.connect(follow)
    return view
