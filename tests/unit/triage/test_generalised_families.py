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


# --- a pet or person called by a food word or a benefit's name ---


@pytest.mark.parametrize(
    "notes",
    [
        "Could someone walk Muffin for me while my knee heals? She's a little terrier.",
        "Her cat Pepper needs feeding twice a day while she is in hospital.",
        "He can't get Pip out for her walks since his fall, she's a whippet.",
    ],
)
def test_a_pet_called_by_a_food_word_or_pip_is_no_shopping_or_money_need(decide, notes):
    decision = decide(notes)
    assert "dog_walking" in decision.needs, decision.reasons
    assert "shopping" not in decision.needs, decision.reasons
    assert "financial" not in decision.needs, decision.reasons


def test_food_words_and_the_benefit_in_capitals_still_count(decide):
    assert "shopping" in decide("Could someone pick up bread, milk and biscuits for her?").needs
    assert "financial" in decide("Her PIP has been stopped and she can't pay the gas.").needs


# --- a death told as a fact is background; grief or low mood must be said ---


@pytest.mark.parametrize(
    "notes",
    [
        "Widower, his wife passed two winters ago. Would love a weekly phone call for a chat.",
        "Lonely since her brother died, would like someone to pop round for a cuppa.",
    ],
)
def test_a_death_told_as_a_fact_is_befriending_not_mental_health(decide, notes):
    decision = decide(notes)
    assert decision.needs == ["befriending"], decision.reasons
    assert decision.tier == "mutual_aid"


def test_grief_or_low_mood_after_a_death_is_mental_health(decide):
    assert "mental_health" in decide("Since her husband died she has been grieving and very low.").needs
    assert "mental_health" in decide("I can't face getting up since mum died.").needs


# --- an appointment said in passing is no transport need ---


@pytest.mark.parametrize(
    "notes",
    [
        "She has a hearing test appointment next month, her son is taking her. Needs shopping.",
        "Has been seen by the falls team, next appointment in the spring. Would like a befriender.",
    ],
)
def test_an_appointment_in_passing_is_no_transport_need(decide, notes):
    assert "transport" not in decide(notes).needs


def test_getting_to_an_appointment_is_transport(decide):
    assert "transport" in decide("Needs a lift to her eye clinic appointment on Tuesday.").needs
    assert "transport" in decide("can u help me get to my hospital appointment").needs


# --- fear: of someone or of being at home is a concern; of a bill, a machine or an illness is not ---


@pytest.mark.parametrize(
    "notes",
    [
        "She's scared of the gas bill so she keeps the heating off. Needs help with her energy costs.",
        "I'm frightened of breaking the new tablet, could someone show me how to use it?",
        "Dad is terrified about his operation next week and would like a lift to the hospital.",
    ],
)
def test_fear_of_a_bill_a_machine_or_an_illness_is_not_safeguarding(decide, notes):
    assert not decide(notes).safeguarding


@pytest.mark.parametrize(
    "notes",
    [
        "She's frightened of her lodger and won't go downstairs when he's in.",
        "I'm scared to go home tonight.",
        "Her grandson is 15 and I'm scared he's been drawn into something with older boys.",
    ],
)
def test_fear_of_someone_or_of_home_is_safeguarding(decide, notes):
    assert decide(notes).safeguarding


# --- a vulnerable adult whose carer has gone: who, the carer, and the carer gone, anywhere in the note ---


@pytest.mark.parametrize(
    "notes",
    [
        "My uncle has Parkinson's and can't cook for himself. His wife does everything for him and she was "
        "blue-lighted in last night.",
        "Tom is 30 with Down's syndrome. His dad is his carer. Dad flew to Spain on Monday for a funeral.",
        "Mum has dementia. I'm her carer and I've come down with flu, I can't get out of bed.",
    ],
)
def test_a_vulnerable_adult_whose_carer_has_gone_is_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "Her husband has dementia; she's his carer. He was in hospital in the spring but is home now and "
        "they're managing fine. She'd like someone to walk their dog.",
        "He has a learning disability and his mum is his carer. She went into hospital but his aunt has "
        "moved in with him for now. Could someone collect his prescription?",
    ],
)
def test_a_carer_back_or_someone_standing_in_is_no_gap(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons


# --- background that is no current concern ---


@pytest.mark.parametrize(
    "notes",
    [
        "Got a text about a parking fine with a link, she didn't click it and deleted it. Needs her bins "
        "taking out on Thursdays.",
        "A man rang claiming to be from her bank about a safe account; she put the phone down and nothing "
        "has been touched. Wants a lift to the dentist.",
        "She'll leave cash out or give the volunteer her card at the door. Needs a weekly shop.",
        "He will hand over the money for the shopping when they drop it off.",
        "Her knees won't let her walk the dog far, could someone take Rex out?",
        "He can't always tell when people are taking advantage, so please send a DBS-checked volunteer "
        "to help with his shopping.",
        "The police came round last week - not for him, a break-in over the road. He'd like a befriender.",
        "Reported the damp to the landlord twice, no response. Wants advice on getting repairs done.",
    ],
)
def test_background_and_payment_are_not_safeguarding(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "A man rang saying he was from her bank and she has moved her savings to a safe account.",
        "Her son makes her hand over her bank card every week.",
        "Knocked on her door all morning, no answer, and her curtains are still shut.",
        "He won't let her out of the house or see her friends.",
    ],
)
def test_the_same_words_in_a_current_concern_still_count(decide, notes):
    assert decide(notes).safeguarding


# --- words for a need used for something else: a job, a building, a company, the referrer ---


@pytest.mark.parametrize(
    ("notes", "not_needed"),
    [
        ("I'm a home carer on nights and I've tested positive, can someone do a shop?", "personal_care"),
        ("Top floor flat, no lift, and my hip is bad. Could someone carry shopping up?", "transport"),
        ("The removals company lost half my boxes. Can someone help me post some letters?", "befriending"),
        ("Down to his last heart tablet, could someone collect his repeat from the chemist?", "digital"),
        ("Used to be a housing officer myself. Just need my bins taking out.", "housing"),
        ("Finances are fine and no debts. Could a volunteer take my library books back?", "financial"),
        ("Retired solicitor, sharp as ever, needs a hand with his weekly shop.", "advice"),
    ],
)
def test_a_need_word_used_for_something_else_is_no_need(decide, notes, not_needed):
    decision = decide(notes)
    assert not_needed not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid", decision.reasons


# --- confusion told as a call-taker notices it, and a learning disability in the person's words ---


@pytest.mark.parametrize(
    "notes",
    [
        "Lives alone. Asked me what month it was three times and thought it was still Christmas. Wants "
        "bread and milk brought round.",
        "i live in my own flat and my support worker said to ask u. can someone help me with shopping",
    ],
)
def test_confusion_or_a_support_worker_and_living_alone_is_not_mutual_aid(decide, notes):
    assert decide(notes).tier == "vcs"


# --- shielding that has ended, and someone on the floor who cannot get up ---


def test_shielding_that_has_ended_is_not_the_safety_net(decide):
    decision = decide("Was shielding but that's finished now. Wants a paper and a few bits from the shop.")
    assert decision.tier == "mutual_aid", decision.reasons


def test_someone_on_the_floor_who_cannot_get_up_is_an_emergency(decide):
    decision = decide("Dad is on the bathroom floor and can't get himself up, he's 90.")
    assert decision.urgency == "emergency", decision.reasons
    assert decision.tier == "statutory"


# --- a child at risk said other ways, an overdose said loosely, psychosis in the person's words ---


