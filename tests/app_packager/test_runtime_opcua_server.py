"""The runtime's OPC UA server, read by a real asyncua client over loopback: values, units, quality,
source times, status, and who may connect."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from asyncua import Client, ua
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256

from app_packager.manifest import AppManifest, AppOutput, load_manifest
from app_packager.runtime.opcua_server import (
    PASSWORD_ENV,
    USER_ENV,
    OpcUaOutputServer,
    OpcUaServerConfig,
    OpcUaServerError,
    SecurityMode,
    load_users,
    publish_seconds,
)
from app_packager.runtime.sinks import OutputSink
from device_browser.opcua.security import fingerprint
from device_browser.simulators.opcua.simulation import free_port
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.resources import resources_dir
from tests.device_browser.test_opcua_simulator import make_certificate

CLIENT_URI = "urn:millwright:test:scada"
T0 = 1_767_225_600_000_000_000  # 2026-01-01T00:00:00Z in ns
TICK = 100_000_000  # 100 ms


@pytest.fixture(scope="module")
def manifest() -> AppManifest:
    return load_manifest(resources_dir() / "examples" / "pump_station" / "apps" / "pump_efficiency" / "app.yaml")


@pytest.fixture
def secure_setup(tmp_path: Path):
    """A config with one user and a client certificate in the trust folder, and that client's cert and key."""
    users = tmp_path / "users"
    users.write_text("# operators of the pump station\noperator:s3cret\n", encoding="utf-8")
    config = OpcUaServerConfig(data_dir=tmp_path / "data", host="127.0.0.1", port=free_port("127.0.0.1"),
                               users_file=users)
    cert, key, _, _ = make_certificate(tmp_path, "scada", CLIENT_URI)
    config.trusted_clients_dir.mkdir(parents=True)
    (config.trusted_clients_dir / "scada.der").write_bytes(cert.read_bytes())
    return config, cert, key


async def secure_client(server: OpcUaOutputServer, cert: Path, key: Path, user: str | None = "operator",
                        password: str = "s3cret") -> Client:
    client = Client(server.endpoint_url, timeout=10)
    client.application_uri = CLIENT_URI
    await client.set_security(SecurityPolicyBasic256Sha256, str(cert), str(key),
                              server_certificate=str(server.certificate.cert_path),
                              mode=ua.MessageSecurityMode.SignAndEncrypt)
    if user is not None:
        client.set_user(user)
        client.set_password(password)
    return client


