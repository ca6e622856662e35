"""The certificate manager on a temporary PKI folder: list, remove (with confirmation), trust, export, renew."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from qtpy.QtCore import Qt
from qtpy.QtGui import QGuiApplication
from qtpy.QtWidgets import QApplication, QMessageBox

from device_browser.opcua.security import ApplicationCertificate, CertInfo, TrustStore
from device_browser.ui.certificates import CertificateManager
from tests.gui.conftest import run, until


def server_certificate(folder, url: str) -> CertInfo:
    """A real certificate (made as our own one is) standing for a server's."""
    return CertInfo.of(ApplicationCertificate.ensure(folder, hostname="plc-7").info.der, url=url)


@pytest.fixture
def store(tmp_path) -> TrustStore:
    return TrustStore(tmp_path / "pki")


@pytest.fixture
def manager(qtbot, store):
    dialog = CertificateManager(store, ApplicationCertificate(store.folder))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    yield dialog
    dialog.close()


def message_boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def answer(loop, button: QMessageBox.StandardButton) -> None:
    run(loop, until(lambda: bool(message_boxes())))
    [box] = message_boxes()
    box.button(button).click()


def test_a_trusted_certificate_is_listed_and_removed_with_delete(qtbot, loop, store, tmp_path, manager):
    info = server_certificate(tmp_path / "a", "opc.tcp://127.0.0.1:4840/")
    store.trust(info)
    manager.refresh()
    table = manager.trusted_table
    assert table.rowCount() == 1 and table.item(0, 2).text() == info.fingerprint
    assert "opc.tcp://127.0.0.1:4840" in table.item(0, 1).text()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    answer(loop, QMessageBox.StandardButton.No)  # No is the default: nothing happens
    run(loop, until(lambda: not manager._tasks))
    manager.activateWindow()  # offscreen, closing the box does not give the window back its activation
    table.setFocus()
    run(loop, until(table.hasFocus))
    assert table.rowCount() == 1
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    answer(loop, QMessageBox.StandardButton.Yes)
    run(loop, until(lambda: table.rowCount() == 0))
    assert store.trusted() == [] and not table.buttons["remove"].isEnabled()


def test_a_rejected_certificate_is_trusted_copied_and_exported(qtbot, loop, store, tmp_path, manager):
    info = server_certificate(tmp_path / "b", "opc.tcp://10.0.0.7:4840/")
    store.reject(info)
    manager.refresh()
    manager.tabs.setCurrentIndex(1)
    table = manager.rejected_table
    assert table.rowCount() == 1 and table.current().fingerprint == info.fingerprint
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == info.fingerprint
    manager.export(table.current(), tmp_path / "plc.der")
    assert (tmp_path / "plc.der").read_bytes() == info.der
    qtbot.mouseClick(table.buttons["trust"], Qt.MouseButton.LeftButton)
    assert table.rowCount() == 0 and manager.trusted_table.rowCount() == 1
    assert [c.fingerprint for c in store.trusted()] == [info.fingerprint] and store.rejected() == []


def expired_certificate() -> bytes:
    """A self-signed certificate that was valid in 2020 only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old-plc")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2020, 12, 31, tzinfo=dt.UTC)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def test_expired_certificates_are_marked(store, manager):
    store.trust(CertInfo.of(expired_certificate(), url="opc.tcp://old-plc:4840/"))
    manager.refresh()
    assert "expired" in manager.trusted_table.item(0, 3).text()


def test_our_own_certificate_is_made_shown_and_renewed(qtbot, loop, store, manager):
    assert manager.own.certificate is None and not manager.export_own_button.isEnabled()
    manager.tabs.setCurrentIndex(2)
    qtbot.mouseClick(manager.renew_button, Qt.MouseButton.LeftButton)  # "Create now": no question
    run(loop, until(lambda: manager.own.certificate is not None, 30), 35)
    first = manager.own.info.fingerprint
    assert manager._own_values["fingerprint"].text() == first
    assert manager._own_values["uri"].text().startswith("urn:millwright:workbench:")
    assert "day" in manager._own_values["days"].text()
    changed = []
    manager.changed.connect(lambda: changed.append(True))
    qtbot.mouseClick(manager.renew_button, Qt.MouseButton.LeftButton)
    answer(loop, QMessageBox.StandardButton.Yes)
    run(loop, until(lambda: bool(changed), 30), 35)
    assert manager.own.info.fingerprint != first and manager._own_values["fingerprint"].text() != first
    assert ApplicationCertificate.ensure(store.folder).info.fingerprint == manager.own.info.fingerprint


def test_closing_the_manager_closes_an_open_confirmation(qtbot, loop, store, tmp_path, manager):
    store.trust(server_certificate(tmp_path / "c", "opc.tcp://127.0.0.1:4840/"))
    manager.refresh()
    manager.trusted_table.setFocus()
    qtbot.keyClick(manager.trusted_table, Qt.Key.Key_Delete)
    run(loop, until(lambda: bool(message_boxes())))
    manager.reject()
    run(loop, asyncio.sleep(0.05))
    run(loop, until(lambda: not message_boxes()))
    assert len(store.trusted()) == 1
