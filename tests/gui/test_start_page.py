"""The start page: its guided first run, in English and Chinese, and the way it opens the example."""

from __future__ import annotations

import re
import shlex

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from nodes.resources import example_project
from tests.gui.conftest import run, until
from workbench.ui import i18n
from workbench.ui.start_page import EXAMPLE_LINK, RUN_COMMAND, SIMULATE_COMMAND, StartPage

CJK = re.compile(r"[\u4e00-\u9fff]")


def _page(qtbot) -> StartPage:
    page = StartPage()
    qtbot.addWidget(page)
    page.set_recent([])
    return page


def _guide(page: StartPage) -> str:
    return "\n".join([page.guide_title.text(), *(label.text() for label in page.step_labels)])


def test_the_guide_names_the_simulator_the_example_a_graph_and_the_recording(qtbot):
    page = _page(qtbot)
    assert len(page.step_labels) == 4
    assert [field.command() for field in page.commands.values()] == [SIMULATE_COMMAND, RUN_COMMAND]
    assert SIMULATE_COMMAND == "millwright simulate opcua" and "data/pump_run.csv" in RUN_COMMAND
    text = _guide(page)
    assert f'href="{EXAMPLE_LINK}"' in text and "graphs/vibration_alarm.json" in text
    assert not CJK.search(text)


def test_the_guides_files_are_in_the_example_project():
    """The run-graph command shown on the page works from the example's folder as written."""
    args = shlex.split(RUN_COMMAND)
    assert args[:2] == ["millwright", "run-graph"]
    assert (example_project() / args[2]).is_file()
    assert (example_project() / args[args.index("--input") + 1]).is_file()


def test_a_command_is_one_line_and_copies_whole(qtbot):
    page = _page(qtbot)
    field = page.commands[RUN_COMMAND]
    assert field.line.isReadOnly()
    qtbot.mouseClick(field.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == RUN_COMMAND


def test_the_button_and_the_link_ask_for_the_example(qtbot):
    page = _page(qtbot)
    with qtbot.waitSignal(page.example_requested, timeout=1000):
        qtbot.mouseClick(page.example_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(page.example_requested, timeout=1000):
        page.step_labels[1].linkActivated.emit(EXAMPLE_LINK)
    with qtbot.assertNotEmitted(page.example_requested):
        page.step_labels[1].linkActivated.emit("https://example.com/")


def test_the_guide_is_in_chinese_and_keeps_its_commands(qtbot, qapp):
    page = _page(qtbot)
    try:
        assert i18n.install_language(qapp, "zh_CN") == "zh_CN"
        qapp.processEvents()  # LanguageChange is posted; the page retranslates live
        text = _guide(page)
        assert page.guide_title.text() == "<b>泵站示例入门</b>" and "打开示例项目" in text
        assert all(CJK.search(label.text()) for label in page.step_labels)
        assert f'href="{EXAMPLE_LINK}"' in text
        assert [field.command() for field in page.commands.values()] == [SIMULATE_COMMAND, RUN_COMMAND]
        assert page.commands[RUN_COMMAND].copy_button.text() == "复制"
    finally:
        i18n.install_language(qapp, "en")
        qapp.processEvents()
    assert not CJK.search(_guide(page))


def test_the_example_button_opens_the_example_project(make_window, loop, qtbot):
    window = make_window()
    assert window.project is None
    qtbot.mouseClick(window.start_page.example_button, Qt.MouseButton.LeftButton)
    run(loop, until(lambda: window.project is not None))
    assert window.project.root == example_project().resolve() and window.project.name == "Pump station"
