"""``millwright project check``: real project folders in tmp_path, checked through the command."""

import json
import os
import shutil

import pytest

from device_browser.profiles import load_profile
from nodes.graph import Graph
from nodes.resources import resources_dir
from workbench.cli import main
from workbench.project import Project
from workbench.project_check import check_project

PROFILE = resources_dir() / "profiles" / "pump_station_modbus.yaml"


def _pipeline(name: str = "flow") -> Graph:
    g = Graph(name)
    g.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    g.add_node("avg", "signal.moving_average", {"window": 5})
    g.add_node("out", "io.output", {"column": "flow_avg"})
    g.connect("flow.y", "avg.x")
    g.connect("avg.y", "out.x")
    return g


@pytest.fixture
def project(tmp_path):
    """A good project: one graph, one device profile, bindings that match the profile."""
    root = tmp_path / "line3"
    Project.create(root, "Line 3")
    (root / "graphs" / "flow.json").write_text(_pipeline().to_text())
    shutil.copy(PROFILE, root / "devices" / "pump.yaml")
    (root / "bindings.yaml").write_text(
        "schema_version: 1\nbindings:\n  flow:\n    device: pump-station-modbus\n    point: flow\n"
        "    unit: l/s\n")
    return root


def _check(root, *extra):
    return main(["project", "check", str(root), *extra])


def test_a_good_project_passes_with_one_ok_line(project, capsys):
    assert _check(project) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == ["Project 'Line 3' (schema 1, written by Millwright 0.1.0)",
                                "OK: 1 graph, 1 device profile checked"]
    assert err == ""


# --- observed: broken projects were "readable" with exit 0 ---------------------------------------

def test_invalid_json_in_graphs_fails_naming_file_line_and_column(project, capsys):
    (project / "graphs" / "broken.json").write_text('{\n  "schema_version": 2,\n  "nodes": [\n}\n')
    assert _check(project) == 1
    out, err = capsys.readouterr()
    assert "  graphs/broken.json (line 4, column 1): not valid JSON: Expecting value" in err.splitlines()
    assert out.splitlines()[-1] == "FAILED: 1 problem found; 2 graphs, 1 device profile checked"


def test_a_loop_without_delay_fails_naming_its_nodes(project, capsys):
    g = Graph("loop")
    g.add_node("a", "signal.moving_average")
    g.add_node("b", "signal.ewma")
    g.connect("a.y", "b.x")
    g.connect("b.y", "a.x")
    (project / "graphs" / "loop.json").write_text(g.to_text())
    assert _check(project) == 1
    err = capsys.readouterr().err
    assert "graphs/loop.json: node '" in err and "these nodes form a loop without a delay" in err
    assert "a → b" in err or "b → a" in err


def test_an_unknown_component_fails_with_close_matches_and_no_knock_on_errors(project, capsys):
    g = _pipeline()
    g.nodes["avg"].type = "signal.moving_averge"
    (project / "graphs" / "flow.json").write_text(g.to_text())
    assert _check(project) == 1
    problems = [line.strip() for line in capsys.readouterr().err.splitlines()[1:]]
    assert len(problems) == 1, problems  # not also "out.x must be connected"
    assert problems[0].startswith("graphs/flow.json: node 'avg': component type 'signal.moving_averge' is not "
                                  "installed")
    assert "'signal.moving_average'" in problems[0] and "did you mean" in problems[0]


def test_broken_profile_yaml_fails_with_line_and_column(project, capsys):
    (project / "devices" / "vfd.yaml").write_text("schema_version: 1\nid: vfd\npoints: [\n  - name: x\n")
    assert _check(project) == 1
    err = capsys.readouterr().err
    assert "devices/vfd.yaml (line " in err and "not valid YAML" in err


