"""``device profile-from-server``: a device profile written from an OPC UA server's sub-tree."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.device_cli.connection import EXIT_DEVICE, add_connection_options, opcua_session, run_async

if TYPE_CHECKING:
    from device_browser.profiles import Point
    from device_browser.session import BrowseItem


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
    from device_browser.opcua.ua_browse import browse_name, variables_below
    from device_browser.profiles import DeviceProfile, parse_profile

    session = opcua_session(args.url, args)
    await session.connect()
    try:
        # The browse name, not the NodeId: "ns=2;i=1000" would name the profile "1000".
        name = args.id or profile_id(await browse_name(session, args.node))
        found = await variables_below(session, args.node, args.depth, _CONDITION_TYPES)
        policy, mode = session.policy, session.mode
    finally:
        await session.close()
    points = [point for names, item in found if (point := _point(names, item)) is not None]
    if not points:
        print(f"millwright: no variables below {args.node}", file=sys.stderr)
        return EXIT_DEVICE
    connection = {"protocol": "opcua", "endpoint": args.url, "security_policy": policy, "security_mode": mode}
    if args.user:
        connection["user"] = args.user
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


def _point(names: tuple[str, ...], item: BrowseItem) -> Point | None:
    """The point of a variable (named after the objects above it), or None for a type that is no process value."""
    from device_browser.connect import UNECE_CODES, pint_symbol
    from device_browser.profiles import Point

    data_type = _UA_TYPES.get(item.data_type)
    if data_type is None:
        return None
    unit = pint_symbol(item.unit)
    return Point(name="_".join(_identifier(n) for n in (*names, item.name)), data_type=data_type,
                 address={"node_id": item.tag}, description={"en": item.description or item.name},
                 unit=unit, unit_code=UNECE_CODES.get(unit, ""), range=item.eu_range, access=item.access or "r")


# OPC UA built-in types that are process values, as profile data types; others are not imported.
_UA_TYPES = {"Boolean": "bool", "SByte": "sbyte", "Byte": "byte", "Int16": "int16", "UInt16": "uint16",
             "Int32": "int32", "UInt32": "uint32", "Int64": "int64", "UInt64": "uint64", "Float": "float",
             "Double": "double", "String": "string", "DateTime": "datetime"}
# Alarm and condition objects: their many state variables are not process values.
_CONDITION_TYPES = {"i=2782", "i=2830", "i=2881", "i=2915", "i=2955", "i=9341", "i=9482", "i=9764", "i=9906",
                    "i=10060", "i=10214", "i=10368", "i=10523", "i=10637", "i=11163", "i=11436"}


def profile_id(browse_name: str) -> str:
    """A profile id (letters, digits and ``_ . : -``) from a node's browse name: "Pump Station #1" → pump-station-1."""
    cleaned = re.sub(r"[^A-Za-z0-9_.:-]+", "-", browse_name.strip()).strip("-.").lower()
    return cleaned or "device"


def _identifier(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in text).strip("_")
    snake = "".join(f"_{c.lower()}" if c.isupper() and i and cleaned[i - 1].islower() else c.lower()
                    for i, c in enumerate(cleaned))
    return snake if snake[:1].isalpha() else f"p_{snake}"
