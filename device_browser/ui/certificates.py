"""The certificate manager: the OPC UA server certificates we trust or refused, and our own.

:class:`CertificateManager` shows a :class:`~device_browser.opcua.security.TrustStore` (the
folders the driver reads, :func:`~device_browser.opcua.security.default_pki_dir` by default)
in two tables, and the workbench's
:class:`~device_browser.opcua.security.ApplicationCertificate` with its expiry. Trust moves a
rejected certificate to the trusted ones; Remove forgets one (the next connection asks again);
Renew makes a new certificate of our own (every server must then trust it again, so it asks first).

Run standalone on the user's own trust store: ``python -m device_browser.ui.certificates``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from pathlib import Path
from typing import Any

from qtpy.QtCore import QEvent, Qt, QUrl, Signal
from qtpy.QtGui import QAction, QBrush, QColor, QDesktopServices, QGuiApplication, QKeySequence
from qtpy.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from device_browser.opcua.security import (
    EXPIRY_WARNING_DAYS,
    ApplicationCertificate,
    CertInfo,
    TrustStore,
    default_pki_dir,
)
from device_browser.session import DeviceError
from device_browser.ui.dialogs import run_dialog
from device_browser.ui.tasks import TaskSet
from device_browser.ui.trust_prompt import EXPIRED_STYLE
from nodes.atomic_file import atomic_write_bytes

EXPIRED_COLOUR = QColor(215, 45, 45)


class Column(enum.IntEnum):
    SUBJECT = 0
    ENDPOINTS = 1
    FINGERPRINT = 2
    VALID_UNTIL = 3


class CertificateTable(QTableWidget):
    """Server certificates, one a row; the row's :class:`CertInfo` is ``certificate(row)``."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, len(Column), parent)
        self._infos: list[CertInfo] = []
        self.named_actions: dict[str, QAction] = {}  # "trust", "remove", "copy", "export": menu and shortcut
        self.buttons: dict[str, QPushButton] = {}  # the same actions below the table
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)  # the menu key opens it too
        self.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)

    def show_certificates(self, infos: list[CertInfo], expired_text: str) -> None:
        selected = self.current()
        self._infos = list(infos)
        self.setRowCount(len(infos))
        for row, info in enumerate(infos):
            until = f"{info.not_after:%Y-%m-%d}"
            if info.expired:
                until += f" ({expired_text})"
            texts = {Column.SUBJECT: info.subject, Column.ENDPOINTS: info.url, Column.FINGERPRINT: info.fingerprint,
                     Column.VALID_UNTIL: until}
            for column, text in texts.items():
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if info.expired and column == Column.VALID_UNTIL:
                    item.setForeground(QBrush(EXPIRED_COLOUR))
                self.setItem(row, column, item)
        fingerprints = [i.fingerprint for i in infos]
        if fingerprints:
            keep = fingerprints.index(selected.fingerprint) if selected and selected.fingerprint in fingerprints else 0
            self.setCurrentCell(min(keep, len(infos) - 1), 0)
        self.resizeColumnToContents(Column.VALID_UNTIL)

    def current(self) -> CertInfo | None:
        row = self.currentRow()
        return self._infos[row] if 0 <= row < len(self._infos) else None

    def certificates(self) -> list[CertInfo]:
        return list(self._infos)


