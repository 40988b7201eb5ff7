from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from referrals.lifecycle import (
    ACTIONS,
    DEFAULT_OFFER_EXPIRY,
    LEGAL_ACTIONS,
    TERMINAL_STATES,
    IllegalTransition,
    InvalidAction,
    Referral,
    State,
    offer_expiry,
)

from .builders import EXPIRES, NEXT_EXPIRES, SAFETY_NET, SIX_WEEKLY_CALLS, build, perform, received, triaged

S = State
LEGAL = {
    (S.RECEIVED, "triage"): S.TRIAGED,
    (S.RECEIVED, "escalate"): S.ESCALATED,
    (S.RECEIVED, "signpost"): S.SIGNPOSTED,
    (S.RECEIVED, "cancel"): S.CANCELLED,
    (S.RECEIVED, "close"): S.CLOSED,
    (S.TRIAGED, "offer"): S.OFFERED,
    (S.TRIAGED, "offer_next"): S.OFFERED,
    (S.TRIAGED, "escalate"): S.ESCALATED,
    (S.TRIAGED, "signpost"): S.SIGNPOSTED,
    (S.TRIAGED, "cancel"): S.CANCELLED,
    (S.TRIAGED, "close"): S.CLOSED,
    (S.OFFERED, "accept"): S.ACCEPTED,
    (S.OFFERED, "decline"): S.OFFERED,
    (S.OFFERED, "expire"): S.OFFERED,
    (S.OFFERED, "escalate"): S.ESCALATED,
    (S.OFFERED, "signpost"): S.SIGNPOSTED,
    (S.OFFERED, "cancel"): S.CANCELLED,
    (S.OFFERED, "close"): S.CLOSED,
    (S.ACCEPTED, "start"): S.IN_PROGRESS,
    (S.ACCEPTED, "transfer"): S.TRANSFERRED,
    (S.ACCEPTED, "pass_on"): S.PASSED_ON,
    (S.ACCEPTED, "escalate"): S.ESCALATED,
    (S.ACCEPTED, "cancel"): S.CANCELLED,
    (S.ACCEPTED, "close"): S.CLOSED,
    (S.IN_PROGRESS, "complete"): S.COMPLETED,
    (S.IN_PROGRESS, "record_occurrence"): S.IN_PROGRESS,
    (S.IN_PROGRESS, "transfer"): S.TRANSFERRED,
    (S.IN_PROGRESS, "pass_on"): S.PASSED_ON,
    (S.IN_PROGRESS, "escalate"): S.ESCALATED,
    (S.IN_PROGRESS, "cancel"): S.CANCELLED,
    (S.IN_PROGRESS, "close"): S.CLOSED,
    (S.TRANSFERRED, "accept"): S.ACCEPTED,
    (S.TRANSFERRED, "decline"): S.IN_PROGRESS,
    (S.TRANSFERRED, "expire"): S.IN_PROGRESS,
    (S.TRANSFERRED, "complete"): S.COMPLETED,
    (S.TRANSFERRED, "record_occurrence"): S.TRANSFERRED,
    (S.TRANSFERRED, "escalate"): S.ESCALATED,
    (S.TRANSFERRED, "cancel"): S.CANCELLED,
    (S.TRANSFERRED, "close"): S.CLOSED,
    (S.PASSED_ON, "accept"): S.IN_PROGRESS,
    (S.PASSED_ON, "decline"): S.IN_PROGRESS,
    (S.PASSED_ON, "expire"): S.IN_PROGRESS,
    (S.PASSED_ON, "complete"): S.COMPLETED,
    (S.PASSED_ON, "record_occurrence"): S.PASSED_ON,
    (S.PASSED_ON, "escalate"): S.ESCALATED,
    (S.PASSED_ON, "cancel"): S.CANCELLED,
    (S.PASSED_ON, "close"): S.CLOSED,
    (S.ESCALATED, "offer"): S.OFFERED,
    (S.ESCALATED, "offer_next"): S.OFFERED,
    (S.ESCALATED, "accept"): S.ACCEPTED,
    (S.ESCALATED, "transfer"): S.TRANSFERRED,
    (S.ESCALATED, "signpost"): S.SIGNPOSTED,
    (S.ESCALATED, "cancel"): S.CANCELLED,
    (S.ESCALATED, "close"): S.CLOSED,
}
ALL_ACTIONS = sorted(
    {"triage", "offer", "offer_next", "accept", "decline", "expire", "start", "complete"}
    | {"record_occurrence", "transfer", "pass_on", "cancel", "escalate", "signpost", "close"}
)
ILLEGAL = [(state, action) for state in State for action in ALL_ACTIONS if (state, action) not in LEGAL]


@pytest.mark.parametrize(("state", "action"), sorted(LEGAL), ids=lambda value: str(value))
def test_legal_action_moves_to_expected_state(state, action):
    referral = build(state, SIX_WEEKLY_CALLS if action == "record_occurrence" else None)
    assert referral.state is state

    new, events = perform(referral, action)

    assert new.state is LEGAL[state, action]
    assert events
    assert events[0].from_state is state
    assert events[-1].to_state is new.state
    assert new.history == referral.history + events


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda value: str(value))
def test_illegal_action_raises_naming_the_current_state(state, action):
    referral = build(state)

    with pytest.raises(IllegalTransition) as raised:
        perform(referral, action)

    assert raised.value.current_state is state
    assert raised.value.action == action
    assert f"that is {state.value}" in str(raised.value)


