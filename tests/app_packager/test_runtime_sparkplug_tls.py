"""The Sparkplug edge node through a broker that wants TLS and a password (mosquitto with its own CA and a
password file), as a site's broker does; a wrong password or an unknown CA is refused with a message."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pysparkplug as spb
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app_packager.manifest import parse_manifest
from app_packager.runtime.metrics import RuntimeMetrics
from app_packager.runtime.sparkplug import SparkplugConfig, SparkplugEdgeNode
from device_browser.simulators.opcua.simulation import free_port
from tests.app_packager.test_runtime import BINDINGS
from tests.app_packager.test_runtime_sparkplug import APP, DEADLINE, DEVICE, Host, tick, until
from tests.mosquitto import MosquittoProcess, mosquitto_missing
from tests.simulator_process import SimulatorProcess
from workbench.cli import main as cli_main

USER, PASSWORD = "edge-runtime", "s3cret-on-site"


def _certificate(subject: str, key, issuer: x509.Name | None = None, issuer_key=None, ca: bool = False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem(folder: Path, name: str, cert, key=None) -> Path:
    path = folder / f"{name}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        (folder / f"{name}.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    return path


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory):
    reason = mosquitto_missing()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("secure-mosquitto")
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("Site CA", ca_key, ca=True)
    ca_file = _pem(folder, "ca", ca)
    server = _pem(folder, "server", _certificate("broker.site", server_key, ca.subject, ca_key), server_key)
    passwords = folder / "passwords"
    passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    subprocess.run([passwd, "-b", "-c", str(passwords), USER, PASSWORD], check=True, capture_output=True)
    broker = MosquittoProcess(folder / "broker", access="\n".join([
        f"cafile {ca_file}", f"certfile {server}", f"keyfile {folder / 'server.key'}",
        "allow_anonymous false", f"password_file {passwords}",
        "user root"]))  # as root, mosquitto would read the password file as user 'mosquitto' in our private folder
    broker.start()
    try:
        yield broker, ca_file
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def manifest():
    return parse_manifest(APP.read_text(encoding="utf-8"), APP)


class SecureHost(Host):
    """The test's Sparkplug host, over TLS with a user of its own broker."""

    def __init__(self, port: int, ca_file: Path):
        self._tls = (ca_file,)
        super().__init__(port)

    def _configure(self, client: mqtt.Client) -> None:
        client.tls_set_context(ssl.create_default_context(cafile=str(self._tls[0])))
        client.username_pw_set(USER, PASSWORD)


def _config(tmp_path: Path, url: str, **extra) -> SparkplugConfig:
    return SparkplugConfig(url=url, group="site-a", edge_node="runtime-tls", data_dir=tmp_path, keepalive_s=2,
                           reconnect_cap_s=1.0, **extra)


def test_births_and_data_go_through_a_broker_that_wants_tls_and_a_password(secure_broker, manifest, tmp_path):
    broker, ca_file = secure_broker
    assert broker.url.startswith("mqtts://")
    host = SecureHost(broker.port, ca_file)
    node = SparkplugEdgeNode(manifest, _config(tmp_path, broker.url, ca_file=ca_file, username=USER,
                                               password=PASSWORD))

    async def scenario():
        await node.start()
        await until(lambda: host.of("DBIRTH"), "DBIRTH over TLS")
        await node.publish(tick(1000, efficiency=70.25))
        await until(lambda: host.of("DDATA"), "DDATA over TLS")
        await node.close()

    try:
        asyncio.run(scenario())
    finally:
        host.close()
    assert host.kinds()[:2] == ["NBIRTH", "DBIRTH"]
    assert [m.value for p in host.of("DDATA") for m in p.metrics if m.name == "efficiency"] == [70.25]


@pytest.mark.parametrize("wrong", ["password", "ca"])
def test_a_wrong_password_or_an_unknown_ca_is_refused_with_a_message_and_retried(secure_broker, manifest, tmp_path,
                                                                                  wrong):
    broker, ca_file = secure_broker
    metrics = RuntimeMetrics()
    if wrong == "password":
        settings = {"ca_file": ca_file, "username": USER, "password": "guess"}
        expected = "refused the connection: Connection Refused: not authorised"
    else:
        settings = {"username": USER, "password": PASSWORD}  # the system's CAs do not know the site's CA
        expected = "certificate verify failed"
    node = SparkplugEdgeNode(manifest, _config(tmp_path, broker.url, **settings), metrics=metrics)

    async def scenario():
        await node.start()
        await until(lambda: metrics.last_error() and expected in metrics.last_error().message,
                    f"the refusal ({expected})", DEADLINE)
        await node.publish(tick(1000, efficiency=1.0))  # kept for when the broker lets it in
        await node.close()

    asyncio.run(scenario())
    assert metrics.last_error().where == "sparkplug"
    assert node.queue_depth >= 1


