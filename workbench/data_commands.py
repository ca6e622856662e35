"""``millwright data``: record site data into the recording store, list, export, import and annotate it.

Engineers record on site, carry the project home and work on the recording there, so the
default store is the project's own ``data/recordings.sqlite`` (the project given with
``--project`` or ``millwright -p``, else the current folder when it is a project); ``--store``
names another SQLite file or a ``postgresql+psycopg://`` server. ``data record`` uses the one
recorder layer (:mod:`device_browser.live_recorder`): it commits every second and prints one
``committed N samples …`` line per commit, which is what survives a kill; device outages become
gaps and recording continues after the reconnect; a full disk stops it with a message naming
the path. ``run-graph GRAPH --recording NAME`` runs a stored recording (:func:`run_stored`).
No Qt here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.device_cli.connection import EXIT_USAGE, add_connection_options, run_async, run_command, session_for

if TYPE_CHECKING:

    from device_browser.store import RecordingStore

EXIT_DATA = 1  # a store, recording or file that cannot be used; a recording stopped by a full disk
EXPORT_FORMATS = ("csv", "parquet", "xlsx")


class DataCommandError(Exception):
    """A mistake a user can fix (no store, an unknown recording, a time that is not one); one line."""


def add_commands(commands: argparse._SubParsersAction) -> None:
    data = commands.add_parser("data", help="record site data into the recording store; list, export, import, "
                                            "annotate recordings",
                               description="The project's recording store (data/recordings.sqlite) or another "
                                           "(--store PATH or postgresql+psycopg://…).")
    actions = data.add_subparsers(dest="action", metavar="ACTION", required=True)

    record = actions.add_parser("record", help="record a device's tags into the store, through outages",
                                description="Subscribe to the tags and record them into the store, committing "
                                            "every second (one 'committed …' line each). Outages are stored as "
                                            "gaps; Ctrl-C ends the recording and keeps it.")
    record.add_argument("target", help="a device profile (YAML), opc.tcp://… or modbus+tcp://host:port/unit")
    record.add_argument("--duration", type=float, required=True, metavar="S", help="seconds to record")
    record.add_argument("--tags", metavar="A,B", help="points, NodeIds or addresses (default with a profile: all)")
    record.add_argument("--name", help="name of the new recording (default: device and start time)")
    record.add_argument("--interval", type=float, metavar="MS", help="sampling interval (default 1000 ms)")
    record.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="also write a CSV file or .parquet folder (as 'device poll -o')")
    record.add_argument("--operator", default=None, help="who records (default: the user name)")
    record.add_argument("--notes", default="", help="what is being recorded and why")
    _add_store_options(record)
    add_connection_options(record)
    record.set_defaults(handler=run_async(record_data))

    listing = actions.add_parser("list", help="the recordings: tags, samples, time range, size, gaps, annotations")
    _add_store_options(listing)
    listing.set_defaults(handler=run_command(list_data))

    export = actions.add_parser("export", help="write a recording (or a range of it) to CSV, Parquet or Excel",
                                description="One row per time, one column per tag (a tag without a sample at "
                                            "that time is empty); 'run-graph --input' reads the result.")
    export.add_argument("name", help="the recording")
    export.add_argument("--output", "-o", type=Path, required=True, metavar="FILE")
    export.add_argument("--format", choices=EXPORT_FORMATS, help="checked against the file's suffix")
    export.add_argument("--quality", action="store_true", help="also a '<tag> quality' column per tag")
    export.add_argument("--timezone", metavar="ZONE", help="write times in this zone, e.g. Asia/Shanghai "
                                                           "(default UTC)")
    _add_range_options(export)
    export.add_argument("--tags", metavar="A,B", help="only these tags (default: all)")
    export.add_argument("--label", help="only the samples inside annotations with this label")
    _add_store_options(export)
    export.set_defaults(handler=run_command(export_data))

    imported = actions.add_parser("import", help="a CSV, Parquet or Excel file (or a historian's export) as a new "
                                                 "recording",
                                  description="Read a file (units in headers such as 'flow [m3/h]'), or a "
                                              "historian's CSV export laid out as a mapping file says, into a new "
                                              "recording. Every bad cell or line is reported by line number; too "
                                              "many refuse the file.")
    imported.add_argument("file", type=Path)
    imported.add_argument("--name", help="name of the new recording (default: the file's name)")
    imported.add_argument("--mapping", type=Path, metavar="MAPPING.yaml",
                          help="the export's layout: time column and format, zone, wide or long, renames, units, "
                               "quality codes, separator, decimal comma, encoding (see device_browser.exchange)")
    imported.add_argument("--tz", metavar="ZONE", help="zone of times written without one, e.g. Asia/Shanghai "
                                                       "(default UTC)")
    _add_store_options(imported)
    imported.set_defaults(handler=run_command(import_data))

    annotate = actions.add_parser("annotate", help="label a time range of a recording ('pump cavitating')",
                                  description="Times are ISO 8601 (UTC unless a zone is given) or +SECONDS from "
                                              "the recording's start.")
    annotate.add_argument("name", help="the recording")
    annotate.add_argument("--start", required=True)
    annotate.add_argument("--end", required=True)
    annotate.add_argument("--label", required=True)
    annotate.add_argument("--note", default="")
    annotate.add_argument("--author", default=None, help="default: the user name")
    _add_store_options(annotate)
    annotate.set_defaults(handler=run_command(annotate_data))

    notes = actions.add_parser("annotations", help="list a recording's annotations, or remove one")
    notes.add_argument("name", help="the recording")
    notes.add_argument("--label", help="only annotations with this label")
    notes.add_argument("--remove", type=int, metavar="ID", help="remove the annotation ID (as listed)")
    _add_store_options(notes)
    notes.set_defaults(handler=run_command(list_annotations))


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH|URL",
                        help="an SQLite store file or postgresql+psycopg://user@host:port/db (default: the "
                             "project's data/recordings.sqlite)")
    # SUPPRESS: `millwright -p DIR data …` keeps the value given before the command.
    parser.add_argument("--project", type=Path, metavar="DIR", default=argparse.SUPPRESS,
                        help="project folder (default: the current folder, if it is a project)")


def _add_range_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--start", help="first time kept (ISO 8601, UTC unless a zone is given, or +SECONDS)")
    parser.add_argument("--end", help="time kept up to, not included")


def add_recording_input(run: argparse.ArgumentParser) -> None:
    """``run-graph``'s options for a stored recording (``--recording NAME``, ``--store``)."""
    group = run.add_argument_group("a stored recording instead of --input")
    group.add_argument("--recording", metavar="NAME", help="a recording of the store (see 'millwright data list')")
    group.add_argument("--store", metavar="PATH|URL", help="the store (default: the graph's project's)")
    group.add_argument("--align", default="none", metavar="RULE",
                       help="how tags recorded at different times meet: none (default: each time of any tag, "
                            "others empty there, as the CSV export), hold or linear, with an optional maximum "
                            "age ('hold 5s')")
    group.add_argument("--period", metavar="DURATION",
                       help="a fixed time base instead of the tags' own times, e.g. 100ms (with --align hold or "
                            "linear)")


