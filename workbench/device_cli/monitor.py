"""``device poll`` and ``device watch``: record a device's values to a file, through outages."""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

from workbench.device_cli.connection import add_connection_options, profile_session, run_async


def add_commands(actions: argparse._SubParsersAction) -> None:
    poll = actions.add_parser("poll", help="poll a profile's points and record them to CSV or Parquet")
    poll.add_argument("profile", type=Path)
    poll.add_argument("--duration", type=float, required=True, metavar="S", help="seconds to record")
    poll.add_argument("--output", "-o", type=Path, required=True, metavar="OUT")
    poll.add_argument("--interval", type=float, metavar="MS", help="poll period (default: the profile's, or 1000)")
    add_connection_options(poll)
    poll.set_defaults(handler=run_async(poll_device))


async def poll_device(args: argparse.Namespace) -> int:
    from device_browser.recordings import open_sink
    from device_browser.writes import session_tag
    from nodes.chunk import Chunk

    profile, session = profile_session(args.profile)
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
