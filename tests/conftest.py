"""Test-wide set-up: headless Qt, per-test user folders, an asyncio loop on Qt's loop."""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["QT_API"] = "pyside6"

# Imported now, not by hypothesis' plugin in the end-of-run summary: after the Qt tests, CPython
# 3.11.7 fails to compile a module there ("AST constructor recursion depth mismatch"), which failed
# `make screenshots` although every test passed.
import hypothesis  # noqa: F401
import pytest


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory, monkeypatch):
    """Each test gets its own config, data and state folders (platformdirs reads XDG_*)."""
    base = tmp_path_factory.mktemp("user")
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(base / name.lower()))
    return base


@pytest.fixture
def free_tcp_port():
    """A function returning a TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    from device_browser.simulators.opcua.simulation import free_port

    return lambda: free_port("127.0.0.1")
