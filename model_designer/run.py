"""Running a graph from the canvas: over a recording (batch or paced replay) or on live bus data.

A :class:`GraphRunner` compiles a copy of the graph and drives the engine's streaming executor
(:meth:`nodes.engine.Run.push`) on a worker thread of its own, so the UI thread never waits on
the recording, the bus or a slow component. What the canvas shows — run state, per-node badges,
wire probes — is published in a :class:`RunSnapshot` that the UI polls (about ten times a
second); sink outputs are kept in bounded :class:`SinkBuffer` s. No Qt here: the run-time store
lives beside the document, never on the undo stack nor in the file.

Three sources of ticks, one loop (the engine does not know which one feeds it):

* **batch** — the recording's chunks as fast as possible, with progress;
* **replay** — the recording cut into ticks of recording time, pushed at real time × ``speed``;
* **live** — bus samples of the bound tags, converted from each tag's unit (its binding's) to
  its input's, read every ``tick_s`` and resampled onto ``rate_hz``: each grid point holds the
  last value, marked uncertain once older than ``stale_after_s`` (bad before any value arrived).
  A run whose inputs are not all bound, or bound to tags whose unit cannot feed them, does not
  start and says which input and units.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from device_browser.bus import LiveBus
from device_browser.live_input import LiveResampler, LiveTag
from device_browser.live_input import live_tags as device_live_tags
from device_browser.recordings import open_source
from device_browser.tags import TagRef
from device_browser.watch import WatchItem, WatchList
from model_designer.input_bindings import bound_inputs
from nodes.chunk import Chunk
from nodes.engine import CompiledGraph, Run, compile_graph
from nodes.graph import Graph
from nodes.registry import ComponentRegistry

log = logging.getLogger(__name__)

HISTORY = 120  # samples a probe keeps for its sparkline
SINK_CAPACITY = 100_000  # samples (rows) kept per graph output
PUBLISH_S = 0.05  # a snapshot at most this often: the UI polls at ~10 Hz
BATCH_ROWS = 10_000  # rows per batch chunk: fine enough for progress and a prompt cancel
NS = 1_000_000_000


class RunState:
    """What a run is doing (plain strings: they go into snapshots and status text)."""

    STARTING, RUNNING, PAUSED, FINISHED, STOPPED, FAILED = "starting", "running", "paused", "finished", \
        "stopped", "failed"
    ACTIVE = frozenset({STARTING, RUNNING, PAUSED})


@dataclass(frozen=True)
class RecordingInput:
    """A recording (CSV or Parquet) to run over; ``speed`` 0 runs as fast as possible (batch)."""

    path: Path
    speed: float = 0.0
    tick_s: float = 0.1  # recording time per tick in paced replay
    time_column: str | None = None
    time_unit: str = "s"


@dataclass(frozen=True)
class LiveInput:
    """Live data: ``bindings`` maps a graph input (its column or its node id) to a tag on the bus.

    A binding's unit is the unit its tag's values come in ("" when not known: taken as they come).
    """

    bus: LiveBus
    bindings: dict[str, TagRef]
    rate_hz: float = 10.0
    tick_s: float = 0.1
    stale_after_s: float = 2.0


@dataclass(frozen=True)
class NodeStatus:
    """A node's badge: ``state`` is "waiting" (no samples yet), "ok" or "failed"."""

    state: str
    samples_per_s: float
    samples_out: int
    error: str | None = None


@dataclass(frozen=True)
class ProbeReading:
    """An output port's latest value and quality, and its recent history (for a sparkline)."""

    t: np.ndarray
    v: np.ndarray
    q: np.ndarray

    @property
    def latest(self) -> tuple[int, float, int] | None:
        """(timestamp ns, value, quality) of the newest sample, or None."""
        if not len(self.t):
            return None
        return int(self.t[-1]), float(self.v[-1]), int(self.q[-1])


@dataclass(frozen=True)
class RunSnapshot:
    """Everything the canvas shows of a run, copied out of the worker thread."""

    state: str = RunState.STOPPED
    message: str = ""  # why the run failed, or what it is doing
    progress: float | None = None  # 0..1 over a recording; None for live
    ticks: int = 0
    nodes: dict[str, NodeStatus] = field(default_factory=dict)
    probes: dict[str, ProbeReading] = field(default_factory=dict)  # "node.port" -> reading
    outputs: dict[str, int] = field(default_factory=dict)  # graph output column -> samples so far


