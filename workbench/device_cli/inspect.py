"""``device browse``, ``device read`` and ``device write``: look at a device and change one value safely."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.device_cli.connection import (
    EXIT_DEVICE,
    EXIT_USAGE,
    add_connection_options,
    profile_session,
    run_async,
    session_for,
)


def add_commands(actions: argparse._SubParsersAction) -> None:
    browse = actions.add_parser("browse", help="show a server's address space (OPC UA URL or a profile)")
    browse.add_argument("target", help="opc.tcp://host:port/… or a device profile (YAML)")
    browse.add_argument("--node", help="start below this node (default: Objects)")
    browse.add_argument("--depth", type=int, default=2, metavar="N", help="levels to show (default 2)")
    add_connection_options(browse)
    browse.set_defaults(handler=run_async(browse_device))
    read = actions.add_parser("read", help="read tags once")
    read.add_argument("target", help="opc.tcp://… (tags are NodeIds) or a profile (tags are point names)")
    read.add_argument("tags", nargs="*", metavar="TAG", help="default with a profile: every point")
    add_connection_options(read)
    read.set_defaults(handler=run_async(read_device))
    write = actions.add_parser("write", help="write one point of a profile, with the profile's checks")
    write.add_argument("profile", type=Path)
    write.add_argument("point")
    write.add_argument("value")
    write.add_argument("--yes", action="store_true", help="confirm: without it nothing is written")
    add_connection_options(write)
    write.set_defaults(handler=run_async(write_device))


async def browse_device(args: argparse.Namespace) -> int:
    _, session = session_for(args.target, args)
    await session.connect()
    try:
        await _print_tree(session, args.node, args.depth, 0)
    finally:
        await session.close()
    return 0


async def _print_tree(session, tag: str | None, depth: int, level: int) -> None:
    for item in await session.browse(tag):
        facts = "  ".join(x for x in (item.data_type, item.access, item.unit) if x)
        print(f"{'  ' * level}{item.name:{max(1, 36 - 2 * level)}} {facts:24} {item.tag}")
        if item.has_children and level + 1 < depth:
            await _print_tree(session, item.tag, depth, level + 1)


async def read_device(args: argparse.Namespace) -> int:
    from device_browser.writes import session_tag
    from nodes.quality import Quality

    profile, session = session_for(args.target, args)
    names = args.tags or ([p.name for p in profile.points] if profile else [])
    if not names:
        print("millwright: name the tags to read (NodeIds for an OPC UA URL)", file=sys.stderr)
        return EXIT_USAGE
    tags = [session_tag(profile, profile.point(n)) for n in names] if profile else names
    await session.connect()
    try:
        samples = await session.read(tags)
    finally:
        await session.close()
    width = max(len(n) for n in names)
    for name, sample in zip(names, samples, strict=True):
        quality = Quality(sample.quality).label
        status = f"  ({sample.status})" if sample.status and sample.quality else ""
        print(f"{name:{width}}  {sample.value!s:>16}  {quality}{status}")
    return 0 if all(s.quality == 0 for s in samples) else EXIT_DEVICE


async def write_device(args: argparse.Namespace) -> int:
    from device_browser.writes import AuditLog, check_value, safe_write
    from workbench.app_dirs import state_dir

    profile, session = profile_session(args.profile)
    point = profile.point(args.point)
    value = check_value(profile, point, args.value)  # refuse bad values before asking anything
    if not args.yes:
        print(f"Would write {value!r} to '{point.name}' of {profile.id}. Add --yes to write it.", file=sys.stderr)
        return EXIT_USAGE
    await session.connect()
    try:
        record = await safe_write(session, profile, point.name, value, AuditLog(state_dir() / "audit.jsonl"))
    finally:
        await session.close()
    print(f"{profile.id}.{point.name}: {record.old!r} → {record.new!r} (recorded in the audit log)")
    return 0
