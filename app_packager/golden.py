"""Golden tests: an app's graph run over a recorded input, compared with the expected outputs.

A golden test (declared in the manifest) checks what ``millwright run-graph`` writes for the
test's input against the expected file, column by column, within the test's tolerances:
``|actual − expected| ≤ absolute + relative·|expected|`` as :func:`numpy.isclose` computes it,
a missing value (NaN) equal only to a missing value. The run's outputs go through the same sink
as run-graph (bad-quality samples become empty cells, numbers keep 10 significant digits) and
both files are read back by the one recording reader, so an expected file written by run-graph
compares exactly and an author can make one with that command.

The expected file names the outputs it checks (it may leave some out); each failing output is
reported with the time of its first failure, the expected and actual values, their difference
and how many samples failed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app_packager.errors import AppError
from app_packager.manifest import GoldenTest, Tolerance
from device_browser.recordings import RecordingError, open_sink, open_source
from nodes.chunk import Chunk
from nodes.engine import CompiledGraph, run_batch

CHUNK_ROWS = 100_000  # as run-graph: a test's result must not depend on how it is cut
LABEL_SUFFIX = ".label"  # event texts the sink writes beside an output: text, not numbers to compare


class Cancelled(AppError):
    """The user stopped a build or a golden test; nothing was written."""


@dataclass(frozen=True)
class OutputFailure:
    """An output whose values are out of tolerance: where it first fails and how often."""

    output: str
    time_ns: int  # the first failing sample's time
    expected: float
    actual: float
    tolerance: Tolerance
    failed: int  # samples out of tolerance
    samples: int

    @property
    def difference(self) -> float:
        return self.actual - self.expected

    def describe(self, start_ns: int) -> str:
        allowed = self.tolerance.absolute + self.tolerance.relative * abs(self.expected)
        return (f"output '{self.output}' at {iso_time(self.time_ns)} ({(self.time_ns - start_ns) / 1e9:g} s into "
                f"the test): expected {_value(self.expected)}, got {_value(self.actual)}, difference "
                f"{_difference(self.difference)} (allowed ±{allowed:.3g}); {self.failed:,} of {self.samples:,} "
                "samples out of tolerance")


@dataclass(frozen=True)
class GoldenReport:
    """The outcome of one golden test."""

    test: str
    checked: tuple[str, ...] = ()  # the outputs compared
    rows: int = 0
    start_ns: int = 0
    failures: tuple[OutputFailure, ...] = ()
    problems: tuple[str, ...] = ()  # what kept the outputs from being compared, and nodes that failed

    @property
    def passed(self) -> bool:
        return not self.failures and not self.problems

    def describe(self) -> str:
        """One line when it passed; otherwise a line per problem and per failing output."""
        if self.passed:
            return f"golden test '{self.test}' passed: {len(self.checked)} output(s), {self.rows:,} rows"
        lines = [f"golden test '{self.test}' FAILED:"]
        lines += [f"  {problem}" for problem in self.problems]
        lines += [f"  {failure.describe(self.start_ns)}" for failure in self.failures]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Table:
    """A recording read whole: its times and its numeric columns."""

    time: np.ndarray
    columns: dict[str, np.ndarray]


def run_golden_test(test: GoldenTest, compiled: CompiledGraph, folder: Path,
                    cancelled: Callable[[], bool] = lambda: False) -> GoldenReport:
    """Run ``test`` (its files relative to ``folder``) on ``compiled``; :class:`Cancelled` if asked to stop."""
    folder = Path(folder)
    try:
        with tempfile.TemporaryDirectory(prefix="millwright-golden-") as scratch:
            actual_path = Path(scratch) / f"actual{Path(test.expected).suffix.lower() or '.csv'}"
            node_failures = _run(compiled, folder / test.input, actual_path, cancelled)
            actual = _read(actual_path)
        expected = _read(folder / test.expected)
    except RecordingError as exc:
        return GoldenReport(test.name, problems=(str(exc),))
    problems = [f"node '{node}' failed: {message} (its outputs are marked bad)"
                for node, message in sorted(node_failures.items())]
    return _compare(test, expected, actual, problems)


def _run(compiled: CompiledGraph, input_path: Path, output: Path, cancelled: Callable[[], bool]) -> dict[str, str]:
    """Run the graph over ``input_path`` into ``output`` as run-graph does; the nodes that failed."""
    source = open_source(input_path)
    columns = list(compiled.inputs)
    source.check_columns(columns)
    source.check_rows()
    sink = open_sink(output)

    def chunks():
        for chunk in source.chunks(columns, CHUNK_ROWS):
            if cancelled():
                raise Cancelled(f"the golden test on {input_path.name} was cancelled")
            yield chunk

    try:
        run = run_batch(compiled, chunks(), sink.write)
        sink.close()
    except BaseException:
        sink.abort()
        raise
    return run.failures


def _read(path: Path) -> _Table:
    source = open_source(path)
    names = [c for c in source.columns() if not c.endswith(LABEL_SUFFIX)]
    parts = list(source.chunks(names, CHUNK_ROWS)) if names else []
    joined = {name: Chunk.join([part[name] for part in parts]) for name in names} if parts else {}
    time = next(iter(joined.values())).t if joined else np.empty(0, np.int64)
    return _Table(time, {name: chunk.v for name, chunk in joined.items()})


def _compare(test: GoldenTest, expected: _Table, actual: _Table, problems: list[str]) -> GoldenReport:
    outputs = ", ".join(actual.columns) or "none"
    if not expected.columns:
        problems.append(f"{test.expected}: there is no output column to check, only the time")
    for name in expected.columns:
        if name not in actual.columns:
            problems.append(f"{test.expected}: column '{name}' is not an output of the graph (its outputs: {outputs})")
    for name in test.outputs:
        if name not in expected.columns:
            problems.append(f"tests.{test.name}.outputs.{name}: a tolerance for '{name}', but {test.expected} "
                            "has no such column")
    start = int(expected.time[0]) if len(expected.time) else 0
    checked = tuple(name for name in expected.columns if name in actual.columns)
    if len(expected.time) != len(actual.time):
        problems.append(f"{test.expected} has {len(expected.time):,} rows, the run gave {len(actual.time):,}")
        return GoldenReport(test.name, checked, len(actual.time), start, problems=tuple(problems))
    moved = np.flatnonzero(expected.time != actual.time)
    if len(moved):
        row = moved[0]
        problems.append(f"{test.expected}, row {row + 1}: the expected time is {iso_time(expected.time[row])}, "
                        f"the run's is {iso_time(actual.time[row])}")
        return GoldenReport(test.name, checked, len(actual.time), start, problems=tuple(problems))
    failures = [f for f in (_check(name, test.tolerance_of(name), expected, actual) for name in checked) if f]
    return GoldenReport(test.name, checked, len(actual.time), start, tuple(failures), tuple(problems))


def _check(name: str, tolerance: Tolerance, expected: _Table, actual: _Table) -> OutputFailure | None:
    want, got = expected.columns[name], actual.columns[name]
    wrong = np.flatnonzero(~np.isclose(got, want, rtol=tolerance.relative, atol=tolerance.absolute, equal_nan=True))
    if not len(wrong):
        return None
    first = wrong[0]
    return OutputFailure(name, int(actual.time[first]), float(want[first]), float(got[first]), tolerance,
                         len(wrong), len(want))


def iso_time(ns: int) -> str:
    """UTC time to the microsecond, as recordings write it: ``2026-11-25T08:00:00.001500Z``."""
    return f"{np.datetime_as_string(np.datetime64(int(ns), 'ns'), unit='us')}Z"


def _value(number: float) -> str:
    return "no value (bad quality)" if np.isnan(number) else f"{number:.10g}"


def _difference(number: float) -> str:
    return "undefined (one side has no value)" if np.isnan(number) else f"{number:+.6g}"
