"""The default 2020 policy: tiers per need, the overrides, the unclear case and urgency."""

import pytest


@pytest.mark.parametrize(
    ("notes", "tier"),
    [
        ("Needs shopping and a prescription collecting.", "mutual_aid"),
        ("Would like a befriender and her dog walked.", "mutual_aid"),
        ("Needs letters posting.", "mutual_aid"),
        ("Food bank referral please.", "vcs"),
        ("Needs debt advice.", "vcs"),
        ("Help getting online.", "vcs"),
        ("Lift to his hospital appointment.", "vcs"),
        ("Needs help registering with a GP.", "vcs"),
        ("Very anxious, would like counselling.", "vcs"),
        ("Needs shopping and is very anxious.", "vcs"),
        ("Needs help with washing and dressing.", "statutory"),
        ("Her main carer is in hospital.", "statutory"),
        ("Evicted and sleeping rough.", "statutory"),
        ("No heating, she is 84 and lives alone.", "statutory"),
        ("No heating and a newborn baby.", "statutory"),
        ("Needs shopping, she is shielding.", "statutory"),
        ("Heating broken, he is 40 and fit.", "vcs"),
        ("Fell this morning and is on the floor.", "statutory"),
    ],
)
def test_tier(decide, notes, tier):
    assert decide(notes).tier == tier


def test_specialist_need_is_never_mutual_aid_even_with_shopping(decide, rules):
    decision = decide("Needs shopping. Struggling with depression.")
    assert decision.tier == "vcs"
    for need in rules.specialist_needs:
        assert rules.tier_of(need) != "mutual_aid"


def test_highest_tier_among_needs_wins_and_the_reason_says_why(decide):
    decision = decide("Needs shopping and help getting washed.")
    assert decision.tier == "statutory"
    tier_reasons = [reason for reason in decision.reasons if reason.conclusion.startswith("tier:")]
    assert [reason.rule for reason in tier_reasons] == ["policy.need_tier.personal_care"]


def test_no_recognised_need_is_vcs_with_a_call_back_reason(decide):
    decision = decide("Caller rang back as asked, line dropped.")
    assert decision.needs == []
    assert decision.tier == "vcs"
    assert any(
        reason.rule == "policy.unclear" and "call back" in reason.detail for reason in decision.reasons
    )


def test_override_reason_quotes_the_words_and_the_flag(decide):
    decision = decide("No heating in January.", flags={"elderly": True})
    reason = next(reason for reason in decision.reasons if reason.rule == "policy.no_heating_vulnerable")
    assert reason.conclusion == "tier:statutory"
    assert "no heating" in reason.evidence.lower()
    assert "flag:elderly" in reason.evidence


@pytest.mark.parametrize(
    ("notes", "urgency"),
    [
        ("Needs shopping.", "routine"),
        ("No food at all today.", "emergency"),
        ("No food in the house.", "urgent"),
        ("Run out of insulin today, can't get to the pharmacy.", "emergency"),
        ("Runs out of her tablets tomorrow.", "urgent"),
        ("No heating and it's freezing.", "urgent"),
        ("Nowhere to sleep tonight.", "emergency"),
        ("Facing eviction next month.", "urgent"),
        ("Carer is off sick, needs help washing.", "urgent"),
        ("Needs a prescription collected next week.", "routine"),
    ],
)
def test_urgency(decide, notes, urgency):
    assert decide(notes).urgency == urgency


def test_routine_urgency_still_has_a_reason(decide):
    decision = decide("Needs shopping.")
    assert any(reason.conclusion == "urgency:routine" for reason in decision.reasons)
