"""``run-graph GRAPH --recording NAME [--store PATH|URL]``: a graph over a recording of the store.

``run-graph`` hands a stored recording here (its options come from
:func:`workbench.data_commands.add_recording_input`); the store is the one ``millwright data``
uses (``--store``, else the graph's project's ``data/recordings.sqlite``). No Qt here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.data_commands import EXIT_DATA, EXIT_USAGE, DataCommandError, fail, opened_store

if TYPE_CHECKING:
    from nodes.engine import CompiledGraph


def run_stored_graph(args: argparse.Namespace) -> int:
    """``run-graph GRAPH --recording NAME [--store] --output OUT``: the graph over a stored recording.

    The graph's inputs are the recording's tags of the same names, replayed block by block
    (:class:`device_browser.replay.Replay`) on the union of their times with ``--align none`` (a
    tag without a sample at a time is NaN there, bad quality; a bad sample is NaN), as ``data
    export`` writes them to CSV: so this run and ``run-graph --input`` on the export agree.
    ``--align hold|linear`` and ``--period`` put them on another time base (:mod:`nodes.align`);
    recorded units are converted to the units of the graph's inputs.
    The store defaults to the project of the graph (``PROJECT/graphs/GRAPH``).
    """
    from workbench.graph_commands import EXIT_BAD_DATA, prepare_graph

    if args.recording is None:
        return fail("give the recording to run: --input FILE or --recording NAME", EXIT_BAD_DATA)
    if args.input:
        return fail("give --input FILE or --recording NAME, not both", EXIT_USAGE)
    if args.chunk < 1:
        return fail("--chunk must be at least 1", EXIT_BAD_DATA)
    prepared = prepare_graph(args)
    if isinstance(prepared, int):
        return prepared
    _graph, project, _scripts, _registry, compiled = prepared
    for warning in compiled.warnings:
        print(f"  {warning}", file=sys.stderr)
    return _run_stored(args, compiled, project)


def _run_stored(args: argparse.Namespace, compiled: CompiledGraph, project: Path | None) -> int:
    from device_browser.recordings import RecordingError, check_output, open_sink
    from device_browser.replay import Replay
    from device_browser.store import StoreError
    from nodes.align import AlignError, Rule, duration_ns
    from nodes.engine import run_batch

    columns = list(compiled.inputs)
    try:
        rule = Rule.parse(args.align)
        period = duration_ns(args.period) if args.period else None
    except AlignError as exc:
        return fail(str(exc), EXIT_USAGE)
    started = time.perf_counter()
    rows = 0

    def counted(chunks: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal rows
        for chunk in chunks:
            rows += len(next(iter(chunk.values()))) if chunk else 0
            yield {name: _bad_as_nan(piece) for name, piece in chunk.items()}

    sink = None
    try:
        check_output(args.output)
        with opened_store(args, read_only=True, project_hint=project) as store:
            name = store.recording(args.recording).name
            replay = Replay.from_store(store, name, columns, rules=rule, period_ns=period)
            replay.convert_units(compiled.input_units)  # the recording's units to the graph's inputs'
            sink = open_sink(args.output)
            run = run_batch(compiled, counted(replay.chunks(columns, args.chunk)), sink.write)
            if rows == 0:
                raise DataCommandError(f"the recording '{name}' has no samples of {', '.join(columns)}; nothing to "
                                       "run")
            sink.close()
    except DataCommandError as exc:
        if sink is not None:
            sink.abort()
        return fail(str(exc), EXIT_DATA)
    except (StoreError, RecordingError) as exc:
        if sink is not None:
            sink.abort()
            return fail(f"{exc}\nNothing was written to {args.output}.")
        return fail(str(exc))
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    seconds = time.perf_counter() - started
    print(f"{rows} rows of '{name}' in {seconds:.2f} s; {sink.rows} rows written to {args.output}")
    if run.failures:
        for node, message in run.failures.items():
            print(f"  node '{node}' failed: {message} (its outputs are marked bad)", file=sys.stderr)
        return 3
    return 0


def _bad_as_nan(chunk: Any) -> Any:
    """Bad is NaN and NaN is bad, as in an export (an empty cell): a stored run and a run on the export agree."""
    import numpy as np

    from nodes.chunk import BAD, Chunk

    empty = np.isnan(chunk.v)
    bad = (chunk.q == BAD) | empty
    if np.array_equal(bad, empty) and np.array_equal(bad, chunk.q == BAD):
        return chunk
    return Chunk(chunk.t, np.where(bad, np.nan, chunk.v), np.where(bad, BAD, chunk.q).astype(np.uint8))
