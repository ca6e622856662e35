"""Script components in the workbench: the trust question, hot reload, broken files, the editor, try on data, stop.

Conditions are awaited under generous deadlines; nothing asserts a duration.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import time

import pytest
from qtpy.QtCore import QTimer

from app_packager.folder_trust import TrustedFolders
from model_designer.process_run import ProcessGraphRunner
from model_designer.run import RunState
from nodes.graph import Graph
from nodes.resources import example_project
from tests.gui.conftest import run, until

DEADLINE = 60.0

GAIN = '''"""Gain of the project."""
from nodes.component import Component, Kind, Param, Port, Text
{marker}

class Gain(Component):
    """y = k * x. References: none."""

    type_name = "project.gain"
    title = Text("Gain", "增益")
    inputs = (Port("x", Kind.SIGNAL, "*"),)
    outputs = (Port("y", Kind.SIGNAL, "=x"),{extra_port})
    params = (Param("k", "float", 2.0), {extra_param})

    def process(self, inputs, state):
        {body}
        return {{"y": inputs["x"].with_values(inputs["x"].v * self.p["k"]){extra_output}}}
'''


def gain(marker: str = "", extra_param: str = 'Param("offset", "float", 0.0)', extra_port: str = "",
         extra_output: str = "", body: str = "pass") -> str:
    return GAIN.format(marker=marker, extra_param=extra_param, extra_port=extra_port, extra_output=extra_output,
                       body=body)


@pytest.fixture
def project(tmp_path):
    """The example project (without its long recording) with a script component and a graph using it."""
    root = tmp_path / "pump_station"
    shutil.copytree(example_project(), root, ignore=shutil.ignore_patterns("pump_run.csv"))
    graph = Graph("Gain test")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"})
    graph.add_node("gain", "project.gain", {"k": 3.0, "offset": 1.0})
    graph.add_node("out", "io.output", {"column": "y"})
    graph.connect("flow.y", "gain.x")
    graph.connect("gain.y", "out.x")
    (root / "graphs" / "gain.json").write_text(graph.to_text(), encoding="utf-8")
    (root / "data" / "short.csv").write_text("time,flow\n" + "".join(f"{i * 0.5},{i % 7}\n" for i in range(400)),
                                             encoding="utf-8")
    return root


def open_project(make_window, loop, root):
    """A window on ``root``; a trusted project's scripts are loaded once they were vetted (a moment later)."""
    window = make_window()
    assert run(loop, window.open_project(root, remember=False))
    support = window.views["scripts"].support
    run(loop, until(lambda: not support.busy and not any(
        f.pending for f in window.components.script_failures.values()), DEADLINE), DEADLINE + 5)
    return window


def scripts(window):
    return window.views["scripts"]


def test_an_untrusted_folder_is_asked_about_and_nothing_runs_until_trusted(make_window, loop, project, tmp_path):
    marker = tmp_path / "imported"
    (project / "components" / "gain.py").write_text(gain(f"open({str(marker)!r}, 'a').close()"), encoding="utf-8")
    window = open_project(make_window, loop, project)
    support = scripts(window).support
    run(loop, until(lambda: support.trust_box is not None and support.trust_box.isVisible()))
    assert "gain.py" in support.trust_box.text() and not marker.exists()
    editor = window.editor_area.open_graph(project / "graphs" / "gain.json")
    item = editor.canvas.scene.nodes["gain"]
    assert item.cls is None  # shown as a missing component, saying why
    assert "is not installed" in item.problem and "components/gain.py is not loaded: the project folder is not " \
        "trusted" in item.problem
    support.trust_no.click()
    run(loop, until(lambda: support.trust_box is None))
    assert not marker.exists() and "project.gain" not in window.components.registry
    assert scripts(window).banner.isVisibleTo(scripts(window))
    # trusted later from the editor's banner: loaded at once, palette and canvas follow
    scripts(window).trust_button.click()
    run(loop, until(lambda: support.trust_box is not None))
    support.trust_yes.click()
    run(loop, until(lambda: "project.gain" in window.components.registry))
    assert marker.exists() and TrustedFolders().is_trusted(project)
    palette = window.views["palette"]
    assert any(e.type_name == "project.gain" for c in palette.catalog.categories() for e in c.entries)
    assert editor.canvas.scene.nodes["gain"].cls is window.components.registry.get("project.gain")
    assert not scripts(window).banner.isVisibleTo(scripts(window))