def test_a_profile_the_schema_refuses_fails_with_line_and_column(project, capsys):
    text = PROFILE.read_text().replace("data_type: float32", "data_type: 42", 1)
    (project / "devices" / "pump.yaml").write_text(text)
    assert _check(project) == 1
    err = capsys.readouterr().err
    assert "  devices/pump.yaml (line 26, column 14): points.0.data_type: 42 is not one of" in err
    assert err.count("\n  ") == 1  # the bindings that name this device are not also reported as wrong


def test_check_reports_leftover_temp_files_and_removes_them_only_with_fix(project, capsys):
    leftovers = [project / ".~millwright-0a1b2c3d4e5f.tmp", project / "graphs" / ".~millwright-ffeeddccbbaa.tmp",
                 project / "data" / ".part-000003.parquet.tmp"]
    for path in leftovers:
        path.write_text("half-written")
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert _check(project) == 0
    out = capsys.readouterr().out
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before  # a check changes nothing
    assert "leftover temporary file graphs/.~millwright-ffeeddccbbaa.tmp (from a save or recording" in out
    assert out.count("Run with --fix to remove it.") == 3
    assert _check(project, "--fix") == 0
    out = capsys.readouterr().out
    assert not any(path.exists() for path in leftovers)
    assert "removed leftover temporary file data/.part-000003.parquet.tmp" in out
    assert out.splitlines()[-1] == "OK: 1 graph, 1 device profile checked"


# --- delivered: every problem, each naming file, node and port ----------------------------------

def test_every_problem_of_a_graph_is_reported_with_node_and_port(project, capsys):
    g = _pipeline()
    g.add_node("alarm", "signal.threshold")
    g.add_node("both", "logic.and")
    g.connect("avg.nope", "out.x")  # unknown port and a second feed of out.x
    g.connect("avg.y", "both.a")  # a signal into a boolean input
    (project / "graphs" / "flow.json").write_text(g.to_text())
    report = check_project(project)
    assert "graphs/flow.json: node 'avg', port 'nope': 'signal.moving_average' has no output 'nope'" in report.problems
    assert "graphs/flow.json: node 'alarm', port 'x': this input must be connected" in report.problems
    assert "graphs/flow.json: node 'both', port 'a': avg.y gives a signal but this input takes a boolean signal" \
        in report.problems
    assert "graphs/flow.json: node 'both', port 'b': this input must be connected" in report.problems
    assert _check(project) == 1


def test_graph_structure_problems_name_json_path_line_and_column(project, capsys):
    (project / "graphs" / "shape.json").write_text(
        '{\n  "schema_version": 2,\n  "nodes": [\n    {"id": "a", "type": "io.input", "position": [1]},\n'
        '    {"id": "b", "type": 7}\n  ],\n  "edges": [{"from": "a", "to": "b.x"}]\n}\n')
    assert _check(project) == 1
    problems = [line.strip() for line in capsys.readouterr().err.splitlines()[1:]]
    assert problems == [
        "graphs/shape.json (line 4, column 49): nodes[0].position: must hold at least 2 item(s) (found [1]) (node 'a')",
        "graphs/shape.json (line 5, column 25): nodes[1].type: must be text (found 7) (node 'b')",
        "graphs/shape.json (line 7, column 22): edges[0].from: a connection end must name a node and a port as "
        "'node.port', e.g. 'band.y' (found \"a\")"]


def test_project_json_problems_are_reported_and_the_rest_is_still_checked(project, capsys):
    (project / "project.json").write_text('{"schema_version": 1, "name": ""}')
    (project / "graphs" / "broken.json").write_text("{")
    assert _check(project) == 1
    err = capsys.readouterr().err
    assert '  project.json (line 1, column 31): name: must be non-empty text (found "")' in err.splitlines()
    assert "graphs/broken.json (line 1, column 2): not valid JSON" in err


