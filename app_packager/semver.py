"""Semantic Versioning 2.0.0 precedence (https://semver.org, §11), the order of an app's versions.

``packaging.version`` orders PEP 440 versions, not semantic ones: it reads ``1.0.0-rc.1`` as a
post-release of 1.0.0 and sorts it after 1.0.0. Here a pre-release comes before its release,
pre-release identifiers compare numerically when both are numeric, else in ASCII order, numeric
below alphanumeric, a shorter list first when all else is equal; build metadata (``+…``) does not
count. Versions differing only in build metadata tie; :func:`version_key` breaks that tie by the
text so that a sort is stable across runs.
"""

from __future__ import annotations

import re

from app_packager.errors import AppError

_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                     r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
                     r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")


def precedence(version: str) -> tuple:
    """A sort key giving semantic-version precedence; :class:`AppError` if ``version`` is not one."""
    match = _SEMVER.match(version)
    if match is None:
        raise AppError(f"'{version}' is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.0.0")
    major, minor, patch, pre, _build = match.groups()
    # A release (no pre-release part) ranks above every pre-release of the same MAJOR.MINOR.PATCH.
    pre_key = (1,) if pre is None else (0, *(_identifier(part) for part in pre.split(".")))
    return int(major), int(minor), int(patch), pre_key


def version_key(version: str) -> tuple:
    """:func:`precedence`, then the text, so that versions differing only in build metadata keep one order."""
    return precedence(version), version


def _identifier(part: str) -> tuple[int, int | str]:
    return (0, int(part)) if part.isdigit() else (1, part)


def is_release(version: str) -> bool:
    """True for ``1.2.3`` (and ``1.2.3+build``), False for a pre-release such as ``1.2.3-rc.1``."""
    return precedence(version)[3] == (1,)


def newest(versions: list[str] | tuple[str, ...]) -> str:
    """The highest release, or the highest pre-release when there is no release yet."""
    if not versions:
        raise AppError("no versions to choose from")
    releases = [v for v in versions if is_release(v)]
    return max(releases or versions, key=version_key)