def test_published_table_matches_the_expected_transitions():
    assert set(ACTIONS) == set(ALL_ACTIONS)
    for state in State:
        assert LEGAL_ACTIONS[state] == {action for (s, action) in LEGAL if s is state}
    assert {S.COMPLETED, S.SIGNPOSTED, S.CANCELLED, S.CLOSED} == TERMINAL_STATES
    assert all(not LEGAL_ACTIONS[state] for state in TERMINAL_STATES)


def test_receive_starts_history_owned_by_safety_net():
    referral, events = Referral.receive(SAFETY_NET)

    assert referral.state is S.RECEIVED
    assert referral.owner_org_id == SAFETY_NET
    assert [event.kind for event in events] == ["received"]
    assert referral.history == events


def test_receive_needs_a_safety_net_team():
    with pytest.raises(InvalidAction):
        Referral.receive(" ")


@pytest.mark.parametrize(
    ("state", "owner"),
    [
        (S.RECEIVED, SAFETY_NET),
        (S.TRIAGED, SAFETY_NET),
        (S.OFFERED, SAFETY_NET),
        (S.ACCEPTED, "ma-1"),
        (S.IN_PROGRESS, "ma-1"),
        (S.TRANSFERRED, "ma-1"),  # the sender keeps it until the receiver accepts
        (S.ESCALATED, SAFETY_NET),
        (S.COMPLETED, "ma-1"),
        (S.SIGNPOSTED, SAFETY_NET),
        (S.CANCELLED, SAFETY_NET),
        (S.CLOSED, "ma-1"),
    ],
)
def test_owner_in_each_state(state, owner):
    assert build(state).owner_org_id == owner


@pytest.mark.parametrize(
    ("action", "kind", "reason"),
    [
        ("cancel", "cancelled", "resident withdrew"),
        ("escalate", "escalated", "safeguarding concern"),
        ("transfer", "transferred", "needs a befriender"),
    ],
)
def test_reasons_are_recorded(action, kind, reason):
    _, events = perform(build(S.IN_PROGRESS), action)

    assert events[-1].kind == kind
    assert events[-1].reason == reason
    assert events[-1].actor_org_id == "ma-1"


@pytest.mark.parametrize("blank", ["", "   "])
@pytest.mark.parametrize("action", ["cancel", "escalate"])
def test_reason_must_not_be_blank(action, blank):
    referral = build(S.IN_PROGRESS)
    with pytest.raises(InvalidAction):
        getattr(referral, action)(blank)


def test_escalation_releases_the_accepted_organisation():
    referral, events = build(S.IN_PROGRESS).escalate("volunteer raised a safeguarding concern", "mh-crisis")

    assert referral.owner_org_id == SAFETY_NET
    assert referral.accepted_org_id is None
    assert referral.escalated_to == "mh-crisis"
    assert events[0].data == {"from_org_id": "ma-1", "to_org_id": "mh-crisis"}


@pytest.mark.parametrize("org", ["mh-crisis", SAFETY_NET])
def test_escalated_referral_is_accepted_by_its_target_or_the_safety_net(org):
    escalated = build(S.IN_PROGRESS).escalate("concern", "mh-crisis").referral

    referral, _ = escalated.accept(org)

    assert referral.owner_org_id == org
    assert referral.state is S.ACCEPTED


def test_escalated_referral_refuses_another_organisation():
    escalated = build(S.IN_PROGRESS).escalate("concern", "mh-crisis").referral
    with pytest.raises(InvalidAction, match="escalated to mh-crisis"):
        escalated.accept("ma-2")


def test_transfer_is_an_offer_and_the_sender_keeps_the_referral_until_it_is_accepted():
    referral, events = build(S.IN_PROGRESS).transfer(
        "vcs-2", "needs specialist debt advice", expires_at=EXPIRES
    )

    assert referral.state is S.TRANSFERRED
    assert referral.owner_org_id == "ma-1"
    assert referral.open_offer.org_id == "vcs-2"
    assert referral.open_offer.kind == "transfer"
    assert referral.open_offer.return_state is S.IN_PROGRESS
    assert events[0].data == {"from_org_id": "ma-1", "to_org_id": "vcs-2", "expires_at": EXPIRES}
    taken, _ = referral.accept("vcs-2")
    assert (taken.state, taken.owner_org_id, taken.volunteer_id, taken.open_offer) == (
        S.ACCEPTED,
        "vcs-2",
        None,
        None,
    )
    assert taken.start().referral.state is S.IN_PROGRESS


def test_a_declined_transfer_returns_to_the_sender_as_it_was():
    sent = build(S.IN_PROGRESS).transfer("vcs-2", "needs debt advice", expires_at=EXPIRES).referral

    back, events = sent.decline("vcs-2", "no capacity this month", next_expires_at=NEXT_EXPIRES)

    assert (back.state, back.owner_org_id, back.open_offer) == (S.IN_PROGRESS, "ma-1", None)
    assert [e.kind for e in events] == ["transfer_declined"]
    assert events[0].data["returned_to_org_id"] == "ma-1"


