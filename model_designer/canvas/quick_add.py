"""The quick-add box: Tab on the canvas, type part of a component's name (English or Chinese), Enter."""

from __future__ import annotations

from qtpy.QtCore import QEvent, QStringListModel, Qt, Signal
from qtpy.QtWidgets import QCompleter, QLineEdit, QWidget

from nodes.registry import ComponentRegistry

_SEPARATOR = " — "


def quick_add_entries(registry: ComponentRegistry) -> list[str]:
    """One line per component and language: ``"Exponential moving average — signal.ewma"``."""
    entries = []
    for cls in registry:
        for title in dict.fromkeys((cls.title.en, cls.title.zh)):
            if title:
                entries.append(f"{title}{_SEPARATOR}{cls.type_name}")
    return entries


class QuickAdd(QLineEdit):
    """A line edit with completion over component names; emits :attr:`chosen` with a type name.

    It lives inside the canvas (not a window of its own) and goes away on Escape or when it
    loses focus.
    """

    chosen = Signal(str)

    def __init__(self, registry: ComponentRegistry, parent: QWidget):
        super().__init__(parent)
        self.registry = registry
        self._done = False  # Enter in the popup may also reach the line edit: add once
        self.setPlaceholderText(self.tr("Add a component…"))
        self.setMinimumWidth(320)
        completer = QCompleter(QStringListModel(quick_add_entries(registry), self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(self._choose)
        self.setCompleter(completer)
        self.returnPressed.connect(lambda: self._choose(self.text()))

    def _choose(self, text: str) -> None:
        if self._done:
            return
        type_name = text.rpartition(_SEPARATOR)[2].strip()
        if type_name not in self.registry:
            matches = [entry for entry in quick_add_entries(self.registry) if text.lower() in entry.lower()]
            if not text or not matches:
                return
            type_name = matches[0].rpartition(_SEPARATOR)[2]  # Enter takes the first match, as in the popup
        self._done = True
        self.chosen.emit(type_name)
        self.dismiss()

    def dismiss(self) -> None:
        self._done = True
        self.completer().popup().hide()
        self.hide()
        self.deleteLater()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        if not self.completer().popup().isVisible() and event.reason() != Qt.FocusReason.PopupFocusReason:
            self.dismiss()

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.setPlaceholderText(self.tr("Add a component…"))
        super().changeEvent(event)
