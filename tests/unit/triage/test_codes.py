"""Need codes given by the call-taker are merged with the text; unknown codes are refused."""

import pytest

from triage import NEED_CODES, UnknownNeedError


def test_given_codes_are_merged_with_the_notes_and_say_so(decide):
    decision = decide("Needs shopping.", needs=["mental_health"])
    assert decision.needs == ["shopping", "mental_health"]
    given = [reason for reason in decision.reasons if reason.rule == "need.mental_health.given"]
    assert given
    assert given[0].detail == "given by call-taker"
    assert decision.tier == "vcs"


def test_unknown_code_is_a_value_error_naming_the_code(decide):
    with pytest.raises(UnknownNeedError, match="unicorns") as caught:
        decide("Needs shopping.", needs=["shopping", "unicorns"])
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "unicorns"


def test_need_codes_cover_the_taxonomy(rules):
    expected = {
        "shopping", "prescriptions", "food", "befriending", "dog_walking", "errands", "transport",
        "digital", "financial", "housing", "mental_health", "personal_care", "advice",
    }  # fmt: skip
    assert expected <= NEED_CODES == rules.need_codes


def test_tier_of_each_need_comes_from_the_policy(rules):
    assert rules.tier_of("shopping") == "mutual_aid"
    assert rules.tier_of("food") == "vcs"
    assert rules.tier_of("personal_care") == "statutory"
    with pytest.raises(UnknownNeedError):
        rules.tier_of("unicorns")


@pytest.mark.parametrize(
    ("flags", "age", "tier"),
    [
        ({"shielding": True}, None, "statutory"),
        ({"shielding": False}, None, "mutual_aid"),
        ({"made_up_flag": True}, None, "mutual_aid"),
        ({}, 85, "mutual_aid"),
    ],
)
def test_flags_and_unknown_flags(decide, flags, age, tier):
    assert decide("Needs shopping.", flags=flags, age=age).tier == tier


def test_age_makes_someone_elderly_for_the_no_heating_rule(decide):
    assert decide("Boiler broken, no heating.", age=84).tier == "statutory"
    assert decide("Boiler broken, no heating.", age=40).tier == "vcs"
