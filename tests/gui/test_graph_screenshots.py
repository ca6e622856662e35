"""The example's pump-efficiency graph running live on the OPC UA simulator, with badges and a probe.

Writes ``screenshots/graph-live.LANG.png`` (and with ``MILLWRIGHT_DOCS_IMAGES=1`` the copy in
``docs/images/`` the README shows), in English and Chinese.
"""

from __future__ import annotations

import pytest

from model_designer.run import RunState
from tests.gui.conftest import run, until
from tests.gui.test_device_screenshots import DEADLINE, OPCUA, open_site, save, site  # noqa: F401 - site is a fixture


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_graph_running_live_screenshot(make_window, loop, qapp, site, language):  # noqa: F811 - the fixture
    window = open_site(make_window, loop, qapp, site, language)
    run(loop, window.devices.connect(OPCUA), timeout=DEADLINE)
    window.views["project"].file_activated.emit(site / "graphs" / "pump_efficiency.json")
    run(loop, until(lambda: window.editor_area.current_editor() is not None))
    editor = window.editor_area.current_editor()
    bar = window.editor_area.run_bars[editor]
    bar.source.setCurrentIndex(bar.source.findData("live"))
    bar.run()
    run(loop, until(lambda: bar.runner is not None and bar.runner.snapshot().state == RunState.RUNNING
                    and bar.runner.snapshot().outputs.get("efficiency", 0) >= 30, DEADLINE), DEADLINE + 5)
    editor.canvas.fit()
    qapp.processEvents()
    wire = next(item for edge, item in editor.canvas.scene.edges.items()
                if edge.source == "pump" and edge.source_port == "efficiency")
    bubble = bar.probes.open(wire)  # what a click on the wire does (tests/gui/test_graph_run.py clicks)
    run(loop, until(lambda: len(bubble.sparkline.values) >= 10, DEADLINE), DEADLINE + 5)
    editor.canvas.select(["pump"])
    window.docks["inspector"].raise_()  # the selected node's parameters and documentation
    qapp.processEvents()
    assert bar.overlay.badges["pump"].status.state == "ok"
    assert window.status.run_state == "running"  # the status bar says so too
    save(window.grab().toImage(), f"graph-live.{language}.png")
    bar.stop()
    run(loop, until(lambda: window.status.run_state == "idle"))
