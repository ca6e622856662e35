"""The runtime's HTTP endpoint for supervisors: liveness, readiness and Prometheus metrics.

``/healthz`` answers 200 while the runtime's loop is ticking and 503 when it is stuck (a
supervisor or Kubernetes then restarts the process); ``/readyz`` answers 200 while the bound
devices are connected and the graph runs, else 503 naming the devices that are missing (the
pod is taken out of its Service, not restarted); ``/metrics`` is the Prometheus text. Both
probes answer a small JSON object.

The server runs the standard library's threading HTTP server in a daemon thread of its own,
so a slow scraper never holds up the runtime's asyncio loop; ``ready`` and ``live`` are
therefore called from that thread and must only read state (a flag, a timestamp), never
touch the loop. It binds 127.0.0.1 unless told otherwise: a container sets
``MILLWRIGHT_HEALTH_HOST=0.0.0.0`` so the kubelet and Prometheus can reach it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.exposition import CONTENT_TYPE_LATEST

from app_packager.runtime.metrics import RuntimeMetrics

_log = logging.getLogger(__name__)

DEFAULT_HEALTH_PORT = 9102
# Where a deployment says which address to listen on, without a command-line flag to thread through.
HOST_ENV = "MILLWRIGHT_HEALTH_HOST"
# How often the serving thread looks for a shutdown request: bounds how long close() waits.
_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class HealthConfig:
    """Where the health endpoint listens: ``$MILLWRIGHT_HEALTH_HOST``, else loopback only (port 0 picks a free one)."""

    host: str = field(default_factory=lambda: os.environ.get(HOST_ENV) or "127.0.0.1")
    port: int = DEFAULT_HEALTH_PORT


class HealthServer:
    """Serves ``/healthz``, ``/readyz`` and ``/metrics`` for one runtime.

    Parameters
    ----------
    metrics
        The runtime's metrics: ``/metrics`` serves them, and the probes' bodies name the devices
        they record as disconnected and the last error.
    ready
        True while the devices are connected and the graph runs; called from the server's thread.
    live
        True while the runtime's loop is ticking; called from the server's thread.
    config
        Host and port to bind.

    Example
    -------
    >>> server = HealthServer(RuntimeMetrics(), ready=lambda: True, live=lambda: True,
    ...                       config=HealthConfig(port=0))
    >>> server.start(); url = server.url; server.close()
    """

    def __init__(self, metrics: RuntimeMetrics, ready: Callable[[], bool], live: Callable[[], bool],
                 config: HealthConfig | None = None) -> None:
        self.metrics = metrics
        self.ready = ready
        self.live = live
        self.config = config or HealthConfig()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (the chosen one when the config asked for port 0)."""
        if self._server is None:
            raise RuntimeError("the health server is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Base URL of the endpoint, e.g. ``http://127.0.0.1:9102``."""
        return f"http://{self.config.host}:{self.port}"

    def start(self) -> None:
        """Bind and serve in a daemon thread; raises OSError naming the port when it is taken."""
        try:
            self._server = ThreadingHTTPServer((self.config.host, self.config.port), self._handler_class())
        except OSError as exc:
            raise OSError(exc.errno, f"health endpoint cannot listen on {self.config.host}:{self.config.port}: "
                                     f"{exc.strerror}") from exc
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(_POLL_SECONDS,),
                                        name="health-http", daemon=True)
        self._thread.start()
        _log.info("health endpoint listening", extra={"url": self.url})

    def close(self) -> None:
        """Stop serving (returns within about 0.1 s); safe to call twice or before start."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        self._thread = None

    def liveness(self) -> tuple[int, dict]:
        """Status and body of ``/healthz``."""
        live = _ask(self.live)
        body: dict = {"live": live}
        error = self.metrics.last_error()
        if error is not None:
            body["last_error"] = {"where": error.where, "message": error.message, "time": error.unix_time}
        return (HTTPStatus.OK if live else HTTPStatus.SERVICE_UNAVAILABLE), body

    def readiness(self) -> tuple[int, dict]:
        """Status and body of ``/readyz``: the devices reported disconnected are named in ``missing``."""
        ready = _ask(self.ready)
        devices = self.metrics.devices()
        body = {"ready": ready, "devices": devices,
                "missing": sorted(name for name, connected in devices.items() if not connected)}
        return (HTTPStatus.OK if ready else HTTPStatus.SERVICE_UNAVAILABLE), body

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        health = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(HTTPStatus.OK, CONTENT_TYPE_LATEST, health.metrics.text())
                elif path in ("/healthz", "/readyz"):
                    status, body = health.liveness() if path == "/healthz" else health.readiness()
                    self._send(status, "application/json", json.dumps(body).encode())
                else:
                    self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8",
                               b"not found: try /healthz, /readyz or /metrics\n")

            def _send(self, status: int, content_type: str, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                # Probes every few seconds would drown the runtime's JSON log on stdout.
                pass

        return Handler


def _ask(probe: Callable[[], bool]) -> bool:
    """The probe's answer; a probe that raises answers False (and is logged) rather than a 500."""
    try:
        return bool(probe())
    except Exception:  # noqa: BLE001 - a broken probe means not healthy, never a 500
        _log.exception("health probe failed")
        return False
