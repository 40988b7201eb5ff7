"""Each case pairs a volunteer who qualifies (10) with one who breaks a single constraint (11): if that filter
were removed, volunteer 11 would be offered and the test would fail."""

from datetime import date

import pytest

from matching import capacity_failure, load_matching_policy, match
from tests.unit.matching.builders import (
    RESIDENT,
    directory,
    request,
    volunteer,
    volunteer_ids,
    volunteer_summary,
)

FAR_NORTH = RESIDENT[0] + 0.027  # about 3 km north of the resident

CASES = {
    "inactive": ({}, {"active": False}, "inactive"),
    "sms opted out": ({}, {"sms_opted_out": True}, "sms_opted_out"),
    "missing the only skill": ({}, {"skills": ("dog_walking",)}, "missing_skills"),
    "missing one of two skills": (
        {"needs": ["shopping", "prescriptions"]},
        {"skills": ("shopping",)},
        "missing_skills",
    ),
    "group not routed": ({}, {"org_id": 77}, "group_not_routed"),
    "befriending without DBS": ({"needs": ["befriending"]}, {"dbs_expires_on": None}, "no_valid_dbs"),
    "befriending with expired DBS": (
        {"needs": ["befriending"]},
        {"dbs_expires_on": date(2025, 11, 1)},
        "no_valid_dbs",
    ),
    "DBS expiring inside the routine week": (
        {"needs": ["befriending"], "urgency": "routine"},
        {"dbs_expires_on": date(2025, 11, 28)},
        "no_valid_dbs",
    ),
    "lift for a disabled resident without DBS": (
        {"needs": ["transport"], "flags": {"disabled": True}},
        {"dbs_expires_on": None, "skills": ("transport",)},
        "no_valid_dbs",
    ),
    "a need missing from the policy needs DBS": (
        {"needs": ["gardening"]},
        {"dbs_expires_on": None, "skills": ("gardening",)},
        "no_valid_dbs",
    ),
    "emergency but only free this afternoon": (
        {"urgency": "emergency"},
        {"availability": {"mon": ["afternoon"]}},
        "unavailable",
    ),
    "urgent but only free on Wednesday": (
        {"urgency": "urgent"},
        {"availability": {"wed": ["morning"]}},
        "unavailable",
    ),
    "routine but never free": ({"urgency": "routine"}, {"availability": {}}, "unavailable"),
    "at own active-task cap": ({}, {"active_tasks": 2, "max_active_tasks": 2}, "active_task_cap"),
    "at policy active-task ceiling": ({}, {"active_tasks": 4, "max_active_tasks": 10}, "active_task_cap"),
    "at own weekly cap": ({}, {"tasks_this_week": 3, "max_tasks_per_week": 3}, "weekly_task_cap"),
    "at policy weekly ceiling": ({}, {"tasks_this_week": 6, "max_tasks_per_week": 20}, "weekly_task_cap"),
}


@pytest.mark.parametrize(("request_fields", "breaking", "reason"), CASES.values(), ids=CASES.keys())
def test_volunteer_breaking_one_constraint_is_excluded_with_its_reason(request_fields, breaking, reason):
    skills = {"skills": ("shopping", "prescriptions", "befriending", "transport", "gardening")}
    people = [volunteer(10, **skills), volunteer(11, **{**skills, **breaking})]
    result = match(request(**request_fields), directory(volunteers=people))

    assert volunteer_ids(result) == [10]
    count, sample = volunteer_summary(result)[reason]
    assert (count, sample) == (1, (11,))


def test_volunteer_beyond_their_travel_radius_is_not_offered():
    people = [
        volunteer(10, lat=FAR_NORTH, travel_radius_km=3.5),
        volunteer(11, lat=FAR_NORTH, travel_radius_km=2.5),
    ]
    result = match(request(), directory(volunteers=people))

    assert volunteer_ids(result) == [10]
    assert result.candidates[0].distance_km == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize(
    ("request_fields", "needs_dbs"),
    [
        ({"needs": ["shopping"]}, False),
        ({"needs": ["transport"]}, False),
        ({"needs": ["transport"], "flags": {"disabled": True}}, True),
        ({"needs": ["befriending"]}, True),
        ({"needs": ["shopping", "befriending"]}, True),
    ],
)
def test_dbs_is_required_only_where_the_policy_says(request_fields, needs_dbs):
    skills = ("shopping", "transport", "befriending")
    people = [volunteer(10, skills=skills, dbs_expires_on=None)]
    result = match(request(**request_fields), directory(volunteers=people))

    assert volunteer_ids(result) == ([] if needs_dbs else [10])


@pytest.mark.parametrize(
    ("urgency", "availability", "offered"),
    [
        ("emergency", {"mon": ["morning"]}, True),
        ("emergency", {"mon": ["afternoon"]}, False),
        ("urgent", {"mon": ["afternoon"]}, True),
        ("urgent", {"tue": ["morning"]}, True),
        ("urgent", {"tue": ["afternoon"]}, False),
        ("routine", {"sun": ["evening"]}, True),
    ],
)
def test_availability_must_fall_in_the_urgency_window(urgency, availability, offered):
    people = [volunteer(10, availability=availability)]
    result = match(request(urgency=urgency), directory(volunteers=people))

    assert volunteer_ids(result) == ([10] if offered else [])


def test_dbs_valid_today_is_enough_for_an_emergency_but_not_for_the_week_ahead():
    people = [volunteer(10, dbs_expires_on=date(2025, 11, 26))]

    emergency = match(request(needs=["befriending"], urgency="emergency"), directory(volunteers=people))
    routine = match(request(needs=["befriending"], urgency="routine"), directory(volunteers=people))

    assert volunteer_ids(emergency) == [10]
    assert volunteer_ids(routine) == []


CAP_CASES = {
    "below both caps": ({"active_tasks": 1, "tasks_this_week": 2}, None),
    "at own active-task cap": ({"active_tasks": 2, "max_active_tasks": 2}, "active_task_cap"),
    "at policy active-task ceiling": ({"active_tasks": 4, "max_active_tasks": 10}, "active_task_cap"),
    "at own weekly cap": ({"tasks_this_week": 3, "max_tasks_per_week": 3}, "weekly_task_cap"),
    "at policy weekly ceiling": ({"tasks_this_week": 6, "max_tasks_per_week": 20}, "weekly_task_cap"),
    "both: active reported first": ({"active_tasks": 4, "tasks_this_week": 6}, "active_task_cap"),
}


@pytest.mark.parametrize(("fields", "reason"), CAP_CASES.values(), ids=CAP_CASES.keys())
def test_the_recount_before_an_offer_applies_the_caps_the_index_applies(fields, reason):
    """`capacity_failure` judges counts read from the database just before an offer; it must agree with the
    index's own filter, or a volunteer the index would skip could be offered (or the other way round)."""
    person = volunteer(11, **fields)
    result = match(request(), directory(volunteers=[person]))
    index_reason = next(iter(volunteer_summary(result)), None)

    found = capacity_failure(person, load_matching_policy(), person.active_tasks, person.tasks_this_week)

    assert (found and found[0]) == reason == index_reason
