"""Headless graph commands: ``millwright run-graph`` and ``millwright components``.

Both use the project's own components (``components/*.json``) besides the installed ones:
the project given with ``millwright --project FOLDER``, else, for ``run-graph``, the project
the graph is in (``FOLDER/graphs/GRAPH`` beside ``FOLDER/project.json``). Its Python script
components (``components/*.py``) run only when the folder is trusted (in the workbench, or
``run-graph --trust``): a graph that needs them refuses to run otherwise and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import data_commands
from workbench.jsonfile import FileFormatError
from workbench.settings import LANGUAGES

if TYPE_CHECKING:
    from nodes.engine import CompiledGraph
    from nodes.registry import ComponentRegistry

EXIT_BAD_GRAPH, EXIT_BAD_DATA, EXIT_NODES_FAILED, EXIT_INTERRUPTED = 2, 1, 3, 130
# The GUI's spellings (en, zh_CN, system) and the short zh all work for `components`.
COMPONENT_LANGUAGES = tuple(dict.fromkeys(("en", "zh", "zh_CN", "system", *LANGUAGES)))


def add_commands(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run-graph", help="run a graph over a recording (CSV or Parquet)",
                              description="Run GRAPH over a recording and write its outputs.")
    run.add_argument("graph", type=Path, metavar="GRAPH")
    run.add_argument("--input", "-i", nargs="+", metavar="IN",
                     help="CSV or Parquet recording; several, a quoted pattern ('recordings/*.parquet') or a "
                          "folder run as a batch on a Dask cluster, one result per recording")
    run.add_argument("--output", "-o", type=Path, required=True, metavar="OUT",
                     help="CSV or Parquet file to write (a batch run: the folder for OUT/<recording>.<ext>)")
    run.add_argument("--chunk", type=int, default=100_000, metavar="N", help="rows per chunk (default 100000)")
    run.add_argument("--time-column", metavar="NAME", help="time column (default: detected)")
    run.add_argument("--time-unit", choices=("s", "ms", "us", "ns"), default="s",
                     help="unit of numeric times since 1970 (default s; ISO 8601 text needs none)")
    run.add_argument("--param", action="append", default=[], metavar="NODE.NAME=VALUE",
                     help="override a parameter, e.g. --param bp.low=10 (repeatable)")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    run.add_argument("--trust", action="store_true",
                     help="run the project's Python script components (components/*.py) even though the folder "
                          "was not trusted in the workbench")
    batch = run.add_argument_group("batch runs (Dask distributed)")
    batch.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing Dask scheduler, tcp://HOST:PORT or tls://HOST:PORT (default: a "
                            "LocalCluster on this machine); it runs code this command sends: name only your own")
    batch.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of the LocalCluster (default: one per CPU); with --scheduler, "
                            "the workers to wait for")
    batch.add_argument("--format", choices=("parquet", "csv"),
                       help="format of the results (default: each recording's own)")
    batch.add_argument("--tls-ca", type=Path, metavar="PEM", help="the CA certificate of a tls:// cluster")
    batch.add_argument("--tls-cert", type=Path, metavar="PEM", help="this client's certificate for a tls:// cluster")
    batch.add_argument("--tls-key", type=Path, metavar="PEM", help="the key of --tls-cert (unless in the same file)")
    data_commands.add_recording_input(run)  # --recording NAME [--store]: a stored recording (issue 21)
    run.set_defaults(handler=run_graph)

    components = commands.add_parser("components", help="list or describe the available components")
    actions = components.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the catalogue, grouped as in the palette")
    _add_language(listing)
    listing.set_defaults(handler=list_components)
    show = actions.add_parser("show", help="one component: ports, parameters, formula, reference")
    show.add_argument("name", help="type name, e.g. signal.bandpass")
    show.add_argument("--json", action="store_true", help="print the declaration as JSON")
    _add_language(show)
    show.set_defaults(handler=show_component)


def _add_language(parser: argparse.ArgumentParser) -> None:
    # No default here: `millwright --lang zh_CN components list` keeps the value given before the command.
    parser.add_argument("--lang", choices=COMPONENT_LANGUAGES, default=argparse.SUPPRESS,
                        help="language of titles and descriptions: en, zh or zh_CN (as for the "
                             "workbench), or system (default en)")


def text_language(choice: str | None) -> str:
    """'en' or 'zh' for a ``--lang`` spelling; 'system' follows the locale's environment variables."""
    if choice == "system":
        choice = next((os.environ[name] for name in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(name)), "en")
    return "zh" if (choice or "").lower().startswith("zh") else "en"


def parse_overrides(items: list[str]) -> dict[str, dict[str, Any]]:
    overrides: dict[str, dict[str, Any]] = {}
    for item in items:
        target, eq, raw = item.partition("=")
        node, dot, name = target.rpartition(".")
        if not eq or not dot or not node or not name:
            raise ValueError(f"--param '{item}' must look like NODE.NAME=VALUE, e.g. bp.low=10")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # plain text, e.g. a unit or a choice
        overrides.setdefault(node, {})[name] = value
    return overrides