@pytest.mark.parametrize(
    "notes",
    [
        "My granddaughter is 14 and hasn't been home for three nights, she's been seen with older lads.",
        "im 12 and my dad hasnt been home since tuesday, theres nothing left to eat",
        "She's 15 and basically bringing up her little sister because their mum is drinking heavily again.",
        "I'm going into hospital tomorrow and there's nobody to look after the kids while I'm in.",
        "He swallowed a load of his tablets an hour ago.",
        "they are putting something in my tea and i can hear them through the wall talking about me",
    ],
)
def test_a_child_at_risk_an_overdose_or_psychosis_said_other_ways_is_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "My spaniel, 4, is missing out on walks since my operation. Could someone take her out?",
        "They get on like a house on fire, she just needs her prescription collecting.",
        "Had a shielding letter back in the first lockdown, not on any list now. Wants video calls.",
        "She can still manage her own washing, just needs a hand with the shopping.",
    ],
)
def test_a_pet_missing_out_a_figure_of_speech_or_past_shielding_is_not_escalated(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory", decision.reasons


# --- food: going without, eating only what is left, not cooking, a carer who did the meals gone ---


@pytest.mark.parametrize(
    "notes",
    [
        "He doesn't cook and has been living off crisps since Sunday.",
        "Flat has very little food and she's been eating dry cereal for tea.",
        "His food runs out tomorrow and his money doesn't come in till Friday.",
        "She won't remember to feed herself while her husband is away.",
    ],
)
def test_going_without_food_is_a_food_need(decide, notes):
    assert "food" in decide(notes).needs, decide(notes).reasons


def test_a_vulnerable_adult_whose_carer_has_gone_needs_care_and_meals(decide):
    decision = decide("My sister has a learning disability; her husband, her carer, was admitted today.")
    assert {"personal_care", "food"} <= set(decision.needs), decision.reasons


@pytest.mark.parametrize(
    ("notes", "not_needed"),
    [
        ("Lives at 12 Housing Row. Wants her prescription picked up on Fridays.", "housing"),
        ("She helps out in the Mind shop but has broken her wrist; needs a weekly shop.", "mental_health"),
        ("They're in the parents' accommodation by the ward; could someone walk their dog?", "housing"),
        ("Call from the duty social worker, adult social care, asking for a befriender.", "personal_care"),
        ("He sells his paintings on the internet and needs parcels posting.", "digital"),
    ],
)
def test_a_street_a_charity_a_job_or_a_place_is_no_need(decide, notes, not_needed):
    decision = decide(notes)
    assert not_needed not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid", decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "My brother has cerebral palsy and can't be left alone; mum usually does everything for him and "
        "she is away until Sunday.",
        "im 13 and my mum is really ill in bed, can someone bring us some shopping",
    ],
)
def test_more_ways_of_saying_the_carer_is_away_or_a_child_with_an_ill_parent(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


def test_an_adult_with_an_ill_mother_is_no_child_at_risk(decide):
    decision = decide("I'm 45 and my mum is unwell, could someone collect her prescription?")
    assert not decision.safeguarding, decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Ambulance service welfare referral: his cat needs feeding while he's in hospital.",
        "She volunteers at the debt advice centre but has broken her ankle; needs a weekly shop.",
        "Already sent his Attendance Allowance form off, just wants someone to walk his dog.",
    ],
)
def test_money_words_in_a_label_a_job_or_a_form_in_hand_are_no_money_need(decide, notes):
    decision = decide(notes)
    assert "financial" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid", decision.reasons


# --- fifth round (issue 20, the fifth set): a form's risk heading answered "none", an injury played
# down, the person's own money, a bill that took the money, an office that does not answer, a pet let off
# the lead ---


@pytest.mark.parametrize(
    "notes",
    [
        "Referral from the podiatry clinic. Mr Hale, 71, would like someone to pick up his library books. "
        "Safeguarding: N. Consent given.",
        "Client wants help to fill in a blue badge form. Safeguarding concerns - none known.",
        "Pharmacy referral: would like a weekly phone call. Risks: none. "
        "Not voicing any thoughts of suicide.",
        "Tripped on the kerb on Friday, A&E said only bruised, nothing broken. Needs her bins taken out.",
        "He gets his own pension and is happy to pay for the shopping himself.",
        "The boiler repair took all her savings this winter, wants a food bank voucher.",
        "Letting agent not answering about the leaking tap. She would like advice on repairs.",
        "Could someone walk Bramble twice a day? Please don't let her off the lead near the canal.",
        "She cannot tell if a man at the door is genuine, so her son asks for a DBS-checked "
        "volunteer to shop.",
        "Previous adult safeguarding referral in 2019, closed, NFA. Would like help with her garden.",
    ],
)
def test_a_risk_heading_answered_no_or_a_risk_word_used_for_something_else_does_not_escalate(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory", decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Safeguarding concern: her son takes her pension every week.",
        "Risks: he has expressed thoughts of ending his life.",
        "Bruising to both arms she could not explain, only says she fell.",
        "Her grandson has her pension card and she has nothing left by Wednesday.",
        "The carer says she is not answering the door and the milk is on the step.",
        "Her husband won't let her out of the house on her own.",
        "Her son keeps her keys and her phone so she cannot go out.",
        "His wife has Alzheimer's and he is desperate, up every night with her.",
        "A roofer took two thousand pounds cash from her and keeps coming back for more.",
        "She would give anyone her bank card, and last week a man from the pub took her card and PIN.",
    ],
)
def test_the_same_words_naming_a_current_risk_still_escalate(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


# --- a carer who was away and is back caring; care the person manages alone; a carer by trade ---


@pytest.mark.parametrize(
    "notes",
    [
        "Her son has Down's syndrome and she is his carer. She was in hospital in the spring with a chest "
        "infection but is fully recovered and back to normal. Would like someone to walk the dog.",
        "Mr Pryce, 80, independent with washing and dressing, no package of care required. Wants a shop "
        "once a week.",
        "An OT and a social worker came in October. No care needs identified. "
        "He would like a chat now and then.",
    ],
)
def test_support_back_in_place_or_care_not_needed_is_not_the_safety_net(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert "personal_care" not in decision.needs
    assert decision.tier != "statutory", decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Her son has Down's syndrome and she is his carer. She was rushed into hospital last night and he "
        "is on his own in the house.",
        "Mr Pryce, 80, can no longer wash or dress himself since his fall, wants help with personal care.",
    ],
)
def test_a_carer_gone_or_care_needed_still_goes_to_the_council(decide, notes):
    assert decide(notes).tier == "statutory"


# --- a heading answered "fine" is no need; where a past housing crisis or a shield belongs ---


@pytest.mark.parametrize(
    "notes",
    [
        "Housing: no issues. Rent account up to date. Would like someone to walk her terrier.",
        "Referral from the Income and Tenancy Officer: tenant needs someone to feed her cat while "
        "in hospital.",
    ],
)
def test_a_housing_heading_answered_fine_is_no_housing_need(decide, notes):
    decision = decide(notes)
    assert "housing" not in decision.needs, decision.reasons


def test_a_helper_who_is_shielding_does_not_make_the_person_shielding(decide):
    decision = decide("My sister usually helps but she's shielding, so I need someone to do my shopping.")
    assert decision.tier == "mutual_aid", decision.reasons
    assert decide("She is shielding and needs her shopping done.").tier == "statutory"


def test_an_ambulance_complained_about_is_no_immediate_danger(decide):
    decision = decide(
        "On the ward after his fall, moaning about the ambulance taking four hours. Needs his cat fed."
    )
    assert decision.tier == "mutual_aid", decision.reasons
    assert decide("She is on the floor and cannot get up, ambulance called.").tier == "statutory"


# --- a past housing crisis with the person settled since; a help that can end; a name, a job, the form ---


@pytest.mark.parametrize(
    "notes",
    [
        "Was made homeless in 2021 and stayed in a hostel, settled in a housing association flat since. "
        "Would like help getting online.",
        "The landlord evicted us two winters ago. We got a council flat in the spring and are really "
        "settled. Now I need someone to help with my emails.",
    ],
)
def test_a_housing_crisis_in_the_past_with_the_person_settled_is_not_homelessness(decide, notes):
    decision = decide(notes)
    assert decision.tier != "statutory", decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Was settled in a flat but the landlord changed the locks again today, nowhere to sleep tonight.",
        "Being evicted on Friday, has nowhere to go.",
    ],
)
def test_a_housing_crisis_now_is_still_the_councils(decide, notes):
    assert decide(notes).tier == "statutory"


