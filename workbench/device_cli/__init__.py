"""Headless device commands: ``millwright simulate`` and ``millwright device …``.

One module per group of actions, each registering its own sub-commands: ``inspect`` (browse,
read, write), ``monitor`` (poll, watch), ``profile_import`` (profile-from-server) and
``identity`` (passwords, trusted certificates, our certificate). ``connection`` turns a target
(a profile, an OPC UA URL, a Modbus host) and the connection options into a session.
Drivers are imported only when a command runs, so ``millwright --help`` stays fast.
"""

from __future__ import annotations

import argparse

from workbench.device_cli import identity, inspect, monitor, profile_import, simulate


def add_commands(commands: argparse._SubParsersAction) -> None:
    simulate.add_commands(commands)
    device = commands.add_parser("device", help="browse, read, poll, watch and write devices; make device profiles")
    actions = device.add_subparsers(dest="action", metavar="ACTION", required=True)
    for module in (inspect, monitor, profile_import, identity):
        module.add_commands(actions)
