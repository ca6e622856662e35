import json

import jsonschema
import pytest

from nodes.graph import GRAPH_SCHEMA_VERSION, Graph, GraphFormatError
from nodes.resources import resources_dir

SCHEMA = json.loads((resources_dir() / "schemas" / "graph.schema.json").read_text())


def _graph() -> Graph:
    g = Graph("pump", "a test graph")
    g.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"}, position=(10, 20))
    g.add_node("avg", "signal.moving_average", {"window": 5}, title="Smoothed flow")
    g.add_node("out", "io.output", {"column": "flow_avg"})
    g.connect("flow.y", "avg.x")
    g.connect("avg.y", "out.x")
    return g


def test_round_trip_is_byte_stable_and_matches_the_schema():
    g = _graph()
    text = g.to_text()
    again = Graph.from_text(text)
    assert again.to_text() == text
    jsonschema.validate(json.loads(text), SCHEMA)
    assert json.loads(text)["edges"] == [{"from": "avg.y", "to": "out.x"}, {"from": "flow.y", "to": "avg.x"}]
    assert again.nodes["avg"].title == "Smoothed flow" and again.nodes["flow"].position == (10.0, 20.0)


def test_unknown_keys_and_unknown_components_survive_a_round_trip():
    data = _graph().to_json()
    data["site"] = "Wuxi"
    data["nodes"].append({"id": "x", "type": "vendor.secret_sauce", "version": 3, "params": {"k": [1, 2]},
                          "position": [0.0, 0.0], "colour": "red"})
    text = Graph.from_json(data).to_text()
    again = json.loads(text)
    assert again["site"] == "Wuxi"
    assert {"id": "x", "type": "vendor.secret_sauce", "version": 3, "params": {"k": [1, 2]},
            "position": [0.0, 0.0], "colour": "red"} in again["nodes"]


def test_schema_1_files_are_migrated():
    old = {"schema_version": 1, "name": "old", "nodes": [
        {"id": "a", "type": "io.input", "parameters": {"column": "v"}},
        {"id": "b", "type": "io.output", "parameters": {"column": "w"}}], "edges": ["a.y -> b.x"]}
    g = Graph.from_json(old)
    assert [str(e) for e in g.edges] == ["a.y → b.x"] and g.nodes["a"].params == {"column": "v"}
    assert json.loads(g.to_text())["schema_version"] == GRAPH_SCHEMA_VERSION


@pytest.mark.parametrize(("text", "message"), [
    ('{"schema_version": 2, "nodes": [}', r"g.json \(line 1, column 33\): not valid JSON"),
    ('{"schema_version": 9, "nodes": [], "edges": []}', "written with graph schema 9"),
    ('{"nodes": []}', "'schema_version' must be a whole number"),
    ('{"schema_version": 2, "nodes": [{"type": "x"}]}', r"g.json \(line 1, column 33\): nodes\[0\]: 'id' is missing"),
    ('{"schema_version": 2, "nodes": [], "edges": [{"from": "a", "to": "b.x"}]}',
     r"\(line 1, column 55\): edges\[0\].from: a connection end must name a node and a port as 'node.port'"),
    ('{"schema_version": 2, "nodes": [{"id": "1bad", "type": "x"}]}', "nodes\\[0\\].id: .*starts with a letter"),
    ('{"schema_version": 1, "nodes": [], "edges": ["a.y => b.x"]}', "g.json: edge 'a.y => b.x' must look like"),
    ('{"schema_version": 2, "nodes": [], "edges": [], "ports": []}',
     r"g.json \(line 1, column 58\): ports: must be an object \{…\} \(found \[\]\)"),
    ('{"schema_version": 2, "nodes": [{"id": "a", "type": "x"}, {"id": "a", "type": "y"}]}',
     "g.json: there is already a node 'a'"),
])
def test_bad_files_name_the_problem(text, message):
    with pytest.raises(GraphFormatError, match=message):
        Graph.from_text(text, "g.json")


def test_edit_events():
    g = _graph()
    seen = []
    g.node_removed.connect(lambda node_id: seen.append(("removed", node_id)))
    g.edge_removed.connect(lambda edge: seen.append(("edge", str(edge))))
    g.remove_node("avg")
    assert seen == [("edge", "flow.y → avg.x"), ("edge", "avg.y → out.x"), ("removed", "avg")]
    assert g.edges == []
