"""`millwright device password | trust | cert`, and the password asked at a terminal.

Passwords go to a real keyring backend: :class:`FileKeyring` below stands in for a desktop
secret service (it keeps JSON in a test folder, and Millwright's check treats it as secure);
the refusal to store passwords is shown with keyrings.alt's real PlaintextKeyring. The terminal
is a real pseudo-terminal, the server the real asyncua simulator in its own process.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import keyring
import keyring.errors
import pytest
from asyncua.crypto import cert_gen
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyrings.alt.file import PlaintextKeyring

from device_browser.opcua.security import (
    ApplicationCertificate,
    CertInfo,
    TrustStore,
    default_pki_dir,
    load_password,
    save_password,
)
from workbench.cli import main

REPO = Path(__file__).resolve().parents[2]
KEYRING_FILE_ENV = "MILLWRIGHT_TEST_KEYRING_FILE"


class FileKeyring(KeyringBackend):
    """A test stand-in for a secret service: a JSON file named by ``$MILLWRIGHT_TEST_KEYRING_FILE``.

    Usable in a subprocess with ``PYTHON_KEYRING_BACKEND=tests.workbench.test_device_identity.FileKeyring``.
    """

    @properties.classproperty
    def priority(cls) -> float:
        # keyring's chainer offers every backend class ever imported, and asks each for its
        # priority at every lookup: outside the fixture (no file named) this one steps aside.
        return 1 if KEYRING_FILE_ENV in os.environ else 0

    def _path(self) -> Path:
        return Path(os.environ[KEYRING_FILE_ENV])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self._path().parent.mkdir(parents=True, exist_ok=True)
        self._path().write_text(json.dumps(data), encoding="utf-8")

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\x00{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")
        self._path().write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def secure_keyring(tmp_path, monkeypatch):
    """FileKeyring in this process and (through the environment) in subprocesses."""
    previous = keyring.get_keyring()  # before the environment names this one as the default
    monkeypatch.setenv(KEYRING_FILE_ENV, str(tmp_path / "secure-keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.workbench.test_device_identity.FileKeyring")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    keyring.set_keyring(FileKeyring())
    yield tmp_path / "secure-keyring.json"
    keyring.set_keyring(previous)


@pytest.fixture
def plaintext_keyring(tmp_path, monkeypatch):
    """keyrings.alt's PlaintextKeyring: passwords in clear text in a file, which Millwright refuses."""
    ring = PlaintextKeyring()
    ring.file_path = str(tmp_path / "plain" / "keyring_pass.cfg")
    previous = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    keyring.set_keyring(ring)
    yield Path(ring.file_path)
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    """`millwright simulate opcua` with user operator/secret and anonymous access refused."""
    from device_browser.simulators.opcua.simulation import free_port

    folder = tmp_path_factory.mktemp("ua-sim")
    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "simulate", "opcua", "--port", str(port), "--user", "operator:secret",
         "--no-anonymous", "--pki-dir", str(folder / "pki")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=REPO,
    )
    lines = []
    while not lines or not lines[-1].startswith("Press Ctrl-C"):
        line = process.stdout.readline()
        assert line, f"the simulator stopped: {lines}"
        lines.append(line.strip())
    url = lines[0].split(" listening on ")[1].split(" ")[0]
    certificate = Path(next(x for x in lines if x.startswith("Server certificate: ")).split(": ", 1)[1])
    yield url, certificate
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0


def _run_at_terminal(argv: list[str], answers: list[tuple[str, str]], timeout: float = 60) -> tuple[int, str]:
    """Run ``millwright`` on a pseudo-terminal (its controlling terminal, as at a console), answering
    each prompt (a regular expression) with a line; returns the exit status and all it showed."""
    leader, follower = pty.openpty()

    def take_terminal() -> None:  # a new session whose controlling terminal is the pty (getpass opens /dev/tty)
        import fcntl
        import termios

        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen([sys.executable, "-m", "workbench", *argv], stdin=follower, stdout=follower,
                               stderr=follower, cwd=REPO, preexec_fn=take_terminal, close_fds=True)
    os.close(follower)
    shown, pending, mark = "", list(answers), 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 4096)
                except OSError:  # the other side closed: the program ended
                    break
                if not chunk:
                    break
                shown += chunk.decode(errors="replace")
            if pending and re.search(pending[0][0], shown[mark:]):
                os.write(leader, (pending.pop(0)[1] + "\n").encode())
                mark = len(shown)  # the next prompt is looked for after this one
            elif process.poll() is not None and not ready:
                break
        status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    assert not pending, f"never asked {pending[0][0]!r}; the terminal showed:\n{shown}"
    return status, shown