def test_a_changed_file_reloads_and_canvases_follow_keeping_parameters_that_still_exist(make_window, loop,
                                                                                          project, caplog):
    path = project / "components" / "gain.py"
    path.write_text(gain(), encoding="utf-8")
    TrustedFolders().trust(project)
    window = open_project(make_window, loop, project)
    assert scripts(window).support.trust_box is None  # trusted: not asked
    editor = window.editor_area.open_graph(project / "graphs" / "gain.json")
    first = window.components.registry.get("project.gain")
    assert editor.canvas.scene.nodes["gain"].cls is first
    editor.canvas.select(["gain"])
    # a new output port; 'offset' is no longer declared, 'k' still is
    path.write_text(gain(extra_param='Param("bias", "float", 0.5)', extra_port=' Port("z", Kind.SIGNAL, "=x")',
                         extra_output=', "z": inputs["x"]'), encoding="utf-8")
    run(loop, until(lambda: window.components.registry.get("project.gain") is not first, DEADLINE), DEADLINE + 5)
    item = editor.canvas.scene.nodes["gain"]
    assert item.cls is window.components.registry.get("project.gain")
    assert ("z", True) in item.ports and item.isSelected()
    assert editor.graph.nodes["gain"].params == {"k": 3.0}
    assert len(editor.canvas.scene.edges) == 2  # its wires kept
    assert any("parameter 'offset'" in r.getMessage() for r in caplog.records)
    # a file that no longer imports: its traceback in the log, its nodes missing, the rest untouched
    caplog.clear()
    path.write_text(gain().replace("class Gain", "LIMIT = undefined_name\n\n\nclass Gain"), encoding="utf-8")
    run(loop, until(lambda: "project.gain" not in window.components.registry, DEADLINE), DEADLINE + 5)
    assert editor.canvas.scene.nodes["gain"].cls is None
    run(loop, until(lambda: "NameError" in (editor.canvas.scene.nodes["gain"].problem or "")))
    assert editor.graph.nodes["gain"].params == {"k": 3.0}  # kept for when it loads again
    assert "signal.bandpass" in window.components.registry
    records = [r for r in caplog.records if "NameError" in r.getMessage()]
    assert records and "Traceback" in records[0].getMessage() and "gain.py" in records[0].getMessage()
    view = scripts(window)
    view.open_file(path)
    line = path.read_text(encoding="utf-8").splitlines().index("LIMIT = undefined_name") + 1
    assert view.editor.error_line == line and "NameError" in view.status.text()


def test_the_editor_marks_syntax_errors_and_save_reloads(make_window, loop, project):
    TrustedFolders().trust(project)
    window = open_project(make_window, loop, project)
    view = scripts(window)
    path = view.new_component("smooth")
    run(loop, until(lambda: "project.smooth" in window.components.registry, DEADLINE), DEADLINE + 5)
    assert path == project / "components" / "smooth.py" and view.path == path
    assert "project.smooth" in view.status.text()
    assert (project / "tests" / "test_smooth.py").is_file()
    text = view.editor.toPlainText()
    view.editor.setPlainText(text.replace("    def process(self", "    def process(self,,"))
    view.check_syntax()
    line = next(number for number, text in enumerate(view.editor.toPlainText().splitlines(), 1)
                if text.startswith("    def process(self,,"))
    assert view.editor.error_line == line
    view.editor.setPlainText(text.replace('title = Text("Smooth", "Smooth")', 'title = Text("Smoothing", "平滑")'))
    before = window.components.registry.get("project.smooth")
    assert view.save()
    run(loop, until(lambda: window.components.registry.get("project.smooth") is not before, DEADLINE), DEADLINE + 5)
    after = window.components.registry.get("project.smooth")
    assert after is not before and after.title.zh == "平滑" and view.editor.error_line is None
    assert path.read_text(encoding="utf-8") == view.editor.toPlainText()


