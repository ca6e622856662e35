"""From a command line's target and options to a device session.

A target is a device profile (YAML) or an OPC UA URL. Options given on the command line
(``--timeout``, ``--security``, ``--user``) override the profile's connection.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

EXIT_DEVICE, EXIT_USAGE = 1, 2


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--security", default="None:None", metavar="POLICY:MODE",
                        help="OPC UA security, e.g. Basic256Sha256:SignAndEncrypt (default None:None)")
    parser.add_argument("--user", help="OPC UA user name (the password comes from the keyring, or is asked)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to wait (default 5)")


def run_async(handler: Callable[[argparse.Namespace], Awaitable[int]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from device_browser.session import DeviceError

        try:
            return asyncio.run(handler(args))
        except DeviceError as exc:
            print(f"millwright: {exc}", file=sys.stderr)
            return EXIT_DEVICE
        except KeyboardInterrupt:
            print("millwright: interrupted", file=sys.stderr)
            return 130

    return run


async def ask_trust(info) -> bool:
    """Trust on first use, at the terminal: show the certificate and ask."""
    print(f"The server at {info.url} presents a certificate Millwright has not seen before:\n"
          f"  {info.describe()}", file=sys.stderr)
    if not sys.stdin.isatty():
        print("Not a terminal: refusing. Run once interactively to trust it.", file=sys.stderr)
        return False
    answer = await asyncio.to_thread(input, "Trust this certificate from now on? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def opcua_session(url: str, args: argparse.Namespace):
    from device_browser.opcua.client import OpcUaSession

    policy, _, mode = args.security.partition(":")
    return OpcUaSession(url, policy=policy or "None", mode=mode or "None", user=args.user, timeout=args.timeout,
                        decide=ask_trust)


def profile_session(path: Path):
    from device_browser.connect import open_session
    from device_browser.profiles import load_profile

    profile = load_profile(path)
    return profile, open_session(profile)


def session_for(target: str, args: argparse.Namespace):
    if target.startswith("opc.tcp://"):
        return None, opcua_session(target, args)
    return profile_session(Path(target))