# --- device password ----------------------------------------------------------------------------


URL = "opc.tcp://plc7.example:4840/line"


def test_password_set_from_stdin_and_forget(secure_keyring, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret pass\n"))
    assert main(["device", "password", "set", URL, "op", "--stdin"]) == 0
    assert "is kept in the system keyring" in capsys.readouterr().out
    assert load_password(URL, "op") == "s3cret pass"
    assert load_password("opc.tcp://plc7.example:4840/other-path", "op") == "s3cret pass"  # one server, one key
    assert load_password(URL, "someone-else") is None
    assert "s3cret pass" in secure_keyring.read_text()

    assert main(["device", "password", "forget", URL, "op"]) == 0
    assert "removed from the system keyring" in capsys.readouterr().out
    assert load_password(URL, "op") is None
    assert main(["device", "password", "forget", URL, "op"]) == 0
    assert "No password of 'op'" in capsys.readouterr().out


def test_password_set_needs_a_terminal_or_stdin(secure_keyring, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal
    assert main(["device", "password", "set", URL, "op"]) == 2
    assert "--stdin" in capsys.readouterr().err
    assert main(["device", "password", "set", URL, "op", "--stdin"]) == 2
    assert "no password" in capsys.readouterr().err
    assert not secure_keyring.exists()


def test_password_set_at_a_terminal_asks_twice(secure_keyring):
    status, shown = _run_at_terminal(["device", "password", "set", URL, "op"],
                                     [(r"Password of 'op' on .*: ", "typed"), (r"again: ", "typed")])
    assert status == 0, shown
    assert "typed" not in shown  # no echo
    assert load_password(URL, "op") == "typed"


def test_a_plaintext_keyring_is_refused(plaintext_keyring, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret\n"))
    assert main(["device", "password", "set", URL, "op", "--stdin"]) == 1
    err = capsys.readouterr().err
    assert "no secure keyring on this machine" in err and "plain text" in err
    assert not plaintext_keyring.exists()
    with pytest.raises(Exception, match="No secure keyring on this machine"):
        save_password(URL, "op", "secret")
    assert not plaintext_keyring.exists()


# --- the password asked when a command needs it -------------------------------------------------


def test_asked_at_the_terminal_and_remembered_once_the_server_accepts(simulator, secure_keyring):
    url, _ = simulator
    argv = ["device", "read", url, "i=2258", "--user", "operator"]
    status, shown = _run_at_terminal(argv, [(r"Password of 'operator' on .*: ", "wrong"),
                                            (r"Remember it in the system keyring\? \[y/N\] ", "y")])
    assert status == 1 and "refused user 'operator'" in shown, shown
    assert load_password(url, "operator") is None  # a rejected password is not kept

    status, shown = _run_at_terminal(argv, [(r"Password of 'operator' on .*: ", "secret"),
                                            (r"Remember it in the system keyring\? \[y/N\] ", "y")])
    assert status == 0 and "good" in shown and "kept in the system keyring" in shown, shown
    assert load_password(url, "operator") == "secret"

    done = subprocess.run([sys.executable, "-m", "workbench", *argv], capture_output=True, text=True, cwd=REPO,
                          stdin=subprocess.DEVNULL, timeout=60)  # no terminal: the keyring's password
    assert done.returncode == 0 and "good" in done.stdout, done.stderr


def test_not_at_a_terminal_the_message_names_the_command(simulator, secure_keyring, capsys):
    url, _ = simulator
    assert main(["device", "browse", url, "--user", "op", "--security", "Basic256Sha256:SignAndEncrypt"]) == 1
    err = capsys.readouterr().err
    assert f"`millwright device password set {url} op`" in err and "Traceback" not in err


def test_without_a_secure_keyring_the_password_is_for_this_run_only(simulator, plaintext_keyring):
    url, _ = simulator
    status, shown = _run_at_terminal(["device", "read", url, "i=2258", "--user", "operator"],
                                     [(r"Password of 'operator' on .*: ", "secret")])
    assert status == 0 and "good" in shown, shown
    assert "No secure keyring on this machine" in shown and "used for this run only" in shown
    assert "Remember it" not in shown
    assert not plaintext_keyring.exists()


# --- device trust -------------------------------------------------------------------------------


def _server_certificate(name: str, days: int = 30) -> CertInfo:
    key = cert_gen.generate_private_key()
    cert = cert_gen.generate_self_signed_app_certificate(
        key, name, {"organizationName": "Plant"}, [x509.UniformResourceIdentifier(f"urn:plant:{name}")],
        extended=[ExtendedKeyUsageOID.SERVER_AUTH], days=days)
    return CertInfo.of(cert.public_bytes(serialization.Encoding.DER))


def test_trust_list_and_remove(capsys):
    store = TrustStore()  # the default one, in this test's own data folder
    press = _server_certificate("press")
    oven = _server_certificate("oven")
    store.trust(CertInfo.of(press.der, url="opc.tcp://10.0.0.5:4840/press"))
    store.reject(CertInfo.of(oven.der, url="opc.tcp://10.0.0.6:4840"))
    assert not list(store.folder.rglob(".~millwright-*"))  # atomic writes leave no temporary files

    assert main(["device", "trust", "list"]) == 0
    out = capsys.readouterr().out
    assert f"trusted   SHA-256 {press.fingerprint}" in out and f"rejected  SHA-256 {oven.fingerprint}" in out
    assert "CN=press" in out and "urn:plant:press" in out and "endpoint opc.tcp://10.0.0.5:4840" in out
    assert f"valid {press.not_before:%Y-%m-%d} to {press.not_after:%Y-%m-%d}" in out and "days left" in out
    assert "endpoint opc.tcp://10.0.0.6:4840" in out

    assert main(["device", "trust", "remove", "00:00:00:00:00"]) == 1
    assert "no trusted or rejected certificate matches" in capsys.readouterr().err
    assert main(["device", "trust", "remove", press.fingerprint.replace(":", "")[:12].upper()]) == 0
    assert "Removed SHA-256" in capsys.readouterr().out
    assert store.trusted() == []
    assert main(["device", "trust", "remove", "opc.tcp://10.0.0.6:4840/"]) == 0
    assert store.rejected() == []
    assert main(["device", "trust", "list"]) == 0
    assert "No server certificate is trusted or rejected yet" in capsys.readouterr().out


def test_a_server_certificate_met_without_a_terminal_is_listed_as_rejected(simulator, secure_keyring, capsys):
    url, certificate = simulator
    save_password(url, "operator", "secret")
    secured = ["device", "read", url, "i=2258", "--user", "operator", "--security", "Basic256Sha256:SignAndEncrypt"]
    assert main(secured) == 1
    assert "is not trusted yet" in capsys.readouterr().err
    expected = CertInfo.of(certificate.read_bytes())
    assert main(["device", "trust", "list"]) == 0
    out = capsys.readouterr().out
    assert f"rejected  SHA-256 {expected.fingerprint}" in out
    assert f"endpoint {url.rsplit('/', 2)[0]}" in out

    status, shown = _run_at_terminal(secured, [(r"Trust this certificate from now on\? \[y/N\] ", "y")])
    assert status == 0 and "good" in shown, shown
    assert main(["device", "trust", "list"]) == 0
    assert f"trusted   SHA-256 {expected.fingerprint}" in capsys.readouterr().out
    assert main(["device", "trust", "remove", url]) == 0
    assert TrustStore().trusted() == []


# --- device cert --------------------------------------------------------------------------------


def test_cert_export_der_and_pem(tmp_path, capsys):
    own_path = ApplicationCertificate(default_pki_dir()).cert_path
    assert not own_path.exists()
    der_file = tmp_path / "out" / "millwright.der"
    der_file.parent.mkdir()
    assert main(["device", "cert", "export", "-o", str(der_file)]) == 0
    out = capsys.readouterr().out
    cert = x509.load_der_x509_certificate(der_file.read_bytes())
    fp = cert.fingerprint(hashes.SHA256()).hex(":")
    assert "(created now)" in out and f"SHA-256      {fp}" in out
    assert f"valid until  {cert.not_valid_after_utc:%Y-%m-%d}" in out and "days left" in out
    assert cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=4 * 365)
    uris = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "urn:millwright:workbench:" in uris.get_values_for_type(x509.UniformResourceIdentifier)[0]
    assert not list(der_file.parent.glob(".~millwright-*"))

    assert main(["device", "cert", "export"]) == 0  # PEM on standard output, facts on standard error
    captured = capsys.readouterr()
    again = x509.load_pem_x509_certificate(captured.out.encode())
    assert again == cert and "(created now)" not in captured.err and fp in captured.err

    pem_file = tmp_path / "out" / "millwright.crt"
    assert main(["device", "cert", "export", "-o", str(pem_file), "--pem"]) == 0
    assert x509.load_pem_x509_certificate(pem_file.read_bytes()) == cert
    assert main(["device", "cert", "export", "-o", str(tmp_path / "out" / "m.cer")]) == 0  # .cer: DER
    assert x509.load_der_x509_certificate((tmp_path / "out" / "m.cer").read_bytes()) == cert
    key_path = ApplicationCertificate(default_pki_dir()).key_path
    assert oct(key_path.stat().st_mode & 0o777) == "0o600"