# -- stores -----------------------------------------------------------------------------------------

def store_location(args: argparse.Namespace, project_hint: Path | None = None) -> str | Path:
    """The store a command names: ``--store``, else the project's ``data/recordings.sqlite``."""
    from device_browser.store import project_store_path

    if getattr(args, "store", None):
        return args.store
    project = getattr(args, "project", None) or project_hint
    if project is None and (Path.cwd() / "project.json").is_file():
        project = Path.cwd()
    if project is None:
        raise DataCommandError("no store: give --store PATH|URL, or --project DIR (or run inside a project folder)")
    if not (Path(project) / "project.json").is_file():
        raise DataCommandError(f"{project} is not a Millwright project folder (it has no project.json)")
    return project_store_path(Path(project), create=True)


@contextlib.contextmanager
def opened_store(args: argparse.Namespace, *, read_only: bool, project_hint: Path | None = None
                 ) -> Iterator[RecordingStore]:
    from device_browser.store import open_store

    store = open_store(store_location(args, project_hint), read_only=read_only)
    try:
        yield store
    finally:
        store.close()


def fail(message: str, code: int = EXIT_DATA) -> int:
    print(f"millwright: {message}", file=sys.stderr)
    return code


def _handled(call):
    """Run ``call``; a store, recording or file problem becomes one line and exit status 1."""
    from device_browser.recordings import RecordingError  # ExchangeError is one
    from device_browser.store import StoreError

    try:
        return call()
    except DataCommandError as exc:
        return fail(str(exc), EXIT_USAGE)
    except (StoreError, RecordingError) as exc:
        return fail(str(exc))


