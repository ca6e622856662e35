"""Live tags held onto the graph's time grid: hold, ageing, first samples, late samples, units, many tags."""

import numpy as np

from device_browser.bus import LiveBus
from device_browser.live_input import LiveResampler, LiveTag
from nodes.chunk import BAD, GOOD, UNCERTAIN
from nodes.units import Conversion, conversion

NS = 1_000_000_000
MS = 1_000_000
START = 1_700_000_000 * NS  # a whole second: the grid is at START + k * 100 ms


def _resampler(bus: LiveBus, keys: dict[str, str], stale_after_s: float = 2.0, convert: dict | None = None):
    tags = {column: LiveTag(key, (convert or {}).get(column, Conversion())) for column, key in keys.items()}
    return LiveResampler(bus, tags, rate_hz=10, stale_after_s=stale_after_s, start_ns=START)


def test_each_grid_point_holds_the_last_value_stamped_at_or_before_it():
    bus = LiveBus()
    resampler = _resampler(bus, {"flow": "dev/flow"})
    assert resampler.take(START + 50 * MS) is None  # no grid point passed yet
    bus.publish("dev/flow", [START + 20 * MS, START + 100 * MS, START + 150 * MS], [1.0, 2.0, 3.0], GOOD)
    inputs = resampler.take(START + 210 * MS)
    flow = inputs["flow"]
    assert flow.t.tolist() == [START + 100 * MS, START + 200 * MS]
    assert flow.v.tolist() == [2.0, 3.0] and flow.q.tolist() == [GOOD, GOOD]
    assert resampler.next_grid_ns == START + 300 * MS


def test_a_sample_stamped_after_the_grid_point_waits_for_the_next_one():
    bus = LiveBus()
    resampler = _resampler(bus, {"flow": "dev/flow"})
    bus.publish("dev/flow", START + 10 * MS, 1.0, GOOD)
    resampler.take(START + 100 * MS)
    bus.publish("dev/flow", START + 130 * MS, 2.0, GOOD)  # arrived early (clock skew): not yet due
    assert resampler.take(START + 100 * MS + 1) is None
    assert resampler.take(START + 120 * MS) is None
    assert resampler.take(START + 200 * MS)["flow"].v.tolist() == [2.0]


def test_before_any_value_the_input_is_bad_and_a_first_sample_counts_at_once():
    bus = LiveBus()
    resampler = _resampler(bus, {"flow": "dev/flow", "head": "dev/head"})
    first = resampler.take(START + 100 * MS)
    assert np.isnan(first["flow"].v).all() and first["flow"].q.tolist() == [BAD]
    bus.publish("dev/head", START + 230 * MS, 7.0, GOOD)  # its clock runs ahead of ours
    second = resampler.take(START + 200 * MS)
    assert second["head"].v.tolist() == [7.0] and second["head"].q.tolist() == [GOOD]
    assert second["flow"].q.tolist() == [BAD]


def test_a_value_older_than_stale_after_turns_uncertain_and_a_bad_one_stays_bad():
    bus = LiveBus()
    resampler = _resampler(bus, {"flow": "dev/flow", "head": "dev/head"}, stale_after_s=0.25)
    bus.publish("dev/flow", START + 50 * MS, 1.0, GOOD)
    bus.publish("dev/head", START + 50 * MS, float("nan"), BAD)  # the device lost its link
    inputs = resampler.take(START + 500 * MS)
    assert inputs["flow"].q.tolist() == [GOOD, GOOD, GOOD, UNCERTAIN, UNCERTAIN]
    assert inputs["head"].q.tolist() == [BAD] * 5


def test_a_late_sample_older_than_the_held_value_does_not_turn_the_clock_back():
    bus = LiveBus()
    resampler = _resampler(bus, {"flow": "dev/flow"})
    bus.publish("dev/flow", START + 80 * MS, 5.0, GOOD)
    resampler.take(START + 100 * MS)
    bus.publish("dev/flow", START + 60 * MS, 4.0, GOOD)
    assert resampler.take(START + 200 * MS)["flow"].v.tolist() == [5.0]


def test_values_are_converted_into_the_inputs_unit():
    bus = LiveBus()
    resampler = _resampler(bus, {"flow": "dev/flow", "temp": "dev/temp"},
                           convert={"flow": conversion("l/s", "m^3/h"), "temp": conversion("degF", "degC")})
    bus.publish("dev/flow", START + 10 * MS, 1.0, GOOD)
    bus.publish("dev/temp", START + 10 * MS, 212.0, GOOD)
    inputs = resampler.take(START + 100 * MS)
    assert np.allclose(inputs["flow"].v, [3.6]) and np.allclose(inputs["temp"].v, [100.0])


def test_two_inputs_bound_to_one_tag_and_a_value_published_before_the_start():
    bus = LiveBus()
    bus.publish("dev/flow", START - 5 * NS, 9.0, GOOD)
    resampler = _resampler(bus, {"a": "dev/flow", "b": "dev/flow"}, stale_after_s=10)
    inputs = resampler.take(START + 100 * MS)
    assert inputs["a"].v.tolist() == inputs["b"].v.tolist() == [9.0]


def _hold_one_tag(t: np.ndarray, v: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The definition, one tag and one grid point at a time: the last value stamped at or before it."""
    held = []
    for point in grid:
        stamped = np.flatnonzero(t <= point)
        held.append(v[stamped[-1]] if len(stamped) else np.nan)
    return np.array(held)


def test_many_tags_in_batches_equal_the_definition_per_tag():
    rng = np.random.default_rng(7)
    bus = LiveBus()
    keys = {f"tag{i}": f"dev/tag{i}" for i in range(300)}
    resampler = _resampler(bus, keys, stale_after_s=100)
    bus.publish("dev/tag0", START, 0.0, GOOD)  # every tag below also has a sample at START
    sent = {key: ([START], [0.0]) for key in keys.values()}
    for key in keys.values():
        if key != "dev/tag0":
            bus.publish(key, START, 0.0, GOOD)
    grids, taken = [], {column: [] for column in keys}
    now = START
    for _ in range(40):
        for key in rng.choice(list(keys.values()), size=120, replace=False):
            count = int(rng.integers(1, 4))
            last = max(sent[key][0][-1], now)  # stamped after the last take: no sample arrives late here
            stamps = np.sort(last + rng.integers(1, 80 * MS, size=count))
            stamps = stamps[stamps <= now + 60 * MS]  # a device's clock a little ahead of ours at most
            if len(stamps):
                values = rng.normal(size=len(stamps))
                bus.publish(key, stamps, values, GOOD)
                sent[key][0].extend(stamps.tolist())
                sent[key][1].extend(values.tolist())
        now += int(rng.integers(20, 250)) * MS
        inputs = resampler.take(now)
        if inputs is None:
            continue
        grids.append(next(iter(inputs.values())).t)
        for column, chunk in inputs.items():
            taken[column].append(chunk.v)
    grid = np.concatenate(grids)
    assert len(grid) > 50 and (np.diff(grid) == 100 * MS).all()
    for column, key in keys.items():
        # Samples stamped after a grid point may have arrived before it was taken; the definition
        # only counts what is stamped at or before the point, as the resampler does.
        expected = _hold_one_tag(np.array(sent[key][0]), np.array(sent[key][1]), grid)
        assert np.array_equal(np.concatenate(taken[column]), expected), column
