"""OPC UA timestamps to ns since the epoch: the fast path gives exactly what timedelta arithmetic gives."""

import datetime as dt
import random

from device_browser.opcua.ua_values import EPOCH, to_ns


def _exact(stamp: dt.datetime) -> int:
    return (stamp - EPOCH) // dt.timedelta(microseconds=1) * 1000


def test_to_ns_is_exact_to_the_microsecond():
    rng = random.Random(15)
    stamps = [EPOCH + dt.timedelta(microseconds=rng.randrange(0, 7_200_000_000_000_000)) for _ in range(20_000)]
    stamps += [EPOCH + dt.timedelta(seconds=s, microseconds=999_999) for s in range(0, 7_000_000_000, 70_000_000)]
    stamps += [dt.datetime(1601, 1, 1, tzinfo=dt.UTC), dt.datetime(2300, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)]
    assert [to_ns(s) for s in stamps] == [_exact(s) for s in stamps]
    naive = dt.datetime(2026, 12, 2, 9, 30, 0, 250_000)  # asyncua gives aware UTC; a naive one is taken as UTC
    assert to_ns(naive) == _exact(naive.replace(tzinfo=dt.UTC)) and to_ns(None) == 0
