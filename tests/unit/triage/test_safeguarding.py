"""Safeguarding indicators, negation and reassurance, and the 'when in doubt, safeguard' rule."""

import pytest

INDICATOR_CASES = [
    ("physical_abuse", "her husband hits her when he has been drinking"),
    ("physical_abuse", "unexplained bruises on his arms"),
    ("domestic_abuse", "partner is abusive and she is scared of him"),
    ("sexual_abuse", "says her stepdad touches her"),
    ("financial_abuse", "he takes her pension every week"),
    ("financial_abuse", "her son has her bank card and she hasn't any money"),
    ("financial_abuse", "her son-in-law 'looks after' her money now and she gets £20 a week"),
    ("coercion_control", "partner won't let her see her friends and checks her phone"),
    ("exploitation_scams", "lads are using his flat to deal drugs"),
    ("exploitation_scams", "moved his savings to a safe account after a call from the 'bank'"),
    ("neglect", "hoarding, rubbish piled up everywhere"),
    ("neglect", "flat smells of urine and he hasn't washed in weeks"),
    ("not_eating", "not eating and has lost weight"),
    ("unsafe_at_home", "she is no longer safe at home"),
    ("unsafe_at_home", "found wandering in the street at night"),
    ("child_at_risk", "kids left home alone while mum works nights"),
    ("child_at_risk", "the little boy has bruises"),
    ("parental_capacity", "13 year old says mum is drunk and won't wake up"),
    ("suicide_self_harm", "says she wants to end it all"),
    ("suicide_self_harm", "self-harming again, cuts on her arms"),
    ("suicide_self_harm", "said he might as well not be here"),
    ("eating_disorder", "anorexia, very thin now"),
    ("psychosis", "hearing voices and thinks the neighbours are poisoning him"),
    ("unseen", "hasn't been seen for days, curtains closed"),
    ("unseen", "not answering the door or phone since Sunday"),
    ("dementia_carer_strain", "husband has dementia and she can't cope any more"),
    ("safeguarding_concern", "safeguarding concern raised by the GP"),
]


@pytest.mark.parametrize(("indicator", "notes"), INDICATOR_CASES)
def test_indicator_is_found_and_explained(decide, indicator, notes):
    decision = decide(notes)
    assert decision.safeguarding
    assert decision.tier == "statutory"
    assert decision.urgency in ("urgent", "emergency")
    reasons = [reason for reason in decision.reasons if reason.rule.startswith(f"safeguarding.{indicator}.")]
    assert reasons, [reason.rule for reason in decision.reasons]
    assert reasons[0].conclusion == "safeguarding"
    assert reasons[0].evidence


@pytest.mark.parametrize(
    "notes",
    [
        "No thoughts of harming herself. Needs shopping.",
        "Denies any abuse. Would like a weekly chat.",
        "Low mood but not suicidal, would like counselling.",
        "No safeguarding concerns. Needs prescription collected.",
        "Asked directly, she denies self-harm, suicidal thoughts or abuse.",
        "Denies feeling suicidal or wanting to harm herself.",
        "Not being hit or threatened, just lonely.",
        "Self harm: none. Suicidal thoughts - denied.",
        "No evidence of neglect, the house is clean.",
        "Says she feels safe at home with her son.",
        "She has not been abused and feels safe.",
        "Isn't hearing voices any more and is settled on his medication.",
        "No history of self harm. Anxious about money.",
    ],
)
def test_negated_and_reassured_risks_are_not_safeguarding(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, [(r.rule, r.evidence) for r in decision.reasons]


def test_negation_is_reported_as_a_reason(decide):
    decision = decide("No thoughts of harming herself.")
    negated = [reason for reason in decision.reasons if reason.conclusion == "negated:safeguarding"]
    assert negated
    assert negated[0].evidence == "harming herself"
    assert "No" in negated[0].detail


@pytest.mark.parametrize(
    "notes",
    [
        "Not sure if he is being hit by his carer.",
        "She is not being abused, she says, but I'm not sure.",
        "No longer safe at home.",
        "Not eating.",
        "Can't leave, he hits her.",
        "No food and her son hits her.",
        "Denies abuse. However bruises were seen on her arms.",
    ],
)
def test_in_doubt_or_out_of_scope_negation_still_safeguards(decide, notes):
    assert decide(notes).safeguarding


@pytest.mark.parametrize(
    ("notes", "urgency"),
    [
        ("Wants to end it all tonight, has been saving up her tablets.", "emergency"),
        ("Suicidal thoughts, no plan, would like to talk to someone.", "urgent"),
        ("Partner threatened her with a knife last night.", "emergency"),
        ("Kids are at home alone right now.", "emergency"),
        ("Hasn't been seen for days, curtains closed.", "emergency"),
        ("Stopped eating and drinking since the weekend.", "emergency"),
        ("Her grandson takes her pension.", "urgent"),
    ],
)
def test_safeguarding_urgency(decide, notes, urgency):
    assert decide(notes).urgency == urgency


def test_words_inside_an_abuse_finding_are_not_also_a_money_need(decide):
    decision = decide("Her carer keeps borrowing money from her.")
    assert decision.safeguarding
    assert "financial" not in decision.needs
