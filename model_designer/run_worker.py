"""The worker process of a graph run holding script components (see :mod:`model_designer.process_run`).

Kept apart from the run control so that the child imports only the engine (numpy, the component
library and the scripts it is given), not the device layer, pandas or the recordings' readers:
the worker is ready sooner. No Qt here.
"""

from __future__ import annotations

import os
import threading
import time
from multiprocessing.connection import Connection

from nodes.chunk import Chunk

PARENT_POLL_S = 0.5


def worker_main(conn: Connection, graph_text: str, sources: dict[str, str], parent_pid: int, history: int) -> None:
    """Load the scripts, compile the graph, answer ticks until told to close (or the parent is gone)."""
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        from nodes.engine import Run, compile_graph
        from nodes.graph import Graph
        from nodes.registry import default_registry
        from nodes.script_components import ScriptLibrary

        registry = default_registry().copy()
        library = ScriptLibrary()
        library.load_sources(sources)
        failures = library.register(registry)
        if failures:
            conn.send(("error", "; ".join(str(f) for f in failures)))
            return
        compiled = compile_graph(Graph.from_text(graph_text, "run"), registry)
        run = Run(compiled)
    except Exception as exc:  # noqa: BLE001 - the parent shows why the run could not start
        conn.send(("error", str(exc)))
        return
    conn.send(("ready", {"inputs": compiled.inputs, "input_units": compiled.input_units,
                         "outputs": {c: plan.id for c, plan in compiled.outputs.items()},
                         "output_units": compiled.output_units, "stats": run.stats}))
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        if kind == "close":
            return
        try:
            outputs = run.push(payload)
        except Exception as exc:  # noqa: BLE001 - e.g. a tick without a column: the run fails with it
            conn.send(("error", str(exc)))
            continue
        tails = {ref: _tail(chunk, history) for ref, chunk in run.last_outputs.items()}
        conn.send(("pushed", (outputs, tails, run.stats)))


def _tail(chunk: Chunk, count: int) -> Chunk:
    """The last ``count`` samples (what a probe keeps), not the whole tick, go back to the workbench."""
    start = max(0, len(chunk) - count)
    labels = chunk.labels[start:] if chunk.axis is None and len(chunk.labels) == len(chunk) else chunk.labels
    return Chunk(chunk.t[start:], chunk.v[start:], chunk.q[start:], chunk.axis, labels)


def _exit_with_parent(parent_pid: int) -> None:
    """End this process when the workbench is gone (even killed): a hung script must not be orphaned."""
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent_pid:
            os._exit(0)
