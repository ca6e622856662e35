"""The Outputs view: the newest rows and a plot of the outputs of the graph run in front (bottom dock)."""

from __future__ import annotations

from qtpy.QtWidgets import QWidget

from model_designer.sink_view import SinkView
from workbench.ui.views import Area, ViewContext, register_view


@register_view("outputs", title=("Outputs", "输出"), area=Area.BOTTOM, order=55, tab_with="log", height=220)
def outputs_view(context: ViewContext) -> QWidget:
    view = SinkView()
    editors = context.editors

    def follow() -> None:
        # The run bars make a new runner at each Run: show the one of the tab in front.
        editor = editors.current_editor()
        bar = editors.run_bars.get(editor) if editor is not None else None
        runner = bar.runner if bar is not None else None
        if runner is not view.runner:
            view.set_runner(runner)

    editors.current_editor_changed.connect(lambda _editor: follow())
    editors.run_changed.connect(lambda _editor: follow())
    return view
