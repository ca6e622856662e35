"""The device dialog and the trust prompt against the real simulators on loopback.

Modbus and OPC UA (security None) simulators run in their own process; the secured OPC UA
server for the trust prompt runs on a DeviceHost's loop, where the session asking ``decide``
runs too, so the question really crosses from the device thread to the UI thread.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication

from device_browser.connect import open_session
from device_browser.device_setup import Transport
from device_browser.host import DeviceHost
from device_browser.opcua.security import CertInfo, TrustStore, default_pki_dir, load_password
from device_browser.opcua.ua_discovery import Endpoint
from device_browser.profiles import parse_profile
from device_browser.session import ConnectionState, DeviceError
from device_browser.ui.device_dialog import DeviceDialog
from device_browser.ui.trust_prompt import TrustPrompt, grouped_fingerprint, ui_decide
from tests.gui.conftest import run, until
from tests.simulator_process import SimulatorProcess
from tests.workbench.test_device_identity import plaintext_keyring, secure_keyring  # noqa: F401 - fixtures

DEADLINE_S = 30


@pytest.fixture
def modbus_simulator(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("modbus", free_tcp_port(), tmp_path)
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture
def opcua_simulator(tmp_path, free_tcp_port):
    simulator = SimulatorProcess("opcua", free_tcp_port(), tmp_path)
    simulator.start()
    yield simulator
    simulator.stop()


def make_dialog(qtbot, profile=None, existing=(), host=None) -> DeviceDialog:
    dialog = DeviceDialog(profile, set(existing), host=host)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def choose(dialog: DeviceDialog, transport: Transport) -> None:
    dialog.protocol.setCurrentIndex(dialog.protocol.findData(transport.value))


def test_a_modbus_device_is_added_and_its_connection_tested(qtbot, loop, modbus_simulator):
    dialog = make_dialog(qtbot, existing={"boiler"})
    qtbot.keyClicks(dialog.device_id, "pump-station")
    choose(dialog, Transport.MODBUS_TCP)
    assert dialog.pages.currentWidget() is dialog.network_page
    assert not dialog.ok_button.isEnabled()  # no host yet
    qtbot.keyClicks(dialog.network_page.host, "127.0.0.1")
    dialog.network_page.port.setValue(modbus_simulator.port)
    assert dialog.ok_button.isEnabled() and dialog.problem.isHidden()
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    run(loop, until(lambda: not dialog.test.running, DEADLINE_S), DEADLINE_S + 5)
    assert f"Connected: 127.0.0.1:{modbus_simulator.port}, unit 1" in dialog.test.result.text()
    qtbot.keyClick(dialog.device_id, Qt.Key.Key_Return)  # Enter = OK
    assert dialog.result() == DeviceDialog.DialogCode.Accepted
    profile = dialog.result_profile()
    assert profile.id == "pump-station" and profile.points == []
    assert profile.connection == {"protocol": "modbus", "framer": "tcp", "host": "127.0.0.1",
                                  "port": modbus_simulator.port, "unit_id": 1, "timeout_s": 1.0}


def test_editing_keeps_the_points_and_a_test_reads_them(qtbot, loop, modbus_simulator):
    text, _ = modbus_simulator.profile_text()
    profile = parse_profile(text)
    dialog = make_dialog(qtbot, profile, existing={profile.id, "other"})
    assert dialog.network_page.host.text() == "127.0.0.1" and dialog.ok_button.isEnabled()
    dialog.start_test()
    run(loop, until(lambda: not dialog.test.running, DEADLINE_S), DEADLINE_S + 5)
    n = len(profile.points)
    assert f"/ {n} of {n} points readable" in dialog.test.result.text()
    dialog.title_edit.setText("Pump station, line 2")
    dialog.accept()
    edited = dialog.result_profile()
    assert edited.points == profile.points and edited.title == "Pump station, line 2"


def test_invalid_ids_and_a_refused_port_are_explained(qtbot, loop, free_tcp_port):
    dialog = make_dialog(qtbot, existing={"pump-1"})
    choose(dialog, Transport.MODBUS_RTU_OVER_TCP)
    qtbot.keyClicks(dialog.network_page.host, "127.0.0.1")
    dialog.network_page.port.setValue(free_tcp_port())
    qtbot.keyClicks(dialog.device_id, "pump 1")
    assert not dialog.ok_button.isEnabled() and "may not contain" in dialog.problem.text()
    dialog.device_id.setText("pump-1")
    assert not dialog.ok_button.isEnabled() and "already has a device with the id pump-1" in dialog.problem.text()
    qtbot.keyClick(dialog.device_id, Qt.Key.Key_Return)
    assert dialog.isVisible()  # Enter did nothing while the form is invalid
    dialog.device_id.setText("pump-2")
    assert dialog.ok_button.isEnabled()
    assert dialog.test_button.isEnabled()  # the connection is complete, so it can be tried
    dialog.start_test()
    run(loop, until(lambda: not dialog.test.running, DEADLINE_S), DEADLINE_S + 5)
    assert "Connected" not in dialog.test.result.text() and dialog.test.result.text()
    dialog.reject()


def test_an_opcua_server_is_discovered_picked_and_tested(qtbot, loop, opcua_simulator):
    host = DeviceHost()
    try:
        dialog = make_dialog(qtbot, host=host)
        dialog.device_id.setText("ua-1")
        page = dialog.opcua_page
        page.endpoint.setText(f"opc.tcp://127.0.0.1:{opcua_simulator.port}")
        qtbot.mouseClick(page.discover_button, Qt.MouseButton.LeftButton)
        run(loop, until(lambda: not page.discovery.running, DEADLINE_S), DEADLINE_S + 5)
        assert page.table.rowCount() >= 1 and "endpoint" in page.discovery.result.text()
        page.table.setCurrentCell(0, 0)
        assert page.endpoint.text() == opcua_simulator.url and page.policy.currentText() == "None"
        assert page.use_typed_button.isHidden()  # 127.0.0.1 resolves
        dialog.start_test()
        run(loop, until(lambda: not dialog.test.running, DEADLINE_S), DEADLINE_S + 5)
        assert dialog.test.result.text().startswith("Connected:"), dialog.test.result.text()
        dialog.accept()
        assert dialog.result_profile().connection["endpoint"] == opcua_simulator.url
    finally:
        host.close()


def test_discovery_can_be_cancelled(qtbot, loop):
    import socket

    silent = socket.socket()  # accepts connections and never answers: discovery waits
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    try:
        dialog = make_dialog(qtbot)
        page = dialog.opcua_page
        page.endpoint.setText(f"opc.tcp://127.0.0.1:{silent.getsockname()[1]}")
        page.start_discovery()
        assert page.discovery.running and page.discovery.cancel_button.isVisible()
        qtbot.mouseClick(page.discovery.cancel_button, Qt.MouseButton.LeftButton)
        run(loop, until(lambda: not page.discovery.running, DEADLINE_S), DEADLINE_S + 5)
        assert page.discovery.result.text() == "Cancelled." and page.discovery.cancel_button.isHidden()
    finally:
        silent.close()


def test_an_unresolvable_server_host_is_replaced_by_the_typed_address(qtbot, loop):
    dialog = make_dialog(qtbot)
    page = dialog.opcua_page
    page.endpoint.setText("opc.tcp://192.168.0.7:48010")
    page._typed = page.endpoint.text()  # as when Discover was pressed there
    named = "opc.tcp://plc-7.invalid:4840/ua/server"
    from device_browser.device_setup import unresolvable_hosts

    page._show_endpoints(([Endpoint(named, "None", "None", ("Anonymous",))], run(loop, unresolvable_hosts([named]))))
    assert page.endpoint.text() == named
    assert page.use_typed_button.isVisible() and "plc-7.invalid" in page.unresolved_note.text()
    qtbot.mouseClick(page.use_typed_button, Qt.MouseButton.LeftButton)
    assert page.endpoint.text() == "opc.tcp://192.168.0.7:48010/ua/server"
    assert page.use_typed_button.isHidden()


def test_the_password_goes_to_the_keyring_not_into_the_profile(qtbot, secure_keyring):  # noqa: F811
    dialog = make_dialog(qtbot)
    dialog.device_id.setText("ua-2")
    page = dialog.opcua_page
    page.endpoint.setText("opc.tcp://10.1.2.3:4840/")
    page.identity.setCurrentIndex(1)
    assert not dialog.ok_button.isEnabled() and "user name" in dialog.problem.text()
    qtbot.keyClicks(page.user, "operator")
    qtbot.keyClicks(page.password, "s3cret-pw")
    assert "clear text" in page.identity_note.text()  # security None
    dialog.accept()
    profile = dialog.result_profile()
    assert profile.connection["user"] == "operator"
    assert "s3cret-pw" not in profile.dumps()
    assert load_password("opc.tcp://10.1.2.3:4840/", "operator") == "s3cret-pw"
    assert "s3cret-pw" in secure_keyring.read_text()


def test_without_a_secure_keyring_the_dialog_says_so_and_stores_nothing(qtbot, plaintext_keyring):  # noqa: F811
    dialog = make_dialog(qtbot)
    dialog.device_id.setText("ua-3")
    page = dialog.opcua_page
    page.endpoint.setText("opc.tcp://10.1.2.3:4840/")
    page.identity.setCurrentIndex(1)
    page.user.setText("operator")
    page.password.setText("s3cret-pw")
    assert "No secure keyring" in page.identity_note.text()
    dialog.accept()
    assert dialog.result_profile().connection["user"] == "operator"
    assert not plaintext_keyring.exists() or "s3cret-pw" not in plaintext_keyring.read_text()


# --- the trust prompt -----------------------------------------------------------------------------


def open_prompts() -> list[TrustPrompt]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, TrustPrompt) and w.isVisible()]


@pytest.mark.parametrize("trust", [True, False])
def test_the_trust_prompt_answers_a_decide_made_on_the_device_thread(qtbot, loop, tmp_path, trust):
    from device_browser.simulators.opcua.simulator import start_simulator

    host = DeviceHost()
    asked_on: list[int] = []
    ui_asker = ui_decide(None, loop)

    async def decide(info: CertInfo) -> bool:
        asked_on.append(threading.get_ident())
        return await ui_asker(info)

    async def scenario() -> None:
        server = await host.call(start_simulator, pki_dir=tmp_path / "server-pki")
        try:
            profile = parse_profile(f"""
