"""The access rule on its own: plain values in, answers out."""

from dataclasses import dataclass, field, replace

import pytest

from referrals import access
from referrals.access import OrgFacts, Why

SAFETY_NET, HUB, FOOD_BANK, COVENTRY_HUB = 1, 4, 5, 9


@dataclass(frozen=True)
class P:
    role: str
    org_id: int | None = None
    area: str | None = None
    org_kind: str | None = None
    org_mode: str | None = None
    token_id: int | None = None


@dataclass(frozen=True)
class R:
    id: int = 7
    status: str = "offered"
    area: str = "sutton"
    owner_org_id: int = SAFETY_NET
    safety_net_org_id: int = SAFETY_NET
    escalated_to_org_id: int | None = None
    consent_to_share: bool = True
    created_by_token_id: int | None = 100
    created_by_org_id: int | None = None
    occurrences: list = field(default_factory=list)


@dataclass(frozen=True)
class Off:
    org_id: int


HUB_COORDINATOR = P("hub_coordinator", HUB, "sutton", "hub")
FOOD_BANK_COORDINATOR = P("hub_coordinator", FOOD_BANK, "sutton", "vcs")
COVENTRY_COORDINATOR = P("hub_coordinator", COVENTRY_HUB, "coventry", "hub")
OFFICER = P("safety_net_officer", SAFETY_NET, "sutton", "safety_net")
COVENTRY_OFFICER = P("safety_net_officer", 2, "coventry", "safety_net")
HELPLINE = P("helpline_staff")
ADMIN = P("admin")
PARTNER = P("partner_referrer", token_id=100)
OTHER_PARTNER = P("partner_referrer", token_id=101)
OFFERED_TO_HUB = (R(), Off(HUB))
HELD_BY_HUB = (R(status="accepted", owner_org_id=HUB), None)


@pytest.mark.parametrize(
    ("principal", "situation", "visible"),
    [
        (HELPLINE, OFFERED_TO_HUB, True),
        (ADMIN, OFFERED_TO_HUB, True),
        (OFFICER, OFFERED_TO_HUB, True),
        (COVENTRY_OFFICER, OFFERED_TO_HUB, False),
        (P("safety_net_officer"), OFFERED_TO_HUB, True),
        (HUB_COORDINATOR, OFFERED_TO_HUB, True),
        (HUB_COORDINATOR, HELD_BY_HUB, True),
        (FOOD_BANK_COORDINATOR, OFFERED_TO_HUB, False),
        (COVENTRY_COORDINATOR, OFFERED_TO_HUB, False),
        (HUB_COORDINATOR, (R(status="escalated"), None), False),  # previously offered
        (PARTNER, OFFERED_TO_HUB, True),
        (OTHER_PARTNER, OFFERED_TO_HUB, False),
        (P("anonymous"), OFFERED_TO_HUB, False),
    ],
)
def test_who_sees_a_referral(principal, situation, visible):
    assert access.may_see(principal, *situation) is visible


@pytest.mark.parametrize(
    ("principal", "situation", "personal"),
    [
        (HUB_COORDINATOR, OFFERED_TO_HUB, False),
        (HUB_COORDINATOR, HELD_BY_HUB, True),
        (HUB_COORDINATOR, (replace(HELD_BY_HUB[0], consent_to_share=False), None), False),
        (P("hub_coordinator", HUB, "sutton", "mutual_aid", "arms_length"), HELD_BY_HUB, False),
        (
            P("hub_coordinator", HUB, "sutton", "safety_net"),
            (R(status="accepted", owner_org_id=HUB, consent_to_share=False), None),
            True,
        ),
        (OFFICER, (R(consent_to_share=False), None), True),
        (COVENTRY_OFFICER, OFFERED_TO_HUB, False),
        (HELPLINE, OFFERED_TO_HUB, True),
        (PARTNER, OFFERED_TO_HUB, True),
    ],
)
def test_who_sees_the_persons_details_and_the_notes(principal, situation, personal):
    assert access.sees_personal_details(principal, *situation) is personal


def test_an_offered_hub_may_accept_or_decline_and_nothing_else():
    assert access.allowed_actions(HUB_COORDINATOR, *OFFERED_TO_HUB) == ["accept", "decline"]


def test_an_officer_on_hub_work_may_escalate_cancel_or_close_but_not_do_the_work():
    assert access.allowed_actions(OFFICER, *HELD_BY_HUB) == ["escalate", "cancel", "close"]
    assert access.refusal(OFFICER, *HELD_BY_HUB, "start").why is Why.NOT_YOURS


