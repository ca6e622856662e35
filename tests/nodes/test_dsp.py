import numpy as np
from scipy import signal as sps

from nodes import dsp


def test_fast_sosfilt_is_bit_identical_to_scipy():
    sos = sps.butter(4, [10, 800], btype="bandpass", fs=2000, output="sos")
    x = np.random.default_rng(0).normal(size=1000)
    zi = np.random.default_rng(1).normal(size=(sos.shape[0], 2))
    expected_y, expected_z = sps.sosfilt(sos, x, zi=zi)
    y, z = dsp.sosfilt(sos, x, zi)
    assert dsp._kernel() is not None, "scipy moved its kernel: streaming is ~10x slower per call"
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(z, expected_z)
    assert not np.shares_memory(y, x) and not np.shares_memory(z, zi)


def test_fast_lfilter_is_bit_identical_to_scipy():
    a = 0.05
    x = np.random.default_rng(2).normal(size=1000)
    zi = np.array([0.3])
    expected_y, expected_z = sps.lfilter([a], [1.0, a - 1.0], x, zi=zi)
    y, z = dsp.lfilter(np.array([a]), np.array([1.0, a - 1.0]), x, zi)
    assert dsp._linear_kernel() is not None, "scipy moved its kernel: an EWMA tick costs ~10 µs more"
    np.testing.assert_array_equal(y, expected_y)
    np.testing.assert_array_equal(z, expected_z)
    assert zi.tolist() == [0.3]  # the caller's state is not overwritten