class SinkBuffer:
    """The newest ``capacity`` rows of one graph output, as chunks (any kind: signals, spectra …)."""

    def __init__(self, capacity: int = SINK_CAPACITY):
        self.capacity = capacity
        self.total = 0
        self._parts: deque[Chunk] = deque()
        self._held = 0

    def append(self, chunk: Chunk) -> None:
        if not len(chunk):
            return
        self._parts.append(chunk)
        self._held += len(chunk)
        self.total += len(chunk)
        while self._held - len(self._parts[0]) >= self.capacity:
            self._held -= len(self._parts.popleft())

    def chunk(self) -> Chunk:
        """What is held, joined (at most ``capacity`` rows)."""
        if not self._parts:
            return Chunk.empty()
        joined = Chunk.join(list(self._parts))
        return _slice(joined, max(0, len(joined) - self.capacity), len(joined))


class _Probe:
    """A ring of the last :data:`HISTORY` scalar samples of one output port."""

    def __init__(self):
        self.t, self.v, self.q = np.empty(0, np.int64), np.empty(0), np.empty(0, np.uint8)

    def add(self, chunk: Chunk) -> None:
        if not len(chunk):
            return
        tail = _slice(chunk, max(0, len(chunk) - HISTORY), len(chunk))
        values = np.asarray(tail.v, dtype=np.float64)
        if values.ndim > 1:  # a spectrum or table: the probe follows its first column
            values = values[:, 0] if values.shape[1] else np.full(len(tail), np.nan)
        self.t = np.concatenate([self.t, tail.t])[-HISTORY:]
        self.v = np.concatenate([self.v, values])[-HISTORY:]
        self.q = np.concatenate([self.q, tail.q])[-HISTORY:]

    def reading(self) -> ProbeReading:
        return ProbeReading(self.t.copy(), self.v.copy(), self.q.copy())


