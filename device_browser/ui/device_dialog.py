"""The device dialog: add or edit a device of the project (OPC UA, Modbus TCP, RTU, RTU over TCP).

:class:`DeviceDialog` edits a :class:`~device_browser.profiles.DeviceProfile`'s id, nameplate
and connection; ``result_profile()`` after ``accept`` is the profile to save (an edited one
keeps its points). Its fields and checks are those of :mod:`device_browser.device_setup`.
Nothing here waits on a device: Discover and Test connection run as tasks on the running
(qasync) loop — through a :class:`~device_browser.host.DeviceHost` when one is given — with a
busy bar and Cancel, and their errors are shown as a line of text.

An OPC UA user's password goes to the OS keyring on OK (never into the profile); where no
secure keyring exists the dialog says so and stores nothing.

Run standalone: ``python -m device_browser.ui.device_dialog``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qtpy.QtCore import QEvent, Qt, Signal
from qtpy.QtGui import QIntValidator
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from device_browser.device_setup import (
    COMMON_BAUDRATES,
    MODBUS_PORT,
    PARITIES,
    STOP_BITS,
    UNIT_IDS,
    ModbusForm,
    OpcUaForm,
    ProbeResult,
    Problem,
    Transport,
    build_profile,
    check_device_id,
    form_of,
    probe,
    serial_ports,
    unresolvable_hosts,
    use_typed_address,
)
from device_browser.opcua.security import keyring_problem, save_password
from device_browser.opcua.ua_discovery import Endpoint, discover
from device_browser.profiles import DeviceProfile
from device_browser.session import DeviceError
from device_browser.ui.trust_prompt import EXPIRED_STYLE, ui_decide

if TYPE_CHECKING:
    from device_browser.host import DeviceHost

# The security policies a profile may name (the schema's list; older ones are for reading old PLCs only).
PROFILE_POLICIES = ("None", "Basic256Sha256", "Aes128Sha256RsaOaep", "Aes256Sha256RsaPss")
MODES = ("None", "Sign", "SignAndEncrypt")
ANONYMOUS, USER_NAME = "anonymous", "user"
OK_STYLE = "color: #22863a;"


def _no_auto_default(button: QPushButton) -> QPushButton:
    """Enter in a field means OK, even after this button had the focus."""
    button.setAutoDefault(False)
    return button


class Activity(QWidget):
    """One request at a time in the background: a busy bar and Cancel while it runs, then one line of result.

    Errors (DeviceError and whatever a driver raises) are shown as text, never as a traceback.
    """

    done = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._task: asyncio.Task | None = None
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # no percentage: "working"
        self.busy.setMaximumHeight(12)
        self.busy.setTextVisible(False)
        self.cancel_button = _no_auto_default(QPushButton())
        self.cancel_button.clicked.connect(self.cancel)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.busy, 1)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self._idle()
        self.retranslate()

    def retranslate(self) -> None:
        self.cancel_button.setText(self.tr("Cancel"))

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, coro: Coroutine[Any, Any, Any], on_result: Callable[[Any], None], busy_text: str) -> None:
        """Run ``coro``; ``on_result(value)`` when it succeeds, its error shown when it fails."""
        self.cancel()
        self.show()
        self.busy.show()
        self.cancel_button.show()
        self.show_text(busy_text)
        task = asyncio.ensure_future(coro)
        self._task = task
        task.add_done_callback(lambda t: self._finished(t, on_result))

    def _finished(self, task: asyncio.Task, on_result: Callable[[Any], None]) -> None:
        if task is not self._task:
            return
        self._idle()
        if task.cancelled():
            self.show_text(self.tr("Cancelled."))
        elif task.exception() is not None:
            self.show_text(str(task.exception()) or type(task.exception()).__name__, error=True)
        else:
            on_result(task.result())
        self.done.emit()

    def cancel(self) -> None:
        if self.running:
            self._task.cancel()

    def _idle(self) -> None:
        self.busy.hide()
        self.cancel_button.hide()
        self.setVisible(bool(self.result.text()))  # an idle activity with nothing to say takes no room

    def show_text(self, text: str, error: bool = False, ok: bool = False) -> None:
        self.result.setStyleSheet(EXPIRED_STYLE if error else OK_STYLE if ok else "")
        self.result.setText(text)
        self.result.setVisible(bool(text))
        self.setVisible(bool(text) or self.running)


class FormRows(QFormLayout):
    """A form whose row labels are set again on a language change (``retitle``)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.labels: dict[str, QLabel] = {}

    def add(self, key: str, field: QWidget | QHBoxLayout, buddy: QWidget | None = None) -> None:
        label = QLabel()
        label.setBuddy(buddy or (field if isinstance(field, QWidget) else None))
        self.labels[key] = label
        self.addRow(label, field)

    def retitle(self, texts: dict[str, str]) -> None:
        for key, label in self.labels.items():
            label.setText(texts[key])


