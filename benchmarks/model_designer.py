"""The model designer's canvas on a 1,000-node graph (issue 18): open, pan and zoom, select-all and move.

The graph is generated from real library components with compatible ports: 50 lanes of 20 nodes
(an ``io.input`` in mm/s, 18 signal components — filters with one input, ``signal.add_subtract``
and ``signal.align`` with two, fed by the previous node, the lane's input (fan-out), the node two
back or the node above in the previous lane — and an ``io.output``): 1,000 nodes and 1,500 wires
that :func:`nodes.validation.validate` finds no error in. Offscreen, a 1280×800 canvas:

1. **Open**: ``Graph.from_text`` of its JSON, building the ``GraphCanvas`` (scene, items,
   validation), fit-all and the first paint (a synchronous ``viewport().repaint()``); target < 2 s.
2. **Pan and zoom** at fit-all zoom and at 100 %: ``FRAMES`` frames, alternately a scroll step
   (``horizontalScrollBar().setValue`` / the vertical one, sweeping their range) and a zoom step
   (``view.scale`` by ±3 %, in for the first half, out for the second), each followed by a
   synchronous repaint; median, p99, max; target p99 < 33 ms.
3. **Select all and move**, at fit-all zoom (every item visible): ``select_all()``, then ``MOVES``
   times one ``MoveNodes`` of every node by one grid step (what each step of a drag pushes) and the
   repaint; then as many undos, each with the repaint; the median of each.

Baseline, same run, same view size and render hints: a plain ``QGraphicsScene`` with the same
number of ``QGraphicsRectItem`` (the nodes' rectangles) and ``QGraphicsPathItem`` (the same
Bézier wires), the same operations (a move is ``setPos`` of every rectangle and a new path for
every wire). The canvas's figures are also given as ratios to the baseline's (``ratios``), which
vary less than either with the load of a shared machine. Results: benchmarks/results/model_designer.json.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "model_designer.json"
LANES, LANE_LENGTH = 50, 20
SPACING = (220.0, 140.0)
FRAMES = 200
MOVES = 5
ZOOM_STEP = 1.03
VIEW_SIZE = (1280, 800)
TARGET_OPEN_S = 2.0
TARGET_P99_MS = 33.0
FILTERS = ("signal.ewma", "signal.lowpass", "signal.moving_average", "signal.median", "signal.deadband",
           "signal.rate_limiter", "signal.delay")
MIXERS = ("signal.add_subtract", "signal.align")
TWO_INPUT_COLUMNS = frozenset({1, 2, 4, 6, 7, 9, 11, 12, 14, 16, 17})  # 11 of the 18 middle columns


def build_graph():
    """The benchmark graph: ``LANES`` × ``LANE_LENGTH`` nodes, 1.5 wires per node (see the module docstring)."""
    from nodes.graph import Graph

    graph = Graph("bench", "Generated for benchmarks/model_designer.py")
    for lane in range(LANES):
        ids = [f"in{lane}"]
        graph.add_node(ids[0], "io.input", {"column": f"v{lane}", "unit": "mm/s", "kind": "signal"},
                       position=(0.0, lane * SPACING[1]))
        for column in range(1, LANE_LENGTH - 1):
            node_id, position = f"n{lane}_{column}", (column * SPACING[0], lane * SPACING[1])
            if column - 1 in TWO_INPUT_COLUMNS:
                graph.add_node(node_id, MIXERS[column % 2], position=position)
                graph.connect(f"{ids[-1]}.y", f"{node_id}.a")
                graph.connect(f"{_second_source(lane, column, ids)}.y", f"{node_id}.b")
            else:
                graph.add_node(node_id, FILTERS[column % len(FILTERS)], position=position)
                graph.connect(f"{ids[-1]}.y", f"{node_id}.x")
            ids.append(node_id)
        graph.add_node(f"out{lane}", "io.output", {"column": f"r{lane}"},
                       position=((LANE_LENGTH - 1) * SPACING[0], lane * SPACING[1]))
        graph.connect(f"{ids[-1]}.y", f"out{lane}.x")
    return graph


def _second_source(lane: int, column: int, ids: list[str]) -> str:
    """Where a two-input node's ``b`` comes from: the lane's input, two back, or the lane above."""
    choice = column % 3
    if choice == 0 and lane > 0:
        return f"n{lane - 1}_{column}"
    return ids[0] if choice == 1 or len(ids) < 2 else ids[-2]


def _stats(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return {"frames": len(ms), "median_ms": round(statistics.median(ms), 2), "p99_ms": round(p99, 2),
            "max_ms": round(ms[-1], 2)}


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _median_of_moves(move: Callable[[], object], undo: Callable[[], object]) -> dict:
    """``MOVES`` moves, then as many undos: the median time of each, in seconds."""
    moves = [_timed(move) for _ in range(MOVES)]
    undos = [_timed(undo) for _ in range(MOVES)]
    return {"move_all_s": round(statistics.median(moves), 4), "undo_move_s": round(statistics.median(undos), 4)}


def _pan_zoom(view) -> dict:
    """``FRAMES`` frames alternating a scroll step and a zoom step, each with a synchronous repaint."""
    bars = (view.horizontalScrollBar(), view.verticalScrollBar())
    pan, zoom = [], []
    for frame in range(FRAMES):
        started = time.perf_counter()
        if frame % 2:
            bar = bars[(frame // 2) % 2]
            phase = (frame % 50) / 50  # a triangle wave across the range: every part of the scene
            bar.setValue(bar.minimum() + round((bar.maximum() - bar.minimum()) * min(phase, 1 - phase) * 2))
        else:
            factor = ZOOM_STEP if frame < FRAMES // 2 else 1 / ZOOM_STEP
            view.scale(factor, factor)
        view.viewport().repaint()
        (pan if frame % 2 else zoom).append(time.perf_counter() - started)
    return {"all": _stats(pan + zoom), "pan": _stats(pan), "zoom": _stats(zoom)}


def _at_zooms(view, fit: Callable[[], None]) -> dict:
    """Pan and zoom at fit-all zoom and at 100 %."""
    from qtpy.QtGui import QTransform

    fit()
    view.viewport().repaint()
    at_fit = _pan_zoom(view)
    view.setTransform(QTransform())
    view.centerOn(view.scene().itemsBoundingRect().center())
    view.viewport().repaint()
    return {"fit_all": at_fit, "zoom_100": _pan_zoom(view)}


def _window():
    """A shown, exposed top-level window, as the workbench's is when a graph opens in a tab of it:
    a synchronous repaint of a widget in a window not yet exposed paints nothing."""
    from qtpy.QtTest import QTest
    from qtpy.QtWidgets import QWidget

    window = QWidget()
    window.resize(*VIEW_SIZE)
    window.show()
    assert QTest.qWaitForWindowExposed(window), "the benchmark window was never exposed"
    return window


def _fill(window, widget) -> None:
    """Show ``widget`` over the whole of ``window``, laid out now (not at the next event-loop turn)."""
    widget.setGeometry(window.rect())
    widget.show()
    if widget.layout() is not None:
        widget.layout().activate()


def measure_canvas(text: str, registry) -> dict:
    """Open, pan/zoom and select-all-and-move on the model designer's canvas."""
    from qtpy.QtGui import QUndoStack

    from model_designer.canvas import GraphCanvas
    from model_designer.commands import MoveNodes, new_gesture
    from nodes.graph import Graph
    from nodes.validation import validate

    window = _window()
    started = time.perf_counter()
    graph = Graph.from_text(text, "benchmark")
    parsed = time.perf_counter()
    canvas = GraphCanvas(graph, registry, QUndoStack(), window)
    _fill(window, canvas)
    built = time.perf_counter()
    canvas.fit()
    canvas.view.viewport().repaint()
    painted = time.perf_counter()
    errors = [str(p) for p in validate(graph, registry).errors]
    assert not errors, f"the benchmark graph has errors: {errors[:3]}"
    result = {"open_s": round(painted - started, 3), "parse_s": round(parsed - started, 3),
              "build_canvas_s": round(built - parsed, 3), "fit_and_first_paint_s": round(painted - built, 3),
              "items": len(canvas.scene.items())}
    result.update(_at_zooms(canvas.view, canvas.fit))
    canvas.fit()
    canvas.view.viewport().repaint()
    result["select_all_s"] = round(_timed(canvas.select_all), 4)

    def move() -> None:
        positions = {i: (node.position[0] + 10, node.position[1] + 10) for i, node in graph.nodes.items()}
        canvas.undo_stack.push(MoveNodes(graph, positions, new_gesture()))
        canvas.view.viewport().repaint()

    def undo() -> None:
        canvas.undo_stack.undo()
        canvas.view.viewport().repaint()

    result.update(_median_of_moves(move, undo))
    canvas.detach()
    window.close()
    window.deleteLater()
    return result


