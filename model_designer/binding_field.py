"""The inspector's "Bound to" row of a graph input: which device tag feeds it, and changing that.

The tag is typed (``device/point`` or ``device@address``), dropped from the device browser or
the watch list, or cleared; each change writes the project's ``bindings.yaml`` through the
graph's :class:`~model_designer.input_bindings.InputBindings`, and the row follows that model,
so a change made elsewhere (another graph's canvas, the file edited by hand) shows here too.
Under the tag: its unit and whether its device is in the project; in red, why it cannot feed
the input (a unit of another dimension, a device the project does not have).
"""

from __future__ import annotations

from qtpy import shiboken
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from device_browser.tags import BindingError, TagRef
from device_browser.ui.tag_mime import TAG_MIME, tags_from_mime
from device_browser.units import display_symbol
from model_designer.input_bindings import InputBindings
from nodes.graph import Graph

PROBLEM_STYLE = "color: #c62828;"  # why a value is refused (the inspector's fields too)
ERROR_STYLE = "border: 1px solid #c62828;"  # around the refused value


class TagEdit(QLineEdit):
    """A line for a tag reference that also takes a tag dropped on it (``dropped(TagRef)``)."""

    dropped = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(TAG_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(TAG_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        refs = tags_from_mime(event.mimeData())
        if not refs:
            super().dropEvent(event)
            return
        event.acceptProposedAction()
        self.dropped.emit(refs[0])  # an input reads one tag: the first of several dropped


class BindingField(QWidget):
    """The tag bound to input ``node_id`` of ``graph``, editable; call :meth:`detach` before dropping it."""

    def __init__(self, inputs: InputBindings, graph: Graph, node_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.inputs, self.graph, self.node_id = inputs, graph, node_id
        self.editor = TagEdit()
        self.editor.editingFinished.connect(lambda: self.bind_text(self.editor.text()))
        self.editor.dropped.connect(self.bind)
        self.clear_button = QToolButton()
        self.clear_button.clicked.connect(self.clear)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(PROBLEM_STYLE)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.editor)
        line.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.note)
        layout.addWidget(self.message)
        self.setFocusProxy(self.editor)
        inputs.connect(self._bindings_changed)
        self.retranslate()
        self.refresh()

    def detach(self) -> None:
        """Stop following the bindings and devices (the row is about to go)."""
        self.inputs.disconnect(self._bindings_changed)

    # -- edits ---------------------------------------------------------------------------------------
    def bind_text(self, text: str) -> None:
        """Bind the input to the tag typed (``device/point``); empty text unbinds it."""
        text = text.strip()
        _, current = self._binding()
        if current is not None and text == str(current):
            self.show_problems()  # unchanged: forget a refused text shown before
            return
        if not text:
            self.clear()
            return
        try:
            ref = TagRef.parse(text)
        except BindingError as exc:
            self.show_problems(str(exc))
            return
        self.bind(ref)

    def bind(self, ref: TagRef) -> None:
        self._edit(lambda node: self.inputs.bind(node, ref))

    def clear(self) -> None:
        self._edit(self.inputs.clear)

    def _edit(self, change) -> None:
        node = self.graph.nodes.get(self.node_id)
        if node is None:
            return
        try:
            change(node)
        except BindingError as exc:
            self.show_problems(str(exc))
            return
        self.refresh()  # also when nothing changed: the typed text goes back to the bound tag

    # -- what is shown -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the bound tag, its unit and device, and what is wrong with it."""
        _, ref = self._binding()
        self.editor.blockSignals(True)
        self.editor.setText(str(ref) if ref else "")
        self.editor.blockSignals(False)
        self.clear_button.setEnabled(ref is not None)
        self.note.setText(self._note(ref))
        self.show_problems()

    def _binding(self) -> tuple[str, TagRef | None]:
        node = self.graph.nodes.get(self.node_id)
        return self.inputs.tag_of(node) if node is not None else ("", None)

    def _note(self, ref: TagRef | None) -> str:
        if ref is None:
            return self.tr("Not bound: a live run cannot feed this input.")
        unit = self.inputs.resolved(ref).unit
        parts = [self.tr("in {unit}").format(unit=display_symbol(unit)) if unit else self.tr("unit not known")]
        if self.inputs.has_device(ref.device):
            parts.append(self.tr("device {device} is in the project").format(device=ref.device))
        return " · ".join(parts)

    def show_problems(self, refused: str | None = None) -> None:
        """Show in red why the tag cannot feed the input, after ``refused`` (why a change did not happen)."""
        problems = [refused] if refused else []
        node = self.graph.nodes.get(self.node_id)
        _, ref = self._binding()
        if node is not None and ref is not None:
            if self.inputs.has_device(ref.device) is False:
                problems.append(self.tr("The project has no device '{device}'.").format(device=ref.device))
            unit_problem = self.inputs.problem(node)
            if unit_problem:
                problems.append(unit_problem)
        self.message.setText("\n".join(problems))
        self.message.setVisible(bool(problems))
        self.editor.setStyleSheet(ERROR_STYLE if problems else "")

    def problem(self) -> str | None:
        """What the row shows in red, or None."""
        return self.message.text() if self.message.isVisibleTo(self) else None

    def _bindings_changed(self) -> None:
        if shiboken.isValid(self):  # the model outlives rows: one being deleted says nothing
            self.refresh()

    def retranslate(self) -> None:
        self.editor.setPlaceholderText(self.tr("device/point, or drop a tag here"))
        self.editor.setToolTip(self.tr("The device tag that feeds this input in a live run, from the project's "
                                       "bindings.yaml: type device/point or device@address, or drop a tag from "
                                       "the device browser"))
        self.clear_button.setText(self.tr("Clear"))
        self.clear_button.setToolTip(self.tr("Unbind this input"))
