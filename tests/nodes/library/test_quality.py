"""Statistical process control components: worked values, rules, chunk invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from scipy import integrate, special, stats

from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk
from nodes.library import quality
from nodes.library.quality import (
    Capability,
    IndividualsMovingRange,
    Nelson,
    WesternElectric,
    XbarR,
    XbarS,
    chart_factors,
)
from nodes.registry import declaration_problem
from tests.nodes.helpers import assert_same, cut_points, run, run_with_empty_chunks, signal

# Montgomery, Introduction to SQC, 8th ed., Appendix VI (as ASTM E2587): n, A2, A3, c4, B3, B4, d2, d3, D3, D4.
PUBLISHED = """
2 1.880 2.659 0.7979 0 3.267 1.128 0.853 0 3.267
3 1.023 1.954 0.8862 0 2.568 1.693 0.888 0 2.574
4 0.729 1.628 0.9213 0 2.266 2.059 0.880 0 2.282
5 0.577 1.427 0.9400 0 2.089 2.326 0.864 0 2.114
6 0.483 1.287 0.9515 0.030 1.970 2.534 0.848 0 2.004
7 0.419 1.182 0.9594 0.118 1.882 2.704 0.833 0.076 1.924
8 0.373 1.099 0.9650 0.185 1.815 2.847 0.820 0.136 1.864
9 0.337 1.032 0.9693 0.239 1.761 2.970 0.808 0.184 1.816
10 0.308 0.975 0.9727 0.284 1.716 3.078 0.797 0.223 1.777
11 0.285 0.927 0.9754 0.321 1.679 3.173 0.787 0.256 1.744
12 0.266 0.886 0.9776 0.354 1.646 3.258 0.778 0.283 1.717
13 0.249 0.850 0.9794 0.382 1.618 3.336 0.770 0.307 1.693
14 0.235 0.817 0.9810 0.406 1.594 3.407 0.763 0.328 1.672
15 0.223 0.789 0.9823 0.428 1.572 3.472 0.756 0.347 1.653
16 0.212 0.763 0.9835 0.448 1.552 3.532 0.750 0.363 1.637
17 0.203 0.739 0.9845 0.466 1.534 3.588 0.744 0.378 1.622
18 0.194 0.718 0.9854 0.482 1.518 3.640 0.739 0.391 1.608
19 0.187 0.698 0.9862 0.497 1.503 3.689 0.734 0.403 1.597
20 0.180 0.680 0.9869 0.510 1.490 3.735 0.729 0.415 1.585
21 0.173 0.663 0.9876 0.523 1.477 3.778 0.724 0.425 1.575
22 0.167 0.647 0.9882 0.534 1.466 3.819 0.720 0.434 1.566
23 0.162 0.633 0.9887 0.545 1.455 3.858 0.716 0.443 1.557
24 0.157 0.619 0.9892 0.555 1.445 3.895 0.712 0.451 1.548
25 0.153 0.606 0.9896 0.565 1.435 3.931 0.708 0.459 1.541
"""
COLUMNS = ("A2", "A3", "c4", "B3", "B4", "d2", "d3", "D3", "D4")
TABLE = {int(row.split()[0]): dict(zip(COLUMNS, map(float, row.split()[1:]), strict=True))
         for row in PUBLISHED.strip().splitlines()}

RNG = np.random.default_rng(20240601)
NOISE = RNG.normal(10.0, 2.0, 240)
WALK = np.cumsum(RNG.normal(0.0, 0.6, 240))  # wanders: every run rule fires somewhere


def _outputs(component, x, cuts=()):
    return run(component, {"x": signal(x)}, cuts)



# ------------------------------------------------------------------------------------------ declarations


@pytest.mark.parametrize("cls", quality.COMPONENTS, ids=lambda c: c.type_name)
def test_declaration_is_valid(cls):
    assert declaration_problem(cls) is None
    assert cls.type_name.startswith("quality.")
    assert cls.category == "quality"
    assert cls.title.zh
    assert "References" in cls.__doc__
    for param in cls.params:
        assert param.title.en and param.title.zh and param.description.en and param.description.zh, param.name


def test_components_listed():
    assert {c.type_name for c in quality.COMPONENTS} >= {
        "quality.xbar_r", "quality.xbar_s", "quality.imr", "quality.western_electric", "quality.nelson",
        "quality.capability"}


@pytest.mark.parametrize("cls", quality.COMPONENTS, ids=lambda c: c.type_name)
def test_empty_chunks_give_empty_outputs(cls):
    component = cls()
    state = component.init_state()
    for _ in range(2):
        out = component.process({"x": Chunk.empty()}, state)
        assert set(out) == {p.name for p in cls.outputs}
        for chunk in out.values():
            assert len(chunk) == 0 and len(chunk.v) == 0 and len(chunk.q) == 0 and chunk.labels == ()
        component.process({"x": signal(NOISE[:7])}, state)


# ------------------------------------------------------------------------------------------ constants


@pytest.mark.parametrize("n", range(2, 26))
def test_chart_factors_match_published_table(n):
    """Unrounded factors agree with Montgomery's 3–4 decimal table (which rounds, sometimes from rounded d2, d3)."""
    factors = chart_factors(n)
    for name, value in TABLE[n].items():
        tolerance = 6e-5 if name == "c4" else 1e-3
        assert factors[name] == pytest.approx(value, abs=tolerance), name


