"""``millwright app run``: run an app headless next to the devices, logging JSON lines to stdout."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import signal
import socket
import sys
import time
from pathlib import Path

from workbench.app_commands import reporting_errors
from workbench.app_sign_commands import add_trust_options, trusted_from

# Attributes every LogRecord has: whatever else a record carries came as ``extra=`` fields.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``run`` to ``millwright app``."""
    run = actions.add_parser("run", help="run an app headless on live device tags",
                             description="Verify the app (an .iapp, or an installed app's folder), check the "
                                         "site's bindings against its inputs, connect the bound devices and run "
                                         "the graph at a fixed rate until SIGTERM or Ctrl+C. Logs JSON lines to "
                                         "stdout. Device passwords come from MILLWRIGHT_DEVICE_PASSWORD_<DEVICE>.")
    run.add_argument("app", type=Path, metavar="FILE.iapp|APP_FOLDER")
    run.add_argument("--bind", type=Path, metavar="BINDINGS.yaml",
                     help="the site's bindings of the app's inputs (default: the installed folder's)")
    run.add_argument("--devices", type=Path, metavar="DIR", help="the site's device profiles (default: the app's)")
    run.add_argument("--rate", type=float, metavar="HZ", help="ticks per second (default: the manifest's, else 10)")
    run.add_argument("--shadow", action="store_true", help="log the device writes the app would make; send none")
    run.add_argument("--data", type=Path, default=Path("millwright-data"), metavar="DIR",
                     help="the runtime's data: unpacked app, saved state, write audit (default ./millwright-data)")
    run.add_argument("--health-port", type=int, metavar="N", help="serve /healthz, /readyz and /metrics on this port")
    run.add_argument("--opcua-port", type=int, metavar="N",
                     help="serve the outputs on the runtime's own OPC UA server (SignAndEncrypt, users from "
                          "MILLWRIGHT_OPCUA_USER/_PASSWORD)")
    run.add_argument("--mqtt", metavar="URL", help="publish the outputs as a Sparkplug B edge node to this broker "
                                                   "(mqtt://HOST:PORT or mqtts://…; credentials from "
                                                   "MILLWRIGHT_MQTT_USERNAME/_PASSWORD)")
    run.add_argument("--mqtt-ca", type=Path, metavar="FILE", help="mqtts: the CA that signed the broker's "
                     "certificate (default: the system's CAs)")
    run.add_argument("--mqtt-cert", type=Path, metavar="FILE", help="mqtts: a client certificate (PEM), if the "
                     "broker asks for one")
    run.add_argument("--mqtt-key", type=Path, metavar="FILE", help="the client certificate's private key (PEM; "
                     "a mounted secret)")
    run.add_argument("--site", default="site", help="the Sparkplug group: the site (default: site)")
    run.add_argument("--edge-node", default=socket.gethostname(), help="the Sparkplug edge node: this runtime "
                                                                         "(default: the host name)")
    run.add_argument("--param", action="append", default=[], type=_param, metavar="NAME=VALUE",
                     help="set a parameter the app lets a site set (repeatable)")
    add_trust_options(run)
    run.set_defaults(handler=reporting_errors(app_run))


def _param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not name or math.isnan(number):
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=VALUE with a number (e.g. rated_power=55)")
    return name, number


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and the record's ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                 + f".{int(record.msecs):03d}Z", "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_json_lines() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("asyncua").setLevel(logging.WARNING)  # INFO logs every publish


def app_run(args: argparse.Namespace) -> int:
    from app_packager.runtime.core import RuntimeConfig, load_app

    log_json_lines()
    config = RuntimeConfig(args.app, args.data, args.bind, args.devices, args.rate, dict(args.param), args.shadow,
                           trusted_from(args), args.allow_unsigned)
    app = load_app(config)
    return asyncio.run(_serve(app, config, args))


async def _serve(app, config, args: argparse.Namespace) -> int:
    from app_packager.runtime.core import AppRuntime
    from app_packager.runtime.health import HealthConfig, HealthServer
    from app_packager.runtime.metrics import RuntimeMetrics

    metrics = RuntimeMetrics(app.manifest.id, app.manifest.version)
    sinks, edge_node = _sinks(app, args, metrics)
    runtime = AppRuntime(app, config, sinks, metrics=metrics)
    if edge_node is not None:  # a host's DCMD changes the parameters the manifest lets a site override
        edge_node.on_parameter = runtime.request_parameter
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    health = None
    if args.health_port is not None:
        health = HealthServer(metrics, ready=runtime.ready, live=runtime.live,
                              config=HealthConfig(port=args.health_port))
        health.start()
    try:
        await runtime.run_until(stop)
    finally:
        if health is not None:
            health.close()
    return 0


def _sinks(app, args: argparse.Namespace, metrics) -> tuple[list, object | None]:
    """The output sinks the options ask for (the OPC UA server, the Sparkplug edge node), and the edge node."""
    manifest = app.manifest
    sinks, edge_node = [], None
    if args.opcua_port is not None:
        from app_packager.runtime.opcua_server import OpcUaOutputServer, OpcUaServerConfig

        sinks.append(OpcUaOutputServer(manifest, OpcUaServerConfig(args.data / "opcua", port=args.opcua_port)))
    if args.mqtt:
        from app_packager.runtime.sparkplug import SparkplugConfig, SparkplugEdgeNode
        from device_browser.sparkplug.broker import broker_credentials

        username, password = broker_credentials()
        params = app.compiled.resolution.params
        values = {name: params[p.node][p.param] for name, p in manifest.parameters.items() if p.node in params}
        config = SparkplugConfig(args.mqtt, args.site, args.edge_node, args.data / "sparkplug", username=username,
                                 password=password, parameters=values, ca_file=args.mqtt_ca,
                                 client_cert=args.mqtt_cert, client_key=args.mqtt_key)
        edge_node = SparkplugEdgeNode(manifest, config, metrics=metrics)
        sinks.append(edge_node)
    return sinks, edge_node
