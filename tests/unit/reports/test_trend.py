"""Needs week by week (reports/trend.py): each person-need in the week they first asked, every week listed,
weeks adding up to the period, and open data suppressed with the weeks protected against their total."""

from datetime import date, timedelta

from reports.demand import person_needs
from reports.suppression import PERSON_COUNTS
from reports.trend import ANY_NEED, week_of, weekly_trend, weeks_between
from tests.unit.reports.test_demand import ALLOWANCES, NOW, T0, referral

MONDAY = date(2026, 3, 2)  # T0 is Monday 2 March 2026


def trend(facts, first=MONDAY, last=MONDAY + timedelta(days=20), threshold=None, now=NOW):
    return weekly_trend(facts, person_needs(facts, ALLOWANCES, now), ["sutton"], first, last, threshold)


def rows_of(rows, need):
    return [row for row in rows if row.need == need]


def test_weeks_run_monday_to_sunday_and_every_week_is_listed():
    assert week_of(date(2026, 3, 8)) == MONDAY  # a Sunday
    assert week_of(date(2026, 3, 9)) == MONDAY + timedelta(weeks=1)
    assert weeks_between(date(2026, 3, 4), date(2026, 3, 18)) == [
        MONDAY,
        MONDAY + timedelta(weeks=1),
        MONDAY + timedelta(weeks=2),
    ]
    rows = rows_of(trend([referral(1)]), "shopping")
    assert [row.week for row in rows] == [*weeks_between(MONDAY, MONDAY + timedelta(days=20)), None]
    assert [row.people for row in rows] == [1, 0, 0, 1]


def test_a_person_counts_once_in_the_week_they_first_asked_however_often_they_ask():
    facts = [
        referral(1, person_id=7, at=timedelta(days=1)),
        referral(2, person_id=7, at=timedelta(days=8)),
        referral(3, person_id=7, at=timedelta(days=15)),
    ]
    rows = rows_of(trend(facts), "shopping")
    assert [row.people for row in rows] == [1, 0, 0, 1]
    assert [row.referrals for row in rows] == [1, 1, 1, 3]  # each referral in the week it came in


def test_the_weeks_add_up_to_the_period_total_for_every_count():
    facts = [
        referral(1, person_id=1, at=timedelta(days=0), accepted_after=timedelta(hours=1), status="accepted"),
        referral(2, person_id=2, at=timedelta(days=9), unmet=("shopping",)),
        referral(3, person_id=3, at=timedelta(days=10), needs=("shopping", "befriending")),
        referral(4, person_id=3, at=timedelta(days=16), needs=("befriending",)),
    ]
    rows = trend(facts)
    for need in (ANY_NEED, "shopping", "befriending"):
        weeks, total = rows_of(rows, need)[:-1], rows_of(rows, need)[-1]
        assert total.week is None
        for name in ("people", "referrals", "accepted", "unmet", "late"):
            assert sum(getattr(week, name) for week in weeks) == getattr(total, name), (need, name)
    everyone = rows_of(rows, ANY_NEED)
    assert [row.people for row in everyone] == [1, 2, 0, 3]  # person 3 in week two, by their first referral
    assert everyone[-1].unmet == 1
    assert everyone[-1].accepted == 1


def test_the_period_total_is_the_needs_report_s_count_of_people():
    facts = [referral(i, person_id=i % 4, at=timedelta(days=i)) for i in range(1, 15)]
    needs = person_needs(facts, ALLOWANCES, NOW)
    total = rows_of(trend(facts), "shopping")[-1]
    assert total.people == len({n.person_id for n in needs if n.need == "shopping"}) == 4


def test_open_data_suppresses_small_weeks_and_protects_them_against_the_total():
    # Week one: 6 people; week two: 2 people (small); week three: 7 people.
    facts = [referral(i, person_id=i, at=timedelta(days=0)) for i in range(1, 7)]
    facts += [referral(i, person_id=i, at=timedelta(days=8)) for i in range(7, 9)]
    facts += [referral(i, person_id=i, at=timedelta(days=15)) for i in range(9, 16)]
    rows = rows_of(trend(facts, threshold=5), "shopping")
    assert [row.people for row in rows] == [None, None, 7, 15]
    assert "people" in rows[1].suppressed
    assert "people" not in rows[1].withheld
    assert "people" in rows[0].withheld  # else 15 - 7 - 6 gives week two away
    for row in rows:  # nothing published is small
        for name in PERSON_COUNTS:
            value = getattr(row, name, None)
            assert value is None or value == 0 or value >= 5


def test_a_council_with_nothing_in_the_period_has_no_rows():
    assert trend([]) == ()
    assert weekly_trend([referral(1)], [], ["coventry"], MONDAY, MONDAY) == ()


def test_a_need_first_asked_before_the_period_is_not_in_it():
    # The trend's facts are the period's referrals; a later referral starts the person-need in its week.
    facts = [referral(1, person_id=1, at=timedelta(days=9))]
    rows = rows_of(trend(facts, first=MONDAY + timedelta(weeks=1)), "shopping")
    assert [row.week for row in rows] == [MONDAY + timedelta(weeks=1), MONDAY + timedelta(weeks=2), None]
    assert T0.date() == MONDAY
