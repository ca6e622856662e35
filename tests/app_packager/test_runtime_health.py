"""The runtime's health endpoint over real HTTP: probes flip with the runtime's state, /metrics parses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app_packager.runtime.health import HealthConfig, HealthServer
from app_packager.runtime.metrics import RuntimeMetrics
from device_browser.simulators.opcua.simulation import free_port
from tests.app_packager.test_runtime import simulator, site  # noqa: F401 (fixtures, used by name)


class Flags:
    """What the runtime would answer; flipped by the tests while the server runs."""

    def __init__(self) -> None:
        self.ready = False
        self.live = True


@pytest.fixture
def served():
    metrics = RuntimeMetrics(app_id="com.example.pump-health", version="1.2.0")
    flags = Flags()
    server = HealthServer(metrics, ready=lambda: flags.ready, live=lambda: flags.live, config=HealthConfig(port=0))
    server.start()
    yield server, metrics, flags
    server.close()


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def samples(text: bytes) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value of every sample in a Prometheus exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text.decode()) for s in family.samples}


def test_metrics_are_scraped_with_counters_gauges_and_the_latency_histogram(served):
    server, metrics, _ = served
    metrics.node_samples("pump_efficiency", 10)
    metrics.node_samples("pump_efficiency", 5)
    for seconds in (0.02, 0.03, 0.4, 7.0):
        metrics.tick_latency(seconds)
    metrics.device_state("plc-1", True)
    metrics.device_state("meter", False)
    metrics.reconnect("meter")
    metrics.reconnect("meter")
    metrics.mqtt_queue_depth(42)
    metrics.error("meter", "connection refused by 127.0.0.1:5020")

    status, body = get(server.url + "/metrics")
    assert status == 200
    values = samples(body)
    assert values["millwright_node_samples_total", (("node", "pump_efficiency"),)] == 15
    assert values["millwright_tick_latency_seconds_count", ()] == 4
    assert values["millwright_tick_latency_seconds_sum", ()] == pytest.approx(7.45)
    assert values["millwright_tick_latency_seconds_bucket", (("le", "0.05"),)] == 2
    assert values["millwright_tick_latency_seconds_bucket", (("le", "5.0"),)] == 3
    assert values["millwright_tick_latency_seconds_bucket", (("le", "+Inf"),)] == 4
    assert values["millwright_device_connected", (("device", "plc-1"),)] == 1
    assert values["millwright_device_connected", (("device", "meter"),)] == 0
    assert values["millwright_device_reconnects_total", (("device", "meter"),)] == 2
    assert values["millwright_mqtt_queue_depth", ()] == 42
    assert values["millwright_errors_total", (("where", "meter"),)] == 1
    assert values["millwright_last_error_info", (("message", "connection refused by 127.0.0.1:5020"),
                                                 ("where", "meter"))] == 1
    assert values["millwright_app_info", (("app_id", "com.example.pump-health"), ("version", "1.2.0"))] == 1


def test_readiness_is_503_naming_the_missing_device_until_the_runtime_is_ready(served):
    server, metrics, flags = served
    metrics.device_state("plc-1", True)
    metrics.device_state("meter", False)

    status, body = get(server.url + "/readyz")
    assert status == 503
    assert json.loads(body) == {"ready": False, "devices": {"plc-1": True, "meter": False}, "missing": ["meter"]}

    metrics.device_state("meter", True)
    flags.ready = True
    status, body = get(server.url + "/readyz")
    assert status == 200
    assert json.loads(body)["missing"] == []


def test_liveness_is_503_when_the_loop_stops_ticking_and_carries_the_last_error(served):
    server, metrics, flags = served
    status, body = get(server.url + "/healthz")
    assert (status, json.loads(body)) == (200, {"live": True})

    flags.live = False
    metrics.error("graph", "division by zero in node 'efficiency'")
    status, body = get(server.url + "/healthz")
    assert status == 503
    reply = json.loads(body)
    assert reply["live"] is False
    assert reply["last_error"]["where"] == "graph"
    assert reply["last_error"]["message"] == "division by zero in node 'efficiency'"


def test_a_probe_that_raises_answers_503_and_unknown_paths_404(served):
    server, _, _ = served
    server.live = lambda: 1 / 0
    assert get(server.url + "/healthz")[0] == 503
    assert get(server.url + "/nothing")[0] == 404


def test_a_taken_port_is_refused_with_the_address(served):
    server, metrics, _ = served
    second = HealthServer(metrics, ready=lambda: True, live=lambda: True, config=HealthConfig(port=server.port))
    with pytest.raises(OSError, match=f"127.0.0.1:{server.port}"):
        second.start()


def test_metrics_are_recorded_from_several_threads_without_losing_counts():
    metrics = RuntimeMetrics()
    threads = [threading.Thread(target=lambda: [metrics.node_samples("n", 1) for _ in range(500)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert samples(metrics.text())["millwright_node_samples_total", (("node", "n"),)] == 2000


def test_two_runtimes_in_one_process_keep_separate_metrics():
    first, second = RuntimeMetrics(), RuntimeMetrics()
    first.reconnect("plc")
    assert ("millwright_device_reconnects_total", (("device", "plc"),)) in samples(first.text())
    assert ("millwright_device_reconnects_total", (("device", "plc"),)) not in samples(second.text())


def test_a_container_makes_it_listen_on_every_interface_through_the_environment(monkeypatch):
    assert HealthConfig().host == "127.0.0.1"
    monkeypatch.setenv("MILLWRIGHT_HEALTH_HOST", "0.0.0.0")
    server = HealthServer(RuntimeMetrics(), ready=lambda: True, live=lambda: True, config=HealthConfig(port=0))
    server.start()
    try:
        assert server.config.host == "0.0.0.0"
        assert get(f"http://127.0.0.1:{server.port}/healthz")[0] == 200
    finally:
        server.close()


def wait_for(url: str, status: int, deadline_s: float = 60.0) -> dict:
    """The JSON body of ``url`` once it answers ``status``; fails with the last answer after ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    answer: tuple[int, bytes] = (0, b"")
    while time.monotonic() < deadline:
        try:
            answer = get(url)
        except (urllib.error.URLError, ConnectionError):  # not listening yet
            answer = (0, b"")
        if answer[0] == status:
            return json.loads(answer[1])
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status} within {deadline_s} s: {answer}")


