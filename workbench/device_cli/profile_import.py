"""``device profile-from-server``: a device profile written from an OPC UA server's sub-tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.device_cli.connection import EXIT_DEVICE, add_connection_options, opcua_session, run_async


def add_commands(actions: argparse._SubParsersAction) -> None:
    make = actions.add_parser("profile-from-server", help="write a device profile from a server's sub-tree")
    make.add_argument("url")
    make.add_argument("node", help="NodeId of the folder or object whose variables become points")
    make.add_argument("--id", help="profile id (default: the node's browse name)")
    make.add_argument("--depth", type=int, default=3, metavar="N", help="levels to descend (default 3)")
    make.add_argument("--output", "-o", type=Path, help="YAML file to write (default: print)")
    add_connection_options(make)
    make.set_defaults(handler=run_async(profile_from_server))


async def profile_from_server(args: argparse.Namespace) -> int:
    from device_browser.opcua.ua_profile import profile_from_server as import_profile
    from device_browser.profiles import parse_profile

    session = opcua_session(args.url, args)
    await session.connect()
    try:
        profile = await import_profile(session, args.node, depth=args.depth, profile_id=args.id, user=args.user)
    finally:
        await session.close()
    if not profile.points:
        print(f"millwright: no variables below {args.node}", file=sys.stderr)
        return EXIT_DEVICE
    text = profile.dumps()
    parse_profile(text, "the imported profile")  # what we write must load again
    if args.output:
        from nodes.atomic_file import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"{len(profile.points)} points written to {args.output}")
    else:
        print(text, end="")
    return 0
