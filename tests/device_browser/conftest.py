"""Fixtures for the device-driver tests: free loopback ports and serial lines made of pseudo-terminals."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

# --------------------------------------------------------------------------- Modbus


@pytest.fixture
def pty_pair(tmp_path):
    """Two linked pseudo-terminals, like both ends of a null-modem cable: (device end, client end).

    Made by socat; skipped only when socat is missing (CI installs it).
    """
    socat = shutil.which("socat")
    if socat is None:
        pytest.skip("socat is not installed: it makes the pseudo-terminal pair for the serial RTU test")
    device_end, client_end = tmp_path / "device", tmp_path / "client"
    log = tmp_path / "socat.log"
    with open(log, "wb") as stderr:
        process = subprocess.Popen([socat, "-d", "-d", f"pty,raw,echo=0,link={device_end}",
                                    f"pty,raw,echo=0,link={client_end}"], stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 5
        while not (device_end.exists() and client_end.exists()):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"socat did not create the pty pair: {log.read_text(errors='replace')}")
            time.sleep(0.02)
        yield str(device_end), str(client_end)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
