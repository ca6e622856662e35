"""Renders the workbench on the example project in both languages and saves PNGs to look at."""

from pathlib import Path

import pytest

from nodes.resources import example_project
from tests.gui.conftest import run
from workbench.ui import i18n

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.mark.parametrize(("language", "theme_name", "menu"), [("en", "light", "&File"), ("zh_CN", "dark", "文件(&F)")])
def test_workbench_screenshot(make_window, loop, qapp, language, theme_name, menu):
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme(theme_name)
    assert run(loop, window.open_project(example_project(), remember=False))
    window.resize(1280, 800)
    window.reset_layout()
    qapp.processEvents()
    assert window.menuBar().actions()[0].text() == menu
    image = window.grab().toImage()
    SHOTS.mkdir(exist_ok=True)
    assert image.save(str(SHOTS / f"workbench_{language}_{theme_name}.png"))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 5, "the window rendered blank"
