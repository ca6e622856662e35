"""``device poll`` and ``device watch``: record a device's values to a file, through outages.

Both keep going when the device goes away: the session reconnects by itself (see
:mod:`device_browser.session`), the outage is recorded as one ``bad`` row per tag with status
``BadNoCommunication``, and recording resumes when the device is back. Rows reach the disk at
least every second: the file of :mod:`device_browser.recorder` is a sink of the one recorder
layer (:mod:`device_browser.live_recorder`), which also stops a run cleanly on a full disk, naming
the file; ``--duration`` or Ctrl-C end a run cleanly, and nothing recorded is ever deleted.
``poll`` reads on a fixed schedule and says so when the device cannot keep it; ``watch`` records
what subscriptions deliver (OPC UA monitored items; a poll loop for Modbus) and reports per-tag
update, drop and overflow counts at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

from workbench.device_cli.connection import EXIT_DEVICE, EXIT_USAGE, add_connection_options, run_async, session_for


def add_commands(actions: argparse._SubParsersAction) -> None:
    poll = actions.add_parser(
        "poll", help="read tags on a schedule and record them to CSV or Parquet, through outages",
        description="Read the tags every interval and record them. Survives outages: the gap is recorded "
                    "and recording resumes when the device is back. Ctrl-C ends the run and keeps the file.")
    _add_recording_options(poll)
    poll.set_defaults(handler=run_async(poll_device))
    watch = actions.add_parser(
        "watch", help="record tags through subscriptions (OPC UA monitored items, Modbus polling)",
        description="Subscribe to the tags and record every change. Survives outages like 'poll'.")
    _add_recording_options(watch)
    watch.add_argument("--deadband", type=float, default=0.0, metavar="D",
                       help="absolute deadband: smaller changes are not reported (default 0)")
    watch.set_defaults(handler=run_async(watch_device))


def _add_recording_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a device profile (YAML), opc.tcp://… or modbus+tcp://host:port/unit")
    parser.add_argument("tags", nargs="*", metavar="TAG",
                        help="points of the profile, NodeIds or Modbus addresses (default with a profile: every point)")
    parser.add_argument("--duration", type=float, metavar="S", help="seconds to record (default: until Ctrl-C)")
    parser.add_argument("--output", "-o", type=Path, required=True, metavar="OUT",
                        help="CSV file, or a .parquet folder of part files")
    parser.add_argument("--interval", type=float, metavar="MS", help="period in ms (default: the profile's, or 1000)")
    parser.add_argument("--layout", choices=("long", "wide"), default="long",
                        help="long: one row per sample (default; fast with many tags); wide: one column per tag")
    add_connection_options(parser)


class _Run:
    """What a monitoring run shares between its loop, its status messages and its summary."""

    def __init__(self, args: argparse.Namespace, profile, session, tags: list[str], names: list[str]):
        from device_browser.live_recorder import FileSink, LiveRecorder
        from device_browser.recorder import open_recorder

        self.args, self.profile, self.session, self.tags, self.names = args, profile, session, tags, names
        self.file = FileSink(open_recorder(args.output, names, args.layout))
        self.recorder = LiveRecorder(names, [self.file])
        self.recorder.start()
        self.device = profile.id if profile else args.target
        self.started = time.monotonic()
        self.deadline = self.started + args.duration if args.duration else math.inf
        self.gaps = 0
        self.interrupted = False
        session.status_changed.connect(self._say_status)

    def _say_status(self, status) -> None:
        reason = f": {status.reason}" if status.reason else ""
        attempt = f" (attempt {status.attempt})" if status.attempt else ""
        print(f"{time.strftime('%H:%M:%S')} {status.state}{attempt}{reason}", file=sys.stderr, flush=True)

    def gap(self) -> None:
        """The device is gone: one bad row per tag, stamped now."""
        from device_browser.session import BAD, NO_COMMUNICATION

        now = time.time_ns()
        self.gaps += 1
        self.recorder.add_row(now, [math.nan] * len(self.names), [BAD] * len(self.names),
                              [NO_COMMUNICATION] * len(self.names))
        self.recorder.device_lost(self.device, now)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def finish(self) -> None:
        with contextlib.suppress(TypeError, ValueError):
            self.session.status_changed.disconnect(self._say_status)
        self.recorder.stop()

    def stopped_by_disk(self) -> bool:
        """The file could not be written (a full disk): say so, naming it; the rows written before are kept."""
        if self.recorder.failed:
            print(f"millwright: {self.recorder.status.message}", file=sys.stderr)
        return self.recorder.failed


async def _open_run(args: argparse.Namespace, *, wide: bool) -> _Run | None:
    profile, session = session_for(args.target, args)
    names = args.tags or ([p.name for p in profile.points] if profile else [])
    if not names:
        print("millwright: name the tags to record (NodeIds or Modbus addresses without a profile)", file=sys.stderr)
        return None
    if args.layout == "wide" and not wide:
        print("millwright: watch records each change with its own time; use the long layout", file=sys.stderr)
        return None
    tags = [profile.point(n).name for n in names] if profile else names  # unknown names: said here
    from device_browser.recorder import RecorderError, check_new_output

    try:
        check_new_output(args.output)  # before connecting: say it at once
    except RecorderError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return None
    # The first connection must work (a typo should not wait out the duration); only then is the
    # file made, so that a failed start leaves nothing behind to refuse the next try.
    await session.connect()
    try:
        return _Run(args, profile, session, tags, names)
    except RecorderError as exc:
        await session.close()
        print(f"millwright: {exc}", file=sys.stderr)
        return None


def _interval_s(args: argparse.Namespace, target_default_ms: float | None = None) -> float:
    return (args.interval or target_default_ms or 1000.0) / 1000.0


async def _until_stopped(run: _Run, body: Callable[[], asyncio.Future]) -> None:
    """Run ``body`` until it returns or Ctrl-C (the task is cancelled), and always close the file."""
    try:
        await body()
    except asyncio.CancelledError:
        run.interrupted = True  # asyncio.run cancels us on Ctrl-C: finish cleanly, keep the file
    finally:
        run.finish()
        with contextlib.suppress(Exception):
            await asyncio.shield(run.session.close())


async def poll_device(args: argparse.Namespace) -> int:
    run = await _open_run(args, wide=True)
    if run is None:
        return EXIT_USAGE
    points = run.profile.points if run.profile else []
    interval = _interval_s(args, min((p.interval_ms for p in points if p.interval_ms), default=None))
    stats = {"polls": 0, "missed": 0, "warned": False}
    await _until_stopped(run, lambda: _poll_loop(run, interval, stats))
    if run.stopped_by_disk():
        return EXIT_DEVICE
    achieved = stats["polls"] / max(run.elapsed(), 1e-9)
    missed = f"; {stats['missed']} missed: a poll took longer than the interval" if stats["missed"] else ""
    print(f"{stats['polls']} polls of {len(run.tags)} tags in {run.elapsed():.1f} s "
          f"({achieved:.2f} polls/s of {1 / interval:.2f} asked{missed}); "
          f"{run.gaps} outage(s); {run.file.rows} rows written to {args.output}"
          f"{' (stopped by Ctrl-C)' if run.interrupted else ''}")
    _print_counters(run.session)
    return 0


async def _poll_loop(run: _Run, interval: float, stats: dict) -> None:
    from device_browser.session import DeviceError

    in_gap = False
    slot = time.monotonic()
    while run.remaining() > 0:
        try:
            samples = await run.session.read(run.tags)
        except DeviceError as exc:
            if not in_gap:
                print(f"{time.strftime('%H:%M:%S')} {exc}", file=sys.stderr, flush=True)
                run.gap()
                in_gap = True
        else:
            if in_gap:
                run.recorder.device_back(run.device)
            in_gap = False
            now = time.time_ns()  # one time per poll, as engineers read a poll log
            run.recorder.add_row(now, [s.value for s in samples], [s.quality for s in samples],
                                 [s.status for s in samples])
            stats["polls"] += 1
        if not run.recorder.tick():
            return  # the file could not be written: stopped cleanly, said after the loop
        slot += interval
        behind = time.monotonic() - slot
        if behind > 0:  # the poll took longer than the interval: skip the slots already missed
            skipped = math.ceil(behind / interval)
            stats["missed"] += skipped
            slot += skipped * interval
            if not stats["warned"] and stats["polls"] >= 2:
                stats["warned"] = True
                rate = stats["polls"] / max(run.elapsed(), 1e-9)
                print(f"warning: the device cannot keep a {interval * 1000:g} ms schedule with {len(run.tags)} tags: "
                      f"achieved {rate:.2f} polls/s", file=sys.stderr, flush=True)
        await asyncio.sleep(max(0.0, min(slot - time.monotonic(), run.remaining())))


async def watch_device(args: argparse.Namespace) -> int:
    from device_browser.bus import LiveBus

    run = await _open_run(args, wide=False)
    if run is None:
        return EXIT_USAGE
    interval = _interval_s(args)
    bus = LiveBus(capacity=max(1000, int(60 / interval)))  # a minute of updates per tag, whatever comes
    subscription = await run.session.subscribe(run.tags, interval * 1000, bus, deadband=args.deadband)
    by_tag = dict(zip(run.tags, run.names, strict=True))
    reader = bus.reader(run.tags, from_start=True)

    async def record() -> None:
        try:
            while run.remaining() > 0:
                await reader.wait(min(0.5, max(0.0, run.remaining())))
                _record_chunks(run, reader.read(), by_tag)
                if not run.recorder.tick():
                    return
        finally:
            _record_chunks(run, reader.read(), by_tag)
            with contextlib.suppress(Exception):
                await asyncio.shield(subscription.close())

    await _until_stopped(run, record)
    if run.stopped_by_disk():
        return EXIT_DEVICE
    stats = subscription.stats
    print(f"{run.file.rows} samples of {len(run.tags)} tags in {run.elapsed():.1f} s written to {args.output}"
          f"{' (stopped by Ctrl-C)' if run.interrupted else ''}")
    counts = [stats.updates.get(tag, 0) for tag in run.tags]
    print(f"updates per tag: min {min(counts)}, max {max(counts)}; outages {stats.gaps}; "
          f"overflows {stats.overflows}; dropped {stats.dropped + sum(reader.lost.values())}")
    if len(run.tags) <= 20:
        for name, count in zip(run.names, counts, strict=True):
            print(f"  {name}: {count}")
    _print_counters(run.session)
    return 0


def _record_chunks(run: _Run, chunks: dict, by_tag: dict[str, str]) -> None:
    # The bus keeps (time, value, quality): an outage shows as a bad sample without a status text.
    run.recorder.add_chunks({by_tag[tag]: chunk for tag, chunk in chunks.items()})


def _print_counters(session) -> None:
    counters = getattr(session, "counters", None)
    if counters is not None:
        print(counters.text())
