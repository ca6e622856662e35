"""About Millwright: versions of everything a support request needs, copyable in one click."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

import qtpy
from qtpy.QtCore import Qt, qVersion
from qtpy.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench import __version__
from workbench.app_dirs import config_dir

# Distributions whose versions decide how Millwright behaves with a device or a model.
KEY_LIBRARIES = ("PySide6-Essentials", "qtpy", "qasync", "pyqtgraph", "numpy", "scipy", "pandas",
                 "asyncua", "pymodbus", "SQLAlchemy", "psygnal", "platformdirs")


def version_table() -> list[tuple[str, str]]:
    """(name, version) rows; a library that is not installed says so instead of failing."""
    rows = [("Millwright", __version__),
            ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
            ("Qt", f"{qVersion()} ({qtpy.API_NAME})"),
            ("OS", f"{platform.system()} {platform.release()} {platform.machine()}")]
    for name in KEY_LIBRARIES:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "—"))
    return rows


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Millwright"))
        self.rows = version_table()
        heading = QLabel(self.tr("<h2>Millwright {version}</h2>"
                                 "<p>Low-code engineering workbench for industrial apps.</p>")
                         .format(version=__version__))
        table = "".join(f"<tr><td><b>{name}</b>&nbsp;&nbsp;</td><td>{version}</td></tr>"
                        for name, version in self.rows)
        versions = QLabel(f"<table>{table}</table>")
        versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        settings = QLabel(self.tr("Settings folder: {folder}").format(folder=config_dir()))
        settings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(self.tr("Copy versions"))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QApplication.clipboard().setText(self.as_text()))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (heading, versions, settings, buttons):
            layout.addWidget(widget)

    def as_text(self) -> str:
        return "\n".join(f"{name}: {version}" for name, version in self.rows) + f"\nPython path: {sys.executable}\n"
