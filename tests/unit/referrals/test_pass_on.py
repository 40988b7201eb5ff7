"""Passing work on in the pure state machine and the access rule: the holder offers the work to one of its own
volunteers or to a group it works with, keeps owning it whatever the answer, and gets it back as it was on a
decline or an expiry."""

from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from referrals import access
from referrals.lifecycle import PASS_ON, IllegalTransition, InvalidAction, State

from .builders import EXPIRES, NEXT_EXPIRES, accepted, build, in_progress

HOLDER = "ma-1"  # the builders' referral is accepted by ma-1


def test_passing_on_to_a_volunteer_keeps_the_holder_and_offers_through_it():
    before = in_progress()
    referral, (event,) = before.pass_on(HOLDER, "vol-7", expires_at=EXPIRES, reason="lives round the corner")

    assert referral.state is State.PASSED_ON
    assert (referral.accepted_org_id, referral.owner_org_id) == (HOLDER, HOLDER)
    offer = referral.open_offer
    assert (offer.org_id, offer.volunteer_id, offer.kind) == (HOLDER, "vol-7", PASS_ON)
    assert (offer.return_state, offer.expires_at) == (State.IN_PROGRESS, EXPIRES)
    assert (event.kind, event.actor_org_id, event.reason) == ("passed_on", HOLDER, "lives round the corner")
    assert event.data == {"holder_org_id": HOLDER, "to_org_id": HOLDER, "volunteer_id": "vol-7"}


def test_the_volunteers_yes_records_who_is_doing_it_and_the_holder_keeps_it():
    referral, (event,) = in_progress().pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral.accept(HOLDER)

    assert referral.state is State.IN_PROGRESS  # back as it was, with someone doing it
    assert (referral.owner_org_id, referral.volunteer_id, referral.assigned_org_id) == (HOLDER, "vol-7", None)
    assert referral.open_offer is None
    assert event.kind == "pass_on_accepted"
    assert event.data == {"holder_org_id": HOLDER, "org_id": HOLDER, "volunteer_id": "vol-7"}


def test_a_groups_yes_records_the_group_and_the_completion_is_the_holders_naming_it():
    taken = accepted().pass_on("ma-group", expires_at=EXPIRES).referral.accept("ma-group").referral

    assert (taken.state, taken.owner_org_id, taken.assigned_org_id) == (State.ACCEPTED, HOLDER, "ma-group")
    assert taken.volunteer_id is None
    done, (_started,) = taken.start()
    finished, (completed,) = done.complete("helped")
    assert (completed.actor_org_id, completed.data["assigned_org_id"]) == (HOLDER, "ma-group")
    assert finished.state is State.COMPLETED


@pytest.mark.parametrize("answer", ["decline", "expire"])
def test_a_decline_or_an_expiry_returns_it_to_the_holder_as_it_was(answer):
    before = in_progress()
    passed = before.pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral
    if answer == "decline":
        back, (event,) = passed.decline(HOLDER, "not this week", next_expires_at=NEXT_EXPIRES)
    else:
        back, (event,) = passed.expire(now=EXPIRES + timedelta(seconds=1), next_expires_at=NEXT_EXPIRES)

    assert back.state is State.IN_PROGRESS
    assert (back.owner_org_id, back.volunteer_id, back.open_offer) == (HOLDER, before.volunteer_id, None)
    assert event.kind == {"decline": "pass_on_declined", "expire": "pass_on_expired"}[answer]
    assert event.data["returned_to_org_id"] == HOLDER
    assert back.candidates == before.candidates
    assert back.next_candidate == before.next_candidate


def test_an_expiry_says_what_was_not_answered():
    passed = accepted().pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral
    _back, (event,) = passed.expire(now=EXPIRES, next_expires_at=NEXT_EXPIRES)

    assert event.reason == "work passed on to volunteer vol-7 expired unanswered"


def test_only_the_one_it_was_passed_to_may_answer():
    passed = accepted().pass_on("ma-group", expires_at=EXPIRES).referral

    with pytest.raises(InvalidAction):
        passed.accept(HOLDER)
    with pytest.raises(InvalidAction, match="expired"):
        passed.accept("ma-group", now=EXPIRES + timedelta(minutes=1))


@pytest.mark.parametrize(
    ("to_org", "volunteer", "message"),
    [
        (HOLDER, None, "not to the holder itself"),
        ("other-org", "vol-7", "through their own organisation"),
    ],
)
def test_a_pass_on_names_a_volunteer_of_the_holder_or_a_group(to_org, volunteer, message):
    with pytest.raises(InvalidAction, match=message):
        accepted().pass_on(to_org, volunteer, expires_at=EXPIRES)


def test_no_pass_on_to_whoever_is_already_doing_it():
    doing = accepted().pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral.accept(HOLDER).referral

    with pytest.raises(InvalidAction, match="already doing it"):
        doing.pass_on(HOLDER, "vol-7", expires_at=EXPIRES)
    other, _ = doing.pass_on(HOLDER, "vol-8", expires_at=EXPIRES)
    assert other.volunteer_id == "vol-7"  # still doing it until the other says yes


@pytest.mark.parametrize("state", [s for s in State if s not in (State.ACCEPTED, State.IN_PROGRESS)])
def test_only_work_the_holder_has_taken_on_is_passed_on(state):
    referral = build(state)
    with pytest.raises(IllegalTransition):
        referral.pass_on(referral.owner_org_id, "vol-7", expires_at=EXPIRES)


def test_while_passed_on_the_holder_neither_works_on_it_nor_hands_it_on_again():
    passed = in_progress().pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral
    not_started = accepted().pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral
    for action in (
        lambda: not_started.complete("helped"),
        lambda: passed.transfer("vcs-1", "reason", expires_at=EXPIRES),
        lambda: passed.pass_on(HOLDER, "vol-8", expires_at=EXPIRES),
    ):
        with pytest.raises(IllegalTransition):
            action()