@pytest.mark.parametrize("n", [2, 3, 5, 10, 17, 25])
def test_d2_and_c4_from_first_principles(n):
    """d2 = ∫ 1 − Φⁿ − (1 − Φ)ⁿ dx (expected range of n normals); c4 from the gamma function."""
    phi = stats.norm.cdf
    expected_d2 = integrate.quad(lambda x: 1 - phi(x) ** n - (1 - phi(x)) ** n, -np.inf, np.inf)[0]
    assert quality.d2(n) == pytest.approx(expected_d2, abs=2e-6)
    assert quality.c4(n) == pytest.approx(math.sqrt(2 / (n - 1)) * special.gamma(n / 2) / special.gamma((n - 1) / 2))


def test_d2_d3_for_pairs_are_exact():
    """For n = 2 the range is |X1 − X2| with X1 − X2 ~ N(0, 2): d2 = 2/√π, d3 = √(2 − 4/π)."""
    assert quality.d2(2) == pytest.approx(2 / math.sqrt(math.pi), abs=1e-6)
    assert quality.d3(2) == pytest.approx(math.sqrt(2 - 4 / math.pi), abs=1e-6)


# ------------------------------------------------------------------------------------------ X̄-R, X̄-S


def test_xbar_r_hand_worked_example():
    # Subgroups of 3: x̄ = 2, 5, 8 and R = 2, 4, 0.
    x = [1, 2, 3, 3, 5, 7, 8, 8, 8, 9]  # the last sample waits for its subgroup
    out = _outputs(XbarR({"n": 3}), x)
    np.testing.assert_allclose(out["xbar"].v, [2, 5, 8])
    np.testing.assert_allclose(out["range"].v, [2, 4, 0])
    np.testing.assert_allclose(out["x_cl"].v, [2, 3.5, 5])
    np.testing.assert_allclose(out["r_cl"].v, [2, 3, 2])
    a2, d4 = 1.023, 2.574  # Montgomery, n = 3
    np.testing.assert_allclose(out["x_ucl"].v, np.array([2, 3.5, 5]) + a2 * np.array([2, 3, 2]), atol=2e-3)
    np.testing.assert_allclose(out["x_lcl"].v, np.array([2, 3.5, 5]) - a2 * np.array([2, 3, 2]), atol=2e-3)
    np.testing.assert_allclose(out["r_ucl"].v, d4 * np.array([2, 3, 2]), atol=3e-3)
    np.testing.assert_allclose(out["r_lcl"].v, 0.0)
    t = signal(x).t
    np.testing.assert_array_equal(out["xbar"].t, t[[2, 5, 8]])  # stamped with each subgroup's last sample
    assert (out["x_ucl"].q == GOOD).all()


