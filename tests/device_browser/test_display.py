"""Values shown with the precision of their type."""

import math

import numpy as np
import pytest

from device_browser.display import format_time, format_value


@pytest.mark.parametrize(("value", "data_type", "shown"), [
    (float(np.float32(3.14159)), "", "3.14159"),  # a float32 register, not 3.141590118408203
    (float(np.float32(3.14159)), "float32", "3.14159"),
    (float(np.float32(3.14159)), "double", "3.1415901184082"),  # a real double: its own digits
    (0.1, "", "0.1"),
    (23.400000000000002, "int16", "23.4"),  # a scaled register
    (1200.0, "double", "1200.0"),
    (1200.0, "", "1200.0"),
    (True, "", "true"),
    (42, "uint16", "42"),
    (math.nan, "", "NaN"),
    (None, "", ""),
    ([1.5, 2.0], "", "[1.5, 2.0]"),
])
def test_values_have_the_precision_of_their_type(value, data_type, shown):
    assert format_value(value, data_type) == shown


def test_times_are_iso_utc_with_milliseconds():
    assert format_time(1_764_662_400_123_456_789) == "2025-12-02T08:00:00.123Z"
    assert format_time(0) == ""
