"""``device browse mqtt://HOST:PORT``: a broker's Sparkplug namespace as a tree with live values.

A host learns the namespace only from births, so the command listens for ``--wait`` seconds
(edge nodes that were born before it connected are asked to rebirth as soon as they publish
data) and then prints groups, edge nodes, devices and metrics with datatype, unit, value,
quality and time. ``--watch`` keeps printing each change until Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from workbench.device_cli.connection import session_for

if TYPE_CHECKING:  # the driver is imported when the command runs: `millwright --help` stays fast
    from device_browser.session import Sample
    from device_browser.sparkplug.model import MetricState, SparkplugModel

DEFAULT_WAIT_S = 3.0


def add_options(browse: argparse.ArgumentParser) -> None:
    """The MQTT-only options of ``device browse``."""
    browse.add_argument("--wait", type=float, default=DEFAULT_WAIT_S, metavar="S",
                        help=f"MQTT: seconds to collect Sparkplug births before printing (default {DEFAULT_WAIT_S:g})")
    browse.add_argument("--watch", action="store_true", help="MQTT: keep printing metric changes until Ctrl-C")
    browse.add_argument("--ca-file", metavar="PEM", help="mqtts: the CA certificate the broker's must chain to")
    browse.add_argument("--no-rebirth", action="store_true",
                        help="MQTT: never ask an edge node to rebirth (by default a seq gap or data from a node "
                             "not seen born sends it an NCMD Node Control/Rebirth)")


async def browse_broker(args: argparse.Namespace) -> int:
    _, session = session_for(args.target, args)
    await session.connect()
    try:
        await asyncio.sleep(max(0.0, args.wait))
        print_tree(session.model)
        if not session.model.groups:
            print(f"millwright: no Sparkplug messages on {args.target} within {args.wait:g} s "
                  "(try a longer --wait)", file=sys.stderr)
        if args.watch:
            session.sample_received.connect(_print_change)
            await asyncio.Event().wait()  # until Ctrl-C
    finally:
        await session.close()
    return 0


def print_tree(model: SparkplugModel) -> None:
    for group, nodes in sorted(model.groups.items()):
        print(group)
        for name, node in sorted(nodes.items()):
            born = f"  bdSeq {node.bd_seq}" if node.bd_seq is not None else ""
            print(f"  {name}  {'online' if node.online else 'offline'}{born}")
            _print_metrics(node.table.metrics.values(), 2)
            for device_name, device in sorted(node.devices.items()):
                print(f"    {device_name}  {'online' if device.online else 'offline'}")
                _print_metrics(device.table.metrics.values(), 3)


def _print_metrics(metrics, level: int) -> None:
    for m in metrics:
        print(f"{'  ' * level}{m.name:{max(1, 36 - 2 * level)}} {_facts(m)}")


def _facts(m: MetricState) -> str:
    from device_browser.display import format_time, format_value
    from nodes.quality import Quality

    sample = m.sample()
    status = f" ({sample.status})" if sample.status else ""
    return (f"{m.datatype.name.title():9} {m.unit:8} {format_value(m.value):>14} "
            f"{Quality(m.quality).label:9} {format_time(sample.source_time)}{status}")


def _print_change(sample: Sample) -> None:
    from device_browser.display import format_time, format_value
    from nodes.quality import Quality

    status = f" ({sample.status})" if sample.status else ""
    print(f"{format_time(sample.source_time)}  {sample.tag}  {format_value(sample.value)}  "
          f"{Quality(sample.quality).label}{status}", flush=True)
