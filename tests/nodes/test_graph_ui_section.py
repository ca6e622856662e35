"""The graph file's ``ui`` section: comments, frames and reroutes survive save → reopen; old files migrate."""

import json

import jsonschema
import pytest

from nodes.engine import compile_graph
from nodes.graph import GRAPH_SCHEMA_VERSION, Graph, GraphFormatError, load_graph
from nodes.graph_ui import COMMENT, FRAME, Annotation
from nodes.json_structure import _Frozen, _quick_check, shipped_schema
from nodes.resources import example_project

EXAMPLES = example_project() / "graphs"


def _annotated() -> Graph:
    graph = Graph("g")
    graph.add_node("a", "io.input", {"column": "a"})
    graph.add_node("b", "io.output", {"column": "b"})
    graph.connect("a.y", "b.x")
    graph.ui.add(Annotation("note1", COMMENT, "Raw signal 原始信号", (10, 20), (180, 60)))
    graph.ui.add(Annotation("frame1", FRAME, "Inputs", (-20, -40), (400, 200)))
    graph.ui.set_reroutes(("a.y", "b.x"), [(100, 50), (120, 80)])
    return graph


def test_comments_frames_and_reroutes_survive_save_and_reopen(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(_annotated().to_text(), encoding="utf-8")
    again = load_graph(path)
    assert again.ui.annotations["note1"] == Annotation("note1", COMMENT, "Raw signal 原始信号", (10.0, 20.0),
                                                       (180.0, 60.0))
    assert again.ui.annotations["frame1"].kind == FRAME and again.ui.annotations["frame1"].text == "Inputs"
    assert again.ui.reroutes == {("a.y", "b.x"): [(100.0, 50.0), (120.0, 80.0)]}
    assert again.to_text() == path.read_text(encoding="utf-8")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["ui"]["frames"][0]["title"] == "Inputs" and data["schema_version"] == GRAPH_SCHEMA_VERSION == 3


def test_the_engine_ignores_the_ui_section():
    plain = _annotated()
    plain.ui = type(plain.ui)()
    assert [p.id for p in compile_graph(_annotated()).plans] == [p.id for p in compile_graph(plain).plans]


def test_reroutes_of_a_removed_wire_are_not_saved_but_come_back_with_the_wire():
    graph = _annotated()
    edge = graph.edges[0]
    graph.disconnect(edge)
    assert "reroutes" not in json.loads(graph.to_text())["ui"]
    graph.connect("a.y", "b.x")  # an undo of the removal
    assert json.loads(graph.to_text())["ui"]["reroutes"][0]["points"] == [[100.0, 50.0], [120.0, 80.0]]


def test_a_graph_without_annotations_has_no_ui_section_and_unknown_keys_are_kept():
    assert "ui" not in json.loads(Graph("g").to_text())
    text = json.dumps({"schema_version": 3, "nodes": [], "ui": {
        "zoom": 2, "comments": [{"id": "n1", "text": "t", "colour": "#ff0"}]}})
    data = json.loads(Graph.from_text(text).to_text())
    assert data["ui"] == {"zoom": 2, "comments": [{"id": "n1", "text": "t", "colour": "#ff0", "position": [0.0, 0.0],
                                                   "size": [200.0, 100.0]}]}


def test_an_old_schema_graph_migrates_and_saves_at_the_new_version():
    old = {"schema_version": 2, "name": "old", "nodes": [{"id": "a", "type": "io.input", "params": {"column": "a"}}],
           "edges": []}
    graph = Graph.from_json(old)
    saved = json.loads(graph.to_text())
    assert saved["schema_version"] == 3 and "ui" not in saved and saved["nodes"][0]["params"] == {"column": "a"}
    one = {"schema_version": 1, "nodes": [{"id": "a", "type": "io.input", "parameters": {"column": "a"}},
                                          {"id": "b", "type": "io.output", "parameters": {"column": "b"}}],
           "edges": ["a.y -> b.x"]}
    assert json.loads(Graph.from_json(one).to_text())["schema_version"] == 3


@pytest.mark.parametrize("name", ["vibration_alarm.json", "pump_efficiency.json"])
def test_the_shipped_graphs_are_current_and_save_byte_identical(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert json.loads(text)["schema_version"] == GRAPH_SCHEMA_VERSION
    assert load_graph(EXAMPLES / name).to_text() == text


@pytest.mark.parametrize("ui, problem", [
    ({"comments": [{"text": "no id"}]}, "'id' is missing"),
    ({"frames": [{"id": "f", "title": "t", "size": [1]}]}, "two numbers"),
    ({"reroutes": [{"from": "a.y", "to": "b.x", "points": [[1, 2]], "bend": 3}]}, "bend"),
])
def test_a_malformed_ui_section_is_refused_with_its_place(ui, problem):
    with pytest.raises(GraphFormatError, match=problem):
        Graph.from_json({"schema_version": 3, "nodes": [], "ui": ui}, "g.json")


def test_the_quick_structure_check_agrees_with_jsonschema_on_ui_sections():
    schema = shipped_schema("graph.schema.json")
    quick, validator = _quick_check(_Frozen(schema)), jsonschema.Draft202012Validator(schema)
    documents = [_annotated().to_json(), {"schema_version": 3, "nodes": [], "ui": {"comments": [{"id": "x"}]}},
                 {"schema_version": 3, "nodes": [], "ui": {"reroutes": [{"from": "a.y", "to": "b.x"}]}},
                 {"schema_version": 3, "nodes": [], "ui": []}]
    assert [quick(d) for d in documents] == [validator.is_valid(d) for d in documents] == [True, False, False, False]
