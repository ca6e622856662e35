"""A command line's target — a profile, an OPC UA URL or a Modbus URL — as a session."""

from __future__ import annotations

import argparse

from workbench.device_cli.connection import session_for


def open_target(target: str, args: argparse.Namespace):
    """(profile or None, session not yet connected) for ``target``."""
    from device_browser.urls import MODBUS_SCHEMES, modbus_session_from_url

    if target.split("://", 1)[0] in MODBUS_SCHEMES:
        return None, modbus_session_from_url(target, getattr(args, "timeout", None))
    return session_for(target, args)
