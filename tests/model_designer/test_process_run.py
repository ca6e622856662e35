"""Runs of graphs with script components in a worker process: same outputs, and Stop kills a hung one.

No Qt. Conditions are waited for under generous deadlines; counts and values are asserted, never times.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from model_designer.process_run import ProcessGraphRunner, runner_for, uses_scripts
from model_designer.run import GraphRunner, RecordingInput, RunState
from nodes.graph import Graph
from nodes.project_components import ProjectComponents
from nodes.registry import default_registry
from tests.model_designer.test_graph_runner import wait_for

SCRIPT = '''"""Script components of the test project."""
import numpy as np

from nodes.component import Component, Kind, Param, Port, Text


class Offset(Component):
    """y = x + offset, in the unit of x. References: none."""

    type_name = "project.offset"
    title = Text("Offset", "偏移")
    inputs = (Port("x", Kind.SIGNAL, "*"),)
    outputs = (Port("y", Kind.SIGNAL, "=x"),)
    params = (Param("offset", "float", 1.0),)

    def process(self, inputs, state):
        return {"y": inputs["x"].with_values(np.asarray(inputs["x"].v) + self.p["offset"])}


class Hang(Component):
    """Never returns (a bug a model author may write). References: none."""

    type_name = "project.hang"
    title = Text("Hang")
    inputs = (Port("x", Kind.SIGNAL, "*"),)
    outputs = (Port("y", Kind.SIGNAL, "=x"),)

    def process(self, inputs, state):
        while True:
            pass
'''


@pytest.fixture
def components(tmp_path):
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "mine.py").write_text(SCRIPT, encoding="utf-8")
    loaded = ProjectComponents(default_registry(), trust=lambda root: True)
    loaded.open(tmp_path)
    assert loaded.problems == []
    return loaded


@pytest.fixture
def recording(tmp_path):
    path = tmp_path / "run.csv"
    rows = ["time,flow"] + [f"{i * 0.1:.1f},{i}" for i in range(2500)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def graph_with(middle: str) -> Graph:
    graph = Graph("scripted")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("mid", middle, {"offset": 2.5} if middle == "project.offset" else {})
    graph.add_node("out", "io.output", {"column": "y"})
    graph.connect("flow.y", "mid.x")
    graph.connect("mid.y", "out.x")
    return graph


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_graph_with_a_script_component_runs_in_a_worker_process_with_the_same_outputs(components, recording):
    graph = graph_with("project.offset")
    registry = components.registry
    assert uses_scripts(graph, registry) and not uses_scripts(graph_with("signal.scale"), registry)
    runner = runner_for(graph, registry, RecordingInput(recording))
    assert isinstance(runner, ProcessGraphRunner)
    runner.start()
    wait_for(lambda: runner.snapshot().state == RunState.FINISHED, 120)
    assert runner.worker_pid is not None and runner.worker_pid != os.getpid()
    wait_for(lambda: gone(runner.worker_pid))  # the worker ends with the run
    local = GraphRunner(graph, registry, RecordingInput(recording))  # the same graph on a thread, for comparison
    local.start()
    wait_for(lambda: local.snapshot().state == RunState.FINISHED)
    remote_y, local_y = runner.output("y"), local.output("y")
    assert len(remote_y) == 2500
    np.testing.assert_array_equal(remote_y.t, local_y.t)
    np.testing.assert_array_equal(remote_y.v, local_y.v)
    assert remote_y.v[10] == 12.5
    snapshot = runner.snapshot()
    assert snapshot.nodes["mid"].state == "ok" and snapshot.nodes["mid"].samples_out == 2500
    assert snapshot.probes["mid.y"].latest[1] == 2501.5
    assert snapshot.outputs == {"y": 2500}


def test_stopping_a_hung_script_component_kills_its_worker_process(components, recording):
    runner = runner_for(graph_with("project.hang"), components.registry, RecordingInput(recording))
    runner.start()
    wait_for(lambda: runner.run is not None and runner.snapshot().state == RunState.RUNNING, 120)
    pid = runner.worker_pid
    assert not gone(pid)
    assert runner.snapshot().ticks == 0  # inside the first tick, forever
    runner.stop()
    assert runner.join(30)
    assert runner.snapshot().state == RunState.STOPPED and runner.snapshot().message == ""
    assert gone(pid) and not runner.worker.process.is_alive()


def test_a_script_that_does_not_load_in_the_worker_fails_the_run_with_its_reason(components, recording, tmp_path):
    graph = graph_with("project.offset")
    graph.nodes["mid"].params["offset"] = "three"  # refused by the declaration, in the worker's compile
    runner = runner_for(graph, components.registry, RecordingInput(recording))
    runner.start()
    assert runner.join(120)
    snapshot = runner.snapshot()
    assert snapshot.state == RunState.FAILED and "offset" in snapshot.message
    wait_for(lambda: gone(runner.worker_pid))
