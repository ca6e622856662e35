"""The Scripts view: the open project's Python components, edited, reloaded on save and tried on data.

Building it also sets up what script components need in the workbench whether or not the dock is
shown (:class:`~workbench.ui.script_support.ScriptSupport`): the "Trust this folder?" question
when a project with Python in ``components/`` opens, the file watcher that hot-reloads them, and
the canvases following each reload.
"""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from workbench.ui.script_editor import ScriptEditorView
from workbench.ui.script_support import ScriptSupport
from workbench.ui.views import Area, ViewContext, register_view


@register_view("scripts", title=("Scripts", "脚本"), area=Area.BOTTOM, order=75, tab_with="log", height=260)
def scripts_view(context: ViewContext) -> QWidget:
    support = ScriptSupport(context.components, context.editors, context.window)
    view = ScriptEditorView(context.components, support)
    support.setParent(view)  # one life: the view's
    return view
