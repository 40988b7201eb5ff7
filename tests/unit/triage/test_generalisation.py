"""Families of wording the rules must generalise over (none copied from the evaluation sets), risks that
are only in the past, answered questions, hedged denials, first-person notes and the doubt fallback."""

import pytest

FAMILY_CASES = [
    ("veiled suicidality", "Says she just wants to go to sleep and not wake up."),
    ("veiled suicidality", "She said her family would be better off without her around."),
    ("veiled suicidality", "Keeps talking about joining his wife, who died in March."),
    ("veiled suicidality", "Mentioned he's been looking up how many paracetamol it would take."),
    ("veiled suicidality", "Says he won't be around much longer and has said his goodbyes."),
    ("veiled suicidality", "Older gent very low, said 'I won't be a bother much longer'."),
    ("veiled suicidality", "Client says she has been saving her sleeping tablets."),
    ("veiled suicidality", "He told me he's had enough of everything and wants it all to be over."),
    ("veiled suicidality", "Sorted out his will and cancelled the milk from next week."),
    ("self-harm", "Teen girl has scratches all up her arms and wears long sleeves in summer."),
    ("abbreviations", "Hx of SH, cutting again this week."),
    ("abbreviations", "Pt disclosed SI with plan."),
    ("abbreviations", "DA from partner, police called last night."),
    ("abbreviations", "CSE concerns for 14yo daughter."),
    ("financial control", "Nephew has taken over her finances and she never sees her pension."),
    ("financial control", "He makes her hand over her wages every Friday."),
    ("financial control", "She has to account for every penny to her husband."),
    ("financial control", "Nephew turns up on pension day and leaves with her cash."),
    ("financial control", "The carer has been buying things for herself on the client's card."),
    ("financial control", "Young man with autism says his friends make him buy them stuff with his PIP."),
    ("neglect", "Found him in a freezing flat, no food, same clothes for a fortnight."),
    ("neglect", "Legs are covered in sores and she can't reach the toilet."),
    ("neglect", "Carers haven't been for three days and she's been left in bed."),
    ("neglect", "Elderly man sleeping in his armchair for months, legs swollen and weeping."),
    ("doorstep crime", "Man knocked on her door saying her roof tiles were loose and charged her £3000."),
    ("doorstep crime", "A gardener cut her hedge and charged her £1500, she's 89."),
    ("doorstep crime", "Bloke at the door said he was from the water company and took £200 off her."),
    ("romance scam", "Older lady has given a man from the internet £20,000, says he loves her."),
    ("child at risk", "Kids next door seem to be on their own all weekend."),
    ("child at risk", "Toddler is often left in the flat alone while mum goes to the shop."),
    ("child at risk", "Caller's 8 year old answered, said mummy is asleep and won't wake up."),
    ("child at risk", "Baby crying for hours next door, no adults seen."),
    ("child at risk", "Girl aged 13 turning up at school with cigarettes and cash she can't explain."),
    ("physical abuse", "Health visitor concerned - baby has a mark on the cheek that mum couldn't explain."),
    ("physical abuse", "She's got marks on her neck and says she's 'fine, honestly'."),
    ("domestic abuse", "Husband's drinking is out of control and he smashed the TV last night."),
    ("domestic abuse", "Ex keeps messaging her threats and has turned up at her work."),
    ("psychosis", "Says the neighbours are pumping gas through the walls."),
    ("psychosis", "Believes the TV is sending him messages."),
    ("psychosis", "Known to MH services, stopped meds, believes he is Jesus."),
    ("psychosis", "Client is hearing his dead mother telling him what to do."),
    ("unseen", "Neighbour hasn't seen the elderly couple at no 8 for a week, car still there."),
    ("unseen", "Family can't get through to her, phone just rings out."),
    ("dementia", "Son says his mum with dementia was found at the bus station at 2am in her nightie."),
    ("first person", "webchat: hes taken my phone again and says if i ring anyone he'll make me pay"),
    ("first person", "Lady rang, said 'he's not let me out for three days'. Call ended."),
    ("hedged denial", "Says she hasn't thought about ending it much."),
    ("hedged denial", "Denies self-harm at the moment."),
    ("current again", "Self-harmed as a teenager and has started again since the divorce."),
    ("doubt", "She denied any abuse but was very nervous and kept looking at him."),
]


@pytest.mark.parametrize(("family", "notes"), FAMILY_CASES)
def test_family_wording_is_safeguarding(decide, family, notes):
    decision = decide(notes)
    assert decision.safeguarding, (family, [(r.rule, r.evidence) for r in decision.reasons])
    assert decision.tier == "statutory"


PAST_OR_ANSWERED = [
    "Self-harmed in her teens, nothing since. Needs help with PIP form.",
    "Was in an abusive relationship years ago, now happily remarried. Needs dog walked.",
    "Historic CSA, has counselling, nothing current. Needs a food parcel.",
    "Hx OD, well for years. Needs her dog walked.",
    "Previous DV, no contact with ex for 10 years, settled. Needs food parcel.",
    "Anorexia in her twenties, fully recovered. Needs shopping.",
    "SI: no. SH: no. Needs shopping.",
    "Any DV? No. Needs a food parcel.",
    "Hoarder? No - house is tidy, just can't carry bags.",
    "Doesn't want to be a burden on her daughter so rang us for shopping.",
    "Can't see the point of the new bin system, wants advice.",
    "Would kill for a cup of tea, says she hasn't been out for ages.",
    "Leak from upstairs coming through the ceiling, wants advice.",
    "Needs new shoes collecting from the shop in town.",
]