def test_an_unanswered_transfer_from_the_safety_net_returns_to_it():
    held = triaged().escalate("concern").referral
    sent = held.transfer("vcs-2", "they run the right service", expires_at=EXPIRES).referral
    assert sent.owner_org_id == SAFETY_NET

    back, events = sent.expire(now=EXPIRES, next_expires_at=NEXT_EXPIRES)

    assert (back.state, back.owner_org_id, back.escalated_to) == (S.ESCALATED, SAFETY_NET, SAFETY_NET)
    assert [e.kind for e in events] == ["transfer_expired"]


def test_a_transfer_is_accepted_only_by_its_receiver():
    sent = build(S.IN_PROGRESS).transfer("vcs-2", "needs debt advice", expires_at=EXPIRES).referral
    with pytest.raises(InvalidAction, match="offer is to vcs-2"):
        sent.accept("ma-1")


def test_transfer_to_the_current_owner_is_refused():
    with pytest.raises(InvalidAction, match="already owned"):
        build(S.IN_PROGRESS).transfer("ma-1", "no reason", expires_at=EXPIRES)


def test_close_keeps_outcome_and_owner():
    referral, events = build(S.IN_PROGRESS).close("resident_in_hospital", "admitted on Tuesday")

    assert referral.outcome_code == "resident_in_hospital"
    assert referral.owner_org_id == "ma-1"
    assert events[0].data == {"outcome_code": "resident_in_hospital", "note": "admitted on Tuesday"}


def test_signpost_records_where_to():
    referral, events = build(S.TRIAGED).signpost("citizens-advice")

    assert referral.state is S.SIGNPOSTED
    assert events[0].data == {"org_id": "citizens-advice"}


def test_event_as_dict_is_plain_data():
    _, events = build(S.OFFERED).accept("ma-1")

    assert events[0].as_dict() == {
        "kind": "accepted",
        "from_state": S.OFFERED,
        "to_state": S.ACCEPTED,
        "actor_org_id": "ma-1",
        "reason": None,
        "data": {"org_id": "ma-1", "volunteer_id": "vol-1"},
    }


def test_event_data_is_read_only():
    _, events = build(S.OFFERED).accept("ma-1")
    with pytest.raises(TypeError):
        events[0].data["org_id"] = "someone-else"


def test_allowed_actions_follow_the_state():
    assert received().allowed_actions == LEGAL_ACTIONS[S.RECEIVED]
    assert build(S.COMPLETED).is_terminal
    assert not build(S.ESCALATED).is_terminal


NOW = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("urgency", "expected"),
    [
        ("emergency", NOW + timedelta(minutes=30)),
        ("urgent", NOW + timedelta(hours=4)),
        ("routine", NOW + timedelta(hours=48)),
    ],
)
def test_offer_expiry_by_urgency(urgency, expected):
    assert offer_expiry(urgency, NOW, DEFAULT_OFFER_EXPIRY) == expected


def test_offer_expiry_uses_the_given_policy():
    policy = {"routine": timedelta(hours=24)}
    assert offer_expiry("routine", NOW, policy) == NOW + timedelta(hours=24)


@pytest.mark.parametrize(
    ("urgency", "now", "policy", "message"),
    [
        ("whenever", NOW, DEFAULT_OFFER_EXPIRY, "no offer expiry configured for urgency 'whenever'"),
        ("routine", NOW.replace(tzinfo=None), DEFAULT_OFFER_EXPIRY, "timezone-aware"),
        ("routine", NOW, {"routine": timedelta(0)}, "must be positive"),
    ],
)
def test_offer_expiry_rejects_bad_input(urgency, now, policy, message):
    with pytest.raises(ValueError, match=message):
        offer_expiry(urgency, now, policy)


@pytest.mark.parametrize("pending", [S.TRANSFERRED, S.PASSED_ON])
def test_pending_a_transfer_or_pass_on_the_work_it_had_started_goes_on(pending):
    plan = replace(SIX_WEEKLY_CALLS, count=1)
    sent = build(pending, plan)

    done, events = sent.record_occurrence(0, "call_made", "all well")

    assert (done.state, done.open_offer, done.owner_org_id) == (S.COMPLETED, None, "ma-1")
    assert [e.kind for e in events] == ["occurrence_recorded", "completed"]


@pytest.mark.parametrize(
    "hand",
    [
        lambda r: r.transfer("vcs-2", "needs debt advice", expires_at=EXPIRES),
        lambda r: r.pass_on("ma-1", "vol-7", expires_at=EXPIRES),
    ],
    ids=["transfer", "pass_on"],
)
def test_work_not_started_when_it_was_handed_on_waits_for_the_answer(hand):
    sent = hand(build(S.ACCEPTED)).referral
    assert not sent.work_goes_on
    with pytest.raises(IllegalTransition, match="had not started"):
        sent.complete("helped")
