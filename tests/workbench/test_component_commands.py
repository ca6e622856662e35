"""`millwright component new` and `millwright run-graph` with script components (trust asked for)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from app_packager.folder_trust import TrustedFolders
from nodes.graph import Graph
from nodes.project_components import load_project_components
from nodes.registry import default_registry
from workbench.cli import main


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "plant"
    (root / "graphs").mkdir(parents=True)
    (root / "project.json").write_text(json.dumps({"schema_version": 1, "name": "plant"}), encoding="utf-8")
    return root


def test_the_scaffold_loads_as_a_component_and_its_golden_test_passes(project, capsys):
    assert main(["component", "new", "flow_smooth", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "components/flow_smooth.py" in out and "pytest tests/" in out
    source = (project / "components" / "flow_smooth.py").read_text(encoding="utf-8")
    registry, problems = load_project_components(project / "components", default_registry(), scripts=True)
    assert problems == []
    cls = registry.get("project.flow_smooth")
    doc = cls.__doc__
    assert "y[n] = alpha * x[n]" in doc and "References\n    ----------" in doc and "Parameters" in doc
    assert cls.title.zh and cls.params[0].name == "alpha" and "def process" in source
    # the project's own test, run by pytest in the project as its author would
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/"],
                            cwd=project, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_the_scaffold_golden_test_fails_when_the_component_is_wrong(project):
    assert main(["component", "new", "smooth", "--project", str(project)]) == 0
    path = project / "components" / "smooth.py"
    path.write_text(path.read_text(encoding="utf-8").replace("[alpha], [1.0, alpha - 1.0]", "[alpha], [1.0]"),
                    encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/"],
                            cwd=project, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "3 failed" in result.stdout


def test_the_scaffold_refuses_bad_names_existing_files_and_non_projects(project, tmp_path, capsys):
    assert main(["component", "new", "Bad-Name", "--project", str(project)]) == 1
    assert "must start with a lower-case letter" in capsys.readouterr().err
    assert main(["component", "new", "x", "--project", str(tmp_path)]) == 1
    assert "is not a Millwright project folder" in capsys.readouterr().err
    assert main(["-p", str(project), "component", "new", "twice"]) == 0  # the folder given before the command
    before = (project / "components" / "twice.py").read_text(encoding="utf-8")
    assert main(["component", "new", "twice", "--project", str(project)]) == 1
    assert "components/twice.py exists already" in capsys.readouterr().err
    assert (project / "components" / "twice.py").read_text(encoding="utf-8") == before


def test_run_graph_needs_trust_for_script_components(project, tmp_path, capsys):
    assert main(["component", "new", "smooth", "--project", str(project)]) == 0
    marker = tmp_path / "imported"
    path = project / "components" / "smooth.py"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "import numpy as np\n", f"import numpy as np\nopen({str(marker)!r}, 'a').close()\n"), encoding="utf-8")
    graph = Graph("smoothing")
    graph.add_node("in", "io.input", {"column": "x"})
    graph.add_node("s", "project.smooth", {"alpha": 0.5})
    graph.add_node("out", "io.output", {"column": "y"})
    graph.connect("in.y", "s.x")
    graph.connect("s.y", "out.x")
    (project / "graphs" / "smoothing.json").write_text(graph.to_text(), encoding="utf-8")
    recording = tmp_path / "in.csv"
    recording.write_text("time,x\n0,0\n1,1\n2,1\n3,1\n", encoding="utf-8")
    args = ["run-graph", str(project / "graphs" / "smoothing.json"), "-i", str(recording), "-o",
            str(tmp_path / "out.csv"), "-q"]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "uses Python script components (components/smooth.py)" in err and "--trust" in err
    assert not marker.exists() and not (tmp_path / "out.csv").exists()
    assert main([*args, "--trust"]) == 0 and marker.exists()
    assert pd.read_csv(tmp_path / "out.csv")["y"].tolist() == [0.0, 0.5, 0.75, 0.875]
    (tmp_path / "out.csv").unlink()
    TrustedFolders().trust(project)  # trusted in the workbench: no flag needed
    assert main(args) == 0 and (tmp_path / "out.csv").is_file()