def test_xbar_r_limits_against_independent_computation():
    n, k = 5, 25
    data = NOISE[: n * k]
    groups = data.reshape(k, n)
    xbarbar, rbar = groups.mean(axis=1).mean(), np.ptp(groups, axis=1).mean()
    out = _outputs(XbarR({"n": n}), data)
    a2, d3, d4 = 0.577, 0.0, 2.114  # published, n = 5
    assert out["x_cl"].v[-1] == pytest.approx(xbarbar)
    assert out["r_cl"].v[-1] == pytest.approx(rbar)
    assert out["x_ucl"].v[-1] == pytest.approx(xbarbar + a2 * rbar, abs=5e-4 * rbar)
    assert out["x_lcl"].v[-1] == pytest.approx(xbarbar - a2 * rbar, abs=5e-4 * rbar)
    assert out["r_ucl"].v[-1] == pytest.approx(d4 * rbar, abs=5e-4 * rbar)
    assert out["r_lcl"].v[-1] == pytest.approx(d3 * rbar)
    # Running limits: after subgroup j they use subgroups 1..j.
    cumulative = np.cumsum(groups.mean(axis=1)) / np.arange(1, k + 1)
    np.testing.assert_allclose(out["x_cl"].v, cumulative)


def test_xbar_r_baseline_freezes_limits():
    n, baseline = 4, 6
    data = NOISE[: n * 15]
    out = _outputs(XbarR({"n": n, "baseline": baseline}), data)
    groups = data.reshape(15, n)
    frozen_center = groups[:baseline].mean(axis=1).mean()
    frozen_r = np.ptp(groups[:baseline], axis=1).mean()
    np.testing.assert_allclose(out["x_cl"].v[baseline - 1:], frozen_center)
    np.testing.assert_allclose(out["r_cl"].v[baseline - 1:], frozen_r)
    np.testing.assert_allclose(out["x_ucl"].v[baseline - 1:], frozen_center + chart_factors(n)["A2"] * frozen_r)
    assert (out["x_cl"].q[: baseline - 1] == UNCERTAIN).all()
    assert (out["x_cl"].q[baseline - 1:] == GOOD).all()
    np.testing.assert_allclose(out["xbar"].v, groups.mean(axis=1))  # the points themselves go on


def test_xbar_r_bad_subgroup_is_charted_bad_and_left_out_of_limits():
    data = np.array([1.0, 3.0, 10.0, 50.0, 2.0, 2.0])
    quality_codes = np.array([GOOD, GOOD, GOOD, BAD, GOOD, GOOD])
    out = run(XbarR({"n": 2}), {"x": signal(data, quality=quality_codes)})
    assert out["xbar"].q.tolist() == [GOOD, BAD, GOOD]
    assert np.isnan(out["xbar"].v[1]) and np.isnan(out["range"].v[1])
    np.testing.assert_allclose(out["x_cl"].v, [2.0, 2.0, 2.0])
    np.testing.assert_allclose(out["r_cl"].v, [2.0, 2.0, 1.0])


def test_xbar_s_against_independent_computation():
    n, k = 5, 20
    groups = NOISE[: n * k].reshape(k, n)
    xbarbar, sbar = groups.mean(axis=1).mean(), groups.std(axis=1, ddof=1).mean()
    out = _outputs(XbarS({"n": n}), NOISE[: n * k])
    np.testing.assert_allclose(out["s"].v, groups.std(axis=1, ddof=1))
    a3, b3, b4 = 1.427, 0.0, 2.089  # published, n = 5
    assert out["x_cl"].v[-1] == pytest.approx(xbarbar)
    assert out["s_cl"].v[-1] == pytest.approx(sbar)
    assert out["x_ucl"].v[-1] == pytest.approx(xbarbar + a3 * sbar, abs=5e-4 * sbar)
    assert out["x_lcl"].v[-1] == pytest.approx(xbarbar - a3 * sbar, abs=5e-4 * sbar)
    assert out["s_ucl"].v[-1] == pytest.approx(b4 * sbar, abs=5e-4 * sbar)
    assert out["s_lcl"].v[-1] == pytest.approx(b3 * sbar)


def test_xbar_s_lower_limit_for_large_subgroups():
    out = _outputs(XbarS({"n": 10}), NOISE[:100])
    assert out["s_lcl"].v[-1] == pytest.approx(0.284 * out["s_cl"].v[-1], abs=5e-4 * out["s_cl"].v[-1])


