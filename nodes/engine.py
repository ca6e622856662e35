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

A run told which wires are watched (``observe``: probes, nothing for a batch run) may fuse chains
of per-sample components into one compiled pass (:mod:`nodes.fusion`); outputs, node statistics
and failures are the same as unfused. Without ``observe`` every wire stays visible in
:attr:`Run.last_outputs`, as the designer's probes need, and nothing fuses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nodes.chunk import BAD, Chunk
from nodes.component import Component, Kind
from nodes.composite import flatten
from nodes.fused_run import FusingRun
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


_INPUT, _NODE, _CHAIN = 0, 1, 2  # what a schedule entry runs



class Run(FusingRun):
    """One execution of a compiled graph: node states, statistics and failures.

    Parameters
    ----------
    compiled : CompiledGraph
        The graph to run.
    observe : collection of str, optional
        The wires someone watches, as ``node.port`` (or ``node`` for all its outputs); graph outputs
        are always kept. When given, chains of components between watched wires may run fused
        (:mod:`nodes.fusion`) and :attr:`last_outputs` holds only the wires computed on their own.
        None (the default) keeps every wire in :attr:`last_outputs` and fuses nothing.
    fuse : bool, optional
        False never fuses; None fuses when numba is there (and ``MILLWRIGHT_NO_NUMBA`` is not set).
    """

    def __init__(self, compiled: CompiledGraph, observe: Collection[str] | None = None, fuse: bool | None = None):
        self.compiled = compiled
        self.stats = {plan.id: NodeStats() for plan in compiled.plans}
        self._states: dict[str, Any] = {}
        self.clocks: dict[str, list[SampleClock]] = {}  # node id -> its inputs' regularity checks
        for plan in compiled.plans:
            try:
                self._states[plan.id] = plan.component.init_state()
                if clocks := sample_clocks(plan.component):
                    self.clocks[plan.id] = clocks
            except Exception as exc:  # noqa: BLE001 - a plug-in's bad start must not stop the run
                self._fail(plan, exc)
        self.last_outputs: dict[tuple[str, str], Chunk] = {}
        self._empty: dict[str, dict[str, Chunk] | None] = {}  # node id -> its outputs for empty inputs
        self._feedback = [p for p in compiled.plans if p.role == "feedback"]
        self.chains: list = []  # the fused chains (nodes.fusion.FusedChain) running now
        self._reload = False  # the nodes' states may have been changed from outside: reload the chains
        self._checked: set[str] = set()  # nodes whose sampling checks already took the current block
        if observe is not None and fuse is not False:
            self._fuse(set(observe), fuse)
        self._schedule = self._make_schedule()
        self._output_wires = [(column, plan.wires["x"]) for column, plan in compiled.outputs.items()
                              if "x" in plan.wires]

    @property
    def states(self) -> dict[str, Any]:
        """Each node's state object (saved and restored by the app runtime), current even for fused nodes."""
        if self.chains:
            for chain in self.chains:
                chain.store(self._states)
            self._reload = True  # the caller may change them
        return self._states

    # -- executors ---------------------------------------------------------------------------------
    def push(self, inputs: dict[str, Chunk]) -> dict[str, Chunk]:
        """Streaming: run one tick (or one chunk of a recording); returns the graph outputs."""
        blocks = self._blocks(inputs)
        if len(blocks) == 1:
            self._run_block(blocks[0])
            return self._collect()
        results: dict[str, list[Chunk]] = {}
        for block in blocks:
            self._run_block(block)
            for column, chunk in self._collect().items():
                results.setdefault(column, []).append(chunk)
        return {column: Chunk.join(parts) for column, parts in results.items()}

    def steps(self, inputs: dict[str, Chunk]) -> Iterator[tuple[str, dict[str, Chunk]]]:
        """Step mode: run one node at a time; yields (node id, its outputs) after each node (after a
        fused chain, its last node)."""
        for block in self._blocks(inputs):
            yield from self._execute(block)

    def outputs(self) -> dict[str, Chunk]:
        """Graph outputs of the last block executed (after :meth:`steps` is exhausted)."""
        return self._collect()

    def _make_schedule(self) -> list[tuple[int, Any]]:
        """Inputs, nodes and fused chains in order (a chain where its last node was)."""
        fused = {plan.id: chain for chain in self.chains for plan in chain.plans}
        schedule: list[tuple[int, Any]] = []
        for plan in self.compiled.plans:
            if plan.role == "input":
                schedule.append((_INPUT, plan))
            elif plan.role == "node":
                chain = fused.get(plan.id)
                if chain is None:
                    schedule.append((_NODE, plan))
                elif plan is chain.plans[-1]:
                    schedule.append((_CHAIN, chain))
        return schedule

    def _plan(self, node_id: str) -> NodePlan:
        return next(plan for plan in self.compiled.plans if plan.id == node_id)

    # -- internals -----------------------------------------------------------------------------------
    def _blocks(self, inputs: dict[str, Chunk]) -> list[dict[str, Chunk]]:
        for column in self.compiled.inputs:
            if column not in inputs:
                missing = set(self.compiled.inputs) - set(inputs)
                raise KeyError(f"no data for graph input(s) {', '.join(sorted(missing))}")
        limit = self.compiled.block_limit
        if not limit:
            return [inputs]
        size = max((len(c) for c in inputs.values()), default=0)
        if size <= limit:
            return [inputs]
        return [{k: _slice(c, start, start + limit) for k, c in inputs.items()} for start in range(0, size, limit)]

    def _begin_block(self, inputs: dict[str, Chunk]) -> dict[tuple[str, str], Chunk]:
        if self._reload:
            for chain in self.chains:
                chain.load(self._states)
            self._reload = False
        values = self.last_outputs = {}
        if self._feedback:
            master = next(iter(inputs.values())).t if inputs else np.empty(0, np.int64)
            for plan in self._feedback:
                for port, chunk in self._emit(plan, master).items():
                    values[(plan.id, port)] = chunk
        return values

    def _take_input(self, plan: NodePlan, inputs: dict[str, Chunk], values) -> Chunk:
        chunk = inputs[plan.component.p["column"]]
        values[(plan.id, "y")] = chunk
        stats = self.stats[plan.id]
        stats.calls += 1
        stats.samples_out += len(chunk)
        return chunk

    def _run_block(self, inputs: dict[str, Chunk]) -> None:
        """Run every node on one block (what :meth:`_execute` does, without stopping after each node)."""
        values = self._begin_block(inputs)
        for kind, item in self._schedule:
            if kind == _NODE:
                for port, chunk in self._run_node(item, values).items():
                    values[(item.id, port)] = chunk
            elif kind == _INPUT:
                self._take_input(item, inputs, values)
            else:
                self._run_chain(item, values)
        for plan in self._feedback:
            self._absorb(plan, self._gather(plan, values))

    def _execute(self, inputs: dict[str, Chunk]) -> Iterator[tuple[str, dict[str, Chunk]]]:
        values = self._begin_block(inputs)
        for kind, item in self._schedule:
            if kind == _NODE:
                outputs = self._run_node(item, values)
                for port, chunk in outputs.items():
                    values[(item.id, port)] = chunk
                yield item.id, outputs
            elif kind == _INPUT:
                yield item.id, {"y": self._take_input(item, inputs, values)}
            else:
                for plan in self._run_chain(item, values):
                    yield plan.id, {port: values[(plan.id, port)] for port in plan.output_kinds}
        for plan in self._feedback:
            self._absorb(plan, self._gather(plan, values))

    def _gather(self, plan: NodePlan, values) -> dict[str, Chunk]:
        gathered = {}
        for name, wire in plan.wires.items():
            chunk = values[(wire.source, wire.port)]
            if not wire.convert.identity and chunk.v.dtype != np.bool_:
                chunk = chunk.with_values(wire.convert(chunk.v))
            gathered[name] = chunk
        return gathered

    def _run_node(self, plan: NodePlan, values) -> dict[str, Chunk]:
        """Run one node on its wired inputs; a node whose inputs are all empty is not called (its
        outputs for empty inputs, found on the first such call, are reused)."""
        empty = None
        for wire in plan.wires.values():
            if len(values[(wire.source, wire.port)].t):
                break
        else:
            if plan.wires:
                empty = self._empty.get(plan.id, False)
                if empty:
                    return empty
        inputs = self._gather(plan, values)
        stats = self.stats[plan.id]
        if stats.failed:
            return self._bad_outputs(plan, inputs)
        outputs = self._call(plan, inputs, stats)
        if empty is False and not stats.failed:  # the first call on empty inputs
            self._empty[plan.id] = outputs if all(len(c) == 0 for c in outputs.values()) else None
            if self._empty[plan.id] is not None:
                stats.calls -= 1  # a skipped call: the later ones are not counted either
        return outputs

    def _call(self, plan: NodePlan, inputs: dict[str, Chunk], stats: NodeStats) -> dict[str, Chunk]:
        started = time.perf_counter()
        try:
            clocks = self.clocks.get(plan.id)
            if clocks and plan.id not in self._checked:
                for clock in clocks:
                    if clock.port in inputs:
                        clock.check(inputs[clock.port].t)
            outputs = plan.component.process(inputs, self._states[plan.id])
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
            return plan.component.emit(self._states[plan.id], t)
        except Exception as exc:  # noqa: BLE001
            self._fail(plan, exc)
            return dict.fromkeys(plan.output_kinds, bad)

    def _absorb(self, plan: NodePlan, inputs: dict[str, Chunk]) -> None:
        if self.stats[plan.id].failed:
            return
        try:
            plan.component.absorb(inputs, self._states[plan.id])
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

    def _collect(self) -> dict[str, Chunk]:
        collected = {}
        values = self.last_outputs
        for column, wire in self._output_wires:
            chunk = values[(wire.source, wire.port)]
            if not wire.convert.identity and chunk.v.dtype != np.bool_:
                chunk = chunk.with_values(wire.convert(chunk.v))
            collected[column] = chunk
        return collected

    @property
    def failures(self) -> dict[str, str]:
        return {node_id: s.failed for node_id, s in self.stats.items() if s.failed}


def run_batch(compiled: CompiledGraph, chunks: Iterable[dict[str, Chunk]],
              write: Callable[[dict[str, Chunk]], None], fuse: bool | None = None) -> Run:
    """Batch mode: push every chunk of a recording through one run, handing outputs to ``write``.

    Only the graph outputs are wanted, so chains of per-sample components run fused where they can
    (``fuse=False`` to never).
    """
    run = Run(compiled, observe=(), fuse=fuse)
    for chunk in chunks:
        write(run.push(chunk))
    return run


def _slice(chunk: Chunk, start: int, stop: int) -> Chunk:
    return Chunk(chunk.t[start:stop], chunk.v[start:stop], chunk.q[start:stop], chunk.axis,
                 chunk.labels[start:stop] if chunk.axis is None and len(chunk.labels) == len(chunk) else chunk.labels)
