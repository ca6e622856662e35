"""Runs of graphs holding script components: the engine in a worker process that Stop can kill.

A script component is the model author's own code; a ``while True:`` in it must not freeze the
workbench nor outlive a Stop. :func:`runner_for` gives the canvas a :class:`ProcessGraphRunner`
for such a graph (a plain :class:`~model_designer.run.GraphRunner` otherwise). It is the same
runner — recording, paced replay and live ticks are read here, and snapshots, probes and sink
buffers are kept here — but each tick is pushed through a :class:`WorkerRun` whose engine lives
in a child process (``multiprocessing``, spawn):

* the parent flattens the graph (project components inlined: the child needs no project files)
  and sends it with the text of the script files its classes came from, so the child runs the
  version the canvas shows even if a file changed since;
* the child compiles and runs; each tick goes over a pipe (numpy chunks pickled between our
  own two processes, never from a user's file) and comes back with the graph outputs, the
  node statistics and the last :data:`~model_designer.run.HISTORY` samples of each port for probes;
* Stop kills the child at once (a tick in progress is abandoned: the run is being stopped), and
  the run ends "stopped"; the child also exits by itself when the workbench dies.

No Qt here.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from model_designer.run import HISTORY, GraphRunner, LiveInput, RecordingInput
from model_designer.run_worker import worker_main
from nodes.chunk import Chunk
from nodes.composite import flatten
from nodes.engine import NodeStats
from nodes.graph import Graph
from nodes.registry import ComponentRegistry
from nodes.script_components import is_script_class, script_sources

log = logging.getLogger(__name__)

START_TIMEOUT_S = 120.0  # a cold start imports numpy, scipy and the library on a busy machine
KILL_GRACE_S = 2.0


class WorkerError(RuntimeError):
    """The worker process could not start the run, or ended while it was asked for a tick."""


def uses_scripts(graph: Graph, registry: ComponentRegistry) -> bool:
    """Whether ``graph`` (its project components inlined) holds a script component."""
    try:
        flat = flatten(graph, registry)
    except (ValueError, KeyError):
        return False  # a graph that cannot be flattened fails its run anyway, with the reason
    return any(is_script_class(cls) for node in flat.nodes.values() if (cls := registry.get(node.type)))


def runner_for(graph: Graph, registry: ComponentRegistry, source: RecordingInput | LiveInput, **kw: Any) -> GraphRunner:
    """The runner for ``graph``: in a worker process when it holds script components."""
    cls = ProcessGraphRunner if uses_scripts(graph, registry) else GraphRunner
    return cls(graph, registry, source, **kw)


@dataclass(frozen=True)
class _PlanRef:
    id: str


@dataclass
class RemoteCompiled:
    """What the parent needs of the child's compiled graph: input columns and units, output nodes."""

    inputs: dict[str, str]
    input_units: dict[str, str]
    outputs: dict[str, _PlanRef]
    output_units: dict[str, str] = field(default_factory=dict)


