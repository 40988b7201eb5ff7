from datetime import timedelta

import pytest

from referrals.lifecycle import Candidate, InvalidAction, Offer, Referral, State, Tier

from .builders import CANDIDATES, EXPIRES, NEXT_EXPIRES, SAFETY_NET, T0, offered, triaged


def kinds(events):
    return [event.kind for event in events]


def test_triage_orders_candidates_by_tier_keeping_their_order_within_a_tier():
    referral = triaged()

    assert [candidate.org_id for candidate in referral.candidates] == ["ma-1", "ma-2", "vcs-1", "st-1"]
    assert referral.tier is Tier.MUTUAL_AID
    assert referral.history[-1].data == {"tier": Tier.MUTUAL_AID, "candidate_count": 4}


def test_first_offer_goes_to_the_first_mutual_aid_candidate():
    referral, events = triaged().offer_next(expires_at=EXPIRES)

    assert referral.open_offer == Offer("ma-1", "vol-1", Tier.MUTUAL_AID, EXPIRES)
    assert kinds(events) == ["offered"]
    assert referral.owner_org_id == SAFETY_NET


def test_decline_moves_to_the_next_candidate_in_the_same_tier():
    offered = triaged().offer_next(expires_at=EXPIRES).referral

    referral, events = offered.decline("ma-1", "volunteer unwell", next_expires_at=NEXT_EXPIRES)

    assert kinds(events) == ["declined", "offered"]
    assert [(e.from_state, e.to_state) for e in events] == [
        (State.OFFERED, State.DECLINED),
        (State.DECLINED, State.OFFERED),
    ]
    assert events[0].reason == "volunteer unwell"
    assert events[0].actor_org_id == "ma-1"
    assert referral.open_offer == Offer("ma-2", "vol-2", Tier.MUTUAL_AID, NEXT_EXPIRES)
    assert referral.owner_org_id == SAFETY_NET


def test_expiry_moves_on_only_once_the_offer_has_expired():
    offered = triaged().offer_next(expires_at=EXPIRES).referral

    with pytest.raises(InvalidAction, match="does not expire until"):
        offered.expire(now=EXPIRES - timedelta(seconds=1), next_expires_at=NEXT_EXPIRES)
    referral, events = offered.expire(now=EXPIRES, next_expires_at=NEXT_EXPIRES)

    assert kinds(events) == ["expired", "offered"]
    assert events[0].reason == "offer to ma-1 expired unanswered"
    assert events[0].actor_org_id is None
    assert referral.open_offer.org_id == "ma-2"


def test_cascade_escalates_mutual_aid_to_vcs_to_statutory_then_the_safety_net():
    referral = triaged().offer_next(expires_at=EXPIRES).referral
    referral = referral.decline("ma-1", "no volunteer free", next_expires_at=NEXT_EXPIRES).referral

    referral, to_vcs = referral.expire(now=NEXT_EXPIRES, next_expires_at=NEXT_EXPIRES)
    assert kinds(to_vcs) == ["expired", "escalated", "offered"]
    assert to_vcs[1].reason == "no mutual_aid candidate left; escalating to vcs"
    assert to_vcs[1].data == {"from_tier": Tier.MUTUAL_AID, "to_tier": Tier.VCS}
    assert referral.tier is Tier.VCS
    assert referral.open_offer.org_id == "vcs-1"

    referral, to_statutory = referral.decline("vcs-1", "outside our area", next_expires_at=NEXT_EXPIRES)
    assert kinds(to_statutory) == ["declined", "escalated", "offered"]
    assert to_statutory[1].reason == "no vcs candidate left; escalating to statutory"
    assert referral.open_offer.org_id == "st-1"

    referral, to_safety_net = referral.decline("st-1", "not eligible", next_expires_at=NEXT_EXPIRES)
    assert kinds(to_safety_net) == ["declined", "escalated"]
    assert to_safety_net[1].reason == "no statutory candidate left; the safety-net team holds the referral"
    assert to_safety_net[1].data == {"tier": Tier.STATUTORY, "to_org_id": SAFETY_NET}
    assert referral.state is State.ESCALATED
    assert referral.open_offer is None
    assert referral.escalated_to == SAFETY_NET
    assert referral.owner_org_id == SAFETY_NET

    with pytest.raises(InvalidAction, match="no candidates left"):
        referral.offer_next(expires_at=NEXT_EXPIRES)
    accepted = referral.accept(SAFETY_NET).referral
    assert accepted.owner_org_id == SAFETY_NET
    assert accepted.state is State.ACCEPTED


def test_an_empty_tier_is_passed_through_with_its_own_reason():
    candidates = [Candidate("ma-1", Tier.MUTUAL_AID), Candidate("st-1", Tier.STATUTORY)]
    offered = triaged(candidates).offer_next(expires_at=EXPIRES).referral

    referral, events = offered.decline("ma-1", "too far", next_expires_at=NEXT_EXPIRES)

    assert kinds(events) == ["declined", "escalated", "escalated", "offered"]
    assert [event.reason for event in events[1:3]] == [
        "no mutual_aid candidate left; escalating to vcs",
        "no vcs candidate left; escalating to statutory",
    ]
    assert referral.open_offer == Offer("st-1", None, Tier.STATUTORY, NEXT_EXPIRES)


