"""Every figure of the needs report over a known history (tests/integration/reports/history.py)."""

from datetime import timedelta

import pytest

from referrals.errors import DomainValidationError
from referrals.models import Referral, Resident
from reports.needs import WARD_UNKNOWN, needs_report
from tests.builders import organisation
from tests.integration.reports.history import SHOPPING, History

COLUMNS = (
    "area_type",
    "area",
    "need",
    "people",
    "referrals",
    "accepted",
    "completed",
    "unmet",
    "late",
    "median_hours_to_accept",
    "capacity_offered",
    "providers",
    "providers_needed",
    "duplicated",
    "gap",
)

# Sutton: the hub (capacity 10) offers shopping, prescriptions, befriending and food in SM1 and SM2 (2.5 of
# its capacity each); the food bank (10) food and financial in SM1 and SM2 (5 each); the SM1 mutual-aid group
# (10) shopping, prescriptions, befriending, dog walking and errands (2 each). Coventry has no providers.
# Need → (capacity offered, providers).
SUTTON_PROVISION = {
    "befriending": (4.5, 2),
    "dog_walking": (2.0, 1),
    "errands": (2.0, 1),
    "financial": (5.0, 1),
    "food": (7.5, 2),
    "prescriptions": (4.5, 2),
    "shopping": (4.5, 2),
}
SM2_PROVISION = {
    "befriending": (2.5, 1),
    "financial": (5.0, 1),
    "food": (7.5, 2),
    "prescriptions": (2.5, 1),
    "shopping": (2.5, 1),
}
# (people, referrals, accepted, completed, unmet, late, median hours to accept)
NO_DEMAND = (0, 0, 0, 0, 0, 0, None)
FOOD_AND_SHOP = "needs a food parcel and shopping picked up"


def expected_rows(hub_id: int) -> list[tuple]:
    """Every referral is a different person's here (9 is linked to 2, so not counted). 5 and 7 have waited
    ten days unanswered: longer than a routine need may wait (48 hours), so late."""
    sutton_demand = {
        "befriending": (1, 1, 0, 0, 1, 1, None),
        "financial": (1, 1, 0, 0, 0, 1, None),
        "food": (2, 2, 1, 1, 0, 1, 1.0),
        "shopping": (3, 3, 3, 1, 0, 0, 4.0),
    }
    hub_demand = {**sutton_demand, "befriending": NO_DEMAND}
    sm1_demand = {"food": (1, 1, 1, 1, 0, 0, 1.0), "shopping": (2, 2, 2, 1, 0, 0, 3.0)}
    sm2_demand = {
        "financial": (1, 1, 0, 0, 0, 1, None),
        "food": (1, 1, 0, 0, 0, 1, None),
        "shopping": (1, 1, 1, 0, 0, 0, 8.0),
    }
    coventry = {"shopping": (1, 1, 1, 0, 1, 0, 2.0)}
    # Needed providers: the fewest, largest capacity first, covering the people; at least one.
    needed = {
        ("sutton", "shopping"): 2,  # 3 people: 2.5 + 2
        ("SM1", "shopping"): 1,  # 2 people: the hub's 2.5
    }
    rows = []
    for area_type, area, demand, provision in (
        ("council_area", "sutton", sutton_demand, SUTTON_PROVISION),
        ("council_area", "coventry", coventry, {}),
        ("hub", str(hub_id), hub_demand, SUTTON_PROVISION),
        ("outcode", "CV1", coventry, {}),
        ("outcode", "SM1", sm1_demand, SUTTON_PROVISION),
        ("outcode", "SM2", sm2_demand, SM2_PROVISION),
        ("outcode", "SM3", {"befriending": (1, 1, 0, 0, 1, 1, None)}, {}),
    ):
        for need in sorted(set(demand) | set(provision)):
            figures = demand.get(need, NO_DEMAND)
            capacity, providers = provision.get(need, (0.0, 0))
            key = ("sutton" if area == str(hub_id) else area, need)
            wanted = needed.get(key, 1) if providers else 0
            gap = figures[4] > 0 or figures[5] > 0
            rows.append(
                (area_type, area, need, *figures, capacity, providers, wanted, providers > wanted, gap)
            )
    return rows