# -- record -----------------------------------------------------------------------------------------

async def record_data(args: argparse.Namespace) -> int:
    from device_browser.recordings import RecordingError
    from device_browser.store import StoreError

    try:
        return await _record(args)
    except DataCommandError as exc:
        return fail(str(exc), EXIT_USAGE)
    except (StoreError, RecordingError) as exc:
        return fail(str(exc))


async def _record(args: argparse.Namespace) -> int:
    from device_browser.bus import LiveBus
    from device_browser.live_recorder import FileSink, LiveRecorder, RecorderError, record_from_bus
    from device_browser.recorder import check_new_output, open_recorder
    from device_browser.store import TagInfo
    from device_browser.store_sink import StoreSink

    if not args.duration > 0:
        raise DataCommandError(f"--duration must be more than 0 s, not {args.duration:g}")
    profile, session = session_for(args.target, args)
    names = _split(args.tags) or ([p.name for p in profile.points] if profile else [])
    if not names:
        raise DataCommandError("name the tags to record with --tags (NodeIds or Modbus addresses without a profile)")
    points = {n: profile.point(n) for n in names} if profile else {}  # an unknown point is named here
    device = profile.id if profile else args.target
    if args.output is not None:
        try:
            check_new_output(args.output)
        except RecorderError as exc:
            raise DataCommandError(str(exc)) from None
    with opened_store(args, read_only=False) as store:
        name = args.name or f"{device} {dt.datetime.now().strftime('%Y-%m-%d %H:%M:%S')}"
        if any(r.name == name for r in store.recordings()):
            raise DataCommandError(f"{store.location}: there is already a recording named '{name}'; choose another "
                                   "--name")
        await session.connect()  # the first connection must work: a typo should not wait out the duration
        interrupted = False
        try:
            infos = [TagInfo(n, unit=getattr(points.get(n), "unit", "") or "", device=device,
                             point=n if profile else "", ref=f"{device}/{n}" if profile else f"{device}@{n}")
                     for n in names]
            sinks = [StoreSink(store, name, infos, operator=args.operator or _user(), devices=[device],
                               notes=args.notes)]
            if args.output is not None:
                sinks.append(FileSink(open_recorder(args.output, names)))
            recorder = LiveRecorder(names, sinks)
            recorder.status_changed.connect(_committed_lines())
            interval_ms = args.interval or min((p.interval_ms for p in points.values() if p.interval_ms),
                                               default=1000.0)
            bus = LiveBus(capacity=max(10_000, int(120_000 / max(interval_ms, 1.0))))
            reader = bus.reader(names, from_start=True)
            subscription = await session.subscribe(names, interval_ms, bus)
            undo = recorder.follow(session, device)
            print(f"recording {len(names)} tag(s) of {device} into '{name}' in {store.location} "
                  f"for {args.duration:g} s", flush=True)
            try:
                status = await record_from_bus(recorder, reader, args.duration)
            except asyncio.CancelledError:
                interrupted, status = True, recorder.status
            finally:
                undo()
                with contextlib.suppress(Exception):
                    await asyncio.shield(subscription.close())
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(session.close())
    if recorder.failed:
        return fail(f"{status.message}\n{status.committed} samples of '{name}' were committed before it stopped")
    print(f"recorded '{name}': {status.text()}{' (stopped by Ctrl-C)' if interrupted else ''}")
    return 0


