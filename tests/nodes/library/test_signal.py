import numpy as np
import pytest
from hypothesis import given, settings

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.library import logic
from nodes.library import signal as s
from nodes.registry import declaration_problem
from tests.nodes.helpers import assert_same, cut_points, run, signal

RNG = np.random.default_rng(20261125)
# Mixed quality, so that invariance covers how quality crosses chunk boundaries too.
NOISE = signal(RNG.normal(size=3000), quality=RNG.choice([GOOD, UNCERTAIN, BAD], size=3000, p=[0.9, 0.06, 0.04]))
STEPS = signal(np.repeat(RNG.normal(size=60), 50))
BOOLS = signal(RNG.random(3000) > 0.6)


def _sine(freq, fs=1000.0, seconds=4.0, amplitude=1.0):
    t = np.arange(int(fs * seconds)) / fs
    return signal(amplitude * np.sin(2 * np.pi * freq * t), rate=fs)


def _steady_amplitude(chunk: Chunk) -> float:
    tail = chunk.v[len(chunk) // 2:]
    return float(np.sqrt(2) * np.sqrt(np.mean(tail**2)))


@pytest.mark.parametrize("cls", s.COMPONENTS + logic.COMPONENTS)
def test_declarations_are_complete(cls):
    assert declaration_problem(cls) is None
    assert cls.title.zh and all(p.title.zh for p in cls.params)
    assert "References" in cls.__doc__
    spec = cls.spec()
    assert spec["type"] == cls.type_name and spec["inputs"] == [p.to_json() for p in cls.inputs]


def test_scale():
    assert list(run(s.Scale({"gain": 2.0, "offset": 3.0}), {"x": signal([0.0, 1.0, -4.0])})["y"].v) == [3, 5, -5]


def test_moving_average_matches_a_convolution_and_marks_warm_up():
    out = run(s.MovingAverage({"window": 7}), {"x": signal(NOISE.v)})["y"]
    expected = np.convolve(NOISE.v, np.ones(7) / 7, mode="full")[: len(NOISE)]
    np.testing.assert_allclose(out.v[6:], expected[6:], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out.v[:6], np.cumsum(NOISE.v[:6]) / np.arange(1, 7))
    assert (out.q[:6] == UNCERTAIN).all() and (out.q[6:] == GOOD).all()
    flagged = run(s.MovingAverage({"window": 7}), {"x": signal(np.ones(20), quality=[GOOD] * 10 + [BAD] + [GOOD] * 9)})
    assert list(flagged["y"].q[10:]) == [BAD] * 7 + [GOOD] * 3  # a bad sample taints the windows it is in


def test_median_and_window_stats_match_explicit_windows():
    x = NOISE.v[:200]
    med = run(s.Median({"window": 5}), {"x": signal(x)})["y"].v
    stats = run(s.WindowStats({"window": 5}), {"x": signal(x)})
    for k in range(4, 200):
        window = x[k - 4: k + 1]
        assert med[k] == np.median(window)
        assert (stats["min"].v[k], stats["max"].v[k]) == (window.min(), window.max())
        assert stats["mean"].v[k] == pytest.approx(window.mean(), rel=1e-12)
        assert stats["std"].v[k] == pytest.approx(window.std(ddof=1), rel=1e-9)


def test_median_removes_a_spike_without_moving_a_step():
    x = np.r_[np.zeros(20), 10.0, np.zeros(20), np.ones(20)]
    y = run(s.Median({"window": 5}), {"x": signal(x)})["y"].v
    assert y.max() == 1.0 and y[-1] == 1.0


def test_ewma_matches_its_recurrence():
    a = 0.2
    y = run(s.Ewma({"alpha": a}), {"x": signal(NOISE.v)})["y"].v
    expected = [NOISE.v[0]]
    for value in NOISE.v[1:]:
        expected.append(a * value + (1 - a) * expected[-1])
    np.testing.assert_allclose(y, expected, rtol=1e-10)


def _warped(f, fs=1000.0):
    # Digital Butterworth = analog prototype through the bilinear transform: Ω = tan(π f / fs).
    return np.tan(np.pi * f / fs)


def _lowpass_gain(f, fc, n):
    return 1 / np.sqrt(1 + (_warped(f) / _warped(fc)) ** (2 * n))  # |H|² = 1/(1 + (Ω/Ωc)^2n)


def _highpass_gain(f, fc, n):
    return 1 / np.sqrt(1 + (_warped(fc) / _warped(f)) ** (2 * n))  # |H|² = 1/(1 + (Ωc/Ω)^2n)


@pytest.mark.parametrize(("cls", "params", "freq", "gain"), [
    (s.LowPass, {"cutoff": 50.0, "order": 4}, 50.0, 1 / np.sqrt(2)),  # −3 dB at the cut-off
    (s.LowPass, {"cutoff": 50.0, "order": 4}, 2.0, _lowpass_gain(2.0, 50.0, 4)),
    (s.LowPass, {"cutoff": 50.0, "order": 4}, 120.0, _lowpass_gain(120.0, 50.0, 4)),
    (s.HighPass, {"cutoff": 50.0, "order": 2}, 50.0, 1 / np.sqrt(2)),
    (s.HighPass, {"cutoff": 50.0, "order": 2}, 20.0, _highpass_gain(20.0, 50.0, 2)),
    (s.BandPass, {"low": 20.0, "high": 80.0, "order": 3}, 40.0, 1.0),
    (s.BandPass, {"low": 20.0, "high": 80.0, "order": 3}, 20.0, 1 / np.sqrt(2)),
    (s.BandPass, {"low": 20.0, "high": 80.0, "order": 3}, 80.0, 1 / np.sqrt(2)),
])
def test_butterworth_magnitude_response(cls, params, freq, gain):
    out = run(cls({**params, "sample_rate": 1000.0}), {"x": _sine(freq)})["y"]
    assert _steady_amplitude(out) == pytest.approx(gain, rel=0.01)


@pytest.mark.parametrize("component", [s.Ewma(), s.LowPass(), s.HighPass(), s.BandPass(), s.Integral(),
                                       s.Derivative(), s.Deadband(), s.RateLimiter()], ids=lambda c: c.type_name)
def test_a_missing_sample_does_not_poison_the_state(component):
    gappy = signal([np.nan, 1.0, 2.0, np.nan, 4.0, 5.0, 6.0], quality=[BAD, GOOD, GOOD, BAD, GOOD, GOOD, GOOD])
    out = run(component, {"x": gappy})["y"]
    assert list(out.q[[0, 3]]) == [BAD, BAD] and np.isnan(out.v[[0, 3]]).all()
    assert np.isfinite(out.v[[1, 2, 4, 5, 6]]).all()
    # The gap is bridged with the last good value; the first bad sample never enters the state.
    bridged = run(type(component)(component.p), {"x": signal([1.0, 2.0, 2.0, 4.0, 5.0, 6.0])})["y"]
    np.testing.assert_allclose(out.v[[1, 2, 4, 5, 6]], bridged.v[[0, 1, 3, 4, 5]])


def test_filters_refuse_cut_offs_at_or_above_nyquist():
    with pytest.raises(ValueError, match="must be below half the sample rate"):
        s.LowPass({"cutoff": 600.0, "sample_rate": 1000.0})
    with pytest.raises(ValueError, match="must be below the high cut-off"):
        s.BandPass({"low": 90.0, "high": 80.0, "sample_rate": 1000.0})


def test_derivative_and_integral_of_known_functions():
    t = np.arange(0, 2, 0.01)
    ramp = signal(3 * t + 1, rate=100)
    d = run(s.Derivative(), {"x": ramp})["y"]
    np.testing.assert_allclose(d.v[1:], 3.0, rtol=1e-9)
    assert d.v[0] == 0.0 and d.q[0] == UNCERTAIN
    area = run(s.Integral({"initial": 5.0}), {"x": ramp})["y"].v
    np.testing.assert_allclose(area, 5.0 + 1.5 * t**2 + t, rtol=1e-9)  # trapezoid is exact for lines


def test_align_holds_the_last_value():
    a = Chunk.of([10, 20, 30, 40], [0, 0, 0, 0])
    b = Chunk.of([15, 31], [1.5, 3.1])
    y = run(s.Align(), {"a": a, "b": b})["y"]
    assert np.isnan(y.v[0]) and list(y.v[1:]) == [1.5, 1.5, 3.1] and list(y.q) == [BAD, GOOD, GOOD, GOOD]


def test_deadband_rate_limiter_hysteresis_threshold():
    x = signal([0.0, 0.05, 0.2, 0.25, 0.1, -0.5])
    assert list(run(s.Deadband({"band": 0.1}), {"x": x})["y"].v) == [0.0, 0.0, 0.2, 0.2, 0.2, -0.5]
    step = signal(np.r_[0.0, np.full(20, 10.0)], rate=10)
    ramp = run(s.RateLimiter({"rate": 1.0}), {"x": step})["y"].v
    np.testing.assert_allclose(ramp[:5], [0.0, 0.1, 0.2, 0.3, 0.4])
    level = signal([0.0, 0.9, 1.2, 0.8, 0.6, 0.4, 0.7, 1.1])
    on = run(s.Hysteresis({"high": 1.0, "low": 0.5}), {"x": level})["on"].v
    assert list(on) == [False, False, True, True, True, False, False, True]
    above = run(s.Threshold({"level": 0.7}), {"x": level})["on"].v
    assert list(above) == [False, True, True, True, False, False, False, True]


def test_delay_hold_counter_add():
    x = signal([1.0, 2.0, 3.0, 4.0])
    assert list(run(s.Delay({"samples": 2, "initial": -1.0}), {"x": x})["y"].v) == [-1, -1, 1, 2]
    trigger = signal([False, True, False, True])
    held = run(s.Hold(), {"x": x, "trigger": trigger})["y"]
    assert np.isnan(held.v[0]) and list(held.v[1:]) == [2.0, 2.0, 4.0]
    pattern = signal([True, True, False, True, False, False, True])
    for edge, expected in (("rising", [1, 1, 1, 2, 2, 2, 3]), ("falling", [0, 0, 1, 1, 2, 2, 2]),
                           ("both", [1, 1, 2, 3, 4, 4, 5])):
        assert list(run(s.EdgeCounter({"edge": edge}), {"x": pattern})["count"].v) == expected
    diff = run(s.AddSubtract({"operation": "subtract"}), {"a": x, "b": signal([1.0, 1.0, 1.0, 1.0])})["y"]
    assert list(diff.v) == [0.0, 1.0, 2.0, 3.0]


def test_a_missing_sample_is_no_edge_and_no_trigger():
    gappy = signal([0.0, 0.0, np.nan, 0.0, 1.0], quality=[GOOD, GOOD, BAD, GOOD, GOOD])
    assert list(run(s.EdgeCounter(), {"x": gappy})["count"].v) == [0, 0, 0, 0, 1]
    held = run(s.Hold(), {"x": signal([1.0, 2.0, 3.0]), "trigger": signal([1.0, np.nan, 0.0],
                                                                             quality=[GOOD, BAD, GOOD])})["y"]
    assert list(held.v) == [1.0, 1.0, 1.0]


def test_logic_truth_tables():
    a, b = signal([False, False, True, True]), signal([False, True, False, True])
    assert list(run(logic.And(), {"a": a, "b": b})["y"].v) == [False, False, False, True]
    assert list(run(logic.Or(), {"a": a, "b": b})["y"].v) == [False, True, True, True]
    assert list(run(logic.Not(), {"a": a})["y"].v) == [True, True, False, False]


def test_misaligned_inputs_are_explained():
    with pytest.raises(ValueError, match="sampled at different times; insert an 'Align by time' component"):
        run(logic.And(), {"a": signal([True]), "b": signal([True], start=5)})


STATEFUL = [
    (s.MovingAverage({"window": 25}), {"x": NOISE}), (s.Median({"window": 9}), {"x": NOISE}),
    (s.WindowStats({"window": 16}), {"x": NOISE}), (s.Ewma({"alpha": 0.05}), {"x": NOISE}),
    (s.LowPass({"cutoff": 30.0}), {"x": NOISE}), (s.HighPass({"cutoff": 30.0}), {"x": NOISE}),
    (s.BandPass({"low": 20.0, "high": 200.0}), {"x": NOISE}), (s.Derivative(), {"x": NOISE}),
    (s.Integral(), {"x": NOISE}), (s.Align(), {"a": NOISE, "b": STEPS}), (s.Deadband({"band": 0.5}), {"x": NOISE}),
    (s.RateLimiter({"rate": 100.0}), {"x": NOISE}), (s.Hysteresis({"high": 0.5, "low": -0.5}), {"x": NOISE}),
    (s.Delay({"samples": 7}), {"x": NOISE}), (s.Hold(), {"x": NOISE, "trigger": BOOLS}),
    (s.EdgeCounter({"edge": "both"}), {"x": BOOLS}),
]


@pytest.mark.parametrize(("component", "inputs"), STATEFUL, ids=lambda v: getattr(v, "type_name", ""))
def test_chunk_invariance(component, inputs):
    whole = run(component, inputs)

    @settings(max_examples=15, deadline=None)
    @given(cut_points(len(NOISE)))
    def check(cuts):
        assert_same(run(component, inputs, cuts), whole, rtol=1e-8, atol=1e-9)

    check()
