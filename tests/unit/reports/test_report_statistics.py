from datetime import UTC, datetime, timedelta

import pytest

from reports.geography import outcode_key
from reports.statistics import hours_between, median, rounded

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([4.0], 4.0),
        ([8.0, 2.0, 4.0], 4.0),
        ([1.0, 4.0, 2.0, 1.0], 1.5),
        ([0.25, 0.25], 0.25),
    ],
)
def test_median(values, expected):
    assert median(values) == expected


def test_median_takes_any_iterable():
    assert median(x for x in (3.0, 1.0, 2.0)) == 2.0


@pytest.mark.parametrize(
    ("later", "hours"),
    [(timedelta(hours=2), 2.0), (timedelta(minutes=90), 1.5), (timedelta(days=2), 48.0), (timedelta(0), 0.0)],
)
def test_hours_between(later, hours):
    assert hours_between(T0, T0 + later) == hours


@pytest.mark.parametrize(
    ("value", "places", "expected"), [(None, 2, None), (1.23456, 2, 1.23), (2.25, 1, 2.2)]
)
def test_rounded(value, places, expected):
    assert rounded(value, places) == expected


def test_postcode_districts_sort_naturally():
    assert sorted(["SM10", "SM2", "CV1", "EC1A", "EC1", "E1", "SM1"], key=outcode_key) == [
        "CV1",
        "E1",
        "EC1",
        "EC1A",
        "SM1",
        "SM2",
        "SM10",
    ]
