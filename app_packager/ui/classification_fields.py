"""Classification and grading fields: a drop-down list per field, each value with its definition.

The values and their English and Chinese definitions come from the manifest schema
(:func:`app_packager.manifest.definitions`, :func:`~app_packager.manifest.industry_sections`),
so the panel, the CLI and a catalogue read them alike. Each item's tooltip is its full
definition and the line under each list repeats the chosen one. The industry is a GB/T 4754
section and, optionally, one of the divisions in that section's range.
"""

from __future__ import annotations

from typing import Any

from qtpy.QtCore import QEvent, QLocale, Qt, Signal
from qtpy.QtGui import QPalette
from qtpy.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app_packager.manifest import definitions, industry_sections
from app_packager.ui.narrow import narrow_combo

FIELDS = ("lifecycle", "level", "generality", "maturity")


def in_ui_language(text: dict[str, str]) -> str:
    """The ``zh`` text when the UI is in Chinese (and there is one), else the ``en`` text."""
    return (text.get("zh") or text["en"]) if QLocale().name().startswith("zh") else text["en"]


def short_label(definition: str) -> str:
    """The name part of a definition ("Device: one machine" → "Device"; "1 Prototype: …" → "1 Prototype")."""
    return definition.split("：")[0].split(":")[0]


class ClassificationFields(QWidget):
    """Industry section and division, lifecycle stage, level, generality and maturity; ``edited`` on a change."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.section = narrow_combo(QComboBox(self), 24)
        self.division = QComboBox(self)
        self.combos = {name: QComboBox(self) for name in FIELDS}
        self.notes = {name: _note(self) for name in ("industry", *FIELDS)}
        self.labels = {name: QLabel(self) for name in ("industry", *FIELDS)}
        industry = QHBoxLayout()
        industry.setContentsMargins(0, 0, 0, 0)
        industry.addWidget(self.section, 3)
        industry.addWidget(self.division, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.labels["industry"], _stacked(industry, self.notes["industry"]))
        for name in FIELDS:
            form.addRow(self.labels[name], _stacked(self.combos[name], self.notes[name]))
        self.section.currentIndexChanged.connect(self._section_changed)
        self.division.currentIndexChanged.connect(self._changed)
        for combo in self.combos.values():
            combo.currentIndexChanged.connect(self._changed)
        self.setFocusProxy(self.section)
        self._fill(None)
        self.retranslate()

    # -- data --------------------------------------------------------------------------------------
    def set_data(self, data: Any) -> None:
        """Show a manifest's ``classification`` (no ``edited``); a value outside the lists is shown as it is."""
        self._fill(data if isinstance(data, dict) else {})

    def data(self) -> dict[str, Any]:
        industry = self.section.currentData() + (self.division.currentData() or "")
        return {"industry": industry, **{name: self.combos[name].currentData() for name in FIELDS}}

    def focus_field(self, name: str) -> None:
        widget = self.section if name == "industry" else self.combos.get(name, self.section)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- filling -------------------------------------------------------------------------------------
    def _fill(self, data: dict[str, Any] | None) -> None:
        data = data if data is not None else self.data_or_default()
        for widget in (self.section, self.division, *self.combos.values()):
            widget.blockSignals(True)
        try:
            industry = str(data.get("industry", "C"))
            _set_items(self.section, [(letter, f"{letter}  {in_ui_language(s)}", in_ui_language(s))
                                      for letter, s in industry_sections().items()], industry[:1])
            self._fill_divisions(industry[1:])
            for name in FIELDS:
                values = definitions(name)
                current = data.get(name, next(iter(values)))
                if name == "maturity":
                    values = {int(k): v for k, v in values.items()}
                _set_items(self.combos[name], [(value, short_label(in_ui_language(d)), in_ui_language(d))
                                               for value, d in values.items()], current)
        finally:
            for widget in (self.section, self.division, *self.combos.values()):
                widget.blockSignals(False)
        self._show_notes()

    def data_or_default(self) -> dict[str, Any]:
        return self.data() if self.section.count() else {}

    def _fill_divisions(self, division: str) -> None:
        section = industry_sections().get(self.section.currentData())
        first, last = section["divisions"] if section else (0, -1)
        items = [("", self.tr("whole section"), "")] + [(f"{d:02d}", f"{d:02d}", "") for d in range(first, last + 1)]
        _set_items(self.division, items, division)

    def _section_changed(self) -> None:
        self.division.blockSignals(True)
        self._fill_divisions("")  # the old division belongs to another section
        self.division.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        self._show_notes()
        self.edited.emit()

    def _show_notes(self) -> None:
        section = industry_sections().get(self.section.currentData())
        division = self.division.currentData()
        if section is None:
            self.notes["industry"].setText(self.tr("Not a GB/T 4754-2017 section"))
        else:
            first, last = section["divisions"]
            note = self.tr("GB/T 4754-2017: {name}, divisions {first:02d}–{last:02d}") if not division else \
                self.tr("GB/T 4754-2017: division {division} of {name}")
            self.notes["industry"].setText(note.format(name=in_ui_language(section), first=first, last=last,
                                                       division=division))
        for name in FIELDS:
            self.notes[name].setText(self.combos[name].currentData(Qt.ItemDataRole.ToolTipRole) or "")

    def retranslate(self) -> None:
        for name, label in (("industry", self.tr("Industry")), ("lifecycle", self.tr("Lifecycle stage")),
                            ("level", self.tr("Application level")), ("generality", self.tr("Generality")),
                            ("maturity", self.tr("Maturity"))):
            self.labels[name].setText(label)
        self.division.setToolTip(self.tr("Optional: the two-digit division within the section"))
        if self.section.count():
            self._fill(self.data())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _set_items(combo: QComboBox, items: list[tuple[Any, str, str]], current: Any) -> None:
    """Fill ``combo`` with (value, text, tooltip) and select ``current``, adding it if it is not a listed value."""
    combo.clear()
    for value, text, tip in items:
        combo.addItem(text, value)
        combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
    index = combo.findData(current)
    if index < 0:  # a hand-edited value the schema will name; keep it so saving does not lose it
        combo.addItem(str(current), current)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def _note(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _stacked(field: QWidget | QHBoxLayout, note: QLabel) -> QWidget:
    box = QWidget(note.parentWidget())
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(1)
    if isinstance(field, QHBoxLayout):
        layout.addLayout(field)
    else:
        layout.addWidget(field)
    layout.addWidget(note)
    return box
