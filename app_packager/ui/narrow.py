"""Keep the App panel narrow enough for a side dock: a long text never sets its minimum width.

A drop-down list is as wide as its longest item unless told otherwise (a GB/T 4754 section
name is 60 characters, a catalogue URL longer), and a label as wide as its text (an archive
path, a SHA-256): either would stop the dock from being made narrower than that.
"""

from __future__ import annotations

from qtpy.QtWidgets import QComboBox, QLabel, QSizePolicy

MIN_CHARS = 12


def narrow_combo(combo: QComboBox, chars: int = MIN_CHARS) -> QComboBox:
    """``combo`` sized for ``chars`` characters at least; the open list still shows items whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


def narrow_label(label: QLabel) -> QLabel:
    """``label`` clipped when the dock is narrower than its text (its tooltip should then hold the text)."""
    label.setSizePolicy(QSizePolicy.Policy.Ignored, label.sizePolicy().verticalPolicy())
    return label
