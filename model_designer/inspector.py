"""The Inspector dock's widget: the selected node's parameters and its component's documentation.

The form is generated from the component's ``params`` declaration. Edits are checked inline
(:meth:`Param.check`, then :meth:`Component.check_params`) and only an acceptable change goes
to the ``edit`` callback, which the canvas turns into an undo command; the form then follows
the graph's ``params_changed`` event, so undo and redo show up here without extra wiring.
Text fields are checked as they are typed, and a component that binds to the units wired into
it (a formula) also says under the field what those units make of the value ("the formula gives
m⁴/h, which cannot be shown in kW").

A graph input of a graph opened for a project also has a "Bound to" row
(:class:`~model_designer.binding_field.BindingField`): the device tag that feeds it, from the
project's bindings. Renaming the input (its column) keeps it bound to its tag.
"""

from __future__ import annotations

import html
import json
import math
import re
import sys
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from qtpy.QtGui import QValidator
from qtpy.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from device_browser.tags import BindingError
from model_designer.binding_field import ERROR_STYLE, PROBLEM_STYLE, BindingField
from model_designer.catalog import Catalog, CatalogEntry, DocBlock
from model_designer.input_bindings import InputBindings
from model_designer.palette import ui_language
from nodes.component import Component, Param, ParamError, Port, derived_unit, unit_source
from nodes.engine import INPUT_TYPE
from nodes.graph import Edge, Graph, Node
from nodes.registry import ComponentRegistry, default_registry
from nodes.units import UnitError, parse
from nodes.validation import validate

_PARTIAL_NUMBER = re.compile(r"[+-]?\d*\.?\d*([eE][+-]?\d*)?")
_PARTIAL_INTEGER = re.compile(r"[+-]?\d*")


class NumberBox(QDoubleSpinBox):
    """A spin box for a float or int parameter of any magnitude (1e-9 Hz to 1e9 Hz).

    Typing is not clamped to the declared range: an out-of-range value stays visible and the
    inspector says why it is refused, where a silent clamp would hide the mistake. The arrows
    step within the declared range. ``stepped`` tells that an arrow step changed the value.
    """

    stepped = Signal()

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self.integer = param.type == "int"
        self.setDecimals(0 if self.integer else 323)  # 323: Qt's most; our text, not Qt's, shows the value
        self.setRange(-sys.float_info.max, sys.float_info.max)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)
        self.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToPreviousValue)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the wheel scrolls the form; it changes a value only in the focused field

    def number(self) -> float | int:
        """The typed number; ValueError when the text is not one."""
        text = self.cleanText().strip()
        if self.integer:
            value = float(text)
            if not value.is_integer():
                raise ValueError(text)
            return int(value)
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value

    def textFromValue(self, value: float) -> str:
        if self.integer:
            return str(round(value))
        short = f"{value:g}"
        return short if float(short) == value else repr(value)

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, position: int):
        core = text.removeprefix(self.prefix()).removesuffix(self.suffix()).strip()
        try:
            float(core)
            state = QValidator.State.Acceptable
        except ValueError:
            partial = _PARTIAL_INTEGER if self.integer else _PARTIAL_NUMBER
            state = QValidator.State.Intermediate if partial.fullmatch(core) else QValidator.State.Invalid
        return state, text, position

    def stepBy(self, steps: int) -> None:
        before = self.value()
        super().stepBy(steps)
        value = self.value()
        low = -math.inf if self.param.minimum is None else self.param.minimum
        high = math.inf if self.param.maximum is None else self.param.maximum
        if not self.integer:
            value = float(f"{value:.12g}")  # no 0.30000000000000004 from adding steps
        self.setValue(min(max(value, low), high))
        if self.value() != before:
            self.stepped.emit()


