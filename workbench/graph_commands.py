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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.jsonfile import FileFormatError
from workbench.settings import LANGUAGES

if TYPE_CHECKING:
    from nodes.registry import ComponentRegistry

EXIT_BAD_GRAPH, EXIT_BAD_DATA, EXIT_NODES_FAILED, EXIT_INTERRUPTED = 2, 1, 3, 130
# The GUI's spellings (en, zh_CN, system) and the short zh all work for `components`.
COMPONENT_LANGUAGES = tuple(dict.fromkeys(("en", "zh", "zh_CN", "system", *LANGUAGES)))


def add_commands(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run-graph", help="run a graph over a recording (CSV or Parquet)",
                              description="Run GRAPH over a recording and write its outputs.")
    run.add_argument("graph", type=Path, metavar="GRAPH")
    run.add_argument("--input", "-i", type=Path, required=True, metavar="IN", help="CSV or Parquet recording")
    run.add_argument("--output", "-o", type=Path, required=True, metavar="OUT", help="CSV or Parquet file to write")
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
    from device_browser.recordings import RecordingError, check_output, open_sink, open_source
    from nodes.engine import GraphError, compile_graph, run_batch
    from nodes.graph import GraphFormatError, load_graph

    if args.chunk < 1:
        return _fail(EXIT_BAD_DATA, "--chunk must be at least 1")
    try:  # before any work: a run is not lost to an output that cannot be written
        check_output(args.output, args.input)
    except RecordingError as exc:
        return _fail(EXIT_BAD_DATA, str(exc))
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
    for warning in compiled.warnings:
        print(f"  {warning}", file=sys.stderr)
    columns = list(compiled.inputs)
    started = time.perf_counter()
    try:
        source = open_source(args.input, args.time_column, args.time_unit)
        source.check_columns(columns)
        source.check_rows()
        sink = open_sink(args.output)
    except RecordingError as exc:
        return _fail(EXIT_BAD_DATA, str(exc))
    except OSError as exc:  # the input cannot be opened (permissions, a folder, a device error)
        return _fail(EXIT_BAD_DATA, f"{args.input}: the recording cannot be read ({exc.strerror or exc})")
    rows = 0
    progress = None

    def counted(chunks):
        nonlocal rows
        for chunk in chunks:
            size = len(next(iter(chunk.values()))) if chunk else 0
            rows += size
            progress.update(size)
            yield chunk

    try:
        progress = _progress(source.count_rows(), args.quiet)
        run = run_batch(compiled, counted(source.chunks(columns, args.chunk)), sink.write)
        sink.close()
    except RecordingError as exc:
        sink.abort()
        return _fail(EXIT_BAD_DATA, f"{exc}\nNothing was written to {args.output}.")
    except OSError as exc:  # reading the input failed midway (the sink words its own errors)
        sink.abort()
        return _fail(EXIT_BAD_DATA, f"{args.input}: the recording cannot be read ({exc.strerror or exc})\n"
                                    f"Nothing was written to {args.output}.")
    except KeyboardInterrupt:
        sink.abort()
        return _fail(EXIT_INTERRUPTED, f"interrupted; nothing was written to {args.output}")
    except BaseException:
        sink.abort()
        raise
    finally:
        if progress is not None:
            progress.close()
    seconds = time.perf_counter() - started
    rate = rows / seconds if seconds > 0 else float("inf")
    print(f"{rows} rows in {seconds:.2f} s ({rate:,.0f} rows/s); {sink.rows} rows written to {args.output}")
    if run.failures:
        for node, message in run.failures.items():
            print(f"  node '{node}' failed: {message} (its outputs are marked bad)", file=sys.stderr)
        return EXIT_NODES_FAILED
    return 0


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


def _progress(total: int, quiet: bool):
    from tqdm import tqdm

    # A bar only where it helps: long inputs on a terminal.
    disable = quiet or total < 200_000 or not sys.stderr.isatty()
    return tqdm(total=total, unit="rows", unit_scale=True, disable=disable, file=sys.stderr)


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