def _unit_spin() -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(*UNIT_IDS)
    spin.setValue(1)
    return spin


def _timeout_spin(default: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.1, 120.0)
    spin.setDecimals(1)
    spin.setSingleStep(0.5)
    spin.setSuffix(" s")
    spin.setValue(default)
    return spin


class OpcUaPage(QWidget):
    """Endpoint URL with Discover, the endpoints found, security, identity and timeout."""

    changed = Signal()

    def __init__(self, host: DeviceHost | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.host = host
        self.endpoints: list[Endpoint] = []
        self.unresolved: set[str] = set()
        self._typed = ""  # the URL discovery was asked at
        self.endpoint = QLineEdit()
        self.endpoint.setPlaceholderText("opc.tcp://192.168.0.10:4840")
        self.discover_button = _no_auto_default(QPushButton())
        self.discover_button.clicked.connect(self.start_discovery)
        self.discovery = Activity()
        self.table = QTableWidget(0, 4)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMaximumHeight(150)
        self.table.hide()
        self.table.currentCellChanged.connect(lambda row, *_: self.pick(row))
        self.unresolved_note = QLabel()
        self.unresolved_note.setWordWrap(True)
        self.use_typed_button = _no_auto_default(QPushButton())
        self.use_typed_button.clicked.connect(self.use_typed_address)
        self.policy = QComboBox()
        self.policy.addItems(PROFILE_POLICIES)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.identity = QComboBox()
        self.identity.addItem("", ANONYMOUS)
        self.identity.addItem("", USER_NAME)
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.identity_note = QLabel()
        self.identity_note.setWordWrap(True)
        self.timeout = _timeout_spin(5.0)

        url_row = QHBoxLayout()
        url_row.addWidget(self.endpoint, 1)
        url_row.addWidget(self.discover_button)
        typed_row = QHBoxLayout()
        typed_row.addWidget(self.unresolved_note, 1)
        typed_row.addWidget(self.use_typed_button)
        self.form = FormRows()
        self.form.add("endpoint", url_row, self.endpoint)
        self.form.addRow(self.discovery)
        self.form.addRow(self.table)
        self.form.addRow(typed_row)
        self.form.add("policy", self.policy)
        self.form.add("mode", self.mode)
        self.form.add("identity", self.identity)
        self.form.add("user", self.user)
        self.form.add("password", self.password)
        self.form.addRow(self.identity_note)
        self.form.add("timeout", self.timeout)
        self.form.setContentsMargins(0, 0, 0, 0)  # aligned with the dialog's own fields
        self.setLayout(self.form)
        self._show_typed_offer(False)
        for signal in (self.endpoint.textChanged, self.user.textChanged, self.password.textChanged,
                       self.policy.currentIndexChanged, self.mode.currentIndexChanged,
                       self.identity.currentIndexChanged):
            signal.connect(self._edited)
        self.retranslate()
        self._edited()

    def retranslate(self) -> None:
        self.form.retitle({"endpoint": self.tr("&Endpoint URL:"), "policy": self.tr("Security &policy:"),
                           "mode": self.tr("Security &mode:"), "identity": self.tr("&Identity:"),
                           "user": self.tr("&User name:"), "password": self.tr("Pass&word:"),
                           "timeout": self.tr("Time&out:")})
        self.discover_button.setText(self.tr("Dis&cover"))
        self.discover_button.setToolTip(self.tr("Ask the server which endpoints it offers"))
        self.use_typed_button.setText(self.tr("Use the &address I typed"))
        self.identity.setItemText(0, self.tr("Anonymous"))
        self.identity.setItemText(1, self.tr("User name and password"))
        self.password.setPlaceholderText(self.tr("stored in the system keyring, not in the project"))
        self.table.setHorizontalHeaderLabels([self.tr("Security policy"), self.tr("Mode"), self.tr("User tokens"),
                                              self.tr("Security level")])
        self.discovery.retranslate()
        self._show_unresolved()
        self._edited()

    # -- fields ----------------------------------------------------------------------------------

    def form_fields(self) -> OpcUaForm:
        user = self.user.text().strip() if self.identity.currentData() == USER_NAME else ""
        return OpcUaForm(endpoint=self.endpoint.text().strip(), security_policy=self.policy.currentText(),
                         security_mode=self.mode.currentText(), user=user, timeout_s=round(self.timeout.value(), 1))

    def set_form(self, form: OpcUaForm) -> None:
        self.endpoint.setText(form.endpoint)
        self.policy.setCurrentText(form.security_policy)
        self.mode.setCurrentText(form.security_mode)
        self.identity.setCurrentIndex(1 if form.user else 0)
        self.user.setText(form.user)
        self.timeout.setValue(form.timeout_s)

    def problems(self) -> list[Problem]:
        found = self.form_fields().problems()
        if self.identity.currentData() == USER_NAME and not self.user.text().strip():
            found.append(Problem("user", "empty"))
        return found

    def _edited(self) -> None:
        by_user = self.identity.currentData() == USER_NAME
        self.user.setEnabled(by_user)
        self.password.setEnabled(by_user)
        notes = []
        if by_user:
            problem = keyring_problem()
            if problem:
                notes.append(self.tr("No secure keyring on this machine (%1): the password is not stored.")
                             .replace("%1", problem))
            if self.policy.currentText() == "None":
                notes.append(self.tr("With security None the password travels in clear text over the network."))
        self.identity_note.setText("\n".join(notes))
        self.identity_note.setVisible(bool(notes))
        self.changed.emit()

    # -- discovery -------------------------------------------------------------------------------

    def start_discovery(self) -> None:
        url = self.endpoint.text().strip()
        if not url.startswith("opc.tcp://"):
            self.discovery.show_text(self.tr("Type the server's address first, e.g. opc.tcp://192.168.0.10:4840"),
                                     error=True)
            return
        self._typed = url
        self.discovery.start(self._discover(url), self._show_endpoints, self.tr("Asking %1 for its endpoints…")
                             .replace("%1", url))

    async def _discover(self, url: str) -> tuple[list[Endpoint], set[str]]:
        endpoints = await (self.host.call(discover, url) if self.host is not None else discover(url))
        return endpoints, await unresolvable_hosts(e.url for e in endpoints)

    def _show_endpoints(self, found: tuple[list[Endpoint], set[str]]) -> None:
        self.endpoints, self.unresolved = found
        self.table.blockSignals(True)  # the first row is picked below, once
        self.table.setRowCount(len(self.endpoints))
        for row, ep in enumerate(self.endpoints):
            texts = (ep.policy, ep.mode, ", ".join(ep.user_tokens), str(ep.security_level))
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(ep.url)
                self.table.setItem(row, column, item)
        self.table.blockSignals(False)
        self.table.setVisible(bool(self.endpoints))
        name = self.endpoints[0].server_name if self.endpoints else ""
        self.discovery.show_text(self.tr("%n endpoint(s) found", "", len(self.endpoints))
                                 + (f": {name}" if name else ""), ok=bool(self.endpoints))
        if self.endpoints:
            best = max(range(len(self.endpoints)), key=lambda i: self.endpoints[i].security_level)
            self.table.setCurrentCell(best, 0)
            self.pick(best)

    def pick(self, row: int) -> None:
        """Take endpoint ``row``'s URL, policy and mode into the form."""
        if not 0 <= row < len(self.endpoints):
            return
        ep = self.endpoints[row]
        if ep.policy in PROFILE_POLICIES:
            self.policy.setCurrentText(ep.policy)
            self.mode.setCurrentText(ep.mode)
        self.endpoint.setText(ep.url)
        if "UserName" not in ep.user_tokens and "Anonymous" in ep.user_tokens:
            self.identity.setCurrentIndex(0)
        elif "Anonymous" not in ep.user_tokens:
            self.identity.setCurrentIndex(1)
        self._show_unresolved()

    def _picked_host_unresolved(self) -> str:
        host = urlsplit(self.endpoint.text().strip()).hostname or ""
        return host if host in self.unresolved else ""

    def _show_unresolved(self) -> None:
        host = self._picked_host_unresolved()
        if host:
            self.unresolved_note.setText(self.tr("The server names itself %1, which this computer cannot resolve.")
                                         .replace("%1", host))
        self._show_typed_offer(bool(host) and bool(self._typed))

    def _show_typed_offer(self, shown: bool) -> None:
        self.unresolved_note.setVisible(shown)
        self.use_typed_button.setVisible(shown)

    def use_typed_address(self) -> None:
        """Keep the path the server gave, with the host and port that were typed (issue 17, item 9)."""
        self.endpoint.setText(use_typed_address(self.endpoint.text(), self._typed))
        self._show_typed_offer(False)


class NetworkPage(QWidget):
    """Modbus TCP and RTU over TCP: host, port, unit id, timeout."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.host = QLineEdit()
        self.host.setPlaceholderText("192.168.0.10")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(MODBUS_PORT)
        self.unit = _unit_spin()
        self.unit_note = QLabel()
        self.unit_note.setWordWrap(True)
        self.timeout = _timeout_spin(1.0)
        self.form = FormRows()
        self.form.add("host", self.host)
        self.form.add("port", self.port)
        self.form.add("unit", self.unit)
        self.form.addRow(self.unit_note)
        self.form.add("timeout", self.timeout)
        self.form.setContentsMargins(0, 0, 0, 0)  # aligned with the dialog's own fields
        self.setLayout(self.form)
        self.host.textChanged.connect(self.changed)
        self.retranslate()

    def retranslate(self) -> None:
        self.form.retitle({"host": self.tr("&Host:"), "port": self.tr("&Port:"), "unit": self.tr("&Unit id:"),
                           "timeout": self.tr("Time&out:")})
        self.unit_note.setText(unit_id_note(self))


def unit_id_note(widget: QWidget) -> str:
    return widget.tr("1–247 address one device; 0 is a broadcast that nobody answers; gateways often use 255 "
                     "(or 1) for the gateway itself.")


class SerialPage(QWidget):
    """Modbus RTU on a serial line: port (with the machine's list), baud, parity, stop bits, unit id, timeout."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.port = QComboBox()
        self.port.setEditable(True)  # a port that is not plugged in yet can be typed
        self.refresh_button = _no_auto_default(QPushButton())
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.baud = QComboBox()
        self.baud.setEditable(True)
        self.baud.addItems([str(b) for b in COMMON_BAUDRATES])
        self.baud.setValidator(QIntValidator(50, 4_000_000, self.baud))
        self.baud.setCurrentText("19200")
        self.parity = QComboBox()
        for code in PARITIES:
            self.parity.addItem("", code)
        self.stopbits = QComboBox()
        for bits in STOP_BITS:
            self.stopbits.addItem(str(bits), bits)
        self.unit = _unit_spin()
        self.unit_note = QLabel()
        self.unit_note.setWordWrap(True)
        self.timeout = _timeout_spin(1.0)
        port_row = QHBoxLayout()
        port_row.addWidget(self.port, 1)
        port_row.addWidget(self.refresh_button)
        self.form = FormRows()
        self.form.add("port", port_row, self.port)
        self.form.add("baud", self.baud)
        self.form.add("parity", self.parity)
        self.form.add("stopbits", self.stopbits)
        self.form.add("unit", self.unit)
        self.form.addRow(self.unit_note)
        self.form.add("timeout", self.timeout)
        self.form.setContentsMargins(0, 0, 0, 0)  # aligned with the dialog's own fields
        self.setLayout(self.form)
        self.port.currentTextChanged.connect(self.changed)
        self.refresh_ports()
        self.retranslate()

    def retranslate(self) -> None:
        self.form.retitle({"port": self.tr("Serial &port:"), "baud": self.tr("&Baud rate:"),
                           "parity": self.tr("P&arity:"), "stopbits": self.tr("&Stop bits:"),
                           "unit": self.tr("&Unit id:"), "timeout": self.tr("Time&out:")})
        self.refresh_button.setText(self.tr("&Refresh"))
        self.refresh_button.setToolTip(self.tr("List the serial ports again (after plugging in an adapter)"))
        for i, name in enumerate((self.tr("None"), self.tr("Even"), self.tr("Odd"))):
            self.parity.setItemText(i, name)
        self.unit_note.setText(unit_id_note(self))

    def refresh_ports(self) -> None:
        """List the machine's serial ports again, keeping what was typed."""
        typed = self.port.currentText()
        self.port.blockSignals(True)
        self.port.clear()
        for port in serial_ports():
            self.port.addItem(port.label(), port.device)
        self.port.blockSignals(False)
        self.set_port(typed or (self.port.itemData(0) if self.port.count() else ""))  # a new device: the first

    def set_port(self, device: str) -> None:
        at = self.port.findData(device)
        if at >= 0:
            self.port.setCurrentIndex(at)
        else:
            self.port.setEditText(device)
        self.changed.emit()

    def device(self) -> str:
        """The chosen device: the listed port's name, or what was typed."""
        at = self.port.currentIndex()
        if at >= 0 and self.port.itemText(at) == self.port.currentText():
            return self.port.itemData(at)
        return self.port.currentText().strip()


class DeviceDialog(QDialog):
    """Add (``profile`` None) or edit a device; ``result_profile()`` after it was accepted.

    Parameters
    ----------
    profile
        The device to edit, or None for a new one (which has no points yet).
    existing_ids
        Ids of the project's devices: a new id must differ from all (an edited device may keep its own).
    host
        Where Discover and Test connection run their I/O (the workbench's DeviceHost); without one,
        on the running loop.
    """

    def __init__(self, profile: DeviceProfile | None, existing_ids: set[str], parent: QWidget | None = None,
                 host: DeviceHost | None = None):
        super().__init__(parent)
        self.profile = profile
        self.host = host
        self.taken = set(existing_ids) - ({profile.id} if profile else set())
        self._result: DeviceProfile | None = None
        self.setMinimumWidth(560)
        self.device_id = QLineEdit()
        self.title_edit = QLineEdit()
        self.manufacturer = QLineEdit()
        self.model = QLineEdit()
        self.protocol = QComboBox()
        for transport in Transport:
            self.protocol.addItem("", transport.value)
        self.opcua_page = OpcUaPage(host)
        self.network_page = NetworkPage()
        self.serial_page = SerialPage()
        self.pages = QStackedWidget()
        for page in (self.opcua_page, self.network_page, self.serial_page):
            self.pages.addWidget(page)
            page.changed.connect(self.validate)
        self.test_button = _no_auto_default(QPushButton())
        self.test_button.clicked.connect(self.start_test)
        self.test = Activity()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(EXPIRED_STYLE)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setDefault(True)

        self.form = FormRows()
        self.form.add("id", self.device_id)
        self.form.add("title", self.title_edit)
        self.form.add("manufacturer", self.manufacturer)
        self.form.add("model", self.model)
        self.form.add("protocol", self.protocol)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.test, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.pages)
        layout.addLayout(test_row)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.device_id.textChanged.connect(self.validate)
        self.protocol.currentIndexChanged.connect(self._protocol_chosen)
        self._load(profile)
        self.retranslate()
        self.device_id.setFocus()

    # -- fields ----------------------------------------------------------------------------------

    def _load(self, profile: DeviceProfile | None) -> None:
        if profile is None:
            self._protocol_chosen()
            return
        self.device_id.setText(profile.id)
        self.title_edit.setText(profile.title)
        self.manufacturer.setText(profile.nameplate.get("manufacturer", ""))
        self.model.setText(profile.nameplate.get("model", ""))
        form = form_of(profile.connection)
        self.protocol.setCurrentIndex(self.protocol.findData(Transport.of(profile.connection).value))
        if isinstance(form, OpcUaForm):
            self.opcua_page.set_form(form)
        elif form.transport.serial:
            page = self.serial_page
            page.set_port(form.serial_port)
            page.baud.setCurrentText(str(form.baudrate))
            page.parity.setCurrentIndex(max(0, page.parity.findData(form.parity)))
            page.stopbits.setCurrentIndex(max(0, page.stopbits.findData(form.stopbits)))
            page.unit.setValue(form.unit_id)
            page.timeout.setValue(form.timeout_s)
        else:
            page = self.network_page
            page.host.setText(form.host)
            page.port.setValue(form.port)
            page.unit.setValue(form.unit_id)
            page.timeout.setValue(form.timeout_s)
        self._protocol_chosen()

    @property
    def transport(self) -> Transport:
        return Transport(self.protocol.currentData())

    def _protocol_chosen(self) -> None:
        transport = self.transport
        page = self.opcua_page if transport is Transport.OPCUA else (
            self.serial_page if transport.serial else self.network_page)
        self.pages.setCurrentWidget(page)
        self.test.show_text("")
        self.validate()

    def form_fields(self) -> OpcUaForm | ModbusForm:
        """The connection part of the form, as :mod:`device_browser.device_setup` knows it."""
        transport = self.transport
        if transport is Transport.OPCUA:
            return self.opcua_page.form_fields()
        if transport.serial:
            page = self.serial_page
            baudrate = int(page.baud.currentText() or 19200)
            return ModbusForm(transport=transport, serial_port=page.device(), baudrate=baudrate,
                              parity=page.parity.currentData(), stopbits=page.stopbits.currentData(),
                              unit_id=page.unit.value(), timeout_s=round(page.timeout.value(), 1))
        page = self.network_page
        return ModbusForm(transport=transport, host=page.host.text().strip(), port=page.port.value(),
                          unit_id=page.unit.value(), timeout_s=round(page.timeout.value(), 1))

    def _profile(self, device_id: str) -> DeviceProfile:
        nameplate = {"manufacturer": self.manufacturer.text().strip(), "model": self.model.text().strip()}
        return build_profile(device_id, self.form_fields(), nameplate, self.title_edit.text().strip(), self.profile)

    def connection_problems(self) -> list[Problem]:
        if self.transport is Transport.OPCUA:
            return self.opcua_page.problems()
        return self.form_fields().problems()

    def problems(self) -> list[Problem]:
        """What keeps OK disabled, in the order of the form."""
        problem = check_device_id(self.device_id.text().strip(), self.taken)
        return ([problem] if problem else []) + self.connection_problems()

    def validate(self) -> bool:
        """Show the first problem under the form; OK and Test connection only when they can work."""
        problems = self.problems()
        self.problem.setText(self.describe(problems[0]) if problems else "")
        self.problem.setVisible(bool(problems))
        self.ok_button.setEnabled(not problems)
        self.test_button.setEnabled(not self.connection_problems())
        return not problems

    def describe(self, problem: Problem) -> str:
        """A problem in the user's language."""
        texts = {
            ("id", "empty"): self.tr("Give the device an id (letters, digits, _ . : -)."),
            ("id", "characters"): self.tr("The id may not contain %1: use letters, digits and _ . : - only."),
            ("id", "taken"): self.tr("The project already has a device with the id %1."),
            ("endpoint", "empty"): self.tr("Type the server's endpoint URL, e.g. opc.tcp://192.168.0.10:4840."),
            ("endpoint", "scheme"): self.tr("An OPC UA endpoint URL starts with opc.tcp:// (not %1)."),
            ("endpoint", "port"): self.tr("The port in %1 is not a number from 1 to 65535."),
            ("endpoint", "host"): self.tr("The endpoint URL %1 names no host."),
            ("security", "pair"): self.tr("Security policy None goes with mode None, and a policy with Sign or "
                                          "SignAndEncrypt (not %1)."),
            ("user", "empty"): self.tr("Type the user name, or choose Anonymous."),
            ("host", "empty"): self.tr("Type the device's host name or IP address."),
            ("host", "characters"): self.tr("%1 is not a host name or IP address."),
            ("serial_port", "empty"): self.tr("Choose or type the serial port, e.g. /dev/ttyUSB0 or COM3."),
        }
        text = texts.get((problem.field, problem.code), f"{problem.field}: {problem.code} {problem.value}")
        value = problem.value
        if (problem.field, problem.code) == ("id", "characters"):  # a space must show too
            value = " ".join(f"“{ch}”" for ch in value)
        return text.replace("%1", value)

    # -- test connection -------------------------------------------------------------------------

    def password(self) -> str | None:
        """The password typed for the user (None: none typed, the keyring's is used)."""
        if self.transport is Transport.OPCUA and self.opcua_page.form_fields().user:
            return self.opcua_page.password.text() or None
        return None

    def start_test(self) -> None:
        """Connect a temporary session with the form's settings, read the points, close (cancelable)."""
        if self.connection_problems():
            return
        profile = self._profile(self.device_id.text().strip() or "test")
        decide = ui_decide(self, asyncio.get_event_loop())  # the UI loop (qasync), running or about to
        work = (self.host.call(probe, profile, self.password(), decide) if self.host is not None
                else probe(profile, self.password(), decide))
        self.test.start(work, self._show_probe, self.tr("Connecting…"))

    def _show_probe(self, result: ProbeResult) -> None:
        if result.points:
            text = self.tr("Connected: %1 / %2 of %3 points readable").replace("%1", result.server) \
                .replace("%2", str(result.readable)).replace("%3", str(result.points))
            if result.failures:
                text += "\n" + "\n".join(result.failures)
        else:
            text = self.tr("Connected: %1 (the device has no points yet)").replace("%1", result.server)
        self.test.show_text(text, ok=result.readable == result.points, error=result.readable < result.points)

    # -- result ----------------------------------------------------------------------------------

    def accept(self) -> None:
        """Keep the password in the keyring (where a secure one exists), then close with the profile."""
        if not self.validate():
            return
        profile = self._profile(self.device_id.text().strip())
        password = self.password()
        user = profile.connection.get("user")
        if password and user and keyring_problem() is None:
            try:
                save_password(profile.connection["endpoint"], user, password)
            except DeviceError as exc:
                self.problem.setText(str(exc))
                self.problem.show()
                return
        self._result = profile
        super().accept()

    def result_profile(self) -> DeviceProfile:
        """The profile to save (after the dialog was accepted)."""
        if self._result is None:
            raise RuntimeError("The device dialog was not accepted")
        return self._result

    def done(self, result: int) -> None:
        self.test.cancel()  # nothing keeps talking to a device after the dialog closed
        self.opcua_page.discovery.cancel()
        super().done(result)

    # -- language --------------------------------------------------------------------------------

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Add device") if self.profile is None else self.tr("Edit device"))
        self.form.retitle({"id": self.tr("Device &id:"), "title": self.tr("&Name:"),
                           "manufacturer": self.tr("Manu&facturer:"), "model": self.tr("Mo&del:"),
                           "protocol": self.tr("P&rotocol:")})
        for i, name in enumerate((self.tr("OPC UA"), self.tr("Modbus TCP"), self.tr("Modbus RTU (serial line)"),
                                  self.tr("Modbus RTU over TCP (gateway)"))):
            self.protocol.setItemText(i, name)
        self.device_id.setPlaceholderText(self.tr("e.g. pump-station-1"))
        self.test_button.setText(self.tr("&Test connection"))
        self.test.retranslate()
        for page in (self.opcua_page, self.network_page, self.serial_page):
            page.retranslate()
        self.validate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


if __name__ == "__main__":  # python -m device_browser.ui.device_dialog [profile.yaml]
    import sys
    from pathlib import Path

    import qasync
    from qtpy.QtWidgets import QApplication

    from device_browser.profiles import load_profile

    app = QApplication(sys.argv)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    dialog = DeviceDialog(load_profile(Path(sys.argv[1])) if len(sys.argv) > 1 else None, set())
    dialog.finished.connect(lambda code: (print(dialog.result_profile().dumps()) if code else None, app.quit()))
    dialog.show()
    with loop:
        loop.run_forever()