class CertificateManager(QDialog):
    """Trusted and rejected server certificates, and this workbench's own, with their actions.

    Signals
    -------
    changed
        Emitted after the trust store or our own certificate changed (a device view may retry).
    """

    changed = Signal()

    def __init__(self, store: TrustStore | None = None, own: ApplicationCertificate | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store or TrustStore(default_pki_dir())
        self.own = own or ApplicationCertificate(self.store.folder)
        self._tasks = TaskSet()
        self.resize(820, 420)
        self.tabs = QTabWidget()
        self.trusted_table, self.rejected_table = CertificateTable(), CertificateTable()
        self.tabs.addTab(self._table_page(self.trusted_table, trust=False), "")
        self.tabs.addTab(self._table_page(self.rejected_table, trust=True), "")
        self.tabs.addTab(self._own_page(), "")
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self._retranslate()
        self.refresh()

    # -- layout ----------------------------------------------------------------------------------

    def _table_page(self, table: CertificateTable, trust: bool) -> QWidget:
        page = QWidget()
        row = QHBoxLayout()
        specs = [("trust", QKeySequence("Ctrl+T"), lambda: self.trust(table.current()))] if trust else []
        specs += [("remove", QKeySequence(QKeySequence.StandardKey.Delete),
                   lambda: self._tasks.spawn(self.ask_remove(table))),
                  ("copy", QKeySequence(QKeySequence.StandardKey.Copy),
                   lambda: self.copy_fingerprint(table.current())),
                  ("export", QKeySequence("Ctrl+E"), lambda: self._tasks.spawn(self.ask_export(table.current())))]
        for name, keys, slot in specs:
            action = QAction(table)
            action.setShortcut(keys)
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            action.triggered.connect(slot)
            table.addAction(action)
            button = QPushButton()
            button.clicked.connect(action.trigger)
            row.addWidget(button)
            table.named_actions[name], table.buttons[name] = action, button
        row.addStretch(1)
        table.itemSelectionChanged.connect(self._update_buttons)
        layout = QVBoxLayout(page)
        layout.addWidget(table)
        layout.addLayout(row)
        return page

    def _own_page(self) -> QWidget:
        page = QWidget()
        self._own_values = {key: QLabel() for key in ("subject", "uri", "fingerprint", "until", "days", "file")}
        for label in self._own_values.values():
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            label.setWordWrap(True)
        self._own_labels = {key: QLabel() for key in self._own_values}
        form = QFormLayout()
        for key, value in self._own_values.items():
            form.addRow(self._own_labels[key], value)
        self.renew_button, self.show_file_button, self.export_own_button = QPushButton(), QPushButton(), QPushButton()
        self.renew_button.clicked.connect(lambda: self._tasks.spawn(self.ask_renew()))
        self.show_file_button.clicked.connect(self.show_file)
        self.export_own_button.clicked.connect(
            lambda: self._tasks.spawn(self.ask_export(self.own.info if self.own.certificate else None)))
        row = QHBoxLayout()
        for button in (self.renew_button, self.show_file_button, self.export_own_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _retranslate(self) -> None:
        self.setWindowTitle(self.tr("OPC UA certificates"))
        self.tabs.setTabText(0, self.tr("T&rusted servers"))
        self.tabs.setTabText(1, self.tr("Re&jected servers"))
        self.tabs.setTabText(2, self.tr("This &workbench"))
        headers = [self.tr("Subject"), self.tr("Endpoints"), self.tr("SHA-256 fingerprint"), self.tr("Valid until")]
        texts = {"trust": self.tr("&Trust"), "remove": self.tr("Re&move"), "copy": self.tr("&Copy fingerprint"),
                 "export": self.tr("&Export…")}
        for table in (self.trusted_table, self.rejected_table):
            table.setHorizontalHeaderLabels(headers)
            for name, action in table.named_actions.items():
                action.setText(texts[name])
                table.buttons[name].setText(texts[name])
        names = {"subject": self.tr("Subject:"), "uri": self.tr("Application URI:"),
                 "fingerprint": self.tr("SHA-256 fingerprint:"), "until": self.tr("Valid until:"),
                 "days": self.tr("Validity:"), "file": self.tr("File:")}
        for key, label in self._own_labels.items():
            label.setText(names[key])
        self.renew_button.setText(self.tr("Re&new…"))
        self.show_file_button.setText(self.tr("&Show file"))
        self.export_own_button.setText(self.tr("E&xport…"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._retranslate()
            self.refresh()
        super().changeEvent(event)

    # -- showing ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the trust store and our certificate again."""
        expired = self.tr("expired")
        self.trusted_table.show_certificates(self.store.trusted(), expired)
        self.rejected_table.show_certificates(self.store.rejected(), expired)
        self._show_own()
        self._update_buttons()

    def _show_own(self) -> None:
        own, v = self.own, self._own_values
        if own.certificate is None and own.cert_path.is_file() and own.key_path.is_file():
            with contextlib.suppress(ValueError, OSError):  # a damaged file: shown as missing, Renew replaces it
                self.own = own = ApplicationCertificate.ensure(own.pki_dir)
        if own.certificate is None:
            for label in v.values():
                label.clear()
            v["subject"].setText(self.tr("None yet: it is made at the first secured connection, or with Renew."))
            self.renew_button.setText(self.tr("Create &now"))
            self.show_file_button.setEnabled(False)
            self.export_own_button.setEnabled(False)
            return
        info = own.info
        v["subject"].setText(info.subject)
        v["uri"].setText(info.application_uri)
        v["fingerprint"].setText(info.fingerprint)
        v["until"].setText(f"{info.not_after:%Y-%m-%d %H:%M} UTC")
        if info.expired:
            v["days"].setText(self.tr("EXPIRED: renew it, then let every server trust the new one"))
        elif info.days_left < EXPIRY_WARNING_DAYS:
            v["days"].setText(self.tr("%n day(s) left: renew it soon", "", info.days_left))
        else:
            v["days"].setText(self.tr("%n day(s) left", "", info.days_left))
        v["days"].setStyleSheet(EXPIRED_STYLE if info.expired or info.days_left < EXPIRY_WARNING_DAYS else "")
        v["file"].setText(str(own.cert_path))
        self.renew_button.setText(self.tr("Re&new…"))
        self.show_file_button.setEnabled(True)
        self.export_own_button.setEnabled(True)

    def _update_buttons(self) -> None:
        for table in (self.trusted_table, self.rejected_table):
            has = table.current() is not None
            for name, action in table.named_actions.items():
                action.setEnabled(has)
                table.buttons[name].setEnabled(has)

    # -- actions ---------------------------------------------------------------------------------

    def trust(self, info: CertInfo | None) -> None:
        """Move a rejected certificate to the trusted ones."""
        if info is None:
            return
        self._act(lambda: self.store.trust(info), self.tr("Trusted %1.").replace("%1", info.subject))

    def remove(self, info: CertInfo | None) -> None:
        """Forget a certificate, trusted or rejected (the next connection to that server asks again)."""
        if info is None:
            return
        self._act(lambda: self.store.remove(info.fingerprint),
                  self.tr("Removed %1; the next connection to that server asks again.").replace("%1", info.subject))

    async def ask_remove(self, table: CertificateTable) -> None:
        info = table.current()
        if info is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Remove certificate"),
                          self.tr("Remove the certificate of %1?\nSHA-256 %2").replace("%1", info.subject)
                          .replace("%2", info.fingerprint),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        try:
            answer = await run_dialog(box)
        finally:
            box.deleteLater()
        if answer == QMessageBox.StandardButton.Yes:
            self.remove(info)
        table.setFocus()  # back where the keyboard was

    def copy_fingerprint(self, info: CertInfo | None) -> None:
        if info is not None:
            QGuiApplication.clipboard().setText(info.fingerprint)
            self.message.setText(self.tr("Fingerprint copied."))

    def export(self, info: CertInfo, path: Path) -> None:
        """Write a certificate to ``path`` as DER."""
        self._act(lambda: atomic_write_bytes(Path(path), info.der),
                  self.tr("Written to %1.").replace("%1", str(path)), changes=False)

    async def ask_export(self, info: CertInfo | None) -> None:
        if info is None:
            return
        dialog = QFileDialog(self, self.tr("Export certificate"), str(Path.home() / _file_name(info)),
                             self.tr("DER certificates (*.der *.cer)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("der")
        try:
            if await run_dialog(dialog) == QDialog.DialogCode.Accepted and dialog.selectedFiles():
                self.export(info, Path(dialog.selectedFiles()[0]))
        finally:
            dialog.deleteLater()

    async def renew(self) -> None:
        """Make a new certificate of our own (a key is generated in a worker thread)."""
        try:
            await asyncio.to_thread(self.own.renew)
        except (OSError, DeviceError) as exc:
            self._show_error(str(exc))
            return
        self.message.setText(self.tr("A new certificate was made: every server must now trust it."))
        self.refresh()
        self.changed.emit()

    async def ask_renew(self) -> None:
        if self.own.certificate is not None:
            box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Renew certificate"),
                              self.tr("Make a new certificate for this workbench? Every server that trusts the "
                                      "current one must then be told to trust the new one."),
                              QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
            box.setDefaultButton(QMessageBox.StandardButton.No)
            try:
                if await run_dialog(box) != QMessageBox.StandardButton.Yes:
                    return
            finally:
                box.deleteLater()
        await self.renew()

    def show_file(self) -> None:
        """Open the folder of our certificate in the desktop's file manager."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.own.cert_path.parent)))

    def _act(self, change: Any, done: str, changes: bool = True) -> None:
        try:
            change()
        except OSError as exc:
            self._show_error(str(exc))
            return
        self.message.setStyleSheet("")
        self.message.setText(done)
        if changes:
            self.refresh()
            self.changed.emit()

    def _show_error(self, text: str) -> None:
        self.message.setStyleSheet(EXPIRED_STYLE)
        self.message.setText(text)


    def done(self, result: int) -> None:
        self._tasks.cancel()  # a confirmation still open goes with the manager
        super().done(result)


def _file_name(info: CertInfo) -> str:
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in info.subject.split(",")[0].split("=")[-1])
    return f"{name or 'certificate'}.der"


if __name__ == "__main__":  # python -m device_browser.ui.certificates
    import sys

    import qasync
    from qtpy.QtWidgets import QApplication

    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    manager = CertificateManager()
    manager.finished.connect(app.quit)
    manager.show()
    with loop:
        loop.run_forever()
