"""A real OCI registry on loopback for the tests and the benchmark: Debian's ``docker-registry``
(CNCF distribution 2.8), with its own storage in a temporary folder and a free port.

Without the binary the tests that need it are skipped with the reason, except on CI
(``CI=true``), where ``.ci/run`` installs it and a missing binary must fail the run.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from device_browser.simulators.opcua.simulation import free_port
from tests.daemons import daemon_binary, daemon_missing, stop_daemon

BINARY = "docker-registry"
START_DEADLINE = 30.0  # seconds for the registry to answer GET /v2/ on a loaded machine

_CONFIG = """\
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: {storage}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
{auth}"""
_AUTH = """\
auth:
  htpasswd:
    realm: millwright-test
    path: {path}
"""


class RegistryProcess:
    """``docker-registry serve`` on 127.0.0.1:``port`` with its storage under ``folder``.

    With ``users`` (name → password) it asks for HTTP Basic credentials, as a registry with
    htpasswd authentication does.
    """

    def __init__(self, folder: Path, port: int | None = None, users: dict[str, str] | None = None):
        self.folder = Path(folder)
        self.port = port or free_port("127.0.0.1")
        self.users = users or {}
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, repository: str = "apps") -> str:
        return f"oci://{self.host}/{repository}"

    def start(self) -> None:
        binary = daemon_binary(BINARY) or BINARY
        config = self.folder / "config.yml"
        self.folder.mkdir(parents=True, exist_ok=True)
        auth = _AUTH.format(path=self._htpasswd()) if self.users else ""
        config.write_text(_CONFIG.format(storage=self.folder / "storage", port=self.port, auth=auth),
                          encoding="utf-8")
        log = open(self.folder / "registry.log", "wb")  # noqa: SIM115 - the child writes to it until stopped
        self.process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_DEADLINE
        while not self._answers():
            if self.process.poll() is not None:
                raise RuntimeError(f"docker-registry exited with status {self.process.returncode}: "
                                   f"{(self.folder / 'registry.log').read_text(errors='replace')}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"docker-registry did not answer on {self.host} within {START_DEADLINE:g} s")
            time.sleep(0.05)

    def _htpasswd(self) -> Path:
        """The users' passwords hashed with bcrypt, the only scheme distribution reads (libcrypt makes it); the
        lowest cost (2⁴ rounds), since the registry hashes on every request."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # crypt leaves the standard library in 3.13
            import crypt
        path = self.folder / "htpasswd"
        path.write_text("".join(f"{user}:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))}\n"
                                for user, password in self.users.items()), encoding="utf-8")
        return path

    def _answers(self) -> bool:
        """Whether GET /v2/ is answered (401 counts: a registry asking for credentials is up)."""
        try:
            with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError as exc:
            return exc.code == 401
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def stop(self) -> None:
        stop_daemon(self.process)


def registry_missing() -> str | None:
    """Why no registry can run here (None when it can); on CI a missing binary fails."""
    return daemon_missing(BINARY, "docker-registry")


def serve_registry(tmp_path_factory) -> Iterator[RegistryProcess]:
    """The body of a registry fixture: ``yield from serve_registry(tmp_path_factory)``.

    Skips the test with the reason when the binary is missing, except on CI where that fails.
    """
    reason = registry_missing()
    if reason:
        pytest.skip(reason)
    registry = RegistryProcess(tmp_path_factory.mktemp("registry"))
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()
