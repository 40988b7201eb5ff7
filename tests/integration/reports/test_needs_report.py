"""Every figure of the needs report over a known history (tests/integration/reports/history.py)."""

from datetime import timedelta

import pytest

from referrals.errors import DomainValidationError
from reports.needs import needs_report
from tests.builders import organisation
from tests.integration.reports.history import History

COLUMNS = (
    "area_type",
    "area",
    "need",
    "referrals",
    "accepted",
    "completed",
    "unmet",
    "median_hours_to_accept",
    "capacity_offered",
    "providers",
    "duplicated",
)

# Sutton: the hub (capacity 10) offers shopping, prescriptions, befriending and food in SM1 and SM2; the
# food bank (10) food and financial in SM1 and SM2; the SM1 mutual-aid group (10) shopping, prescriptions,
# befriending, dog walking and errands. Coventry has no providers at all.
SUTTON_PROVISION = {
    "befriending": (20, 2, True),
    "dog_walking": (10, 1, False),
    "errands": (10, 1, False),
    "financial": (10, 1, False),
    "food": (20, 2, True),
    "prescriptions": (20, 2, True),
    "shopping": (20, 2, True),
}
SM2_PROVISION = {
    "befriending": (10, 1, False),
    "financial": (10, 1, False),
    "food": (20, 2, True),
    "prescriptions": (10, 1, False),
    "shopping": (10, 1, False),
}
NO_DEMAND = (0, 0, 0, 0, None)


def expected_rows(hub_id: int) -> list[tuple]:
    sutton_demand = {
        "befriending": (1, 0, 0, 1, None),
        "financial": (1, 0, 0, 0, None),
        "food": (2, 1, 1, 0, 1.0),
        "shopping": (3, 3, 1, 0, 4.0),
    }
    hub_demand = {**sutton_demand, "befriending": NO_DEMAND}
    sm1_demand = {"food": (1, 1, 1, 0, 1.0), "shopping": (2, 2, 1, 0, 3.0)}
    sm2_demand = {"financial": (1, 0, 0, 0, None), "food": (1, 0, 0, 0, None), "shopping": (1, 1, 0, 0, 8.0)}
    rows = []
    for area_type, area, demand, provision in (
        ("council_area", "sutton", sutton_demand, SUTTON_PROVISION),
        ("council_area", "coventry", {"shopping": (1, 1, 0, 1, 2.0)}, {}),
        ("hub", str(hub_id), hub_demand, SUTTON_PROVISION),
        ("outcode", "CV1", {"shopping": (1, 1, 0, 1, 2.0)}, {}),
        ("outcode", "SM1", sm1_demand, SUTTON_PROVISION),
        ("outcode", "SM2", sm2_demand, SM2_PROVISION),
        ("outcode", "SM3", {"befriending": (1, 0, 0, 1, None)}, {}),
    ):
        for need in sorted(set(demand) | set(provision)):
            rows.append(
                (area_type, area, need, *demand.get(need, NO_DEMAND), *provision.get(need, (0, 0, False)))
            )
    return rows


def table(report) -> list[tuple]:
    return [tuple(getattr(row, column) for column in COLUMNS) for row in report.rows]


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

    busy = {d.outcode: (d.council_area, d.referrals, d.unmet) for d in report.districts if d.referrals}
    assert busy == {
        "CV1": ("coventry", 1, 1),
        "SM1": ("sutton", 3, 0),
        "SM2": ("sutton", 2, 0),
        "SM3": ("sutton", 1, 1),
    }
    quiet = {d.outcode for d in report.districts if not d.referrals}
    assert {"SM5", "SM6", "KT4", "CV2", "HP19"} <= quiet
    assert {d.council_area for d in report.districts} == {"sutton", "coventry", "buckinghamshire"}


def test_without_since_older_referrals_count_too(session, areas, history, now):
    report = needs_report(session, areas, now=now)

    shopping = {(r.area_type, r.area): r for r in report.rows if r.need == "shopping"}
    sutton, sm1 = shopping[("council_area", "sutton")], shopping[("outcode", "SM1")]
    assert (sutton.referrals, sutton.accepted, sutton.median_hours_to_accept) == (4, 4, 3.0)
    assert (sm1.referrals, sm1.accepted, sm1.median_hours_to_accept) == (3, 3, 2.0)
    assert report.since is None


def test_a_since_after_everything_leaves_provision_only(session, areas, history, now):
    report = needs_report(session, areas, since=(now + timedelta(days=1)).date(), now=now)

    assert report.rows
    assert all(row.referrals == 0 and row.median_hours_to_accept is None for row in report.rows)
    assert {row.need for row in report.rows if row.area == "sutton"} == set(SUTTON_PROVISION)


def test_one_area(session, areas, history, now):
    report = needs_report(session, areas, since=history.since, area="coventry", now=now)

    assert table(report) == [
        ("council_area", "coventry", "shopping", 1, 1, 0, 1, 2.0, 0, 0, False),
        ("outcode", "CV1", "shopping", 1, 1, 0, 1, 2.0, 0, 0, False),
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
    assert (shopping.referrals, shopping.accepted, shopping.completed, shopping.unmet) == (3, 3, None, 0)
    assert shopping.median_hours_to_accept == 4.0
    assert shopping.suppressed == ("completed",)
    food = rows[("council_area", "sutton", "food")]
    assert (food.referrals, food.accepted, food.completed, food.unmet, food.median_hours_to_accept) == (
        None,
        None,
        None,
        0,
        None,
    )
    assert food.suppressed == ("referrals", "accepted", "completed", "median_hours_to_accept")
    assert (food.capacity_offered, food.providers, food.duplicated) == (20, 2, True)
    assert report.open_data is True
    assert report.suppression_threshold == 3
    districts = {d.outcode: d for d in report.districts}
    assert (districts["SM1"].referrals, districts["SM1"].unmet, districts["SM1"].suppressed) == (3, 0, ())
    assert (districts["SM2"].referrals, districts["SM2"].suppressed) == (None, ("referrals",))


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
    assert befriending[("outcode", "SM1")] == (27, 3)
    assert befriending[("council_area", "sutton")] == (30, 4)
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
