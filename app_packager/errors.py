"""The errors of the app packager: each message names the file, entry or line it is about."""

from __future__ import annotations


class AppError(Exception):
    """An app that cannot be built, verified, published or installed; the message says why and where."""