class _Baseline:
    """A plain QGraphicsScene: one rectangle per node, one Bézier path per wire, nothing else."""

    def __init__(self, graph, registry, window):
        from qtpy.QtCore import QPointF, QRectF
        from qtpy.QtGui import QPainter
        from qtpy.QtWidgets import QGraphicsItem, QGraphicsRectItem, QGraphicsScene, QGraphicsView

        from model_designer.canvas.items import HEADER_HEIGHT, NODE_WIDTH, PORT_ROW

        self.scene = QGraphicsScene()
        self.rects: dict[str, QGraphicsRectItem] = {}
        for node_id, node in graph.nodes.items():
            cls = registry.get(node.type)
            rows = max(len(cls.inputs), len(cls.outputs), 1)
            rect = QGraphicsRectItem(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT + PORT_ROW * rows + 6))
            rect.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
            rect.setPos(*node.position)
            self.scene.addItem(rect)
            self.rects[node_id] = rect
        self.wires = []
        for edge in graph.edges:
            source, target = self.rects[edge.source], self.rects[edge.target]
            ends = (QPointF(NODE_WIDTH, HEADER_HEIGHT + PORT_ROW / 2), QPointF(0, HEADER_HEIGHT + PORT_ROW / 2))
            self.wires.append((self.scene.addPath(_bezier(source.pos() + ends[0], target.pos() + ends[1])),
                               source, target, ends))
        self.view = QGraphicsView(self.scene, window)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        _fill(window, self.view)

    def fit(self) -> None:
        from qtpy.QtCore import Qt

        rect = self.scene.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        self.view.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def move_all(self, dx: float, dy: float) -> None:
        for rect in self.rects.values():
            rect.moveBy(dx, dy)
        for wire, source, target, (start, end) in self.wires:
            wire.setPath(_bezier(source.pos() + start, target.pos() + end))
        self.view.viewport().repaint()