def _committed_lines() -> Callable[[Any], None]:
    """A listener printing one line per commit that added samples: what a kill can no longer lose."""
    said = [0, 0]  # samples, slow commits

    def say(status: Any) -> None:
        if status.committed > said[0]:
            said[0] = status.committed
            print(f"committed {status.committed} samples ({status.duration_s:.1f} s, {status.gaps} gap(s))",
                  flush=True)
        if status.slow_commits > said[1]:
            if not said[1]:
                print(f"warning: a commit took {status.longest_commit_s:.1f} s, more than a second: a kill may lose "
                      "that much; record fewer tags or a longer --interval", file=sys.stderr, flush=True)
            said[1] = status.slow_commits

    return say


def _user() -> str:
    with contextlib.suppress(Exception):
        return getpass.getuser()
    return ""


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


# -- list -------------------------------------------------------------------------------------------

def list_data(args: argparse.Namespace) -> int:
    return _handled(lambda: _list(args))


def _list(args: argparse.Namespace) -> int:
    from device_browser.live_recorder import format_size

    with opened_store(args, read_only=True) as store:
        recordings = store.recordings()
        if not recordings:
            print(f"no recordings in {store.location}")
            return 0
        print(f"{len(recordings)} recording(s) in {store.location}")
        for rec in recordings:
            stats = store.statistics(recording=rec)
            samples = int(stats["count"].sum()) if len(stats) else 0
            tags = ", ".join(f"{tag} [{unit}]" if unit else str(tag) for tag, unit in zip(stats.index, stats["unit"],
                                                                                           strict=True))
            first, last = (stats["first"].min(), stats["last"].max()) if samples else (None, None)
            span = f"{_when(first)} → {_when(last)} ({(last - first).total_seconds():.1f} s)" if samples else "empty"
            state = "" if rec.ended_ns else " (recording, or stopped without finishing)"
            print(f"\n{rec.name}{state}")
            print(f"  by {rec.operator or '-'}; devices {', '.join(rec.devices) or '-'}; started "
                  f"{_when(_stamp(rec.started_ns))}")
            print(f"  time     {span}")
            print(f"  tags     {tags or '-'}")
            print(f"  samples  {samples}, {format_size(store.stored_bytes(rec))}, {len(store.gaps(rec))} gap(s), "
                  f"{len(store.annotations(rec))} annotation(s)")
            if rec.notes:
                print(f"  notes    {rec.notes}")
    return 0


def _stamp(ns: int | None):
    import pandas as pd

    return None if ns is None else pd.Timestamp(ns, tz="UTC")


def _when(stamp) -> str:
    return "-" if stamp is None else stamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


# -- export / import --------------------------------------------------------------------------------

def export_data(args: argparse.Namespace) -> int:
    return _handled(lambda: _export(args))


def _export(args: argparse.Namespace) -> int:
    from device_browser.exchange import export_recording

    _check_format(args.output, args.format)
    with opened_store(args, read_only=True) as store:
        rec = store.recording(args.name)
        rows = export_recording(store, rec, args.output, tags=_split(args.tags) or None,
                                start=_time(args.start, rec, "--start"), end=_time(args.end, rec, "--end"),
                                label=args.label, quality=args.quality, timezone=args.timezone)
    print(f"{rows} rows of '{rec.name}' written to {args.output}")
    return 0


def _check_format(path: Path, fmt: str | None) -> None:
    """``--format`` must agree with the file's suffix (which is what other tools go by)."""
    suffixes = {"csv": (".csv", ".txt"), "parquet": (".parquet", ".pq"), "xlsx": (".xlsx",)}
    if fmt is not None and path.suffix.lower() not in suffixes[fmt]:
        raise DataCommandError(f"{path}: --format {fmt} needs a file named *{suffixes[fmt][0]}")


def import_data(args: argparse.Namespace) -> int:
    return _handled(lambda: _import(args))