# ------------------------------------------------------------------------------------------ I-MR


def test_imr_hand_worked_example():
    x = [10.0, 12.0, 11.0, 14.0, 13.0]
    out = _outputs(IndividualsMovingRange(), x)
    assert np.isnan(out["mr"].v[0]) and out["mr"].q[0] == BAD
    np.testing.assert_allclose(out["mr"].v[1:], [2, 1, 3, 1])
    np.testing.assert_allclose(out["x_cl"].v, np.cumsum(x) / np.arange(1, 6))
    mr_bar = np.array([np.nan, 2, 1.5, 2, 1.75])
    np.testing.assert_allclose(out["mr_cl"].v, mr_bar)
    np.testing.assert_allclose(out["x_ucl"].v[1:], (out["x_cl"].v + 2.66 * mr_bar)[1:], atol=2e-3 * 2)
    np.testing.assert_allclose(out["x_lcl"].v[1:], (out["x_cl"].v - 2.66 * mr_bar)[1:], atol=2e-3 * 2)
    np.testing.assert_allclose(out["mr_ucl"].v[1:], 3.267 * mr_bar[1:], atol=1e-3)
    assert out["x_ucl"].q[0] == BAD and (out["x_ucl"].q[1:] == GOOD).all()
    assert out["x_cl"].q[0] == GOOD


def test_imr_baseline_and_bad_samples():
    x = np.array([10.0, 12.0, 99.0, 11.0, 14.0, 50.0, 60.0])
    q = np.array([GOOD, GOOD, BAD, GOOD, GOOD, GOOD, GOOD])
    out = run(IndividualsMovingRange({"baseline": 4}), {"x": signal(x, quality=q)})
    # Valid individuals 10, 12, 11, 14 form the baseline; moving ranges 2 and 3 (none across the bad one).
    assert np.isnan(out["mr"].v[2]) and np.isnan(out["mr"].v[3])
    np.testing.assert_allclose(out["x_cl"].v[4:], 11.75)
    np.testing.assert_allclose(out["mr_cl"].v[4:], 2.5)
    assert out["x_cl"].q[3] == UNCERTAIN and (out["x_cl"].q[4:] == GOOD).all()


# ------------------------------------------------------------------------------------------ run rules

BASE = [0.5, -0.5, -0.3, 0.5, 1.5, -0.5]  # in control for every rule: no runs, trends or zig-zags


def _sequence(segment=(), at=24, total=60):
    x = np.array((BASE * 20)[:total])
    x[at:at + len(segment)] = segment
    return x


def _events(component, x, cuts=()):
    out = _outputs(component, x, cuts)["events"]
    index = np.searchsorted(signal(x).t, out.t)
    return [(int(code), int(i)) for code, i in zip(out.v, index, strict=True)], out


@pytest.mark.parametrize("cls", [WesternElectric, Nelson])
def test_in_control_sequence_raises_nothing(cls):
    events, out = _events(cls(), _sequence())
    assert events == [] and out.labels == ()


WE_CASES = {
    1: ([3.5], 24),
    2: ([2.5, 0.3, 2.5], 26),
    3: ([1.5, 1.5, 0.5, 1.5, 1.5], 28),
    4: ([0.5] * 8, 31),
}


@pytest.mark.parametrize("rule", sorted(WE_CASES))
def test_western_electric_rule_fires_once_where_expected(rule):
    segment, where = WE_CASES[rule]
    events, out = _events(WesternElectric(), _sequence(segment))
    assert events == [(rule, where)]
    assert out.labels[0].startswith(f"Rule {rule}:")
    assert out.q.tolist() == [GOOD]


NELSON_CASES = {
    1: ([3.5], 24, 24),
    2: ([0.5, 0.5, 1.5, 0.5, 0.5, 0.5, 1.5, 0.5, 0.5], 26, 34),
    3: ([-1.2, -0.7, -0.2, 0.2, 0.7, 1.2], 24, 29),
    4: ([-0.5, 0.5, -1.5, 0.5, -0.5, 1.5, -0.5, 0.5, -1.5, 0.5, -0.5, 1.5, -0.5, 0.5], 26, 39),
    5: ([2.5, 0.3, 2.5], 24, 26),
    6: ([1.5, 1.5, 0.5, 1.5, 1.5], 24, 28),
    7: ([1.5, *([0.5, 0.5, -0.5, -0.5] * 3), 0.5, 0.5, -0.5, -1.5], 24, 39),
    8: ([1.5, 1.5, -1.5, -1.5, 1.5, 1.5, -1.5, -1.5], 24, 31),
}