def table(report) -> list[tuple]:
    return [
        tuple(getattr(row, column) for column in COLUMNS) for row in report.rows if row.area_type != "ward"
    ]


def test_every_figure_of_the_report(session, areas, history, directory, now):
    report = needs_report(session, areas, since=history.since, now=now)

    assert table(report) == expected_rows(directory["hub"])
    assert (report.since, report.until, report.area, report.area_name) == (
        history.since,
        now.date(),
        None,
        "All served areas",
    )
    assert report.councils == {
        "sutton": "London Borough of Sutton",
        "coventry": "Coventry City Council",
        "buckinghamshire": "Buckinghamshire Council",
    }
    names = {(row.area_type, row.area): (row.area_name, row.council_area) for row in report.rows}
    assert names[("hub", str(directory["hub"]))] == ("Sutton Central Hub", "sutton")
    assert names[("outcode", "SM3")] == ("SM3", "sutton")
    assert not any(row.suppressed for row in report.rows)


def test_districts_carry_referrals_and_gaps_for_the_map(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, now=now)

    busy = {d.outcode: (d.council_area, d.people, d.unmet) for d in report.districts if d.people}
    assert busy == {
        "CV1": ("coventry", 1, 1),
        "SM1": ("sutton", 3, 0),
        "SM2": ("sutton", 2, 0),
        "SM3": ("sutton", 1, 1),
    }
    quiet = {d.outcode for d in report.districts if not d.people}
    assert {"SM5", "SM6", "KT4", "CV2", "HP19"} <= quiet
    assert {d.council_area for d in report.districts} == {"sutton", "coventry", "buckinghamshire"}


def test_without_since_older_referrals_count_too(session, areas, history, now):
    report = needs_report(session, areas, now=now)

    shopping = {(r.area_type, r.area): r for r in report.rows if r.need == "shopping"}
    sutton, sm1 = shopping[("council_area", "sutton")], shopping[("outcode", "SM1")]
    assert (sutton.people, sutton.accepted, sutton.median_hours_to_accept) == (4, 4, 3.0)
    assert (sm1.people, sm1.accepted, sm1.median_hours_to_accept) == (3, 3, 2.0)
    assert report.since is None


def test_a_since_after_everything_leaves_provision_only(session, areas, history, now):
    report = needs_report(session, areas, since=(now + timedelta(days=1)).date(), now=now)

    assert report.rows
    assert all(row.people == 0 and row.median_hours_to_accept is None for row in report.rows)
    assert {row.need for row in report.rows if row.area == "sutton"} == set(SUTTON_PROVISION)


def test_one_area(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, area="coventry", now=now)

    assert table(report) == [
        ("council_area", "coventry", "shopping", 1, 1, 1, 0, 1, 0, 2.0, 0.0, 0, 0, False, True),
        ("outcode", "CV1", "shopping", 1, 1, 1, 0, 1, 0, 2.0, 0.0, 0, 0, False, True),
    ]
    assert report.area_name == "Coventry City Council"
    assert report.councils == {"coventry": "Coventry City Council"}
    assert {d.council_area for d in report.districts} == {"coventry"}


def test_an_unknown_area_is_refused(session, areas):
    with pytest.raises(DomainValidationError) as error:
        needs_report(session, areas, area="atlantis")
    assert error.value.field == "area"
    assert "sutton" in error.value.message


