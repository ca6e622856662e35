"""``device browse``, ``read``, ``write`` and ``call``: look at a device and act on it safely.

Each works on a profile (tags are point names) or straight on a device URL for commissioning
without one (tags are OPC UA NodeIds or Modbus addresses such as ``40001:float32:CDAB``).
Every write, with or without a profile, needs ``--yes``, shows the old value, reads the new
one back and is recorded in the audit log; so is every refused attempt.
"""

from __future__ import annotations

import argparse
import sys

from workbench.device_cli import sparkplug_view
from workbench.device_cli.connection import EXIT_DEVICE, EXIT_USAGE, add_connection_options, run_async, session_for

_TARGET_HELP = "a device profile (YAML), opc.tcp://host:port/…, modbus+tcp://host:port/unit or mqtt://host:port"


def add_commands(actions: argparse._SubParsersAction) -> None:
    browse = actions.add_parser("browse", help="show a device's address space or tag list")
    browse.add_argument("target", help=_TARGET_HELP)
    browse.add_argument("--node", help="start below this node (default: Objects)")
    browse.add_argument("--depth", type=int, default=2, metavar="N", help="levels to show (default 2)")
    sparkplug_view.add_options(browse)
    add_connection_options(browse)
    browse.set_defaults(handler=run_async(browse_device))
    read = actions.add_parser("read", help="read tags once: value, quality, status and time")
    read.add_argument("target", help=_TARGET_HELP)
    read.add_argument("tags", nargs="*", metavar="TAG",
                      help="point names of a profile (default: every point), NodeIds or Modbus addresses")
    add_connection_options(read)
    read.set_defaults(handler=run_async(read_device))
    write = actions.add_parser("write", help="write one value, checked, confirmed with --yes and audited")
    write.add_argument("target", help=_TARGET_HELP)
    write.add_argument("tag", metavar="TAG", help="a point of the profile, a NodeId or a Modbus address")
    write.add_argument("value")
    write.add_argument("--yes", action="store_true", help="confirm: without it nothing is written")
    add_connection_options(write)
    write.set_defaults(handler=run_async(write_device))
    call = actions.add_parser("call", help="call an OPC UA method with arguments")
    call.add_argument("target", help="a device profile (OPC UA) or opc.tcp://…")
    call.add_argument("object", metavar="OBJECT", help="NodeId of the object that owns the method")
    call.add_argument("method", metavar="METHOD", help="the method's browse name or NodeId")
    call.add_argument("args", nargs="*", metavar="ARG", help="arguments, converted to the types the method declares")
    add_connection_options(call)
    call.set_defaults(handler=run_async(call_method))
    interpret = actions.add_parser(
        "interpret", help="show Modbus registers as every type and byte order at once",
        description="Read COUNT registers from ADDRESS and print them as int16/uint16, each pair as "
                    "int32/uint32/float32 in ABCD, CDAB, BADC and DCBA, each four as float64/int64: "
                    "the plausible reading stands out when a manual is vague.")
    interpret.add_argument("target", help="a Modbus profile or modbus+tcp://host:port/unit")
    interpret.add_argument("address", help="first register: 40001, 400001, hr:0 or ir:5")
    interpret.add_argument("--count", type=int, default=4, metavar="N", help="registers to read (default 4)")
    add_connection_options(interpret)
    interpret.set_defaults(handler=run_async(interpret_registers))


async def browse_device(args: argparse.Namespace) -> int:
    from device_browser.urls import SPARKPLUG_SCHEMES

    if args.target.split("://", 1)[0] in SPARKPLUG_SCHEMES:
        return await sparkplug_view.browse_broker(args)
    _, session = session_for(args.target, args)
    await session.connect()
    try:
        shown = await _print_tree(session, args.node, args.depth, 0)
    finally:
        await session.close()
    if not shown:
        print("millwright: nothing to browse here; a Modbus device without a profile has no tag list: read "
              "addresses (40001:float32) or look at registers with 'device interpret'", file=sys.stderr)
    return 0


async def _print_tree(session, tag: str | None, depth: int, level: int) -> int:
    """Print a level (and those below, to ``depth``); the number of items shown."""
    from device_browser.display import format_value

    items = await session.browse(tag)
    shown = len(items)
    for item in items:
        span = f"{format_value(item.eu_range[0])}…{format_value(item.eu_range[1])}" if item.eu_range else ""
        facts = "  ".join(x for x in (item.data_type, item.access, item.unit, span) if x)
        print(f"{'  ' * level}{item.name:{max(1, 36 - 2 * level)}} {facts:32} {item.tag}")
        if item.has_children and level + 1 < depth:
            shown += await _print_tree(session, item.tag, depth, level + 1)
    return shown


