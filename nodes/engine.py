"""The dataflow engine: compile a graph once, then run it in batch, streaming or step mode.

Compilation inlines composites, validates (every problem at once), fixes a topological order
and the unit conversion of every edge. A :class:`Run` holds each node's state, so a recording
pushed in one chunk or in a thousand gives the same outputs. The three modes are executors
over the same schedule (as ryvencore swaps its flow executors): batch pushes a recording's
chunks, streaming pushes live ticks, step runs one node at a time for debugging.

A node that raises does not stop the run: it is marked failed with its message, its outputs
become bad-quality samples for the rest of the run, and every other node goes on. A node that
declares a ``sample_rate`` fails the same way when a signal input is not regularly sampled at it
(:mod:`nodes.sample_clock`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nodes.chunk import BAD, Chunk
from nodes.component import Component, Kind
from nodes.composite import flatten
from nodes.graph import Graph
from nodes.registry import ComponentRegistry, default_registry
from nodes.sample_clock import IrregularSampling, SampleClock, sample_clocks
from nodes.units import Conversion, conversion
from nodes.validation import Problem, Resolution, validate

log = logging.getLogger(__name__)
INPUT_TYPE, OUTPUT_TYPE = "io.input", "io.output"


class GraphError(ValueError):
    """A graph that cannot run; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("the graph cannot run:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass
class Wire:
    source: str
    port: str
    convert: Conversion


@dataclass
class NodePlan:
    id: str
    component: Component
    wires: dict[str, Wire]
    output_kinds: dict[str, Kind]
    role: str = "node"  # "input", "output", "feedback" (a delay closing a loop) or "node"


@dataclass
class NodeStats:
    """What the canvas badges show: calls, samples in/out, time spent, failure message."""

    calls: int = 0
    samples_in: int = 0
    samples_out: int = 0
    seconds: float = 0.0
    failed: str | None = None


@dataclass
class CompiledGraph:
    plans: list[NodePlan]
    inputs: dict[str, str]  # column -> graph input node id
    outputs: dict[str, NodePlan]  # column -> graph output node plan
    block_limit: int | None
    resolution: Resolution
    input_units: dict[str, str] = field(default_factory=dict)  # column -> unit
    output_units: dict[str, str] = field(default_factory=dict)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.resolution.problems if p.severity != "error"]


def compile_graph(graph: Graph, registry: ComponentRegistry | None = None,
                  overrides: dict[str, dict[str, Any]] | None = None) -> CompiledGraph:
    """Validate and schedule ``graph``; ``overrides`` maps node id to parameter values."""
    registry = registry or default_registry()
    flat = flatten(graph, registry)
    for node_id, values in (overrides or {}).items():
        if node_id not in flat.nodes:
            raise GraphError([Problem("unknown_node", f"--param names node '{node_id}', which is not in the graph",
                                      node_id)])
        flat.nodes[node_id].params.update(values)
    resolution = validate(flat, registry)
    if resolution.errors:
        raise GraphError(resolution.errors)
    plans, by_id = [], {}
    for node_id in resolution.order:
        cls = resolution.classes[node_id]
        params = resolution.params[node_id]
        wires = {}
        for edge in flat.incoming(node_id):
            source_unit = resolution.output_units.get((edge.source, edge.source_port), "")
            target_unit = resolution.input_units.get((node_id, edge.target_port), source_unit)
            wires[edge.target_port] = Wire(edge.source, edge.source_port, conversion(source_unit, target_unit))
        kinds = {p.name: cls.port_kind(p, params) for p in cls.outputs}
        role = ("input" if cls.type_name == INPUT_TYPE else "output" if cls.type_name == OUTPUT_TYPE
                else "feedback" if node_id in resolution.loop_delays else "node")
        plan = NodePlan(node_id, cls(params), wires, kinds, role)
        plans.append(plan)
        by_id[node_id] = plan
    inputs = _columns(plans, INPUT_TYPE)
    outputs = {column: by_id[node_id] for column, node_id in _columns(plans, OUTPUT_TYPE).items()}
    limits = [p.component.feedback_capacity() for p in plans if p.role == "feedback"]
    compiled = CompiledGraph(plans, inputs, outputs, min(limits) if limits else None, resolution)
    compiled.input_units = {c: resolution.output_units.get((n, "y"), "") for c, n in inputs.items()}
    compiled.output_units = {c: resolution.input_units.get((p.id, "x"), "") for c, p in outputs.items()}
    return compiled