class GraphRunner:
    """Runs a copy of ``graph`` on a worker thread; control it from any thread, poll :meth:`snapshot`.

    ``on_finished`` (optional) is called on the worker thread when the run ends, however it ends.
    """

    def __init__(self, graph: Graph, registry: ComponentRegistry, source: RecordingInput | LiveInput,
                 sink_capacity: int = SINK_CAPACITY, on_finished: Callable[[RunSnapshot], None] | None = None):
        # A copy: the user goes on editing the graph while it runs; the run keeps what was started.
        self.graph = Graph.from_text(graph.to_text(), "run")
        self.registry, self.source, self.sink_capacity = registry, source, sink_capacity
        self._on_finished = on_finished
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stop = self._paused = False
        self._steps = 0
        self._paused_ns = 0  # time spent paused, so a paced replay does not race to catch up
        self._snapshot = RunSnapshot(RunState.STARTING)
        self._sinks: dict[str, SinkBuffer] = {}
        self._probes: dict[str, _Probe] = {}
        self._thread: threading.Thread | None = None
        self._rates: dict[str, float] = {}
        self._last_counts: tuple[float, dict[str, int]] = (time.monotonic(), {})
        self._progress: float | None = None
        self._ticks = 0
        self.run: Run | None = None

    # -- control (any thread) --------------------------------------------------------------------
    def start(self) -> None:
        """Compile and run on a new worker thread; returns at once."""
        self._thread = threading.Thread(target=self._main, name="graph-run", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
        self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._wake.notify_all()
        self._set_state(RunState.RUNNING)

    def step(self) -> None:
        """Run one tick and stay paused (pauses a running run first)."""
        with self._lock:
            self._paused = True
            self._steps += 1
            self._wake.notify_all()
        self._set_state(RunState.PAUSED)

    def stop(self) -> None:
        """Ask the run to end after the tick in progress; :meth:`join` to wait for it."""
        with self._lock:
            self._stop = True
            self._wake.notify_all()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker to end (never from the UI thread); True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    @property
    def active(self) -> bool:
        return self.snapshot().state in RunState.ACTIVE

    def snapshot(self) -> RunSnapshot:
        """The latest published state of the run (cheap: a reference under a lock)."""
        with self._lock:
            return self._snapshot

    def output(self, column: str) -> Chunk:
        """The newest samples of a graph output (at most ``sink_capacity``)."""
        with self._lock:
            sink = self._sinks.get(column)
            return sink.chunk() if sink else Chunk.empty()

    # -- the worker ------------------------------------------------------------------------------
    def _main(self) -> None:
        state, message = RunState.FINISHED, ""
        try:
            self.run = self._start_run()
            compiled = self.run.compiled
            with self._lock:
                self._sinks = {column: SinkBuffer(self.sink_capacity) for column in compiled.outputs}
            ticks = self._live(compiled) if isinstance(self.source, LiveInput) else self._recording(compiled)
            self._set_state(RunState.PAUSED if self._paused else RunState.RUNNING)
            for inputs in ticks:
                if not self._gate():
                    state = RunState.STOPPED
                    break
                self._push(inputs)
            else:
                if self._stop:
                    state = RunState.STOPPED
        except Exception as exc:  # noqa: BLE001 - a bad graph or recording ends the run with its reason
            if self._stop:  # a worker process killed by Stop: stopped, not failed
                state = RunState.STOPPED
            else:
                state, message = RunState.FAILED, str(exc)
                log.error("The run of graph '%s' failed: %s", self.graph.name or "graph", exc)
        finally:
            self._end_run()
        self._publish(state, message)
        if self._on_finished is not None:
            self._on_finished(self.snapshot())

    def _start_run(self) -> Run:
        """Compile the graph and start its run (here, on the worker thread; see :mod:`model_designer.process_run`)."""
        return Run(compile_graph(self.graph, self.registry))

    def _end_run(self) -> None:
        """The run is over, however it ended: let go of what :meth:`_start_run` holds."""

    def _gate(self) -> bool:
        """Before each tick: wait while paused (a step lets one tick through); False once stopped."""
        with self._lock:
            paused_at = time.monotonic_ns()
            while self._paused and not self._steps and not self._stop:
                self._wake.wait()
            self._paused_ns += time.monotonic_ns() - paused_at
            if self._steps:
                self._steps -= 1
            return not self._stop

    def _sleep_until(self, deadline_ns: int) -> bool:
        """Sleep until ``deadline_ns`` (monotonic, shifted by pauses); False if stopped meanwhile."""
        with self._lock:
            while not self._stop and not self._steps:
                left = deadline_ns + self._paused_ns - time.monotonic_ns()
                if left <= 0:
                    break
                self._wake.wait(left / NS)
            return not self._stop

    def _push(self, inputs: dict[str, Chunk]) -> None:
        outputs = self.run.push(inputs)
        self._ticks += 1
        with self._lock:
            for column, chunk in outputs.items():
                self._sinks[column].append(chunk)
        for (node_id, port), chunk in self.run.last_outputs.items():
            self._probes.setdefault(f"{node_id}.{port}", _Probe()).add(chunk)
        if self._paused or time.monotonic() - self._last_counts[0] >= PUBLISH_S:  # a stepped run shows each tick
            self._publish(RunState.PAUSED if self._paused else RunState.RUNNING)

    # -- recordings ------------------------------------------------------------------------------
    def _recording(self, compiled: CompiledGraph) -> Iterator[dict[str, Chunk]]:
        spec: RecordingInput = self.source
        recording = open_source(spec.path, spec.time_column, spec.time_unit)
        columns = list(compiled.inputs)
        recording.check_columns(columns)
        recording.check_rows()
        total = max(recording.count_rows(), 1)
        done = 0
        chunks = recording.chunks(columns, BATCH_ROWS)
        if spec.speed > 0:
            chunks = self._paced(chunks, spec)
        for chunk in chunks:
            done += len(next(iter(chunk.values()))) if chunk else 0
            self._progress = min(done / total, 1.0)
            yield chunk

    def _paced(self, chunks: Iterable[dict[str, Chunk]], spec: RecordingInput) -> Iterator[dict[str, Chunk]]:
        """Cut chunks into ticks of ``spec.tick_s`` recording time, each pushed at its time × speed."""
        tick_ns = int(spec.tick_s * NS)
        started, first = time.monotonic_ns(), None
        for chunk in chunks:
            t = next(iter(chunk.values())).t if chunk else np.empty(0, np.int64)
            if not len(t):
                continue
            first = int(t[0]) if first is None else first
            ends = np.arange(first + tick_ns * ((int(t[0]) - first) // tick_ns + 1), int(t[-1]) + tick_ns, tick_ns)
            bounds = [0, *np.searchsorted(t, ends, side="left").tolist()]
            for start, stop, end in zip(bounds, bounds[1:], ends, strict=False):
                if stop > start:
                    if not self._sleep_until(started + int((int(end) - first) / spec.speed)):
                        return
                    yield {k: _slice(c, start, stop) for k, c in chunk.items()}

    # -- live ------------------------------------------------------------------------------------
    def _live(self, compiled: CompiledGraph) -> Iterator[dict[str, Chunk]]:
        spec: LiveInput = self.source
        resampler = LiveResampler(spec.bus, live_tags(compiled, spec.bindings), spec.rate_hz, spec.stale_after_s,
                                  time.time_ns())
        tick_ns = int(spec.tick_s * NS)
        wake = time.monotonic_ns()
        while True:
            wake += tick_ns
            if not self._sleep_until(wake):
                return
            inputs = resampler.take(time.time_ns())
            if inputs is not None:
                yield inputs

    # -- snapshots -------------------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        """A new state in the snapshot at once (called from any thread: the rest is the worker's)."""
        with self._lock:
            if self._snapshot.state in RunState.ACTIVE:  # pausing an ended run changes nothing
                self._snapshot = replace(self._snapshot, state=state)

    def _publish(self, state: str, message: str = "") -> None:
        nodes = self._node_statuses() if self.run is not None else {}
        probes = {ref: probe.reading() for ref, probe in list(self._probes.items())}
        with self._lock:
            outputs = {column: sink.total for column, sink in self._sinks.items()}
            progress = 1.0 if state == RunState.FINISHED and self._progress is not None else self._progress
            self._snapshot = RunSnapshot(state, message, progress, self._ticks, nodes, probes, outputs)

    def _node_statuses(self) -> dict[str, NodeStatus]:
        # The engine collects graph outputs without calling them: their badges count what the sinks took.
        taken = {plan.id: self._sinks[column].total for column, plan in self.run.compiled.outputs.items()}
        counts = {node_id: taken.get(node_id, stats.samples_out) for node_id, stats in self.run.stats.items()}
        now = time.monotonic()
        since, before = self._last_counts
        if now - since >= PUBLISH_S:  # rates over the last publishing window
            self._rates = {n: (c - before.get(n, 0)) / (now - since) for n, c in counts.items()}
            self._last_counts = (now, counts)
        statuses = {}
        for node_id, stats in self.run.stats.items():
            state = "failed" if stats.failed else "ok" if stats.calls or counts[node_id] else "waiting"
            statuses[node_id] = NodeStatus(state, self._rates.get(node_id, 0.0), counts[node_id], stats.failed)
        return statuses


def live_tags(compiled: CompiledGraph, bindings: dict[str, TagRef]) -> dict[str, LiveTag]:
    """Graph input column → its :class:`LiveTag`, from bindings by column or node id.

    Bindings that name no input are left alone (a project's bindings feed all its graphs);
    :class:`BindingError` names every unbound input and every tag whose unit cannot feed its input.
    """
    return device_live_tags(compiled.input_units, bound_inputs(compiled.inputs, bindings))


def watch_bindings(watch: WatchList, bindings: dict[str, TagRef], interval_ms: float) -> Callable[[], None]:
    """Watch the bound tags (so the device subscribes them); returns what unwatches the ones added.

    Tags the user watches already stay as they are. Call both on the workspace's loop.
    """
    added = [ref for ref in dict.fromkeys(bindings.values()) if not _watched(watch, ref)]
    watch.extend([WatchItem(ref, interval_ms=interval_ms) for ref in added])

    def unwatch() -> None:
        indexes = [i for i, item in enumerate(watch) if item.ref in added]
        if indexes:
            watch.remove(indexes)

    return unwatch


def _watched(watch: WatchList, ref: TagRef) -> bool:
    return any(str(item.ref) == str(ref) for item in watch)  # the same tag, whatever unit each names


def _slice(chunk: Chunk, start: int, stop: int) -> Chunk:
    labels = chunk.labels[start:stop] if chunk.axis is None and len(chunk.labels) == len(chunk) else chunk.labels
    return Chunk(chunk.t[start:stop], chunk.v[start:stop], chunk.q[start:stop], chunk.axis, labels)