def test_triage_without_candidates_goes_straight_to_the_safety_net():
    referral = triaged(candidates=())
    assert referral.tier is Tier.STATUTORY

    referral, events = referral.offer_next(expires_at=EXPIRES)

    assert kinds(events) == ["escalated"]
    assert referral.state is State.ESCALATED
    assert referral.escalated_to == SAFETY_NET


def test_triage_starting_at_vcs_offers_vcs_first():
    referral = triaged([Candidate("vcs-1", Tier.VCS), Candidate("vcs-2", Tier.VCS)])

    referral, events = referral.offer_next(expires_at=EXPIRES)

    assert kinds(events) == ["offered"]
    assert referral.open_offer.org_id == "vcs-1"


def test_manual_escalation_lets_the_safety_net_resume_the_cascade():
    referral = triaged().offer_next(expires_at=EXPIRES).referral
    escalated = referral.escalate("caller sounded at risk").referral

    resumed, events = escalated.offer_next(expires_at=NEXT_EXPIRES)

    assert kinds(events) == ["offered"]
    assert resumed.open_offer.org_id == "ma-2"
    assert resumed.escalated_to is None


def test_explicit_offer_then_decline_resumes_the_cascade_where_it_was():
    referral = triaged().offer("ma-9", "vol-9", expires_at=EXPIRES).referral
    assert referral.open_offer == Offer("ma-9", "vol-9", Tier.MUTUAL_AID, EXPIRES)

    referral, _ = referral.decline("ma-9", "busy", next_expires_at=NEXT_EXPIRES)

    assert referral.open_offer.org_id == "ma-1"


def test_explicit_offer_at_a_higher_tier_skips_lower_candidates_afterwards():
    referral = triaged().offer("st-9", expires_at=EXPIRES, tier=Tier.STATUTORY).referral

    referral, events = referral.decline("st-9", "wrong team", next_expires_at=NEXT_EXPIRES)

    assert kinds(events) == ["declined", "offered"]
    assert referral.open_offer.org_id == "st-1"


def test_accept_takes_the_volunteer_and_ownership():
    offered = triaged().offer_next(expires_at=EXPIRES).referral

    referral, events = offered.accept("ma-1", now=EXPIRES)

    assert referral.owner_org_id == "ma-1"
    assert referral.volunteer_id == "vol-1"
    assert referral.open_offer is None
    assert events[0].data == {"org_id": "ma-1", "volunteer_id": "vol-1"}


@pytest.mark.parametrize(
    ("by_org", "now", "message"),
    [
        ("ma-2", None, "the offer is to ma-1, not ma-2"),
        ("ma-1", EXPIRES + timedelta(seconds=1), "the offer expired"),
    ],
)
def test_accept_refuses_the_wrong_org_or_a_late_answer(by_org, now, message):
    offered = triaged().offer_next(expires_at=EXPIRES).referral
    with pytest.raises(InvalidAction, match=message):
        offered.accept(by_org, now=now)


def test_decline_refuses_an_organisation_without_the_offer():
    offered = triaged().offer_next(expires_at=EXPIRES).referral
    with pytest.raises(InvalidAction, match="the offer is to ma-1"):
        offered.decline("vcs-1", "not ours", next_expires_at=NEXT_EXPIRES)


def test_offer_expiry_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        triaged().offer_next(expires_at=T0.replace(tzinfo=None))


def test_next_offer_expiry_must_be_timezone_aware():
    offered = triaged().offer_next(expires_at=EXPIRES).referral
    with pytest.raises(ValueError, match="timezone-aware"):
        offered.decline("ma-1", "busy", next_expires_at=T0.replace(tzinfo=None))


def test_candidates_are_not_offered_twice():
    referral = triaged(CANDIDATES[:3]).offer_next(expires_at=EXPIRES).referral
    offered_to = [referral.open_offer.org_id]
    while referral.state is State.OFFERED:
        referral = referral.decline(referral.open_offer.org_id, "no", next_expires_at=NEXT_EXPIRES).referral
        if referral.open_offer:
            offered_to.append(referral.open_offer.org_id)

    assert offered_to == ["ma-1", "ma-2", "vcs-1"]
    assert referral.state is State.ESCALATED


def test_a_referral_rebuilt_from_plain_stored_values_carries_on():
    stored = triaged().offer_next(expires_at=EXPIRES).referral
    rebuilt = Referral(
        safety_net_org_id=SAFETY_NET,
        state="offered",
        tier="mutual_aid",
        candidates=[Candidate(c.org_id, c.tier.value, c.volunteer_id) for c in stored.candidates],
        next_candidate=stored.next_candidate,
        open_offer=stored.open_offer,
    )

    referral, events = rebuilt.decline("ma-1", "busy", next_expires_at=NEXT_EXPIRES)

    assert rebuilt.state is State.OFFERED
    assert rebuilt.candidates == stored.candidates
    assert kinds(events) == ["declined", "offered"]
    assert referral.open_offer.org_id == "ma-2"
    assert referral.history == events


