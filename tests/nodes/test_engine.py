import numpy as np
import pytest
from hypothesis import given, settings

from nodes.chunk import BAD, GOOD, Chunk
from nodes.component import Component, Kind, Port, Text
from nodes.composite import composite_component
from nodes.engine import GraphError, Run, compile_graph, run_batch
from nodes.fusion import available as fusion_available
from nodes.graph import ExposedPort, Graph
from nodes.library import builtin_components
from nodes.registry import ComponentRegistry
from nodes.validation import validate
from tests.nodes.helpers import SECOND, cut_points, signal, split


class Fragile(Component):
    """Fails on its second call (a stand-in for a component with a bug).

    References
    ----------
    None: test component.
    """

    type_name = "test.fragile"
    title = Text("Fragile")
    inputs = (Port("x"),)
    outputs = (Port("y", Kind.SIGNAL, "=x"),)

    def init_state(self):
        return {"calls": 0}

    def process(self, inputs, state):
        state["calls"] += 1
        if state["calls"] == 2:
            raise ZeroDivisionError("division by zero in a plug-in")
        return {"y": inputs["x"]}


@pytest.fixture
def registry():
    r = ComponentRegistry()
    for cls in builtin_components():
        r.register(cls)
    r.register(Fragile)
    return r


def _chain(*steps, unit="mm/s") -> Graph:
    g = Graph("chain")
    g.add_node("in", "io.input", {"column": "x", "unit": unit})
    previous = "in.y"
    for i, (type_name, params) in enumerate(steps):
        g.add_node(f"n{i}", type_name, params)
        g.connect(previous, f"n{i}.x")
        previous = f"n{i}.y"
    g.add_node("out", "io.output", {"column": "y"})
    g.connect(previous, "out.x")
    return g


def test_every_problem_is_reported_at_once(registry):
    g = Graph()
    g.add_node("temp", "io.input", {"column": "t", "unit": "degC"})
    g.add_node("speed", "io.input", {"column": "v", "unit": "mm/s"})
    g.add_node("sum", "signal.add_subtract", {})
    g.add_node("lp", "signal.lowpass", {"cutoff": 900.0, "sample_rate": 1000.0})
    g.add_node("cmp", "signal.threshold", {"level": 1.0})
    g.add_node("and", "logic.and", {})
    g.add_node("ghost", "vendor.not_installed", {"k": 1})
    g.add_node("ma", "signal.moving_average", {"window": 0})
    g.add_node("loop_a", "signal.ewma", {})
    g.add_node("loop_b", "signal.ewma", {})
    g.connect("speed.y", "sum.a")
    g.connect("temp.y", "sum.b")  # °C into mm/s
    g.connect("speed.y", "and.a")  # a signal into a boolean input
    g.connect("cmp.on", "and.b")
    g.connect("speed.y", "lp.x")
    g.connect("temp.y", "lp.x")  # a second feed into the same input
    g.connect("loop_a.y", "loop_b.x")
    g.connect("loop_b.y", "loop_a.x")
    g.connect("speed.y", "lp.nope")
    problems = {(p.code, p.node, p.port) for p in validate(g, registry).problems}
    assert problems >= {
        ("unit_mismatch", "sum", "b"), ("kind_mismatch", "and", "a"), ("bad_parameter", "lp", "cutoff"),
        ("unconnected_input", "cmp", "x"), ("missing_component", "ghost", None), ("bad_parameter", "ma", "window"),
        ("double_connection", "lp", "x"), ("unknown_port", "lp", "nope"), ("unconnected_input", "ma", "x"),
    }
    assert any(code == "cycle" for code, _, _ in problems)
    messages = {(p.code, p.node): p.message for p in validate(g, registry).problems}
    assert messages[("unit_mismatch", "sum")] == ("temp.y is wired in, but 'degC' cannot be converted to 'mm/s' "
                                         "(a temperature is not a speed)")
    assert messages[("kind_mismatch", "and")] == "speed.y gives a signal but this input takes a boolean signal"
    assert messages[("bad_parameter", "lp")] == "parameter 'cutoff' must be below half the sample rate (500 Hz)"
    assert messages[("missing_component", "ghost")].startswith("component type 'vendor.not_installed' is not installed")


