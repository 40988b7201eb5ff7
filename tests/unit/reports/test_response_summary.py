import pytest

from reports.response import NO_OFFERS, ResponseStats, summarise, usually_accepts


@pytest.mark.parametrize(
    ("counts", "hours", "expected"),
    [
        ({}, [], NO_OFFERS),
        ({"pending": 1}, [], ResponseStats(1, 0, 0, 0, 0, 1, None, None)),
        ({"withdrawn": 1}, [], ResponseStats(1, 0, 0, 0, 1, 0, None, None)),
        ({"accepted": 1}, [2.0], ResponseStats(1, 1, 0, 0, 0, 0, 2.0, 1.0)),
        (
            {"accepted": 2, "declined": 1, "expired": 1},
            [2.0, 6.0],
            ResponseStats(4, 2, 1, 1, 0, 0, 4.0, 0.5),
        ),
        ({"accepted": 3, "pending": 1}, [20.0, 1.0, 3.0], ResponseStats(4, 3, 0, 0, 0, 1, 3.0, 1.0)),
        ({"declined": 1, "expired": 1}, [], ResponseStats(2, 0, 1, 1, 0, 0, None, 0.0)),
        ({"accepted": 1, "declined": 2}, [0.25], ResponseStats(3, 1, 2, 0, 0, 0, 0.2, 0.333)),
        ({"accepted": 2, "withdrawn": 5}, [1.0, 2.0], ResponseStats(7, 2, 0, 0, 5, 0, 1.5, 1.0)),
    ],
)
def test_summarise(counts, hours, expected):
    assert summarise(counts, hours) == expected


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (None, None),
        (0.0, "usually accepts within 1 minute"),
        (0.25, "usually accepts within 15 minutes"),
        (1.0, "usually accepts within 1 hour"),
        (4.5, "usually accepts within 4.5 hours"),
        (36.0, "usually accepts within 36 hours"),
    ],
)
def test_usually_accepts(hours, text):
    stats = ResponseStats(1, 1, 0, 0, 0, 0, hours, 1.0)
    assert usually_accepts(stats) == text