def test_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="'parish'"):
        Candidate("x", "parish")


def unavailable(*volunteers_or_orgs, reason="volunteer is no longer active"):
    """An availability check turning down the named volunteers or organisations, noting who it asked."""
    asked = []

    def available(candidate):
        asked.append(candidate.volunteer_id or candidate.org_id)
        if {candidate.volunteer_id, candidate.org_id} & set(volunteers_or_orgs):
            return reason
        return None

    available.asked = asked
    return available


def test_decline_passes_over_a_candidate_who_can_no_longer_take_it():
    candidates = [*CANDIDATES, Candidate("ma-3", Tier.MUTUAL_AID, "vol-3")]
    offered = triaged(candidates).offer_next(expires_at=EXPIRES).referral
    check = unavailable("vol-2", reason="volunteer is at their cap on active tasks")

    referral, events = offered.decline("ma-1", "busy", next_expires_at=NEXT_EXPIRES, available=check)

    assert kinds(events) == ["declined", "passed_over", "offered"]
    passed = events[1]
    assert (passed.from_state, passed.to_state) == (State.DECLINED, State.DECLINED)
    assert passed.reason == "volunteer is at their cap on active tasks"
    assert passed.data == {"org_id": "ma-2", "volunteer_id": "vol-2", "tier": Tier.MUTUAL_AID}
    assert referral.open_offer == Offer("ma-3", "vol-3", Tier.MUTUAL_AID, NEXT_EXPIRES)
    assert check.asked == ["vol-2", "vol-3"]
    assert referral.history[-len(events) :] == events


def test_expiry_passing_over_the_last_of_a_tier_escalates_to_the_next():
    offered = triaged().offer_next(expires_at=EXPIRES).referral
    check = unavailable("vol-2")

    referral, events = offered.expire(now=EXPIRES, next_expires_at=NEXT_EXPIRES, available=check)

    assert kinds(events) == ["expired", "passed_over", "escalated", "offered"]
    assert referral.open_offer == Offer("vcs-1", None, Tier.VCS, NEXT_EXPIRES)
    assert referral.next_candidate == 3


def test_a_candidate_passed_over_is_not_asked_again_further_down_the_cascade():
    offered = triaged().offer_next(expires_at=EXPIRES).referral
    check = unavailable("vol-2")
    referral = offered.decline("ma-1", "busy", next_expires_at=NEXT_EXPIRES, available=check).referral

    referral.decline("vcs-1", "full", next_expires_at=NEXT_EXPIRES, available=check)

    assert check.asked == ["vol-2", "vcs-1", "st-1"]


def test_when_everyone_left_is_passed_over_the_safety_net_holds_it():
    offered = triaged().offer_next(expires_at=EXPIRES).referral
    check = unavailable("vol-2", "vcs-1", "st-1", reason="organisation is no longer active")

    referral, events = offered.decline("ma-1", "busy", next_expires_at=NEXT_EXPIRES, available=check)

    assert kinds(events) == [
        "declined",
        "passed_over",
        "passed_over",
        "passed_over",
        "escalated",
        "escalated",
        "escalated",
    ]
    assert referral.state is State.ESCALATED
    assert referral.escalated_to == SAFETY_NET
    assert referral.next_candidate == len(CANDIDATES)
    with pytest.raises(InvalidAction, match="no candidates left"):
        referral.offer_next(expires_at=NEXT_EXPIRES, available=check)


def test_without_a_check_every_candidate_is_offered_in_turn():
    offered = triaged().offer_next(expires_at=EXPIRES).referral

    referral, events = offered.decline("ma-1", "busy", next_expires_at=NEXT_EXPIRES)

    assert kinds(events) == ["declined", "offered"]
    assert referral.open_offer.volunteer_id == "vol-2"


def test_resuming_from_an_escalation_when_no_one_left_can_take_it_changes_nothing():
    escalated = triaged().offer_next(expires_at=EXPIRES).referral.escalate("caller sounded at risk").referral

    with pytest.raises(InvalidAction, match="none of the candidates left can take it now"):
        escalated.offer_next(expires_at=NEXT_EXPIRES, available=unavailable("vol-2", "vcs-1", "st-1"))
    assert escalated.state is State.ESCALATED


def test_what_the_cascade_does_after_a_decline_is_its_own_not_the_decliners():
    events = offered().decline("ma-1", "no one free", next_expires_at=NEXT_EXPIRES).events
    assert [(event.kind, event.automatic) for event in events] == [("declined", False), ("offered", True)]


def test_an_offer_a_person_asks_for_is_theirs():
    events = triaged().offer_next(expires_at=EXPIRES).events
    assert events
    assert not any(event.automatic for event in events)
