"""Align and distribute the selected nodes: the geometry, and the undo step that applies it.

The geometry works on plain boxes (a node's position is its top-left corner; its size comes from
its item), so it is tested without a canvas. Each command is one :class:`MoveNodes` without a
gesture: a second align is a second undo step, never merged into the first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from qtpy.QtCore import QCoreApplication, Qt
from qtpy.QtGui import QAction, QKeySequence

from model_designer.commands import MoveNodes
from nodes.graph import Graph

if TYPE_CHECKING:
    from model_designer.canvas.widget import GraphCanvas

EDGES = ("left", "right", "top", "bottom", "centre", "middle")  # centre: on one vertical line; middle: one row
AXES = ("horizontal", "vertical")


class Box(NamedTuple):
    """A node's outline in scene coordinates: ``x``, ``y`` are its position (top-left)."""

    x: float
    y: float
    width: float
    height: float


def aligned(boxes: dict[str, Box], edge: str) -> dict[str, tuple[float, float]]:
    """New positions that line the boxes up on ``edge`` of them all (the leftmost left, the lowest bottom …)."""
    if edge not in EDGES:
        raise ValueError(f"align to one of {', '.join(EDGES)}, not '{edge}'")
    if edge == "left":
        x = min(b.x for b in boxes.values())
        return {i: (x, b.y) for i, b in boxes.items()}
    if edge == "right":
        right = max(b.x + b.width for b in boxes.values())
        return {i: (right - b.width, b.y) for i, b in boxes.items()}
    if edge == "top":
        y = min(b.y for b in boxes.values())
        return {i: (b.x, y) for i, b in boxes.items()}
    if edge == "bottom":
        bottom = max(b.y + b.height for b in boxes.values())
        return {i: (b.x, bottom - b.height) for i, b in boxes.items()}
    if edge == "centre":  # the centre of the boxes' common span, so no box jumps to one side
        centre = (min(b.x for b in boxes.values()) + max(b.x + b.width for b in boxes.values())) / 2
        return {i: (centre - b.width / 2, b.y) for i, b in boxes.items()}
    middle = (min(b.y for b in boxes.values()) + max(b.y + b.height for b in boxes.values())) / 2
    return {i: (b.x, middle - b.height / 2) for i, b in boxes.items()}


def distributed(boxes: dict[str, Box], axis: str) -> dict[str, tuple[float, float]]:
    """New positions with equal gaps between the boxes along ``axis``; the outermost two stay put.

    Equal gaps rather than equal steps of the corners: nodes differ in height, and it is the
    space between them that the eye compares.
    """
    if axis not in AXES:
        raise ValueError(f"distribute along one of {', '.join(AXES)}, not '{axis}'")
    horizontal = axis == "horizontal"

    def start(b: Box) -> float:
        return b.x if horizontal else b.y

    def size(b: Box) -> float:
        return b.width if horizontal else b.height

    order = sorted(boxes, key=lambda i: (start(boxes[i]), i))
    first, last = boxes[order[0]], boxes[order[-1]]
    span = start(last) + size(last) - start(first)
    gap = (span - sum(size(b) for b in boxes.values())) / max(len(order) - 1, 1)
    positions, at = {}, start(first)
    for node_id in order:
        b = boxes[node_id]
        positions[node_id] = (at, b.y) if horizontal else (b.x, at)
        at += size(b) + gap
    return positions


def align_command(graph: Graph, boxes: dict[str, Box], edge: str) -> MoveNodes | None:
    """The undo step aligning ``boxes`` on ``edge``; None when fewer than two or nothing would move."""
    return _move(graph, aligned(boxes, edge)) if len(boxes) >= 2 else None


def distribute_command(graph: Graph, boxes: dict[str, Box], axis: str) -> MoveNodes | None:
    """The undo step distributing ``boxes`` along ``axis``; None when fewer than three or nothing would move."""
    return _move(graph, distributed(boxes, axis)) if len(boxes) >= 3 else None


def _move(graph: Graph, positions: dict[str, tuple[float, float]]) -> MoveNodes | None:
    changed = {i: p for i, p in positions.items() if graph.nodes[i].position != p}
    return MoveNodes(graph, changed) if changed else None


# -- actions ---------------------------------------------------------------------------------------
class _ActionSpec(NamedTuple):
    shortcut: str  # "" for none
    run: Callable[[GraphCanvas], None]


_ACTIONS = (
    _ActionSpec("Ctrl+Alt+Left", lambda c: c.align("left")),
    _ActionSpec("Ctrl+Alt+Right", lambda c: c.align("right")),
    _ActionSpec("Ctrl+Alt+Up", lambda c: c.align("top")),
    _ActionSpec("Ctrl+Alt+Down", lambda c: c.align("bottom")),
    _ActionSpec("", lambda c: c.align("centre")),
    _ActionSpec("", lambda c: c.align("middle")),
    _ActionSpec("", lambda c: c.distribute("horizontal")),
    _ActionSpec("", lambda c: c.distribute("vertical")),
)


def _texts() -> list[str]:
    """The actions' texts in :data:`_ACTIONS` order (whole translate() calls, so lupdate finds them)."""
    return [QCoreApplication.translate("AlignActions", "Align Left"),
            QCoreApplication.translate("AlignActions", "Align Right"),
            QCoreApplication.translate("AlignActions", "Align Top"),
            QCoreApplication.translate("AlignActions", "Align Bottom"),
            QCoreApplication.translate("AlignActions", "Align Centres"),
            QCoreApplication.translate("AlignActions", "Align Middles"),
            QCoreApplication.translate("AlignActions", "Distribute Horizontally"),
            QCoreApplication.translate("AlignActions", "Distribute Vertically")]


def make_align_actions(canvas: GraphCanvas) -> list[QAction]:
    """One action per align/distribute command; the shortcuts work while the focus is in ``canvas``."""
    actions = []
    for spec in _ACTIONS:
        action = QAction(canvas)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(lambda _checked=False, run=spec.run: run(canvas))
        canvas.addAction(action)
        actions.append(action)
    retranslate_align_actions(actions)
    return actions


def retranslate_align_actions(actions: list[QAction]) -> None:
    for action, text in zip(actions, _texts(), strict=True):
        action.setText(text)