def tick(i: int, value: float, quality=GOOD) -> Chunk:
    """Two samples of one 100 ms tick; the server shows the later one."""
    t = T0 + i * TICK + np.array([0, TICK // 2], np.int64)
    return Chunk.of(t, [value - 1.0, value], [GOOD, quality])


async def wait_for(read, expected, deadline: float = 10.0) -> None:
    """Until ``await read()`` equals ``expected``; fails with the last value read."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    value = await read()
    while value != expected and loop.time() < end:
        await asyncio.sleep(0.05)
        value = await read()
    assert value == expected


def as_datetime(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // 1000 / 1e6, UTC)


def test_outputs_carry_values_units_quality_and_source_times(manifest, secure_setup):
    config, cert, key = secure_setup

    async def body() -> None:
        server = OpcUaOutputServer(manifest, config)
        assert isinstance(server, OutputSink)
        server.set_status({"modbus-line-2": "connecting"})  # the device layer may report before the server runs
        await server.start()
        try:
            client = await secure_client(server, cert, key)
            async with client:
                ns = await client.get_namespace_index(f"urn:millwright:app:{manifest.id}")

                def node(name: str):
                    return client.get_node(ua.NodeId(name, ns))

                (first,) = await client.read_attributes([node("Outputs.efficiency")])
                assert first.StatusCode.value == ua.StatusCodes.BadWaitingForInitialData
                for i in range(3):
                    await server.publish({"efficiency": tick(i, 70.0 + i), "energy": tick(i, 5.0 + i, UNCERTAIN),
                                          "volume": tick(i, 9.0, BAD), "shaft_power": Chunk.empty()})
                ids = [node(f"Outputs.{n}") for n in ("efficiency", "energy", "volume", "shaft_power")]
                efficiency, energy, volume, shaft = await client.read_attributes(ids)
                last = T0 + 2 * TICK + TICK // 2
                assert (efficiency.Value.Value, efficiency.Value.VariantType) == (72.0, ua.VariantType.Double)
                assert efficiency.StatusCode.is_good()
                assert efficiency.SourceTimestamp == as_datetime(last)
                assert efficiency.ServerTimestamp > efficiency.SourceTimestamp  # the sample is from 2026-01-01
                assert energy.Value.Value == 7.0 and energy.StatusCode.is_uncertain()
                assert energy.SourceTimestamp == as_datetime(last)
                assert volume.StatusCode.is_bad() and volume.Value.Value is None
                assert shaft.StatusCode.value == ua.StatusCodes.BadWaitingForInitialData  # nothing in any tick

                units = {}
                for name in ("efficiency", "hydraulic_power", "volume", "energy"):
                    prop = await node(f"Outputs.{name}").get_child("0:EngineeringUnits")
                    eu = await prop.read_value()
                    units[name] = (eu.DisplayName.Text, eu.UnitId, eu.NamespaceUri)
                cefact = "http://www.opcfoundation.org/UA/units/un/cefact"
                assert units == {"efficiency": ("%", 0x5031, cefact), "hydraulic_power": ("kW", 0x4B5754, cefact),
                                 "volume": ("m³", 0x4D5451, cefact), "energy": ("kWh", 0x4B5748, cefact)}
                description = await node("Outputs.specific_energy").read_description()
                assert description.Text == manifest.outputs["specific_energy"].description.en
                assert (await node("App").read_display_name()).Text == "Pump efficiency"
                assert await node("App.Version").read_value() == "1.0.0"
                assert (await node("App.NameZh").read_value()).Text == "泵效率"

                server.set_status({"pump-station-opcua": "disconnected"},
                                  last_error="pump-station-opcua: no answer from opc.tcp://10.0.0.5:4840")
                server.set_status({"pump-station-opcua": "connected"})

                async def status() -> tuple[str, str, str]:
                    names = ("Status.Devices.pump-station-opcua", "Status.Devices.modbus-line-2", "Status.LastError")
                    values = await client.read_attributes([node(n) for n in names])  # Bad until made
                    return tuple(dv.Value.Value if dv.Value else None for dv in values)

                await wait_for(status, ("connected", "connecting",
                                        "pump-station-opcua: no answer from opc.tcp://10.0.0.5:4840"))
        finally:
            await server.close()

    asyncio.run(asyncio.wait_for(body(), 60))


def test_only_trusted_clients_with_a_password_over_an_encrypted_channel(manifest, secure_setup, tmp_path):
    config, cert, key = secure_setup

    async def body() -> None:
        server = OpcUaOutputServer(manifest, config)
        await server.start()
        try:
            probe = Client(server.endpoint_url, timeout=10)
            endpoints = await probe.connect_and_get_server_endpoints()
            assert {e.SecurityMode for e in endpoints} == {ua.MessageSecurityMode.SignAndEncrypt}
            assert "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256" in {e.SecurityPolicyUri
                                                                                for e in endpoints}
            assert {t.TokenType for e in endpoints for t in e.UserIdentityTokens} == {ua.UserTokenType.UserName}

            anonymous = await secure_client(server, cert, key, user=None)
            with pytest.raises(ua.uaerrors.BadIdentityTokenRejected):
                await anonymous.connect()
            await anonymous.disconnect()
            wrong = await secure_client(server, cert, key, password="guess")
            with pytest.raises(ua.uaerrors.BadUserAccessDenied):
                await wrong.connect()
            await wrong.disconnect()

            stranger_cert, stranger_key, stranger, _ = make_certificate(tmp_path, "stranger", CLIENT_URI)
            untrusted = await secure_client(server, stranger_cert, stranger_key)
            with pytest.raises((ua.UaError, ConnectionError, asyncio.TimeoutError)):
                await untrusted.connect()
            untrusted.disconnect_socket()
            rejected = config.rejected_clients_dir / f"{fingerprint(stranger).replace(':', '')}.der"
            assert rejected.is_file(), "an administrator finds the refused client's certificate to trust it"

            plain = Client(server.endpoint_url, timeout=10)
            plain.set_user("operator")
            plain.set_password("s3cret")
            with pytest.raises(ua.UaError):
                await plain.connect()  # no endpoint without security
            plain.disconnect_socket()
        finally:
            await server.close()

    asyncio.run(asyncio.wait_for(body(), 60))


def test_the_server_certificate_is_kept_across_restarts(manifest, secure_setup):
    config, _, _ = secure_setup

    async def thumbprints() -> set[str]:
        """The certificate clients are shown, and the one in the data folder."""
        server = OpcUaOutputServer(manifest, config)
        await server.start()
        try:
            endpoints = await Client(server.endpoint_url, timeout=10).connect_and_get_server_endpoints()
            return {fingerprint(e.ServerCertificate) for e in endpoints} | {server.certificate.info.fingerprint}
        finally:
            await server.close()

    first = asyncio.run(asyncio.wait_for(thumbprints(), 60))
    assert len(first) == 1
    assert asyncio.run(asyncio.wait_for(thumbprints(), 60)) == first
    other_app = dataclasses.replace(manifest, id="org.example.other")
    with pytest.raises(OpcUaServerError, match="data folder of its own"):
        asyncio.run(OpcUaOutputServer(other_app, config).start())


def test_users_come_from_the_environment_and_a_mounted_file(tmp_path):
    users = tmp_path / "users"
    users.write_text("operator:s3cret\n\n# a comment\nengineer:pa:ss\n", encoding="utf-8")
    config = OpcUaServerConfig(data_dir=tmp_path, users_file=users)
    assert load_users(config, {USER_ENV: "scada", PASSWORD_ENV: "x"}) == {
        "operator": "s3cret", "engineer": "pa:ss", "scada": "x"}
    with pytest.raises(OpcUaServerError, match=PASSWORD_ENV):
        load_users(config, {USER_ENV: "scada"})
    users.write_text("operator:s3cret\noperator-without-password\n", encoding="utf-8")
    with pytest.raises(OpcUaServerError, match=rf"{users}, line 2: expected 'name:password'"):
        load_users(config, {})
    nobody = OpcUaServerConfig(data_dir=tmp_path, port=free_port("127.0.0.1"), host="127.0.0.1")
    with pytest.raises(OpcUaServerError, match="No OPC UA users"):
        asyncio.run(OpcUaOutputServer(load_manifest_of_one_output(), nobody).start())


def load_manifest_of_one_output() -> AppManifest:
    example = load_manifest(resources_dir() / "examples" / "pump_station" / "apps" / "pump_efficiency" / "app.yaml")
    return dataclasses.replace(example, outputs={"alarm": AppOutput(kind="boolean")})


def test_publishing_a_thousand_outputs(manifest, tmp_path, capsys):
    outputs = {f"out{i:04d}": AppOutput(unit="kW") for i in range(1000)} | {"alarm": AppOutput(kind="boolean")}
    config = OpcUaServerConfig(data_dir=tmp_path, host="127.0.0.1", port=free_port("127.0.0.1"),
                               security=SecurityMode.NONE, allow_anonymous=True)

    async def body() -> float:
        server = OpcUaOutputServer(dataclasses.replace(manifest, outputs=outputs), config)
        await server.start()
        try:
            seconds = await publish_seconds(server, ticks=10)
            await server.publish({"alarm": Chunk.of([T0], np.array([True]))})
            async with Client(server.endpoint_url, timeout=10) as client:
                ns = await client.get_namespace_index(f"urn:millwright:app:{manifest.id}")
                last, alarm = await client.read_attributes([client.get_node(ua.NodeId(f"Outputs.{name}", ns))
                                                            for name in ("out0999", "alarm")])
            assert last.Value.Value == 9.0 + 999 and last.StatusCode.is_good()
            assert (alarm.Value.Value, alarm.Value.VariantType) == (True, ua.VariantType.Boolean)
            return seconds
        finally:
            await server.close()

    seconds = asyncio.run(asyncio.wait_for(body(), 120))
    with capsys.disabled():
        print(f"\npublish of 1,000 outputs: {seconds * 1000:.1f} ms (median of 10)")
