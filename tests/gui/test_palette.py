"""The palette: grouped tree, search, tooltips, drag MIME, keyboard, language."""

from __future__ import annotations

import pytest
from qtpy.QtCore import QEvent, QLocale, Qt
from qtpy.QtWidgets import QApplication

from model_designer.catalog import COMPONENT_MIME_TYPE
from model_designer.palette import TYPE_ROLE, PaletteView
from nodes.registry import default_registry


@pytest.fixture
def palette(qtbot):
    view = PaletteView(default_registry())
    qtbot.addWidget(view)
    return view


def top_level(view):
    root = view.tree.invisibleRootItem()
    return [root.child(i) for i in range(root.childCount())]


def component(view, type_name):
    return next(item for item in view._component_items() if item.data(0, TYPE_ROLE) == type_name)


def test_components_grouped_by_category(palette):
    groups = top_level(palette)
    assert [g.text(0) for g in groups][:2] == ["Inputs and outputs (2)", "Signal processing (21)"]
    vibration = next(g for g in groups if g.text(0).startswith("Vibration"))
    children = [vibration.child(i).data(0, TYPE_ROLE) for i in range(vibration.childCount())]
    assert "vibration.rms" in children and all(name.startswith("vibration.") for name in children)
    assert sum(g.childCount() for g in groups) == len(default_registry())


def test_drag_mime_carries_the_type_name(palette):
    item = component(palette, "signal.lowpass")
    mime = palette.tree.mimeData([item])
    assert bytes(mime.data(COMPONENT_MIME_TYPE)).decode() == "signal.lowpass"
    assert palette.tree.mimeTypes() == [COMPONENT_MIME_TYPE]
    assert palette.tree.mimeData([top_level(palette)[0]]) is None  # a category is not a component
    assert item.flags() & Qt.ItemFlag.ItemIsDragEnabled


def test_tooltip_has_description_formula_and_reference(palette):
    tip = component(palette, "signal.scale").toolTip(0)
    assert "Linear scaling" in tip
    assert "<pre>y = gain · x + offset</pre>" in tip
    assert "IEC 61131-3" in tip


def test_search_shows_matches_best_first_and_enter_chooses(palette, qtbot):
    palette.set_filter("rms")
    assert palette.current_type() == "vibration.rms"
    shown = {item.data(0, TYPE_ROLE) for item in palette._component_items()}
    assert "vibration.rms" in shown and "signal.lowpass" not in shown
    with qtbot.waitSignal(palette.component_chosen) as chosen:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert chosen.args == ["vibration.rms"]


def test_arrow_keys_move_from_the_search_box_into_the_list(palette, qtbot):
    palette.show()
    palette.activateWindow()
    qtbot.waitUntil(palette.isActiveWindow)  # focus moves only inside the active window
    palette.set_filter("pass")
    first = palette.current_type()
    palette.search.setFocus()
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    qtbot.waitUntil(palette.tree.hasFocus)
    assert palette.current_type() not in (None, first)  # the next match
    with qtbot.waitSignal(palette.component_chosen) as chosen:
        qtbot.keyClick(palette.tree, Qt.Key.Key_Return)
    assert chosen.args == [palette.current_type()]
    qtbot.keyClick(palette.tree, Qt.Key.Key_Escape)
    qtbot.waitUntil(palette.search.hasFocus)


def test_double_click_chooses(palette, qtbot):
    item = component(palette, "logic.and")
    with qtbot.waitSignal(palette.component_chosen) as chosen:
        palette.tree.itemDoubleClicked.emit(item, 0)
    assert chosen.args == ["logic.and"]


def test_categories_remember_expansion_across_a_search(palette):
    quality = next(g for g in top_level(palette) if g.text(0).startswith("Quality"))
    quality.setExpanded(True)
    palette.set_filter("filter")
    assert all(g.isExpanded() for g in top_level(palette))
    palette.set_filter("")
    expanded = [g.text(0) for g in top_level(palette) if g.isExpanded()]
    assert expanded == ["Quality (SPC) (6)"]


def test_titles_follow_the_ui_language(palette):
    try:
        QLocale.setDefault(QLocale("zh_CN"))
        QApplication.sendEvent(palette, QEvent(QEvent.Type.LanguageChange))
        assert top_level(palette)[3].text(0).startswith("振动分析")
        assert component(palette, "signal.median").text(0) == "滑动中值"
        palette.set_filter("滑动中值")
        assert palette.current_type() == "signal.median"
    finally:
        QLocale.setDefault(QLocale("en"))
    QApplication.sendEvent(palette, QEvent(QEvent.Type.LanguageChange))
    assert component(palette, "signal.median").text(0) == "Moving median"
