import json
import time

import jsonschema
import pytest

from nodes.graph import GRAPH_SCHEMA_VERSION, Graph, GraphFormatError, load_graph
from nodes.json_structure import _Frozen, _quick_check, json_position, shipped_schema
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


def test_every_structural_problem_is_reported_with_path_line_column_and_node():
    text = ('{\n  "schema_version": 2,\n  "nodes": [\n    {"id": "a", "type": "io.input", "version": 0},\n'
            '    {"id": "b", "type": "io.output", "title": 5}\n  ],\n'
            '  "edges": [{"from": "a.y", "to": "b.x", "w": 1}]\n}\n')
    with pytest.raises(GraphFormatError) as info:
        Graph.from_text(text, "g.json")
    assert info.value.problems == [
        "g.json (line 4, column 48): nodes[0].version: must be at least 1 (found 0) (node 'a')",
        "g.json (line 5, column 47): nodes[1].title: must be text (found 5) (node 'b')",
        "g.json (line 7, column 47): edges[0].w: 'w' is not a known key here (known: from, to)"]
    assert str(info.value) == "\n".join(info.value.problems)


def test_parsed_json_problems_name_the_json_path():
    with pytest.raises(GraphFormatError, match=r"^g.json: nodes\[0\].params: must be an object \{…\} \(found 3\)"):
        Graph.from_json({"schema_version": 2, "nodes": [{"id": "a", "type": "x", "params": 3}]}, "g.json")


def test_embedded_composites_of_schema_1_are_migrated_and_checked():
    inner = {"schema_version": 1, "nodes": [{"id": "i", "type": "io.input", "parameters": {"column": "v"}}],
             "edges": []}
    g = Graph.from_json({"schema_version": 2, "nodes": [{"id": "c", "type": "composite", "graph": inner}]})
    assert g.nodes["c"].graph.nodes["i"].params == {"column": "v"}
    inner["nodes"][0]["id"] = "bad id"
    with pytest.raises(GraphFormatError, match=r"nodes\[0\].graph.nodes\[0\].id: a node id must be text"):
        Graph.from_json({"schema_version": 2, "nodes": [{"id": "c", "type": "composite", "graph": inner}]})


def test_load_graph_reads_files_as_editors_write_them(tmp_path):
    path = tmp_path / "g.json"
    path.write_bytes(b"\xef\xbb\xbf" + _graph().to_text().encode())  # a byte-order mark from Notepad
    assert sorted(load_graph(path).nodes) == ["avg", "flow", "out"]
    path.write_bytes(b'{"name": "\xb0C"}')
    with pytest.raises(GraphFormatError, match=r"g.json \(line 1, column 11\): the file is not UTF-8 text"):
        load_graph(path)
    with pytest.raises(GraphFormatError, match="the file does not exist"):
        load_graph(tmp_path / "missing.json")
    with pytest.raises(GraphFormatError, match="this is a folder, not a graph file"):
        load_graph(tmp_path)


def test_loading_a_large_graph_is_linear():
    g = Graph("big")
    for i in range(3000):
        g.add_node(f"n{i}", "signal.ewma", {"alpha": 0.1})
    for i in range(2999):
        g.connect(f"n{i}.y", f"n{i + 1}.x")
    text = g.to_text()
    started = time.perf_counter()
    again = Graph.from_text(text)
    assert len(again.edges) == 2999
    assert time.perf_counter() - started < 2.0  # about 0.2 s; the quadratic edge search took over 10 s


GOOD = [_graph().to_json(), {"schema_version": 3, "nodes": [], "x": {"kept": True}},
        {"schema_version": 3, "nodes": [{"id": "c", "type": "composite", "graph": _graph().to_json()}],
         "edges": [], "ports": {"inputs": [{"name": "q", "node": "c", "port": "x"}], "outputs": []}}]
BAD = [[], {"nodes": []}, {"schema_version": 2.5, "nodes": []}, {"schema_version": True, "nodes": []},
       {"schema_version": 3, "nodes": [{"id": "1", "type": "t"}]}, {"schema_version": 3, "nodes": [{"id": "a"}]},
       {"schema_version": 3, "nodes": [{"id": "a", "type": ""}]},
       {"schema_version": 3, "nodes": [{"id": "a", "type": "t", "position": [1, "2"]}]},
       {"schema_version": 3, "nodes": [{"id": "a", "type": "t", "version": True}]},
       {"schema_version": 3, "nodes": [], "edges": [{"from": "a.y"}]},
       {"schema_version": 3, "nodes": [], "ports": {"inputs": [{"name": "q", "node": "c"}]}},
       {"schema_version": 3, "nodes": [{"id": "c", "type": "t", "graph": {"nodes": []}}]}]


@pytest.mark.parametrize("name", ["graph.schema.json", "project.schema.json"])
def test_the_quick_check_never_passes_what_jsonschema_refuses(name):
    schema = shipped_schema(name)
    quick = _quick_check(_Frozen(schema))
    validator = jsonschema.Draft202012Validator(schema)
    documents = GOOD + BAD if name.startswith("graph") else [
        {"schema_version": 1, "name": "P", "description": "", "site": 3}, {"schema_version": 1, "name": " "},
        {"schema_version": 0, "name": "P"}, {"schema_version": 1, "name": "P", "description": 5},
        {"schema_version": 1, "name": "P", "millwright_version": 1}, {"name": "P"}]
    for document in documents:
        assert quick(document) == validator.is_valid(document), document
    assert all(quick(d) for d in GOOD) if name.startswith("graph") else True


def test_json_position_walks_objects_and_lists():
    text = '{"a": [1, {"b": "x,}]"}, [2]], "c": {"d": null}}'
    assert json_position(text, ["a", 1, "b"]) == (1, 17)
    assert json_position(text, ["a", 2, 0]) == (1, 27)
    assert json_position(text, ["c", "d"]) == (1, 43)
    assert json_position(text, ["c", "missing"]) == (1, 37)  # the nearest enclosing value
    assert json_position("{oops", ["a"]) is None
