"""The Palette view: the components to build graphs from (right dock, beside the device browser).

A chosen component (Enter or a double click) goes onto the canvas in front, at the middle of
what it shows; a drag puts it where it is dropped. The list follows the open project: its own
components (``components/*.json``) are listed under "Project" as soon as they are saved.
"""

from __future__ import annotations

from qtpy import shiboken
from qtpy.QtWidgets import QWidget

from model_designer.palette import PaletteView
from workbench.ui.views import Area, ViewContext, register_view


@register_view("palette", title=("Palette", "组件库"), area=Area.RIGHT, order=30, width=300, height=320)
def palette_view(context: ViewContext) -> QWidget:
    view = PaletteView(context.components.registry)
    context.components.changed.connect(lambda: shiboken.isValid(view) and view.refresh())

    def chosen(type_name: str) -> None:
        editor = context.editors.current_editor()
        if editor is None:
            context.window.statusBar().showMessage(view.tr("Open a graph first: double-click one in the "
                                                           "Project panel's graphs folder."), 5000)
            return
        canvas = editor.canvas
        middle = canvas.view.mapToScene(canvas.view.viewport().rect().center())
        canvas.add_node(type_name, (middle.x(), middle.y()))

    view.component_chosen.connect(chosen)
    return view
