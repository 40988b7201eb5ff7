"""The pure parts of reports/needs_sql.py: a hub's median from its districts' sorted waits is exactly
statistics.median over all of them."""

import random
import statistics
from datetime import timedelta

from reports.needs_sql import _hours, _kth, _median


def test_kth_is_the_kth_of_all_the_values_together():
    rng = random.Random(7)
    for _ in range(200):
        lists = [
            sorted(rng.randrange(-50, 10**9) for _ in range(rng.randrange(0, 20)))
            for _ in range(rng.randrange(1, 5))
        ]
        together = sorted(value for values in lists for value in values)
        if not together:
            continue
        for k in {1, len(together), (len(together) + 1) // 2, len(together) // 2 + 1}:
            assert _kth(lists, k) == together[k - 1]


def test_the_median_from_the_middle_waits_is_statistics_median_of_the_hours():
    rng = random.Random(8)
    for n in range(1, 30):
        waits = sorted(timedelta(microseconds=rng.randrange(10**11)) for _ in range(n))
        low, high = waits[(n + 1) // 2 - 1], waits[n // 2]
        assert _median(n, low, high) == statistics.median([_hours(w) for w in waits])
    assert _median(0, None, None) is None