schema_version: 1
id: secured
nameplate: {{manufacturer: Millwright, model: simulator}}
connection: {{protocol: opcua, endpoint: "{server.url}", security_policy: Basic256Sha256,
              security_mode: SignAndEncrypt}}
points: [{{name: flow, data_type: double, address: {{node_id: "nsu=urn:millwright:pumpstation;s=PumpStation.Flow"}}}}]
""")
            handle = await host.open(lambda: open_session(profile, decide=decide))
            connecting = asyncio.ensure_future(handle.connect())
            await until(lambda: bool(open_prompts()), DEADLINE_S)
            [prompt] = open_prompts()
            assert prompt.reject_button.isDefault()
            assert prompt._values["fingerprint"].text().replace("\n", " ") == grouped_fingerprint(
                prompt.info.fingerprint).replace("\n", " ")
            (prompt.trust_button if trust else prompt.reject_button).click()
            if trust:
                await connecting
                assert handle.status.state is ConnectionState.CONNECTED
            else:
                with pytest.raises(DeviceError, match="did not trust"):
                    await connecting
            await handle.close()
        finally:
            await host.call(server.stop)

    try:
        run(loop, scenario(), timeout=60)
    finally:
        host.close()
    assert asked_on and set(asked_on) == {host._thread.ident}
    store = TrustStore(default_pki_dir())
    assert (len(store.trusted()), len(store.rejected())) == ((1, 0) if trust else (0, 1))