def test_an_officer_is_not_offered_escalation_of_what_the_safety_net_holds():
    held = R(status="accepted", owner_org_id=SAFETY_NET)
    assert "escalate" not in access.allowed_actions(OFFICER, held)
    assert access.refusal(OFFICER, held, None, "escalate").why is Why.STATE


def test_the_role_is_refused_before_anything_about_the_referral_is_said():
    assert access.refusal(OTHER_PARTNER, *OFFERED_TO_HUB, "accept").why is Why.ROLE
    assert access.refusal(FOOD_BANK_COORDINATOR, *OFFERED_TO_HUB, "accept").why is Why.NOT_VISIBLE
    assert access.refusal(HUB_COORDINATOR, *OFFERED_TO_HUB, "start").why is Why.STATE


def test_a_recurring_plan_is_completed_occurrence_by_occurrence():
    pending = R(status="in_progress", owner_org_id=HUB, occurrences=[{"index": 0, "outcome_code": None}])
    done = replace(pending, occurrences=[{"index": 0, "outcome_code": "call_made"}])
    assert access.allowed_actions(HUB_COORDINATOR, pending)[:2] == ["record_occurrence", "transfer"]
    assert "complete" in access.allowed_actions(HUB_COORDINATOR, done)


@pytest.mark.parametrize(
    ("target", "consent", "why"),
    [
        (OrgFacts(FOOD_BANK, "vcs", "sutton"), True, None),
        (OrgFacts(FOOD_BANK, "vcs", "sutton", active=False), True, "no active organisation"),
        (OrgFacts(COVENTRY_HUB, "hub", "coventry"), True, "council area"),
        (OrgFacts(12, "mutual_aid", "sutton", "arms_length"), True, "arm's-length"),
        (OrgFacts(FOOD_BANK, "vcs", "sutton"), False, "consent"),
        (OrgFacts(SAFETY_NET, "safety_net", "sutton"), False, "already with"),
        (OrgFacts(3, "safety_net", "sutton"), False, None),
        (None, True, "no active organisation"),
    ],
)
def test_who_may_receive_a_transfer(target, consent, why):
    referral = R(status="escalated", consent_to_share=consent)
    refused = access.transfer_refusal(referral, target)
    assert (refused is None) if why is None else (why in refused)


def test_a_call_is_attached_to_a_known_person_only_within_the_rule():
    sutton, coventry = R(area="sutton"), R(area="coventry")
    assert access.may_attach(OFFICER, sutton)
    assert not access.may_attach(OFFICER, coventry)
    assert access.may_attach(HELPLINE, coventry)
    assert access.may_attach(PARTNER, sutton, referred_before=True)
    assert not access.may_attach(PARTNER, sutton)
    assert not access.may_attach(HUB_COORDINATOR, sutton)


def test_consent_is_recorded_by_the_helpline_and_officers_on_open_referrals():
    assert access.consent_refusal(HELPLINE, *OFFERED_TO_HUB) is None
    assert access.consent_refusal(HUB_COORDINATOR, *HELD_BY_HUB).why is Why.ROLE
    assert access.consent_refusal(COVENTRY_OFFICER, *OFFERED_TO_HUB).why is Why.NOT_VISIBLE
    assert access.consent_refusal(HELPLINE, R(status="signposted")).why is Why.STATE


def test_a_closed_referral_says_the_safety_net_closed_it_whoever_held_it():
    from types import SimpleNamespace

    from referrals.holding import holding

    closed = SimpleNamespace(
        status="closed",
        owner_org_id=4,
        safety_net_org_id=1,
        accepted_org_id=4,
        volunteer_id=None,
        assigned_org_id=None,
        escalated_to_org_id=None,
        urgency="routine",
        occurrences=[],
    )
    names = {1: "Sutton Council safety net", 4: "Sutton Central Hub"}
    assert holding(closed, None, names.get, lambda _id: "").words == "Closed by Sutton Council safety net"


def test_an_escalated_follow_up_or_phone_task_is_the_safety_nets_alone():
    finished = R(status="completed", owner_org_id=HUB)
    assert access.may_work_follow_up(HUB_COORDINATOR, finished)
    assert not access.may_work_follow_up(HUB_COORDINATOR, finished, "escalated")
    assert access.may_work_follow_up(OFFICER, finished, "escalated")
    assert not access.may_work_follow_up(COVENTRY_OFFICER, finished, "escalated")
    assert access.may_work_phone_task(HELPLINE, None)
    assert not access.may_work_phone_task(HELPLINE, None, "escalated")
    assert access.may_work_phone_task(OFFICER, R(), "escalated")
    assert not access.may_work_phone_task(COVENTRY_OFFICER, R(), "escalated")
