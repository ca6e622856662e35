"""Docks whose real views are still to come: each says in one sentence what will appear there.

They are registered as placeholders: a module that registers a real view under the same id
(``palette``) replaces them, and saved layouts keep the dock's place.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import QCoreApplication, QEvent, Qt
from qtpy.QtWidgets import QLabel, QWidget

from workbench.ui.views import Area, ViewContext, register_view


class EmptyState(QLabel):
    """What a dock shows before it has content: a short sentence, not a blank."""

    def __init__(self, text: Callable[[], str], parent: QWidget | None = None):
        super().__init__(parent)
        self._text = text  # called again on a language change
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.setEnabled(False)  # drawn in the disabled text colour of the theme
        self.setMargin(12)
        self.setText(text())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.setText(self._text())
        super().changeEvent(event)


# The sentences keep the "MainWindow" translation context they had before the docks moved
# out of the window, so the shipped zh_CN translations still apply.
@register_view("palette", title=("Palette", "组件库"), area=Area.RIGHT, order=30, width=300, height=320,
               placeholder=True)
def palette_placeholder(context: ViewContext) -> QWidget:
    return EmptyState(lambda: QCoreApplication.translate("MainWindow",
                                                         "Components appear here when a graph is open."))

