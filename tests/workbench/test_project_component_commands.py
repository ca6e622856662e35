"""The headless commands with a project's own components: run-graph, components list/show, project check."""

from __future__ import annotations

import pandas as pd
import pytest

from nodes.component import Text
from nodes.graph import ExposedPort, Graph
from nodes.project_components import save_project_component
from tests.workbench.test_project_check import _pipeline
from workbench.cli import main
from workbench.project import Project


def _smoother() -> Graph:
    graph = Graph()
    graph.add_node("avg", "signal.moving_average", {"window": 5})
    graph.exposed_inputs = [ExposedPort("x", "avg", "x")]
    graph.exposed_outputs = [ExposedPort("y", "avg", "y")]
    return graph


def _flow(smoothing: str = "signal.moving_average") -> Graph:
    """The check tests' flow graph, its smoothing done by a component of type ``smoothing``."""
    graph = _pipeline()
    if smoothing != "signal.moving_average":
        graph.nodes["avg"].type, graph.nodes["avg"].params = smoothing, {}
    return graph


@pytest.fixture
def project(tmp_path):
    """A project whose graph uses its component ``project.smoother``."""
    root = tmp_path / "line3"
    Project.create(root, "Line 3")
    save_project_component(root / "components", "smoother", _smoother(), Text("Smoother", "平滑"), "Five-sample mean.")
    (root / "graphs" / "flow.json").write_text(_flow("project.smoother").to_text(), encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    rows = "\n".join(f"2026-11-25T08:00:{i:02d}Z,{i * 1.5}" for i in range(30))
    (root / "data" / "run.csv").write_text(f"time,flow\n{rows}\n", encoding="utf-8")
    return root


def test_run_graph_uses_the_components_of_the_project_the_graph_is_in(project, tmp_path):
    inline = tmp_path / "inline.json"
    inline.write_text(_flow().to_text(), encoding="utf-8")
    for graph, out in ((project / "graphs" / "flow.json", tmp_path / "a.csv"), (inline, tmp_path / "b.csv")):
        assert main(["run-graph", str(graph), "-i", str(project / "data" / "run.csv"), "-o", str(out), "-q"]) == 0
    used, expected = pd.read_csv(tmp_path / "a.csv"), pd.read_csv(tmp_path / "b.csv")
    assert len(used) == 30 and used["flow_avg"].tolist() == expected["flow_avg"].tolist()


def test_a_graph_outside_its_project_needs_the_project_named(project, tmp_path, capsys):
    moved = tmp_path / "flow.json"
    moved.write_text((project / "graphs" / "flow.json").read_text(encoding="utf-8"), encoding="utf-8")
    data, out = str(project / "data" / "run.csv"), str(tmp_path / "o.csv")
    assert main(["run-graph", str(moved), "-i", data, "-o", out]) == 2
    assert "project.smoother" in capsys.readouterr().err
    assert main(["--project", str(project), "run-graph", str(moved), "-i", data, "-o", out, "-q"]) == 0


def test_components_list_and_show_include_the_projects(project, capsys):
    assert main(["--project", str(project), "components", "list", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "\nproject\n  project.smoother" in out and "平滑" in out
    assert main(["--project", str(project), "components", "show", "project.smoother"]) == 0
    out = capsys.readouterr().out
    assert "project file components/smoother.json" in out and "Five-sample mean." in out
    assert main(["components", "show", "project.smoother"]) == 1  # no project: not known


def test_project_check_counts_components_and_names_bad_ones(project, capsys):
    assert main(["project", "check", str(project)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "OK: 1 graph, 1 project component, 0 device profiles checked"
    (project / "components" / "broken.json").write_text('{"schema_version": 3, "nodes": [}', encoding="utf-8")
    smoother = project / "components" / "smoother.json"
    smoother.write_text(smoother.read_text(encoding="utf-8").replace('"node": "avg"', '"node": "gone"'),
                        encoding="utf-8")
    assert main(["project", "check", str(project)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines()[1:] == [
        "  components/broken.json (line 1, column 33): not valid JSON: Expecting value",
        "  components/smoother.json: composite 'project.smoother': exposed port 'x' refers to gone.x, which does "
        "not exist",
        "  graphs/flow.json: node 'avg': its component components/smoother.json could not be loaded (see that "
        "file's problem)"]
    assert captured.out.splitlines()[-1] == "FAILED: 3 problems found; 1 graph, 2 project components, " \
                                            "0 device profiles checked"
