"""The central start page: create, open, the example project and recent projects."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from workbench import __version__


class StartPage(QWidget):
    new_requested = Signal()
    open_requested = Signal()
    example_requested = Signal()
    recent_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title, self.subtitle, self.recent_label = QLabel(), QLabel(), QLabel()
        self.subtitle.setWordWrap(True)
        self.new_button, self.open_button, self.example_button = QPushButton(), QPushButton(), QPushButton()
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.example_button.clicked.connect(self.example_requested)
        self.recent = QListWidget()
        self.recent.itemActivated.connect(
            lambda item: self.recent_requested.emit(Path(item.data(Qt.ItemDataRole.UserRole))))
        buttons = QHBoxLayout()
        for button in (self.new_button, self.open_button, self.example_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addSpacing(12)
        column.addWidget(self.recent_label)
        column.addWidget(self.recent, 1)
        column.addStretch(0)  # takes the space only while the recent list is hidden
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 4)
        outer.addStretch(1)
        self.retranslate()

    def set_recent(self, projects: list[str]) -> None:
        self.recent.clear()
        for entry in projects:
            item = QListWidgetItem(f"{Path(entry).name}    —    {entry}")
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.recent.addItem(item)
        self.recent_label.setVisible(bool(projects))
        self.recent.setVisible(bool(projects))

    def retranslate(self) -> None:
        self.title.setText(f"<h1>Millwright <small>{__version__}</small></h1>")
        self.subtitle.setText(self.tr("Connect devices, wire mechanism models, test them on live or "
                                      "recorded data, and package them as industrial apps."))
        self.new_button.setText(self.tr("New project…"))
        self.open_button.setText(self.tr("Open project…"))
        self.example_button.setText(self.tr("Open the example project"))
        self.recent_label.setText(self.tr("<b>Recent projects</b> (double-click to open)"))

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
