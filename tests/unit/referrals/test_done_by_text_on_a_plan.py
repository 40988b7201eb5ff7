"""Which time of a recurring task a lead's DONE records (`texting.replies.this_time`)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from referrals.lifecycle import Occurrence
from texting.replies import this_time

from .builders import T0

WEEK = timedelta(days=7)


def weekly(count: int = 4, done: tuple[int, ...] = ()) -> list[Occurrence]:
    times = [Occurrence(index, T0 + index * WEEK) for index in range(count)]
    return [replace(o, outcome_code="done_by_sms") if o.index in done else o for o in times]


@pytest.mark.parametrize(
    ("done", "after", "expected"),
    [
        ((), timedelta(hours=2), 0),  # the first call, on its day
        ((0,), timedelta(days=1), None),  # a second DONE the same week: nothing is due
        ((0,), timedelta(days=4), 1),  # next week's call made early (within half a week)
        ((0,), WEEK + timedelta(hours=1), 1),
        ((0,), 2 * WEEK + timedelta(hours=1), 2),  # last week's not reported: this week's is recorded
        ((), 2 * WEEK, 2),
        ((0, 1, 2), 3 * WEEK - timedelta(days=3), 3),
        ((0, 1, 2, 3), 4 * WEEK, None),  # all recorded
        ((1, 2, 3), 4 * WEEK, 0),  # only a missed one is left: a late report of it
    ],
)
def test_done_records_the_time_due_now(done, after, expected):
    assert this_time(weekly(done=done), 7, T0 + after) == expected
