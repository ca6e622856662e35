"""The Scripts view on the example project: a scaffolded component on a canvas, tried on the recording, an error marked.

Writes ``screenshots/script-editor.LANG.png`` (and with ``MILLWRIGHT_DOCS_IMAGES=1`` the copy in
``docs/images/`` the README shows), in English and Chinese.
"""

from __future__ import annotations

import shutil

import pytest
from qtpy.QtCore import Qt

from app_packager.folder_trust import TrustedFolders
from nodes.graph import Graph
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_device_screenshots import save
from workbench.ui import i18n

WIDTH, HEIGHT = 1440, 960
DEADLINE = 60.0


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_script_editor_screenshot(make_window, loop, qapp, tmp_path, language):
    project = tmp_path / "pump_station"
    shutil.copytree(example_project(), project)
    TrustedFolders().trust(project)
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme("light")
    assert run(loop, window.open_project(project, remember=False))
    window.resize(WIDTH, HEIGHT)
    window.reset_layout()
    view = window.views["scripts"]
    path = view.new_component("flow_smooth")
    run(loop, until(lambda: view.path == path, DEADLINE), DEADLINE + 5)
    text = path.read_text(encoding="utf-8").replace('"alpha", "float", 0.5', '"alpha", "float", 0.002')
    view.editor.setPlainText(text)
    assert view.save()
    run(loop, until(lambda: not view.support.busy and "project.flow_smooth" in window.components.registry
                    and not view.editor.document().isModified(), DEADLINE), DEADLINE + 5)
    # the component on a canvas, between the recording's flow and a graph output
    graph = Graph("Smoothed flow")
    graph.add_node("flow", "io.input", {"column": "flow", "unit": "m^3/h"}, position=(0.0, 0.0))
    graph.add_node("smooth", "project.flow_smooth", {"alpha": 0.002}, position=(260.0, 0.0))
    graph.add_node("out", "io.output", {"column": "smoothed_flow"}, position=(520.0, 0.0))
    graph.connect("flow.y", "smooth.x")
    graph.connect("smooth.y", "out.x")
    (project / "graphs" / "smoothing.json").write_text(graph.to_text(), encoding="utf-8")
    editor = window.editor_area.open_graph(project / "graphs" / "smoothing.json")
    window.docks["scripts"].raise_()
    window.resizeDocks([window.docks["scripts"]], [560], Qt.Orientation.Vertical)
    view.show_try()
    view.set_recording(project / "data" / "pump_run.csv")
    view.input_choices["x"].setCurrentIndex(view.input_choices["x"].findData("flow"))
    view.start_try()
    run(loop, until(lambda: view._try is None and view.last_outputs, DEADLINE), DEADLINE + 5)
    assert len(view.last_outputs["y"]) > 1000
    # an edit with a mistake, marked at its line as it is typed
    line = text.splitlines().index('        alpha = self.p["alpha"]') + 1
    view.editor.setPlainText(text.replace('        alpha = self.p["alpha"]', '        alpha = self.p["alpha"'))
    view.check_syntax()
    assert view.editor.error_line == line
    view.editor.go_to_line(line)
    editor.canvas.fit()
    qapp.processEvents()
    save(window.grab().toImage(), f"script-editor.{language}.png")
    view.editor.setPlainText(text)
    view.editor.document().setModified(False)
