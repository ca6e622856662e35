"""`millwright simulate KIND` in its own process, as on a real network: the tests' one way to run a
simulator that can be killed (an outage) and started again on the same port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from nodes.resources import resources_dir

PROFILES = {"modbus": "pump_station_modbus.yaml", "opcua": "pump_station_opcua.yaml"}


class SimulatorProcess:
    """A pump-station simulator process on ``port``, with the shipped profile pointing at it."""

    def __init__(self, kind: str, port: int, tmp: Path, args: tuple[str, ...] = ()):
        self.kind, self.port, self.tmp = kind, port, tmp
        self.args = args  # more options of the simulator, e.g. ("--extra-tags", "10000")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.kind == "opcua":
            return f"opc.tcp://127.0.0.1:{self.port}/millwright/"
        return f"modbus+tcp://127.0.0.1:{self.port}/1"

    def start(self) -> None:
        options = ["--no-security"] if self.kind == "opcua" else []
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(self.tmp / "server")}
        command = [sys.executable, "-m", "workbench", "simulate", self.kind, "--port", str(self.port), *options,
                   *self.args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        line = self.process.stdout.readline()
        assert "listening" in line, f"the simulator did not start: {line!r}"

    def kill(self) -> None:
        """No goodbye: the sockets just close, as when a PLC loses power."""
        self.process.kill()
        self.process.wait(10)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process and not self.process.stdout.closed:
            self.process.stdout.close()

    def profile_text(self) -> tuple[str, str]:
        """The shipped profile of this simulator, pointing at its port, and the file's name."""
        name = PROFILES[self.kind]
        text = (resources_dir() / "profiles" / name).read_text(encoding="utf-8")
        return text.replace("port: 5020", f"port: {self.port}").replace("127.0.0.1:4840",
                                                                        f"127.0.0.1:{self.port}"), name

    def profile(self) -> Path:
        """That profile written beside the test's files."""
        text, name = self.profile_text()
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path