async def read_device(args: argparse.Namespace) -> int:
    from device_browser.display import format_time, format_value
    from nodes.quality import Quality

    profile, session = session_for(args.target, args)
    names = args.tags or ([p.name for p in profile.points] if profile else [])
    if not names:
        print("millwright: name the tags to read (NodeIds or Modbus addresses without a profile)", file=sys.stderr)
        return EXIT_USAGE
    tags = [profile.point(n).name for n in names] if profile else names  # unknown names: said here
    await session.connect()
    try:
        samples = await session.read(tags)
    finally:
        await session.close()
    points = {p.name: p for p in profile.points} if profile else {}
    labels = [_label(session, name, profile) for name in names]
    width = max(map(len, labels))
    for label, name, sample in zip(labels, names, samples, strict=True):
        point = points.get(name)
        value = format_value(sample.value, point.data_type if point else "")
        unit = point.unit if point else ""
        status = f" ({sample.status})" if sample.status and sample.quality else ""
        stamp = format_time(sample.source_time or sample.server_time)
        print(f"{label:{width}}  {value:>16} {unit:6} {Quality(sample.quality).label:9} {stamp}{status}")
    return 0 if all(s.quality == 0 for s in samples) else EXIT_DEVICE


def _label(session, name: str, profile) -> str:
    """A raw Modbus address in both forms, as the manual and the protocol count: ``40001 (hr:0) float32``."""
    from device_browser.modbus.client import ModbusSession
    from device_browser.session import DeviceError

    if profile is not None or not isinstance(session, ModbusSession):
        return name
    from device_browser.modbus.addresses import describe_tag

    try:
        return describe_tag(session.tag(name))
    except DeviceError:
        return name


async def write_device(args: argparse.Namespace) -> int:
    from device_browser.display import format_value
    from device_browser.session import WriteRefused
    from device_browser.writes import AuditLog, check_value, literal, raw_write, record_refusal, safe_write
    from workbench.app_dirs import state_dir

    audit = AuditLog(state_dir() / "audit.jsonl")
    profile, session = session_for(args.target, args)
    device = profile.id if profile else args.target
    if profile is not None:
        point = profile.point(args.tag)
        try:
            value = check_value(profile, point, args.value)  # refuse bad values before asking anything
        except WriteRefused as exc:
            record_refusal(audit, device, point.name, args.value, exc)
            raise
    else:
        value = literal(args.value)  # the device's session converts it to the tag's own type, or refuses
    if not args.yes:
        print(f"Would write {value!r} to '{args.tag}' of {device}. Add --yes to write it.", file=sys.stderr)
        return EXIT_USAGE
    await session.connect()
    try:
        if profile is not None:
            record = await safe_write(session, profile, args.tag, value, audit)
        else:
            record = await raw_write(session, device, args.tag, value, audit)
    finally:
        await session.close()
    print(f"{device} {args.tag}: {format_value(record.old)} → {format_value(record.new)}, "
          f"read back {format_value(record.readback)} (recorded in the audit log)")
    return 0


async def call_method(args: argparse.Namespace) -> int:
    from device_browser.display import format_value

    _, session = session_for(args.target, args)
    await session.connect()
    try:
        outputs = await session.call(args.object, args.method, args.args)
    finally:
        await session.close()
    print(f"{args.method}: " + (", ".join(format_value(v) for v in outputs) if outputs else "done (no outputs)"))
    return 0


async def interpret_registers(args: argparse.Namespace) -> int:
    from device_browser.modbus.addresses import parse_address, protocol_address
    from device_browser.modbus.interpret import format_interpretations, interpret
    from device_browser.session import DeviceError

    first = parse_address(args.address)
    if first.area.is_bit:
        raise DeviceError(f"{args.address} is a bit ({first.area}); interpret reads registers (3xxxx or 4xxxx)")
    if not 1 <= args.count <= 125:
        print("millwright: --count takes 1 to 125 registers (one Modbus request)", file=sys.stderr)
        return EXIT_USAGE
    tags = [f"{protocol_address(first.area, first.address + i)}:uint16" for i in range(args.count)]
    _, session = session_for(args.target, args)
    await session.connect()
    try:
        samples = await session.read(tags)
    finally:
        await session.close()
    bad = next((s for s in samples if s.quality), None)
    if bad is not None:
        raise DeviceError(f"{bad.tag.removesuffix(':uint16')}: {bad.status}")
    print("\n".join(format_interpretations(interpret([s.value for s in samples]), first.address, first.area)))
    return 0