def test_units_are_converted_on_edges(registry):
    g = _chain(("signal.unit_convert", {"to": "m/s"}), ("signal.scale", {"gain": 2.0}))
    compiled = compile_graph(g, registry)
    out = Run(compiled).push({"x": signal([1000.0, 2500.0])})
    np.testing.assert_allclose(out["y"].v, [2.0, 5.0])
    assert compiled.output_units == {"y": "m/s"} and compiled.input_units == {"x": "mm/s"}


@pytest.mark.parametrize("fused", [False, True], ids=["unfused", "fused"])
def test_results_do_not_depend_on_chunking(registry, fused):
    # Fused, the band-pass and the integral run as one kernel (nodes/fusion.py) and so do the
    # derivative and the scale after the moving average.
    g = _chain(("signal.bandpass", {"low": 5.0, "high": 50.0, "sample_rate": 1000.0}),
               ("signal.integral", {}), ("signal.moving_average", {"window": 33}), ("signal.derivative", {}),
               ("signal.scale", {"gain": 2.0}))
    x = signal(np.random.default_rng(3).normal(size=6000))
    observe = () if fused else None
    whole = Run(compile_graph(g, registry), observe=observe).push({"x": x})["y"]
    assert len(Run(compile_graph(g, registry), observe=observe).chains) == (2 if fused and fusion_available() else 0)

    @settings(max_examples=20, deadline=None)
    @given(cut_points(len(x)))
    def check(cuts):
        run = Run(compile_graph(g, registry), observe=observe)
        parts = [run.push({"x": piece})["y"] for piece in split(x, cuts)]
        v = np.concatenate([p.v for p in parts])
        np.testing.assert_allclose(v, whole.v, rtol=1e-8, atol=1e-9)
        np.testing.assert_array_equal(np.concatenate([p.q for p in parts]), whole.q)

    check()


def test_a_failing_node_is_isolated(registry):
    g = _chain(("test.fragile", {}), ("signal.scale", {"gain": 10.0}))
    g.add_node("healthy", "signal.scale", {"gain": 1.0})
    g.add_node("out2", "io.output", {"column": "raw"})
    g.connect("in.y", "healthy.x")
    g.connect("healthy.y", "out2.x")
    run = Run(compile_graph(g, registry))
    first = run.push({"x": signal([1.0, 2.0])})
    second = run.push({"x": signal([3.0, 4.0], start=10**18)})
    third = run.push({"x": signal([5.0], start=2 * 10**18)})
    assert list(first["y"].v) == [10.0, 20.0] and (first["y"].q == GOOD).all()
    assert np.isnan(second["y"].v).all() and (second["y"].q == BAD).all() and (third["y"].q == BAD).all()
    assert list(third["raw"].v) == [5.0]  # the rest goes on
    assert run.failures == {"n0": "ZeroDivisionError: division by zero in a plug-in"}
    stats = run.stats["n1"]
    assert stats.calls == 3 and stats.samples_in == 5 and stats.seconds > 0
    assert run.stats["n0"].calls == 1  # counted until it failed


def test_feedback_loop_through_a_delay_accumulates(registry):
    # y[k] = x[k] + y[k-1]: a running sum built from an adder and a one-sample delay.
    g = Graph()
    g.add_node("in", "io.input", {"column": "x"})
    g.add_node("sum", "signal.add_subtract", {})
    g.add_node("z", "signal.delay", {"samples": 1})
    g.add_node("out", "io.output", {"column": "y"})
    g.connect("in.y", "sum.a")
    g.connect("z.y", "sum.b")
    g.connect("sum.y", "z.x")
    g.connect("sum.y", "out.x")
    compiled = compile_graph(g, registry)
    assert compiled.block_limit == 1
    x = np.arange(1.0, 101.0)
    out = Run(compiled).push({"x": signal(x)})["y"]
    np.testing.assert_allclose(out.v, np.cumsum(x))
    g.nodes["z"].type = "signal.ewma"  # the same loop without a delay
    with pytest.raises(GraphError, match="form a loop without a delay"):
        compile_graph(g, registry)