@pytest.mark.parametrize(
    ("notes", "not_needed"),
    [
        (
            "Food bank parcels can stop now, the benefit was paid at last. Would like a weekly phone call.",
            "food",
        ),
        ("Volunteers at Citizens Advice on Mondays. Needs someone to walk her spaniel.", "advice"),
        ("Sorry for the detail, the form asks about it. He needs his bins put out.", "advice"),
        ("Drove for Hallam Transport for years. Needs his library books returned.", "transport"),
        ("Her son works for Brightside Money. She would like someone to do her shopping.", "financial"),
        (
            "Referred by the mental health practitioner he saw in May; he needs his grass cut.",
            "mental_health",
        ),
        (
            "Her cat takes a tablet crushed in her food twice a day, needs feeding while she is away.",
            "digital",
        ),
        ("It's not a money problem. She just can't carry the bags, needs a weekly shop.", "financial"),
        ("The housing officer sorted the leak last week. She would like a chat now and then.", "housing"),
    ],
)
def test_a_need_word_used_for_a_name_a_job_the_form_or_something_finished_is_no_need(
    decide, notes, not_needed
):
    assert not_needed not in decide(notes).needs


@pytest.mark.parametrize(
    "notes",
    [
        "Her daughter does her shopping, but she has been admitted to hospital this week.",
        "The neighbour collects his prescriptions but can't any more since his knee op.",
        "She used to have a befriender, and can't get out to see anyone now.",
    ],
)
def test_a_help_that_has_stopped_near_the_need_still_counts_as_a_need(decide, notes):
    assert decide(notes).needs, decide(notes).reasons


def test_wkly_is_weekly(decide):
    assert "shopping" in decide("needs wkly shop, list by phone").needs


def test_someone_minding_the_card_and_the_number_is_financial_abuse(decide):
    decision = decide("A man from church does her shopping and looks after her card and the PIN now.")
    assert decision.safeguarding, decision.reasons


def test_a_medical_instruction_a_posted_form_or_a_tenant_label_is_no_advice_or_housing_need(decide):
    assert (
        "advice"
        not in decide("Home from hospital and advised to rest for a week; needs the dog walked.").needs
    )
    assert "advice" not in decide("Needs her TV licence form and two cards posted.").needs
    assert "housing" not in decide("Needs her cat fed while the tenant is in hospital.").needs
    assert (
        "shopping"
        not in decide("My online shopping comes every Thursday. Could someone post a parcel?").needs
    )


# --- a paragraph wrapped at a fixed width is one text: a line break before a name does not end a sentence ---


def test_a_wrapped_line_before_a_capital_carries_the_sentence_on():
    from triage.text import tokenize

    wrapped = (
        "The GP surgery rang us last week because his eldest daughter, who lives and works in\n"
        "Bristol was worried, and the practice nurse called round the next day."
    )
    tokens = tokenize(wrapped, {}, frozenset()).tokens
    assert len({token.sentence for token in tokens}) == 1
    form = "Referrer: Jo Smith, Occupational Therapist, Riverside Community Team\nRisks: none identified"
    assert len({token.sentence for token in tokenize(form, {}, frozenset()).tokens}) == 2
    short = "Patient: Mr Ali, 70\nWants a weekly shop"
    assert len({token.sentence for token in tokenize(short, {}, frozenset()).tokens}) == 2


@pytest.mark.parametrize(
    "notes",
    [
        "Nothing to worry about with the shopping side of things, Sainsbury's delivery is booked weekly\n"
        "She told me her partner locks her in the house",
        "No problems at all with food, her son drops a big shop round every Sunday after church with them\n"
        "He takes her pension and she is frightened of him",
        "She says she is not lonely, the church group ring her most days and the vicar visits on Fridays\n"
        "Her husband has been hitting her again",
    ],
)
def test_a_long_line_that_reads_as_a_whole_sentence_does_not_run_into_the_next_lines_concern(decide, notes):
    """A long line left without its full stop but ending on a word a sentence can end on is a sentence: what
    it rules out cannot reach the concern the next line raises (only a line ending on "in", "the", "and",
    "3rd"... runs on)."""
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "Caller says nothing like that going on, but later said her husband threatened to kill her if she "
        "told anyone.",
        "Nothing to worry about at home, she said, though then told me her son hits her when he drinks.",
    ],
)
def test_an_all_clear_then_a_disclosure_in_the_same_sentence_still_escalates(decide, notes):
    """An all-clear reaches every risk of its sentence, but not one the caller went on to tell of."""
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


def test_an_assessment_and_its_finding_across_a_wrapped_line_put_care_aside(decide):
    notes = (
        "Her nephew in Leeds rang the council worried about her, so an adult social care assessment was\n"
        "done on 2nd March by the OT. She showed me the letter: no care needs identified. She would like\n"
        "someone to ring her for a chat on Sundays."
    )
    decision = decide(notes)
    assert "personal_care" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


# --- fifth set, all six voices: a child of a stated age on their own, the support that has not come,
# homelessness said other ways ---


@pytest.mark.parametrize(
    "notes",
    [
        "Their mum was taken into hospital overnight. Her boy, he's 12, and the girl who's 9 are at home "
        "on their own with nothing to eat.",
        "My brother has a learning disabilty and lives alone. His suport worker is off sick and nobody has "
        "come since Monday, he has no food.",
        "She has Down's syndrome, a worker from the care agency comes daily. The worker is off sick and the "
        "agency has no one, she is alone and frightened.",
        "My nephew is autistic, his mum flew to Ireland for a funeral and the care agency was meant to send "
        "someone but nobody's turned up.",
    ],
)
def test_a_child_alone_or_a_vulnerable_adult_whose_support_has_not_come_is_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "The man I lodge with threw my things out on the pavement and told me not to come back.",
        "My friend's landlord found out, so tonight I must go. I have no place to sleep.",
    ],
)
def test_homelessness_said_other_ways_is_the_councils(decide, notes):
    decision = decide(notes)
    assert "housing" in decision.needs, decision.reasons
    assert decision.tier == "statutory"


# --- the same voices: a refused doorstep trader, what someone would do, a job, a place, money ready ---


@pytest.mark.parametrize(
    "notes",
    [
        "A man knocked saying her chimney needed work and wanted cash up front; she sent him packing and "
        "rang Trading Standards. She'd like her recycling put out.",
        "He trusts everyone and would give his bank card to anybody who smiled at him, so please send a "
        "DBS-checked volunteer to take him shopping.",
        "He isn't allowed to drive after the eye drops, could someone give him a lift to the clinic?",
        "I kept forgetting names so the GP sent me for a memory test, which was normal. Needs bins out.",
        "I used to teach safeguarding at the college, nothing like that is going on here. I'd love a chat "
        "once a week.",
        "Mum has dementia and is desperate for someone to walk her spaniel, she gets lost on her own.",
    ],
)
def test_a_refused_trader_a_hypothetical_a_restriction_or_a_job_is_not_safeguarding(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory", decision.reasons


@pytest.mark.parametrize(
    ("notes", "not_needed"),
    [
        ("He drives the van for the food bank but has hurt his back. Needs his bins out.", "food"),
        ("She lives at Pantry Court by the station. Needs her library books returned.", "food"),
        ("Isolating on the GP's advice, could someone do a shop? We'll pay by transfer.", "advice"),
        ("I live above the Citizens Advice on the high street. Could someone post a parcel?", "advice"),
        ("She's got her pension and savings, she just needs her shopping carried.", "financial"),
        ("Got my list and money ready, just need someone to do my shopping.", "financial"),
        ("The occupational therapist says he is fine. Needs a lift to the eye clinic.", "mental_health"),
        (
            "My carer comes every morning to help me wash so that's all sorted. Need bins out.",
            "personal_care",
        ),
    ],
)
def test_more_need_words_used_for_something_else_are_no_need(decide, notes, not_needed):
    assert not_needed not in decide(notes).needs


@pytest.mark.parametrize(
    "notes",
    [
        "Away for four nights, could someone feed Pickles? She's a tabby, just put food down and change "
        "her water.",
        "In hospital from Monday, my ginger tom needs feeding twice a day.",
    ],
)
def test_a_cat_by_its_name_is_pet_care(decide, notes):
    decision = decide(notes)
    assert "dog_walking" in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


# --- what the person can do is no need; the doubt of "you might remember me" doubts no settled flat ---


@pytest.mark.parametrize(
    "notes",
    [
        "Broke her wrist; she can wash and dress herself, but she can't carry a shop. Needs a weekly shop.",
        "He is still able to dress himself, he just can't get to the chemist. Needs his prescription.",
    ],
)
def test_care_the_person_can_do_is_no_need(decide, notes):
    decision = decide(notes)
    assert "personal_care" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "I've not been able to wash properly for weeks.",
        "She barely manages to dress herself and can't get in the bath.",
        "She can no longer wash herself.",
    ],
)
def test_care_the_person_cannot_do_still_counts(decide, notes):
    assert "personal_care" in decide(notes).needs


