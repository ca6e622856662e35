"""The central start page: create, open, a guided first run with the example project, recent projects."""

from __future__ import annotations

import html
from pathlib import Path

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench import __version__

EXAMPLE_LINK = "millwright:open-example"
SIMULATE_COMMAND = "millwright simulate opcua"
RUN_COMMAND = ("millwright run-graph graphs/pump_efficiency.json "
               "--input data/pump_run.csv --output efficiency.csv")


def _code(name: str) -> str:
    """A file name as rich text, in a fixed-width font."""
    return f"<code>{html.escape(name)}</code>"


class CommandField(QWidget):
    """A command to type in a terminal: one read-only line, never wrapped, and a Copy button.

    A label would wrap a long command inside a path (after ``/``) and a copy could then carry a
    line break; a line edit keeps it whole, selectable and scrollable.
    """

    def __init__(self, command: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.line = QLineEdit(command)
        self.line.setReadOnly(True)
        self.line.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.line.setCursorPosition(0)
        self.line.setToolTip(command)
        self.copy_button = QToolButton()
        self.copy_button.clicked.connect(self.copy)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.copy_button)

    def command(self) -> str:
        return self.line.text()

    def copy(self) -> None:
        QApplication.clipboard().setText(self.line.text())


class StartPage(QWidget):
    """What the window shows in its centre: the ways in, and four steps through the example project.

    The page only announces what the user asked for (``new_requested``, ``example_requested``…);
    the window decides what that means, so the page needs no project or settings.
    """

    new_requested = Signal()
    open_requested = Signal()
    example_requested = Signal()
    recent_requested = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.title, self.subtitle, self.recent_label = QLabel(), QLabel(), QLabel()
        self.subtitle.setWordWrap(True)
        self.new_button, self.open_button, self.example_button = QPushButton(), QPushButton(), QPushButton()
        self.example_button.setObjectName("start_example_button")
        self.example_button.setDefault(True)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        self.example_button.clicked.connect(self.example_requested)
        self.guide = self._build_guide()
        self.recent = QListWidget()
        self.recent.itemActivated.connect(
            lambda item: self.recent_requested.emit(Path(item.data(Qt.ItemDataRole.UserRole))))
        buttons = QHBoxLayout()
        for button in (self.example_button, self.new_button, self.open_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self.title)
        column.addWidget(self.subtitle)
        column.addSpacing(12)
        column.addLayout(buttons)
        column.addSpacing(12)
        column.addWidget(self.guide)
        column.addSpacing(12)
        column.addWidget(self.recent_label)
        column.addWidget(self.recent, 1)
        column.addStretch(0)  # takes the space only while the recent list is hidden
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 8)
        outer.addStretch(1)
        self.retranslate()

    def _build_guide(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("start_guide")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.guide_title = QLabel()
        self.step_labels: list[QLabel] = []
        self.commands = {SIMULATE_COMMAND: CommandField(SIMULATE_COMMAND), RUN_COMMAND: CommandField(RUN_COMMAND)}
        grid = QGridLayout(frame)
        grid.addWidget(self.guide_title, 0, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        row = 1
        for number, command in enumerate((SIMULATE_COMMAND, None, None, RUN_COMMAND), start=1):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
            label.setOpenExternalLinks(False)
            label.linkActivated.connect(self._link_activated)  # the example link, as the button
            self.step_labels.append(label)
            grid.addWidget(QLabel(f"{number}."), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, row, 1)
            row += 1
            if command is not None:
                grid.addWidget(self.commands[command], row, 1)
                row += 1
        return frame

    def _link_activated(self, link: str) -> None:
        if link == EXAMPLE_LINK:
            self.example_requested.emit()

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
        self.guide_title.setText("<b>{}</b>".format(html.escape(self.tr("First steps with the pump-station example"))))
        steps = [
            self.tr("Start the pump-station simulator in a terminal:"),
            self.tr("<a href=\"{link}\">Open the example project</a>: its devices, graphs and a recording.").format(
                link=EXAMPLE_LINK),
            self.tr("Open a graph from the Project panel: {efficiency} (pump efficiency and energy) or "
                    "{vibration} (vibration alarm).").format(efficiency=_code("graphs/pump_efficiency.json"),
                                                              vibration=_code("graphs/vibration_alarm.json")),
            self.tr("Run it on the recording, in the example's folder:"),
        ]
        for label, step in zip(self.step_labels, steps, strict=True):
            label.setText(step)
        for field in self.commands.values():
            field.copy_button.setText(self.tr("Copy"))
            field.copy_button.setToolTip(self.tr("Copy the command to the clipboard"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


if __name__ == "__main__":  # a standalone preview: python -m workbench.ui.start_page [en|zh_CN]
    import sys

    from workbench.ui import i18n

    app = QApplication(sys.argv[:1])
    i18n.install_language(app, sys.argv[1] if len(sys.argv) > 1 else "en")
    page = StartPage()
    page.example_requested.connect(lambda: print("example requested"))
    page.set_recent([])
    page.resize(900, 600)
    page.show()
    sys.exit(app.exec())