def test_a_delay_outside_a_loop_runs_like_any_node(registry):
    g = _chain(("signal.delay", {"samples": 2}))
    x = signal([1.0, 2.0, 3.0, 4.0, 5.0])
    whole = Run(compile_graph(g, registry)).push({"x": x})["y"]
    assert list(whole.v) == [0.0, 0.0, 1.0, 2.0, 3.0] and list(whole.t) == list(x.t)
    run = Run(compile_graph(g, registry))
    pieces = [run.push({"x": piece})["y"] for piece in split(x, [1, 2, 3, 4])]
    assert [p.v[0] for p in pieces] == list(whole.v)
    assert compile_graph(g, registry).block_limit is None


def test_parameter_overrides_leave_the_graph_alone(registry):
    g = _chain(("signal.scale", {"gain": 2.0}))
    compile_graph(g, registry, overrides={"n0": {"gain": 5.0}})
    assert g.nodes["n0"].params == {"gain": 2.0}


class BadStart(Fragile):
    """Fails to start (a plug-in whose state cannot be built).

    References
    ----------
    None: test component.
    """

    type_name = "test.bad_start"

    def init_state(self):
        raise OSError("calibration file missing")


def test_a_component_that_cannot_start_is_isolated(registry):
    registry.register(BadStart)
    g = _chain(("test.bad_start", {}))
    g.add_node("ok", "signal.scale", {"gain": 2.0})
    g.add_node("out2", "io.output", {"column": "ok"})
    g.connect("in.y", "ok.x")
    g.connect("ok.y", "out2.x")
    run = Run(compile_graph(g, registry))
    out = run.push({"x": signal([1.0, 2.0])})
    assert (out["y"].q == BAD).all() and list(out["ok"].v) == [2.0, 4.0]
    assert run.failures == {"n0": "OSError: calibration file missing"}


def test_step_mode_runs_one_node_at_a_time(registry):
    g = _chain(("signal.scale", {"gain": 3.0}), ("signal.scale", {"offset": 1.0}))
    run = Run(compile_graph(g, registry))
    steps = list(run.steps({"x": signal([1.0, 2.0])}))
    assert [node for node, _ in steps] == ["in", "n0", "n1"]
    assert list(steps[1][1]["y"].v) == [3.0, 6.0] and list(run.outputs()["y"].v) == [4.0, 7.0]


def test_batch_mode_writes_every_chunk(registry):
    g = _chain(("signal.scale", {"gain": 2.0}))
    written = []
    run = run_batch(compile_graph(g, registry), ({"x": c} for c in split(signal(np.ones(10)), [3, 7])),
                    written.append)
    assert [len(w["y"]) for w in written] == [3, 4, 3] and run.stats["n0"].samples_out == 10


def test_composites_embedded_and_published_match_the_inline_graph(registry):
    inner = Graph("smooth and scale")
    inner.add_node("ma", "signal.moving_average", {"window": 4})
    inner.add_node("k", "signal.scale", {"gain": 0.5})
    inner.connect("ma.y", "k.x")
    inner.exposed_inputs = [ExposedPort("raw", "ma", "x")]
    inner.exposed_outputs = [ExposedPort("smooth", "k", "y")]
    x = signal(np.arange(20.0))
    inline = Run(compile_graph(_chain(("signal.moving_average", {"window": 4}), ("signal.scale", {"gain": 0.5})),
                               registry)).push({"x": x})["y"]

    def outer(type_name, **node_kw):
        g = Graph()
        g.add_node("in", "io.input", {"column": "x", "unit": "bar"})
        g.add_node("c", type_name, {}, **node_kw)
        g.add_node("out", "io.output", {"column": "y"})
        g.connect("in.y", "c.raw")
        g.connect("c.smooth", "out.x")
        return g

    embedded = outer("composite", graph=inner)
    assert Graph.from_text(embedded.to_text()).to_text() == embedded.to_text()
    np.testing.assert_allclose(Run(compile_graph(embedded, registry)).push({"x": x})["y"].v, inline.v)
    registry.register(composite_component(inner, "plant.smooth_scale", registry))
    published = compile_graph(outer("plant.smooth_scale"), registry)
    np.testing.assert_allclose(Run(published).push({"x": x})["y"].v, inline.v)
    assert [p.id for p in published.plans if "/" in p.id] == ["c/ma", "c/k"]
    assert published.output_units == {"y": "bar"}


