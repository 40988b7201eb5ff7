"""A need may name the DBS level it needs (befriending: enhanced; personal care: enhanced with the barred-list
check) and may need a driver (a lift); the policy keeps older files working, the filter says why a volunteer
is left out, and a qualifying volunteer's reasons say which check they hold."""

from datetime import date

import pytest
import yaml

from matching import load_matching_policy, match
from matching.policy import DEFAULT_POLICY_PATH, parse_policy
from matching.volunteer_store import VolunteerStore
from tests.unit.matching.builders import (
    GROUP,
    directory,
    organisation,
    request,
    volunteer,
    volunteer_ids,
    volunteer_summary,
    with_orgs,
)

SKILLS = ("shopping", "befriending", "personal_care", "transport")
# The group offers every need the tests ask for, so its volunteers are routed whatever the need.
ORGS = with_orgs(organisation(GROUP, "mutual_aid", services=list(SKILLS)))


def test_the_default_policy_names_levels_and_the_lift():
    policy = load_matching_policy()
    assert policy.dbs_level_required(["personal_care"], {}) == "enhanced_barred"
    assert policy.dbs_level_required(["befriending"], {}) == "enhanced"
    assert policy.dbs_level_required(["shopping", "befriending", "personal_care"], {}) == "enhanced_barred"
    assert policy.dbs_level_required(["shopping"], {}) is None
    assert policy.dbs_level_required(["transport"], {"disabled": True}) is None, "any recorded check"
    assert policy.driver_required(["transport"])
    assert not policy.driver_required(["shopping", "befriending"])


def test_a_policy_without_levels_or_drivers_still_loads_and_means_what_it_did():
    raw = {
        "needs": {"befriending": {"dbs": "always"}, "shopping": {"dbs": "never"}},
        "urgency_window_hours": {"emergency": 0, "urgent": 24, "routine": 168},
        "volunteer_caps": {"max_active_tasks": 4, "max_tasks_per_week": 6},
        "availability_slots": {
            "morning": ["08:00", "12:00"],
            "afternoon": ["12:00", "17:00"],
            "evening": ["17:00", "21:00"],
        },
        "ranking": {
            "volunteer": {"distance": 1, "weekly_load": 0, "active_load": 0, "distance_scale_km": 5},
            "organisation": {
                "distance": 1,
                "load": 0,
                "response": 0,
                "distance_scale_km": 5,
                "response_scale_hours": 1,
            },
        },
    }
    policy = parse_policy(raw)
    assert policy.dbs_required(["befriending"], {})
    assert policy.dbs_level_required(["befriending"], {}) is None
    assert policy.driver_needs == frozenset()
    people = [volunteer(10, skills=SKILLS, dbs_level=None)]
    assert volunteer_ids(match(request(needs=["befriending"]), directory(volunteers=people), policy)) == [10]


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("dbs_level", "super", "dbs_level must be one of"),
        ("driver", "sometimes", "driver must be true or false"),
    ],
)
def test_a_wrong_level_or_driver_value_names_the_problem(field, value, complaint):
    loaded = yaml.safe_load(DEFAULT_POLICY_PATH.read_text())
    loaded["needs"]["shopping"][field] = value
    with pytest.raises(ValueError, match=complaint):
        parse_policy(loaded)


CASES = {
    "befriending, level not recorded": ({"needs": ["befriending"]}, {"dbs_level": None}, "no_valid_dbs"),
    "befriending, only a basic check": ({"needs": ["befriending"]}, {"dbs_level": "basic"}, "no_valid_dbs"),
    "personal care, enhanced without the barred list": (
        {"needs": ["personal_care"]},
        {"dbs_level": "enhanced"},
        "no_valid_dbs",
    ),
    "personal care, the right level but expired": (
        {"needs": ["personal_care"]},
        {"dbs_expires_on": date(2025, 1, 1)},
        "no_valid_dbs",
    ),
    "a lift, not a driver": ({"needs": ["transport"]}, {"driver": False}, "not_a_driver"),
}


@pytest.mark.parametrize(("request_fields", "breaking", "reason"), CASES.values(), ids=CASES.keys())
def test_a_volunteer_without_the_level_or_the_car_is_left_out_with_the_reason(
    request_fields, breaking, reason
):
    people = [volunteer(10, skills=SKILLS), volunteer(11, skills=SKILLS, **breaking)]
    result = match(request(**request_fields), directory(ORGS, volunteers=people))

    assert volunteer_ids(result) == [10]
    assert volunteer_summary(result)[reason] == (1, (11,))


def test_a_higher_level_meets_a_lower_one_and_shopping_needs_no_check_or_car():
    people = [
        volunteer(10, skills=SKILLS, dbs_level="enhanced_barred"),
        volunteer(11, skills=SKILLS, dbs_level="enhanced"),
    ]
    assert sorted(volunteer_ids(match(request(needs=["befriending"]), directory(volunteers=people)))) == [
        10,
        11,
    ]
    bare = [volunteer(12, skills=SKILLS, dbs_level=None, dbs_expires_on=None, driver=False)]
    assert volunteer_ids(match(request(needs=["shopping"]), directory(volunteers=bare))) == [12]


def test_the_reasons_say_which_check_they_hold_and_that_they_drive():
    people = [volunteer(10, skills=SKILLS, dbs_level="enhanced")]
    befriending = match(request(needs=["befriending"]), directory(volunteers=people)).candidates[0]
    assert "DBS enhanced recorded, valid until 2027-01-01 (enhanced or higher needed)" in befriending.reasons
    lift = match(
        request(needs=["transport"], flags={"disabled": True}), directory(volunteers=people)
    ).candidates[0]
    assert "drives: the task is a lift" in lift.reasons
    assert "DBS enhanced recorded, valid until 2027-01-01" in lift.reasons
    shopping = match(request(needs=["shopping"]), directory(volunteers=people)).candidates[0]
    assert "no DBS check needed for shopping" in shopping.reasons


def test_the_store_keeps_level_and_driver_through_upserts():
    store = VolunteerStore([volunteer(10, dbs_level="standard", driver=True)])
    assert (store.volunteer(10).dbs_level, store.volunteer(10).driver) == ("standard", True)
    store.upsert(volunteer(10, dbs_level=None, driver=False))
    assert (store.volunteer(10).dbs_level, store.volunteer(10).driver) == (None, False)
    with pytest.raises(ValueError, match="unknown DBS level"):
        store.upsert(volunteer(11, dbs_level="gold"))
