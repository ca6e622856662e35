"""Which key signs a build: a key in the OS keyring or in a PEM file, or a new one made here.

A key is named by a spec, ``keyring:NAME`` or ``file:PATH`` (what :class:`PanelMemory` keeps);
the private key itself is only read when signing, on a worker thread. "Create key…" does what
``millwright app keygen`` does: the private key to the keyring or to a file only its owner can
read (never into a project), the public key to a PEM file to give to sites, and, when asked,
the public key added to this computer's trusted keys so that its own apps install here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QWidget,
)

from app_packager.errors import AppError
from app_packager.signing import (
    fingerprint,
    generate_key,
    load_private_key,
    read_private_key_file,
    store_private_key,
    write_private_key_file,
    write_public_key,
)
from app_packager.trust import add_trusted_key
from app_packager.ui.narrow import narrow_combo

KEYRING, FILE = "keyring:", "file:"
DEFAULT_NAME = "default"  # the name `millwright app keygen` and `app sign` use unless told another


def load_key(spec: str) -> Ed25519PrivateKey:
    """The private key a spec names (blocking: the keyring or a file is read)."""
    if spec.startswith(FILE):
        return read_private_key_file(Path(spec.removeprefix(FILE)))
    return load_private_key(spec.removeprefix(KEYRING))


def key_label(spec: str) -> str:
    return Path(spec.removeprefix(FILE)).name if spec.startswith(FILE) else spec.removeprefix(KEYRING)


@dataclass(frozen=True)
class NewKey:
    """What to make: the key's name, where its private half goes (None: the keyring), its public key file."""

    name: str
    private_file: Path | None
    public_file: Path
    trust: bool

    def create(self) -> tuple[str, str]:
        """Make the key (blocking); returns its spec and fingerprint. AppError if a file or name is taken."""
        if self.public_file.exists():
            raise AppError(f"{self.public_file}: exists already; choose another file for the public key")
        key = generate_key()
        if self.private_file is not None:
            write_private_key_file(self.private_file, key)
            spec = f"{FILE}{self.private_file}"
        else:
            store_private_key(self.name, key)
            spec = f"{KEYRING}{self.name}"
        write_public_key(self.public_file, key.public_key())
        if self.trust:
            add_trusted_key(self.public_file, self.name)
        return spec, fingerprint(key.public_key())


class KeyChooser(QWidget):
    """"Sign with [key]" and the buttons to pick a key file or create a key.

    ``create_requested(NewKey)`` asks the owner to make a key off the UI thread and :meth:`add` it.
    """

    create_requested = Signal(object)
    changed = Signal()

    def __init__(self, keys: list[str], sign: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.sign_box = QCheckBox(self)
        self.sign_box.setChecked(sign)
        self.keys = narrow_combo(QComboBox(self), 16)
        self.file_button, self.create_button = QPushButton(self), QPushButton(self)
        self.file_button.clicked.connect(self._pick_file)
        self.create_button.clicked.connect(self._create)
        self.sign_box.toggled.connect(lambda _on: self.changed.emit())
        self.keys.currentIndexChanged.connect(lambda _index: self.changed.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.sign_box, self.keys, self.file_button, self.create_button):
            layout.addWidget(widget)
        layout.addStretch(1)
        for spec in keys:
            self._add_item(spec)
        self.retranslate()

    def chosen(self) -> str | None:
        """The key to sign with, or None when the build is not to be signed."""
        return self.keys.currentData() if self.sign_box.isChecked() and self.keys.count() else None

    def specs(self) -> list[str]:
        return [self.keys.itemData(i) for i in range(self.keys.count())]

    def add(self, spec: str) -> None:
        """Offer ``spec`` (first) and choose it for signing."""
        index = self.specs().index(spec) if spec in self.specs() else self._add_item(spec, at=0)
        self.keys.setCurrentIndex(index)
        self.sign_box.setChecked(True)

    def _add_item(self, spec: str, at: int | None = None) -> int:
        index = self.keys.count() if at is None else at
        kind = self.tr("file") if spec.startswith(FILE) else self.tr("keyring")
        self.keys.insertItem(index, f"{key_label(spec)} ({kind})", spec)
        self.keys.setItemData(index, spec.removeprefix(FILE) if spec.startswith(FILE) else spec,
                              Qt.ItemDataRole.ToolTipRole)
        return index

    def _pick_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Private key file"), str(Path.home()), self.tr("PEM files (*.pem)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.add(f"{FILE}{path}"))
        dialog.open()

    def _create(self) -> None:
        dialog = CreateKeyDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.create_requested.emit(dialog.new_key()))
        dialog.open()

    def retranslate(self) -> None:
        self.sign_box.setText(self.tr("Sign with"))
        self.sign_box.setToolTip(self.tr("Sign the archive after it is built; sites refuse unsigned apps"))
        self.keys.setPlaceholderText(self.tr("no key yet: create one"))
        self.file_button.setText(self.tr("Key file…"))
        self.create_button.setText(self.tr("Create key…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class CreateKeyDialog(QDialog):
    """Name, where the private key goes, the public key file, and whether to trust it here."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.name = QLineEdit(DEFAULT_NAME, self)
        self.in_keyring, self.in_file = QRadioButton(self), QRadioButton(self)
        self.in_keyring.setChecked(True)
        self.private_file, self.public_file = QLineEdit(self), QLineEdit(self)
        self.private_file.setEnabled(False)
        self.in_file.toggled.connect(self.private_file.setEnabled)
        self.name.textChanged.connect(self._propose_files)
        self.trust = QCheckBox(self)
        self.trust.setChecked(True)
        self.labels = [QLabel(self) for _ in range(4)]
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        where = QHBoxLayout()
        where.addWidget(self.in_keyring)
        where.addWidget(self.in_file)
        where.addWidget(self.private_file, 1)
        form = QFormLayout(self)
        form.addRow(self.labels[0], self.name)
        form.addRow(self.labels[1], where)
        form.addRow(self.labels[2], self.public_file)
        form.addRow(self.labels[3], self.trust)
        form.addRow(self.note)
        form.addRow(self.buttons)
        self._propose_files(self.name.text())
        self.retranslate()

    def _propose_files(self, name: str) -> None:
        name = name.strip() or DEFAULT_NAME
        self.private_file.setText(str(Path.home() / f"{name}.key.pem"))
        self.public_file.setText(str(Path.home() / f"{name}.pub.pem"))

    def new_key(self) -> NewKey:
        private = Path(self.private_file.text().strip()).expanduser() if self.in_file.isChecked() else None
        return NewKey(self.name.text().strip() or DEFAULT_NAME, private,
                      Path(self.public_file.text().strip()).expanduser(), self.trust.isChecked())

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Create a signing key"))
        for label, text in zip(self.labels, (self.tr("Name"), self.tr("Private key in"), self.tr("Public key file"),
                                             self.tr("This computer")), strict=True):
            label.setText(text)
        self.in_keyring.setText(self.tr("the keyring"))
        self.in_file.setText(self.tr("a file"))
        self.trust.setText(self.tr("Trust this key here (to install your own apps)"))
        self.note.setText(self.tr("The private key never goes into a project. Give the public key file to the "
                                  "sites that install your apps."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
