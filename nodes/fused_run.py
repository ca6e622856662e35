"""The part of a run that deals with fused chains (:mod:`nodes.fusion`): finding and compiling them
when the run starts, running one on a block, and falling back to the nodes one by one.

:class:`FusingRun` is mixed into :class:`nodes.engine.Run`, whose state it uses: ``compiled``,
``stats``, ``_states``, ``clocks``, ``chains`` and ``_schedule``, and whose ``_run_node``,
``_fail``, ``_plan`` and ``_make_schedule`` it calls. Outputs, node statistics and failures are those
of the unfused run (tests/nodes/test_fusion.py).
"""

from __future__ import annotations

import copy
import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from nodes.sample_clock import IrregularSampling, SampleClock

if TYPE_CHECKING:
    from nodes.engine import NodePlan

log = logging.getLogger("nodes.engine")


class FusingRun:
    """Fused chains in a run (see the module docstring)."""

    def _fuse(self, observe: set[str], fuse: bool | None) -> None:
        """Find the chains that may run fused and compile them; on any trouble, run unfused."""
        from nodes import fusion

        if fuse is None and not fusion.available():
            return
        kernels = {}
        for plan in self.compiled.plans:
            if plan.role != "node" or self.stats[plan.id].failed:
                continue
            try:
                kernel = plan.component.kernel(self._states[plan.id])
            except Exception as exc:  # noqa: BLE001 - a component's kernel declaration is not its run
                log.warning("Node '%s' runs unfused: its kernel cannot be declared (%s)", plan.id, exc)
                continue
            if kernel is not None:
                kernels[plan.id] = kernel
        kinds = {(plan.id, port): kind for plan in self.compiled.plans for port, kind in plan.output_kinds.items()}
        chains = fusion.find_chains(self.compiled.plans, kernels, observe, set(self.clocks), kinds)
        if not chains:
            return
        try:
            built = fusion.build_chains(chains, kernels)
            for chain in built:
                chain.load(self._states)
        except Exception as exc:  # noqa: BLE001 - numba missing or unable to compile: the unfused path runs
            log.warning("The graph runs unfused: %s: %s", type(exc).__name__, exc)
            return
        for chain in built:
            chain.stats = [self.stats[node_id] for node_id in chain.ids]
            self._share_clocks(chain)
        self.chains = built

    def _unfuse(self, chain) -> None:
        """Run ``chain``'s nodes one by one from now on, from the state the chain reached."""
        chain.store(self._states)
        seen: set[int] = set()
        for node_id in chain.ids:
            clocks = self.clocks.get(node_id, [])
            for i, clock in enumerate(clocks):
                if id(clock) in seen:
                    clocks[i] = copy.copy(clock)  # shared while fused: each node checks for itself again
                seen.add(id(clock))
        self.chains.remove(chain)
        self._schedule = self._make_schedule()

    def _run_chain(self, chain, values) -> list[NodePlan]:
        """Run a fused chain on its input (or its nodes one by one if it cannot); the nodes whose
        outputs are now in ``values``."""
        x = values[(chain.head.source, chain.head.port)]
        checked = self._check_clocks(chain, x.t) if chain.clock_checks else chain.ids
        if len(checked) < len(chain.ids) or x.v.ndim != 1:
            self._unfuse(chain)
            self._checked = set(checked)  # their clocks took this block already
            try:
                return self._run_unfused(chain.plans, values)
            finally:
                self._checked = set()
        started = time.perf_counter()
        try:
            outputs = chain.run(x)
        except Exception as exc:  # noqa: BLE001 - e.g. a kernel that does not compile: the nodes run unfused
            # The kernel cannot raise once running (numba's numpy error model, no bounds checks), so
            # whatever raised did so before it touched the state: the nodes go on from there unfused.
            log.warning("Nodes %s run unfused: their fused kernel failed (%s: %s)", ", ".join(chain.ids),
                        type(exc).__name__, exc)
            self._unfuse(chain)
            return self._run_unfused(chain.plans, values)
        if len(x):
            chain.account(time.perf_counter() - started)
        tail = chain.ids[-1]
        for port, chunk in outputs.items():
            values[(tail, port)] = chunk
        return chain.plans[-1:]

    def _check_clocks(self, chain, t: np.ndarray) -> list[str]:
        """Check the sampling of the chain's nodes on its input times; the nodes that passed (all, or
        those before the first that failed, which is then failed)."""
        for node_id, clock in chain.clock_checks:
            try:
                clock.check(t)
            except IrregularSampling as exc:
                self._fail(self._plan(node_id), exc)
                return chain.ids[:chain.ids.index(node_id)]
        return chain.ids

    def _share_clocks(self, chain) -> None:
        """Nodes of a chain see the same times, so identical sampling checks (same port name and rate,
        e.g. a band-pass and a high-pass at 2 kHz) give the same verdict: they share one check object
        while fused (:meth:`_unfuse` gives each its own again)."""
        chain.clock_checks, first = [], {}
        for node_id in chain.ids:
            clocks = self.clocks.get(node_id, [])
            for i, clock in enumerate(clocks):
                key = (clock.port, clock.rate_hz)
                leader = first.get(key)
                if leader is not None and _clock_state(leader) == _clock_state(clock):
                    clocks[i] = leader
                else:
                    first[key] = clock
                    chain.clock_checks.append((node_id, clock))

    def _run_unfused(self, plans: list[NodePlan], values) -> list[NodePlan]:
        for plan in plans:
            outputs = self._run_node(plan, values)
            for port, chunk in outputs.items():
                values[(plan.id, port)] = chunk
        return plans


def _clock_state(clock: SampleClock) -> dict[str, Any]:
    return {name: value for name, value in vars(clock).items() if name != "_intervals"}  # that one is scratch
