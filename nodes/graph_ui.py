"""The ``ui`` section of a graph file: comments, frames and reroute points, which the engine ignores.

They are model data, not view state: the canvas edits them through undo commands and draws them
from this model's events, like nodes. Node positions stay on the nodes (older files have them
there). In the file::

    "ui": {
      "comments": [{"id": "note1", "text": "…", "position": [x, y], "size": [w, h]}],
      "frames":   [{"id": "frame1", "title": "…", "position": [x, y], "size": [w, h]}],
      "reroutes": [{"from": "a.y", "to": "b.x", "points": [[x, y], …]}]
    }

Lists are sorted (by id, by wire) so that a file opened and saved is the same bytes. Keys this
version does not know are kept. Reroute points of a wire that no longer exists stay in memory
(an undo may bring the wire back) but are not saved.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from psygnal import Signal

COMMENT, FRAME = "comment", "frame"
_TEXT_KEY = {COMMENT: "text", FRAME: "title"}  # what the file calls an annotation's text
_LIST_KEY = {COMMENT: "comments", FRAME: "frames"}
Point = tuple[float, float]


@dataclass
class Annotation:
    """A comment (a text note) or a frame (a titled rectangle drawn behind nodes)."""

    id: str
    kind: str
    text: str = ""
    position: Point = (0.0, 0.0)
    size: Point = (200.0, 100.0)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {**self.extra, "id": self.id, _TEXT_KEY[self.kind]: self.text, "position": _pair(self.position),
                "size": _pair(self.size)}

    @classmethod
    def from_json(cls, kind: str, raw: dict[str, Any]) -> Annotation:
        known = {"id", _TEXT_KEY[kind], "position", "size"}
        return cls(str(raw["id"]), kind, str(raw.get(_TEXT_KEY[kind], "")),
                   _point(raw.get("position", (0.0, 0.0))), _point(raw.get("size", (200.0, 100.0))),
                   {k: v for k, v in raw.items() if k not in known})


class GraphUi:
    """Comments, frames and reroute points of one graph; edits emit events for the canvas to follow.

    Wires are named by their ends, ``("a.y", "b.x")``, so that this module needs no graph.
    """

    annotation_added = Signal(object)
    annotation_removed = Signal(str)
    annotation_changed = Signal(str)
    reroutes_changed = Signal(object)  # the wire, as (source ref, target ref)

    def __init__(self):
        self.annotations: dict[str, Annotation] = {}
        self.reroutes: dict[tuple[str, str], list[Point]] = {}
        self.extra: dict[str, Any] = {}

    # -- editing ---------------------------------------------------------------------------------
    def add(self, annotation: Annotation) -> None:
        if annotation.id in self.annotations:
            raise ValueError(f"there is already an annotation '{annotation.id}'")
        self.annotations[annotation.id] = annotation
        self.annotation_added.emit(annotation)

    def remove(self, annotation_id: str) -> None:
        del self.annotations[annotation_id]
        self.annotation_removed.emit(annotation_id)

    def update(self, annotation_id: str, *, text: str | None = None, position: Point | None = None,
               size: Point | None = None) -> None:
        """Change what is given; emits ``annotation_changed`` only on a real change."""
        annotation = self.annotations[annotation_id]
        before = (annotation.text, annotation.position, annotation.size)
        if text is not None:
            annotation.text = text
        if position is not None:
            annotation.position = _point(position)
        if size is not None:
            annotation.size = _point(size)
        if (annotation.text, annotation.position, annotation.size) != before:
            self.annotation_changed.emit(annotation_id)

    def set_reroutes(self, wire: tuple[str, str], points: Iterable[Point]) -> None:
        """The bends of ``wire``, in order from its source; no points: a straight wire again."""
        points = [_point(p) for p in points]
        if self.reroutes.get(wire, []) != points:
            if points:
                self.reroutes[wire] = points
            else:
                self.reroutes.pop(wire, None)
            self.reroutes_changed.emit(wire)

    def free_id(self, stem: str) -> str:
        return numbered_id(stem, self.annotations)

    # -- files -------------------------------------------------------------------------------------
    def to_json(self, wires: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """The section as saved; ``wires`` are the graph's wires (reroutes of others are dropped)."""
        data = dict(self.extra)
        for kind, key in _LIST_KEY.items():
            items = [a.to_json() for _, a in sorted(self.annotations.items()) if a.kind == kind]
            if items:
                data[key] = items
        existing = set(wires)
        reroutes = [{"from": w[0], "to": w[1], "points": [_pair(p) for p in points]}
                    for w, points in sorted(self.reroutes.items()) if w in existing]
        if reroutes:
            data["reroutes"] = reroutes
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GraphUi:
        ui = cls()
        ui.extra = {k: v for k, v in data.items() if k not in {*_LIST_KEY.values(), "reroutes"}}
        for kind, key in _LIST_KEY.items():
            for raw in data.get(key, []):
                annotation = Annotation.from_json(kind, raw)
                if annotation.id in ui.annotations:
                    raise ValueError(f"ui: there are two annotations '{annotation.id}'")
                ui.annotations[annotation.id] = annotation
        for raw in data.get("reroutes", []):
            ui.reroutes[(str(raw["from"]), str(raw["to"]))] = [_point(p) for p in raw.get("points", [])]
        return ui


def _point(value: Iterable[float]) -> Point:
    x, y = value
    return float(x), float(y)


def _pair(point: Point) -> list[float]:
    return [float(point[0]), float(point[1])]


def numbered_id(stem: str, taken: Container[str]) -> str:
    """The first of ``stem1``, ``stem2``, … not in ``taken`` (new node and annotation ids)."""
    number = 1
    while f"{stem}{number}" in taken:
        number += 1
    return f"{stem}{number}"
