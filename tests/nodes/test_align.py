"""Alignment onto a common time base: each rule's formula, quality, and chunk invariance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nodes.align import Aligner, AlignError, Rule, align, align_at, duration_ns, period_grid
from nodes.chunk import BAD, GOOD, UNCERTAIN, Chunk

S = 1_000_000_000


def test_hold_takes_the_last_sample_at_or_before_and_marks_old_values_bad():
    t = np.array([10, 20, 30]) * S
    tau = np.array([5, 10, 15, 29, 30, 95]) * S
    v, q = align_at(tau, t, np.array([1.0, 2.0, 3.0]), np.array([GOOD, UNCERTAIN, GOOD]), Rule("hold"))
    np.testing.assert_array_equal(v, [np.nan, 1.0, 1.0, 2.0, 3.0, 3.0])
    np.testing.assert_array_equal(q, [BAD, GOOD, GOOD, UNCERTAIN, GOOD, GOOD])
    v, q = align_at(tau, t, np.array([1.0, 2.0, 3.0]), np.zeros(3, np.uint8), Rule("hold", 5 * S))
    np.testing.assert_array_equal(v, [np.nan, 1.0, 1.0, 2.0, 3.0, 3.0])  # the value is kept...
    np.testing.assert_array_equal(q, [BAD, GOOD, GOOD, BAD, GOOD, BAD])  # ...but older than 5 s is bad


def test_linear_interpolates_inside_and_never_extrapolates():
    t = np.array([0, 10, 30]) * S
    v = np.array([0.0, 10.0, 50.0])
    q = np.array([GOOD, GOOD, UNCERTAIN], np.uint8)
    tau = np.array([-1, 0, 5, 10, 20, 30, 31]) * S
    value, quality = align_at(tau, t, v, q, Rule("linear"))
    np.testing.assert_allclose(value, [np.nan, 0.0, 5.0, 10.0, 30.0, 50.0, np.nan])
    np.testing.assert_array_equal(quality, [BAD, GOOD, GOOD, GOOD, UNCERTAIN, UNCERTAIN, BAD])
    _, quality = align_at(tau, t, v, q, Rule("linear", 15 * S))  # the 20 s gap is too long to bridge
    np.testing.assert_array_equal(quality, [BAD, GOOD, GOOD, GOOD, BAD, UNCERTAIN, BAD])


def test_none_gives_a_value_only_where_a_sample_is_close_enough():
    t = np.array([10, 20]) * S
    tau = np.array([10, 12, 20, 25]) * S
    value, quality = align_at(tau, t, np.array([1.0, 2.0]), np.zeros(2, np.uint8), Rule("none"))
    np.testing.assert_array_equal(value, [1.0, np.nan, 2.0, np.nan])
    np.testing.assert_array_equal(quality, [GOOD, BAD, GOOD, BAD])
    value, _ = align_at(tau, t, np.array([1.0, 2.0]), np.zeros(2, np.uint8), Rule("none", 3 * S))
    np.testing.assert_array_equal(value, [1.0, 1.0, 2.0, np.nan])


def test_repeated_times_take_the_last_sample():
    t = np.array([1, 2, 2, 3]) * S
    value, _ = align_at(np.array([2, 2]) * S + np.array([0, S // 2]), t, np.array([1.0, 2.0, 4.0, 6.0]),
                        np.zeros(4, np.uint8), Rule("linear"))
    np.testing.assert_allclose(value, [4.0, 5.0])


def test_period_base_is_multiples_of_the_period_and_union_base_is_every_time():
    flow = Chunk.of(np.array([0.4, 1.2, 2.9]) * S, [1.0, 2.0, 3.0])
    speed = Chunk.of(np.array([1.0, 2.5]) * S, [10.0, 20.0])
    out = align({"flow": flow, "speed": speed}, period_ns=S)
    np.testing.assert_array_equal(out["flow"].t, [1 * S, 2 * S])  # 0.4 s → 2.9 s holds whole seconds 1 and 2
    np.testing.assert_array_equal(out["flow"].v, [1.0, 2.0])
    np.testing.assert_array_equal(out["speed"].v, [10.0, 10.0])
    union = align({"flow": flow, "speed": speed}, {"speed": Rule("linear")})
    np.testing.assert_array_equal(union["speed"].t, np.array([0.4, 1.0, 1.2, 2.5, 2.9]) * S)
    np.testing.assert_allclose(union["speed"].v, [np.nan, 10.0, 10.0 + 10.0 * 0.2 / 1.5, 20.0, np.nan])
    np.testing.assert_array_equal(period_grid(-3, 7, 5), [0, 5])


def _random_series(rng: np.random.Generator) -> dict[str, Chunk]:
    series = {}
    for name in ("a", "b", "c"):
        n = int(rng.integers(0, 60))
        t = np.sort(rng.integers(0, 100, n)) * (S // 10)  # repeats included
        v = rng.normal(size=n)
        v[rng.random(n) < 0.1] = np.nan
        series[name] = Chunk.of(t, v, rng.choice([GOOD, UNCERTAIN, BAD], n, p=[0.8, 0.1, 0.1]))
    return series


def _pieces(chunk: Chunk, rng: np.random.Generator) -> list[Chunk]:
    cuts = np.sort(rng.integers(0, len(chunk) + 1, int(rng.integers(0, 6))))
    edges = [0, *cuts.tolist(), len(chunk)]
    return [Chunk(chunk.t[a:b], chunk.v[a:b], chunk.q[a:b]) for a, b in itertools.pairwise(edges)]


@pytest.mark.parametrize("period_ns", [None, S // 4, 3 * S])
def test_aligning_in_pieces_equals_aligning_at_once(period_ns):
    rng = np.random.default_rng(21 + (period_ns or 0) % 97)
    for case in range(40):
        series = _random_series(rng)
        rules = {"a": Rule("hold", int(rng.integers(0, 3)) * S), "b": Rule("linear", S if case % 2 else None),
                 "c": Rule("none", S // 10 if case % 3 else None)}
        whole = align(series, rules, period_ns=period_ns)
        aligner = Aligner(list(series), rules, period_ns=period_ns)
        queues = {name: _pieces(chunk, rng) for name, chunk in series.items()}
        parts: dict[str, list[Chunk]] = {name: [] for name in series}
        while any(queues.values()):
            name = rng.choice([n for n, q in queues.items() if q])
            piece = queues[name].pop(0)
            for tag, chunk in aligner.push({name: piece}).items():
                parts[tag].append(chunk)
            if not queues[name] and rng.random() < 0.5:
                for tag, chunk in aligner.close(name).items():
                    parts[tag].append(chunk)
        for tag, chunk in aligner.finish().items():
            parts[tag].append(chunk)
        for name in series:
            joined = Chunk.join(parts[name])
            np.testing.assert_array_equal(joined.t, whole[name].t, err_msg=f"case {case}, tag {name}")
            np.testing.assert_array_equal(joined.v, whole[name].v, err_msg=f"case {case}, tag {name}")
            np.testing.assert_array_equal(joined.q, whole[name].q, err_msg=f"case {case}, tag {name}")


def test_an_aligner_emits_only_what_later_samples_cannot_change():
    aligner = Aligner(["a", "b"], Rule("linear"))
    first = aligner.push({"a": Chunk.of([0, 10, 20], [0.0, 1.0, 2.0])})
    assert len(first["a"]) == 0  # b has said nothing yet
    second = aligner.push({"b": Chunk.of([5, 15], [5.0, 15.0])})
    np.testing.assert_array_equal(second["a"].t, [0, 5, 10])  # 15 waits: a later b sample could share its time
    rest = aligner.finish()
    np.testing.assert_array_equal(rest["b"].t, [15, 20])
    np.testing.assert_array_equal(rest["b"].v, [15.0, np.nan])


def test_bad_rules_and_pushes_are_refused_by_name():
    with pytest.raises(AlignError, match="'cubic' is not an alignment rule"):
        Rule("cubic")
    with pytest.raises(AlignError, match=r"'speed'.*not aligned"):
        align({"flow": Chunk.of([0], [1.0])}, {"speed": Rule("hold")})
    with pytest.raises(AlignError, match="period must be positive"):
        align({"flow": Chunk.of([0], [1.0])}, period_ns=0)
    aligner = Aligner(["flow"])
    aligner.push({"flow": Chunk.of([10, 20], [1.0, 2.0])})
    with pytest.raises(AlignError, match=r"tag 'flow'.*time order"):
        aligner.push({"flow": Chunk.of([15], [1.0])})


def test_rules_and_durations_read_as_engineers_write_them():
    assert Rule.parse("hold 5s") == Rule("hold", 5 * S)
    assert Rule.parse("LINEAR 2 min") == Rule("linear", 120 * S)
    assert Rule.parse("none") == Rule("none")
    assert duration_ns("500ms") == S // 2 and duration_ns("1.5") == 3 * S // 2
    with pytest.raises(AlignError, match="'5 parsecs' is not a duration"):
        duration_ns("5 parsecs")
