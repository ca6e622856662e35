"""Maintenance components: worked values, independent computations, chunk invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from scipy import optimize, stats
from sklearn.ensemble import IsolationForest

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.library import maintenance
from nodes.library.maintenance import (
    IsolationAnomaly,
    RulExponential,
    RulLinear,
    RunHours,
    StartCounter,
    Weibull,
    ZScoreAnomaly,
    weibull_mle,
)
from nodes.registry import declaration_problem
from tests.nodes.helpers import SECOND, assert_same, cut_points, run, run_with_empty_chunks, signal

HOUR = 3600 * SECOND
QUARTER = 1 / 900  # one sample every 15 minutes, in Hz
HOURLY = 1 / 3600

RNG = np.random.default_rng(4242)
SWITCHING = RNG.random(200) < 0.6
SWITCHING_Q = np.where(RNG.random(200) < 0.05, BAD, GOOD).astype(np.uint8)
DEGRADING = 2.0 + 0.05 * np.arange(200) + RNG.normal(0, 0.4, 200)
GROWING = 1.0 + np.exp(0.02 * np.arange(200)) * RNG.lognormal(0, 0.05, 200)
FAILURES = RNG.weibull(2.2, 60) * 800.0
NOISE = RNG.normal(5.0, 1.0, 300)
NOISE_Q = np.where(RNG.random(300) < 0.03, BAD, GOOD).astype(np.uint8)


def _input_name(component) -> str:
    return component.inputs[0].name


def _run(component, values, rate=1000.0, quality=None, cuts=()):
    return run(component, {_input_name(component): signal(values, rate=rate, quality=quality)}, cuts)



# ------------------------------------------------------------------------------------------ declarations


@pytest.mark.parametrize("cls", maintenance.COMPONENTS, ids=lambda c: c.type_name)
def test_declaration_is_valid(cls):
    assert declaration_problem(cls) is None
    assert cls.type_name.startswith("maintenance.")
    assert cls.category == "maintenance"
    assert cls.title.zh
    assert "References" in cls.__doc__
    for param in cls.params:
        assert param.title.en and param.title.zh and param.description.en and param.description.zh, param.name


def test_components_listed():
    assert {c.type_name for c in maintenance.COMPONENTS} >= {
        "maintenance.run_hours", "maintenance.start_counter", "maintenance.rul_linear",
        "maintenance.rul_exponential", "maintenance.weibull", "maintenance.zscore_anomaly",
        "maintenance.isolation_anomaly"}


@pytest.mark.parametrize("cls", maintenance.COMPONENTS, ids=lambda c: c.type_name)
def test_empty_chunks_give_empty_outputs(cls):
    component = cls({"training_samples": 20} if cls is IsolationAnomaly else {})
    state = component.init_state()
    data = np.abs(NOISE[:30]) + 1
    for _ in range(2):
        out = component.process({_input_name(component): Chunk.empty()}, state)
        assert set(out) == {p.name for p in cls.outputs}
        for chunk in out.values():
            assert len(chunk) == 0 and len(chunk.v) == 0 and len(chunk.q) == 0 and chunk.labels == ()
        component.process({_input_name(component): signal(data)}, state)


# ------------------------------------------------------------------------------------------ run hours, starts


def test_run_hours_of_a_known_pattern():
    running = [1, 1, 1, 1, 1, 0, 0, 1, 1, 0]  # every 15 minutes; a state holds until the next sample
    out = _run(RunHours({"initial": 100.0}), np.array(running, bool), rate=QUARTER)
    np.testing.assert_allclose(out["hours"].v, [100, 100.25, 100.5, 100.75, 101, 101.25, 101.25, 101.25, 101.5,
                                                101.75])
    assert (out["hours"].q == GOOD).all()


def test_run_hours_with_irregular_samples_and_a_bad_one():
    t = np.array([0, 1, 3, 4, 10]) * HOUR
    on = np.array([True, True, True, False, True])
    q = np.array([GOOD, GOOD, BAD, GOOD, GOOD], np.uint8)
    out = run(RunHours(), {"running": Chunk.of(t, on, q)})
    # 0→1 h on, 1→3 h on, 3→4 h unknown (bad sample): not counted, 4→10 h off.
    np.testing.assert_allclose(out["hours"].v, [0, 1, 3, 3, 3])
    assert out["hours"].q.tolist() == [GOOD, GOOD, UNCERTAIN, UNCERTAIN, GOOD]


def test_run_hours_no_drift_over_a_year():
    t = np.arange(0, 365 * 24 * 60 + 1) * 60 * SECOND  # one sample per minute for a year
    out = run(RunHours(), {"running": Chunk.of(t, np.ones(len(t), bool))}, cuts=range(0, len(t), 10_007))
    assert out["hours"].v[-1] == 365 * 24


def test_start_counter_counts_and_rates():
    running = np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)  # t = 0, 15, …, 105 min; starts at 15, 60, 105 min
    out = _run(StartCounter({"initial": 10}), running, rate=QUARTER)
    np.testing.assert_allclose(out["starts"].v, [10, 11, 11, 11, 12, 12, 12, 13])
    # Starts in the window (t − 1 h, t]: at 60 min {15, 60}; at 75 {60}; at 105 {60, 105}.
    np.testing.assert_allclose(out["starts_per_hour"].v, [0, 1, 1, 1, 2, 1, 1, 2])
    assert out["starts_per_hour"].q.tolist() == [UNCERTAIN] * 4 + [GOOD] * 4
    assert (out["starts"].q == GOOD).all()
    half = _run(StartCounter({"window": 0.5}), running, rate=QUARTER)
    np.testing.assert_allclose(half["starts_per_hour"].v, [0, 2, 2, 0, 2, 2, 0, 2])


def test_start_counter_initial_state_and_bad_samples():
    running = np.array([1, 1, 0, 1, 0, 1], bool)
    assert _run(StartCounter(), running)["starts"].v.tolist() == [0, 0, 0, 1, 1, 2]
    assert _run(StartCounter({"count_initial_on": True}), running)["starts"].v.tolist() == [1, 1, 1, 2, 2, 3]
    q = np.array([GOOD, GOOD, BAD, GOOD, GOOD, GOOD], np.uint8)  # the bad 0 holds "running": no restart
    out = _run(StartCounter(), running, quality=q)
    assert out["starts"].v.tolist() == [0, 0, 0, 0, 0, 1]
    assert out["starts"].q[2] == UNCERTAIN
    leading_bad = _run(StartCounter(), running, quality=np.array([BAD, BAD, GOOD, GOOD, GOOD, GOOD], np.uint8))
    assert leading_bad["starts"].v.tolist() == [0, 0, 0, 1, 1, 2]


# ------------------------------------------------------------------------------------------ remaining useful life


def test_rul_linear_exact_degradation():
    tau = np.arange(30.0)  # hours
    out = _run(RulLinear({"window": 10, "threshold": 21.0}), 1 + 0.5 * tau, rate=HOURLY)
    # x = 1 + 0.5 τ reaches 21 at τ = 40 h.
    np.testing.assert_allclose(out["rul"].v[2:], 40 - tau[2:], rtol=1e-9)
    np.testing.assert_allclose(out["rul_low"].v[2:], 40 - tau[2:], rtol=1e-9)
    np.testing.assert_allclose(out["rul_high"].v[2:], 40 - tau[2:], rtol=1e-9)
    assert np.isnan(out["rul"].v[:2]).all() and (out["rul"].q[:2] == BAD).all()
    assert (out["rul"].q[2:9] == UNCERTAIN).all() and (out["rul"].q[9:] == GOOD).all()


def test_rul_linear_falling_crossed_and_not_approaching():
    tau = np.arange(20.0)
    falling = _run(RulLinear({"window": 5, "threshold": 20.0, "direction": "falling"}), 100 - 2 * tau,
                   rate=HOURLY)
    np.testing.assert_allclose(falling["rul"].v[4:], 40 - tau[4:], rtol=1e-9)
    wrong_way = _run(RulLinear({"window": 5, "threshold": 20.0}), 100 - 2 * tau, rate=HOURLY)
    assert np.isnan(wrong_way["rul"].v).all()
    assert (wrong_way["rul"].q[2:] == UNCERTAIN).all()
    crossed = _run(RulLinear({"window": 5, "threshold": 5.0}), 1 + 0.5 * tau, rate=HOURLY)
    np.testing.assert_allclose(crossed["rul"].v[8:], 0.0)  # x passed 5 at τ = 8 h
    np.testing.assert_allclose(crossed["rul"].v[4:8], 8 - tau[4:8], rtol=1e-9)


def test_rul_linear_prediction_interval_against_independent_fit():
    window, threshold, level = 40, 20.0, 0.9
    out = _run(RulLinear({"window": window, "threshold": threshold, "confidence": level}), DEGRADING,
               rate=HOURLY)
    for k in (60, 120, 199):
        tau = np.arange(k - window + 1, k + 1, dtype=float)
        y = DEGRADING[k - window + 1:k + 1]
        fit = stats.linregress(tau, y)
        s = math.sqrt(np.sum((y - fit.intercept - fit.slope * tau) ** 2) / (window - 2))
        sxx = np.sum((tau - tau.mean()) ** 2)
        quantile = stats.t.ppf(0.5 + level / 2, window - 2)

        def band(t, sign, fit=fit, s=s, sxx=sxx, tau=tau, quantile=quantile):
            spread = quantile * s * math.sqrt(1 + 1 / window + (t - tau.mean()) ** 2 / sxx)
            return fit.intercept + fit.slope * t + sign * spread - threshold

        crossing = (threshold - fit.intercept) / fit.slope
        early = optimize.brentq(band, tau.mean(), crossing, args=(+1,), xtol=1e-12)
        late = optimize.brentq(band, crossing, crossing + 1e4, args=(-1,), xtol=1e-12)
        assert out["rul"].v[k] == pytest.approx(crossing - k, rel=1e-9)
        assert out["rul_low"].v[k] == pytest.approx(early - k, rel=1e-8)
        assert out["rul_high"].v[k] == pytest.approx(late - k, rel=1e-8)
        assert out["rul_low"].v[k] < out["rul"].v[k] < out["rul_high"].v[k]
        assert out["rul"].q[k] == GOOD


def test_rul_bounds_nan_when_slope_not_significant():
    flat = NOISE[:50]
    out = _run(RulLinear({"window": 50, "threshold": 100.0}), flat, rate=HOURLY)
    approaching = np.isfinite(out["rul"].v)
    assert approaching.any()
    assert np.isnan(out["rul_low"].v[-1]) and np.isnan(out["rul_high"].v[-1])
    assert out["rul_low"].q[-1] == UNCERTAIN


def test_rul_exponential_exact_degradation():
    tau = np.arange(25.0)
    x = 2 + np.exp(0.1 * tau)
    out = _run(RulExponential({"window": 8, "threshold": 2 + math.exp(3.0), "offset": 2.0}), x, rate=HOURLY)
    np.testing.assert_allclose(out["rul"].v[2:], 30 - tau[2:], rtol=1e-9)
    np.testing.assert_allclose(out["rul_low"].v[2:], 30 - tau[2:], rtol=1e-7)
    np.testing.assert_allclose(out["rul_high"].v[2:], 30 - tau[2:], rtol=1e-7)


def test_rul_exponential_ignores_values_below_offset():
    tau = np.arange(12.0)
    x = 2 + np.exp(0.1 * tau)
    x[6] = 1.0  # below the offset: no logarithm, left out of the fit
    out = _run(RulExponential({"window": 4, "threshold": 2 + math.exp(3.0), "offset": 2.0}), x, rate=HOURLY)
    np.testing.assert_allclose(out["rul"].v[2:], 30 - tau[2:], rtol=1e-9)
    assert out["rul"].q[7] == UNCERTAIN and out["rul"].q[11] == GOOD
    with pytest.raises(ValueError, match="threshold"):
        RulExponential({"threshold": 1.0, "offset": 2.0})


# ------------------------------------------------------------------------------------------ Weibull


def test_weibull_matches_scipy_maximum_likelihood():
    mission = 300.0
    out = _run(Weibull({"mission_time": mission}), FAILURES)
    assert np.isnan(out["beta"].v[:2]).all() and (out["beta"].q[:2] == BAD).all()
    for k in (3, 4, 10, 25, 60):
        shape, _, scale = stats.weibull_min.fit(FAILURES[:k], floc=0)
        assert out["beta"].v[k - 1] == pytest.approx(shape, rel=1e-5)
        assert out["eta"].v[k - 1] == pytest.approx(scale, rel=1e-5)
        assert out["reliability"].v[k - 1] == pytest.approx(stats.weibull_min.sf(mission, shape, scale=scale),
                                                            rel=1e-5)
        assert out["b10"].v[k - 1] == pytest.approx(stats.weibull_min.ppf(0.1, shape, scale=scale), rel=1e-5)
        assert out["beta"].q[k - 1] == GOOD
        # Our root is at least as likely as scipy's optimum.
        ours = stats.weibull_min.logpdf(FAILURES[:k], out["beta"].v[k - 1], scale=out["eta"].v[k - 1]).sum()
        assert ours >= stats.weibull_min.logpdf(FAILURES[:k], shape, scale=scale).sum() - 1e-9
    assert out["beta"].v[-1] == pytest.approx(2.2, rel=0.3)  # the sample is Weibull(β = 2.2, η = 800)
    assert out["eta"].v[-1] == pytest.approx(800, rel=0.15)


def test_weibull_likelihood_equations_hold():
    t = np.array([16.0, 34.0, 53.0, 75.0, 93.0, 120.0])  # a classic small complete sample
    beta, eta = weibull_mle(t)
    assert np.sum(t**beta * np.log(t)) / np.sum(t**beta) - 1 / beta - np.mean(np.log(t)) == pytest.approx(0, abs=1e-12)
    assert eta == pytest.approx(np.mean(t**beta) ** (1 / beta))
    assert math.isnan(weibull_mle([5.0, 5.0, 5.0])[0])


def test_weibull_ignores_invalid_failure_times():
    times = np.array([100.0, 200.0, -1.0, 300.0, 250.0])
    q = np.array([GOOD, GOOD, GOOD, GOOD, BAD], np.uint8)
    out = _run(Weibull(), times, quality=q)
    shape, _, _ = stats.weibull_min.fit([100.0, 200.0, 300.0], floc=0)
    assert np.isnan(out["beta"].v[2])
    assert out["beta"].v[3] == pytest.approx(shape, rel=1e-5) and out["beta"].v[4] == out["beta"].v[3]
    assert out["beta"].q[3] == GOOD and out["beta"].q[4] == UNCERTAIN


# ------------------------------------------------------------------------------------------ anomalies


def test_zscore_against_independent_computation():
    window = 20
    x = NOISE.copy()
    x[150] += 8.0
    out = _run(ZScoreAnomaly({"window": window, "threshold": 3.5}), x)
    expected = [(x[k] - x[k - window:k].mean()) / x[k - window:k].std(ddof=1) for k in range(window, len(x))]
    np.testing.assert_allclose(out["score"].v[window:], expected, rtol=1e-9)
    assert (out["score"].q[window:] == GOOD).all()
    # Warm-up: over the samples available, uncertain; nothing before two samples.
    assert np.isnan(out["score"].v[:2]).all() and (out["score"].q[:2] == BAD).all()
    assert out["score"].v[5] == pytest.approx((x[5] - x[:5].mean()) / x[:5].std(ddof=1))
    assert (out["score"].q[2:window] == UNCERTAIN).all()
    assert np.flatnonzero(out["anomaly"].v).tolist() == [150]


def test_zscore_bad_samples_and_flat_history():
    x = np.array([1.0, 1.0, 1.0, 1.0, 2.0, 1.0])
    out = _run(ZScoreAnomaly({"window": 3}), x)
    assert np.isnan(out["score"].v[4]) and out["score"].q[4] == UNCERTAIN and out["anomaly"].v[4]
    assert not out["anomaly"].v[3]
    q = np.zeros(len(NOISE), np.uint8)
    q[40] = BAD
    bad = _run(ZScoreAnomaly({"window": 10}), NOISE, quality=q)
    assert np.isnan(bad["score"].v[40]) and bad["score"].q[40] == BAD
    window = np.delete(NOISE[31:41], 9)  # the bad sample is left out of the next window
    assert bad["score"].v[41] == pytest.approx((NOISE[41] - window.mean()) / window.std(ddof=1))
    assert bad["score"].q[41] == UNCERTAIN and bad["score"].q[51] == GOOD


def test_isolation_forest_against_scikit_learn():
    params = {"embedding": 4, "training_samples": 200, "trees": 100, "random_state": 3}
    x = np.random.default_rng(1).normal(0.0, 1.0, 400)
    x[300:310] += 5.0  # a level shift for 10 samples
    out = _run(IsolationAnomaly(params), x)
    assert np.isnan(out["score"].v[:200]).all() and (out["score"].q[:200] == BAD).all()
    assert not out["anomaly"].v[:200].any()
    # Independent: the same forest trained on the 197 delay vectors within the first 200 samples.
    features = np.lib.stride_tricks.sliding_window_view(x, 4)
    forest = IsolationForest(n_estimators=100, random_state=3).fit(features[:197])
    np.testing.assert_allclose(out["score"].v[200:], -forest.score_samples(features[197:]), rtol=1e-12)
    assert (out["score"].q[200:] == GOOD).all()
    shifted = out["score"].v[303:310]  # vectors entirely inside the shift
    normal = np.concatenate([out["score"].v[200:300], out["score"].v[313:]])
    assert shifted.min() > np.percentile(normal, 95)
    assert out["anomaly"].v[303:310].all()


def test_isolation_forest_parameters_are_checked():
    with pytest.raises(ValueError, match="training_samples"):
        IsolationAnomaly({"embedding": 50, "training_samples": 20})


# ------------------------------------------------------------------------------------------ chunk invariance

STATEFUL = [
    (RunHours, {"initial": 5.0}, SWITCHING, QUARTER, SWITCHING_Q),
    (StartCounter, {"window": 2.0}, SWITCHING, QUARTER, SWITCHING_Q),
    (StartCounter, {"count_initial_on": True}, SWITCHING, QUARTER, None),
    (RulLinear, {"window": 30, "threshold": 15.0}, DEGRADING, HOURLY, NOISE_Q[:200]),
    (RulLinear, {"window": 3, "threshold": 0.0, "direction": "falling"}, DEGRADING, HOURLY, None),
    (RulExponential, {"window": 25, "threshold": 100.0, "offset": 1.0}, GROWING, HOURLY, NOISE_Q[:200]),
    (Weibull, {"mission_time": 500.0}, FAILURES, 1.0, None),
    (ZScoreAnomaly, {"window": 15, "threshold": 2.0}, NOISE, 1000.0, NOISE_Q),
    (IsolationAnomaly, {"embedding": 3, "training_samples": 120, "trees": 15}, NOISE, 1000.0, NOISE_Q),
]
_IDS = [f"{cls.type_name}-{i}" for i, (cls, *_) in enumerate(STATEFUL)]


@pytest.mark.parametrize(("cls", "params", "data", "rate", "quality"), STATEFUL, ids=_IDS)
def test_one_sample_chunks_and_empty_chunks(cls, params, data, rate, quality):
    whole = _run(cls(params), data, rate, quality)
    assert_same(whole, _run(cls(params), data, rate, quality, cuts=range(1, len(data))))
    chunk = signal(data, rate=rate, quality=quality)
    assert_same(whole, run_with_empty_chunks(cls(params), {_input_name(cls): chunk}, [7, 8, 50, 121]))


@pytest.mark.parametrize(("cls", "params", "data", "rate", "quality"), STATEFUL, ids=_IDS)
@settings(max_examples=25, deadline=None)
@given(cuts=cut_points(300))
def test_chunk_invariance(cls, params, data, rate, quality, cuts):
    whole = _run(cls(params), data, rate, quality)
    assert_same(whole, _run(cls(params), data, rate, quality, cuts=cuts))
