"""User-interface language: Millwright's own translations plus Qt's for standard dialogs."""

from __future__ import annotations

import logging

from qtpy.QtCore import QLibraryInfo, QLocale, QTranslator
from qtpy.QtWidgets import QApplication

from nodes.resources import resources_dir

log = logging.getLogger(__name__)

_installed: list[QTranslator] = []


def resolve_language(language: str) -> str:
    """Map a preference ("system", "en", "zh_CN") to the locale the UI will use."""
    if language == "system":
        return "zh_CN" if QLocale.system().name().startswith("zh") else "en"
    return language


def install_language(app: QApplication, language: str) -> str:
    """Switch the UI language; open windows retranslate on the LanguageChange event."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    code = resolve_language(language)
    QLocale.setDefault(QLocale(code))
    if code == "en":
        return code
    own = resources_dir() / "translations" / f"millwright_{code}.qm"
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for name, folder in ((own.stem, str(own.parent)), (f"qtbase_{code}", qt_dir)):
        translator = QTranslator(app)
        if translator.load(name, folder):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            log.warning("No %s translation %s.qm in %s; run 'make translations'", code, name, folder)
    return code