def test_app_run_publishes_through_the_secure_broker_and_a_host_command_changes_a_parameter(
        secure_broker, example_build, tmp_path):
    broker, ca_file = secure_broker
    simulator = SimulatorProcess("opcua", free_port("127.0.0.1"), tmp_path / "sim")
    simulator.start()
    devices = tmp_path / "devices"
    devices.mkdir()
    text, name = simulator.profile_text()
    (devices / name).write_text(text, encoding="utf-8")
    (tmp_path / "bindings.yaml").write_text(BINDINGS, encoding="utf-8")
    (tmp_path / "mqtt-password").write_text(PASSWORD + "\n", encoding="utf-8")
    host = SecureHost(broker.port, ca_file)
    command = [sys.executable, "-m", "workbench", "app", "run", str(example_build), "--bind",
               str(tmp_path / "bindings.yaml"), "--devices", str(devices), "--data", str(tmp_path / "data"),
               "--allow-unsigned", "--mqtt", broker.url, "--mqtt-ca", str(ca_file), "--site", "site-a",
               "--edge-node", "runtime-cli"]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "MILLWRIGHT_MQTT_USERNAME": USER,
                   "MILLWRIGHT_MQTT_PASSWORD_FILE": str(tmp_path / "mqtt-password")}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment)
    lines: list[dict] = []
    reader = threading.Thread(target=lambda: lines.extend(json.loads(line) for line in process.stdout), daemon=True)
    reader.start()
    try:
        assert _wait(lambda: host.of("DDATA"), 60), "no DDATA from app run"
        command_topic = f"spBv1.0/site-a/DCMD/runtime-cli/{DEVICE}"
        host.send(command_topic, spb.DCmd(spb.get_current_timestamp(), (
            spb.Metric(spb.get_current_timestamp(), "Parameters/power_factor", spb.DataType.DOUBLE, value=0.5),
        )).encode())
        assert _wait(lambda: any(e["message"] == "parameter power_factor set to 0.5" for e in list(lines)), 30), \
            [e["message"] for e in lines][-20:]
        process.send_signal(signal.SIGTERM)
        process.wait(15)
    finally:
        if process.poll() is None:
            process.kill()
        host.close()
        simulator.stop()
    assert process.returncode == 0
    echoed = [m.value for p in host.of("DDATA") for m in p.metrics if m.name == "Parameters/power_factor"]
    assert echoed == [0.5]  # the host learns the value in force


def _wait(condition, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_host_view_browses_the_secure_broker_and_names_a_missing_ca_file(secure_broker, manifest, tmp_path,
                                                                             capsys, monkeypatch):
    broker, ca_file = secure_broker
    node = SparkplugEdgeNode(manifest, _config(tmp_path, broker.url, ca_file=ca_file, username=USER,
                                               password=PASSWORD))
    loop = asyncio.new_event_loop()
    edge = threading.Thread(target=loop.run_forever, daemon=True)
    edge.start()
    asyncio.run_coroutine_threadsafe(node.start(), loop).result(DEADLINE)
    asyncio.run_coroutine_threadsafe(node.publish(tick(1000, efficiency=64.5)), loop).result(DEADLINE)
    monkeypatch.setenv("MILLWRIGHT_MQTT_PASSWORD", PASSWORD)
    try:
        code = cli_main(["device", "browse", broker.url, "--ca-file", str(ca_file), "--user", USER, "--wait", "5"])
        out = capsys.readouterr().out
        missing = cli_main(["device", "browse", broker.url, "--ca-file", str(tmp_path / "no-ca.pem"), "--user", USER])
        err = capsys.readouterr().err
    finally:
        asyncio.run_coroutine_threadsafe(node.close(), loop).result(DEADLINE)
        loop.call_soon_threadsafe(loop.stop)
        edge.join(DEADLINE)
    assert code == 0, out
    lines = [line.split() for line in out.splitlines()]
    assert next(line for line in lines if line and line[0] == "runtime-tls")[:2] == ["runtime-tls", "online"]
    assert next(line for line in lines if line and line[0] == "efficiency")[2:5] == ["%", "64.5", "good"]
    assert missing == 1 and "the TLS files cannot be used" in err and "no-ca.pem" in err
