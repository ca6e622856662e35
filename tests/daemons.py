"""What the test fixtures share about the Debian daemons they start (mosquitto, docker-registry)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def daemon_binary(name: str) -> str | None:
    """The daemon's executable: on PATH, or in /usr/sbin and /usr/bin where Debian puts daemons."""
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)


def daemon_missing(name: str, package: str) -> str | None:
    """Why the daemon cannot run here (None when it can); on CI a missing binary is a failure, not a skip."""
    if daemon_binary(name):
        return None
    reason = f"'{name}' is not installed (Debian package {package}; .ci/run installs it on CI)"
    if os.environ.get("CI") == "true":
        raise RuntimeError(reason)
    return reason


def stop_daemon(process: subprocess.Popen | None) -> None:
    """Terminate, and kill if it does not end within 10 s."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
