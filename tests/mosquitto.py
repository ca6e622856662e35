"""A real MQTT broker on loopback for the tests and the benchmark: Debian's ``mosquitto`` 2, with a
config of its own in a temporary folder and a free port (anonymous clients allowed on 127.0.0.1).

Without the binary the tests that need it are skipped with the reason, except on CI
(``CI=true``), where ``.ci/run`` installs it and a missing binary must fail the run.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from device_browser.simulators.opcua.simulation import free_port
from tests.daemons import daemon_binary, daemon_missing, stop_daemon

BINARY = "mosquitto"
START_DEADLINE = 30.0  # seconds for the broker to accept a connection on a loaded machine

_CONFIG = """\
listener {port} 127.0.0.1
{access}
persistence false
log_dest file {log}
log_type error
log_type warning
log_type notice
max_queued_messages 100000
"""


class MosquittoProcess:
    """``mosquitto -c CONFIG`` on 127.0.0.1:``port``; :meth:`stop` and :meth:`start` again keep the port."""

    def __init__(self, folder: Path, port: int | None = None, access: str = "allow_anonymous true"):
        """``access``: the listener's TLS files and who may connect (mosquitto.conf lines)."""
        self.folder = Path(folder)
        self.port = port or free_port("127.0.0.1")
        self.access = access
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if 'certfile' in self.access else 'mqtt'}://127.0.0.1:{self.port}"

    @property
    def log_text(self) -> str:
        path = self.folder / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "mosquitto.conf"
        config.write_text(_CONFIG.format(port=self.port, access=self.access, log=self.folder / "mosquitto.log"),
                          encoding="utf-8")
        self.process = subprocess.Popen([daemon_binary(BINARY) or BINARY, "-c", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_DEADLINE
        while not self._accepts():
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited with status {self.process.returncode}: {self.log_text}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{self.port} within {START_DEADLINE:g} s")
            time.sleep(0.05)

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        stop_daemon(self.process)


def mosquitto_missing() -> str | None:
    """Why no broker can run here (None when it can); on CI a missing binary fails."""
    return daemon_missing(BINARY, "mosquitto")


def serve_mosquitto(tmp_path_factory) -> Iterator[MosquittoProcess]:
    """The body of a broker fixture: ``yield from serve_mosquitto(tmp_path_factory)``."""
    reason = mosquitto_missing()
    if reason:
        pytest.skip(reason)
    broker = MosquittoProcess(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
