"""Each need is found from its everyday words, misspellings and text-speak; short words match exactly."""

import pytest

NEED_CASES = [
    ("shopping", "needs her weekly shopping doing"),
    ("shopping", "needs shoping from tesco"),
    ("shopping", "could someone pick up a few bits, milk and bread"),
    ("shopping", "out of teabags, cant get to the shops"),
    ("prescriptions", "perscription to collect from the chemist"),
    ("prescriptions", "needs her medecine picked up"),
    ("prescriptions", "repeat prescrption ready at Boots"),
    ("prescriptions", "his atorvastatin and metformin need collecting"),
    ("food", "asking for a food bank referral"),
    ("food", "food parcel please, family of four"),
    ("food", "would like meals on wheels"),
    ("food", "no money for food until payday"),
    ("befriending", "feels lonely, would like a friendly phone call each week"),
    ("befriending", "lonley since lockdown"),
    ("befriending", "wants someone to chat to"),
    ("dog_walking", "needs his dog walked twice a day"),
    ("dog_walking", "can someone walk her spaniel"),
    ("errands", "needs letters posting at the post office"),
    ("errands", "bins taking out on a tuesday"),
    ("transport", "needs a lift to her hospital appointment"),
    ("transport", "transport to dialysis three times a week"),
    ("transport", "needs a lift to his apointment"),
    ("digital", "help getting online to video call family"),
    ("digital", "doesnt know how to use her new ipad"),
    ("financial", "behind on rent and council tax, worried about debts"),
    ("financial", "universal credit stopped, no money"),
    ("financial", "cant afford to top up the gas meter"),
    ("housing", "facing eviction, section 21 notice"),
    ("housing", "boiler broken, no heating"),
    ("housing", "damp and mould in the bedroom"),
    ("mental_health", "very anxious and having panic attacks"),
    ("mental_health", "struggling with depresion"),
    ("mental_health", "husband died last month, grieving"),
    ("personal_care", "needs help washing and dressing"),
    ("personal_care", "carer is in hospital, nobody to help her shower"),
    ("personal_care", "asking about respite"),
    ("advice", "help registering with a GP"),
    ("advice", "immigration advice, no recourse to public funds"),
    ("advice", "needs help filling in forms"),
]


@pytest.mark.parametrize(("need", "notes"), NEED_CASES)
def test_need_is_found(decide, need, notes):
    assert need in decide(notes).needs


@pytest.mark.parametrize(
    ("notes", "not_expected"),
    [
        ("has a dog", "prescriptions"),
        ("saw the doc about her knee", "dog_walking"),
        ("paid a bill", "prescriptions"),
        ("stopping by later", "shopping"),
        ("a lovely lady", "befriending"),
        ("kids have chest infections", "prescriptions"),
        ("she is the carer for her mum, carers allowance stopped", "personal_care"),
        ("scammed by a man she met online", "digital"),
        ("pay by cash on delivery", "financial"),
        ("his laptop broke last week", "financial"),
        ("in April", "prescriptions"),
    ],
)
def test_lookalike_words_do_not_make_a_need(decide, notes, not_expected):
    assert not_expected not in decide(notes).needs


@pytest.mark.parametrize(
    ("notes", "negated", "kept"),
    [
        ("Doesn't need shopping. Would like a chat.", "shopping", "befriending"),
        ("Her daughter does her shopping. Needs her prescription collecting.", "shopping", "prescriptions"),
        ("Prescriptions sorted. Needs her dog walked.", "prescriptions", "dog_walking"),
        ("No problems with debt. Wants her hedge cutting.", "financial", "errands"),
    ],
)
def test_negated_or_covered_needs_are_dropped(decide, notes, negated, kept):
    decision = decide(notes)
    assert negated not in decision.needs
    assert kept in decision.needs
    assert any(reason.conclusion == f"negated:need:{negated}" for reason in decision.reasons)


def test_a_usual_helper_who_is_away_does_not_cover_the_need(decide):
    assert "shopping" in decide("Her son usually does her shopping but he is in hospital.").needs


def test_fuzzy_match_reason_names_the_word_and_the_term(decide):
    decision = decide("needs her perscripton collected")
    fuzzy = [reason for reason in decision.reasons if reason.rule == "need.prescriptions.fuzzy"]
    assert fuzzy
    assert fuzzy[0].evidence == "perscripton"
    assert "prescription" in fuzzy[0].detail


def test_fuzzy_matching_leaves_short_words_and_stop_words_alone(rules):
    assert rules.fuzzy.closest("doc") is None
    assert rules.fuzzy.closest("dogs") is None
    assert rules.fuzzy.closest("stopping") is None
    assert rules.fuzzy.closest("shopinng")[0] == "shopping"


def test_no_food_with_a_shopping_request_is_shopping_not_a_food_bank(decide):
    decision = decide("Needs shopping today, nothing to eat in the house.")
    assert decision.needs == ["shopping"]
    assert decision.urgency == "emergency"
    assert "food" in decide("Nothing to eat in the house and no money till Friday.").needs


@pytest.mark.parametrize(
    "notes",
    [
        "Mr Harold Tennant, 79, wants his weekly shopping done",
        "ringing about Joan Hosking, 80, she needs her shopping doing",
    ],
)
def test_a_capitalised_name_inside_a_sentence_is_not_a_misspelt_need(decide, notes):
    decision = decide(notes)
    assert decision.needs == ["shopping"]
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "tennant wants shopping",  # written in lower case: it may be a misspelling
        "NEEDS: SHOPING AND HIS TENNANT AGREEMENT CHECKED",  # a note in capitals
    ],
)
def test_a_lower_case_or_shouted_lookalike_is_still_fuzzy_matched(decide, notes):
    assert "housing" in decide(notes).needs


def test_a_capital_after_a_stop_or_a_colon_is_still_read_as_a_misspelling(rules):
    from triage.fuzzy import _is_name

    text = "Name: Joan. Shoping needed. Req: Shoping, Medz. Took 30 Paracetemol"
    assert not _is_name(text, text.index("Shoping"))
    assert not _is_name(text, text.rindex("Shoping"))
    assert not _is_name(text, text.index("Medz"))
    assert not _is_name(text, text.index("Paracetemol"))
    assert _is_name("for Mr Tennant", len("for Mr "))


def test_money_with_its_trouble_denied_is_no_money_need(decide):
    # "money" is a need only with a trouble in its sentence; "no problems" denies the trouble itself
    decision = decide("No problems with money. Wants her hedge cutting.")
    assert decision.needs == ["errands"]
