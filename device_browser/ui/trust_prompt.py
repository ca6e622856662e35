"""The trust prompt: an OPC UA server presents a certificate we have not seen, and a person decides.

:func:`ask_trust` shows a :class:`TrustPrompt` without a nested event loop and answers True
for "Trust". :func:`ui_decide` makes the ``decide`` callback the drivers take
(:data:`~device_browser.opcua.security.Decide`) from it: the callback may be awaited on the
device loop's thread (:class:`~device_browser.host.DeviceHost`), and it asks on the UI loop.

Run standalone with a made-up certificate: ``python -m device_browser.ui.trust_prompt``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from qtpy.QtCore import QEvent, Qt
from qtpy.QtGui import QFontDatabase, QGuiApplication
from qtpy.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from device_browser.opcua.security import CertInfo, Decide, load_der_or_pem
from device_browser.ui.dialogs import run_dialog

EXPIRED_STYLE = "color: #d73a49; font-weight: bold;"


def grouped_fingerprint(fp: str, per_line: int = 8) -> str:
    """A fingerprint ``ab:cd:…`` as upper-case groups of four hex digits, ``per_line`` groups a line.

    Groups are what people compare aloud on the phone with the PLC's administrator.
    """
    digits = fp.replace(":", "").upper()
    groups = [digits[i:i + 4] for i in range(0, len(digits), 4)]
    return "\n".join(" ".join(groups[i:i + per_line]) for i in range(0, len(groups), per_line))


def issuer_of(info: CertInfo) -> str:
    """Who signed the certificate (the subject again for a self-signed one)."""
    if not info.der:
        return ""
    return load_der_or_pem(info.der).issuer.rfc4514_string()


def _selectable(label: QLabel) -> QLabel:
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setWordWrap(True)
    return label


class TrustPrompt(QDialog):
    """The facts of a server certificate, with Trust and Reject (Reject is the default)."""

    def __init__(self, info: CertInfo, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.setMinimumWidth(520)
        self._intro = QLabel()
        self._intro.setWordWrap(True)
        self._values = {key: _selectable(QLabel()) for key in ("url", "subject", "issuer", "uri", "fingerprint",
                                                               "not_before", "not_after", "days")}
        self._values["fingerprint"].setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._form = QFormLayout()
        self._form_labels: dict[str, QLabel] = {}
        for key, value in self._values.items():
            label = QLabel()
            label.setBuddy(value)
            self._form_labels[key] = label
            if key == "fingerprint":
                row = QHBoxLayout()
                row.addWidget(value, 1)
                self.copy_button = QPushButton()
                self.copy_button.clicked.connect(self.copy_fingerprint)
                row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
                self._form.addRow(label, row)
            else:
                self._form.addRow(label, value)
        self._buttons = QDialogButtonBox()
        self.trust_button = self._buttons.addButton("", QDialogButtonBox.ButtonRole.AcceptRole)
        self.reject_button = self._buttons.addButton("", QDialogButtonBox.ButtonRole.RejectRole)
        self.trust_button.setAutoDefault(False)
        self.reject_button.setDefault(True)  # Enter never trusts by accident
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._intro)
        layout.addLayout(self._form)
        layout.addWidget(self._buttons)
        self._show_facts()
        self._retranslate()
        self.reject_button.setFocus()

    def _show_facts(self) -> None:
        info = self.info
        v = self._values
        v["url"].setText(info.url)
        v["subject"].setText(info.subject)
        v["issuer"].setText(issuer_of(info))
        v["uri"].setText(info.application_uri)
        v["fingerprint"].setText(grouped_fingerprint(info.fingerprint))
        v["not_before"].setText(f"{info.not_before:%Y-%m-%d %H:%M} UTC")
        v["not_after"].setText(f"{info.not_after:%Y-%m-%d %H:%M} UTC")
        invalid = info.expired or info.not_yet_valid
        for key in ("not_before", "not_after", "days"):
            v[key].setStyleSheet(EXPIRED_STYLE if invalid else "")

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("Trust this server's certificate?"))
        self._intro.setText(self.tr(
            "The server presents a certificate this workbench has not seen before. Compare the fingerprint with "
            "the one the server's administrator gives you before you trust it."))
        names = {"url": self.tr("Endpoint:"), "subject": self.tr("Subject:"), "issuer": self.tr("Issuer:"),
                 "uri": self.tr("Application URI:"), "fingerprint": self.tr("SHA-256 &fingerprint:"),
                 "not_before": self.tr("Valid from:"), "not_after": self.tr("Valid until:"),
                 "days": self.tr("Validity:")}
        for key, label in self._form_labels.items():
            label.setText(names[key])
        info = self.info
        if info.expired:
            days = self.tr("EXPIRED: a connection will be refused even if you trust it")
        elif info.not_yet_valid:
            days = self.tr("NOT YET VALID: check the clocks of the server and this computer")
        else:
            days = self.tr("%n day(s) left", "", info.days_left)
        self._values["days"].setText(days)
        if not info.application_uri:
            self._values["uri"].setText(self.tr("(none)"))
        self.copy_button.setText(self.tr("&Copy"))
        self.copy_button.setToolTip(self.tr("Copy the fingerprint"))
        self.trust_button.setText(self.tr("&Trust"))
        self.reject_button.setText(self.tr("&Reject"))

    def copy_fingerprint(self) -> None:
        QGuiApplication.clipboard().setText(self.info.fingerprint)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(event)


async def ask_trust(parent: QWidget | None, info: CertInfo) -> bool:
    """Show the certificate window-modal (no nested loop) and return whether the user trusted it."""
    prompt = TrustPrompt(info, parent)
    try:
        return await run_dialog(prompt) == QDialog.DialogCode.Accepted
    finally:
        prompt.deleteLater()


def ui_decide(parent: QWidget | None, ui_loop: asyncio.AbstractEventLoop) -> Decide:
    """A ``decide`` for :func:`~device_browser.connect.open_session` that asks on the UI loop.

    Await it on any loop: from another thread (a DeviceHost's device loop) the question is
    posted to ``ui_loop`` and its answer awaited there without blocking; cancelling the caller
    closes the prompt.
    """

    def decide(info: CertInfo) -> Awaitable[bool]:
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        if here is ui_loop:
            return ask_trust(parent, info)
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(ask_trust(parent, info), ui_loop))

    return decide


if __name__ == "__main__":  # a look at the prompt: python -m device_browser.ui.trust_prompt
    import sys
    import tempfile
    from pathlib import Path

    from qtpy.QtWidgets import QApplication

    from device_browser.opcua.security import ApplicationCertificate

    app = QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        own = ApplicationCertificate.ensure(Path(folder))
        sample = CertInfo.of(own.info.der, url="opc.tcp://plc-7.plant.local:4840/")
    dialog = TrustPrompt(sample)
    dialog.show()
    sys.exit(app.exec())