class ChoiceBox(QComboBox):
    """A combo box that, like :class:`NumberBox`, leaves the wheel to the form unless focused."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class ParamField(QWidget):
    """One parameter's editor and, under it, why the last value was refused."""

    committed = Signal(str, object)

    def __init__(self, param: Param, parent: QWidget | None = None):
        super().__init__(parent)
        self.param = param
        self.editor = self._make_editor()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(PROBLEM_STYLE)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.editor)
        layout.addWidget(self.message)
        self.setFocusProxy(self.editor)

    def _make_editor(self) -> QWidget:
        kind = self.param.type
        if kind in ("float", "int"):
            editor = NumberBox(self.param)
            editor.editingFinished.connect(self._commit)
            editor.stepped.connect(self._commit)
        elif kind == "choice":
            editor = ChoiceBox()
            editor.addItems(list(self.param.choices))
            editor.activated.connect(self._commit)
        elif kind == "bool":
            editor = QCheckBox()
            editor.clicked.connect(self._commit)
        else:  # str, unit, floats
            editor = QLineEdit()
            editor.editingFinished.connect(self._commit)
            if kind == "unit":
                editor.textEdited.connect(self._check_unit)
        return editor

    def set_value(self, value: Any) -> None:
        """Show the model's value (no commit) and forget any refused value."""
        editor = self.editor
        editor.blockSignals(True)
        if isinstance(editor, NumberBox) and isinstance(value, (int, float)) and not isinstance(value, bool):
            editor.setValue(value)
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(editor.findText(str(value)))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QLineEdit):
            editor.setText(", ".join(f"{x:g}" for x in value) if isinstance(value, list) else str(value))
        editor.blockSignals(False)
        self.show_problem(None)

    def set_unit(self, unit: str) -> None:
        if isinstance(self.editor, NumberBox):
            self.editor.setSuffix(f" {unit}" if unit else "")

    def value(self) -> Any:
        """The value in the editor; ValueError with a reason when it cannot be one."""
        editor = self.editor
        if isinstance(editor, NumberBox):
            try:
                return editor.number()
            except ValueError:
                raise ValueError(self.tr("must be a whole number") if editor.integer
                                 else self.tr("must be a number")) from None
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        text = editor.text().strip()
        if self.param.type == "floats":
            try:
                return [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
            except ValueError:
                raise ValueError(self.tr("must be numbers separated by commas")) from None
        if self.param.type == "unit":
            try:
                parse(text)
            except UnitError as exc:
                raise ValueError(str(exc)) from None
        return text

    def show_problem(self, text: str | None) -> None:
        self.message.setText(text or "")
        self.message.setVisible(bool(text))
        self.editor.setStyleSheet(ERROR_STYLE if text else "")

    def problem(self) -> str | None:
        return self.message.text() if self.message.isVisibleTo(self) else None

    def _commit(self, *_args) -> None:
        try:
            value = self.value()
        except ValueError as exc:
            self.show_problem(str(exc))
            return
        self.committed.emit(self.param.name, value)

    def _check_unit(self, text: str) -> None:
        try:
            parse(text)
            self.show_problem(None)
        except UnitError as exc:
            self.show_problem(str(exc))


class NodeInspector(QWidget):
    """The parameters of one node of a graph as a form, above its component's documentation.

    ``edit(node_id, name, value)`` is called once per accepted change; it must change the graph
    (through an undo command), whose ``params_changed`` event then refreshes the form.
    """

    def __init__(self, registry: ComponentRegistry, edit: Callable[[str, str, Any], None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.registry = registry
        self.catalog = Catalog(registry)
        self._edit = edit
        self.graph: Graph | None = None
        self.node_id: str | None = None
        self.inputs: InputBindings | None = None
        self.fields: dict[str, ParamField] = {}
        self.binding: BindingField | None = None
        # Text fields are checked as they are typed, once typing pauses (the check may validate the graph).
        self._typed: str | None = None
        self._wiring_shown: set[str] = set()  # fields whose message comes from the wiring, not a refused value
        self._typed_timer = QTimer(self)
        self._typed_timer.setSingleShot(True)
        self._typed_timer.setInterval(150)
        self._typed_timer.timeout.connect(self._check_typed)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setSizeAdjustPolicy(QScrollArea.SizeAdjustPolicy.AdjustToContents)  # first layout: the whole form
        self.documentation = QTextBrowser()
        self.documentation.setOpenExternalLinks(True)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.scroll)
        self.splitter.addWidget(self.documentation)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.splitter)
        self.show_node(None, None)

    # -- what is shown ---------------------------------------------------------------------------
    def show_node(self, graph: Graph | None, node_id: str | None, inputs: InputBindings | None = None) -> None:
        """Inspect ``graph.nodes[node_id]``; None (or an id not in the graph) empties the inspector.

        ``inputs`` are the graph's input bindings (the canvas's), for a graph input's "Bound to" row.
        """
        self.inputs = inputs
        if graph is not self.graph:
            self._follow(self.graph, False)
            self._follow(graph, True)
        self.graph = graph
        self.node_id = node_id if graph is not None and node_id in graph.nodes else None
        self._build()

    def _follow(self, graph: Graph | None, on: bool) -> None:
        if graph is None:
            return
        for signal, slot in ((graph.params_changed, self._params_changed), (graph.node_removed, self._node_removed),
                             (graph.edge_added, self._wiring_changed), (graph.edge_removed, self._wiring_changed)):
            if on:
                signal.connect(slot)
            else:
                signal.disconnect(slot)

    def _node(self) -> Node | None:
        return self.graph.nodes.get(self.node_id) if self.graph is not None and self.node_id else None

    def _component(self) -> type[Component] | None:
        node = self._node()
        return self.registry.get(node.type) if node is not None else None

    def _build(self) -> None:
        # A new form per node: the scroll area sizes a new widget right, a refilled one it does not.
        self._typed_timer.stop()
        if self.binding is not None:
            self.binding.detach()
            self.binding = None
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.scroll.setWidget(self.form_host)
        self.fields = {}
        node, cls = self._node(), self._component()
        self.splitter.setVisible(node is not None)
        if node is None:
            self.heading.setText(self.tr("Select a node on the canvas to see its parameters and documentation."))
            return
        if cls is None:
            self._build_missing(node)
            return
        entry = self.catalog.get(cls.type_name)
        language = ui_language()
        self.heading.setText(f"<b>{html.escape(node.title or entry.title.get(language))}</b> "
                             f"<small>({html.escape(node.id)})</small>")
        for param in cls.params:
            field = ParamField(param)
            field.committed.connect(self._commit)
            label = QLabel(param.title.get(language) or param.name)
            label.setBuddy(field.editor)
            label.setToolTip(self._param_tooltip(param, language))
            field.editor.setToolTip(label.toolTip())
            self.form.addRow(label, field)
            self.fields[param.name] = field
            if isinstance(field.editor, QLineEdit) and param.type in ("str", "unit"):
                field.editor.textEdited.connect(lambda _text, name=param.name: self._typed_changed(name))
        if not cls.params:
            self.form.addRow(QLabel(self.tr("This component has no parameters.")))
        self._add_binding_row(node)
        self.documentation.setHtml(self._documentation_html(entry, language))
        self._refresh()
        QTimer.singleShot(0, self, self._fit_form)  # once the new rows are shown and laid out

    def _add_binding_row(self, node: Node) -> None:
        inputs = self.inputs
        if node.type != INPUT_TYPE or inputs is None:
            return
        inputs.bindings.refresh()  # the file may have been edited by hand
        self.binding = BindingField(inputs, self.graph, node.id)
        label = QLabel(self.tr("Bound to"))
        label.setBuddy(self.binding.editor)
        self.form.addRow(label, self.binding)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self, self._fit_form)  # a hidden dock had no height to share out

    def _fit_form(self) -> None:
        """Give the form the height it needs, up to two thirds; the documentation scrolls."""
        total = sum(self.splitter.sizes())
        if total:
            form = min(self.form_host.sizeHint().height() + 8, total * 2 // 3)
            self.splitter.setSizes([form, total - form])

    def _build_missing(self, node: Node) -> None:
        close = self.registry.close_matches(node.type)
        hint = self.tr("Did you mean {names}?").format(names=", ".join(close)) if close else ""
        self.heading.setText("<b>{}</b><br>{} {}".format(
            html.escape(node.id),
            html.escape(self.tr("The component type '{type}' is not installed; the node keeps its parameters and "
                                "is saved unchanged.").format(type=node.type), quote=False),
            html.escape(hint, quote=False)))
        for name, value in sorted(node.params.items()):
            shown = QLineEdit(json.dumps(value, ensure_ascii=False))
            shown.setReadOnly(True)
            self.form.addRow(QLabel(name), shown)
        self.documentation.clear()

    def _refresh(self) -> None:
        """The model's values and the units they are in (which may follow the wiring)."""
        node, cls = self._node(), self._component()
        if node is None or cls is None:
            return
        values = self._values(node, cls)
        units = self._param_units(cls, values)
        for name, field in self.fields.items():
            field.set_value(values.get(name))
            field.set_unit(units.get(name, ""))
        self._wiring_shown = set()
        self._show_wiring(self._wiring_problems(cls, values))
        if self.binding is not None:
            self.binding.refresh()

    @staticmethod
    def _values(node: Node, cls: type[Component]) -> dict[str, Any]:
        saved = cls.migrate_params(dict(node.params), node.version)
        return {p.name: saved.get(p.name, p.default) for p in cls.params}

    def _param_units(self, cls: type[Component], values: dict[str, Any]) -> dict[str, str]:
        """Each parameter's unit; ``=x`` resolved from what is wired into input x, when it is."""
        units = {p.name: p.unit for p in cls.params}
        if not any(unit_source(u) for u in units.values()):
            return units
        input_units = validate(self.graph, self.registry).input_units  # never raises for a bad graph
        for name, unit in units.items():
            source = unit_source(unit)
            if unit.startswith("="):
                base = input_units.get((self.node_id, source))
                units[name] = "" if base is None else derived_unit(unit, base)
            elif unit.startswith("@"):
                units[name] = str(values.get(source, ""))
        return units

    def _wiring_problems(self, cls: type[Component], values: dict[str, Any]) -> dict[str, str]:
        """What the units wired in say of these values (a formula that gives m⁴/h shown in kW), by parameter.

        Only for a component that binds to its input units (:meth:`Component.with_input_units`):
        the others need no look at the graph.
        """
        if getattr(cls.with_input_units, "__func__", None) is Component.with_input_units.__func__:
            return {}
        input_units = validate(self.graph, self.registry).input_units  # never raises for a bad graph
        units = {p.name: input_units[(self.node_id, p.name)] for p in cls.inputs
                 if (self.node_id, p.name) in input_units}
        try:
            cls.with_input_units(values, units)
        except ParamError as exc:
            return dict(exc.problems)
        return {}

    def _show_wiring(self, problems: dict[str, str], typed: str | None = None) -> None:
        """Show what the wiring says under each field, and clear what it said before and no longer says.

        A field that shows its own refusal (a value that cannot be one) keeps it; ``typed`` is the
        field being typed in, whose message :meth:`_check_typed` sets.
        """
        for name, field in self.fields.items():
            if name == typed:
                continue
            own = name not in self._wiring_shown and field.problem() is not None
            if name in problems and not own:
                field.show_problem(problems[name])
                self._wiring_shown.add(name)
            elif name in self._wiring_shown and name not in problems:
                field.show_problem(None)
                self._wiring_shown.discard(name)

    def _typed_changed(self, name: str) -> None:
        self._typed = name
        self._typed_timer.start()

    def _check_typed(self) -> None:
        """Say under a text field what is wrong with what is typed so far, before it is committed."""
        node, cls = self._node(), self._component()
        field = self.fields.get(self._typed or "")
        if node is None or cls is None or field is None:
            return
        try:
            value = field.value()
        except ValueError as exc:
            field.show_problem(str(exc))
            return
        name = field.param.name
        values = self._values(node, cls)
        reason = self._reason_refused(cls, values, name, value)
        wiring = {} if reason is not None else self._wiring_problems(cls, {**values, name: value})
        field.show_problem(reason or wiring.get(name))
        self._wiring_shown.discard(name)
        if name in wiring:
            self._wiring_shown.add(name)
        self._show_wiring(wiring, typed=name)

    # -- edits ------------------------------------------------------------------------------------
    def _commit(self, name: str, value: Any) -> None:
        node, cls = self._node(), self._component()
        if node is None or cls is None:
            return
        values = self._values(node, cls)
        current = values[name]
        if value == current and isinstance(value, bool) == isinstance(current, bool):  # 10 == 10.0: no edit
            self._wiring_shown.discard(name)
            self._show_wiring(self._wiring_problems(cls, values))
            return
        reason = self._reason_refused(cls, values, name, value)
        self.fields[name].show_problem(reason)
        self._wiring_shown.discard(name)
        if reason is None:
            self._edit(node.id, name, value)
            if name == "column" and self.binding is not None:
                self._follow_rename(str(current) or node.id, str(value) or node.id)

    def _follow_rename(self, old: str, new: str) -> None:
        """A renamed input keeps its tag (see :meth:`InputBindings.follow_rename`)."""
        try:
            self.binding.inputs.follow_rename(old, new)
        except BindingError as exc:
            self.binding.show_problems(str(exc))

    @staticmethod
    def _reason_refused(cls: type[Component], values: dict[str, Any], name: str, value: Any) -> str | None:
        declared = next(p for p in cls.params if p.name == name)
        reason = declared.check(value)
        if reason:
            return reason
        problems: dict[str, str] = {}
        cls.check_params({**values, name: value}, problems)
        if name in problems:
            return problems[name]
        # A rule between parameters may blame the other one (low above high): refuse this edit all the same.
        others = [f"{_title(cls, other)} {text}" for other, text in problems.items()]
        return "; ".join(others) or None

    def _params_changed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self._refresh()

    def _node_removed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.show_node(self.graph, None)

    def _wiring_changed(self, edge: Edge) -> None:
        if self.node_id in (edge.source, edge.target):
            self._refresh()

    # -- language ----------------------------------------------------------------------------------
    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._build()
        super().changeEvent(event)

    # -- documentation --------------------------------------------------------------------------------
    def _param_tooltip(self, param: Param, language: str) -> str:
        lines = [param.description.get(language), f"{param.name} ({param.type})"]
        if param.minimum is not None and param.maximum is not None:
            lines.append(self.tr("from {low:g} to {high:g}").format(low=param.minimum, high=param.maximum))
        elif param.minimum is not None:
            lines.append(self.tr("at least {low:g}").format(low=param.minimum))
        elif param.maximum is not None:
            lines.append(self.tr("at most {high:g}").format(high=param.maximum))
        if unit_source(param.unit) and param.unit.startswith("="):
            lines.append(self.tr("in the unit of input '{port}'").format(port=unit_source(param.unit)))
        return "\n".join(line for line in lines if line)

    def _documentation_html(self, entry: CatalogEntry, language: str) -> str:
        doc = entry.doc
        parts = [f"<h3>{html.escape(entry.title.get(language))}</h3>",
                 f"<p><tt>{html.escape(entry.type_name)}</tt> · {html.escape(entry.origin)}</p>",
                 f"<p>{_inline(doc.summary)}</p>"]
        if entry.formula and not any(b.kind == "literal" for b in doc.body):
            formula = self.tr("Formula")  # outside the f-string: lupdate does not look inside one
            parts += [f"<h4>{formula}</h4>", _pre(entry.formula)]
        parts.append(_blocks_html(doc.body))
        for heading, ports in ((self.tr("Inputs"), entry.inputs), (self.tr("Outputs"), entry.outputs)):
            if ports:
                parts += [f"<h4>{heading}</h4>", self._ports_html(ports, language)]
        for name, blocks in doc.sections.items():
            if name != "Examples":  # doctests are for developers, not for the plant engineer
                parts += [f"<h4>{html.escape(_section_title(name))}</h4>", _blocks_html(blocks)]
        return "".join(parts)

    def _ports_html(self, ports: tuple[Port, ...], language: str) -> str:
        rows = "".join(f"<tr><td><tt>{html.escape(p.name)}</tt></td><td>{html.escape(p.title.get(language))}</td>"
                       f"<td>{html.escape(_kind_text(p.kind.value))}</td><td>{html.escape(self._unit_text(p.unit))}</td>"
                       "</tr>" for p in ports)
        head = "".join(f"<th align='left'>{html.escape(h)}</th>"
                       for h in (self.tr("Port"), self.tr("Title"), self.tr("Kind"), self.tr("Unit")))
        return f"<table cellspacing='0' cellpadding='4'><tr>{head}</tr>{rows}</table>"

    def _unit_text(self, unit: str) -> str:
        if unit == "*":
            return self.tr("any unit")
        if unit.startswith("="):
            source = unit_source(unit)
            base = self.tr("unit of {port}").format(port=source)
            rest = unit[len(source) + 1:]  # "=x/s": a derivative's unit
            return f"({base}){rest}" if rest else base
        if unit.startswith("@"):
            return self.tr("unit set by '{param}'").format(param=unit_source(unit))
        return unit or self.tr("dimensionless")


def _kind_text(kind: str) -> str:
    # Literal translate() calls, so that lupdate finds each word.
    words = {"signal": QCoreApplication.translate("NodeInspector", "signal"),
             "boolean": QCoreApplication.translate("NodeInspector", "boolean signal"),
             "scalar": QCoreApplication.translate("NodeInspector", "scalar"),
             "spectrum": QCoreApplication.translate("NodeInspector", "spectrum"),
             "table": QCoreApplication.translate("NodeInspector", "table"),
             "events": QCoreApplication.translate("NodeInspector", "events")}
    return words.get(kind, kind)


def _section_title(name: str) -> str:
    titles = {"References": QCoreApplication.translate("NodeInspector", "References"),
              "Notes": QCoreApplication.translate("NodeInspector", "Notes")}
    return titles.get(name, name)


def _title(cls: type[Component], name: str) -> str:
    param = next((p for p in cls.params if p.name == name), None)
    return param.title.get(ui_language()) if param is not None and param.title.en else name


def _inline(text: str) -> str:
    """reST inline markup to HTML: ``code`` in monospace, *emphasis* in italics."""
    pieces = re.split(r"``(.+?)``", text)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(f"<code>{html.escape(piece)}</code>")
        else:
            out.append(re.sub(r"\*([^*\s][^*]*)\*", r"<i>\1</i>", html.escape(piece)))
    return "".join(out)


def _pre(text: str) -> str:
    return f"<pre style='white-space: pre-wrap'>{html.escape(text)}</pre>"


def _blocks_html(blocks: tuple[DocBlock, ...]) -> str:
    out, bullets = [], []
    for block in (*blocks, DocBlock("end", "")):
        if block.kind == "bullet":
            bullets.append(f"<li>{_inline(block.text)}</li>")
            continue
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        if block.kind == "paragraph":
            out.append(f"<p>{_inline(block.text)}</p>")
        elif block.kind in ("literal", "table"):
            out.append(_pre(block.text))
    return "".join(out)


if __name__ == "__main__":  # a preview: python -m model_designer.inspector
    from nodes.graph import load_graph
    from nodes.resources import resources_dir

    app = QApplication.instance() or QApplication([])
    example = load_graph(resources_dir() / "examples" / "pump_station" / "graphs" / "vibration_alarm.json")
    inspector = NodeInspector(default_registry(), example.set_param)
    inspector.show_node(example, "band")
    inspector.resize(420, 760)
    inspector.show()
    app.exec()
