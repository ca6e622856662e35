"""New app from graph: choose one of the project's graphs and an id; a derived manifest is written.

What ``millwright app new`` does, for the panel: the graph's inputs become typed inputs (the
project's ``bindings.yaml`` as suggested bindings), its outputs the app's outputs, the component
versions it was saved with its requirements (:func:`~app_packager.app_checks.derive_manifest`),
written to ``apps/<graph>/app.yaml``. An existing manifest is never replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qtpy.QtCore import QEvent
from qtpy.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QWidget


class NewAppDialog(QDialog):
    """Which graph, and the app's id (proposed from the project and graph names, to be replaced)."""

    def __init__(self, graphs: list[str], propose_id: Callable[[str], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.propose_id = propose_id
        self.graph = QComboBox(self)
        self.graph.addItems(graphs)
        self.app_id = QLineEdit(self)
        self.graph_label, self.id_label, self.note = QLabel(self), QLabel(self), QLabel(self)
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.graph_label, self.graph)
        form.addRow(self.id_label, self.app_id)
        form.addRow(self.note)
        form.addRow(self.buttons)
        self.graph.currentTextChanged.connect(self._propose)
        self._proposed = ""
        self._propose(self.graph.currentText())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(graphs))
        self.retranslate()

    def _propose(self, graph: str) -> None:
        # Replace the id only while the user has not typed one of their own.
        if self.app_id.text() in ("", self._proposed) and graph:
            self._proposed = self.propose_id(Path(graph).stem)
            self.app_id.setText(self._proposed)

    def chosen(self) -> tuple[str, str]:
        """(graph path, app id)."""
        return self.graph.currentText(), self.app_id.text().strip()

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("New app from graph"))
        self.graph_label.setText(self.tr("Graph"))
        self.id_label.setText(self.tr("App id"))
        self.note.setText(self.tr("The graph's inputs become the app's typed inputs (bindings.yaml gives the "
                                  "suggested bindings), its outputs the app's outputs. Replace com.example with a "
                                  "domain your organisation owns."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