@pytest.mark.parametrize("notes", PAST_OR_ANSWERED)
def test_past_answered_or_idiomatic_wording_is_not_safeguarding(decide, notes):
    decision = decide(notes)
    assert not decision.safeguarding, [(r.rule, r.evidence) for r in decision.reasons]


def test_a_past_risk_is_shown_to_the_call_taker(decide):
    decision = decide("Self-harmed as a teenager. Needs shopping.")
    negated = [reason for reason in decision.reasons if reason.conclusion == "negated:safeguarding"]
    assert negated
    assert negated[0].evidence == "Self-harmed"
    assert "in the past" in negated[0].detail
    assert "as a teenager" in negated[0].detail


def test_worrying_wording_without_a_named_harm_is_a_possible_concern(decide):
    decision = decide("Caller was whispering and ended the call abruptly. Asked for a food parcel.")
    assert decision.safeguarding
    assert decision.tier == "statutory"
    concern = [
        reason for reason in decision.reasons if reason.rule.startswith("safeguarding.possible_concern")
    ]
    assert concern
    assert concern[0].detail == "Possible concern: review"


@pytest.mark.parametrize(
    ("notes", "tier"),
    [
        ("She shields due to her lung condition, needs shopping.", "statutory"),
        ("Got a letter telling her to stay in for 12 weeks, needs food shopping.", "statutory"),
        ("He was shielding until August but not any more, needs shopping.", "mutual_aid"),
        ("Was on the shielding list but taken off, needs shopping.", "mutual_aid"),
    ],
)
def test_shielding_in_the_notes(decide, notes, tier):
    assert decide(notes).tier == tier


SECOND_FAMILY_CASES = [
    ("young carer", "She's 11 and gives her dad his insulin and helps him to the toilet."),
    ("young carer", "Lad aged 14 does all of his mum's personal care since the agency pulled out."),
    ("child without a home", "Dad and his son, 6, have slept in the van for a week."),
    ("children arriving hungry", "The twins keep turning up at nursery hungry on Mondays."),
    ("county lines", "Says he does drops for an older lad and won't say where the money comes from."),
    ("labour exploitation", "Her employer holds her passport and she works for no pay."),
    ("labour exploitation", "They owe a debt to the gang for their journey, sleep in a garage with 5 others"),
    ("threat of deportation", "Her in-laws have threatened to get her deported if she leaves."),
    ("veiled suicidality", "Told the chemist she won't be needing them much longer."),
    ("veiled suicidality", "His pills were laid out on the kitchen table when the carer arrived."),
    ("veiled suicidality", "Posted goodbye forever on Facebook last night and isn't replying."),
    ("veiled suicidality", "She has written a letter to her son and given the dog to her neighbour."),
    ("eating disorder", "My sister is living on 150 calories a day and keeps fainting."),
    ("psychosis", "He says the angels are ordering him to stop eating."),
    ("psychosis", "She is sure there are people inside the loft at night."),
    ("self-neglect", "The bungalow reeks and there's dog mess all over the floor."),
    ("self-neglect", "Papers are piled up to the ceiling and the hallway's blocked."),
    ("domestic abuse", "Her fella's been leathering her since Christmas."),
    ("cuckooing", "Some lads are living in his flat and he is too scared to tell them to leave."),
    ("loan shark", "A loan shark has her bank card and takes her whole universal credit."),
]


@pytest.mark.parametrize(("family", "notes"), SECOND_FAMILY_CASES)
def test_second_family_wording_is_safeguarding(decide, family, notes):
    decision = decide(notes)
    assert decision.safeguarding, (family, [(r.rule, r.evidence) for r in decision.reasons])
    assert decision.tier == "statutory"


def test_a_wrapped_line_does_not_split_the_sentence(decide):
    wrapped = decide("Her grandson has taken her bank\ncard and spends it on betting.")
    assert wrapped.safeguarding
    ended = decide("From: Housing Options\nNeeds shopping on Fridays.")
    assert not ended.safeguarding


@pytest.mark.parametrize(
    ("notes", "absent_need"),
    [
        ("I'm not depressed at all, just fancy a chat once a week.", "mental_health"),
        ("Depression in remission, wants a volunteer to walk her spaniel.", "mental_health"),
        ("Thanks pet, I just need my shopping done on Tuesdays.", "dog_walking"),
        ("He is on medication for his heart and needs his bins taken out.", "prescriptions"),
        ("Tenant Mr Ali, 58, would like help getting online.", "housing"),
        ("Could someone fetch a food parcel from the church for her?", "shopping"),
    ],
)
def test_a_state_or_a_word_of_address_is_not_a_need(decide, notes, absent_need):
    assert absent_need not in decide(notes).needs