def test_open_data_suppresses_small_counts(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, now=now, open_data=True, threshold=3)

    rows = {(r.area_type, r.area, r.need): r for r in report.rows}
    shopping = rows[("council_area", "sutton", "shopping")]
    assert (shopping.people, shopping.accepted, shopping.completed, shopping.unmet, shopping.late) == (
        3,
        3,
        None,
        0,
        0,
    )
    assert shopping.median_hours_to_accept == 4.0
    assert shopping.suppressed == ("completed",)
    food = rows[("council_area", "sutton", "food")]
    assert (food.people, food.accepted, food.completed, food.unmet, food.late) == (None, None, None, 0, None)
    assert food.median_hours_to_accept is None
    assert food.suppressed == (
        "people",
        "referrals",
        "accepted",
        "completed",
        "late",
        "median_hours_to_accept",
    )
    assert (food.capacity_offered, food.providers, food.providers_needed, food.duplicated) == (
        7.5,
        2,
        1,
        True,
    )
    assert food.gap is True
    assert report.open_data is True
    assert report.suppression_threshold == 3
    districts = {d.outcode: d for d in report.districts}
    assert (districts["SM1"].people, districts["SM1"].unmet, districts["SM1"].suppressed) == (3, 0, ())
    assert (districts["SM2"].people, districts["SM2"].suppressed) == (None, ("people",))
    totals = {(t.area_type, t.area): t for t in report.places}
    assert (totals[("outcode", "SM3")].people, totals[("outcode", "SM3")].suppressed) == (None, ("people",))


def test_provision_follows_the_matching_coverage_rule(session_factory, session, areas, history, now):
    organisation(
        session_factory,
        name="Age UK Sutton",
        kind="vcs",
        services=["befriending"],
        coverage_outcodes=[],
        capacity=7,
    )
    organisation(
        session_factory,
        name="Carshalton Befrienders",
        kind="vcs",
        services=["befriending"],
        coverage_outcodes=[],
        base_lat=51.3687,
        base_lon=-0.1689,
        radius_km=1.0,
        capacity=3,
    )
    organisation(
        session_factory,
        name="Closed group",
        services=["befriending"],
        coverage_outcodes=["SM3"],
        active=False,
    )

    report = needs_report(session, areas, since=history.since, now=now)

    befriending = {
        (r.area_type, r.area): (r.capacity_offered, r.providers)
        for r in report.rows
        if r.need == "befriending"
    }
    assert befriending[("outcode", "SM3")] == (7, 1), "area-wide: the whole of Sutton"
    assert befriending[("outcode", "SM5")] == (10, 2), "the radius reaches the SM5 centroid only"
    assert befriending[("outcode", "SM1")] == (11.5, 3), "7 + the hub's 2.5 + the group's 2"
    assert befriending[("council_area", "sutton")] == (14.5, 4)
    assert ("outcode", "CV1") not in befriending


def test_needs_nobody_recognised_are_counted_under_their_own_code(
    session_factory, session, areas, directory, now
):
    History(session_factory, directory).log(now - timedelta(hours=1), "Please ring me back", "CV1 1AH")

    report = needs_report(session, areas, area="coventry", now=now)

    row = next(r for r in report.rows if r.area_type == "outcode")
    assert (row.need, row.referrals, row.unmet) == ("none_recognised", 1, 1)


@pytest.mark.parametrize("threshold", [2, 3, 5])
def test_no_suppressed_district_figure_can_be_worked_out_from_its_council_total(
    session, areas, history, now, threshold
):
    report = needs_report(session, areas, since=history.since, now=now, open_data=True, threshold=threshold)

    for total in (r for r in report.rows if r.area_type == "council_area"):
        parts = [
            r
            for r in report.rows
            if (r.area_type, r.council_area, r.need) == ("outcode", total.area, total.need)
        ]
        for name in ("referrals", "accepted", "completed", "unmet"):
            hidden = [part.area for part in parts if name in part.suppressed]
            published_total = name not in total.suppressed
            assert not (published_total and len(hidden) == 1), (total.area, total.need, name, hidden)