def test_a_settled_tenancy_after_a_crisis_someone_might_remember_is_no_homelessness(decide):
    notes = (
        "You might remember me: last spring the landlord changed the locks and I stayed in a B&B. "
        "I got a one-bed flat with the council in June and I'm settled. I need help getting online."
    )
    assert decide(notes).tier != "statutory", decide(notes).reasons


def test_no_lifts_needed_is_no_transport_need(decide):
    assert "transport" not in decide("Needs her bins out on Tuesday, no lifts needed, she drives.").needs


# --- set 4 (tuning only): a trader coming back for the rest, a carer in for an operation with the person
# alone since, a teenager with nowhere to stay said with his name, care already coming in ---


@pytest.mark.parametrize(
    "notes",
    [
        "A man from a roofing firm said her tiles were loose and she paid him cash. He is coming back on "
        "Monday to collect the rest.",
        "He has a learning disability and his sister is his carer. She had an operation on Tuesday and he "
        "has been on his own since.",
        "My neighbour's boy Liam is 14, he's been dossing at a friend's since his dad was arrested and says "
        "he'll sleep at the skatepark.",
    ],
)
def test_more_current_risks_said_other_ways_are_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "Carers from the agency come in twice a day for her tablets and a wash, that's going well. She "
        "would like someone to take her to the shop.",
        "She has a carer who comes in three mornings a week for showering, that's all fine and she doesn't "
        "want any more. She needs her shopping collected.",
        "Adult Social Care closure: no eligible care and support needs. Would like a phone call "
        "now and then.",
    ],
)
def test_care_already_coming_in_or_found_not_needed_is_no_care_need(decide, notes):
    assert "personal_care" not in decide(notes).needs, decide(notes).reasons


def test_a_help_that_cannot_be_done_any_more_is_still_a_need(decide):
    assert "shopping" in decide("She can't do her own shopping any more since the fall.").needs
    assert "shopping" in decide("Her son used to do her shopping but he has moved away.").needs


def test_a_help_not_wanted_any_more_is_no_need(decide):
    assert "food" not in decide("She dosnt need the food parcels any more, back at work now.").needs
    assert "food" not in decide("Not after a food parcel, just needs her lab walking.").needs
    assert (
        "mental_health"
        not in decide("Her low mood has lifted since the summer. Needs a lift to the tip.").needs
    )


# --- money named inside a refused scam; jobs, teams and past tribunals; initials do not end a sentence ---


@pytest.mark.parametrize(
    ("notes", "not_needed"),
    [
        (
            "A caller said she owed tax and would be arrested; she hung up and rang her bank. "
            "Needs her bins out.",
            "financial",
        ),
        (
            "Someone claiming to be the bank wanted his savings moved. He put the phone down. "
            "Could someone walk his dog?",
            "financial",
        ),
        (
            "Referral from the Welfare Rights and Financial Inclusion Team: client needs her bins taken out.",
            "financial",
        ),
        ("She won her PIP tribunal last year. Needs a prescription collected.", "financial"),
        ("The order is paid online, so no money would change hands. Just needs collecting.", "financial"),
        ("His pension credit came through. He would like a weekly phone call.", "financial"),
        ("His son works as transport manager at the depot. Dad needs a befriender.", "transport"),
        ("Her daughter is a housing solicitor in York. She needs her prescription collected.", "housing"),
        ("Moved to the flat after her divorce, best thing she did. Needs a shop.", "mental_health"),
        (
            "She came off the waiting list for talking therapy. Needs her hedge cuttings taken to the tip.",
            "mental_health",
        ),
        ("She can pay for the shopping by card online if someone collects it.", "digital"),
    ],
)
def test_money_in_a_refused_scam_a_team_a_job_or_something_finished_is_no_need(decide, notes, not_needed):
    assert not_needed not in decide(notes).needs, decide(notes).reasons


def test_money_lost_to_a_scam_still_counts(decide):
    decision = decide("A man took her savings and keeps ringing for more; she has no money for food now.")
    assert decision.safeguarding
    assert "financial" in decision.needs or "food" in decision.needs


def test_an_initial_does_not_end_a_sentence():
    from triage.text import tokenize

    tokens = tokenize("Client: Mrs E. Grant, 76, council bungalow", {}, frozenset()).tokens
    assert len({token.sentence for token in tokens}) == 1


def test_a_relative_moving_back_in_does_not_undo_a_help_no_longer_needed(decide):
    notes = (
        "She no longer needs a befriender, her daughter has moved back in with her. Needs a lift to the tip."
    )
    assert "befriending" not in decide(notes).needs
    assert "shopping" in decide("Her son does her shopping but he has moved to Leeds for work.").needs


def test_a_new_home_since_a_past_eviction_is_no_homelessness(decide):
    notes = (
        "We were evicted last winter and spent a few months in a hostel, but we've been in our new council "
        "flat since May and love it. I need help getting a cheap laptop."
    )
    assert decide(notes).tier != "statutory", decide(notes).reasons


def test_letting_callers_in_is_a_reason_for_a_vetted_volunteer_not_an_incident(decide):
    decision = decide(
        "Dad lets anyone in and has let cold callers in before; a DBS-checked volunteer for his shop."
    )
    assert not decision.safeguarding, decision.reasons
    assert decision.tier == "vcs"
    assert decide("He let a cold caller in who took £300 cash for a new drive.").safeguarding


def test_wanting_to_do_ones_own_shopping_again_is_not_doing_it(decide):
    assert "shopping" in decide("He takes my card. I just want to be able to do my own shopping again.").needs
    assert "shopping" not in decide("She does her own shopping, needs her bins put out.").needs


# --- isolation rules are not control; the caller's own job in care; paying a helper by transfer ---


def test_isolation_rules_are_not_someone_keeping_the_person_in(decide):
    notes = "Tested positive on Sunday so I'm stuck in for a week and not allowed out at all. Need a shop."
    assert not decide(notes).safeguarding, decide(notes).reasons
    assert decide("Tested positive, and her husband won't let her out of the bedroom.").safeguarding


def test_the_callers_own_job_in_care_and_paying_by_transfer_are_no_needs(decide):
    notes = (
        "I work as a care assistant, doing the personal care calls (washing, dressing), so I'm used to "
        "being the one helping! I'm isolating now; could someone do a shop? I'll transfer the money."
    )
    decision = decide(notes)
    assert "personal_care" not in decision.needs, decision.reasons
    assert "financial" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"
    assert "personal_care" in decide("She used to manage but now can't wash or dress herself.").needs


# --- sixth round (issue 20): the carer taken away without the word "hospital", and the person alone since a
# moment named; a friend who shields; a job or a place; a relative's worry; a pet's food; thoughts denied ---


