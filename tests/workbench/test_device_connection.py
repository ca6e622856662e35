"""From the command line's target and options to a session: overrides, quiet logs, plain failures.

Against the real asyncua simulator in its own process (user operator/secret, anonymous access
refused, secured endpoints) and a TCP listener that accepts connections and never answers.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import pytest

from device_browser.opcua.security import CertInfo, TrustStore, save_password
from device_browser.session import GOOD
from nodes.resources import resources_dir
from tests.workbench.test_device_identity import REPO, secure_keyring, simulator  # noqa: F401 - fixtures
from workbench.cli import build_parser, main
from workbench.device_cli.connection import profile_session

UA_PROFILE = resources_dir() / "profiles" / "pump_station_opcua.yaml"
MODBUS_PROFILE = resources_dir() / "profiles" / "pump_station_modbus.yaml"
SHIPPED_ENDPOINT = "opc.tcp://127.0.0.1:4840/millwright/"


@pytest.fixture
def silent_url():
    """An opc.tcp URL where the kernel accepts connections but nothing ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"opc.tcp://127.0.0.1:{listener.getsockname()[1]}/"


def ua_profile(tmp_path, url: str) -> str:
    """The shipped OPC UA profile (security None, no user, timeout_s 5) pointing at ``url``."""
    text = UA_PROFILE.read_text(encoding="utf-8")
    assert "timeout_s: 5" in text and "security_policy: None" in text and "user:" not in text
    path = tmp_path / "pump_ua.yaml"
    path.write_text(text.replace(SHIPPED_ENDPOINT, url), encoding="utf-8")
    return str(path)


def modbus_profile(tmp_path, port: int) -> str:
    """The shipped Modbus profile pointing at a port of ours (5020 may be another test's simulator)."""
    path = tmp_path / "pump_modbus.yaml"
    path.write_text(MODBUS_PROFILE.read_text(encoding="utf-8").replace("port: 5020", f"port: {port}"),
                    encoding="utf-8")
    return str(path)


def millwright(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "workbench", *argv], capture_output=True, text=True, cwd=REPO,
                          stdin=subprocess.DEVNULL, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})


# --- options override the profile ---------------------------------------------------------------


def test_timeout_option_overrides_the_profile(silent_url, tmp_path, capsys):
    profile = ua_profile(tmp_path, silent_url)
    for target in (profile, silent_url):
        started = time.monotonic()
        assert main(["device", "read", target, "flow" if target == profile else "i=2258", "--timeout", "0.5"]) == 1
        assert time.monotonic() - started < 4  # the profile says 5 s
        err = capsys.readouterr().err
        assert f"{silent_url} did not answer within 0.5 s" in err, err


def test_options_not_given_leave_the_profile_alone(tmp_path, secure_keyring):  # noqa: F811
    profile = ua_profile(tmp_path, "opc.tcp://10.9.8.7:4840/plc")

    def session(*options: str):
        args = build_parser().parse_args(["device", "read", profile, *options])
        return profile_session(args.target, args)[1]

    plain = session()
    assert (plain.timeout, plain.policy, plain.mode, plain.user) == (5.0, "None", "None", None)
    save_password("opc.tcp://10.9.8.7:4840", "operator", "secret")
    secured = session("--timeout", "0.5", "--security", "Basic256Sha256", "--user", "operator")
    assert (secured.timeout, secured.policy, secured.mode, secured.user) == (0.5, "Basic256Sha256",
                                                                             "SignAndEncrypt", "operator")
    only_user = session("--user", "operator")
    assert (only_user.timeout, only_user.policy, only_user.user) == (5.0, "None", "operator")


def test_a_modbus_profile_has_no_user_or_security(tmp_path, capsys, free_tcp_port):
    profile = modbus_profile(tmp_path, free_tcp_port())
    assert main(["device", "read", profile, "flow", "--user", "op"]) == 1
    assert "user cannot be set for pump-station-modbus: a modbus connection has only timeout_s" in (
        capsys.readouterr().err)


def test_security_and_user_options_reach_a_profile_session(simulator, secure_keyring, tmp_path, capsys):  # noqa: F811
    url, certificate = simulator
    profile = ua_profile(tmp_path, url)
    assert main(["device", "read", profile, "flow"]) == 1
    assert "refused anonymous access" in capsys.readouterr().err
    save_password(url, "operator", "secret")
    assert main(["device", "read", profile, "flow", "--user", "operator"]) == 0
    assert "good" in capsys.readouterr().out

    secured = ["device", "read", profile, "flow", "--user", "operator", "--security", "Basic256Sha256:SignAndEncrypt"]
    assert main(secured) == 1  # the secured endpoint was asked for: its certificate is not trusted yet
    assert "is not trusted yet" in capsys.readouterr().err
    TrustStore().trust(CertInfo.of(certificate.read_bytes(), url=url))
    assert main(secured) == 0
    assert "good" in capsys.readouterr().out


def test_a_profile_session_knows_points_by_name(simulator, secure_keyring, tmp_path):  # noqa: F811
    url, _ = simulator
    save_password(url, "operator", "secret")
    args = build_parser().parse_args(["device", "read", ua_profile(tmp_path, url), "--user", "operator"])
    _, session = profile_session(args.target, args)

    async def read() -> list:
        await session.connect()
        try:
            return await session.read(["flow", "speed_setpoint"])
        finally:
            await session.close()

    flow, setpoint = asyncio.run(read())
    assert flow.quality == GOOD and setpoint.quality == GOOD and isinstance(flow.value, float)


# --- the console: one clean line, or everything with --verbose ----------------------------------


def test_a_failed_connection_is_one_clean_line(silent_url, tmp_path, simulator, secure_keyring, free_tcp_port):  # noqa: F811
    url, certificate = simulator
    TrustStore().trust(CertInfo.of(certificate.read_bytes(), url=url))  # the subprocesses share our data folder
    cases = {
        "silent server": ["device", "read", silent_url, "i=2258", "--timeout", "0.5"],
        "secured, silent": ["device", "browse", silent_url, "--timeout", "0.5", "--security", "Basic256Sha256"],
        "no server": ["device", "read", f"opc.tcp://127.0.0.1:{free_tcp_port()}/", "i=2258"],
        "wrong password": ["device", "read", url, "i=2258", "--user", "operator", "--security", "Basic256Sha256"],
        "modbus, no device": ["device", "read", modbus_profile(tmp_path, free_tcp_port()), "flow", "--timeout", "0.3"],
    }
    save_password(url, "operator", "not the password")
    for case, argv in cases.items():
        done = millwright(*argv)
        lines = done.stderr.splitlines()
        assert done.returncode == 1 and done.stdout == "", (case, done)
        assert len(lines) == 1 and lines[0].startswith("millwright: "), (case, done.stderr)
        assert "Traceback" not in done.stderr
    assert "refused user 'operator'" in millwright(*cases["wrong password"]).stderr
    in_clear = millwright("device", "read", url, "i=2258", "--user", "operator").stderr.splitlines()
    assert len(in_clear) == 2 and "travels in clear text" in in_clear[0] and "refused user" in in_clear[1]

    verbose = millwright(*cases["silent server"], "--verbose")
    assert verbose.returncode == 1 and "INFO asyncua.client" in verbose.stderr and "within 0.5 s" in verbose.stderr
    verbose = millwright(*cases["modbus, no device"], "-v")
    assert verbose.returncode == 1 and "pymodbus" in verbose.stderr
