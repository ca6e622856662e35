"""``device password``, ``device trust`` and ``device cert``: who we are to a server, and whom we trust."""

from __future__ import annotations

import argparse


def add_commands(actions: argparse._SubParsersAction) -> None:
    """Nothing yet: passwords, the trust store and our certificate get their commands here."""