def _import(args: argparse.Namespace) -> int:
    import dataclasses

    from device_browser.exchange import CsvMapping, read_file
    from device_browser.store import TagInfo

    mapping = CsvMapping.load(args.mapping) if args.mapping else None
    if args.tz:
        mapping = dataclasses.replace(mapping or CsvMapping(), timezone=args.tz)
    imported = read_file(args.file, mapping)  # refuses a file with too many bad rows, listing them
    for problem in imported.problems:  # each bad cell or line, by line number: never dropped silently
        print(f"warning: {problem}", file=sys.stderr)
    for note in imported.notes:
        print(note, file=sys.stderr)
    chunks = {tag: _present(chunk) for tag, chunk in imported.chunks.items()}
    chunks = {tag: chunk for tag, chunk in chunks.items() if len(chunk)}
    if not chunks:
        raise DataCommandError(f"{args.file}: no samples to import")
    name = args.name or args.file.stem
    with opened_store(args, read_only=False) as store:
        if any(r.name == name for r in store.recordings()):
            raise DataCommandError(f"{store.location}: there is already a recording named '{name}'; choose another "
                                   "--name")
        first = min(int(c.t[0]) for c in chunks.values())
        last = max(int(c.t[-1]) for c in chunks.values())
        rec = store.create_recording(name, operator=_user(), notes=f"imported from {args.file.name}", started=first)
        try:
            store.define_tags(rec, [TagInfo(tag, unit=imported.units.get(tag, "")) for tag in chunks])
            samples = store.append(rec, chunks)
            store.finish_recording(rec, last)
        except BaseException:
            store.delete_recording(rec)  # no half recording left behind
            raise
    skipped = f"; {len(imported.problems)} bad cell(s) or line(s) left out (above)" if len(imported.problems) else ""
    print(f"imported {samples} samples of {len(chunks)} tag(s) from {args.file} as '{name}'{skipped}")
    return 0


def _present(chunk: Any) -> Any:
    """A tag's samples without the empty cells of a wide file (no sample of that tag at that time)."""
    import numpy as np

    from nodes.chunk import BAD, Chunk

    keep = ~(np.isnan(chunk.v) & (chunk.q == BAD))
    return chunk if keep.all() else Chunk(chunk.t[keep], chunk.v[keep], chunk.q[keep])


# -- annotations ------------------------------------------------------------------------------------

def annotate_data(args: argparse.Namespace) -> int:
    return _handled(lambda: _annotate(args))


def _annotate(args: argparse.Namespace) -> int:
    with opened_store(args, read_only=False) as store:
        rec = store.recording(args.name)
        note = store.annotate(rec, _time(args.start, rec, "--start"), _time(args.end, rec, "--end"), args.label,
                              note=args.note, author=args.author if args.author is not None else _user())
    print(f"annotation {note.id} '{note.label}' on '{rec.name}': {_when(_stamp(note.start_ns))} → "
          f"{_when(_stamp(note.end_ns))}")
    return 0


def list_annotations(args: argparse.Namespace) -> int:
    return _handled(lambda: _annotations(args))


def _annotations(args: argparse.Namespace) -> int:
    with opened_store(args, read_only=args.remove is None) as store:
        rec = store.recording(args.name)
        if args.remove is not None:
            note = store.annotation(args.remove)
            if note.recording_id != rec.id:
                raise DataCommandError(f"annotation {args.remove} belongs to another recording, not '{rec.name}'")
            store.delete_annotation(note)
            print(f"removed annotation {note.id} '{note.label}' of '{rec.name}'")
            return 0
        notes = store.annotations(rec, label=args.label)
    for note in notes:
        text = f" — {note.note}" if note.note else ""
        print(f"{note.id:>5}  {_when(_stamp(note.start_ns))} → {_when(_stamp(note.end_ns))}  {note.label}"
              f"{text}{f' ({note.author})' if note.author else ''}")
    print(f"{len(notes)} annotation(s) of '{rec.name}'")
    return 0


def _time(text: str | None, rec: Any, option: str) -> int | None:
    """A time option: ISO 8601 (UTC unless a zone is given) or ``+SECONDS`` after the recording's start."""
    from device_browser.store import to_ns

    if text is None:
        return None
    if text.startswith("+"):
        try:
            seconds = float(text[1:])
        except ValueError:
            raise DataCommandError(f"{option} {text}: after '+' give seconds from the recording's start") from None
        return int(rec.started_ns + round(seconds * 1e9))
    return to_ns(text, option)


# -- run-graph on a stored recording ----------------------------------------------------------------

def run_stored_graph(args: argparse.Namespace) -> int:
    """``run-graph GRAPH --recording NAME``: see :mod:`workbench.stored_runs`."""
    from workbench.stored_runs import run_stored_graph as run

    return run(args)