@pytest.mark.parametrize(
    "notes",
    [
        "Graham has Down's syndrome and his dad looks after him. The paramedics took his dad away at "
        "teatime. Graham is in the flat by himself.",
        "my bro is autistic n lives with our nan who does everything for him. nan went off in an ambulance "
        "this morning. hes on his own since this morning",
        "Mrs Patel has Alzheimer's; her husband is her carer. He was blue lighted in last night and she was "
        "on her own overnight.",
        "Our son has a learning disability; his mum cares for him but she has gone to stay with her father "
        "for a fortnight and he is alone since yesterday.",
    ],
)
def test_a_carer_taken_away_leaves_a_vulnerable_adult_alone(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


def test_someone_with_dementia_living_alone_for_years_is_no_carer_gone(decide):
    decision = decide(
        "Mr Shaw has vascular dementia and has lived alone since 2015. Wants his shopping done."
    )
    assert not decision.safeguarding, decision.reasons


def test_a_friend_who_shields_is_not_the_person_shielding(decide):
    notes = "My neighbour usually drives me to the clinic but she's shielding. I need a lift on Monday."
    assert decide(notes).tier != "statutory", decide(notes).reasons
    assert decide("I'm shielding and have nobody to shop for me.").tier == "statutory"


@pytest.mark.parametrize(
    ("notes", "absent"),
    [
        ("He works as a mental health nurse and is isolating with a cough; needs a shop.", "mental_health"),
        (
            "She volunteers at the food bank on Tuesdays but has covid now; could someone post her letters?",
            "food",
        ),
        ("Flat 3, the block opposite the old food bank. Wants her dog walked.", "food"),
        ("I live in the council flats on Bridge Road and need a prescription picking up.", "housing"),
    ],
)
def test_a_job_or_a_place_names_no_need(decide, notes, absent):
    assert absent not in decide(notes).needs, decide(notes).reasons


def test_a_job_does_not_hide_a_need_the_person_has(decide):
    assert "food" in decide("She works at the food bank but has no food at home, the kids are hungry.").needs


def test_a_relatives_worry_is_neither_harassment_nor_the_persons_mental_health(decide):
    decision = decide(
        "My daughter keeps phoning from Perth to check on me, worried sick about me. I'd like a paper."
    )
    assert not decision.safeguarding, decision.reasons
    assert "mental_health" not in decision.needs
    assert decide("Her ex keeps ringing her at all hours and turning up at the door.").safeguarding


def test_a_pets_portion_of_food_is_pet_care(decide):
    assert (
        "dog_walking"
        in decide("Can someone pop in to Smudge while I'm away? One sachet a day, key with Jan.").needs
    )


def test_thoughts_of_harm_denied_are_not_a_risk(decide):
    decision = decide(
        "Low since losing his job. He has not had any thoughts of hurting himself. Wants counselling."
    )
    assert not decision.safeguarding, decision.reasons
    assert decide("Low since losing his job and has had thoughts of hurting himself this week.").safeguarding


# --- sixth set, second round: care already going in, bailiffs booked, a thing at risk, store vouchers, money
# said to be fine, someone already doing it, a food parcel never asked for, a marker on a file ---


def test_carers_already_going_in_daily_are_no_personal_care_need(decide):
    notes = (
        "Mrs Lamb, 90, dementia. Carers x3 daily for washing and dressing, all fine. Needs a vetted shopper."
    )
    assert "personal_care" not in decide(notes).needs, decide(notes).reasons
    assert (
        "personal_care" in decide("Carers twice daily stopped coming last week; he can't wash himself.").needs
    )


def test_a_thing_at_risk_is_not_a_person_at_risk(decide):
    notes = "Has to leave her cousin's flat by Friday or the cousin's lease is at risk. Wants advice."
    assert not decide(notes).safeguarding, decide(notes).reasons
    assert decide("The children are at risk from his drinking.").safeguarding


def test_store_vouchers_sent_to_someone_online_are_a_scam_under_way(decide):
    notes = "Mum has bought £800 of Google Play cards for a man she met on Facebook and wants to buy more."
    assert decide(notes).safeguarding, decide(notes).reasons


def test_money_said_to_be_fine_is_no_money_need(decide):
    decision = decide("He's fine financially, just needs his repeat prescription fetched on Monday.")
    assert "financial" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "Her lodger has done her shopping for years. She needs her dog walked while she's on crutches.",
        "The warden is already getting her shopping in. Just needs her dog walked this week.",
    ],
)
def test_someone_already_doing_the_shopping_is_no_shopping_need(decide, notes):
    assert "shopping" not in decide(notes).needs, decide(notes).reasons


def test_a_parcel_never_asked_for_is_no_food_need(decide):
    decision = decide("A food parcel turned up that he never asked for. He would like a weekly phone call.")
    assert "food" not in decision.needs, decision.reasons
    assert "food" in decide("She has no food in and asked for a food parcel.").needs


def test_an_old_marker_on_a_file_with_no_current_concerns_is_history(decide):
    notes = (
        "There is a 2016 domestic abuse flag on the housing file; the ex has since moved away and there are "
        "no current concerns. She is isolating and needs a shop."
    )
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decide("There is a domestic abuse flag on the file and he came back last night.").safeguarding


# --- seventh set (issue 20): children with no adult at home; a young carer getting a parent up; a carer
# taken somewhere named or going in within days; traits and figures of speech; money as payment ---


@pytest.mark.parametrize(
    "notes",
    [
        "im 14, my dad got taken into hospital last night. its just me and my little sister (shes 7) now",
        "the kids over the road (think theyre about 6 n 8) have been on there own since friday, mums not "
        "been back",
    ],
)
def test_children_with_no_adult_at_home_are_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


def test_a_parent_in_hospital_with_the_other_at_home_is_not_children_alone(decide):
    decision = decide(
        "My wife is in hospital, I'm at home with our kids aged 3 and 5 and need a food parcel."
    )
    assert not decision.safeguarding, decision.reasons


def test_a_child_getting_a_parent_up_is_a_young_carer(decide):
    assert decide(
        "Jade's 13. Her dad has MS; she's getting her dad up and dressed before school."
    ).safeguarding


@pytest.mark.parametrize(
    ("notes", "flagged"),
    [
        (
            "My brother has a learning disability. Our mum was taken to Pinderfields this morning; "
            "he is alone.",
            True,
        ),
        (
            "I look after my husband who has Alzheimer's. I go in for my knee operation in six weeks' time.",
            False,
        ),
    ],
)
def test_a_carer_taken_in_or_going_in_within_days(decide, notes, flagged):
    assert decide(notes).safeguarding is flagged, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Locks changed this morning and her things are inside. We emailed the landlord, who isn't answering.",
        "Has to leave tonight. Says he's fine in himself, not drinking or anything like that, just skint.",
        "She's killing herself laughing at the quiz on the radio, but would love a weekly phone call.",
        "I'm the safeguarding officer for a local charity, isolating with covid, and need a shop doing.",
    ],
)
def test_traits_figures_of_speech_and_settled_worries_are_no_safeguarding(decide, notes):
    assert not decide(notes).safeguarding, decide(notes).reasons


def test_understated_self_neglect_is_safeguarding(decide):
    notes = "Flat not great. Same clothes, unshaven. Pharmacy say he hasn't collected his tablets for weeks."
    assert decide(notes).safeguarding, decide(notes).reasons
    assert not decide(
        "She hasn't collected her prescription for the new inhaler yet; can someone?"
    ).safeguarding


@pytest.mark.parametrize(
    ("notes", "absent", "present"),
    [
        ("He'll leave the money under the mat; needs a weekly shop.", "financial", "shopping"),
        ("Dad isn't short of money, he just needs his bins put out.", "financial", "errands"),
        ("Could someone fetch rabbit pellets for Clover? I'm isolating.", "shopping", "dog_walking"),
    ],
)
def test_money_as_payment_and_a_rabbits_food(decide, notes, absent, present):
    decision = decide(notes)
    assert absent not in decision.needs, decision.reasons
    assert present in decision.needs, decision.reasons


def test_a_shielding_letter_asked_about_and_denied_is_not_shielding(decide):
    notes = "Asked if she'd had a shielding letter - no, she's not on the list. Wants her bins put out."
    assert decide(notes).tier != "statutory", decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "The two little ones from next door knocked asking if we had any bread, their dad's not been back.",
        "Needs: somewhere to stay tonight, and food and nappies for the baby this evening.",
        "Rang about food, benefits stopped, nothing in since Saturday.",
    ],
)
def test_food_begged_asked_for_in_a_list_or_run_out_is_a_food_need(decide, notes):
    assert "food" in decide(notes).needs, decide(notes).reasons


def test_no_food_with_a_shop_asked_for_is_still_a_shopping_job(decide):
    decision = decide("No food in the house, could someone do a big shop? I can pay.")
    assert decision.needs == ["shopping"], decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Could someone pick up his tablets and do his usual shop on Friday?", "shopping"),
        ("Had nothing but pasta since Sunday and now the pasta is finished.", "food"),
        ("Is there anyone she could talk to once a week? Her husband died in May.", "befriending"),
    ],
)
def test_a_usual_shop_the_last_food_gone_and_someone_to_talk_to(decide, notes, need):
    assert need in decide(notes).needs, decide(notes).reasons


def test_an_adult_home_alone_is_not_a_child_at_risk(decide):
    decision = decide(
        "Mum has dementia and is home alone all day while I work. Could someone pop in at lunch?"
    )
    assert not any(reason.rule.startswith("safeguarding.child_at_risk") for reason in decision.reasons)
    assert decide("The kids are home alone after school till six most days.").safeguarding