@pytest.mark.parametrize("rule", sorted(NELSON_CASES))
def test_nelson_rule_fires_once_where_expected(rule):
    segment, at, where = NELSON_CASES[rule]
    events, out = _events(Nelson(), _sequence(segment, at))
    assert events == [(rule, where)]
    assert out.labels == (dict((c, label) for c, label, _ in Nelson.rules)[rule],)


def test_rule_across_chunk_boundary_fires_once():
    x = _sequence(NELSON_CASES[4][0], 26)
    for cut in range(27, 41):
        assert _events(Nelson(), x, [cut])[0] == [(4, 39)]
    assert _events(Nelson(), x, range(1, len(x)))[0] == [(4, 39)]


def test_rules_scale_with_center_and_sigma():
    x = 100 + 4 * _sequence(WE_CASES[2][0])
    assert _events(WesternElectric({"center": 100.0, "sigma": 4.0}), x)[0] == [(2, 26)]


def test_simultaneous_rules_are_ordered_by_rule_number():
    x = _sequence([2.5, 0.3, 3.5])  # rule 1 and rule 2 at the same point
    events, out = _events(WesternElectric(), x)
    assert events == [(1, 26), (2, 26)]
    assert out.t[0] == out.t[1] and len(out.labels) == 2


def test_bad_samples_never_trigger_and_break_runs():
    x = _sequence([0.5] * 8)
    q = np.zeros(len(x), np.uint8)
    q[27] = BAD
    assert len(run(WesternElectric(), {"x": signal(x, quality=q)})["events"]) == 0
    spike = _sequence([5.0])
    q = np.zeros(len(spike), np.uint8)
    q[24] = BAD
    assert len(run(Nelson(), {"x": signal(spike, quality=q)})["events"]) == 0
    spike[24] = np.nan
    assert _events(Nelson(), spike)[0] == []


def test_rules_with_estimated_center_and_sigma():
    # Baseline alternates 9 / 11: mean 10, M̄R̄ = 2, σ = 2/1.128 = 1.773; 3σ = 5.32.
    baseline = [9.0, 11.0] * 10
    after = [10.0, 10.2, 9.8, 15.2, 10.0, 9.9, 15.5, 10.1]
    events, _ = _events(WesternElectric({"baseline": 20}), np.array(baseline + after))
    assert events == [(1, 26)]  # 15.2 is within 10 + 5.32; 15.5 is beyond


def test_rule_parameters_are_checked():
    with pytest.raises(ValueError, match="sigma"):
        WesternElectric({"sigma": 0.0})
    with pytest.raises(ValueError, match="baseline"):
        Nelson({"baseline": 1})


# ------------------------------------------------------------------------------------------ capability


def test_capability_of_a_known_normal_sample():
    rng = np.random.default_rng(7)
    n, k = 5, 400
    data = rng.normal(10.0, 0.5, n * k)
    lsl, usl = 8.0, 12.5
    out = _outputs(Capability({"lsl": lsl, "usl": usl, "n": n}), data)
    groups = data.reshape(k, n)
    sigma_within = np.ptp(groups, axis=1).mean() / 2.326  # published d2, n = 5
    sigma_overall = data.std(ddof=1)
    mu = data.mean()
    assert out["mean"].v[-1] == pytest.approx(mu)
    assert out["sigma_overall"].v[-1] == pytest.approx(sigma_overall, rel=1e-9)
    assert out["sigma_within"].v[-1] == pytest.approx(sigma_within, rel=2e-4)
    assert out["cp"].v[-1] == pytest.approx((usl - lsl) / (6 * sigma_within), rel=2e-4)
    assert out["cpk"].v[-1] == pytest.approx(min(usl - mu, mu - lsl) / (3 * sigma_within), rel=2e-4)
    assert out["pp"].v[-1] == pytest.approx((usl - lsl) / (6 * sigma_overall), rel=1e-9)
    assert out["ppk"].v[-1] == pytest.approx(min(usl - mu, mu - lsl) / (3 * sigma_overall), rel=1e-9)
    # The true process (σ = 0.5, μ = 10) has Cp = 1.5, Cpk = 4/3.
    assert out["cp"].v[-1] == pytest.approx(1.5, rel=0.05)
    assert out["cpk"].v[-1] == pytest.approx(4 / 3, rel=0.05)
    # Cumulative: one sample per subgroup; after subgroup j, over subgroups 1..j.
    assert len(out["cp"]) == k
    np.testing.assert_allclose(out["mean"].v, np.cumsum(groups.sum(axis=1)) / (n * np.arange(1, k + 1)))
    np.testing.assert_allclose(out["sigma_overall"].v[-1 - 10], data[: n * (k - 10)].std(ddof=1))