def test_work_under_way_is_finished_by_whoever_is_doing_it_while_the_holder_passes_it_on_again():
    doing = in_progress().pass_on(HOLDER, "vol-7", expires_at=EXPIRES).referral.accept(HOLDER).referral
    again = doing.pass_on(HOLDER, "vol-8", expires_at=EXPIRES).referral
    assert (again.state, again.volunteer_id) == (State.PASSED_ON, "vol-7")

    finished, (completed,) = again.complete("shopping_delivered")

    assert finished.state is State.COMPLETED
    assert finished.open_offer is None  # the offer to vol-8 is withdrawn
    assert completed.data["volunteer_id"] == "vol-7"


def test_escalating_a_passed_on_referral_withdraws_the_offer_and_forgets_who_was_doing_it():
    doing = accepted().pass_on("ma-group", expires_at=EXPIRES).referral.accept("ma-group").referral
    escalated = doing.escalate("safeguarding concern").referral

    assert (escalated.assigned_org_id, escalated.accepted_org_id, escalated.open_offer) == (None, None, None)


# The access rule


@dataclass(frozen=True)
class Row:
    id: int = 1
    status: str = "accepted"
    owner_org_id: int = 10
    safety_net_org_id: int = 1
    escalated_to_org_id: int | None = None
    assigned_org_id: int | None = None
    volunteer_id: int | None = None
    area: str = "sutton"
    consent_to_share: bool = True
    occurrences: tuple = ()
    created_by_token_id: int | None = None
    created_by_org_id: int | None = None


@dataclass(frozen=True)
class Who:
    role: str = "hub_coordinator"
    org_id: int | None = 10
    area: str | None = "sutton"
    org_kind: str | None = "hub"
    org_mode: str | None = None
    token_id: int | None = None


@dataclass(frozen=True)
class PendingOffer:
    org_id: int
    volunteer_id: int | None = None
    kind: str = PASS_ON
    return_state: str = "accepted"


HUB = access.OrgFacts(10, "hub", "sutton")
GROUP = access.OrgFacts(20, "mutual_aid", "sutton", "integrated", name="SM1 Mutual Aid")


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (Who(), None),
        (Who(org_kind="vcs"), None),
        (Who(org_kind="infrastructure"), None),
        (Who(org_kind="mutual_aid"), access.Why.ROLE),
        (Who(org_kind="safety_net"), access.Why.ROLE),
        (Who(role="safety_net_officer"), access.Why.ROLE),
        (Who(role="helpline_staff", org_id=None), access.Why.ROLE),
        (Who(org_id=11), access.Why.NOT_VISIBLE),
    ],
)
def test_the_holding_broker_hub_or_vcs_coordinator_passes_work_on(who, why):
    refused = access.refusal(who, Row(), None, "pass_on")
    assert (refused and refused.why) == why


def test_a_pass_on_is_refused_by_state():
    refused = access.refusal(Who(), Row(status="passed_on"), PendingOffer(10, 5), "pass_on")
    assert refused.why is access.Why.STATE


def test_a_group_sees_what_it_is_offered_then_does_the_work_it_took_but_never_hands_it_on():
    group = Who(org_id=20, org_kind="mutual_aid", org_mode="integrated")
    offered = Row(status="passed_on")
    assert access.may_see(group, offered, PendingOffer(20))
    assert not access.sees_personal_details(group, offered, PendingOffer(20))
    assert access.refusal(group, offered, PendingOffer(20), "accept") is None

    doing = Row(status="in_progress", assigned_org_id=20)
    assert access.sees_personal_details(group, doing)
    assert access.refusal(group, doing, None, "complete") is None
    for action in ("transfer", "cancel", "escalate"):
        assert access.refusal(group, doing, None, action).why is access.Why.NOT_YOURS
    assert not access.may_see(group, Row(status="accepted"))  # it declined: it no longer sees it


def volunteer(**fields) -> access.PassOnTarget:
    return access.PassOnTarget(
        org=fields.pop("org", HUB), volunteer_id=fields.pop("volunteer_id", 5), **fields
    )


def group(**fields) -> access.PassOnTarget:
    return access.PassOnTarget(org=fields.pop("org", GROUP), **fields)


@pytest.mark.parametrize(
    ("target", "row", "refused"),
    [
        (volunteer(), Row(), None),
        (volunteer(org=access.OrgFacts(11, "hub", "sutton")), Row(), "only a volunteer of the organisation"),
        (volunteer(reachable=False), Row(), "no phone to text"),
        (volunteer(unavailable="volunteer lacks a needed skill"), Row(), "lacks a needed skill"),
        (group(), Row(), None),
        (group(org=replace(GROUP, kind="vcs")), Row(), "offered a transfer"),
        (group(org=replace(GROUP, area="coventry")), Row(), "own council area"),
        (group(org=replace(GROUP, mutual_aid_mode="arms_length")), Row(), "arm's-length"),
        (group(), Row(consent_to_share=False), "without the person's consent"),
        (group(covers=False), Row(), "does not cover"),
        (group(reachable=False), Row(), "lead has no phone"),
        (group(org=replace(GROUP, active=False)), Row(), "no active volunteer or group"),
        (None, Row(), "no active volunteer or group"),
    ],
)
def test_whom_the_holder_may_pass_work_on_to(target, row, refused):
    answer = access.pass_on_refusal(row, target)
    assert (answer is None) if refused is None else (refused in answer)
    if target is not None:
        assert access.pass_on_targets(row, [target]) == ([target] if refused is None else [])