def _bezier(start, end):
    from model_designer.canvas.items import wire_path

    return wire_path(start, end)


def measure_baseline(graph, registry) -> dict:
    """The same operations on :class:`_Baseline`."""
    window = _window()
    started = time.perf_counter()
    baseline = _Baseline(graph, registry, window)
    baseline.fit()
    baseline.view.viewport().repaint()
    result = {"open_s": round(time.perf_counter() - started, 3), "items": len(baseline.scene.items())}
    result.update(_at_zooms(baseline.view, baseline.fit))
    baseline.fit()
    baseline.view.viewport().repaint()

    def select_all() -> None:
        for rect in baseline.rects.values():
            rect.setSelected(True)

    result["select_all_s"] = round(_timed(select_all), 4)
    result.update(_median_of_moves(lambda: baseline.move_all(10, 10), lambda: baseline.move_all(-10, -10)))
    window.close()
    window.deleteLater()
    return result


def measure() -> dict:
    from nodes.registry import default_registry
    from workbench.ui.application import create_application

    app = create_application()  # as the workbench makes it (its garbage-collector thresholds too)
    registry = default_registry()
    graph = build_graph()
    text = graph.to_text()
    canvas = measure_canvas(text, registry)
    app.processEvents()
    baseline = measure_baseline(graph, registry)
    canvas_p99 = {zoom: canvas[zoom]["all"]["p99_ms"] for zoom in ("fit_all", "zoom_100")}
    return {"nodes": len(graph.nodes), "wires": len(graph.edges), "graph_json_kb": round(len(text) / 1024),
            "view_size": list(VIEW_SIZE), "canvas": canvas, "baseline": baseline, "ratios": _ratios(canvas, baseline),
            "meets_open_target": canvas["open_s"] < TARGET_OPEN_S,
            "meets_p99_target": max(canvas_p99.values()) < TARGET_P99_MS,
            "platform": os.environ.get("QT_QPA_PLATFORM", ""), "cpus": os.cpu_count()}


