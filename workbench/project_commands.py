"""``millwright project …``: create a project folder, check one without touching its devices or running its code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``project new`` and ``project check`` on the ``millwright`` parser."""
    project = commands.add_parser("project", help="create or check a project folder")
    actions = project.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", help="create an empty project folder")
    new.add_argument("folder", type=Path)
    new.add_argument("--name", help="project name (default: the folder name)")
    new.set_defaults(handler=project_new)
    check = actions.add_parser(
        "check", help="check a project folder: project.json, graphs, device profiles, bindings",
        description="Check everything in a project folder that can be checked without devices: project.json, "
                    "every graph in graphs/ (structure, then components, ports, units and loops), every device "
                    "profile in devices/, and bindings.yaml against the profiles. The project's components/*.py "
                    "are never imported or run. Exit status 1 when anything is wrong. Leftover temporary files "
                    "of interrupted saves are reported, and removed only with --fix.")
    check.add_argument("folder", type=Path)
    check.add_argument("--fix", action="store_true",
                       help="remove leftover temporary files (make sure nothing is saving into the project)")
    check.set_defaults(handler=project_check)


def project_new(args: argparse.Namespace) -> int:
    from workbench.project import Project

    project = Project.create(args.folder, args.name or args.folder.resolve().name)
    print(f"Created project '{project.name}' in {project.root}")
    return 0


def project_check(args: argparse.Namespace) -> int:
    from workbench.project_check import check_project

    report = check_project(args.folder, fix=args.fix)
    project = report.project
    if project is not None:
        print(f"Project '{project.name}' (schema {project.file_schema}, written by Millwright {project.written_by})")
        if project.read_only_reason:
            print(project.read_only_reason)
    if report.problems:
        print(f"millwright: {report.root}: {len(report.problems)} problem(s):", file=sys.stderr)
        for line in report.problems:
            print(f"  {line}", file=sys.stderr)
    for line in report.warnings:
        print(f"warning: {line}")
    for line in report.not_checked:
        print(f"not checked: {line}")
    for path in report.leftovers:
        shown = path.relative_to(report.root).as_posix()
        if path in report.removed:
            print(f"removed leftover temporary file {shown}")
        else:
            print(f"leftover temporary file {shown} (from a save or recording that was interrupted; "
                  "the real file is intact). Run with --fix to remove it.")
    print(report.summary())
    return 0 if report.ok else 1