class WorkerRun:
    """A :class:`~nodes.engine.Run` in a child process: ``push``, ``stats``, ``last_outputs``, ``compiled``."""

    def __init__(self, graph: Graph, registry: ComponentRegistry):
        flat = flatten(graph, registry)
        classes = [cls for node in flat.nodes.values() if (cls := registry.get(node.type)) is not None]
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=worker_main, name="millwright-graph-run", daemon=True,
                                       args=(child, flat.to_text(), script_sources(classes), os.getpid(), HISTORY))
        self._killed = False
        self._lock = threading.Lock()
        self.compiled: RemoteCompiled | None = None
        self.stats: dict[str, NodeStats] = {}
        self.last_outputs: dict[tuple[str, str], Chunk] = {}
        self.process.start()
        child.close()

    def wait_ready(self) -> None:
        """Wait until the child has compiled the graph (user code runs there too); WorkerError says why not."""
        kind, payload = self._receive(START_TIMEOUT_S)
        if kind != "ready":
            raise WorkerError(payload)
        self.compiled = RemoteCompiled(payload["inputs"], payload["input_units"],
                                       {c: _PlanRef(i) for c, i in payload["outputs"].items()}, payload["output_units"])
        self.stats = payload["stats"]

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def push(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        """One tick through the child's engine; :class:`WorkerError` if the child ended meanwhile."""
        try:
            self._conn.send(("push", inputs))
        except (OSError, ValueError) as exc:
            raise WorkerError(self._gone()) from exc
        kind, payload = self._receive(None)
        if kind != "pushed":
            raise WorkerError(payload)
        outputs, self.last_outputs, self.stats = payload
        return outputs

    @property
    def failures(self) -> dict[str, str]:
        return {node_id: s.failed for node_id, s in self.stats.items() if s.failed}

    def kill(self) -> None:
        """End the child now (Stop): a push waiting for it raises :class:`WorkerError`."""
        with self._lock:
            self._killed = True
        if self.process.is_alive():
            self.process.kill()

    def close(self) -> None:
        """Ask the child to end, kill it if it does not, and reap it: no process is left behind."""
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("close", None))
        self.process.join(KILL_GRACE_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(KILL_GRACE_S)
        self._conn.close()

    def _receive(self, timeout: float | None) -> tuple[str, Any]:
        try:
            if timeout is not None and not self._conn.poll(timeout):
                self.kill()
                return "error", f"the worker process did not start within {timeout:.0f} s"
            return self._conn.recv()
        except (EOFError, OSError):
            return "error", self._gone()

    def _gone(self) -> str:
        self.process.join(KILL_GRACE_S)
        if self._killed:
            return "the worker process was stopped"
        return f"the worker process ended unexpectedly (exit code {self.process.exitcode})"


class ProcessGraphRunner(GraphRunner):
    """A :class:`~model_designer.run.GraphRunner` whose engine runs in a :class:`WorkerRun`; Stop kills it."""

    def __init__(self, graph: Graph, registry: ComponentRegistry, source: RecordingInput | LiveInput, **kw: Any):
        super().__init__(graph, registry, source, **kw)
        self.worker: WorkerRun | None = None
        self.worker_pid: int | None = None  # for the curious (and the tests): the child while it runs

    def stop(self) -> None:
        super().stop()
        worker = self.worker
        if worker is not None:
            worker.kill()

    def _start_run(self) -> WorkerRun:
        worker = WorkerRun(self.graph, self.registry)
        self.worker, self.worker_pid = worker, worker.pid
        if self._stop:  # stopped while the worker was being started
            worker.kill()
        worker.wait_ready()  # a Stop meanwhile (a script hanging at import) kills it and ends the wait
        return worker

    def _end_run(self) -> None:
        if self.worker is not None:
            self.worker.close()


# -- "Try on data": one component on a recording, before it goes on a canvas ---------------------------

INPUT_SUFFIX = " (input)"  # a try's copy of an input, beside the outputs
TRY_ROWS = 200_000  # rows of a recording a try runs on (the plot shows the start of a long recording)


def try_graph(type_name: str, registry: ComponentRegistry, columns: dict[str, str],
              params: dict[str, Any] | None = None) -> Graph:
    """A graph of one component: each input fed from the recording column ``columns`` names, each output a column.

    An input declared in a plain unit reads its column in that unit; outputs keep their port names,
    and each input comes out too (``x (input)``), to be plotted beside them.
    """
    cls = registry.get(type_name)
    graph = Graph(f"Try {type_name}")
    graph.add_node("component", type_name, dict(params or {}))
    for port in cls.inputs:
        if port.name not in columns:
            continue
        unit = port.unit if port.unit not in ("*", "") and port.unit[0] not in "=@" else ""
        graph.add_node(f"in_{port.name}", "io.input", {"column": columns[port.name], "unit": unit})
        graph.connect(f"in_{port.name}.y", f"component.{port.name}")
        graph.add_node(f"echo_{port.name}", "io.output", {"column": f"{port.name}{INPUT_SUFFIX}"})
        graph.connect(f"in_{port.name}.y", f"echo_{port.name}.x")
    for port in cls.outputs:
        graph.add_node(f"out_{port.name}", "io.output", {"column": port.name})
        graph.connect(f"component.{port.name}", f"out_{port.name}.x")
    return graph


class TryRun:
    """Run one component over a recording in a worker process; :meth:`kill` from any thread ends it."""

    def __init__(self, graph: Graph, registry: ComponentRegistry, recording: RecordingInput, rows: int = TRY_ROWS):
        self.graph, self.registry, self.recording, self.rows = graph, registry, recording, rows
        self.worker: WorkerRun | None = None
        self._killed = False

    def run(self) -> dict[str, Chunk]:
        """The component's outputs over the recording's first :attr:`rows` rows (blocks: call off the UI thread)."""
        from device_browser.recordings import open_source

        source = open_source(self.recording.path, self.recording.time_column, self.recording.time_unit)
        self.worker = WorkerRun(self.graph, self.registry)
        try:
            if self._killed:
                self.worker.kill()
            self.worker.wait_ready()
            columns = list(self.worker.compiled.inputs)
            source.check_columns(columns)
            parts: dict[str, list[Chunk]] = {}
            done = 0
            for chunk in source.chunks(columns, 10_000):
                for column, out in self.worker.push(chunk).items():
                    parts.setdefault(column, []).append(out)
                done += len(next(iter(chunk.values()))) if chunk else 0
                if done >= self.rows:
                    break
            if self.worker.failures:
                raise WorkerError("; ".join(self.worker.failures.values()))
            return {column: Chunk.join(chunks) for column, chunks in parts.items()}
        finally:
            self.worker.close()

    def kill(self) -> None:
        self._killed = True
        if self.worker is not None:
            self.worker.kill()
