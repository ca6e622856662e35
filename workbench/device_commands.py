"""Headless device commands: ``millwright simulate`` and ``millwright device``.

Drivers are imported only when a command runs, so ``millwright --help`` stays fast.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path
from typing import Any

EXIT_DEVICE, EXIT_USAGE = 1, 2


def add_commands(commands: argparse._SubParsersAction) -> None:
    simulate = commands.add_parser(
        "simulate", help="run a pump-station simulator (OPC UA or Modbus) for tests, demos and offline work",
        description="Run a simulator until Ctrl-C. 'millwright simulate opcua --help' lists its options.")
    simulate.add_argument("kind", choices=("opcua", "modbus"))
    simulate.add_argument("options", nargs=argparse.REMAINDER, help="options of that simulator")
    simulate.set_defaults(handler=run_simulator)

    device = commands.add_parser("device", help="browse, read, poll and write devices; make device profiles")
    actions = device.add_subparsers(dest="action", metavar="ACTION", required=True)
    browse = actions.add_parser("browse", help="show a server's address space (OPC UA URL or a profile)")
    browse.add_argument("target", help="opc.tcp://host:port/… or a device profile (YAML)")
    browse.add_argument("--node", help="start below this node (default: Objects)")
    browse.add_argument("--depth", type=int, default=2, metavar="N", help="levels to show (default 2)")
    _add_connection_options(browse)
    browse.set_defaults(handler=_async(browse_device))
    read = actions.add_parser("read", help="read tags once")
    read.add_argument("target", help="opc.tcp://… (tags are NodeIds) or a profile (tags are point names)")
    read.add_argument("tags", nargs="*", metavar="TAG", help="default with a profile: every point")
    _add_connection_options(read)
    read.set_defaults(handler=_async(read_device))
    poll = actions.add_parser("poll", help="poll a profile's points and record them to CSV or Parquet")
    poll.add_argument("profile", type=Path)
    poll.add_argument("--duration", type=float, required=True, metavar="S", help="seconds to record")
    poll.add_argument("--output", "-o", type=Path, required=True, metavar="OUT")
    poll.add_argument("--interval", type=float, metavar="MS", help="poll period (default: the profile's, or 1000)")
    _add_connection_options(poll)
    poll.set_defaults(handler=_async(poll_device))
    make = actions.add_parser("profile-from-server", help="write a device profile from a server's sub-tree")
    make.add_argument("url")
    make.add_argument("node", help="NodeId of the folder or object whose variables become points")
    make.add_argument("--id", help="profile id (default: the node's name)")
    make.add_argument("--depth", type=int, default=3, metavar="N", help="levels to descend (default 3)")
    make.add_argument("--output", "-o", type=Path, help="YAML file to write (default: print)")
    _add_connection_options(make)
    make.set_defaults(handler=_async(profile_from_server))
    write = actions.add_parser("write", help="write one point of a profile, with the profile's checks")
    write.add_argument("profile", type=Path)
    write.add_argument("point")
    write.add_argument("value")
    write.add_argument("--yes", action="store_true", help="confirm: without it nothing is written")
    _add_connection_options(write)
    write.set_defaults(handler=_async(write_device))


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--security", default="None:None", metavar="POLICY:MODE",
                        help="OPC UA security, e.g. Basic256Sha256:SignAndEncrypt (default None:None)")
    parser.add_argument("--user", help="OPC UA user name (the password comes from the keyring, or is asked)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to wait (default 5)")


def _async(handler):
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


def run_simulator(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"device_browser.{args.kind}.simulator")
    parser = argparse.ArgumentParser(prog=f"millwright simulate {args.kind}")
    module.add_arguments(parser)
    return module.run(parser.parse_args(args.options))


# -- sessions -------------------------------------------------------------------------------------------
async def _ask_trust(info) -> bool:
    """Trust on first use, at the terminal: show the certificate and ask."""
    print(f"The server at {info.url} presents a certificate Millwright has not seen before:\n"
          f"  {info.describe()}", file=sys.stderr)
    if not sys.stdin.isatty():
        print("Not a terminal: refusing. Run once interactively to trust it.", file=sys.stderr)
        return False
    answer = await asyncio.to_thread(input, "Trust this certificate from now on? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _opcua_session(url: str, args: argparse.Namespace):
    from device_browser.opcua.client import OpcUaSession

    policy, _, mode = args.security.partition(":")
    return OpcUaSession(url, policy=policy or "None", mode=mode or "None", user=args.user, timeout=args.timeout,
                        decide=_ask_trust)


def _profile_session(path: Path):
    from device_browser.connect import open_session
    from device_browser.profiles import load_profile

    profile = load_profile(path)
    return profile, open_session(profile)


def _session_for(target: str, args: argparse.Namespace):
    if target.startswith("opc.tcp://"):
        return None, _opcua_session(target, args)
    return _profile_session(Path(target))


# -- commands --------------------------------------------------------------------------------------------
async def browse_device(args: argparse.Namespace) -> int:
    _, session = _session_for(args.target, args)
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

    profile, session = _session_for(args.target, args)
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
        quality = {0: "good", 1: "uncertain", 2: "bad"}[sample.quality]
        status = f"  ({sample.status})" if sample.status and sample.quality else ""
        print(f"{name:{width}}  {sample.value!s:>16}  {quality}{status}")
    return 0 if all(s.quality == 0 for s in samples) else EXIT_DEVICE


async def poll_device(args: argparse.Namespace) -> int:
    from device_browser.recordings import open_sink
    from device_browser.writes import session_tag
    from nodes.chunk import Chunk

    profile, session = _profile_session(args.profile)
    tags = [session_tag(profile, p) for p in profile.points]
    interval = (args.interval or min((p.interval_ms for p in profile.points if p.interval_ms), default=1000)) / 1000
    sink = open_sink(args.output)
    polls = 0
    await session.connect()
    try:
        deadline = time.monotonic() + args.duration
        while time.monotonic() < deadline:
            started = time.monotonic()
            samples = await session.read(tags)
            now = time.time_ns()  # one row per poll, as engineers read a poll log (source times vary per request)
            sink.write({p.name: Chunk.of([now], [_number(s.value)], [s.quality])
                        for p, s in zip(profile.points, samples, strict=True)})
            polls += 1
            await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
        sink.close()
    except BaseException:
        sink.abort()
        raise
    finally:
        await session.close()
    print(f"{polls} polls of {len(tags)} points written to {args.output}")
    return 0


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


async def profile_from_server(args: argparse.Namespace) -> int:
    from device_browser.profiles import DeviceProfile, Point, parse_profile

    session = _opcua_session(args.url, args)
    await session.connect()
    points: list[Point] = []
    try:
        await _collect_points(session, args.node, args.depth, "", points)
    finally:
        await session.close()
    if not points:
        print(f"millwright: no variables below {args.node}", file=sys.stderr)
        return EXIT_DEVICE
    policy, _, mode = args.security.partition(":")
    connection = {"protocol": "opcua", "endpoint": args.url, "security_policy": policy or "None",
                  "security_mode": mode or "None"}
    if args.user:
        connection["user"] = args.user
    name = args.id or args.node.rpartition("=")[2].replace(".", "-").lower()
    profile = DeviceProfile(id=name, nameplate={"manufacturer": "unknown", "model": name}, connection=connection,
                            points=points, title=f"Imported from {args.url}")
    text = profile.dumps()
    parse_profile(text, "the imported profile")  # what we write must load again
    if args.output:
        from nodes.atomic_file import atomic_write_text

        atomic_write_text(args.output, text)
        print(f"{len(points)} points written to {args.output}")
    else:
        print(text, end="")
    return 0


async def _collect_points(session, tag: str, depth: int, prefix: str, points: list) -> None:
    from device_browser.connect import UNECE_CODES, pint_symbol
    from device_browser.profiles import Point

    for item in await session.browse(tag, details=True):  # a profile wants descriptions and ranges
        name = f"{prefix}{_identifier(item.name)}"
        data_type = _UA_TYPES.get(item.data_type)
        if item.node_class == "Variable" and data_type:  # children are properties (EURange, …), in the point
            unit = pint_symbol(item.unit)
            points.append(Point(name=name, data_type=data_type,
                                address={"node_id": item.tag}, description={"en": item.description or item.name},
                                unit=unit, unit_code=UNECE_CODES.get(unit, ""), range=item.eu_range,
                                access=item.access or "r"))
        elif (item.node_class == "Object" and item.has_children and depth > 1
              and item.extra.get("type_definition") not in _CONDITION_TYPES):
            await _collect_points(session, item.tag, depth - 1, f"{name}_", points)


# OPC UA built-in types that are process values, as profile data types; others are not imported.
_UA_TYPES = {"Boolean": "bool", "SByte": "sbyte", "Byte": "byte", "Int16": "int16", "UInt16": "uint16",
             "Int32": "int32", "UInt32": "uint32", "Int64": "int64", "UInt64": "uint64", "Float": "float",
             "Double": "double", "String": "string", "DateTime": "datetime"}
# Alarm and condition objects: their many state variables are not process values.
_CONDITION_TYPES = {"i=2782", "i=2830", "i=2881", "i=2915", "i=2955", "i=9341", "i=9482", "i=9764", "i=9906",
                    "i=10060", "i=10214", "i=10368", "i=10523", "i=10637", "i=11163", "i=11436"}


def _identifier(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in text).strip("_")
    snake = "".join(f"_{c.lower()}" if c.isupper() and i and text[i - 1].islower() else c.lower()
                    for i, c in enumerate(cleaned))
    return snake if snake[:1].isalpha() else f"p_{snake}"


async def write_device(args: argparse.Namespace) -> int:
    from device_browser.writes import AuditLog, check_value, safe_write
    from workbench.app_dirs import state_dir

    profile, session = _profile_session(args.profile)
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