@pytest.mark.parametrize(
    "notes",
    [
        "Rang re sister Kerry 30 (learning disability). Their dad is her carer; he's in ICU since Sunday. "
        "Kerry home alone.",
        "Bro Sam 41 (autism), G is his carer - broke her ankle, op tmrw. Sam home alone since this am.",
    ],
)
def test_a_carer_in_intensive_care_or_injured_leaves_the_person_without_support(decide, notes):
    decision = decide(notes)
    assert any(reason.rule.startswith("safeguarding.support_gone") for reason in decision.reasons), (
        decision.reasons
    )


# --- what the evening's new cues must not hide: each a risk or a request they came near in review ---


@pytest.mark.parametrize(
    "notes",
    [
        "He hit her and she said no, she will not leave him.",
        "Her son rang and she answered crying, saying her husband hit her.",
        "She picked up eventually and said he has been hitting her.",
        "There are no current concerns apart from her husband hitting her.",
        "He beat her in 2019 and now he has moved back in and she is scared.",
        "There is a domestic abuse marker on the file and he came back last night.",
        "She is at home at risk from her partner who threatened her last night.",
        "She is not short of money but her son takes her pension every week.",
        # from a second review (a helper's 280 sentences against the rules before and after)
        "Neighbour worried her husband hits her. She answered and said she was fine.",
        "School reports no current concerns, but neighbour saw dad hit the boy yesterday.",
        "There's a marker on the police system, her ex turned up and threatened to kill her.",
        "Her ex keeps texting her to see where she is and who she's with.",
        "Dad opened the door to cold callers yesterday and they took £500 for roof work.",
        "Mum gets disorientated when out, police brought her back twice this week.",
        "He isn't drinking or anything since Tuesday, won't get out of bed.",
    ],
)
def test_the_new_negation_cues_do_not_hide_a_current_risk(decide, notes):
    assert decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Could someone help out with her shopping this week?", "shopping"),
        ("Can anyone help out with a food parcel?", "food"),
        ("We helped her with the shopping last week but need a volunteer now.", "shopping"),
        ("He was getting his shopping done by his son but the son is now ill.", "shopping"),
        ("We do a weekly shop but cannot get out now, can someone help?", "shopping"),
        ("She has not applied for any benefits and has no money for the gas.", "financial"),
        (
            "The worker with the mental health team said she is in crisis and needs support today.",
            "mental_health",
        ),
        ("She has next to no food in the house and the kids are hungry.", "food"),
        ("Is there a volunteer for shopping? She can't get out.", "shopping"),
        ("She's never asked for help with shopping before but she really needs it now.", "shopping"),
        ("No dinner money for the kids this week.", "financial"),
        ("Her neighbour is shielding and so is she, needs shopping.", "shopping"),
    ],
)
def test_the_new_negation_cues_do_not_hide_a_request(decide, notes, need):
    assert need in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "She has dementia and lives alone, carer goes in on Monday and Friday. Needs shopping.",
        "Dad has dementia, needs a lift to the GP surgery today.",
        "Mum has dementia; her son is going to stay with her for a week, she needs shopping.",
        "She is housebound and her carer is an ICU nurse; needs shopping as the carer is busy.",
        "Grandson sent her an Amazon voucher for her birthday, she wants help to use it online.",
        "Carers come between about 9 and 10 and she is on her own the rest of the day.",
        "Bailiffs are booked to come tomorrow to take her car for a parking fine.",
        "He hasn't collected his prescription for 2 weeks because he's isolating; could a volunteer?",
    ],
)
def test_routine_wording_near_the_new_terms_is_not_escalated_to_safeguarding(decide, notes):
    assert not decide(notes).safeguarding, decide(notes).reasons


# --- eighth set (issue 20): an app or a video call named in passing; someone's job holding a need's words


@pytest.mark.parametrize(
    "notes",
    [
        "They're not lonely, they're on FaceTime to the grandbairns every night, it's just the shopping.",
        "I'm in three WhatsApp groups and the book club does Zoom, so not lonely. I need a weekly shop.",
        "His daughter rang him on a video call at the weekend. He needs a weekly shop.",
        "He drives for a delivery app. Needs his shopping dropped off while he isolates.",
    ],
)
def test_an_app_named_in_passing_is_not_a_digital_need(decide, notes):
    decision = decide(notes)
    assert decision.needs == ["shopping"], decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "She wants to learn how to use Zoom for her church service.",
        "He can't get WhatsApp to work on his new phone.",
        "Could someone show him how to video call his son in Australia?",
        "She'd like help with the NHS app.",
        "The only thing he's asked about is getting his new mobile to do video calls to his son.",
    ],
)
def test_an_app_asked_about_or_not_working_is_still_a_digital_need(decide, notes):
    decision = decide(notes)
    assert "digital" in decision.needs, decision.reasons
    assert decision.tier == "vcs"


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        (
            "I'm a domiciliary care worker and have had to isolate. Max the terrier needs walking.",
            "personal_care",
        ),
        ("I'm a housing officer myself so I know the drill. I need my prescription collecting.", "housing"),
        ("My son is a mental health nurse and can't come; mum needs her shopping doing.", "mental_health"),
    ],
)
def test_a_job_holding_a_needs_words_is_not_that_need(decide, notes, need):
    decision = decide(notes)
    assert need not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        (
            "She's a carer for her husband and now she's in hospital; he has dementia and is alone.",
            "personal_care",
        ),
        ("She needs a care worker to help her wash and dress.", "personal_care"),
        ("He is a support worker and has been homeless since Friday.", "housing"),
        ("I'm a nurse and I've got no money for the gas meter.", "financial"),
    ],
)
def test_a_job_word_does_not_hide_a_real_need(decide, notes, need):
    assert need in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "She has food and money, it's the loneliness. She'd like a weekly phone call.",
        "Sorry to trouble you, I am fine for money. She'd like a weekly phone call.",
        "Money fine. She'd like a weekly phone call.",
    ],
)
def test_money_named_with_no_trouble_is_not_a_money_need(decide, notes):
    decision = decide(notes)
    assert "financial" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "He's got no money for the gas.",
        "Money is really tight since he lost his job.",
        "She's worried about her finances.",
        "Her savings have all gone on the repairs.",
        "He can't manage his money since the stroke.",
        "Suspected financial abuse by her grandson.",
        "Doesn't have any money until Thursday.",
    ],
)
def test_money_with_a_trouble_is_still_a_money_need(decide, notes):
    assert "financial" in decide(notes).needs, decide(notes).reasons


def test_a_forms_question_answered_no_is_no_need(decide):
    decision = decide(
        "What help: needs shopping doing every week\nMoney problems: no, has her pension\n"
        "Food parcel needed: no\nHousing issues? None."
    )
    assert decision.needs == ["shopping"], decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Any food in the house? No.\nNeeds: shopping", "food"),
        ("Food needed: yes\nMoney problems: yes, behind on rent", "food"),
        ("Money problems? Yes, no money at all", "financial"),
    ],
)
def test_a_forms_answer_that_is_the_need_is_still_read(decide, notes, need):
    assert need in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "I don't see much point carrying on without her.",
        "Some nights I think it would be easier not to wake up, and I've thought about how.",
        "Some nights I wish I wouldn't wake up.",
        "hope i dont wake up tbh",
    ],
)
def test_understated_suicidal_thoughts_are_safeguarding(decide, notes):
    decision = decide(notes)
    assert decision.safeguarding, decision.reasons
    assert decision.tier == "statutory"


@pytest.mark.parametrize(
    "notes",
    [
        "It's easier if I don't wake up the baby, so could someone drop the shopping on the step?",
        "I don't see much point in going to the GP for a cold, but I need my prescription collecting.",
        "He's thought about how to get his shopping now the bus is off.",
    ],
)
def test_ordinary_wording_near_the_new_suicide_terms_is_not_safeguarding(decide, notes):
    assert not decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    ("notes", "tier"),
    [
        ("No gas since Friday. It's just me and my 3 kids, all under 10. It's freezing.", "statutory"),
        ("boilers packed in since sun engineer cant come til next thurs. im 81 on my own", "statutory"),
    ],
)
def test_no_heating_with_young_children_or_for_an_old_person_alone_is_the_councils(decide, notes, tier):
    decision = decide(notes)
    assert "housing" in decision.needs, decision.reasons
    assert decision.tier == tier


