"""The node inspector: editors from the declaration, inline validation, edits, undo, documentation."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from psygnal import Signal
from qtpy.QtCore import QEvent, QLocale, QPoint, QPointF, Qt
from qtpy.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent
from qtpy.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit

from device_browser.bindings import ProjectBindings
from device_browser.tags import TagRef, load_bindings
from device_browser.ui.tag_mime import tags_mime_data
from model_designer.input_bindings import InputBindings
from model_designer.inspector import NodeInspector, NumberBox
from nodes.graph import Graph
from nodes.registry import default_registry


class Edits:
    """The ``edit`` callback: records, and applies to the graph as the canvas's undo command would."""

    def __init__(self):
        self.graph: Graph | None = None
        self.calls: list[tuple[str, str, object]] = []

    def __call__(self, node_id, name, value):
        self.calls.append((node_id, name, value))
        self.graph.set_param(node_id, name, value)


@pytest.fixture
def edits():
    return Edits()


@pytest.fixture
def graph(edits):
    graph = Graph("test")
    graph.add_node("acc", "io.input", {"column": "acc", "unit": "mm/s"})
    graph.add_node("band", "signal.bandpass", {"low": 10.0, "high": 800.0, "sample_rate": 2000.0})
    graph.add_node("lp", "signal.lowpass", {"cutoff": 50, "sample_rate": 2000.0})
    graph.add_node("fft", "vibration.fft_spectrum", {})
    graph.add_node("starts", "maintenance.start_counter", {})
    graph.add_node("alarm", "signal.threshold", {"level": 2.8})
    graph.add_node("pid", "process.pid", {})
    graph.add_node("ghost", "acme.flux_capacitor", {"gigawatts": 1.21, "mode": "88 mph"})
    graph.connect("acc.y", "alarm.x")
    edits.graph = graph
    return graph


@pytest.fixture
def inspector(qtbot, edits):
    view = NodeInspector(default_registry(), edits)
    qtbot.addWidget(view)
    return view


def type_in(qtbot, field, text: str) -> None:
    """Type a new value into a field and press Enter, as a user does."""
    line = field.editor.lineEdit() if isinstance(field.editor, NumberBox) else field.editor
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def test_an_editor_per_parameter_type(inspector, graph):
    inspector.show_node(graph, "band")
    order = inspector.fields["order"].editor
    assert isinstance(order, NumberBox) and order.integer and order.text() == "4"
    low = inspector.fields["low"].editor
    assert isinstance(low, NumberBox) and not low.integer
    assert low.text() == "10 Hz" and low.suffix() == " Hz"
    assert "from 1 to 12" in order.toolTip()
    inspector.show_node(graph, "fft")
    window = inspector.fields["window"].editor
    assert isinstance(window, QComboBox) and window.currentText() == "hann"
    choices = next(p.choices for p in default_registry().get("vibration.fft_spectrum").params if p.name == "window")
    assert tuple(window.itemText(i) for i in range(window.count())) == choices and "hann" in choices
    inspector.show_node(graph, "starts")
    assert isinstance(inspector.fields["count_initial_on"].editor, QCheckBox)
    assert inspector.fields["window"].editor.suffix() == " h"
    inspector.show_node(graph, "acc")
    assert isinstance(inspector.fields["column"].editor, QLineEdit)
    assert inspector.fields["unit"].editor.text() == "mm/s"


def test_a_unit_that_follows_an_input_shows_the_wired_unit(inspector, graph):
    inspector.show_node(graph, "alarm")
    assert inspector.fields["level"].editor.suffix() == " mm/s"
    graph.disconnect(graph.edges[0])
    assert inspector.fields["level"].editor.suffix() == ""


def test_out_of_range_value_is_refused_with_a_message(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "band")
    field = inspector.fields["order"]
    type_in(qtbot, field, "40")
    assert field.problem() == "must be at most 12 (found 40)"
    QApplication.processEvents()
    assert field.editor.text() == "40"  # kept for the user to correct, not clamped or reverted
    assert field.message.isVisibleTo(inspector) and "c62828" in field.editor.styleSheet()
    assert edits.calls == [] and "order" not in graph.nodes["band"].params


def test_a_rule_between_parameters_refuses_the_edit(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "pid")
    type_in(qtbot, inspector.fields["output_low"], "150")  # above the high limit (100 %)
    assert inspector.fields["output_low"].problem() == "must be below the high limit (100)"
    assert edits.calls == []


def test_a_valid_change_calls_edit_once(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "band")
    type_in(qtbot, inspector.fields["low"], "12.5")
    assert edits.calls == [("band", "low", 12.5)]
    assert inspector.fields["low"].problem() is None
    inspector.fields["low"].editor.editingFinished.emit()  # focus leaves: no change, no second edit
    assert edits.calls == [("band", "low", 12.5)]
    inspector.show_node(graph, "fft")
    combo = inspector.fields["scaling"].editor
    combo.setCurrentIndex(combo.findText("rms"))
    combo.activated.emit(combo.currentIndex())
    assert edits.calls[-1] == ("fft", "scaling", "rms")


