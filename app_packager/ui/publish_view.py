"""Publish: send a built archive to a catalogue or registry, verified first, without freezing the window.

As ``millwright app publish``: the archive is verified (structure, signature, RECORD, manifest
and graph; an unsigned one only when allowed), then handed to the publisher of the target URL.
Both run on a worker thread; a registry that does not answer costs at most its timeout, and
Cancel gives the panel back at once (the request then ends on its own, unseen).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app_packager.errors import AppError
from app_packager.publish import open_publisher
from app_packager.ui.background import in_worker
from app_packager.ui.build_view import FAILED, PASSED
from app_packager.ui.target_field import TargetField
from app_packager.verify import verify_app

REGISTRY_TIMEOUT_S = 15.0  # a dead registry is reported after this long; the panel stays usable meanwhile


@dataclass(frozen=True)
class Published:
    app_id: str
    version: str
    publisher_key: str | None
    where: str


def publish_archive(archive: Path, target: str, *, allow_unsigned: bool, insecure: list[str],
                    timeout: float = REGISTRY_TIMEOUT_S) -> Published:
    """Verify ``archive`` and publish it to ``target`` (blocking); AppError says why not."""
    publisher = open_publisher(target, insecure_registries=insecure, timeout=timeout)
    report = verify_app(archive, allow_unsigned=allow_unsigned)
    where = publisher.publish(archive)
    return Published(report.manifest.id, report.manifest.version, report.publisher, where)


class PublishView(QWidget):
    """The Publish tab: the archive (the last build's), the target, Publish and Cancel.

    ``published(target)`` follows a successful publish (the panel remembers the target).
    """

    published = Signal(str)

    def __init__(self, target: TargetField, parent: QWidget | None = None):
        super().__init__(parent)
        self.task: asyncio.Task | None = None
        self.archive = QLineEdit(self)
        self.archive.textChanged.connect(lambda _text: self._enable())
        self.choose_button = QPushButton(self)
        self.choose_button.clicked.connect(self._choose_archive)
        self.target = target
        self.target.setParent(self)
        self.target.changed.connect(self._enable)
        self.allow_unsigned = QCheckBox(self)
        self.publish_button, self.cancel_button = QPushButton(self), QPushButton(self)
        self.publish_button.clicked.connect(self._start)
        self.cancel_button.clicked.connect(self.cancel)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # a request has no steps to count: a moving bar says it is still waiting
        self.busy.hide()
        self.outcome = QLabel(self)
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.labels = [QLabel(self), QLabel(self)]
        archive = QHBoxLayout()
        archive.addWidget(self.archive, 1)
        archive.addWidget(self.choose_button)
        form = QFormLayout()
        form.addRow(self.labels[0], archive)
        form.addRow(self.labels[1], self.target)
        form.addRow("", self.allow_unsigned)
        buttons = QHBoxLayout()
        buttons.addWidget(self.publish_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.busy, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.outcome)
        layout.addStretch(1)
        self._enable()
        self.retranslate()

    def set_archive(self, path: Path) -> None:
        self.archive.setText(str(path))

    # -- publishing -----------------------------------------------------------------------------------
    def _start(self) -> None:
        self.task = asyncio.ensure_future(self.publish())

    async def publish(self) -> Published | None:
        """Verify and publish the archive to the target; the result, or None (the view says why)."""
        archive, target = Path(self.archive.text().strip()), self.target.target()
        self._say(self.tr("Publishing {archive} to {target}…").format(archive=archive.name, target=target), None)
        self._busy(True)
        try:
            result = await in_worker(publish_archive, archive, target,
                                             allow_unsigned=self.allow_unsigned.isChecked(),
                                             insecure=self.target.insecure_registries())
        except AppError as exc:
            self._say(str(exc), FAILED)
            return None
        except asyncio.CancelledError:
            self._say(self.tr("Cancelled. A request already sent may still complete; publish again to be sure "
                              "(the same archive again changes nothing)."), FAILED)
            return None
        finally:
            self._busy(False)
        signer = self.tr("signed by {key}…").format(key=result.publisher_key[:16]) if result.publisher_key \
            else self.tr("unsigned")
        self._say(self.tr("Published {id} {version} ({signer}) to {target}\n{where}").format(
            id=result.app_id, version=result.version, signer=signer, target=target, where=result.where), PASSED)
        self.published.emit(target)
        return result

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def _busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.publish_button.setEnabled(not busy and self._ready())

    def _enable(self) -> None:
        self.publish_button.setEnabled(self._ready() and not self.busy.isVisible())
        self.cancel_button.setEnabled(self.busy.isVisible())

    def _ready(self) -> bool:
        return bool(self.archive.text().strip() and self.target.target())

    def _say(self, text: str, colour) -> None:
        self.outcome.setText(text)
        self.outcome.setStyleSheet(f"color: {colour.name()};" if colour is not None else "")

    def _choose_archive(self) -> None:
        start = str(Path(self.archive.text()).parent) if self.archive.text() else ""
        dialog = QFileDialog(self, self.tr("App archive"), start, self.tr("Industrial apps (*.iapp)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.archive.setText)
        dialog.open()

    # -- language --------------------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.labels[0].setText(self.tr("Archive"))
        self.labels[1].setText(self.tr("Publish to"))
        self.archive.setPlaceholderText(self.tr("Build the app, or choose an .iapp file"))
        self.choose_button.setText(self.tr("Choose…"))
        self.allow_unsigned.setText(self.tr("Allow an unsigned archive"))
        self.publish_button.setText(self.tr("Publish"))
        self.publish_button.setToolTip(self.tr("Verify the archive, then publish it"))
        self.cancel_button.setText(self.tr("Cancel"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
