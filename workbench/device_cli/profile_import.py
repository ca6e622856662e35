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
    make.add_argument("--id", help="profile id (default: the node's name)")
    make.add_argument("--depth", type=int, default=3, metavar="N", help="levels to descend (default 3)")
    make.add_argument("--output", "-o", type=Path, help="YAML file to write (default: print)")
    add_connection_options(make)
    make.set_defaults(handler=run_async(profile_from_server))


async def profile_from_server(args: argparse.Namespace) -> int:
    from device_browser.profiles import DeviceProfile, Point, parse_profile

    session = opcua_session(args.url, args)
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
