"""Fused chains (nodes/fusion.py) give what the unfused engine gives, bit for bit, and keep what users see.

Every fusable component runs in one of three graphs, fed a signal with NaNs and good, uncertain and
bad samples (leading bad ones too), over random chunkings. Kernels compile once and are cached on
disk, so only the first run of this file on a machine pays for numba's compilation.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest
from hypothesis import given, settings

from nodes import fusion
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.component import Component, Kind, Port, Text
from nodes.engine import Run, compile_graph, run_batch
from nodes.graph import Graph
from nodes.kernels import stateless
from nodes.library import builtin_components
from nodes.registry import ComponentRegistry
from tests.nodes.helpers import SECOND, cut_points, signal, split

pytestmark = pytest.mark.skipif(not fusion.available(), reason="numba (the 'fast' extra) is not installed")

RNG = np.random.default_rng(22)
_values = RNG.normal(size=3000)
_values[RNG.choice(3000, 40, replace=False)] = np.nan
_quality = RNG.choice([GOOD, UNCERTAIN, BAD], size=3000, p=[0.9, 0.06, 0.04]).astype(np.uint8)
_quality[:5] = BAD  # nothing enters a recursion before the first good sample
X = signal(_values, quality=_quality)


class Uncompilable(Component):
    """Passes its input on; its kernel names a variable that does not exist, so it cannot compile.

    References
    ----------
    None: test component.
    """

    type_name = "test.uncompilable"
    title = Text("Uncompilable")
    inputs = (Port("x"),)
    outputs = (Port("y", Kind.SIGNAL, "=x"),)

    def process(self, inputs, state):
        return {"y": inputs["x"]}

    def kernel(self, state):
        return stateless("v = v + no_such_name")


class Undeclarable(Uncompilable):
    """Passes its input on; declaring its kernel raises.

    References
    ----------
    None: test component.
    """

    type_name = "test.undeclarable"
    title = Text("Undeclarable")

    def kernel(self, state):
        raise RuntimeError("no kernel today")


@pytest.fixture(scope="module")
def registry():
    r = ComponentRegistry()
    for cls in builtin_components():
        r.register(cls)
    r.register(Uncompilable)
    r.register(Undeclarable)
    return r


def _add_chain(g: Graph, name: str, steps, outputs: dict[str, str], source: str = "in.y") -> None:
    previous = source
    for i, (type_name, params, port_in, port_out) in enumerate(steps):
        node = f"{name}{i}"
        g.add_node(node, type_name, params)
        g.connect(previous, f"{node}.{port_in}")
        previous = f"{node}.{port_out}"
    for column, ref in outputs.items():
        g.add_node(f"out_{column}", "io.output", {"column": column})
        g.connect(ref if "." in ref else f"{name}{len(steps) - 1}.{ref}", f"out_{column}.x")


def signal_graph() -> Graph:
    """Scale, a unit conversion on a wire, EWMA, three Butterworth filters, derivative, integral, dead-band,
    rate limiter."""
    g = Graph("signals")
    g.add_node("in", "io.input", {"column": "x", "unit": "mm/s"})
    _add_chain(g, "n", [("signal.scale", {"gain": 1.5, "offset": 0.25}, "x", "y"),
                        ("signal.unit_convert", {"to": "m/s"}, "x", "y"),
                        ("signal.ewma", {"alpha": 0.3}, "x", "y"),
                        ("signal.bandpass", {"low": 5.0, "high": 200.0, "order": 2, "sample_rate": 1000.0}, "x", "y"),
                        ("signal.highpass", {"cutoff": 2.0, "order": 2, "sample_rate": 1000.0}, "x", "y"),
                        ("signal.lowpass", {"cutoff": 300.0, "order": 3, "sample_rate": 1000.0}, "x", "y"),
                        ("signal.derivative", {}, "x", "y"),
                        ("signal.integral", {"initial": 0.5}, "x", "y"),
                        ("signal.deadband", {"band": 1e-5}, "x", "y"),
                        ("signal.rate_limiter", {"rate": 0.02}, "x", "y")], {"y": "y"})
    return g


def boolean_graph() -> Graph:
    """Thresholds, hysteresis, NOT and edge counters of every edge, in three chains from one input."""
    g = Graph("booleans")
    g.add_node("in", "io.input", {"column": "x", "unit": "bar"})
    _add_chain(g, "a", [("signal.ewma", {"alpha": 0.2}, "x", "y"), ("signal.threshold", {"level": 0.1}, "x", "on"),
                        ("signal.edge_counter", {"edge": "both"}, "x", "count")], {"both": "count"})
    _add_chain(g, "b", [("signal.hysteresis", {"high": 0.5, "low": -0.5}, "x", "on"),
                        ("signal.edge_counter", {"edge": "rising"}, "x", "count")], {"rising": "count"})
    _add_chain(g, "c", [("signal.scale", {"gain": -1.0}, "x", "y"),
                        ("signal.threshold", {"level": 0.3, "direction": "below"}, "x", "on"),
                        ("logic.not", {}, "a", "y"),
                        ("signal.edge_counter", {"edge": "falling"}, "x", "count")], {"falling": "count"})
    return g


def block_graph() -> Graph:
    """Block RMS (blocks above numpy's 128-sample pairwise unit), a converting wire after it, ISO zone;
    peak and peak-to-peak."""
    g = Graph("blocks")
    g.add_node("in", "io.input", {"column": "x", "unit": "m/s^2"})
    _add_chain(g, "v", [("signal.bandpass", {"low": 10.0, "high": 400.0, "sample_rate": 1000.0}, "x", "y"),
                        ("signal.integral", {}, "x", "y"), ("vibration.rms", {"block_size": 300}, "x", "rms"),
                        ("signal.unit_convert", {"to": "mm/s"}, "x", "y"),
                        ("vibration.iso_severity", {"machine_class": "II"}, "v", "zone")],
               {"zone": "zone", "alert": "alert"})
    _add_chain(g, "p", [("signal.scale", {"gain": 2.0}, "x", "y"), ("vibration.peak", {"block_size": 37}, "x", "peak")],
               {"peak": "peak", "ptp": "peak_to_peak"})
    return g


GRAPHS = {"signals": (signal_graph, [[f"n{i}" for i in range(10)]]),
          "booleans": (boolean_graph, [["a0", "a1", "a2"], ["b0", "b1"], ["c0", "c1", "c2", "c3"]]),
          "blocks": (block_graph, [["v0", "v1", "v2", "v3", "v4"], ["p0", "p1"]])}


def _push_all(run: Run, pieces: list[Chunk]) -> dict[str, Chunk]:
    outputs: dict[str, list[Chunk]] = {}
    for piece in pieces:
        for column, chunk in run.push({"x": piece}).items():
            outputs.setdefault(column, []).append(chunk)
    return {column: Chunk.join(parts) for column, parts in outputs.items()}


def assert_identical(a: dict[str, Chunk], b: dict[str, Chunk]) -> None:
    assert a.keys() == b.keys()
    for column in a:
        assert a[column].v.dtype == b[column].v.dtype, column
        np.testing.assert_array_equal(a[column].t, b[column].t, err_msg=f"times of {column}")
        np.testing.assert_array_equal(a[column].q, b[column].q, err_msg=f"quality of {column}")
        np.testing.assert_array_equal(a[column].v, b[column].v, err_msg=f"values of {column}")  # NaN == NaN here
        np.testing.assert_array_equal(np.signbit(a[column].v), np.signbit(b[column].v), err_msg=f"signs of {column}")


def _counters(run: Run) -> dict[str, tuple[int, int, int]]:
    return {node: (s.calls, s.samples_in, s.samples_out) for node, s in run.stats.items()}


@pytest.mark.parametrize("name", GRAPHS)
def test_fused_chains_give_the_unfused_results_in_any_chunking(registry, name):
    build, chains = GRAPHS[name]
    compiled = compile_graph(build(), registry)
    assert [chain.ids for chain in Run(compiled, observe=()).chains] == chains

    @settings(max_examples=12, deadline=None)
    @given(cut_points(len(X)))
    def check(cuts):
        pieces = split(X, cuts)
        fused, plain = Run(compiled, observe=()), Run(compiled, observe=(), fuse=False)
        assert_identical(_push_all(fused, pieces), _push_all(plain, pieces))
        assert _counters(fused) == _counters(plain)  # the canvas badges and runtime metrics
        assert fused.failures == plain.failures == {}

    check()


def test_signed_zeros_come_out_as_unfused(registry):
    """The fused EWMA takes a shortcut except at exact zeros, where the signs of zeros need the long way."""
    g = Graph("zeros")
    g.add_node("in", "io.input", {"column": "x", "unit": "bar"})
    _add_chain(g, "n", [("signal.ewma", {"alpha": 0.5}, "x", "y"), ("signal.deadband", {"band": 0.0}, "x", "y")],
               {"y": "y"})
    compiled = compile_graph(g, registry)
    x = signal(np.array([0.0, -0.0, 0.0, -0.0, 1e-310, -0.0, 0.0, 2.0, -2.0, 0.0, -0.0, -1e-320, 0.0, -0.0] * 3))
    for start in (0.0, -0.0):
        first = signal([start])
        pieces = [first, *split(Chunk(x.t + 10**9, x.v, x.q), [5, 9, 30])]
        fused, plain = Run(compiled, observe=()), Run(compiled, fuse=False)
        assert len(fused.chains) == 1
        assert_identical(_push_all(fused, pieces), _push_all(plain, pieces))


def test_fused_results_do_not_depend_on_chunking(registry):
    compiled = compile_graph(signal_graph(), registry)
    whole = _push_all(Run(compiled, observe=()), [X])

    @settings(max_examples=10, deadline=None)
    @given(cut_points(len(X)))
    def check(cuts):
        parts = _push_all(Run(compiled, observe=()), split(X, cuts))
        np.testing.assert_array_equal(parts["y"].q, whole["y"].q)
        np.testing.assert_allclose(parts["y"].v, whole["y"].v, rtol=1e-8, atol=1e-9)

    check()


def test_a_watched_wire_splits_the_chain_and_stays_visible(registry):
    compiled = compile_graph(signal_graph(), registry)
    run = Run(compiled, observe={"n2.y", "n6"})
    assert [chain.ids for chain in run.chains] == [["n0", "n1", "n2"], ["n3", "n4", "n5", "n6"], ["n7", "n8", "n9"]]
    plain = Run(compiled, fuse=False)
    for piece in split(X, [700, 1900]):
        assert_identical(run.push({"x": piece}), plain.push({"x": piece}))
        for ref in (("n2", "y"), ("n6", "y")):
            assert_identical({"w": run.last_outputs[ref]}, {"w": plain.last_outputs[ref]})
        assert ("n4", "y") not in run.last_outputs and ("n4", "y") in plain.last_outputs


def test_a_chain_inside_a_feedback_loop_runs_block_by_block_as_unfused(registry):
    g = Graph("loop")
    g.add_node("in", "io.input", {"column": "x", "unit": "bar"})
    g.add_node("sum", "signal.add_subtract", {})
    g.add_node("delay", "signal.delay", {"samples": 7})
    g.add_node("half", "signal.scale", {"gain": 0.5})
    g.add_node("smooth", "signal.ewma", {"alpha": 0.3})
    g.add_node("out", "io.output", {"column": "y"})
    for a, b in (("in.y", "sum.a"), ("delay.y", "sum.b"), ("sum.y", "half.x"), ("half.y", "smooth.x"),
                 ("smooth.y", "delay.x"), ("smooth.y", "out.x")):
        g.connect(a, b)
    compiled = compile_graph(g, registry)
    assert compiled.block_limit == 7
    assert [chain.ids for chain in Run(compiled, observe=()).chains] == [["half", "smooth"]]
    for cuts in ([], [3, 500, 1999]):
        fused, plain = Run(compiled, observe=()), Run(compiled, fuse=False)
        assert_identical(_push_all(fused, split(X, cuts)), _push_all(plain, split(X, cuts)))
        assert _counters(fused) == _counters(plain)


def test_graph_outputs_and_fan_outs_end_chains_and_nothing_fuses_unasked(registry):
    g = signal_graph()
    g.add_node("tap", "io.output", {"column": "ewma"})
    g.connect("n2.y", "tap.x")
    g.add_node("side", "signal.scale", {})
    g.connect("n5.y", "side.x")
    compiled = compile_graph(g, registry)
    assert [chain.ids for chain in Run(compiled, observe=()).chains] == [["n0", "n1", "n2"], ["n3", "n4", "n5"],
                                                                         ["n6", "n7", "n8", "n9"]]
    assert Run(compiled).chains == [] and Run(compiled, observe=(), fuse=False).chains == []


def test_outputs_kept_by_the_caller_are_never_overwritten_and_dropped_ones_are_reused(registry):
    compiled = compile_graph(boolean_graph(), registry)
    run = Run(compiled, observe=())
    first, second, third = split(X, [1000, 2000])
    kept = run.push({"x": first})
    expected = {column: (chunk.v.copy(), chunk.q.copy()) for column, chunk in kept.items()}
    run.push({"x": second})
    for column, chunk in kept.items():
        np.testing.assert_array_equal(chunk.v, expected[column][0])
        np.testing.assert_array_equal(chunk.q, expected[column][1])
    bases = {column: weakref.ref(chunk.v.base) for column, chunk in run.push({"x": second}).items()}  # dropped
    again = run.push({"x": third})
    assert all(again[column].v.base is bases[column]() for column in again)  # no fresh array, no page faults
    assert all(again[column].v.base is not kept[column].v.base for column in again)


def test_a_sampling_failure_inside_a_chain_falls_back_and_is_isolated(registry):
    t = X.t.copy()
    t[2000:] += 5 * SECOND
    x = Chunk(t, X.v, X.q)
    compiled = compile_graph(block_graph(), registry)
    for cuts in ([], [1500], [300, 2000, 2001]):
        fused, plain = Run(compiled, observe=()), Run(compiled, observe=(), fuse=False)
        assert_identical(_push_all(fused, split(x, cuts)), _push_all(plain, split(x, cuts)))
        assert list(fused.failures) == list(plain.failures) == ["v0"]
        assert fused.failures == plain.failures
        assert _counters(fused) == _counters(plain)
        assert [chain.ids for chain in fused.chains] == [["p0", "p1"]]  # the other chain still runs fused


def test_a_kernel_that_cannot_compile_runs_unfused(registry, caplog):
    g = Graph("bad kernel")
    g.add_node("in", "io.input", {"column": "x", "unit": "bar"})
    _add_chain(g, "n", [("signal.scale", {"gain": 3.0}, "x", "y"), ("test.uncompilable", {}, "x", "y"),
                        ("signal.ewma", {}, "x", "y")], {"y": "y"})
    compiled = compile_graph(g, registry)
    run = Run(compiled, observe=())
    assert len(run.chains) == 1
    pieces = split(X, [1000, 2000])
    assert_identical(_push_all(run, pieces), _push_all(Run(compiled, fuse=False), pieces))
    assert run.chains == [] and run.failures == {}
    assert "run unfused" in caplog.text


def test_a_kernel_that_cannot_be_declared_leaves_its_node_unfused(registry):
    g = Graph("undeclarable")
    g.add_node("in", "io.input", {"column": "x", "unit": "bar"})
    _add_chain(g, "n", [("signal.scale", {}, "x", "y"), ("test.undeclarable", {}, "x", "y"),
                        ("signal.ewma", {}, "x", "y"), ("signal.derivative", {}, "x", "y")], {"y": "y"})
    compiled = compile_graph(g, registry)
    run = Run(compiled, observe=())
    assert [chain.ids for chain in run.chains] == [["n2", "n3"]]
    assert_identical(_push_all(run, [X]), _push_all(Run(compiled, fuse=False), [X]))


@pytest.mark.parametrize("name", GRAPHS)
def test_saved_state_means_the_same_fused_and_unfused(registry, name):
    """What the app runtime saves (run.states) from a fused run continues unfused, and back."""
    compiled = compile_graph(GRAPHS[name][0](), registry)
    first, second, third = split(X, [1234, 2345])
    fused = Run(compiled, observe=())
    fused.push({"x": first})
    plain = Run(compiled, fuse=False)
    plain.states.update(copy.deepcopy(fused.states))
    assert_identical(plain.push({"x": second}), fused.push({"x": second}))
    again = Run(compiled, observe=())
    again.states.update(copy.deepcopy(plain.states))  # the runtime's restore: loaded before the next push
    assert_identical(again.push({"x": third}), plain.push({"x": third}))


def test_batch_runs_fuse_and_numba_can_be_switched_off(registry, monkeypatch):
    compiled = compile_graph(boolean_graph(), registry)
    written: list[dict[str, Chunk]] = []
    fused = run_batch(compiled, ({"x": piece} for piece in split(X, [1000])), written.append)
    assert len(fused.chains) == 3
    monkeypatch.setenv("MILLWRIGHT_NO_NUMBA", "1")
    assert not fusion.available()
    off: list[dict[str, Chunk]] = []
    plain = run_batch(compiled, ({"x": piece} for piece in split(X, [1000])), off.append)
    assert plain.chains == []
    for a, b in zip(written, off, strict=True):
        assert_identical(a, b)


def _python(script: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NUMBA_CACHE_DIR": "", **env}  # this process may have set it
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True,
                          env=environment, cwd=os.getcwd(), timeout=300)


RUN_COUNTER = """
    import sys
    import numpy as np
    from benchmarks.engine import counter_graph
    from nodes.chunk import Chunk
    from nodes.engine import Run, compile_graph
    t = np.arange(5000, dtype=np.int64) * 500_000
    x = {"acc": Chunk.of(t, np.sin(np.arange(5000) / 50.0))}
    compiled = compile_graph(counter_graph())  # EWMA -> threshold -> edge counter
    plain = Run(compiled).push(x)["count"].v
    print(sys.modules.get("numba") is not None, end=" ")
    run = Run(compiled, observe=())
    fused = run.push(x)["count"].v
    print(len(run.chains), sys.modules.get("numba") is not None, np.array_equal(fused, plain), int(plain[-1]))
"""


def test_without_numba_the_unfused_path_runs_and_numba_is_not_loaded_unasked():
    blocked = "import sys\nsys.modules['numba'] = None  # what Python does for a module that is not there\n"
    missing = _python(blocked + textwrap.dedent(RUN_COUNTER))
    assert missing.returncode == 0, missing.stderr
    assert missing.stdout.split() == ["False", "0", "False", "True", "16"]
    present = _python(RUN_COUNTER)
    assert present.returncode == 0, present.stderr
    assert present.stdout.split() == ["False", "1", "True", "True", "16"]  # loaded only once a chain fuses


@pytest.mark.slow  # compiles in a fresh process (~10 s on a busy machine)
def test_an_unwritable_kernel_cache_still_fuses(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = _python(RUN_COUNTER, MILLWRIGHT_KERNEL_CACHE=str(not_a_folder / "kernels"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "1", "True", "True", "16"]
    assert "cannot be written" in result.stderr


@pytest.mark.slow  # compiles in a fresh process, then loads in another
def test_kernels_are_cached_on_disk(tmp_path):
    cache = tmp_path / "cache"
    result = _python(RUN_COUNTER, MILLWRIGHT_KERNEL_CACHE=str(cache))
    assert result.returncode == 0, result.stderr
    assert len(list(cache.glob("millwright_fused_*.py"))) == 1
    assert list(cache.rglob("*.nbi")) and list(cache.rglob("*.nbc"))  # numba's index and machine code
    again = _python(RUN_COUNTER, MILLWRIGHT_KERNEL_CACHE=str(cache))
    assert again.stdout == result.stdout