def test_figures_of_speech_and_passing_denials_are_not_needs_or_concerns(decide):
    # ("don't panic" is read as panic: an exception for it hid "don't panic, but I can't set foot outside")
    decision = decide(
        "I'm not homeless or anything, ha ha, I've my own wee house. I'm grand apart from "
        "feeling like I've been hit by a bus. I need my prescription collected."
    )
    assert decision.needs == ["prescriptions"], decision.reasons
    assert not decision.safeguarding
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("She's not homeless yet but has to be out by Friday.", "housing"),
        ("She has panic attacks most days.", "mental_health"),
    ],
)
def test_the_figure_of_speech_exceptions_leave_the_real_thing(decide, notes, need):
    assert need in decide(notes).needs


def test_money_an_appointee_manages_is_not_financial_abuse(decide):
    decision = decide("The council is his appointee and manages his benefits. He needs a weekly shop.")
    assert not decision.safeguarding, decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "His son manages his money and won't give him any.",
        "His son is his appointee and keeps his money, he has nothing for food.",
    ],
)
def test_money_kept_from_someone_is_still_financial_abuse(decide, notes):
    assert decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "A bit stressed with the move, needs her prescription collected.",
        "She'll have the kettle on mind, she's dying for a cuppa. Needs her bins taking out.",
    ],
)
def test_stress_told_once_or_a_dialect_mind_is_not_a_mental_health_need(decide, notes):
    decision = decide(notes)
    assert "mental_health" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "She's been crying every day since her husband died.",
        "So stressed she can't sleep.",
        "Upset and wants someone to talk to.",
        "She's frightened and can't stop crying at night.",
        "Chloe v low, tearful.",
        "He is overwhelmed and not coping.",
    ],
)
def test_lasting_or_asked_about_upset_is_still_a_mental_health_need(decide, notes):
    assert "mental_health" in decide(notes).needs, decide(notes).reasons


def test_upset_or_tears_told_once_are_still_read_as_mental_health(decide):
    # Gating these on a lasting or asked-about cue made a statutory case of the ninth set go to mutual aid
    # on the rules alone (its only specialist need was the upset): they stay plain terms.
    assert "mental_health" in decide("She was very upset and crying on the phone.").needs


@pytest.mark.parametrize(
    ("notes", "need", "tier"),
    [
        (
            "going in hospital weds. cat Bailey needs feedin morning n nite, key is with next door",
            "dog_walking",
            "mutual_aid",
        ),
        ("i have a lerning disabilty i live on my own. i need help with shoping pls", "shopping", "vcs"),
        ("mum has dimentia and lives alone, needs shoppin", "shopping", "vcs"),
    ],
)
def test_a_dropped_g_and_misspelt_conditions_are_read(decide, notes, need, tier):
    decision = decide(notes)
    assert need in decision.needs, decision.reasons
    assert decision.tier == tier


def test_the_callers_own_email_is_not_a_digital_need(decide):
    decision = decide(
        "I've tried the number twice so I'm sending an email as well. She needs her prescription picking up."
    )
    assert decision.needs == ["prescriptions"], decision.reasons


# --- ninth set's tuning half (issue 20): pets by slang breed or litter; figures of speech; someone staying;
# a device asking for a password; a unit or a career someone worked in; money said to be lost or not


@pytest.mark.parametrize(
    "notes",
    [
        "pls can sum1 walk tyson n duke theyre rotties, my partner normally does it",
        "Going in for an op. Needs the cat fed and the litter tray emptied.",
    ],
)
def test_pets_by_slang_breed_or_litter_are_pet_care(decide, notes):
    decision = decide(notes)
    assert decision.needs == ["dog_walking"], decision.reasons
    assert decision.tier == "mutual_aid"


@pytest.mark.parametrize(
    "notes",
    [
        "His shopping's got a bit hit and miss, could someone do a weekly shop?",
        "Tom's mum is away but his aunt is moving in to stay with him so he won't be on his own."
        " Could someone walk the dog?",
        "My daughter bought me a tablet; it keeps asking for passwords I never set. Could someone help me?",
        "I was ten years in the domestic abuse unit with the police. I need help with my iPad.",
        "Twenty years as a safeguarding lead in adult social care, now retired. Need library books returned.",
        "Police: he spotted the scam and hung up. No details given, no money lost. Wants a weekly shop.",
    ],
)
def test_background_in_the_ninth_sets_wording_is_not_escalated(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    assert decision.tier != "statutory"
    assert "financial" not in decision.needs
    assert "personal_care" not in decision.needs


@pytest.mark.parametrize(
    ("notes", "safeguarding", "need"),
    [
        ("Her partner hits her; the domestic abuse team know her.", True, None),
        ("Tom's mum is in hospital and he is on his own; he's autistic.", True, None),
        ("Her grandson keeps asking for her PIN and takes her pension.", True, None),
        ("She has no money for the gas.", False, "financial"),
        ("He hasn't got any money till Friday.", False, "financial"),
    ],
)
def test_the_ninth_sets_exceptions_leave_the_real_thing(decide, notes, safeguarding, need):
    decision = decide(notes)
    assert decision.safeguarding == safeguarding, decision.reasons
    if need:
        assert need in decision.needs


# --- the night's safety review: a helper's 123 probe sentences written against tonight's changes found 27
# that the changes made worse; the changes were narrowed and these are tests now


@pytest.mark.parametrize(
    "notes",
    [
        "Her face looks like she's been hit by a bus, she says she fell but she won't look at me and he was"
        " shouting all night.",
        "Open on the domestic abuse desk; high risk, perpetrator still living with her and the baby.",
        "A man on the phone asked for her pin and she gave it, £2,000 has gone out since.",
        "Her laptop screen asked for her password, now a man has control of it and money is leaving.",
        "Her nephew is her attorney and handles all her money, he's bought himself a car with it.",
        "Normally he is not left on his own, his wife does everything, but she was rushed into hospital last"
        " night and he has dementia.",
        "She won't be on her own after Friday when her niece arrives, but tonight she's alone, her carer is"
        " in hospital and she has Alzheimer's.",
    ],
)
def test_the_nights_exceptions_do_not_hide_a_current_risk(decide, notes):
    assert decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        (
            "I'm a skint student nurse on placement, can anyone help me out till my bursary comes in?",
            "financial",
        ),
        ("Her money doesn't stretch to the end of the month any more and she's skipping meals.", "financial"),
        ("Employer hasn't paid his wages for six weeks.", "financial"),
        ("His income dried up when the café shut in March and he's got nothing coming in.", "financial"),
        ("She wants to talk to someone about her finances, her husband always dealt with them.", "financial"),
        ("They have £12 between them; dad's money is in his account and Ryan can't get at it.", "financial"),
        (
            "She's under so much stress she was physically sick this morning and is shaking on the phone.",
            "mental_health",
        ),
        ("Single dad with three kids, massively stressed and at breaking point.", "mental_health"),
        ("Says she's so stressed she feels like she's losing her mind.", "mental_health"),
        (
            "I tell myself don't panic, don't panic, but I can't set foot outside the front door any more.",
            "mental_health",
        ),
        ("She'd love to video call the grandkids in Canada.", "digital"),
        ("Can a volunteer pop round and go through WhatsApp with her?", "digital"),
        ("Mystified by the GP app, he has to ring the surgery at 8 every morning.", "digital"),
        ("Grandson put WhatsApp on her phone but she hasn't a clue.", "digital"),
        ("He keeps pressing the wrong thing on FaceTime and cutting his daughter off.", "digital"),
        ("Unsure how the NHS app works.", "digital"),
        ("What she needs is a home care worker to help her wash.", "personal_care"),
    ],
)
def test_the_nights_narrowing_does_not_drop_a_real_need(decide, notes, need):
    assert need in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        (
            "I'm just hoping she won't wake up again tonight, she's teething; need nappies dropped round.",
            None,
        ),
        ("After the volunteer showed her the tablet twice she's finally worked out how.", None),
        (
            "Cats from next door keep ripping open the litter bags by the bins; who do I report it to?",
            "dog_walking",
        ),
    ],
)
def test_the_nights_new_terms_do_not_raise_routine_wording(decide, notes, need):
    decision = decide(notes)
    assert not decision.safeguarding, decision.reasons
    if need:
        assert need not in decision.needs