def test_the_project_components_are_never_run(project, capsys):
    marker = project / "ran.txt"
    (project / "components" / "pump_model.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('the check ran project code')\n"
        "class PumpModel:\n    type_name = 'acme.pump_model'\n")
    g = _pipeline()
    g.nodes["avg"].type = "acme.pump_model"
    (project / "graphs" / "flow.json").write_text(g.to_text())
    assert _check(project) == 0
    out = capsys.readouterr().out
    assert not marker.exists()
    assert ("not checked: graphs/flow.json: node 'avg' (type 'acme.pump_model', components/pump_model.py): "
            "defined by the project's components/ (untrusted code is not run by check)") in out


def test_a_component_file_that_is_not_python_is_a_problem(project, capsys):
    (project / "components" / "bad.py").write_text("class Broken(:\n    pass\n")
    assert _check(project) == 1
    assert "components/bad.py (line 1, column 14): not valid Python" in capsys.readouterr().err


# --- references: bindings.yaml against devices/ ---------------------------------------------------

def test_bindings_naming_a_missing_device_point_or_wrong_unit_fail_with_line_and_column(project, capsys):
    (project / "bindings.yaml").write_text(
        "schema_version: 1\nbindings:\n"
        "  flow:\n    device: pump-station-modbus\n    point: flwo\n"
        "  speed:\n    device: vfd1\n    point: speed\n"
        "  pressure:\n    device: pump-station-modbus\n    point: discharge_pressure\n    unit: degC\n"
        "  raw:\n    device: pump-station-modbus\n    address: '40001'\n")
    assert _check(project) == 1
    problems = [line.strip() for line in capsys.readouterr().err.splitlines()[1:]]
    assert problems == [
        "bindings.yaml (line 5, column 12): binding 'flow': devices/pump.yaml has no point 'flwo' "
        "(did you mean 'flow'?)",
        "bindings.yaml (line 7, column 13): binding 'speed': device 'vfd1' has no profile in devices/ "
        "(devices: pump-station-modbus)",
        problems[2]]
    assert problems[2].startswith("bindings.yaml (line 12, column 11): binding 'pressure': point "
                                  "'discharge_pressure' of devices/pump.yaml is in bar, which cannot be converted "
                                  "to degC")


def test_two_profiles_with_one_device_id_fail(project, capsys):
    shutil.copy(PROFILE, project / "devices" / "pump_copy.yaml")
    assert _check(project) == 1
    assert ("devices/pump_copy.yaml: device id 'pump-station-modbus' is also the id of devices/pump.yaml"
            in capsys.readouterr().err)


def test_not_a_project_is_one_message_without_traceback(tmp_path, capsys):
    assert _check(tmp_path) == 1
    assert capsys.readouterr().err == f"millwright: {tmp_path} is not a Millwright project: it has no project.json.\n"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs file permissions that root ignores")
def test_an_unreadable_graph_is_reported(project, capsys):
    path = project / "graphs" / "flow.json"
    path.chmod(0)
    try:
        assert _check(project) == 1
    finally:
        path.chmod(0o644)
    assert "graphs/flow.json: the file cannot be read (Permission denied)" in capsys.readouterr().err


def test_graph_files_in_sub_folders_and_json_profiles_are_checked(project, capsys):
    (project / "graphs" / "area1").mkdir()
    (project / "graphs" / "area1" / "flow.json").write_text(_pipeline().to_text())
    data = load_profile(PROFILE).to_data()
    data["id"] = "pump-json"
    (project / "devices" / "pump.json").write_text(json.dumps(data))
    assert _check(project) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK: 2 graphs, 2 device profiles checked"


def test_a_binding_no_graph_input_uses_is_a_warning_not_a_problem(project, capsys):
    (project / "bindings.yaml").write_text(
        "schema_version: 1\nbindings:\n  flow:\n    device: pump-station-modbus\n    point: flow\n"
        "  old_flow:\n    device: pump-station-modbus\n    point: flow\n")
    assert _check(project) == 0
    out = capsys.readouterr().out
    assert "warning: bindings.yaml (line 7, column 5): binding 'old_flow' is not used: no graph of the project " \
           "has an input of that name" in out
    assert "'flow' is not used" not in out
