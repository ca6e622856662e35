"""What a running app reports to Prometheus: samples per node, tick latency, device links, errors.

Each ``RuntimeMetrics`` has its own ``CollectorRegistry`` rather than prometheus_client's
global one, so several runtimes (or tests) in one process do not collide on metric names.
The runtime's parts call the recording methods from its asyncio loop; the health server
reads ``text()`` and ``snapshot()`` from its own thread, which prometheus_client's
metrics allow (they lock internally).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.exposition import generate_latest

# From a 10 ms local loop to a 5 s tick that still counts as on time; slower lands in +Inf.
TICK_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Longer than Info's label values would be useful in a dashboard; the health JSON gets it all.
_LAST_ERROR_LIMIT = 500


@dataclass(frozen=True)
class LastError:
    """The most recent error a part of the runtime reported."""

    where: str
    message: str
    unix_time: float


class RuntimeMetrics:
    """Prometheus metrics of one running app, in a registry of its own.

    Parameters
    ----------
    app_id
        Labels every series through a ``millwright_app`` info metric, so a fleet's
        dashboards can tell the sites' apps apart.
    version
        The app's version, beside ``app_id``.
    """

    def __init__(self, app_id: str = "", version: str = "") -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._devices: dict[str, bool] = {}
        self._last_error: LastError | None = None
        r = self.registry
        Info("millwright_app", "The app this runtime runs.", registry=r).info(
            {"app_id": app_id, "version": version}
        )
        self._samples = Counter(
            "millwright_node_samples", "Samples a graph node produced.", ["node"], registry=r
        )
        self._node_counters: dict[str, Any] = {}
        self._latency = Histogram(
            "millwright_tick_latency_seconds",
            "From a device value's timestamp to the output it fed being published.",
            buckets=TICK_LATENCY_BUCKETS,
            registry=r,
        )
        self._connected = Gauge(
            "millwright_device_connected", "1 while the device's session is connected.", ["device"], registry=r
        )
        self._reconnects = Counter(
            "millwright_device_reconnects", "Times a device's session was re-established.", ["device"], registry=r
        )
        self._mqtt_queue = Gauge(
            "millwright_mqtt_queue_depth", "Messages waiting for the MQTT broker (store and forward).", registry=r
        )
        self._errors = Counter("millwright_errors", "Errors by the part that raised them.", ["where"], registry=r)
        self._last_error_info = Info("millwright_last_error", "The most recent error.", registry=r)

    def node_samples(self, node_id: str, count: int) -> None:
        """Count ``count`` samples produced by ``node_id``.

        Samples per second is ``rate(millwright_node_samples_total[1m])`` in Prometheus: a gauge
        of our own would keep its last rate forever once a node stops producing.
        """
        child = self._node_counters.get(node_id)
        if child is None:  # labels() takes a lock and builds a key: 3,000 nodes at 10 Hz felt it
            child = self._node_counters[node_id] = self._samples.labels(node=node_id)
        child.inc(count)

    def tick_latency(self, seconds: float) -> None:
        """Observe the delay from a device value's timestamp to its output being published."""
        self._latency.observe(max(0.0, seconds))

    def device_state(self, device: str, connected: bool) -> None:
        """Record whether ``device``'s session is connected."""
        self._connected.labels(device=device).set(1 if connected else 0)
        with self._lock:
            self._devices[device] = connected

    def reconnect(self, device: str) -> None:
        """Count one re-established session to ``device``."""
        self._reconnects.labels(device=device).inc()

    def mqtt_queue_depth(self, n: int) -> None:
        """Record how many messages wait for the MQTT broker."""
        self._mqtt_queue.set(n)

    def error(self, where: str, message: str) -> None:
        """Count an error in ``where`` (a device, node or sink name) and keep it as the last one."""
        self._errors.labels(where=where).inc()
        message = message[:_LAST_ERROR_LIMIT]
        self._last_error_info.info({"where": where, "message": message})
        with self._lock:
            self._last_error = LastError(where, message, time.time())

    def devices(self) -> dict[str, bool]:
        """Each device reported so far and whether it is connected."""
        with self._lock:
            return dict(self._devices)

    def last_error(self) -> LastError | None:
        """The most recent error reported, if any."""
        with self._lock:
            return self._last_error

    def text(self) -> bytes:
        """All metrics in Prometheus' text exposition format."""
        return generate_latest(self.registry)


# For parts constructed without a runtime (tools, tests of a single sink): records and is never read.
NULL_METRICS = RuntimeMetrics()
