"""The needs report's counting rules (reports/demand.py): per person and need, capacity once per
organisation, duplication against demand, gaps as unmet or late demand."""

from datetime import UTC, datetime, timedelta

import pytest

from reports.demand import (
    ReferralFacts,
    capacity_share,
    duplicated,
    person_needs,
    person_places,
    providers_needed,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
NOW = T0 + timedelta(days=10)
ALLOWANCES = {
    "emergency": timedelta(minutes=30),
    "urgent": timedelta(hours=4),
    "routine": timedelta(hours=48),
}


def referral(
    referral_id: int,
    person_id: int = 1,
    needs: tuple[str, ...] = ("shopping",),
    *,
    at: timedelta = timedelta(0),
    accepted_after: timedelta | None = None,
    status: str = "offered",
    urgency: str | None = "routine",
    unmet: tuple[str, ...] = (),
    outcode: str = "SM1",
) -> ReferralFacts:
    created = T0 + at
    return ReferralFacts(
        referral_id=referral_id,
        person_id=person_id,
        area="sutton",
        outcode=outcode,
        lat=51.36,
        lon=-0.19,
        needs=needs,
        unmet_needs=unmet,
        gap=bool(unmet),
        status=status,
        urgency=urgency,
        created_at=created,
        accepted_at=None if accepted_after is None else created + accepted_after,
    )


def by_need(facts, now=NOW):
    return {(n.person_id, n.need): n for n in person_needs(facts, ALLOWANCES, now)}


def test_one_person_with_seven_open_referrals_counts_once_per_need():
    facts = [referral(i, needs=("shopping", "food"), at=timedelta(hours=i)) for i in range(7)]

    found = by_need(facts)

    assert set(found) == {(1, "shopping"), (1, "food")}
    assert [found[(1, need)].referrals for need in ("shopping", "food")] == [7, 7]


def test_different_people_count_separately():
    facts = [referral(1, person_id=1), referral(2, person_id=2), referral(3, person_id=2)]

    found = person_needs(facts, ALLOWANCES, NOW)

    assert sorted((n.person_id, n.referrals) for n in found) == [(1, 1), (2, 2)]


def test_a_person_need_is_placed_by_its_first_referral_and_met_by_any():
    facts = [
        referral(
            2, at=timedelta(hours=5), outcode="SM2", accepted_after=timedelta(hours=1), status="completed"
        ),
        referral(1, at=timedelta(0), outcode="SM1", unmet=("shopping",)),
    ]

    (need,) = person_needs(facts, ALLOWANCES, NOW)

    assert need.outcode == "SM1", "the first referral (by time, not by the order given)"
    assert (need.accepted, need.completed, need.unmet) == (True, True, True)
    assert need.hours_to_accept == 6.0, "from the first referral to the first acceptance of any"


@pytest.mark.parametrize(
    ("urgency", "accepted_after", "status", "late"),
    [
        ("routine", timedelta(hours=47), "accepted", False),
        ("routine", timedelta(hours=49), "accepted", True),
        ("urgent", timedelta(hours=5), "accepted", True),
        ("emergency", timedelta(minutes=20), "accepted", False),
        (None, timedelta(hours=47), "accepted", False),
        ("routine", None, "offered", True),  # still waiting, ten days on
        ("routine", None, "escalated", True),
        ("routine", None, "signposted", False),  # not waiting for anyone
        ("routine", None, "cancelled", False),
    ],
)
def test_late_is_a_wait_longer_than_the_urgency_allows(urgency, accepted_after, status, late):
    (need,) = person_needs(
        [referral(1, urgency=urgency, accepted_after=accepted_after, status=status)], ALLOWANCES, NOW
    )

    assert need.late is late


def test_a_referral_still_within_its_window_is_not_late_yet():
    (need,) = person_needs([referral(1, urgency="urgent")], ALLOWANCES, T0 + timedelta(hours=3))

    assert need.late is False


def test_the_most_urgent_of_a_person_s_referrals_sets_the_allowance():
    facts = [
        referral(1, urgency="routine", accepted_after=timedelta(hours=6)),
        referral(2, urgency="urgent", at=timedelta(minutes=1)),
    ]

    (need,) = person_needs(facts, ALLOWANCES, NOW)

    assert need.late is True, "accepted after 6 hours: longer than an urgent need may wait"


def test_each_person_is_placed_once_by_their_first_referral():
    facts = [
        referral(1, person_id=1, at=timedelta(hours=2), outcode="SM2"),
        referral(2, person_id=1, at=timedelta(hours=1), outcode="SM1", needs=("food",)),
        referral(3, person_id=2, outcode="SM3"),
    ]

    assert person_places(facts) == {1: ("sutton", "SM1"), 2: ("sutton", "SM3")}


def test_one_organisation_offering_many_needs_splits_its_capacity():
    services = ["shopping", "prescriptions", "befriending", "food"]

    shares = [capacity_share(10, services) for _need in services]

    assert shares == [2.5, 2.5, 2.5, 2.5]
    assert sum(shares) == 10, "its capacity counts once in the place"
    assert capacity_share(10, ["food", "food"]) == 10
    assert capacity_share(10, []) == 0


@pytest.mark.parametrize(
    ("people", "shares", "needed", "is_duplicated"),
    [
        (0, [], 0, False),
        (0, [5.0], 1, False),
        (0, [5.0, 5.0], 1, True),  # nobody asked, and two provide it
        (4, [5.0, 5.0], 1, True),  # one provider covers the demand
        (6, [5.0, 5.0], 2, False),  # it takes both
        (30, [5.0, 5.0], 2, False),  # both together fall short: no duplication, a shortfall
        (6, [2.0, 5.0, 3.0], 2, True),  # the largest two cover it; the third is more than it needs
    ],
)
def test_duplication_is_more_providers_than_the_demand_needs(people, shares, needed, is_duplicated):
    assert providers_needed(people, shares) == needed
    assert duplicated(people, shares) is is_duplicated