def test_try_on_data_plots_the_outputs_computed_in_a_worker(make_window, loop, project):
    (project / "components" / "gain.py").write_text(gain(), encoding="utf-8")
    TrustedFolders().trust(project)
    window = open_project(make_window, loop, project)
    view = scripts(window)
    view.open_file(project / "components" / "gain.py")
    view.show_try()
    view.set_recording(project / "data" / "short.csv")
    assert view.input_choices["x"].currentData() == "flow"
    view.start_try()
    run(loop, until(lambda: view._try is None and view.last_outputs, DEADLINE), DEADLINE + 5)
    y = view.last_outputs["y"]
    assert len(y) == 400 and list(y.v[:8]) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 0.0]
    assert list(view.last_outputs["x (input)"].v[:8]) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.0]
    assert len(view.plot.getPlotItem().listDataItems()) == 2  # the input beside the output


def test_stopping_a_hung_script_run_from_the_run_bar_kills_its_process(make_window, loop, project):
    (project / "components" / "gain.py").write_text(gain(body="while True:\n            pass"), encoding="utf-8")
    TrustedFolders().trust(project)
    window = open_project(make_window, loop, project)
    editor = window.editor_area.open_graph(project / "graphs" / "gain.json")
    editor.graph.reset_param("gain", "offset")
    bar = window.editor_area.run_bars[editor]
    bar.set_recording(project / "data" / "short.csv")
    bar.run()
    assert isinstance(bar.runner, ProcessGraphRunner)
    run(loop, until(lambda: bar.runner.run is not None and bar.state == RunState.RUNNING, DEADLINE), DEADLINE + 5)
    pid = bar.runner.worker_pid
    bar.stop()
    run(loop, until(lambda: bar.state == RunState.STOPPED, DEADLINE), DEADLINE + 5)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert window.status.run_state == "idle"


@pytest.fixture(autouse=True)
def _info_logs(caplog):
    caplog.set_level(logging.INFO)


def test_a_script_that_hangs_at_import_is_refused_and_the_window_stays_responsive(make_window, loop, project,
                                                                                  monkeypatch):
    monkeypatch.setattr("workbench.ui.script_support.VET_TIMEOUT_S", 5.0)
    hanging = gain().replace("class Gain", "while True:\n    pass\n\n\nclass Gain")
    (project / "components" / "gain.py").write_text(hanging, encoding="utf-8")
    TrustedFolders().trust(project)
    ticks = []
    timer = QTimer(interval=50, timeout=lambda: ticks.append(time.monotonic()))
    timer.start()
    window = open_project(make_window, loop, project)  # opens, then vets on a worker thread
    timer.stop()
    assert "did not finish within 5 s" in window.components.script_failures["components/gain.py"].message
    assert "project.gain" not in window.components.registry and "signal.bandpass" in window.components.registry
    # Importing it here would have frozen the UI thread for good; vetting costs it no stall near the 5 s timeout.
    assert len(ticks) >= 2 and max(b - a for a, b in itertools.pairwise(ticks)) < 2.5
    # the same for a save that makes it hang again after it was fixed
    support = scripts(window).support
    (project / "components" / "gain.py").write_text(gain(), encoding="utf-8")
    support.reload()
    run(loop, until(lambda: "project.gain" in window.components.registry, DEADLINE), DEADLINE + 5)
    (project / "components" / "gain.py").write_text(hanging.replace("while True:", "while 1 < 2:"), encoding="utf-8")
    support.reload()
    run(loop, until(lambda: "project.gain" not in window.components.registry
                    and not window.components.script_failures["components/gain.py"].pending, DEADLINE), DEADLINE + 5)
    assert "did not finish" in window.components.script_failures["components/gain.py"].message
