"""Families of wording broadened for issue 20 so they hold on wording nobody tuned them on: residents' own
first-person words, background in long notes, words inside other things. Every sentence here is written for
the test, none is copied from an evaluation set; each family has a hard negative."""

import pytest

# --- safeguarding in the person's own words ---

OWN_WORDS_CONCERNS = [
    "he takes my money every week and I never see any of it",
    "I'm scared of my son when he's been drinking",
    "i dont feel safe in my own home anymore",
    "she won't let me see anyone, not even my sister",
    "I can't cope any more, everything is on top of me",
    "i cant go on like this any longer",
    "I've been having dark thoughts lately and don't know who to talk to",
    "My carer hasn't come for three days and I'm stuck in bed",
]


@pytest.mark.parametrize("notes", OWN_WORDS_CONCERNS)
def test_a_concern_in_the_persons_own_words_is_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "I'm a bit scared of the new laptop, can someone show me how to use it?",
        "I can cope with most things but I need a lift to the eye clinic.",
        "I feel safe at home, I'd just like a chat on the phone now and then.",
    ],
)
def test_an_ordinary_fear_or_coping_is_not_safeguarding(decide, notes):
    assert not decide(notes).safeguarding


# --- money: made to hand it over, kept short of it ---


@pytest.mark.parametrize(
    "notes",
    [
        "He makes me give him my benefits as soon as they go in.",
        "I have to hand over my bank card to my nephew every Friday.",
        "My partner won't give me any money for food for me and the kids.",
        "He never gives me any money for the kids.",
    ],
)
def test_being_made_to_hand_over_money_or_kept_short_is_financial_abuse(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "My son helps me with money and takes me shopping on Saturdays.",
        "The council won't give me any money until my claim is sorted, can someone help with the forms?",
    ],
)
def test_family_helping_or_a_benefit_delay_is_not_financial_abuse(decide, notes):
    assert not decide(notes).safeguarding


# --- coercion: watched, or threatened about leaving ---


@pytest.mark.parametrize(
    "notes",
    [
        "my partner checks my phone and who I talk to",
        "he went through my messages while I was asleep",
        "He says if I leave he'll take the kids and I'll never see them again.",
        "she told me if I tell anyone she will throw me out",
    ],
)
def test_being_watched_or_threatened_is_coercion(decide, notes):
    assert decide(notes).safeguarding


def test_a_grandson_checking_a_phone_for_updates_is_not_coercion(decide):
    notes = "my grandson checks my phone for updates every month, I just need my prescription collected"
    assert not decide(notes).safeguarding


# --- a scam under way: a caller pretending to be the bank ---


@pytest.mark.parametrize(
    "notes",
    [
        "Someone rang saying they were from the bank and I have to move my savings today.",
        "a man claiming to be police told her to withdraw cash for them to collect",
        "They want me to put my money in a safe account.",
    ],
)
def test_a_caller_pretending_to_be_the_bank_is_a_scam(decide, notes):
    assert decide(notes).safeguarding


def test_a_bank_scam_spotted_yesterday_is_not_counted(decide):
    notes = (
        "Someone rang yesterday claiming to be the bank asking me to move my money, I hung up and rang the "
        "bank myself, all fine. Can someone show me online banking?"
    )
    assert not decide(notes).safeguarding


# --- a parent who cannot feed or care for the children; a child doing the caring ---


@pytest.mark.parametrize(
    "notes",
    [
        "I can't feed my kids, there's nothing in and no money till next week.",
        "She cannot look after the children at the moment.",
        "My daughter is only 14 and she's been doing all the caring for me since her dad left.",
    ],
)
def test_a_child_going_without_or_doing_the_caring_is_safeguarding(decide, notes):
    assert decide(notes).safeguarding


@pytest.mark.parametrize(
    "notes",
    [
        "I can't look after my neighbour's cat any more, can someone take it to the rehoming centre?",
        "My daughter, who is 45, does all the caring and just needs a break.",
    ],
)
def test_no_child_means_no_child_at_risk(decide, notes):
    assert not decide(notes).safeguarding


# --- a vulnerable adult whose carer has gone ---


@pytest.mark.parametrize(
    "notes",
    [
        "My husband who looks after me has gone into hospital and I have dementia.",
        "I have a learning disability and my support worker hasn't come this week.",
        "Mum has Alzheimer's and was left on her own all weekend because her carers didn't turn up.",
    ],
)
def test_a_vulnerable_adult_left_without_their_carer_is_safeguarding(decide, notes):
    assert decide(notes).safeguarding


def test_someone_who_moved_in_to_do_the_care_is_no_gap(decide):
    notes = (
        "Dad has dementia and my sister has moved in with him while his wife is in hospital. He just needs "
        "his prescription collected."
    )
    assert not decide(notes).safeguarding


# --- background in long notes: a risk told as the past ---


@pytest.mark.parametrize(
    "notes",
    [
        "Her son used to take her money when he lived with her but he moved out in 2020 and she's had no "
        "trouble since. She wants help getting online to do video calls.",
        "There was a referral years back about her ex, he has since moved abroad. She wants shopping done.",
        "I had a breakdown a few years ago but I'm much better now. Could someone post some letters for me?",
    ],
)
def test_a_risk_told_as_the_past_does_not_escalate(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory"


def test_a_past_risk_that_has_started_again_is_current(decide):
    assert decide("Her son used to take her money and now he has started again.").safeguarding


# --- cannot judge risk, in other words ---


@pytest.mark.parametrize(
    "notes",
    [
        "I live alone and I get muddled with things since my memory went, I need help with shopping.",
        "Gran's memory is going and she's living alone now, can someone pick up her prescriptions?",
        "My brother has Down's syndrome and lives independently, he needs his shopping doing.",
    ],
)
def test_someone_who_may_not_judge_risk_living_alone_needs_a_vetted_helper(decide, notes):
    decision = decide(notes)
    assert decision.tier == "vcs", decision.reasons
    assert "financial" not in decision.needs


def test_someone_sharp_living_alone_can_have_a_neighbour(decide):
    assert decide("She's 85, lives alone and is as sharp as a tack, just needs her shopping done.").tier == (
        "mutual_aid"
    )


# --- words inside other things ---


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Her daughter lives in Bath so can't visit; she needs her shopping done.", "personal_care"),
        ("The tenant at number 5 would like a befriender.", "housing"),
        ("My landlord is lovely, I just need someone to collect my prescription.", "housing"),
        ("I manage my own tablets fine, I'd like someone to post a parcel.", "prescriptions"),
        ("He takes Pip out every morning but has hurt his knee, could someone walk her?", "financial"),
        ("I'm much better now I'm on the right medication; could someone walk my dog?", "prescriptions"),
    ],
)
def test_a_word_used_for_something_else_is_not_a_need(decide, notes, need):
    assert need not in decide(notes).needs


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("She needs help getting in the bath.", "personal_care"),
        ("My landlord won't fix the boiler and it's freezing.", "housing"),
        ("She is taking her tablets fine but needs them collected from the chemist.", "prescriptions"),
    ],
)
def test_the_same_word_used_for_a_need_still_counts(decide, notes, need):
    assert need in decide(notes).needs


# --- needs said other ways ---


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("She'll give the volunteer a tenner for the shop.", "shopping"),
        ("Could someone do her shop on a Friday?", "shopping"),
        ("I haven't had a hot meal in over a week, I'm living on toast.", "food"),
    ],
)
def test_a_need_said_another_way_is_found(decide, notes, need):
    assert need in decide(notes).needs