def test_leaving_a_field_unchanged_edits_nothing(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "lp")  # cutoff saved as the int 50: shown as 50, and 50.0 is no change
    type_in(qtbot, inspector.fields["cutoff"], "50")
    assert edits.calls == [] and inspector.fields["cutoff"].problem() is None


def test_half_typed_text_does_not_reach_the_next_node(inspector, graph, edits, qtbot):
    inspector.show()
    inspector.activateWindow()
    qtbot.waitUntil(inspector.isActiveWindow)
    inspector.show_node(graph, "band")
    line = inspector.fields["order"].editor.lineEdit()
    inspector.fields["order"].editor.setFocus()
    qtbot.waitUntil(line.hasFocus)
    line.selectAll()
    qtbot.keyClicks(line, "7")  # no Enter: another node is selected meanwhile
    inspector.show_node(graph, "lp")  # also has an "order"
    QApplication.processEvents()
    assert edits.calls == []
    assert inspector.fields["order"].editor.text() == "4"


def test_the_wheel_over_an_unfocused_field_changes_nothing(inspector, graph, edits):
    inspector.show_node(graph, "band")
    box = inspector.fields["order"].editor
    centre = QPointF(box.rect().center())
    wheel = QWheelEvent(centre, box.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(box, wheel)
    assert box.text() == "4" and edits.calls == []


def test_a_refused_value_then_fixed_clears_the_message(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "band")
    field = inspector.fields["order"]
    type_in(qtbot, field, "0")
    assert field.problem() == "must be at least 1 (found 0)"
    type_in(qtbot, field, "6")
    assert field.problem() is None and field.editor.styleSheet() == ""
    assert edits.calls == [("band", "order", 6)]


def test_an_invalid_unit_is_refused(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "acc")
    field = inspector.fields["unit"]
    type_in(qtbot, field, "furlongs per blorp")
    assert "not a unit Millwright knows" in field.problem()
    assert edits.calls == []
    type_in(qtbot, field, "m/s^2")
    assert edits.calls == [("acc", "unit", "m/s^2")]


def test_the_form_follows_the_graph_on_undo(inspector, graph, edits, qtbot):
    inspector.show_node(graph, "band")
    type_in(qtbot, inspector.fields["order"], "99")  # refused, shown
    graph.set_param("band", "order", 2)  # e.g. an undo
    assert inspector.fields["order"].editor.text() == "2"
    assert inspector.fields["order"].problem() is None
    graph.set_param("band", "high", 500.0)
    assert inspector.fields["high"].editor.text() == "500 Hz"
    graph.set_param("pid", "kp", 3.0)  # another node: this form is untouched
    assert inspector.fields["order"].editor.text() == "2"
    assert edits.calls == []
    graph.remove_node("band")
    assert inspector.node_id is None and inspector.fields == {}


def test_documentation_shows_formula_ports_and_reference(inspector, graph):
    inspector.show_node(graph, "band")
    text = inspector.documentation.toPlainText()
    assert "ω₀ = sqrt(ω_low·ω_high)" in text
    assert "S. Butterworth" in text
    assert "Inputs" in text and "Outputs" in text and "unit of x" in text
    formula = inspector.documentation.document().find("ω₀ = sqrt(ω_low·ω_high)")
    assert formula.block().text() == "ω₀ = sqrt(ω_low·ω_high)"  # a line of its own in the formula block
    assert formula.charFormat().fontFamilies() == ["monospace"]


def test_a_missing_component_shows_its_parameters_read_only(inspector, graph):
    inspector.show_node(graph, "ghost")
    assert "'acme.flux_capacitor' is not installed" in inspector.heading.text()
    shown = inspector.form_host.findChildren(QLineEdit)
    assert sorted(e.text() for e in shown) == ['"88 mph"', "1.21"]
    assert all(e.isReadOnly() for e in shown)
    assert inspector.fields == {}


def test_nothing_selected(inspector, graph):
    inspector.show_node(graph, None)
    assert inspector.fields == {} and "Select a node" in inspector.heading.text()
    inspector.show_node(None, None)
    assert inspector.graph is None


def test_component_texts_follow_the_ui_language(inspector, graph):
    inspector.show_node(graph, "band")
    try:
        QLocale.setDefault(QLocale("zh_CN"))
        QApplication.sendEvent(inspector, QEvent(QEvent.Type.LanguageChange))
        assert "带通滤波器（巴特沃斯）" in inspector.heading.text()
        assert inspector.form.labelForField(inspector.fields["sample_rate"]).text() == "采样率"
    finally:
        QLocale.setDefault(QLocale("en"))
    QApplication.sendEvent(inspector, QEvent(QEvent.Type.LanguageChange))
    assert inspector.form.labelForField(inspector.fields["sample_rate"]).text() == "Sample rate"


# -- the "Bound to" row of a graph input --------------------------------------------------------------

class Devices:
    """The project's devices as the bindings see them (a DeviceWorkspace's entries and units)."""

    devices_changed = Signal()

    def __init__(self):
        self.entries = [SimpleNamespace(id="pump")]

    @staticmethod
    def unit_of(ref: TagRef) -> str:
        return ref.unit or {"pump/vibration": "mm/s", "pump/discharge_pressure": "bar"}.get(str(ref), "")


@pytest.fixture
def bound(graph, tmp_path):
    """The bindings of the graph's inputs, for a project whose bindings.yaml is in ``tmp_path``."""
    return InputBindings(ProjectBindings(tmp_path / "bindings.yaml"), Devices())


def test_typing_a_tag_binds_the_input_in_bindings_yaml(inspector, graph, bound, edits, qtbot, tmp_path):
    inspector.show_node(graph, "band", bound)
    assert inspector.binding is None  # only graph inputs are bound
    inspector.show_node(graph, "acc", bound)
    row = inspector.binding
    assert row.editor.text() == "" and row.note.text() == "Not bound: a live run cannot feed this input."
    type_in(qtbot, row, "pump/vibration")
    assert load_bindings(tmp_path / "bindings.yaml") == {"acc": TagRef("pump", point="vibration", unit="mm/s")}
    assert row.editor.text() == "pump/vibration" and row.problem() is None
    assert row.note.text() == "in mm/s · device pump is in the project"
    assert edits.calls == []  # the graph is not edited: it holds no address


def test_bad_tag_text_says_how_to_write_one_and_changes_nothing(inspector, graph, bound, qtbot, tmp_path):
    inspector.show_node(graph, "acc", bound)
    type_in(qtbot, inspector.binding, "vibration")
    assert "'vibration' is not a tag reference: write device/point" in inspector.binding.problem()
    assert inspector.binding.editor.text() == "vibration"  # kept for the user to correct
    assert not (tmp_path / "bindings.yaml").exists()


def test_a_tag_whose_unit_cannot_feed_the_input_is_shown_with_the_reason(inspector, graph, bound, qtbot):
    inspector.show_node(graph, "acc", bound)
    type_in(qtbot, inspector.binding, "pump/discharge_pressure")
    assert bound.bindings.get("acc") == TagRef("pump", point="discharge_pressure", unit="bar")
    assert inspector.binding.problem() == ("input 'acc' cannot read pump/discharge_pressure: 'bar' cannot be "
                                           "converted to 'mm/s' (a pressure is not a speed)")
    graph.set_param("acc", "unit", "kPa")  # the input declared in a unit the tag converts to
    assert inspector.binding.problem() is None


def test_a_dropped_tag_binds_and_clear_unbinds(inspector, graph, bound, tmp_path):
    inspector.show_node(graph, "acc", bound)
    row = inspector.binding
    mime = tags_mime_data([TagRef("plc9", point="acc", unit="mm/s"), TagRef("pump", point="speed")])
    where = row.editor.rect().center()
    enter = QDragEnterEvent(where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    row.editor.dragEnterEvent(enter)
    assert enter.isAccepted()
    row.editor.dropEvent(QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                    Qt.KeyboardModifier.NoModifier))
    assert load_bindings(tmp_path / "bindings.yaml") == {"acc": TagRef("plc9", point="acc", unit="mm/s")}
    assert row.editor.text() == "plc9/acc" and row.problem() == "The project has no device 'plc9'."
    bound.devices.entries.append(SimpleNamespace(id="plc9"))  # its profile saved meanwhile
    bound.devices.devices_changed.emit()
    assert row.problem() is None and row.note.text() == "in mm/s · device plc9 is in the project"
    row.clear_button.click()
    assert load_bindings(tmp_path / "bindings.yaml") == {} and row.editor.text() == ""


def test_a_renamed_input_stays_bound_and_changes_elsewhere_show(inspector, graph, bound, edits, qtbot):
    bound.bindings.bind("acc", TagRef("pump", point="vibration", unit="mm/s"))
    inspector.show_node(graph, "acc", bound)
    type_in(qtbot, inspector.fields["column"], "bearing_vibration")
    assert edits.calls == [("acc", "column", "bearing_vibration")]
    assert bound.bindings.get("bearing_vibration") == bound.bindings.get("acc")  # copied: undo finds "acc" bound
    assert inspector.binding.editor.text() == "pump/vibration"
    bound.bindings.bind("bearing_vibration", TagRef("pump", point="vibration_x"))  # e.g. another canvas
    assert inspector.binding.editor.text() == "pump/vibration_x"
