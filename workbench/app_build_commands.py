"""``millwright app new`` and ``millwright app build``: a manifest from a graph, an archive from a manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.app_commands import reporting_errors

BINDINGS_FILE = "bindings.yaml"
TRUST_HELP = ("run the project's Python script components (components/*.py) the app uses, even though the folder "
              "was not trusted in the workbench")


def register(actions: argparse._SubParsersAction) -> None:
    """Add ``new`` and ``build`` to ``millwright app``."""
    new = actions.add_parser("new", help="write a manifest (apps/GRAPH/app.yaml) derived from a graph",
                             description="Write PROJECT/apps/<graph name>/app.yaml derived from GRAPH: its inputs "
                                         "become typed inputs (the project's bindings.yaml as suggested bindings), "
                                         "its outputs the app's outputs, the component versions it was saved with "
                                         "its requirements. Complete the classification, licence and tests before "
                                         "building.")
    new.add_argument("project", type=Path, metavar="PROJECT")
    new.add_argument("graph", type=Path, metavar="GRAPH", help="the graph file (a path, or relative to PROJECT)")
    new.add_argument("--id", dest="app_id", metavar="ID",
                     help="reverse-DNS id of the app, e.g. com.example.pump-efficiency "
                          "(default: com.example.<project>.<graph>, to be replaced)")
    new.add_argument("--force", action="store_true", help="replace an existing app.yaml")
    new.add_argument("--trust", action="store_true", help=TRUST_HELP)
    new.set_defaults(handler=reporting_errors(app_new))

    build = actions.add_parser("build", help="check, test and pack an app as ID-VERSION.iapp",
                               description="Check the app's manifest and graph, run its golden tests, and write a "
                                           "reproducible archive (default PROJECT/build/ID-VERSION.iapp). Refused, "
                                           "with every problem named, when a check or a golden test fails.")
    build.add_argument("project", type=Path, metavar="PROJECT")
    build.add_argument("target", type=Path, nargs="?", metavar="GRAPH|MANIFEST",
                       help="the app to build, by its app.yaml (or folder) or its graph; needed when the project "
                            "has several apps")
    build.add_argument("-o", "--output", type=Path, metavar="OUT", help="the archive to write")
    key = build.add_mutually_exclusive_group()
    key.add_argument("--sign", metavar="KEY", help="sign the archive with this key from the keyring (app keygen)")
    key.add_argument("--sign-file", type=Path, metavar="PATH", help="sign the archive with this private key file")
    build.add_argument("--trust", action="store_true", help=TRUST_HELP)
    build.set_defaults(handler=reporting_errors(app_build))


def app_new(args: argparse.Namespace) -> int:
    from app_packager.errors import AppError
    from app_packager.manifest import ManifestError, parse_manifest
    from app_packager.new_app import default_app_id, write_new_app

    project = args.project.resolve()
    graph_path = next((p for p in (args.graph, project / args.graph) if p.is_file()), None)
    if graph_path is None:
        raise AppError(f"{args.graph}: there is no such graph file, nor in the project {project}")
    graph_path = graph_path.resolve()
    if not graph_path.is_relative_to(project):
        raise AppError(f"{args.graph}: the graph is outside the project {project}; an app is built from the "
                       "project's own files")
    app_id = args.app_id or default_app_id(project.name, graph_path.stem)
    try:
        target, manifest = write_new_app(project, graph_path.relative_to(project).as_posix(), app_id,
                                         replace=args.force, trust_scripts=args.trust or None)
    except AppError as exc:
        raise AppError(f"{exc}; give --force to replace it" if "exists already" in str(exc) else str(exc)) from None
    shown = target.relative_to(project).as_posix()
    text = target.read_text(encoding="utf-8")
    print(f"Wrote {shown}: {len(manifest.inputs)} input(s), {len(manifest.outputs)} output(s), "
          f"{sum(i.binding is not None for i in manifest.inputs.values())} with a suggested binding.")
    try:
        parse_manifest(text, shown)
    except ManifestError as exc:
        print(f"Fix before building:\n{exc}")
    print(_next_steps(shown, args.app_id is None))
    return 0


def _next_steps(shown: str, default_id: bool) -> str:
    steps = ["id: replace com.example with a domain your organisation owns"] if default_id else []
    steps += ["name and description: the English and Chinese texts a catalogue shows",
              "license: an SPDX licence expression (it is LicenseRef-Proprietary now)",
              "classification: industry (GB/T 4754), lifecycle, level, generality and maturity "
              "(definitions in resources/schemas/app.schema.json)",
              "authors, parameters a site may change, resources and permissions",
              "tests: a recorded input and its expected outputs (make these with 'millwright run-graph')"]
    return f"Complete in {shown} before building:\n" + "\n".join(f"  - {s}" for s in steps)


def app_build(args: argparse.Namespace) -> int:
    from app_packager.build import BuildError, build_app, find_manifest

    manifest = find_manifest(args.project.resolve(), args.target) if args.target else None
    key = _signing_key(args)  # before the build: a missing key should not cost a build

    def progress(step: str, done: float) -> None:
        print(f"[{done:4.0%}] {step}", flush=True)

    try:
        result = build_app(args.project, manifest, args.output, progress=progress, trust_scripts=args.trust or None)
    except BuildError as exc:
        for report in exc.reports:
            if report.passed:
                print(report.describe())
        raise
    except KeyboardInterrupt:
        print("millwright: the build was interrupted; nothing was written", file=sys.stderr)
        return 130
    for report in result.reports:
        print(report.describe())
    for note in result.notes:
        print(f"note: {note}")
    print(f"Built {result.path} ({result.size:,} bytes)\nSHA-256 {result.sha256}")
    if key is not None:
        from app_packager.signing import sign_archive

        signature = sign_archive(result.path, key)
        print(f"Signed with key {signature.key}")
    return 0


def _signing_key(args: argparse.Namespace):
    """The private key ``--sign``/``--sign-file`` names, or None to build unsigned."""
    from app_packager.signing import load_private_key, read_private_key_file

    if args.sign_file:
        return read_private_key_file(args.sign_file)
    return load_private_key(args.sign) if args.sign else None
