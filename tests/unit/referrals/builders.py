"""Referrals in each lifecycle state, built through the public actions, and a valid call for each action."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from referrals.lifecycle import Candidate, RecurrencePlan, Referral, State, Tier, Transition

T0 = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(hours=4)
NEXT_EXPIRES = T0 + timedelta(hours=8)
SAFETY_NET = "sn-leeds"
CANDIDATES = (
    Candidate("vcs-1", Tier.VCS),
    Candidate("ma-1", Tier.MUTUAL_AID, "vol-1"),
    Candidate("ma-2", Tier.MUTUAL_AID, "vol-2"),
    Candidate("st-1", Tier.STATUTORY),
)
SIX_WEEKLY_CALLS = RecurrencePlan(every_days=7, count=6, start=T0)


def received() -> Referral:
    return Referral.receive(SAFETY_NET).referral


def triaged(candidates=CANDIDATES, plan: RecurrencePlan | None = None) -> Referral:
    return received().triage(candidates, plan=plan).referral


def offered(plan: RecurrencePlan | None = None) -> Referral:
    return triaged(plan=plan).offer_next(expires_at=EXPIRES).referral


def accepted(plan: RecurrencePlan | None = None) -> Referral:
    return offered(plan).accept("ma-1").referral


def in_progress(plan: RecurrencePlan | None = None) -> Referral:
    return accepted(plan).start().referral


def transferred(plan: RecurrencePlan | None = None) -> Referral:
    """Work under way that its owner has offered to another organisation (pending)."""
    return in_progress(plan).transfer("vcs-1", "needs a befriender", expires_at=EXPIRES).referral


def passed_on(plan: RecurrencePlan | None = None) -> Referral:
    """Work under way that its holder (ma-1) has passed on to one of its own volunteers, waiting for their
    answer (the work goes on meanwhile)."""
    return in_progress(plan).pass_on("ma-1", "vol-7", expires_at=EXPIRES).referral


BUILDERS = {
    State.RECEIVED: received,
    State.TRIAGED: triaged,
    State.OFFERED: offered,
    State.DECLINED: lambda: replace(offered(), state=State.DECLINED),
    State.ACCEPTED: accepted,
    State.IN_PROGRESS: in_progress,
    State.TRANSFERRED: transferred,
    State.PASSED_ON: passed_on,
    State.ESCALATED: lambda: triaged().escalate("safeguarding concern").referral,
    State.COMPLETED: lambda: in_progress().complete("helped").referral,
    State.SIGNPOSTED: lambda: received().signpost("citizens-advice").referral,
    State.CANCELLED: lambda: offered().cancel("resident withdrew").referral,
    State.CLOSED: lambda: accepted().close("duplicate").referral,
}


def build(state: State, plan: RecurrencePlan | None = None) -> Referral:
    if plan is not None:
        assert state in (State.IN_PROGRESS, State.TRANSFERRED, State.PASSED_ON)
        return {State.IN_PROGRESS: in_progress, State.TRANSFERRED: transferred, State.PASSED_ON: passed_on}[
            state
        ](plan)
    return BUILDERS[state]()


def perform(referral: Referral, action: str) -> Transition:
    """Call `action` with arguments that are valid whenever the state allows it."""
    offer = referral.open_offer
    offered_org = offer.org_id if offer else referral.escalated_to or "ma-1"
    calls = {
        "triage": lambda: referral.triage(CANDIDATES),
        "offer": lambda: referral.offer("vcs-9", None, expires_at=EXPIRES),
        "offer_next": lambda: referral.offer_next(expires_at=EXPIRES),
        "accept": lambda: referral.accept(offered_org),
        "decline": lambda: referral.decline(offered_org, "no volunteer free", next_expires_at=NEXT_EXPIRES),
        "expire": lambda: referral.expire(
            now=offer.expires_at if offer else EXPIRES, next_expires_at=NEXT_EXPIRES
        ),
        "start": referral.start,
        "complete": lambda: referral.complete("helped", "shopping delivered"),
        "record_occurrence": lambda: referral.record_occurrence(0, "called", "all well"),
        "transfer": lambda: referral.transfer("vcs-9", "needs a befriender", expires_at=EXPIRES),
        "pass_on": lambda: referral.pass_on(referral.owner_org_id, "vol-7", expires_at=EXPIRES),
        "cancel": lambda: referral.cancel("resident withdrew"),
        "escalate": lambda: referral.escalate("safeguarding concern"),
        "signpost": lambda: referral.signpost("citizens-advice"),
        "close": lambda: referral.close("duplicate"),
    }
    return calls[action]()
