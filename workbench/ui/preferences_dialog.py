"""Preferences: language, theme and autosave interval. Applied live, no restart."""

from __future__ import annotations

from qtpy.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QSpinBox, QWidget

from workbench.settings import LANGUAGES, THEMES, Settings


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.language = QComboBox()
        # Each language is named in itself, so a user can find theirs whatever the UI shows now.
        for code, name in zip(LANGUAGES, (self.tr("System default"), "English", "简体中文"), strict=True):
            self.language.addItem(name, code)
        self.language.setCurrentIndex(LANGUAGES.index(settings.language))
        self.theme = QComboBox()
        for code, name in zip(THEMES, (self.tr("Follow the system"), self.tr("Light"), self.tr("Dark")), strict=True):
            self.theme.addItem(name, code)
        self.theme.setCurrentIndex(THEMES.index(settings.theme))
        self.autosave = QSpinBox()
        self.autosave.setRange(10, 3600)
        self.autosave.setSuffix(self.tr(" s"))
        self.autosave.setValue(settings.autosave_seconds)
        self.autosave.setToolTip(self.tr("How often a recovery copy of unsaved changes is written"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Language:"), self.language)
        form.addRow(self.tr("Theme:"), self.theme)
        form.addRow(self.tr("Autosave every:"), self.autosave)
        form.addRow(buttons)

    def apply_to(self, settings: Settings) -> None:
        settings.language = self.language.currentData()
        settings.theme = self.theme.currentData()
        settings.autosave_seconds = self.autosave.value()