def run_graph(args: argparse.Namespace) -> int:
    from device_browser.recordings import RecordingError, check_output
    from workbench.batch_runs import is_batch, run_many

    if args.recording is not None or not args.input:  # a stored recording: workbench.data_commands
        return data_commands.run_stored_graph(args)
    if args.chunk < 1:
        return _fail(EXIT_BAD_DATA, "--chunk must be at least 1")
    batch = is_batch(args)
    if not batch:
        args.input = Path(args.input[0])
        try:  # before any work: a run is not lost to an output that cannot be written
            check_output(args.output, args.input)
        except RecordingError as exc:
            return _fail(EXIT_BAD_DATA, str(exc))
    prepared = prepare_graph(args)
    if isinstance(prepared, int):
        return prepared
    graph, project, scripts, registry, compiled = prepared
    for warning in compiled.warnings:
        print(f"  {warning}", file=sys.stderr)
    if batch:
        return run_many(args, graph.to_text(), project, bool(scripts), registry)
    return _run_one(args, compiled)


def prepare_graph(args: argparse.Namespace) -> int | tuple:
    """The graph of ``args``, its project, the scripts it needs, the registry and the compiled graph; or an exit code.

    Every problem of the graph is printed at once; a graph needing script components of an
    untrusted folder is refused.
    """
    from nodes.engine import GraphError, compile_graph
    from nodes.graph import GraphFormatError, load_graph

    try:
        graph = load_graph(args.graph)  # the one loader: schema with line and column, then the engine
        project = getattr(args, "project", None) or project_of(args.graph)
        scripts = scripts_needed(graph, project)
        if scripts and not (args.trust or _trusted(project)):
            return _fail(EXIT_BAD_GRAPH, f"{args.graph} uses Python script components ({', '.join(scripts)}); "
                                         f"their code runs only in a trusted project folder: add --trust, or open "
                                         f"{project} in the workbench and trust it")
        registry = component_registry(project, scripts=bool(scripts))
        compiled = compile_graph(graph, registry, overrides=parse_overrides(args.param))
    except (FileFormatError, GraphFormatError, ValueError) as exc:
        if isinstance(exc, GraphError):
            print(f"{args.graph}: the graph cannot run ({len(exc.problems)} problem(s)):", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return EXIT_BAD_GRAPH
        return _fail(EXIT_BAD_GRAPH, str(exc))
    return graph, project, scripts, registry, compiled


def _run_one(args: argparse.Namespace, compiled: CompiledGraph) -> int:
    """``run-graph`` over one recording into one file, with a progress bar."""
    from device_browser.recordings import RecordingError

    started = time.perf_counter()
    progress = None

    def begin(total: int) -> None:
        nonlocal progress
        progress = _progress(total, args.quiet)

    try:
        run = run_recording(compiled, args.input, args.output, chunk=args.chunk, time_column=args.time_column,
                            time_unit=args.time_unit, begin=begin, counted=lambda rows: progress.update(rows))
    except RecordingError as exc:
        return _fail(EXIT_BAD_DATA, str(exc))
    except KeyboardInterrupt:
        return _fail(EXIT_INTERRUPTED, f"interrupted; nothing was written to {args.output}")
    finally:
        if progress is not None:
            progress.close()
    seconds = time.perf_counter() - started
    rate = run.rows / seconds if seconds > 0 else float("inf")
    print(f"{run.rows} rows in {seconds:.2f} s ({rate:,.0f} rows/s); {run.written} rows written to {args.output}")
    if run.failures:
        for node, message in run.failures.items():
            print(f"  node '{node}' failed: {message} (its outputs are marked bad)", file=sys.stderr)
        return EXIT_NODES_FAILED
    return 0


@dataclass
class RecordingRun:
    """What one run of a graph over one recording did: rows read and written, nodes that failed."""

    rows: int = 0
    written: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # node id -> message


def run_recording(compiled: CompiledGraph, source_path: Path, output: Path, *, chunk: int = 100_000,
                  time_column: str | None = None, time_unit: str = "s",
                  begin: Callable[[int], None] | None = None,
                  counted: Callable[[int], None] | None = None) -> RecordingRun:
    """Run ``compiled`` over the recording ``source_path`` and write its outputs to ``output`` atomically.

    The one way a recording is run headless, so that ``run-graph`` on one file and each task of
    a batch run (:mod:`workbench.batch_runs`) give the same file. ``begin`` is told the row count
    before the first chunk, ``counted`` each chunk's rows (progress). Raises
    :class:`~device_browser.recordings.RecordingError` with a message naming the file, row and
    column; on any failure or interruption nothing is written to ``output``.
    """
    from device_browser.recordings import RecordingError, open_sink, open_source
    from nodes.engine import run_batch

    columns = list(compiled.inputs)
    try:
        source = open_source(source_path, time_column, time_unit)
        source.check_columns(columns)
        source.check_rows()
        sink = open_sink(output)
    except OSError as exc:  # the input cannot be opened (permissions, a folder, a device error)
        raise RecordingError(f"{source_path}: the recording cannot be read ({exc.strerror or exc})") from None
    result = RecordingRun()

    def rows_of(chunks):
        for piece in chunks:
            size = len(next(iter(piece.values()))) if piece else 0
            result.rows += size
            if counted is not None:
                counted(size)
            yield piece

    try:
        if begin is not None:
            begin(source.count_rows())
        run = run_batch(compiled, rows_of(source.chunks(columns, chunk)), sink.write)
        sink.close()
    except RecordingError as exc:
        sink.abort()
        raise RecordingError(f"{exc}\nNothing was written to {output}.") from None
    except OSError as exc:  # reading the input failed midway (the sink words its own errors)
        sink.abort()
        raise RecordingError(f"{source_path}: the recording cannot be read ({exc.strerror or exc})\n"
                             f"Nothing was written to {output}.") from None
    except BaseException:
        sink.abort()
        raise
    result.written, result.failures = sink.rows, dict(run.failures)
    return result


def project_of(graph: Path) -> Path | None:
    """The project folder holding ``graph`` in its ``graphs/`` folder, or None."""
    folder = Path(graph).resolve().parent
    return folder.parent if folder.name == "graphs" and (folder.parent / "project.json").is_file() else None


def scripts_needed(graph, project: Path | None) -> list[str]:
    """The script files (``components/x.py``) declaring a type ``graph`` uses, also inside its project components."""
    from nodes.project_components import COMPONENTS_FOLDER, scripts_used
    from nodes.registry import default_registry

    return scripts_used(graph, Path(project) / COMPONENTS_FOLDER, default_registry()) if project is not None else []


def _trusted(project: Path) -> bool:
    from app_packager.folder_trust import TrustedFolders

    return TrustedFolders().is_trusted(project)


def component_registry(project: Path | None, scripts: bool | None = None) -> ComponentRegistry:
    """The installed components, and ``project``'s own when one is given; its bad component files are warned of.

    Script components (``components/*.py``) are imported only with ``scripts`` (None: when the user
    trusted the folder).
    """
    from nodes.project_components import COMPONENTS_FOLDER, load_project_components
    from nodes.registry import default_registry

    if project is None:
        return default_registry()
    scripts = _trusted(project) if scripts is None else scripts
    registry, problems = load_project_components(Path(project) / COMPONENTS_FOLDER, default_registry(),
                                                 scripts=scripts)
    for problem in problems:
        print(f"warning: {problem} (it is left out)", file=sys.stderr)
    return registry


def _progress(total: int, quiet: bool, unit: str = "rows", minimum: int = 200_000):
    from tqdm import tqdm

    # A bar only where it helps: long inputs (``minimum`` units) on a terminal.
    disable = quiet or total < minimum or not sys.stderr.isatty()
    return tqdm(total=total, unit=unit, unit_scale=unit == "rows", disable=disable, file=sys.stderr)


def _fail(code: int, message: str) -> int:
    print(f"millwright: {message}", file=sys.stderr)
    return code


def list_components(args: argparse.Namespace) -> int:
    registry = component_registry(getattr(args, "project", None))
    lang = text_language(getattr(args, "lang", None))
    category = None
    for cls in registry:
        if cls.category != category:
            category = cls.category
            print(f"\n{category}")
        print(f"  {cls.type_name:32} {cls.title.get(lang)}")
    print(f"\n{len(registry)} components")
    for problem in registry.problems:
        print(f"plug-in {problem.plugin} was skipped: {problem.message}", file=sys.stderr)
    return 0


def show_component(args: argparse.Namespace) -> int:
    registry = component_registry(getattr(args, "project", None))
    cls = registry.get(args.name)
    if cls is None:
        close = registry.close_matches(args.name)
        hint = (f" Did you mean {' or '.join(repr(name) for name in close)}?" if close
                else " See 'millwright components list'.")
        return _fail(1, f"there is no component '{args.name}'.{hint}")
    if args.json:
        print(json.dumps(cls.spec(), indent=2, ensure_ascii=False))
        return 0
    lang = text_language(getattr(args, "lang", None))
    print(f"{cls.type_name} — {cls.title.get(lang)} (version {cls.version}, {registry.origin(cls.type_name)})\n")
    print((cls.__doc__ or "").strip().replace("\n    ", "\n"))
    for heading, ports in (("Inputs", cls.inputs), ("Outputs", cls.outputs)):
        if ports:
            print(f"\n{heading}:")
            for p in ports:
                print(f"  {p.name:12} {p.kind.value:9} {p.unit or '(dimensionless)':12} {p.title.get(lang)}")
    if cls.params:
        print("\nParameters:")
        for p in cls.params:
            limits = "".join([f" ≥ {p.minimum:g}" if p.minimum is not None else "",
                              f" ≤ {p.maximum:g}" if p.maximum is not None else "",
                              f" one of {', '.join(p.choices)}" if p.choices else ""])
            print(f"  {p.name:14} {p.type:6} default {p.default!r}{limits} {p.unit}  {p.title.get(lang)}")
    return 0
