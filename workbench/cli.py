"""The ``millwright`` command: opens the workbench, and hosts headless subcommands.

Only the GUI path imports Qt, so the headless subcommands run on machines without it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from workbench import (
    __version__,
    app_commands,
    component_commands,
    data_commands,
    device_cli,
    graph_commands,
    project_commands,
)
from workbench.settings import LANGUAGES, THEMES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="millwright",
        description="Millwright: low-code engineering workbench for industrial apps. "
                    "Without a command it opens the workbench.")
    parser.add_argument("--version", action="version", version=f"Millwright {__version__}")
    parser.add_argument("-p", "--project", type=Path, metavar="FOLDER",
                        help="project folder to open in the workbench")
    parser.add_argument("--lang", choices=LANGUAGES, help="user-interface language for this run")
    parser.add_argument("--theme", choices=THEMES, help="colour theme for this run")
    # Used by `make bench` and the smoke test: print start-up figures once the window is shown.
    parser.add_argument("--quit-after-shown", action="store_true", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    project_commands.add_commands(commands)
    graph_commands.add_commands(commands)
    device_cli.add_commands(commands)
    app_commands.add_commands(commands)
    component_commands.add_commands(commands)
    data_commands.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from workbench.ui.application import run_workbench

        return run_workbench(project=args.project, language=args.lang, theme_name=args.theme,
                             quit_after_shown=args.quit_after_shown)
    from workbench.project import ProjectError

    try:
        return args.handler(args)
    except ProjectError as exc:
        print(f"millwright: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader stopped reading (`… | head`): not a failure of ours. Point stdout at /dev/null so
        # that Python's own flush at exit does not fail a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
