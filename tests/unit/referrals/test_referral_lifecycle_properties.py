"""Random action sequences: ownership is never lost and history only ever grows by appending."""

from datetime import timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from referrals.lifecycle import (
    Candidate,
    LifecycleError,
    RecurrencePlan,
    Referral,
    State,
    Tier,
    Transition,
)

from .builders import SAFETY_NET, T0

OFFERED_ORG = "<the org holding the offer>"
ORGS = st.sampled_from([OFFERED_ORG] * 5 + [SAFETY_NET, "ma-1", "ma-2", "vcs-1", "st-1", "other"])
MINUTES = st.integers(min_value=0, max_value=600).map(lambda minutes: T0 + timedelta(minutes=minutes))
TEXT = st.sampled_from(["", "no volunteer free", "safeguarding concern", "resident withdrew"])
CANDIDATE = st.builds(
    Candidate,
    org_id=st.sampled_from(["ma-1", "ma-2", "vcs-1", "st-1", SAFETY_NET]),
    tier=st.sampled_from(list(Tier)),
    volunteer_id=st.sampled_from([None, "vol-1"]),
)
PLAN = st.none() | st.builds(
    RecurrencePlan, every_days=st.integers(1, 14), count=st.integers(1, 3), start=st.just(T0)
)
INDEX = st.integers(min_value=-1, max_value=2)

ARGUMENTS = {
    "triage": st.tuples(st.lists(CANDIDATE, max_size=5), PLAN),
    "offer": st.tuples(ORGS, st.sampled_from([None, "vol-3"]), MINUTES),
    "offer_next": st.tuples(MINUTES),
    "accept": st.tuples(ORGS, st.none() | MINUTES),
    "decline": st.tuples(ORGS, TEXT, MINUTES),
    "expire": st.tuples(MINUTES, MINUTES),
    "start": st.tuples(),
    "record_occurrence": st.tuples(INDEX, st.sampled_from(["called", "no_answer"])),
    "complete": st.tuples(st.sampled_from(["helped", "helped", "helped", ""])),
    "transfer": st.tuples(ORGS, TEXT, MINUTES),
    "pass_on": st.tuples(ORGS, st.sampled_from([None, "vol-1", "vol-7"]), MINUTES),
    "escalate": st.tuples(TEXT, st.none() | ORGS),
    "cancel": st.tuples(TEXT),
    "signpost": st.tuples(ORGS),
    "close": st.tuples(st.sampled_from(["duplicate", "no_contact"])),
}
ENDINGS = {"cancel", "signpost", "close"}
WEIGHTED_NAMES = [name for name in sorted(ARGUMENTS) for _ in range(1 if name in ENDINGS else 4)]
NOTHING_ACCEPTED = {
    State.RECEIVED,
    State.TRIAGED,
    State.OFFERED,
    State.ESCALATED,
    State.SIGNPOSTED,
    State.CANCELLED,
}
SOMETHING_ACCEPTED = {State.ACCEPTED, State.IN_PROGRESS, State.COMPLETED, State.PASSED_ON}
OPEN_OFFER_STATES = {State.OFFERED, State.TRANSFERRED, State.PASSED_ON}


def apply(referral: Referral, name: str, args: tuple) -> Transition:
    offered_org = referral.open_offer.org_id if referral.open_offer else "ma-1"
    args = [offered_org if arg == OFFERED_ORG else arg for arg in args]
    match name:
        case "triage":
            return referral.triage(args[0], plan=args[1])
        case "offer":
            return referral.offer(args[0], args[1], expires_at=args[2])
        case "offer_next":
            return referral.offer_next(expires_at=args[0])
        case "accept":
            return referral.accept(args[0], now=args[1])
        case "decline":
            return referral.decline(args[0], args[1], next_expires_at=args[2])
        case "expire":
            return referral.expire(now=args[0], next_expires_at=args[1])
        case "transfer":
            return referral.transfer(args[0], args[1], expires_at=args[2])
        case "pass_on":
            return referral.pass_on(args[0], args[1], expires_at=args[2])
        case _:
            return getattr(referral, name)(*args)


def check_invariants(referral: Referral) -> None:
    assert isinstance(referral.owner_org_id, str)
    assert referral.owner_org_id
    assert referral.state is not State.DECLINED
    if referral.accepted_org_id is None:
        assert referral.owner_org_id == SAFETY_NET
    if referral.state in NOTHING_ACCEPTED:
        assert referral.accepted_org_id is None
        assert referral.owner_org_id == SAFETY_NET
    if referral.state in SOMETHING_ACCEPTED:
        assert referral.accepted_org_id is not None
    assert (referral.open_offer is not None) == (referral.state in OPEN_OFFER_STATES)
    if referral.state is State.ESCALATED:
        assert referral.escalated_to is not None
    if referral.escalated_to is not None:  # a transfer from the safety net keeps where it goes back to
        assert referral.state in (State.ESCALATED, State.TRANSFERRED)
    if referral.state is State.TRANSFERRED:
        assert referral.open_offer.kind == "transfer"
        assert referral.open_offer.org_id != referral.owner_org_id
    if referral.state is State.PASSED_ON:  # the holder keeps it: a volunteer's offer goes through the holder
        assert referral.open_offer.kind == "pass_on"
        assert (referral.open_offer.org_id == referral.owner_org_id) == (
            referral.open_offer.volunteer_id is not None
        )
    if referral.assigned_org_id is not None:  # a group doing the holder's work
        assert referral.accepted_org_id is not None
        assert referral.volunteer_id is None
    assert referral.history[-1].to_state is referral.state


def check_step(before: Referral, transition: Transition) -> None:
    after, events = transition
    assert events
    assert after.history[: len(before.history)] == before.history
    assert after.history[len(before.history) :] == events
    state = before.state
    for step_event in events:
        assert step_event.from_state is state
        state = step_event.to_state
    assert state is after.state


@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(st.data())
def test_random_action_sequences_keep_one_owner_and_an_append_only_history(data):
    """Mostly legal actions so runs go deep, with any action (often illegal) mixed in."""
    referral = Referral.receive(SAFETY_NET).referral
    check_invariants(referral)
    for _ in range(data.draw(st.integers(min_value=1, max_value=30), label="steps")):
        legal = [name for name in WEIGHTED_NAMES if name in referral.allowed_actions]
        any_action = not legal or data.draw(st.integers(min_value=0, max_value=4), label="pick") == 0
        name = data.draw(st.sampled_from(WEIGHTED_NAMES if any_action else legal), label="action")
        args = data.draw(ARGUMENTS[name], label=name)
        before = referral
        snapshot = (before.state, before.owner_org_id, before.history, before.open_offer)
        try:
            transition = apply(referral, name, args)
        except LifecycleError:
            assert referral == before
            assert (before.state, before.owner_org_id, before.history, before.open_offer) == snapshot
            event(f"refused {name}")
            continue
        check_step(before, transition)
        referral = transition.referral
        check_invariants(referral)
        event(f"reached {referral.state}")
