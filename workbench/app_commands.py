"""``millwright app …``: make, build, sign, verify, publish and install industrial apps.

Each group of actions lives in its own module and registers itself on the ``app`` parser here.
An :class:`~app_packager.errors.AppError` ends the command with its message and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``millwright app`` and its actions."""
    app = commands.add_parser("app", help="make, build, sign, verify, publish and install industrial apps",
                              description="Industrial apps: a graph packaged with its manifest, test data and "
                                          "SBOM as a signed .iapp archive (see docs/apps.md).")
    actions = app.add_subparsers(dest="action", metavar="ACTION", required=True)
    for register in _action_groups():
        register(actions)


def _action_groups() -> list[Callable[[argparse._SubParsersAction], None]]:
    from workbench import (  # they import reporting_errors
        app_build_commands,
        app_image_commands,
        app_k8s_commands,
        app_publish_commands,
        app_run_commands,
        app_sign_commands,
    )

    return [app_build_commands.register, app_sign_commands.register, app_publish_commands.register,
            app_run_commands.register, app_k8s_commands.register, app_image_commands.register]


def reporting_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``handler`` with an AppError printed as ``millwright: message`` and exit status 1, never a traceback."""
    def run(args: argparse.Namespace) -> int:
        from app_packager.errors import AppError

        try:
            return handler(args)
        except AppError as exc:
            print(f"millwright: {exc}", file=sys.stderr)
            return 1

    return run