def test_one_person_with_seven_referrals_counts_once_per_need(
    session_factory, session, areas, directory, now
):
    """Seven calls for one person, found to be the same person afterwards: four of their records folded
    into the first (their referrals moved there), three marked as the same person. They count once for
    shopping and once for food, in the district of their first call."""
    history = History(session_factory, directory)
    made = [
        history.log(now - timedelta(hours=10 - i), SHOPPING if i % 2 else FOOD_AND_SHOP, "SM5 1AA")
        for i in range(7)
    ]
    first = made[0].resident_id
    for referral in made[1:5]:
        session.get(Referral, referral.id).resident_id = first
    for referral in made[5:]:
        session.get(Resident, referral.resident_id).same_as_id = first
    session.commit()

    report = needs_report(session, areas, area="sutton", now=now)

    rows = {(r.area_type, r.area, r.need): r for r in report.rows}
    for need, referrals in (("shopping", 7), ("food", 4)):
        for place in (("council_area", "sutton"), ("outcode", "SM5")):
            row = rows[(*place, need)]
            assert (row.people, row.referrals) == (1, referrals), (place, need)
    totals = {(t.area_type, t.area): t.people for t in report.places}
    assert totals[("council_area", "sutton")] == totals[("outcode", "SM5")] == 1
    assert {d.outcode: d.people for d in report.districts}["SM5"] == 1


def test_one_organisation_offering_many_needs_counts_its_capacity_once(
    session_factory, session, areas, directory, now
):
    organisation(
        session_factory,
        name="Wallington Helpers",
        kind="vcs",
        services=["shopping", "prescriptions", "befriending", "errands"],
        coverage_outcodes=["SM6"],
        capacity=12,
    )

    report = needs_report(session, areas, area="sutton", now=now)

    sm6 = {r.need: (r.capacity_offered, r.providers) for r in report.rows if r.area == "SM6"}
    assert sm6 == dict.fromkeys(("befriending", "errands", "prescriptions", "shopping"), (3.0, 1))
    assert sum(capacity for capacity, _providers in sm6.values()) == 12
    totals = {(t.area_type, t.area): (t.providers, t.capacity) for t in report.places}
    assert totals[("outcode", "SM6")] == (1, 12)
    assert totals[("outcode", "SM1")] == (3, 30), "hub, food bank and group, each once; not the safety net"


def test_duplication_is_more_providers_than_the_demand_needs(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, now=now)

    rows = {(r.area_type, r.area, r.need): r for r in report.rows}
    shopping = rows[("council_area", "sutton", "shopping")]
    assert (shopping.people, shopping.providers, shopping.providers_needed, shopping.duplicated) == (
        3,
        2,
        2,
        False,
    ), "3 people need both the hub (2.5) and the group (2): two providers, not duplication"
    sm1 = rows[("outcode", "SM1", "shopping")]
    assert (sm1.people, sm1.providers, sm1.providers_needed, sm1.duplicated) == (2, 2, 1, True)


def test_every_place_carries_its_ons_local_authority_code_and_name(session, areas, history, directory, now):
    report = needs_report(session, areas, since=history.since, now=now)

    ons = {(r.area_type, r.area): (r.ons_code, r.ons_name) for r in (*report.rows, *report.places)}
    assert ons[("council_area", "sutton")] == ("E09000029", "Sutton")
    assert ons[("council_area", "coventry")] == ("E08000026", "Coventry")
    assert ons[("council_area", "buckinghamshire")] == ("E06000060", "Buckinghamshire")
    assert ons[("hub", str(directory["hub"]))] == ("E09000029", "Sutton")
    assert ons[("outcode", "SM3")] == ("E09000029", "Sutton")
    assert ons[("outcode", "CV1")] == ("E08000026", "Coventry")
    assert ons[("outcode", "HP19")] == ("E06000060", "Buckinghamshire")
    # people whose postcode's ward is not known have no ward code
    assert all(code for (_kind, area), (code, _name) in ons.items() if area != WARD_UNKNOWN)
