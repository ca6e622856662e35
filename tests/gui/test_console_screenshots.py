"""The Console on the example project: a recording, a graph run on it, and an inline plot.

Writes ``screenshots/console.LANG.png`` (and with ``MILLWRIGHT_DOCS_IMAGES=1`` the copy in
``docs/images/`` the README shows), in English and Chinese.
"""

from __future__ import annotations

import asyncio

import pytest
from qtpy.QtCore import Qt

from nodes.resources import example_project
from tests.gui.conftest import run, until
from tests.gui.test_device_screenshots import save
from workbench.ui import i18n

WIDTH, HEIGHT = 1440, 1000
CONSOLE_HEIGHT = 640
KERNEL_START = 60
TITLE = {"en": "Pump efficiency over the recording (%)", "zh_CN": "泵效率（%）"}


def cells(language: str) -> list[str]:
    return ["project",
            "data = recording('pump_run')\nout = run('pump_efficiency', data)\n"
            "out[['efficiency', 'shaft_power', 'hydraulic_power']].describe().loc[['mean', 'min', 'max']]",
            f"plot(out, ['efficiency'], title={TITLE[language]!r})"]


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_console_screenshot(make_window, loop, qapp, language):
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme("light")
    assert run(loop, window.open_project(example_project(), remember=False))
    window.resize(WIDTH, HEIGHT)
    window.reset_layout()
    dock, view = window.docks["console"], window.views["console"]
    window.resizeDocks([dock], [CONSOLE_HEIGHT], Qt.Orientation.Vertical)  # room for a plot, as a user drags it
    dock.raise_()
    run(loop, until(lambda: view.state == "idle", KERNEL_START), timeout=KERNEL_START + 5)
    finished: list[dict] = []
    view.code_finished.connect(finished.append)
    for cell in cells(language):  # handed over at once: each runs when the one before is done
        view.execute(cell)
    run(loop, until(lambda: len(finished) == 3, 60), timeout=65)
    assert [reply["status"] for reply in finished] == ["ok"] * 3
    assert view.console._name_to_svg_map  # the plot is drawn inline, as a picture
    shown = view.console._control.toPlainText()
    assert [shown.count(f"In [{n}]") for n in (1, 2, 3, 4)] == [1, 1, 1, 1]  # each cell whole, in order
    run(loop, asyncio.sleep(0.3))  # the text's layout, the scroll to the end
    assert dock.windowTitle() == ("控制台" if language == "zh_CN" else "Console")
    save(window.grab().toImage(), f"console.{language}.png")
