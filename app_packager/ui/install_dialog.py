"""Install a published app: where, with which bindings; the check's result before anything is written.

"Check" pulls the version into a temporary folder, verifies it (signature and trust first) and
checks the bindings file against the app's typed inputs, then lists what it found: each input
with its tag, or each reason the app would be refused. "Install" does the same and unpacks the
app (:func:`~app_packager.install.install_app`). Both run on a worker thread; a refusal is
shown as its message, never as a traceback.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qtpy.QtCore import QEvent, Qt
from qtpy.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QWidget,
)

from app_packager.errors import AppError
from app_packager.install import binding_problems, install_app, install_root
from app_packager.publish import Publisher, Release
from app_packager.ui.background import in_worker
from app_packager.ui.build_view import FAILED, PASSED
from app_packager.verify import verify_app
from device_browser.tags import parse_bindings
from device_browser.yaml_source import read_source


@dataclass(frozen=True)
class InstallCheck:
    """What Check found: who signed the app ("" when unsigned) and each input's unit and tag."""

    publisher: str
    inputs: list[tuple[str, str, str]]  # (input, unit, tag)


def check_release(publisher: Publisher, release: Release, bindings_file: Path, allow_unsigned: bool) -> InstallCheck:
    """Pull, verify and check the bindings of ``release`` (blocking); AppError at the first refusal."""
    with tempfile.TemporaryDirectory(prefix="millwright-check-") as folder:
        archive = publisher.pull(release.id, release.version, Path(folder))
        report = verify_app(archive, allow_unsigned=allow_unsigned)
    text = read_source(bindings_file, AppError)
    problems = binding_problems(report.manifest, text, bindings_file)
    if problems:
        raise AppError(f"{bindings_file}: {release.id} {release.version} cannot run on these bindings:\n  "
                       + "\n  ".join(problems))
    bindings = parse_bindings(text, bindings_file)
    return InstallCheck(report.publisher or "", [(name, declared.unit, str(bindings[name]))
                                                 for name, declared in report.manifest.inputs.items()])


def install_release(publisher: Publisher, release: Release, target: Path, bindings_file: Path,
                    allow_unsigned: bool) -> Path:
    """Pull and install ``release`` under ``target`` (blocking); where it now is, or AppError."""
    with tempfile.TemporaryDirectory(prefix="millwright-install-") as folder:
        archive = publisher.pull(release.id, release.version, Path(folder))
        return install_app(archive, target, bindings_file, allow_unsigned=allow_unsigned).path


class InstallDialog(QDialog):
    """Target folder, bindings file, "allow unsigned"; Check, Install, and what they found."""

    def __init__(self, publisher: Publisher, release: Release, project: Path | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.publisher, self.release = publisher, release
        self.task: asyncio.Task | None = None
        self.installed: Path | None = None
        self.heading = QLabel(self)
        self.target, self.bindings = QLineEdit(self), QLineEdit(self)
        if project is not None:
            self.target.setText(str(project))
            self.bindings.setText(str(project / "bindings.yaml"))
        self.target_button, self.bindings_button = QPushButton(self), QPushButton(self)
        self.target_button.clicked.connect(self._choose_target)
        self.bindings_button.clicked.connect(self._choose_bindings)
        self.allow_unsigned = QCheckBox(self)
        self.where = QLabel(self)
        self.where.setWordWrap(True)
        self.target.textChanged.connect(lambda _text: self._show_where())
        self.findings = QListWidget(self)
        self.findings.setWordWrap(True)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.check_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.install_button = self.buttons.addButton("", QDialogButtonBox.ButtonRole.ActionRole)
        self.check_button.clicked.connect(lambda: self._start(self.check()))
        self.install_button.clicked.connect(lambda: self._start(self.install()))
        self.buttons.rejected.connect(self.reject)
        self.labels = [QLabel(self), QLabel(self)]
        form = QFormLayout(self)
        form.addRow(self.heading)
        form.addRow(self.labels[0], _with_button(self.target, self.target_button))
        form.addRow("", self.where)
        form.addRow(self.labels[1], _with_button(self.bindings, self.bindings_button))
        form.addRow("", self.allow_unsigned)
        form.addRow(self.findings)
        form.addRow(self.busy)
        form.addRow(self.buttons)
        self.resize(640, 420)
        self.retranslate()

    # -- actions ----------------------------------------------------------------------------------------
    def _start(self, work) -> None:
        self.task = asyncio.ensure_future(work)

    async def check(self) -> bool:
        """Pull, verify and check the bindings; True when the app could be installed with them."""
        found = await self._run(check_release, self.publisher, self.release, self._bindings(),
                                self.allow_unsigned.isChecked())
        if found is None:
            return False
        signer = self.tr("signed by {key}…, a trusted key").format(key=found.publisher[:16]) if found.publisher \
            else self.tr("unsigned, as allowed")
        self._show([self.tr("Every check passed ({signer}); the bindings feed every input:").format(signer=signer)]
                   + [f"{name} [{unit or '1'}] ← {tag}" for name, unit, tag in found.inputs], PASSED)
        return True

    async def install(self) -> Path | None:
        path = await self._run(install_release, self.publisher, self.release, Path(self.target.text().strip()),
                               self._bindings(), self.allow_unsigned.isChecked())
        if path is not None:
            self.installed = path
            self._show([self.tr("Installed {id} {version} in {path}").format(
                id=self.release.id, version=self.release.version, path=path)], PASSED)
        return path

    async def _run(self, call, *args):
        self.findings.clear()
        self._busy(True)
        try:
            return await in_worker(call, *args)
        except AppError as exc:
            self._show(str(exc).splitlines(), FAILED)
            return None
        finally:
            self._busy(False)

    def _bindings(self) -> Path:
        return Path(self.bindings.text().strip())

    def _show(self, lines: list[str], colour) -> None:
        self.findings.clear()
        for line in lines:
            item = QListWidgetItem(line.strip(), self.findings)
            item.setForeground(colour)

    def _busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.check_button.setEnabled(not busy)
        self.install_button.setEnabled(not busy)

    def _show_where(self) -> None:
        text = self.target.text().strip()
        self.where.setText(self.tr("Goes to {folder}").format(
            folder=install_root(Path(text)) / self.release.id / self.release.version) if text else "")

    def _choose_target(self) -> None:
        dialog = QFileDialog(self, self.tr("Install into (a project or a site folder)"), self.target.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.target.setText)
        dialog.open()

    def _choose_bindings(self) -> None:
        dialog = QFileDialog(self, self.tr("Bindings file"), self.bindings.text(), self.tr("Bindings (*.yaml *.yml)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.bindings.setText)
        dialog.open()

    def done(self, result: int) -> None:
        if self.task is not None:
            self.task.cancel()  # the worker finishes unseen; nothing is half-installed (install_app renames last)
        super().done(result)

    # -- language --------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Install {id} {version}").format(id=self.release.id, version=self.release.version))
        self.heading.setText(self.tr("<b>{name}</b> {version}").format(name=self.release.name.en,
                                                                       version=self.release.version))
        self.labels[0].setText(self.tr("Install into"))
        self.labels[1].setText(self.tr("Bindings file"))
        self.target_button.setText(self.tr("Choose…"))
        self.bindings_button.setText(self.tr("Choose…"))
        self.allow_unsigned.setText(self.tr("Allow an unsigned app"))
        self.check_button.setText(self.tr("Check"))
        self.check_button.setToolTip(self.tr("Verify the app and check the bindings against its inputs; "
                                             "nothing is installed"))
        self.install_button.setText(self.tr("Install"))
        self._show_where()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


def _with_button(field: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    return row
