"""Bounds on how much text a widget is asked to lay out.

Qt lays out a label's or editor's whole text on the UI thread. A single unbroken line of
400,000 characters took 135 s in a word-wrapping editor (``WrapAtWordBoundaryOrAnywhere``
searches for a break point again and again: quadratic in the line length). Views pass long
user texts through these helpers before they reach a widget.
"""

from __future__ import annotations

ELLIPSIS = "…"


def elide_middle(text: str, max_chars: int) -> str:
    """``text`` if it has at most ``max_chars`` characters, else its start and end around "…".

    >>> elide_middle("Pump station 7, line 3", 12)
    'Pump s…ine 3'
    """
    if len(text) <= max_chars:
        return text
    keep = max(max_chars - len(ELLIPSIS), 0)
    head = (keep + 1) // 2
    return text[:head] + ELLIPSIS + (text[len(text) - (keep - head):] if keep - head else "")


def elide_end(text: str, max_chars: int) -> str:
    """``text`` cut after ``max_chars - 1`` characters with "…" if it is longer.

    >>> elide_end("a very long description", 10)
    'a very lo…'
    """
    if len(text) <= max_chars:
        return text
    return text[:max(max_chars - len(ELLIPSIS), 0)] + ELLIPSIS