def _columns(plans: list[NodePlan], type_name: str) -> dict[str, str]:
    columns: dict[str, str] = {}
    for plan in plans:
        if plan.component.type_name == type_name:
            column = plan.component.p["column"]
            if column in columns:
                raise GraphError([Problem("duplicate_column", f"column '{column}' is used by both "
                                          f"'{columns[column]}' and '{plan.id}'", plan.id, "column")])
            columns[column] = plan.id
    return columns


class Run:
    """One execution of a compiled graph: node states, statistics and failures."""

    def __init__(self, compiled: CompiledGraph):
        self.compiled = compiled
        self.stats = {plan.id: NodeStats() for plan in compiled.plans}
        self.states = {}
        self.clocks: dict[str, list[SampleClock]] = {}  # node id -> its inputs' regularity checks
        for plan in compiled.plans:
            try:
                self.states[plan.id] = plan.component.init_state()
                if clocks := sample_clocks(plan.component):
                    self.clocks[plan.id] = clocks
            except Exception as exc:  # noqa: BLE001 - a plug-in's bad start must not stop the run
                self._fail(plan, exc)
        self.last_outputs: dict[tuple[str, str], Chunk] = {}

    # -- executors ---------------------------------------------------------------------------------
    def push(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        """Streaming: run one tick (or one chunk of a recording); returns the graph outputs."""
        results: dict[str, list[Chunk]] = {}
        for block in self._blocks(inputs):
            for _ in self._execute(block):
                pass
            for column, chunk in self._collect().items():
                results.setdefault(column, []).append(chunk)
        return {column: Chunk.join(parts) for column, parts in results.items()}

    def steps(self, inputs: dict[str, Chunk]) -> Iterator[tuple[str, dict[str, Chunk]]]:
        """Step mode: run one node at a time; yields (node id, its outputs) after each node."""
        for block in self._blocks(inputs):
            yield from self._execute(block)

    def outputs(self) -> dict[str, Chunk]:
        """Graph outputs of the last block executed (after :meth:`steps` is exhausted)."""
        return self._collect()

    # -- internals -----------------------------------------------------------------------------------
    def _blocks(self, inputs: dict[str, Chunk]) -> Iterator[dict[str, Chunk]]:
        missing = set(self.compiled.inputs) - set(inputs)
        if missing:
            raise KeyError(f"no data for graph input(s) {', '.join(sorted(missing))}")
        limit = self.compiled.block_limit
        size = max((len(c) for c in inputs.values()), default=0)
        if not limit or size <= limit:
            yield inputs
            return
        for start in range(0, size, limit):
            yield {k: _slice(c, start, start + limit) for k, c in inputs.items()}

    def _execute(self, inputs: dict[str, Chunk]) -> Iterator[tuple[str, dict[str, Chunk]]]:
        values = self.last_outputs = {}
        master = next(iter(inputs.values())).t if inputs else np.empty(0, np.int64)
        feedback = [p for p in self.compiled.plans if p.role == "feedback"]
        for plan in feedback:
            for port, chunk in self._emit(plan, master).items():
                values[(plan.id, port)] = chunk
        for plan in self.compiled.plans:
            if plan.role == "input":
                chunk = inputs[plan.component.p["column"]]
                values[(plan.id, "y")] = chunk
                self._count(plan.id, 0, len(chunk), 0.0)
                yield plan.id, {"y": chunk}
                continue
            if plan.role != "node":
                continue  # outputs are collected after the block; delays absorb below
            outputs = self._run_node(plan, self._gather(plan, values))
            for port, chunk in outputs.items():
                values[(plan.id, port)] = chunk
            yield plan.id, outputs
        for plan in feedback:
            self._absorb(plan, self._gather(plan, values))

    def _gather(self, plan: NodePlan, values) -> dict[str, Chunk]:
        gathered = {}
        for name, wire in plan.wires.items():
            chunk = values[(wire.source, wire.port)]
            if not wire.convert.identity and chunk.v.dtype != np.bool_:
                chunk = chunk.with_values(wire.convert(chunk.v))
            gathered[name] = chunk
        return gathered

    def _run_node(self, plan: NodePlan, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        stats = self.stats[plan.id]
        if stats.failed:
            return self._bad_outputs(plan, inputs)
        started = time.perf_counter()
        try:
            for clock in self.clocks.get(plan.id, ()):
                if clock.port in inputs:
                    clock.check(inputs[clock.port].t)
            outputs = plan.component.process(inputs, self.states[plan.id])
            for name in plan.output_kinds:
                if name not in outputs:
                    raise RuntimeError(f"the component returned no '{name}' output")
        except Exception as exc:  # noqa: BLE001 - one failing node must not stop the others
            self._fail(plan, exc)
            return self._bad_outputs(plan, inputs)
        stats.seconds += time.perf_counter() - started
        stats.calls += 1
        stats.samples_in += sum([c.t.shape[0] for c in inputs.values()])
        stats.samples_out += sum([c.t.shape[0] for c in outputs.values()])
        return outputs

    def _emit(self, plan: NodePlan, t: np.ndarray) -> dict[str, Chunk]:
        bad = Chunk(t, np.full(len(t), np.nan), np.full(len(t), BAD, np.uint8))
        if self.stats[plan.id].failed:
            return dict.fromkeys(plan.output_kinds, bad)
        try:
            return plan.component.emit(self.states[plan.id], t)
        except Exception as exc:  # noqa: BLE001
            self._fail(plan, exc)
            return dict.fromkeys(plan.output_kinds, bad)

    def _absorb(self, plan: NodePlan, inputs: dict[str, Chunk]) -> None:
        if self.stats[plan.id].failed:
            return
        try:
            plan.component.absorb(inputs, self.states[plan.id])
        except Exception as exc:  # noqa: BLE001
            self._fail(plan, exc)

    def _fail(self, plan: NodePlan, exc: Exception) -> None:
        # The sampling check speaks to the engineer; anything else is a component's exception.
        failed = str(exc) if isinstance(exc, IrregularSampling) else f"{type(exc).__name__}: {exc}"
        self.stats[plan.id].failed = failed
        log.error("Node '%s' (%s) failed: %s", plan.id, plan.component.type_name, self.stats[plan.id].failed)

    def _bad_outputs(self, plan: NodePlan, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        bad = next(iter(inputs.values()), Chunk.empty()).bad()
        return dict.fromkeys(plan.output_kinds, bad)

    def _count(self, node_id: str, samples_in: int, samples_out: int, seconds: float) -> None:
        stats = self.stats[node_id]
        stats.calls += 1
        stats.samples_in += samples_in
        stats.samples_out += samples_out
        stats.seconds += seconds

    def _collect(self) -> dict[str, Chunk]:
        collected = {}
        for column, plan in self.compiled.outputs.items():
            wire = plan.wires.get("x")
            if wire is not None:
                collected[column] = self._gather(plan, self.last_outputs)["x"]
        return collected

    @property
    def failures(self) -> dict[str, str]:
        return {node_id: s.failed for node_id, s in self.stats.items() if s.failed}


def run_batch(compiled: CompiledGraph, chunks: Iterable[dict[str, Chunk]],
              write: Callable[[dict[str, Chunk]], None]) -> Run:
    """Batch mode: push every chunk of a recording through one run, handing outputs to ``write``."""
    run = Run(compiled)
    for chunk in chunks:
        write(run.push(chunk))
    return run


def _slice(chunk: Chunk, start: int, stop: int) -> Chunk:
    return Chunk(chunk.t[start:stop], chunk.v[start:stop], chunk.q[start:stop], chunk.axis,
                 chunk.labels[start:stop] if chunk.axis is None and len(chunk.labels) == len(chunk) else chunk.labels)
