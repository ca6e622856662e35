"""One open graph file: its graph model, its canvas, its undo history and its saved state.

A :class:`GraphEditor` is what a canvas tab of the workbench holds. The graph model
(:class:`nodes.graph.Graph`) is the one source of truth; the canvas observes it and edits it
through undo commands on :attr:`undo_stack`, whose clean state is the file's saved state.
Saving writes ``Graph.to_text()`` atomically: a graph opened and saved unchanged is the same
bytes on disk.
"""

from __future__ import annotations

from pathlib import Path

from qtpy import shiboken
from qtpy.QtCore import Signal
from qtpy.QtGui import QUndoStack
from qtpy.QtWidgets import QVBoxLayout, QWidget

from model_designer.canvas import GraphCanvas
from nodes.atomic_file import atomic_write_text
from nodes.graph import Graph, load_graph
from nodes.registry import ComponentRegistry


class GraphEditor(QWidget):
    """The canvas of the graph in ``path``. ``dirty_changed(bool)`` follows the undo history."""

    dirty_changed = Signal(bool)

    def __init__(self, graph: Graph, path: Path, registry: ComponentRegistry, parent: QWidget | None = None,
                 undo_stack: QUndoStack | None = None):
        super().__init__(parent)
        self.graph, self.path, self.registry = graph, Path(path), registry
        self.undo_stack = undo_stack if undo_stack is not None else QUndoStack(self)  # a group's inside shares
        self.canvas = GraphCanvas(graph, registry, self.undo_stack, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        # A lambda, not the bound method: PySide6 6.11's method slots lose a reference (a crash when a
        # group's tab shares the stack). The stack, a child of this editor, can still announce a change
        # while both are being deleted: then this editor is no longer valid and says nothing.
        self.history_connection = self.undo_stack.cleanChanged.connect(
            lambda clean: shiboken.isValid(self) and self.dirty_changed.emit(not clean))

    @classmethod
    def open(cls, path: Path, registry: ComponentRegistry, parent: QWidget | None = None) -> GraphEditor:
        """The editor of the graph file ``path``; :class:`~nodes.graph.GraphFormatError` names what is wrong."""
        return cls(load_graph(Path(path)), path, registry, parent)

    @property
    def title(self) -> str:
        return self.graph.name or self.path.stem

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def save(self) -> None:
        """Write the graph to its file (whole or not at all) and mark the history clean."""
        atomic_write_text(self.path, self.graph.to_text())
        self.undo_stack.setClean()