def test_parameter_overrides_and_unknown_nodes(registry):
    g = _chain(("signal.scale", {"gain": 2.0}))
    out = Run(compile_graph(g, registry, overrides={"n0": {"gain": 5.0}})).push({"x": signal([1.0])})
    assert list(out["y"].v) == [5.0]
    with pytest.raises(GraphError, match="names node 'nope'"):
        compile_graph(g, registry, overrides={"nope": {"gain": 1}})


def test_empty_chunks_flow_through(registry):
    g = _chain(("signal.lowpass", {}), ("signal.ewma", {}), ("signal.derivative", {}))
    out = Run(compile_graph(g, registry)).push({"x": Chunk.empty()})
    assert len(out["y"]) == 0


def test_a_filter_fed_at_another_rate_fails_while_the_rest_runs(registry):
    g = _chain(("signal.lowpass", {"cutoff": 1.0, "sample_rate": 1000.0}))
    g.add_node("healthy", "signal.scale", {"gain": 2.0})
    g.add_node("out2", "io.output", {"column": "raw"})
    g.connect("in.y", "healthy.x")
    g.connect("healthy.y", "out2.x")
    run = Run(compile_graph(g, registry))
    ticks = [run.push({"x": piece}) for piece in split(signal(np.arange(30.0), rate=10.0), range(30))]
    assert (ticks[0]["y"].q == GOOD).all()  # one sample says nothing of the rate
    assert all((tick["y"].q == BAD).all() for tick in ticks[1:])
    assert np.concatenate([tick["raw"].v for tick in ticks]).tolist() == list(np.arange(0.0, 60.0, 2.0))
    assert run.failures == {"n0": "input 'x' arrives at 10 Hz, but sample_rate is 1000 Hz: set sample_rate to 10 Hz, "
                                  "or resample the source"}
    assert run.stats["n0"].calls == 1

    g.nodes["n0"].params["sample_rate"] = 10.0
    run = Run(compile_graph(g, registry))
    for piece in split(signal(np.arange(30.0), rate=10.0), range(0, 30, 4)):
        run.push({"x": piece})
    assert run.failures == {}


def test_a_gap_in_a_recording_fails_the_filter_at_the_same_sample_in_any_chunking(registry):
    g = _chain(("signal.bandpass", {"low": 5.0, "high": 50.0, "sample_rate": 1000.0}), ("signal.integral", {}))
    t = signal(np.zeros(3000)).t
    t[2000:] += 5 * SECOND
    x = Chunk.of(t, np.random.default_rng(5).normal(size=len(t)))
    expected = {"n0": "input 'x' is not sampled regularly: a gap of 5 s at 2023-11-14 22:13:27 UTC (expected 1 ms "
                      "between samples); a component with a sample_rate needs a regular stream: resample the source, "
                      "or run live, where inputs are resampled onto the run's rate"}

    @settings(max_examples=15, deadline=None)
    @given(cut_points(len(x)))
    def check(cuts):
        run = Run(compile_graph(g, registry))
        for piece in split(x, cuts):
            run.push({"x": piece})
        assert run.failures == expected and run.stats["n1"].samples_in == len(x)

    check()