@pytest.mark.parametrize(
    "notes",
    [
        "Police came round about the burglary next door and she's too shaken to go out; needs a shop.",
        "My son is a police officer and checks on her most days; she'd like her library books returned.",
        "Police came to see him about the scam call he reported; he needs a lift to the GP.",
        "Attended Mr Tait following his report of a scam phone call; he asked us for help with his shopping.",
        "Got a letter last week but thought it was a scam, can someone check it and post my gas reading?",
        "She went to a talk on fraud at the library and now wants someone to help her set up online banking.",
        "My son keeps ringing from Spain worried sick about me and made me fill this in; I need my bins out.",
        "Gas man said he was from the council but she asked for ID and he left; she wants a lift to the GP.",
    ],
)
def test_a_police_visit_a_scam_named_or_a_worried_son_ringing_is_not_safeguarding(decide, notes):
    """A scam, a caller claiming to be an official, or the police named in passing are no concern on
    their own: something must be lost or still going on, or someone harmed."""
    assert not decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Police called last night, he hit her again and she has a bruise on her cheek.",
        "Police were called to a domestic at the address last night.",
        "Police have been out twice this week because of him.",
        "Police attended after a disturbance, he has been arrested.",
        "She rang the police on him last week, he is back now.",
        "Police are involved with the family.",
        "The scammers keep ringing her every day and she's already sent them £400 in vouchers.",
        "He was conned out of his savings by a man at the door last week.",
        "A man said he was from the water board, she let him in and now her purse is gone.",
        "Fraud team rang him and he has moved his savings to a safe account they gave him.",
        "Her ex keeps turning up at the flat at night and banging on the windows.",
        "The scam is still going on, the man rings her daily about the prize and she believes him.",
    ],
)
def test_a_scam_under_way_a_claimed_official_let_in_or_abuse_with_the_police_still_count(decide, notes):
    assert decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Advice given, crime reference issued. She still needs someone to fetch her shopping on Friday.",
        "He told his form tutor he's fine now; mum asks for a volunteer to walk the dog while she recovers.",
        "REFERRAL FORM - Primary Care Network. Mr Ames would like a weekly check-in call.",
        "Citizens Advice already sorted her pension credit; she only needs her prescription collected.",
        "Her entitlements were all checked by the council last year; could someone take her bins out?",
    ],
)
def test_advice_a_form_or_citizens_advice_named_in_passing_is_no_advice_need(decide, notes):
    decision = decide(notes)
    assert "advice" not in decision.needs, decision.reasons
    assert decision.tier == "mutual_aid", decision.reasons


@pytest.mark.parametrize(
    "notes",
    [
        "She wants advice about her rights as a tenant.",
        "Can't make head or tail of the PIP form and it's due back in three weeks.",
        "The council tax reduction form is so daunting, twenty pages of it.",
        "Citizens Advice - onward referral for a debt appointment.",
        "Not sure whether he is eligible for pension credit, could someone check?",
        "Request: signposting to a local carers' group.",
        "Please advise.",
    ],
)
def test_advice_asked_for_or_a_form_that_troubles_is_still_advice(decide, notes):
    assert "advice" in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "Adult Social Care - closure and signposting. Mrs Lowe would like a weekly phone call.",
        "Learner: 18 y/o, Level 3 Health & Social Care; needs a food parcel this week.",
        "Known to Adult Social Care years ago. He'd like his prescription picked up.",
    ],
)
def test_social_care_named_as_a_department_a_course_or_a_past_assessment_is_no_care_need(decide, notes):
    assert "personal_care" not in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "She needs social care, she can't get herself washed any more.",
        "She needs a referral to social care for help at home.",
        "Asking for social care support for her dad.",
    ],
)
def test_social_care_asked_for_is_a_care_need(decide, notes):
    assert "personal_care" in decide(notes).needs, decide(notes).reasons


# --- the tenth set's tuning half (issue 20): concerns said in passing that the rules missed
@pytest.mark.parametrize(
    "notes",
    [
        "Bro has learning disab, lives w mum. Mum taken into hosp last nite, kept in. He's on his own.",
        "Dad (main carer) taken to the Royal this am in ambulance; son 26 autistic, now home alone.",
        "Dad has dementia n mum is his carer, she fell this morn n shes in a&e now. Dads home alone.",
        "I'm autistic. I live with my dad who does the shopping. He's gone to stay with my aunty.",
        "He has Alzheimer's, his wife does everything for him. She was taken in and they've kept her in.",
        "Said he doesn't know why he's bothering, been sorting his tablets out, saving em up.",
        "I've sorted everything, given my stuff away and wrote my letters. Thanks for all the calls.",
        "He asked me if I'd have his cat after. He's given his guitar to his nephew.",
        "Husband doesn't like me having my own phone, he checks all my receipts.",
        "She has no money of her own and joked he'd kill her if he knew she rang.",
        "My grandson does my banking but he's had my card for months, not sure where the money's going.",
        "My husband has dementia and is up half the night. I'm that tired I could cry.",
    ],
)
def test_the_tenth_sets_concerns_said_in_passing_are_found(decide, notes):
    assert decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "My daughter had my card details for the online shop once; could someone do a big shop for me?",
        "Someone had her savings book out on the table when I called; she'd like her library books returned.",
        "She's gone to stay with her sister for the weekend so could someone walk the dog till Monday?",
        "He's saving up for a new bike; can someone pick up his mum's prescription?",
        "I'm that tired after the night shift I could cry, could someone walk Bella this week?",
        "She gave her old books away to the charity shop and wants help posting the rest.",
    ],
)
def test_the_tenth_sets_new_terms_do_not_raise_routine_wording(decide, notes):
    assert not decide(notes).safeguarding, decide(notes).reasons


# --- the morning's safety review (issue 20): probes a helper wrote from the diff alone, each made worse by
# the first draft of rules .43-.47 and mended in .48
@pytest.mark.parametrize(
    "notes",
    [
        "Police attended at 2am last night after neighbours heard her crying, partner had left before.",
        "Neighbour rang 999 and the police came, he'd had her up against the wall.",
        "Police involved, she has had a DASH risk assessment and is high risk.",
        "Mum has been sucked into a romance scam, a man she met on Facebook says he's stuck in Turkey.",
        "There's a scam going on with a man who's doing her roof, he's up there now.",
        "Conman at her door right now saying her drive needs redoing.",
        "Fraudster on the phone to her as we speak, she won't put it down.",
        "Think Dad's being targeted by scammers, a man rings him at all hours.",
        "Gran signed up to a fake holiday club at the door, the scammers have her passport number.",
        "Scam builders are starting work on her roof tomorrow and she thinks they're lovely.",
        "Man claiming he was from the council has been inside her flat and gone through her drawers.",
        "Two men said they were from the water board and she let them look round upstairs.",
        "Her neighbour is a conman and has her wrapped round his finger.",
        "Her husband keeps ringing her at work to check where she is and who she's with.",
        "Her boyfriend keeps texting her 50 times a day and goes mad if she doesn't reply.",
    ],
)
def test_the_mornings_narrowing_does_not_hide_a_current_concern(decide, notes):
    assert decide(notes).safeguarding, decide(notes).reasons


@pytest.mark.parametrize(
    ("notes", "need"),
    [
        ("Advice re council tax reduction, husband passed away last month.", "advice"),
        ("Caller after some info on the warm home discount.", "advice"),
        ("Any info on getting a carers assessment for my mum?", "advice"),
        ("Housing benefit form has to be back by Friday or they'll stop her money.", "advice"),
        ("Citizens Advice phone line always engaged, she's been trying for a week.", "advice"),
        ("Adult social care referral made by the ward, discharge Friday, lives alone.", "personal_care"),
        ("Waiting on social care to start, he's home from hospital and can barely stand.", "personal_care"),
        ("Social care input required ASAP.", "personal_care"),
    ],
)
def test_the_mornings_narrowing_does_not_drop_a_real_need(decide, notes, need):
    assert need in decide(notes).needs, decide(notes).reasons


@pytest.mark.parametrize(
    "notes",
    [
        "My son's a police officer and pops in every week, she just needs help getting the bins out.",
        "Police removed the abandoned car outside her house again; she wants her prescription collected.",
        "He's a retired police sergeant, had a row with the surgery, now needs his prescription collecting.",
    ],
)
def test_the_police_in_a_job_or_about_a_car_is_no_concern(decide, notes):
    assert not decide(notes).safeguarding, decide(notes).reasons
