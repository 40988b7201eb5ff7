"""Families of wording added for issue 20 (triage that holds on wording it has never seen). Every sentence
here is written for the test, none is copied from an evaluation set; each family has a hard negative."""

import pytest

# --- ages written as notes and texts write them are read as children ---------------------------------------

CHILD_AGES = [
    "Neighbour says the 15 y/o upstairs has been left on his own all week.",
    "Boy in year 8 has been home alone since Friday, mum not back.",
    "Her kids under 6 are left alone every evening while she goes out.",
    "my lads 14 and hes been on his own since last night, his dad never came home",
    "im 16 n my stepdad kicked me out, got nowhere to go",
    "Our girl is 11 and she's at home by herself, I'm stuck at work in Leeds.",
]


@pytest.mark.parametrize("notes", CHILD_AGES)
def test_a_child_written_by_age_is_a_child_at_risk(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "Mr Patel, 84, is on his own since his wife died and would like a weekly phone call.",
        "I'm 19, on my own in a flat, can someone help me fill in a housing form?",
    ],
)
def test_an_adult_on_their_own_is_not_a_child_at_risk(decide, notes):
    assert not decide(notes).safeguarding


# --- a young carer doing a parent's care -------------------------------------------------------------------


@pytest.mark.parametrize(
    "notes",
    [
        "My nephew is in year 11. He looks after his dad who has Parkinson's and has missed school all week.",
        "im 13 n i help my mum get dressed and do her tablets before school cos shes got MS",
        "School say the girl, 12, has been caring for her mum and is missing most of her lessons.",
    ],
)
def test_a_young_carer_is_a_child_at_risk(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


def test_an_adult_carer_of_a_parent_is_not_a_young_carer(decide):
    decision = decide("Sandra looks after her mum, 91, and would like someone to pick up mum's prescription.")
    assert not decision.safeguarding


# --- a vulnerable adult whose carer or support has gone ----------------------------------------------------


@pytest.mark.parametrize(
    "notes",
    [
        "Her son has autism and lives with her. She was admitted to hospital this morning and he is alone.",
        "Man with a learning disability, his support worker is off sick and nobody has come for a week.",
        "My brother has Down's syndrome. Our mum, his carer, has gone to Portugal for a funeral.",
        "Dad has Alzheimer's; mum does everything for him and she was taken into hospital last night.",
    ],
)
def test_a_vulnerable_adult_left_without_their_carer_is_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"
    assert any(reason.rule.startswith("safeguarding.support_gone") for reason in decision.reasons)


@pytest.mark.parametrize(
    "notes",
    [
        "Her son has autism; his support worker is off sick but his aunt is staying with him so he's fine. "
        "Could someone collect his prescription?",
        "She has a learning disability and lives with her mum, who would like a lift to the dentist.",
    ],
)
def test_support_still_there_is_not_support_gone(decide, notes):
    assert not decide(notes).safeguarding


# --- a person who cannot judge risk living alone, or a vetted volunteer asked for: not mutual aid ----------


@pytest.mark.parametrize(
    "notes",
    [
        "My gran has dementia and lives on her own. Could someone do her shopping on Fridays?",
        "He has a learning disability and lives alone; he needs his shopping done once a week.",
        "Please find a DBS checked volunteer to walk my uncle's dog, he lets anyone in.",
        "Mum opens the door to anyone, can you find someone to collect her tablets?",
    ],
)
def test_cannot_judge_risk_or_vetted_goes_to_a_charity(decide, notes):
    decision = decide(notes)
    assert decision.tier == "vcs", decision.reasons
    assert not decision.safeguarding


def test_a_memory_clinic_with_no_dementia_is_ordinary_shopping(decide):
    decision = decide(
        "She lives alone. The memory clinic said it isn't dementia, just her hearing. "
        "Could someone do her weekly shop?"
    )
    assert decision.tier == "mutual_aid"


# --- where the person lives, how they pay, what they do for a living: not needs ----------------------------


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Lives in a council flat on the third floor, needs a hand with her shopping.", "housing"),
        ("Resident of a sheltered housing scheme wants her library books returned.", "housing"),
        ("He'll put the cash under the mat for whoever does his shopping.", "financial"),
        ("Can pay by card, just needs someone to pick up a few bits from the shop.", "financial"),
        ("Money is no object, she simply can't carry the bags any more.", "financial"),
        ("She helps at the food bank on Mondays but has hurt her back and needs a shop doing.", "food"),
        ("Retired care worker, wants someone to help her set up video calls on her tablet.", "personal_care"),
        ("The dog is driving her mental, could someone walk him?", "mental_health"),
    ],
)
def test_words_used_for_something_else_are_not_a_need(decide, notes, need):
    decision = decide(notes)
    assert need not in decision.needs, decision.reasons
    assert decision.tier in ("mutual_aid", "vcs")


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Her housing association flat has black mould in every room.", "housing"),
        ("She has no money for the meter and owes two months' rent.", "financial"),
    ],
)
def test_the_same_words_as_a_real_need_still_count(decide, notes, need):
    assert need in decide(notes).needs


