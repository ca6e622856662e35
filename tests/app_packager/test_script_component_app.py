"""An app with a script component: built (trust asked for), verified without running it, run headless.

The headless runtime's outputs are compared with the workbench's run of the same graph on the
same recording (the run bar's runner, whose engine is in a worker process for script components).
"""

from __future__ import annotations

import dataclasses
import zipfile

import numpy as np
import pytest

from app_packager.build import BuildError, build_app
from app_packager.errors import AppError
from app_packager.manifest import GoldenTest, Tolerance, load_manifest
from app_packager.new_app import write_new_app
from app_packager.runtime.core import RuntimeConfig, load_app
from app_packager.verify import verify_app
from device_browser.recordings import open_sink, open_source
from model_designer.process_run import ProcessGraphRunner, runner_for
from model_designer.run import RecordingInput, RunState
from nodes.atomic_file import atomic_write_text
from nodes.engine import Run
from nodes.graph import Graph
from nodes.project_components import ProjectComponents
from nodes.registry import default_registry
from tests.app_packager.test_build import copy_example
from tests.model_designer.test_graph_runner import wait_for
from workbench.component_commands import scaffold_component

APP_ID = "com.example.pump-station.smoothing"
BINDINGS = "schema_version: 1\nbindings:\n  flow: {device: pump-station-opcua, point: flow, unit: m^3/h}\n"


@pytest.fixture
def project(tmp_path):
    """The example project with a scaffolded script component in a graph of its own, and an app of that graph."""
    root = copy_example(tmp_path / "pump_station")
    scaffold_component(root, "smooth")
    graph = Graph("Smoothed flow")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("smooth", "project.smooth", {"alpha": 0.2})
    graph.add_node("out", "io.output", {"column": "smoothed_flow"})
    graph.connect("flow.y", "smooth.x")
    graph.connect("smooth.y", "out.x")
    (root / "graphs" / "smoothing.json").write_text(graph.to_text(), encoding="utf-8")
    return root


def workbench_outputs(root, recording):
    """The smoothing graph run as the workbench runs it: trusted project components, the run bar's runner."""
    components = ProjectComponents(default_registry(), trust=lambda folder: True)
    components.open(root)
    graph = Graph.from_text((root / "graphs" / "smoothing.json").read_text(encoding="utf-8"))
    runner = runner_for(graph, components.registry, RecordingInput(recording))
    assert isinstance(runner, ProcessGraphRunner)
    runner.start()
    wait_for(lambda: runner.snapshot().state == RunState.FINISHED, 120)
    return runner.output("smoothed_flow")


def add_golden_test(root, recording, expected):
    manifest_path = root / "apps" / "smoothing" / "app.yaml"
    manifest = load_manifest(manifest_path)
    (root / expected).parent.mkdir(parents=True, exist_ok=True)
    sink = open_sink(root / expected)
    sink.write({"smoothed_flow": workbench_outputs(root, recording)})
    sink.close()
    test = GoldenTest("nominal", recording.relative_to(root).as_posix(), expected, tolerance=Tolerance(1e-12, 1e-9))
    atomic_write_text(manifest_path, dataclasses.replace(manifest, tests=(test,), license="Apache-2.0").to_yaml())


def test_an_app_with_a_script_component_builds_and_runs_headless_with_the_workbenchs_outputs(project, tmp_path):
    recording = project / "apps" / "pump_efficiency" / "tests" / "nominal_input.csv"
    with pytest.raises(AppError, match=r"uses Python script components \(components/smooth\.py\).*--trust"):
        write_new_app(project, "graphs/smoothing.json", APP_ID)  # not trusted: nothing of it runs
    write_new_app(project, "graphs/smoothing.json", APP_ID, trust_scripts=True)
    add_golden_test(project, recording, "apps/smoothing/tests/nominal_expected.csv")
    manifest = project / "apps" / "smoothing" / "app.yaml"
    with pytest.raises(AppError, match="trust the project folder"):
        build_app(project, manifest)
    result = build_app(project, manifest, trust_scripts=True)  # its golden test runs the script
    assert result.reports[0].passed
    with zipfile.ZipFile(result.path) as archive:
        assert archive.read("components/smooth.py") == (project / "components" / "smooth.py").read_bytes()
        assert '"type": "project.smooth"' in archive.read("components/smooth.declarations.json").decode()
    # verified against the declarations, without running the script
    assert verify_app(result.path, allow_unsigned=True).failure is None
    # the headless runtime: verify, unpack, load the script, compile
    site = tmp_path / "site"
    site.mkdir()
    (site / "bindings.yaml").write_text(BINDINGS, encoding="utf-8")
    app = load_app(RuntimeConfig(result.path, site / "data", site / "bindings.yaml", project / "devices",
                                 allow_unsigned=True))
    source = open_source(recording)
    (inputs,) = list(source.chunks(["flow"], 100_000))
    headless = Run(app.compiled).push(inputs)["smoothed_flow"]
    workbench = workbench_outputs(project, recording)
    assert len(headless) == len(workbench) == source.count_rows() > 0
    np.testing.assert_array_equal(headless.t, workbench.t)
    np.testing.assert_array_equal(headless.v, workbench.v)
    assert not np.allclose(headless.v, inputs["flow"].v)  # the script did smooth


def test_a_script_that_differs_from_its_declarations_is_refused_by_the_runtime(project, tmp_path):
    write_new_app(project, "graphs/smoothing.json", APP_ID, trust_scripts=True)
    result = build_app(project, project / "apps" / "smoothing" / "app.yaml", trust_scripts=True)
    folder = tmp_path / "installed"
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(folder)
    from nodes.project_components import load_project_components
    from nodes.script_components import declaration_mismatches

    script = folder / "components" / "smooth.py"
    script.write_text(script.read_text(encoding="utf-8").replace('"alpha", "float", 0.5', '"alpha", "float", 0.7'),
                      encoding="utf-8")
    registry, problems = load_project_components(folder / "components", default_registry(), scripts=True)
    assert problems == []
    assert declaration_mismatches(folder / "components", registry) == [
        "components/smooth.declarations.json: the script's 'project.smooth' does not match its declaration in "
        "the archive"]


def test_build_errors_still_name_bad_imports_of_a_used_script(project):
    write_new_app(project, "graphs/smoothing.json", APP_ID, trust_scripts=True)
    script = project / "components" / "smooth.py"
    script.write_text(script.read_text(encoding="utf-8").replace("import numpy as np\n",
                                                                 "import numpy as np\nimport json5  # noqa\n"),
                      encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build_app(project, project / "apps" / "smoothing" / "app.yaml", trust_scripts=True)
    assert any("components/smooth.py" in p and "json5" in p for p in caught.value.problems)
