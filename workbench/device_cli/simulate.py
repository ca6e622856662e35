"""``millwright simulate opcua|modbus``: the pump-station simulators from the command line."""

from __future__ import annotations

import argparse
import importlib

_SIMULATORS = {"opcua": "device_browser.simulators.opcua.simulator", "modbus": "device_browser.simulators.modbus"}


def add_commands(commands: argparse._SubParsersAction) -> None:
    simulate = commands.add_parser(
        "simulate", help="run a pump-station simulator (OPC UA or Modbus) for tests, demos and offline work",
        description="Run a simulator until Ctrl-C. 'millwright simulate opcua --help' lists its options.")
    simulate.add_argument("kind", choices=tuple(_SIMULATORS))
    simulate.add_argument("options", nargs=argparse.REMAINDER, help="options of that simulator")
    simulate.set_defaults(handler=run_simulator)


def run_simulator(args: argparse.Namespace) -> int:
    module = importlib.import_module(_SIMULATORS[args.kind])
    parser = argparse.ArgumentParser(prog=f"millwright simulate {args.kind}")
    module.add_arguments(parser)
    return module.run(parser.parse_args(args.options))
