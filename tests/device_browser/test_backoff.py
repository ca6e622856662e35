"""The one back-off every driver reconnects with: capped, jittered, reset after a success."""

import random

from device_browser.backoff import Backoff


def test_delays_double_up_to_the_cap():
    backoff = Backoff(start=0.25, cap=3.0, jitter=0.0)
    assert [backoff.next_delay() for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.25 and backoff.attempt == 1


def test_jitter_stays_between_half_and_the_full_delay_and_spreads_clients():
    delays = [Backoff(start=1.0, cap=3.0, jitter=0.5, _random=random.Random(seed)) for seed in range(50)]
    firsts = [b.next_delay() for b in delays]
    assert all(0.5 <= d <= 1.0 for d in firsts)
    assert len({round(d, 3) for d in firsts}) > 25  # clients restarted together do not retry in lock-step
    late = [max(b.next_delay() for _ in range(10)) for b in delays]
    assert max(late) <= 3.0
