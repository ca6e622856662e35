"""Locates the shipped resources (schemas, examples, profiles, translations, icons).

It lives in the lowest layer because every layer reads resources: the engine its JSON Schemas,
the drivers their device profiles, the workbench its translations.

In a source checkout or an editable install they sit next to the packages; in a PyInstaller
bundle they are unpacked under ``sys._MEIPASS`` (see ``build.spec``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def example_project() -> Path:
    """The example project that ``make run`` opens."""
    return resources_dir() / "examples" / "pump_station"
