"""The inspector checks a formula as it is typed (syntax and refusals, then the units wired in); the canvas and
the Problems panel name a formula node the wiring refuses."""

from __future__ import annotations

import pytest
from qtpy.QtCore import Qt

from model_designer.editor import GraphEditor
from model_designer.inspector import NodeInspector
from model_designer.validation_panel import ValidationPanel
from nodes.graph import Graph
from nodes.registry import default_registry
from tests.gui.test_node_inspector import Edits

PUMP = "flow * head * 9.81[m/s^2] * 1000[kg/m^3] / eta"


@pytest.fixture
def graph():
    graph = Graph("pump")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("head", "io.input", {"column": "head", "unit": "m"})
    graph.add_node("eta", "io.input", {"column": "eta", "unit": "%"})
    graph.add_node("power", "signal.formula", {"expression": PUMP, "names": "flow, head, eta", "output_unit": "kW"})
    for i, source in enumerate(("flow", "head", "eta"), start=1):
        graph.connect(f"{source}.y", f"power.x{i}")
    return graph


@pytest.fixture
def inspector(qtbot, graph):
    edits = Edits()
    edits.graph = graph
    view = NodeInspector(default_registry(), edits)
    view.edits = edits
    qtbot.addWidget(view)
    view.show_node(graph, "power")
    return view


def typed(qtbot, inspector, name: str, text: str) -> None:
    """Replace a field's text by typing, as a user does, without pressing Enter."""
    editor = inspector.fields[name].editor
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor, text)


def shown(inspector, name: str) -> str | None:
    return inspector.fields[name].problem()


def test_a_refused_token_is_named_while_typing(qtbot, inspector):
    assert shown(inspector, "expression") is None
    typed(qtbot, inspector, "expression", "flow.__class__")
    qtbot.waitUntil(lambda: shown(inspector, "expression") is not None, timeout=5000)
    assert "'__class__' at column 6 is not allowed" in shown(inspector, "expression")
    assert inspector.edits.calls == []  # nothing is committed while typing
    typed(qtbot, inspector, "expression", "flow * hed")
    qtbot.waitUntil(lambda: "'hed' at column 8" in (shown(inspector, "expression") or ""), timeout=5000)
    assert "did you mean 'head'?" in shown(inspector, "expression")


def test_units_are_checked_while_typing_and_stay_shown_after_the_edit(qtbot, inspector, graph):
    typed(qtbot, inspector, "expression", "flow * head * 9.81 / eta")
    qtbot.waitUntil(lambda: shown(inspector, "expression") is not None, timeout=5000)
    assert "the formula gives m⁴/h, which cannot be shown in kW" in shown(inspector, "expression")
    # Enter commits it (it is a formula; the wiring may change): the graph then refuses it, and the field says why.
    qtbot.keyClick(inspector.fields["expression"].editor, Qt.Key.Key_Return)
    assert inspector.edits.calls == [("power", "expression", "flow * head * 9.81 / eta")]
    assert "the formula gives m⁴/h" in (shown(inspector, "expression") or "")
    typed(qtbot, inspector, "expression", PUMP)
    qtbot.waitUntil(lambda: shown(inspector, "expression") is None, timeout=5000)
    qtbot.keyClick(inspector.fields["expression"].editor, Qt.Key.Key_Return)
    assert graph.nodes["power"].params["expression"] == PUMP
    assert shown(inspector, "expression") is None


def test_a_refused_formula_is_not_committed(qtbot, inspector, graph):
    typed(qtbot, inspector, "expression", "__import__('os')")
    qtbot.keyClick(inspector.fields["expression"].editor, Qt.Key.Key_Return)
    assert inspector.edits.calls == []
    assert graph.nodes["power"].params["expression"] == PUMP
    assert "'__import__' at column 1 is not allowed" in shown(inspector, "expression")


def test_disconnecting_an_input_the_formula_uses_is_shown(qtbot, inspector, graph):
    edge = next(e for e in graph.edges if e.target == "power" and e.target_port == "x2")
    graph.disconnect(edge)
    assert "'head' (input x2), which is not connected" in (shown(inspector, "expression") or "")


def test_bad_input_names_are_refused_as_typed(qtbot, inspector):
    typed(qtbot, inspector, "names", "flow, sqrt, eta")
    qtbot.waitUntil(lambda: shown(inspector, "names") is not None, timeout=5000)
    assert "'sqrt' cannot name an input" in shown(inspector, "names")


def test_typing_the_output_unit_updates_what_the_expression_field_says(qtbot, inspector, graph):
    graph.set_param("power", "expression", "flow * head * 9.81 / eta")
    assert "the formula gives m⁴/h, which cannot be shown in kW" in (shown(inspector, "expression") or "")
    typed(qtbot, inspector, "output_unit", "m^4/h")
    qtbot.waitUntil(lambda: shown(inspector, "expression") is None, timeout=5000)
    assert shown(inspector, "output_unit") is None
    typed(qtbot, inspector, "output_unit", "W")
    qtbot.waitUntil(lambda: "cannot be shown in W" in (shown(inspector, "expression") or ""), timeout=5000)
    typed(qtbot, inspector, "output_unit", "")
    qtbot.waitUntil(lambda: shown(inspector, "expression") is None, timeout=5000)  # empty: as the formula gives
    assert inspector.edits.calls == []


def test_the_canvas_and_the_problems_panel_name_the_formula_node(qtbot, graph, tmp_path):
    graph.add_node("out", "io.output", {"column": "power"})
    graph.connect("power.y", "out.x")
    path = tmp_path / "pump.json"
    path.write_text(graph.to_text())
    editor = GraphEditor.open(path, default_registry())
    qtbot.addWidget(editor, before_close_func=lambda e: e.undo_stack.clear())
    editor.show()
    panel = ValidationPanel()
    qtbot.addWidget(panel)
    panel.set_editor(editor)
    assert panel.tree.topLevelItemCount() == 0
    editor.graph.set_param("power", "expression", "flow * head * 9.81 / eta")
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=5000)
    row = panel.tree.topLevelItem(0)
    assert row.text(1) == "power.expression" and "the formula gives m⁴/h" in row.text(2)
    qtbot.waitUntil(lambda: "m⁴/h" in (editor.canvas.scene.nodes["power"].problem or ""), timeout=5000)
    editor.canvas.detach()


def test_a_power_of_a_unit_too_large_is_explained_while_typing(qtbot, inspector):
    """pint's OverflowError (h**100 is 3600**100 s**100) and the unit parser's refusal of m**120 once escaped the
    check as typed; the field now says which operator gives what."""
    typed(qtbot, inspector, "expression", "head**60 * head**60")
    qtbot.waitUntil(lambda: shown(inspector, "expression") is not None, timeout=5000)
    assert "'*' at column 10 gives m¹²⁰, too large a power of a unit" in shown(inspector, "expression")
    assert inspector.edits.calls == []