@pytest.mark.slow  # a subprocess runtime and a simulator outage: ~10 s
def test_a_running_app_reports_its_devices_ticks_and_samples(site, simulator, example_build):  # noqa: F811
    port = free_port("127.0.0.1")
    command = [sys.executable, "-m", "workbench", "app", "run", str(example_build), "--bind",
               str(site / "bindings.yaml"), "--devices", str(site / "devices"), "--data", str(site / "data"),
               "--allow-unsigned", "--rate", "10", "--health-port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        base = f"http://127.0.0.1:{port}"
        ready = wait_for(base + "/readyz", 200)
        assert ready["devices"] == {"pump-station-opcua": True} and ready["missing"] == []
        assert wait_for(base + "/healthz", 200)["live"] is True
        values = samples(get(base + "/metrics")[1])
        assert values["millwright_device_connected", (("device", "pump-station-opcua"),)] == 1
        assert values["millwright_tick_latency_seconds_count", ()] > 0
        assert sum(v for (name, _), v in values.items() if name == "millwright_node_samples_total") > 0

        simulator.stop()
        try:
            missing = wait_for(base + "/readyz", 503)
            assert missing["missing"] == ["pump-station-opcua"]
            assert get(base + "/healthz")[0] == 200  # a lost device takes the pod out of service, never restarts it
        finally:
            simulator.start()
        wait_for(base + "/readyz", 200)
        assert samples(get(base + "/metrics")[1])[
            "millwright_device_reconnects_total", (("device", "pump-station-opcua"),)] >= 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