def test_capability_of_individuals_uses_moving_range():
    data = np.array([10.0, 12.0, 11.0, 14.0, 13.0, 12.0])
    out = _outputs(Capability({"lsl": 5.0, "usl": 20.0, "n": 1}), data)
    mr_bar = np.mean(np.abs(np.diff(data)))  # 1.8
    sigma_within = mr_bar / 1.128
    assert out["sigma_within"].v[-1] == pytest.approx(sigma_within, rel=5e-4)
    assert out["cp"].v[-1] == pytest.approx(15 / (6 * sigma_within), rel=5e-4)
    assert out["cpk"].v[-1] == pytest.approx((data.mean() - 5) / (3 * sigma_within), rel=5e-4)
    assert out["pp"].v[-1] == pytest.approx(15 / (6 * data.std(ddof=1)))
    assert np.isnan(out["cp"].v[0]) and out["cp"].q[0] == BAD  # no moving range yet
    assert out["mean"].q[0] == GOOD


def test_capability_specification_limits_are_checked():
    with pytest.raises(ValueError, match="lsl"):
        Capability({"lsl": 2.0, "usl": 1.0})


# ------------------------------------------------------------------------------------------ chunk invariance

STATEFUL = [
    (XbarR, {"n": 5}, NOISE),
    (XbarR, {"n": 3, "baseline": 7}, NOISE),
    (XbarS, {"n": 4}, NOISE),
    (XbarS, {"n": 6, "baseline": 5}, NOISE),
    (IndividualsMovingRange, {}, NOISE),
    (IndividualsMovingRange, {"baseline": 50}, NOISE),
    (WesternElectric, {}, WALK),
    (WesternElectric, {"baseline": 30}, WALK),
    (Nelson, {}, WALK),
    (Nelson, {"baseline": 25}, WALK),
    (Capability, {"lsl": 4.0, "usl": 16.0, "n": 4}, NOISE),
    (Capability, {"lsl": 4.0, "usl": 16.0, "n": 1}, NOISE),
]
_IDS = [f"{cls.type_name}-{i}" for i, (cls, _, _) in enumerate(STATEFUL)]


def test_walk_triggers_every_rule():
    codes = set(_outputs(Nelson(), WALK)["events"].v.astype(int).tolist())
    assert codes >= {1, 2, 3, 5, 6}
    assert set(_outputs(WesternElectric(), WALK)["events"].v.astype(int).tolist()) == {1, 2, 3, 4}


@pytest.mark.parametrize(("cls", "params", "data"), STATEFUL, ids=_IDS)
def test_one_sample_chunks_and_empty_chunks(cls, params, data):
    whole = _outputs(cls(params), data)
    assert_same(whole, _outputs(cls(params), data, range(1, len(data))))
    assert_same(whole, run_with_empty_chunks(cls(params), {"x": signal(data)}, [17, 18, 100]))


@pytest.mark.parametrize(("cls", "params", "data"), STATEFUL, ids=_IDS)
@settings(max_examples=25, deadline=None)
@given(cuts=cut_points(240))
def test_chunk_invariance(cls, params, data, cuts):
    assert_same(_outputs(cls(params), data), _outputs(cls(params), data, cuts))