# --- a pet called by its name ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "notes",
    [
        "Could someone take Nellie out, she's an old springer and needs her walk.",
        "Can anyone help with Max? He's a black lab and pulls on the lead, I can't hold him after my op.",
        "Going into hospital Monday, who can feed Smudge my cat and do the litter tray?",
        "Rolo hasn't had a proper walk in a fortnight, he's a whippet.",
    ],
)
def test_a_pet_called_by_its_name_is_dog_walking(decide, notes):
    decision = decide(notes)
    assert "dog_walking" in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


def test_a_pet_shop_is_not_a_pet(decide):
    decision = decide("No pets here, I just need bird seed picking up from Pets at Home and some bread.")
    assert "dog_walking" not in decision.needs


# --- urgent housing is the council's today -----------------------------------------------------------------


@pytest.mark.parametrize(
    "notes",
    [
        "Her landlord changed the locks while she was at work, all her things are inside.",
        "Bailiffs are coming Thursday about the rent and the family may have to leave.",
        "Friend says he's got to be out by tonight and has nowhere to stay.",
    ],
)
def test_urgent_housing_is_statutory(decide, notes):
    decision = decide(notes)
    assert decision.tier == "statutory", decision.reasons
    assert "housing" in decision.needs


def test_bailiffs_for_council_tax_are_money_not_homelessness(decide):
    decision = decide("Bailiffs wrote about her council tax arrears, she wants debt advice.")
    assert decision.tier == "vcs"


# --- needs denied or finished; misspellings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("notes", "gone", "kept"),
    [
        ("He's not lonely at all, he just has no food in the house.", "befriending", "food"),
        ("She no longer needs the befriender; could someone take her bins out?", "befriending", "errands"),
        (
            "I had a befriender last year but don't need one now, I need a lift to the clinic.",
            "befriending",
            "transport",
        ),
        ("Please cancel her dog walker, but she needs a shop doing.", "dog_walking", "shopping"),
    ],
)
def test_a_denied_or_finished_need_is_not_counted(decide, notes, gone, kept):
    decision = decide(notes)
    assert gone not in decision.needs, decision.reasons
    assert kept in decision.needs


def test_a_carer_who_no_longer_does_the_shopping_still_leaves_a_need(decide):
    assert "shopping" in decide("Her daughter no longer does her shopping since she moved away.").needs


def test_text_speak_misspellings(decide):
    assert "prescriptions" in decide("cud sum1 get my nans medz from the chemist").needs


# --- background in long notes does not escalate ------------------------------------------------------------


@pytest.mark.parametrize(
    "notes",
    [
        "She was sectioned about fifteen years ago and has been well for years; needs a lift to the dentist.",
        "Had a bad spell a couple of years ago and took an overdose, all behind him now. Needs bins out.",
        "Someone rang claiming to be from her bank. She hung up and rang the bank herself, nothing lost. "
        "She'd like help setting up her email.",
        "Adult social care did an assessment, no concerns, no care needs. He would like a weekly phone call.",
        "Physio says he's not allowed to lift anything yet; could someone walk his terrier?",
    ],
)
def test_background_does_not_tip_a_routine_call_into_the_safety_net(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory", decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "She was sectioned years ago and the voices are back again this week.",
        "A man claiming to be from her bank has rung again today and she has already moved £3,000.",
        "Took an overdose last night.",
    ],
)
def test_a_risk_that_is_current_is_still_safeguarding(decide, notes):
    assert decide(notes).safeguarding