def _ratios(canvas: dict, baseline: dict) -> dict:
    """The canvas's time over the baseline's, for each figure both have."""
    figures = {f"{zoom}_{stat}": (canvas[zoom]["all"][stat], baseline[zoom]["all"][stat])
               for zoom in ("fit_all", "zoom_100") for stat in ("median_ms", "p99_ms")}
    figures.update({key: (canvas[key], baseline[key]) for key in ("open_s", "move_all_s", "undo_move_s")})
    return {key: round(ours / theirs, 2) for key, (ours, theirs) in figures.items()}


def _frames(figures: dict) -> str:
    return ", ".join(f"{part} {f['median_ms']}/{f['p99_ms']}/{f['max_ms']}"
                     for part, f in ((p, figures[p]) for p in ("all", "pan", "zoom")))


def main() -> None:
    result = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    canvas, baseline, ratios = result["canvas"], result["baseline"], result["ratios"]
    print(f"\nModel designer: {result['nodes']} nodes, {result['wires']} wires ({result['graph_json_kb']} kB JSON), "
          f"{VIEW_SIZE[0]}×{VIEW_SIZE[1]} canvas ({result['platform']}, {result['cpus']} CPUs); "
          f"baseline: a plain QGraphicsScene of {baseline['items']} rectangles and paths")
    print(f"open: {canvas['open_s']} s (parse {canvas['parse_s']}, canvas {canvas['build_canvas_s']}, fit and "
          f"first paint {canvas['fit_and_first_paint_s']}; {canvas['items']} items); baseline {baseline['open_s']} s")
    for zoom, label in (("fit_all", "fit-all zoom"), ("zoom_100", "100 % zoom")):
        print(f"{label}, {FRAMES} frames, median/p99/max ms: canvas {_frames(canvas[zoom])}")
        print(f"{' ' * len(label)}                                baseline {_frames(baseline[zoom])}")
        print(f"{' ' * len(label)}                                canvas/baseline: median "
              f"{ratios[f'{zoom}_median_ms']}×, p99 {ratios[f'{zoom}_p99_ms']}×")
    print(f"select all: canvas {canvas['select_all_s'] * 1000:.1f} ms, "
          f"baseline {baseline['select_all_s'] * 1000:.1f} ms")
    for key, label in (("move_all_s", "move all + repaint"), ("undo_move_s", "undo the move + repaint")):
        print(f"{label}, median of {MOVES}: canvas {canvas[key] * 1000:.1f} ms, baseline {baseline[key] * 1000:.1f} ms "
              f"({ratios[key]}×)")
    print(f"Targets: open < {TARGET_OPEN_S:g} s {'met' if result['meets_open_target'] else 'MISSED'}; "
          f"p99 frame < {TARGET_P99_MS:g} ms {'met' if result['meets_p99_target'] else 'MISSED'}. "
          f"Written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
