"""Renders the workbench on the example project in both languages and saves PNGs to look at."""

import os
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


DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_start_page_screenshot(make_window, loop, qapp, language):
    """The start page with the example project open: ``screenshots/start-page.LANG.png``.

    With ``MILLWRIGHT_DOCS_IMAGES=1`` the picture also goes to ``docs/images/start-page.LANG.png``,
    the copy the README shows (``MILLWRIGHT_DOCS_IMAGES=1 pytest tests/gui/test_screenshots.py``).
    """
    window = make_window()
    i18n.install_language(qapp, language)
    window.set_theme("light")
    assert run(loop, window.open_project(example_project(), remember=False))
    window.resize(1280, 800)
    window.reset_layout()
    qapp.processEvents()
    page = window.start_page
    assert page.guide.isVisible()
    for label in page.step_labels:
        assert label.height() >= label.heightForWidth(label.width()), f"cut off: {label.text()}"
    for field in page.commands.values():
        assert field.line.width() >= field.line.fontMetrics().horizontalAdvance(field.command()) * 0.6
    assert ("泵站示例入门" in page.guide_title.text()) == (language == "zh_CN")
    image = window.grab().toImage()
    targets = [SHOTS] + ([DOCS_IMAGES] if os.environ.get("MILLWRIGHT_DOCS_IMAGES") else [])
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        assert image.save(str(folder / f"start-page.{language}.png"))
    colours = {image.pixel(x, y) for x in range(0, image.width(), 37) for y in range(0, image.height(), 37)}
    assert len(colours) > 5, "the window rendered blank"
