"""The validation panel: every problem of the graph in front at once; click one to go to its node.

The problems are the engine's own (:func:`model_designer.composites.graph_problems`, i.e.
:func:`nodes.validation.validate` with groups inlined), recomputed a moment after the graph
stops changing, so an undo of a 50-node paste validates once.
"""

from __future__ import annotations

from qtpy.QtCore import QEvent, Qt, QTimer, Signal
from qtpy.QtWidgets import QLabel, QStyle, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from model_designer.composites import graph_problems
from nodes.validation import Problem

_SETTLE_MS = 150  # quiet time after the last edit before validating again
_NODE_ROLE = Qt.ItemDataRole.UserRole


class ValidationPanel(QWidget):
    """Problems of the graph of :meth:`set_editor`'s editor: severity, node, message.

    Click, Enter or double click on a problem selects its node on the canvas and centres it.
    ``problems_changed(int)`` gives the number of problems after each validation.
    """

    problems_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.editor = None
        self.problems: list[Problem] = []
        self._connections: list = []
        self.summary = QLabel(self)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemActivated.connect(self._go_to)
        self.tree.itemClicked.connect(self._go_to)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)
        self._timer = QTimer(self, singleShot=True, interval=_SETTLE_MS)
        self._timer.timeout.connect(self.revalidate)
        self.setFocusProxy(self.tree)
        self.retranslate()

    def set_editor(self, editor) -> None:
        """Follow ``editor`` (a :class:`~model_designer.editor.GraphEditor`), or nothing when None."""
        for signal, slot in self._connections:
            signal.disconnect(slot)
        self._connections = []
        self.editor = editor
        if editor is not None:
            graph = editor.graph
            for signal in (graph.node_added, graph.node_removed, graph.edge_added, graph.edge_removed,
                           graph.params_changed, graph.title_changed):
                signal.connect(self._graph_changed)
                self._connections.append((signal, self._graph_changed))
        self.revalidate()

    def _graph_changed(self, *_args) -> None:
        self._timer.start()

    def revalidate(self) -> None:
        """Validate the graph now and list what is wrong."""
        self._timer.stop()
        if self.editor is None:
            self.problems = []
        else:
            order = {"error": 0, "warning": 1}
            self.problems = sorted(graph_problems(self.editor.graph, self.editor.registry),
                                   key=lambda p: (order.get(p.severity, 2), p.node or "", p.port or ""))
        self._fill()
        self.problems_changed.emit(len(self.problems))

    def _fill(self) -> None:
        self.tree.clear()
        icons = {"error": self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
                 "warning": self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)}
        for problem in self.problems:
            node = f"{problem.node}.{problem.port}" if problem.node and problem.port else problem.node or ""
            item = QTreeWidgetItem([self._severity(problem.severity), node, problem.message])
            item.setIcon(0, icons.get(problem.severity, icons["warning"]))
            item.setData(0, _NODE_ROLE, problem.node)
            item.setToolTip(2, problem.message)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)
        self.tree.resizeColumnToContents(1)
        self._summarise()

    def _go_to(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        node_id = item.data(0, _NODE_ROLE)
        canvas = self.editor.canvas if self.editor is not None else None
        if canvas is None or node_id not in canvas.scene.nodes:
            return
        canvas.select([node_id])
        canvas.scene.sceneRect()  # grows the scrollable area now to a node added since the last repaint
        canvas.view.centerOn(canvas.scene.nodes[node_id])

    def _severity(self, severity: str) -> str:
        return {"error": self.tr("Error"), "warning": self.tr("Warning")}.get(severity, severity)

    def _summarise(self) -> None:
        if self.editor is None:
            self.summary.setText(self.tr("No graph is open"))
        elif not self.problems:
            self.summary.setText(self.tr("No problems: the graph can run"))
        else:
            errors = sum(1 for p in self.problems if p.severity == "error")
            self.summary.setText(self.tr("{errors} errors, {warnings} warnings").format(
                errors=errors, warnings=len(self.problems) - errors))

    def retranslate(self) -> None:
        self.tree.setHeaderLabels([self.tr("Severity"), self.tr("Node"), self.tr("Problem")])
        self._fill()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


if __name__ == "__main__":  # a preview: python -m model_designer.validation_panel
    import sys

    from qtpy.QtWidgets import QApplication, QSplitter

    from model_designer.editor import GraphEditor
    from nodes.registry import default_registry
    from nodes.resources import example_project

    app = QApplication(sys.argv)
    editor = GraphEditor.open(example_project() / "graphs" / "vibration_alarm.json", default_registry())
    editor.graph.disconnect(editor.graph.edges[0])
    editor.graph.set_param("alarm", "high", "high")
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(editor)
    panel = ValidationPanel()
    panel.set_editor(editor)
    splitter.addWidget(panel)
    splitter.resize(1000, 800)
    splitter.show()
    sys.exit(app.exec())
