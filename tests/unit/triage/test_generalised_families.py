"""Families of wording generalised for issue 20 (third round): background told near other words, concerns
that were checked and found fine, and the other families below. Every sentence is written for this file,
none is copied from an evaluation set; each family has a case that must still escalate."""

import pytest

# --- a "current" word (still, again, every day) cancels a past risk only when said near it ---


@pytest.mark.parametrize(
    "notes",
    [
        "Still drives to the library every week, keen gardener, had a run-in with rogue traders about six "
        "years ago. Wants someone to post a parcel for her.",
        "Her nephew insists on a DBS-checked helper only, she was scammed by a cold caller years ago. "
        "Needs prescriptions collected.",
        "Still plays bowls, walks every day, and was nearly talked into paying a bogus roofer in the "
        "spring but her son stopped it in time. Would like help with her garden.",
    ],
)
def test_a_current_word_far_from_a_past_risk_does_not_make_it_current(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "Self-harmed as a teenager and has started cutting again this month.",
        "Rogue traders took money off him years ago and they are still ringing him every day.",
    ],
)
def test_a_current_word_next_to_a_past_risk_still_counts(decide, notes):
    assert decide(notes).safeguarding


# --- a concern checked and found fine is not a current concern ---


@pytest.mark.parametrize(
    "notes",
    [
        "GP worried about self-neglect in the summer. Adult social care visited, found she is managing "
        "well, case closed. She would like a befriender.",
        "Family couldn't reach him on Sunday so police did a welfare check - he was fine, phone was flat. "
        "Wants help with his bins.",
        "Worried about a man at her door offering to do the gutters; rang Trading Standards and he's a "
        "genuine trader on their list. Just wants advice about grants.",
        "Someone said she might be a hoarder but the flat is tidy, just books. Would like a weekly chat.",
    ],
)
def test_a_concern_checked_and_found_fine_is_not_safeguarding(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "Social worker closed the case in May. Her son is hitting her again and taking her pension.",
        "Welfare check last month found no concerns, but now she is not answering the door for four days.",
        "She insists she is fine but her partner hit her last night.",
    ],
)
def test_a_concern_that_goes_on_after_a_check_still_counts(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"
