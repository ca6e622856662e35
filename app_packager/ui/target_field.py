"""A catalogue or registry to publish to or browse: the local catalogue, a recent one, or a URL typed.

The drop-down list offers the local catalogue (the embedded default, where ``millwright app
publish`` goes without ``--to``) and the targets used lately; the line below holds the URL that
is used, ``catalog:PATH`` or ``oci://HOST[:PORT]/REPO``, and may be typed over.
"""

from __future__ import annotations

from qtpy.QtCore import QEvent, Signal
from qtpy.QtWidgets import QCheckBox, QComboBox, QLineEdit, QVBoxLayout, QWidget

from app_packager.ui.narrow import narrow_combo

OCI = "oci://"


def registry_host(url: str) -> str:
    """``HOST[:PORT]`` of an ``oci://`` URL ("" for a catalogue)."""
    return url.removeprefix(OCI).partition("/")[0] if url.startswith(OCI) else ""


class TargetField(QWidget):
    """Recent targets and the URL in use; ``insecure`` asks for plain HTTP to a registry that is not on loopback."""

    changed = Signal()

    def __init__(self, local_catalogue: str, recent: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.local_catalogue = local_catalogue
        self.choices = narrow_combo(QComboBox(self), 20)
        self.url = QLineEdit(self)
        self.insecure = QCheckBox(self)
        self.choices.activated.connect(lambda _index: self._chosen())
        self.url.textChanged.connect(lambda _text: self._url_changed())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.choices)
        layout.addWidget(self.url)
        layout.addWidget(self.insecure)
        self.set_recent(recent)
        self.url.setText(local_catalogue)
        self.retranslate()

    def target(self) -> str:
        return self.url.text().strip()

    def insecure_registries(self) -> list[str]:
        host = registry_host(self.target())
        return [host] if host and self.insecure.isChecked() else []

    def set_recent(self, recent: list[str]) -> None:
        self.choices.clear()
        self.choices.addItem("", self.local_catalogue)
        for url in recent:
            if url != self.local_catalogue:
                self.choices.addItem(url, url)
        self._label_local()

    def _chosen(self) -> None:
        self.url.setText(self.choices.currentData())

    def _url_changed(self) -> None:
        self.insecure.setVisible(bool(registry_host(self.target())))
        index = self.choices.findData(self.target())
        if index >= 0:
            self.choices.setCurrentIndex(index)
        self.changed.emit()

    def _label_local(self) -> None:
        self.choices.setItemText(0, self.tr("Local catalogue ({url})").format(url=self.local_catalogue))

    def retranslate(self) -> None:
        self._label_local()
        self.url.setPlaceholderText(self.tr("catalog:PATH or oci://HOST[:PORT]/REPO"))
        self.insecure.setText(self.tr("Plain HTTP to this registry (not encrypted; loopback always is)"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
