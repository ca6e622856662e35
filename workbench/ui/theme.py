"""Light and dark themes on Qt's Fusion style; "system" follows the desktop's colour scheme."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QApplication

_following_system = False


def _dark_palette() -> QPalette:
    palette = QPalette()
    base, window, text, disabled = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229), QColor(120, 122, 126)
    roles = {
        QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base, QPalette.ColorRole.AlternateBase: QColor(38, 40, 43),
        QPalette.ColorRole.ToolTipBase: window, QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text, QPalette.ColorRole.Button: window,
        QPalette.ColorRole.ButtonText: text, QPalette.ColorRole.BrightText: QColor(255, 99, 71),
        QPalette.ColorRole.Link: QColor(86, 156, 214), QPalette.ColorRole.Highlight: QColor(38, 117, 191),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.PlaceholderText: disabled,
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def system_prefers_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def effective_theme(app: QApplication, theme: str) -> str:
    """"light" or "dark": what ``theme`` ("system", "light", "dark") means on this desktop now."""
    if theme == "system":
        return "dark" if system_prefers_dark(app) else "light"
    return theme


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply a theme preference and return the effective theme."""
    global _following_system
    app.setStyle("Fusion")
    effective = effective_theme(app, theme)
    app.setPalette(_dark_palette() if effective == "dark" else app.style().standardPalette())
    hints = app.styleHints()
    if theme == "system" and not _following_system:
        hints.colorSchemeChanged.connect(_on_system_scheme_changed)
        _following_system = True
    elif theme != "system" and _following_system:
        hints.colorSchemeChanged.disconnect(_on_system_scheme_changed)
        _following_system = False
    return effective


def _on_system_scheme_changed(_scheme) -> None:
    app = QApplication.instance()
    if app is not None:
        apply_theme(app, "system")
