"""Where Millwright keeps per-user files (platformdirs: XDG on Linux, AppData on Windows)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "millwright"


def config_dir() -> Path:
    """Settings, window layout and recent projects."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """Certificates, trust stores and other data that must survive upgrades."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """Recovery copies of unsaved work and logs."""
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))
