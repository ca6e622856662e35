"""Blocks round-trip exactly: NaN and its sign, infinities, -0.0, quality codes, ns timestamps."""

from __future__ import annotations

import numpy as np
import pytest

from device_browser.store.codec import ENCODING, decode_block, encode_block


def _round_trip(t, v, q):
    block = encode_block(t, v, q)
    return block, decode_block(block.t_first, block.count, ENCODING, block.t_width, block.t_data, block.v_data,
                               block.q_data)


@pytest.mark.parametrize("step, width", [(1, 1), (1_000, 2), (1_000_000, 4), (10**10, 8)])
def test_time_steps_pick_the_narrowest_width_and_round_trip(step, width):
    rng = np.random.default_rng(step)
    t = 1_764_700_000_123_456_789 + np.cumsum(rng.integers(0, step + 1, 5000)).astype(np.int64)
    v = rng.normal(size=5000)
    q = rng.integers(0, 3, 5000).astype(np.uint8)
    block, (t2, v2, q2) = _round_trip(t, v, q)
    assert block.t_width == width
    assert np.array_equal(t2, t) and np.array_equal(v2.view(np.int64), v.view(np.int64)) and np.array_equal(q2, q)


def test_special_values_keep_their_bits():
    v = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, np.finfo(float).max])
    t = np.arange(len(v), dtype=np.int64)
    block, (_, v2, _) = _round_trip(t, v, np.zeros(len(v), np.uint8))
    assert np.array_equal(v2.view(np.int64), v.view(np.int64))
    assert block.n_values == 6 and block.v_min == -np.inf and block.v_max == np.inf


def test_extreme_timestamps_and_a_step_beyond_2_63():
    t = np.array([np.iinfo(np.int64).min, -1, 0, np.iinfo(np.int64).max], np.int64)
    block, (t2, _, _) = _round_trip(t, np.zeros(4), np.zeros(4, np.uint8))
    assert block.t_width == 8 and np.array_equal(t2, t)


def test_one_sample_and_all_nan_statistics():
    block, (t2, v2, q2) = _round_trip(np.array([7], np.int64), np.array([np.nan]), np.array([2], np.uint8))
    assert (block.count, block.n_values, block.v_min, block.v_sum) == (1, 0, None, None)
    assert t2.tolist() == [7] and np.isnan(v2[0]) and q2.tolist() == [2]


def test_statistics_of_a_block_equal_numpy():
    v = np.random.default_rng(3).normal(size=1000)
    v[::7] = np.nan
    block, _ = _round_trip(np.arange(1000, dtype=np.int64), v, np.zeros(1000, np.uint8))
    assert block.n_values == np.count_nonzero(~np.isnan(v))
    assert block.v_min == np.nanmin(v) and block.v_max == np.nanmax(v)
    assert block.v_sum == pytest.approx(np.nansum(v), rel=1e-12)


def test_an_unknown_encoding_is_refused_with_a_message():
    block = encode_block(np.arange(3, dtype=np.int64), np.zeros(3), np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="encoding 9 is not known"):
        decode_block(block.t_first, 3, 9, block.t_width, block.t_data, block.v_data, block.q_data)


def test_regular_sampling_compresses():
    t = 1_764_700_000_000_000_000 + np.arange(65536, dtype=np.int64) * 1_000_000
    v = np.round(20 + np.sin(np.arange(65536) / 500), 2)
    block = encode_block(t, v, np.zeros(65536, np.uint8))
    assert len(block.t_data) + len(block.q_data) < 2000
    assert len(block.v_data) < 65536 * 8 / 2
