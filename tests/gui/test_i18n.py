import re

from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import QDockWidget

from nodes.resources import resources_dir
from workbench.ui import i18n

CJK = re.compile(r"[\u4e00-\u9fff]")


def _all_action_texts(window):
    texts = []
    for menu_action in window.menuBar().actions():
        texts.append(menu_action.text())
        for action in menu_action.menu().actions():
            if not action.isSeparator() and action.text():
                texts.append(action.text())
    return texts


def test_compiled_translation_ships():
    assert (resources_dir() / "translations" / "millwright_zh_CN.qm").stat().st_size > 1000


def test_a_chinese_font_is_installed(qapp):  # QFontDatabase needs a QGuiApplication
    # Without one, Chinese renders as boxes and nothing reports an error.
    assert QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)


def test_zh_cn_loads_and_menus_appear_in_chinese(make_window, qapp):
    window = make_window()
    assert i18n.install_language(qapp, "zh_CN") == "zh_CN"
    qapp.processEvents()  # LanguageChange events are posted; the window retranslates live
    assert window.menuBar().actions()[0].text() == "文件(&F)"
    assert window.actions.save.text() == "保存(&S)"
    docks = {d.windowTitle() for d in window.findChildren(QDockWidget)}
    assert docks == {"项目", "设备", "设备浏览", "组件库", "属性", "监视", "趋势", "日志", "输出", "问题", "应用",
                     "脚本", "控制台", "数据"}
    # Every menu entry Millwright owns is translated (dock toggles come from the dock titles).
    untranslated = [t for t in _all_action_texts(window) if not CJK.search(t) and "Qt" not in t
                    and "Millwright" not in t]
    assert untranslated == []
    assert window.devices_label.text() == "未连接设备"
    i18n.install_language(qapp, "en")
    qapp.processEvents()
    assert window.menuBar().actions()[0].text() == "&File"


def test_system_language_follows_the_locale(monkeypatch):
    from qtpy.QtCore import QLocale

    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("zh_CN")))
    assert i18n.resolve_language("system") == "zh_CN"
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("de_DE")))
    assert i18n.resolve_language("system") == "en"


def test_every_translation_is_finished():
    source = (resources_dir() / "translations" / "millwright_zh_CN.ts").read_text(encoding="utf-8")
    assert 'type="unfinished"' not in source and source.count("<translation>") == source.count("<source>")
