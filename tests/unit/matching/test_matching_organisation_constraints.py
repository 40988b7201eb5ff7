"""Each case adds a mutual-aid group (40) that breaks one constraint beside the standard group (4), which
qualifies: if that filter were removed, group 40 would be offered and the test would fail."""

import pytest

from matching import match
from tests.unit.matching.builders import (
    GROUP,
    HUB,
    RESIDENT,
    directory,
    exclusion_reasons,
    org_ids,
    organisation,
    request,
    with_orgs,
)

WEEKDAY_AFTERNOONS = {day: [["12:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}

CASES = {
    "inactive": ({}, {"active": False}, "inactive"),
    "lead opted out of SMS": ({}, {"sms_opted_out": True}, "sms_opted_out"),
    "does not offer the need": ({}, {"services": ["dog_walking"]}, "service_mismatch"),
    "offers only one of two needs": (
        {"needs": ["shopping", "dog_walking"]},
        {"services": ["shopping"]},
        "service_mismatch",
    ),
    "resident too old": ({"resident_age": 70}, {"min_age": 18, "max_age": 25}, "age_ineligible"),
    "resident too young": ({"resident_age": 40}, {"min_age": 65}, "age_ineligible"),
    "age limits and age not recorded": ({"resident_age": None}, {"min_age": 65}, "age_unknown"),
    "closed now for an emergency": (
        {"urgency": "emergency"},
        {"opening_hours": WEEKDAY_AFTERNOONS},
        "closed",
    ),
    "closed for the next 24 hours": (
        {"urgency": "urgent"},
        {"opening_hours": {"wed": [["09:00", "17:00"]]}},
        "closed",
    ),
    "never open": ({"urgency": "routine"}, {"opening_hours": {}}, "closed"),
    "no capacity headroom": ({}, {"capacity": 5, "open_accepted": 5}, "no_capacity"),
}


@pytest.mark.parametrize(("request_fields", "breaking", "reason"), CASES.values(), ids=CASES.keys())
def test_organisation_breaking_one_constraint_is_excluded_with_its_reason(request_fields, breaking, reason):
    orgs = with_orgs(organisation(40, "mutual_aid", **breaking))
    result = match(request(**request_fields), directory(orgs))

    assert org_ids(result) == [GROUP]
    assert exclusion_reasons(result, "organisation")[40] == reason


@pytest.mark.parametrize(
    ("coverage", "covers"),
    [
        ({"coverage_outcodes": ["SM1"]}, True),
        ({"coverage_outcodes": ["sm 1"]}, True),
        ({"coverage_outcodes": ["SM2"]}, False),
        (
            {
                "coverage_outcodes": [],
                "base_lat": RESIDENT[0] + 0.03,
                "base_lon": RESIDENT[1],
                "radius_km": 4,
            },
            True,
        ),
        (
            {
                "coverage_outcodes": [],
                "base_lat": RESIDENT[0] + 0.03,
                "base_lon": RESIDENT[1],
                "radius_km": 3,
            },
            False,
        ),
        ({"coverage_outcodes": [], "area": "sutton"}, True),
        ({"coverage_outcodes": [], "area": "croydon"}, False),
    ],
)
def test_organisation_must_cover_the_resident(coverage, covers):
    orgs = with_orgs(organisation(GROUP, "mutual_aid", **coverage))
    result = match(request(), directory(orgs))

    assert org_ids(result) == ([GROUP] if covers else [1])
    assert result.gap is not covers


@pytest.mark.parametrize(
    ("urgency", "opening_hours", "open_"),
    [
        ("emergency", None, True),
        ("emergency", {"mon": [["09:00", "17:00"]]}, True),
        ("emergency", {"sun": [["22:00", "11:00"]]}, True),
        ("emergency", {"sun": [["22:00", "10:00"]]}, False),
        ("emergency", {"mon": [["00:00", "24:00"]]}, True),
        ("urgent", {"tue": [["09:00", "10:00"]]}, True),
        ("urgent", {"tue": [["11:00", "12:00"]]}, False),
        ("routine", {"sun": [["09:00", "10:00"]]}, True),
    ],
)
def test_opening_hours_must_fall_in_the_urgency_window(urgency, opening_hours, open_):
    orgs = with_orgs(organisation(GROUP, "mutual_aid", opening_hours=opening_hours))
    result = match(request(urgency=urgency), directory(orgs))

    assert (GROUP in org_ids(result)) is open_


def test_coordinators_are_not_asked_to_offer_the_need_but_obey_every_other_constraint():
    closed_hub = organisation(HUB, "hub", services=[], opening_hours={"wed": [["09:00", "17:00"]]})

    open_result = match(request(needs=["dog_walking"]), directory(model="hub_network"))
    closed_result = match(request(urgency="emergency"), directory(with_orgs(closed_hub), model="hub_network"))

    assert org_ids(open_result) == [HUB]
    assert closed_result.gap
    assert exclusion_reasons(closed_result, "organisation")[HUB] == "closed"


def test_organisations_rank_by_load_distance_and_response_time():
    orgs = with_orgs(
        organisation(40, "mutual_aid", capacity=10, open_accepted=8),
        organisation(41, "mutual_aid", capacity=10, open_accepted=1, accepts_within_hours=2),
    )
    result = match(request(), directory(orgs))

    assert org_ids(result) == [41, GROUP, 40]
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True)
