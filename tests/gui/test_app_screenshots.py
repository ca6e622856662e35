"""The App panel on the example project: its manifest beside a finished, signed build with its golden-test report.

Writes ``screenshots/app-panel.LANG.png`` (and with ``MILLWRIGHT_DOCS_IMAGES=1`` the copy in
``docs/images/`` the README shows), in English and Chinese.
"""

from __future__ import annotations

import shutil

import pytest

from app_packager.ui.signing_keys import NewKey
from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_device_screenshots import save, side_by_side
from workbench.ui import i18n

PANEL_WIDTH, HEIGHT = 760, 900


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_app_panel_screenshot(make_window, loop, qapp, tmp_path, language):
    project = tmp_path / "pump_station"
    shutil.copytree(example_project(), project)
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme("light")
    assert run(loop, window.open_project(project, remember=False))
    window.resize(1440, HEIGHT)
    window.reset_layout()
    dock, panel = window.docks["apps"], window.views["apps"]
    dock.setFloating(True)  # the whole height for the panel, as a user undocks it to work on an app
    dock.resize(PANEL_WIDTH, HEIGHT)
    run(loop, until(lambda: panel.editor.path is not None and not panel.editor.problems))
    qapp.processEvents()
    manifest = dock.grab().toImage()

    run(loop, panel.build_view.create_key(NewKey("example-publisher", tmp_path / "example.key.pem",
                                                 tmp_path / "example.pub.pem", trust=True)))
    panel.show_page(panel.build_view)
    assert run(loop, panel.build_view.build(), timeout=60) is not None
    report = panel.build_view.report
    assert [report.item(r, 2).text() for r in range(report.rowCount())] == [report.item(0, 2).text()] * 6
    qapp.processEvents()
    build = dock.grab().toImage()

    save(side_by_side(manifest, build, window.palette().window().color()), f"app-panel.{language}.png")
    dock.setFloating(False)
