"""The referral lifecycle: a pure state machine over immutable values.

Each action returns `Transition(referral, events)`: the new value and the events the service layer writes to
the audit trail in the same transaction. Illegal actions raise and leave the value as it was. `history`
holds every event of the value's life; a referral rebuilt from stored columns may start with an empty one,
since the returned events are what gets persisted.

Ownership: a referral always has exactly one owning organisation. The organisation that accepted it (or that
it was transferred to) owns it; whenever nothing is accepted, the area's safety-net team owns it.

Transfer is an offer: the organisation that holds the referral offers it to another (state `transferred`,
an open offer of kind "transfer", on the same timers by urgency) and keeps owning it until the receiver
accepts; on a decline or an expiry it returns to the state it was in with the sender (for the safety-net
team, escalated), so ownership never lapses while a handover is pending. Which organisations may receive
a transfer is the access rule's (`referrals.access.transfer_refusal`).

Passing work on is an offer too: a holder that has accepted a referral (a broker, hub or VCS organisation)
offers the work to one of its own volunteers (the offer's organisation is the holder, with the volunteer) or
to a mutual-aid group it works with (state `passed_on`, an open offer of kind "pass_on", on the same timers).
The holder keeps owning the referral throughout: the volunteer's or group's YES records who is doing it
(`volunteer_id`, or `assigned_org_id` for a group) and the referral goes back to the state it was in; a
decline or an expiry returns it to the holder as it was. Which volunteers and groups are allowed is the
access rule's (`referrals.access.pass_on_refusal`).

`declined` is transient: an offer that is declined or expires passes through it and the cascade moves on to
the next candidate, escalating mutual_aid -> vcs -> statutory as each tier runs out, and finally to the
safety-net team (state `escalated`).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from config.quiet_hours import QuietHours
from triage import TIERS

Id = int | str  # organisation and volunteer ids: the database's integers, or any non-empty text


class State(StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    OFFERED = "offered"
    DECLINED = "declined"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    TRANSFERRED = "transferred"
    PASSED_ON = "passed_on"
    ESCALATED = "escalated"
    COMPLETED = "completed"
    SIGNPOSTED = "signposted"
    CANCELLED = "cancelled"
    CLOSED = "closed"


class Tier(StrEnum):
    MUTUAL_AID = "mutual_aid"
    VCS = "vcs"
    STATUTORY = "statutory"


# Lowest first, in triage's order (the one definition of it): the cascade escalates up it.
TIER_ORDER = tuple(Tier(tier) for tier in TIERS)

# Groups of states; each is defined here only, and used by its name everywhere.
TERMINAL_STATES = frozenset({State.COMPLETED, State.SIGNPOSTED, State.CANCELLED, State.CLOSED})
# The organisation that accepted the referral holds it and works on it (a DONE by text applies here).
HOLDING_STATES = frozenset({State.ACCEPTED, State.IN_PROGRESS})
# An organisation's own work: what it holds, what it is handing on by transfer (it owns that until the
# receiver accepts) and what it has passed on to a volunteer or group (it keeps that). Its queue of work and
# its workload count these.
OWNED_STATES = HOLDING_STATES | {State.TRANSFERRED, State.PASSED_ON}
# Handing the work to someone else is pending; work already under way goes on meanwhile.
PENDING_HANDOVER_STATES = frozenset({State.TRANSFERRED, State.PASSED_ON})
NOT_STARTED = MappingProxyType(
    {
        State.TRANSFERRED: "the work had not started when the transfer was offered",
        State.PASSED_ON: "the work had not started when it was passed on",
    }
)
# Someone took the referral on, finished or not: who has helped the person before (continuity).
HELPED_STATES = OWNED_STATES | {State.COMPLETED}


def _statuses(states: Iterable[State]) -> tuple[str, ...]:
    return tuple(sorted(state.value for state in states))


# The same groups as stored status values, for queries.
OPEN_STATUSES = _statuses(set(State) - TERMINAL_STATES)
CLOSED_STATUSES = _statuses(TERMINAL_STATES)
HOLDING_STATUSES = _statuses(HOLDING_STATES)
OWNED_STATUSES = _statuses(OWNED_STATES)
HELPED_STATUSES = _statuses(HELPED_STATES)
PLAN_COMPLETED = "plan_completed"

LEGAL_ACTIONS: Mapping[State, frozenset[str]] = MappingProxyType(
    {
        State.RECEIVED: frozenset({"triage", "escalate", "signpost", "cancel", "close"}),
        State.TRIAGED: frozenset({"offer", "offer_next", "escalate", "signpost", "cancel", "close"}),
        State.OFFERED: frozenset({"accept", "decline", "expire", "escalate", "signpost", "cancel", "close"}),
        State.ACCEPTED: frozenset({"start", "transfer", "pass_on", "escalate", "cancel", "close"}),
        State.IN_PROGRESS: frozenset(
            {"complete", "record_occurrence", "transfer", "pass_on", "escalate", "cancel", "close"}
        ),
        # While a transfer is pending the sender still does the work it had started.
        State.TRANSFERRED: frozenset(
            {"accept", "decline", "expire", "complete", "record_occurrence", "escalate", "cancel", "close"}
        ),
        # Passed on: the volunteer or group answers (or the timer does); the holder waits for it. Work
        # already under way goes on meanwhile (whoever was doing it may finish it).
        State.PASSED_ON: frozenset(
            {"accept", "decline", "expire", "complete", "record_occurrence", "escalate", "cancel", "close"}
        ),
        State.ESCALATED: frozenset(
            {"offer", "offer_next", "accept", "transfer", "signpost", "cancel", "close"}
        ),
        State.DECLINED: frozenset(),
        **{state: frozenset() for state in TERMINAL_STATES},
    }
)
ACTIONS = frozenset().union(*LEGAL_ACTIONS.values())

DEFAULT_OFFER_EXPIRY: Mapping[str, timedelta] = MappingProxyType(
    {"emergency": timedelta(minutes=30), "urgent": timedelta(hours=4), "routine": timedelta(hours=48)}
)


class LifecycleError(Exception):
    """Base of the errors a lifecycle action raises."""


class IllegalTransition(LifecycleError):
    """The action is not allowed in the referral's current state (the API answers 409)."""

    def __init__(self, current_state: State, action: str, detail: str | None = None) -> None:
        self.current_state = current_state
        self.action = action
        message = f"cannot {action} a referral that is {current_state}"
        super().__init__(f"{message}: {detail}" if detail else message)


class InvalidAction(LifecycleError, ValueError):
    """The action is allowed in this state but its arguments are not (wrong organisation, bad index...)."""


def offer_expiry(
    urgency: str, now: datetime, policy: Mapping[str, timedelta], quiet: QuietHours | None = None
) -> datetime:
    """When an offer made `now` expires. In quiet hours its text waits for them to end, so its window starts
    then (an emergency's text goes at once, and its window starts now)."""
    _require_aware(now, "now")
    window = policy.get(urgency)
    if window is None:
        raise ValueError(f"no offer expiry configured for urgency {urgency!r}")
    if window <= timedelta(0):
        raise ValueError(f"offer expiry for {urgency!r} must be positive")
    start = now if quiet is None or urgency == "emergency" else quiet.opens_at(now)
    return start + window


@dataclass(frozen=True)
class Candidate:
    org_id: Id
    tier: Tier
    volunteer_id: Id | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "tier", Tier(self.tier))


# Asked of each candidate the cascade is about to offer to, when the caller passes it: None if the candidate
# can take the offer now, else why not (the candidate is then passed over, with that reason in the trail).
Availability = Callable[[Candidate], str | None]


CASCADE = "cascade"
TRANSFER = "transfer"
PASS_ON = "pass_on"
# Offers that return the referral to the organisation holding it when they are declined or expire.
RETURNING_KINDS = frozenset({TRANSFER, PASS_ON})


@dataclass(frozen=True)
class Offer:
    org_id: Id
    volunteer_id: Id | None
    tier: Tier
    expires_at: datetime
    kind: str = CASCADE
    return_state: State | None = None  # a transfer's or pass-on's: the state it goes back to if not taken

    def __post_init__(self) -> None:
        """Accept plain strings, as a row loaded from the database gives them."""
        object.__setattr__(self, "tier", Tier(self.tier))
        if self.return_state is not None:
            object.__setattr__(self, "return_state", State(self.return_state))


@dataclass(frozen=True)
class Event:
    kind: str
    from_state: State | None
    to_state: State
    actor_org_id: Id | None = None
    reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    # Not a person's doing: the cascade moved on by itself after a decline or an expiry (passing a candidate
    # over, escalating a tier, offering the next one). The trail credits these to the system, not to whoever
    # declined.
    automatic: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "actor_org_id": self.actor_org_id,
            "reason": self.reason,
            "data": dict(self.data),
        }


@dataclass(frozen=True)
class RecurrencePlan:
    every_days: int
    count: int
    start: datetime

    def __post_init__(self) -> None:
        if self.every_days < 1 or self.count < 1:
            raise ValueError("a recurrence plan needs every_days >= 1 and count >= 1")
        _require_aware(self.start, "start")

    def due_at(self, index: int) -> datetime:
        return self.start + timedelta(days=self.every_days * index)


@dataclass(frozen=True)
class Occurrence:
    index: int
    due_at: datetime
    outcome_code: str | None = None
    note: str | None = None


class Transition(NamedTuple):
    referral: "Referral"
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Referral:
    safety_net_org_id: Id
    state: State = State.RECEIVED
    tier: Tier | None = None
    candidates: tuple[Candidate, ...] = ()
    next_candidate: int = 0
    open_offer: Offer | None = None
    accepted_org_id: Id | None = None
    volunteer_id: Id | None = None
    assigned_org_id: Id | None = None  # a group doing the work for the holder, after a pass-on it accepted
    escalated_to: Id | None = None
    plan: RecurrencePlan | None = None
    occurrences: tuple[Occurrence, ...] = ()
    outcome_code: str | None = None
    outcome_codes: tuple[str, ...] = ()  # every outcome recorded at the end; outcome_code is the first
    history: tuple[Event, ...] = ()

    def __post_init__(self) -> None:
        """Accept plain strings and lists, as a row loaded from the database gives them."""
        object.__setattr__(self, "state", State(self.state))
        object.__setattr__(self, "tier", None if self.tier is None else Tier(self.tier))
        for name in ("candidates", "occurrences", "outcome_codes", "history"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @classmethod
    def receive(cls, safety_net_org_id: Id) -> Transition:
        _require_id(safety_net_org_id, "safety_net_org_id")
        event = Event("received", None, State.RECEIVED, data={"safety_net_org_id": safety_net_org_id})
        return Transition(cls(safety_net_org_id=safety_net_org_id, history=(event,)), (event,))

    @property
    def owner_org_id(self) -> Id:
        return self.accepted_org_id if self.accepted_org_id is not None else self.safety_net_org_id

    @property
    def allowed_actions(self) -> frozenset[str]:
        return LEGAL_ACTIONS[self.state]

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    def triage(
        self, candidates: Iterable[Candidate] = (), *, plan: RecurrencePlan | None = None
    ) -> Transition:
        self._require("triage")
        ordered = tuple(sorted(candidates, key=lambda candidate: TIER_ORDER.index(candidate.tier)))
        tier = ordered[0].tier if ordered else Tier.STATUTORY
        occurrences = tuple(Occurrence(i, plan.due_at(i)) for i in range(plan.count)) if plan else ()
        data: dict[str, Any] = {"tier": tier, "candidate_count": len(ordered)}
        if plan:
            data["plan"] = {"every_days": plan.every_days, "count": plan.count, "start": plan.start}
        event = Event("triaged", self.state, State.TRIAGED, data=data)
        return self._step(
            [event], state=State.TRIAGED, tier=tier, candidates=ordered, plan=plan, occurrences=occurrences
        )

    def offer(
        self, org_id: Id, volunteer_id: Id | None = None, *, expires_at: datetime, tier: Tier | None = None
    ) -> Transition:
        self._require("offer")
        _require_id(org_id, "org_id")
        _require_aware(expires_at, "expires_at")
        offer = Offer(org_id, volunteer_id, Tier(tier or self.tier or Tier.STATUTORY), expires_at)
        event = _offered_event(self.state, offer)
        return self._step([event], state=State.OFFERED, tier=offer.tier, open_offer=offer, escalated_to=None)

    def offer_next(self, *, expires_at: datetime, available: Availability | None = None) -> Transition:
        self._require("offer_next")
        _require_aware(expires_at, "expires_at")
        if self.state is State.ESCALATED and self._remaining_candidate() is None:
            raise InvalidAction("no candidates left to offer")
        resumed = self._cascade([], self.state, expires_at, available)
        if self.state is State.ESCALATED and resumed.referral.state is State.ESCALATED:
            raise InvalidAction("none of the candidates left can take it now")  # who holds it stays as it was
        return resumed

    def accept(self, by_org: Id, *, now: datetime | None = None) -> Transition:
        self._require("accept")
        offer = self.open_offer
        if offer is not None:
            if by_org != offer.org_id:
                raise InvalidAction(f"the offer is to {offer.org_id}, not {by_org}")
            if now is not None and now > offer.expires_at:
                raise InvalidAction(f"the offer expired at {offer.expires_at.isoformat()}")
            if offer.kind == PASS_ON:
                return self._pass_on_accepted(offer, by_org)
            volunteer_id = offer.volunteer_id
        elif by_org in (self.escalated_to, self.safety_net_org_id):
            volunteer_id = None
        else:
            raise InvalidAction(f"the referral is escalated to {self.escalated_to}, not {by_org}")
        event = Event(
            "accepted",
            self.state,
            State.ACCEPTED,
            by_org,
            data={"org_id": by_org, "volunteer_id": volunteer_id},
        )
        return self._step(
            [event],
            state=State.ACCEPTED,
            accepted_org_id=by_org,
            volunteer_id=volunteer_id,
            assigned_org_id=None,
            open_offer=None,
            escalated_to=None,
        )

    def _pass_on_accepted(self, offer: Offer, by_org: Id) -> Transition:
        """The volunteer or group takes the work on; the holder keeps it, back in the state it was in."""
        back = offer.return_state or State.ACCEPTED
        group = None if offer.volunteer_id is not None else offer.org_id
        data = {
            "holder_org_id": self.owner_org_id,
            "org_id": offer.org_id,
            "volunteer_id": offer.volunteer_id,
        }
        event = Event("pass_on_accepted", self.state, back, by_org, data=data)
        return self._step(
            [event], state=back, open_offer=None, volunteer_id=offer.volunteer_id, assigned_org_id=group
        )

    def decline(
        self, by_org: Id, reason: str, *, next_expires_at: datetime, available: Availability | None = None
    ) -> Transition:
        self._require("decline")
        offer = self._current_offer()
        if by_org != offer.org_id:
            raise InvalidAction(f"the offer is to {offer.org_id}, not {by_org}")
        _require_text(reason, "reason")
        _require_aware(next_expires_at, "next_expires_at")
        if offer.kind in RETURNING_KINDS:
            return self._returned(f"{offer.kind}_declined", by_org, reason)
        event = Event("declined", self.state, State.DECLINED, by_org, reason, _offer_data(offer))
        return self._cascade([event], State.DECLINED, next_expires_at, available)

    def expire(
        self, *, now: datetime, next_expires_at: datetime, available: Availability | None = None
    ) -> Transition:
        self._require("expire")
        offer = self._current_offer()
        _require_aware(now, "now")
        _require_aware(next_expires_at, "next_expires_at")
        if now < offer.expires_at:
            raise InvalidAction(f"the offer does not expire until {offer.expires_at.isoformat()}")
        if offer.kind in RETURNING_KINDS:
            to = offer.org_id if offer.volunteer_id is None else f"volunteer {offer.volunteer_id}"
            what = "transfer" if offer.kind == TRANSFER else "work passed on"
            return self._returned(f"{offer.kind}_expired", None, f"{what} to {to} expired unanswered")
        reason = f"offer to {offer.org_id} expired unanswered"
        event = Event("expired", self.state, State.DECLINED, None, reason, _offer_data(offer))
        return self._cascade([event], State.DECLINED, next_expires_at, available)

    def start(self) -> Transition:
        self._require("start")
        event = Event("started", self.state, State.IN_PROGRESS, self.owner_org_id)
        return self._step([event], state=State.IN_PROGRESS)

    def complete(self, outcome_codes: str | Iterable[str], note: str | None = None) -> Transition:
        """Finish the work with one outcome code or several (what was done: "shopping delivered" and
        "prescription collected"); the first is `outcome_code`."""
        self._require("complete")
        self._require_work_started("complete")
        codes = _codes(outcome_codes)
        pending = sum(1 for occurrence in self.occurrences if occurrence.outcome_code is None)
        if pending:
            detail = f"{pending} occurrence(s) of the recurring plan have no outcome; close it early instead"
            raise IllegalTransition(self.state, "complete", detail)
        data = {**_outcome(codes, note), **self.done_by}
        event = Event("completed", self.state, State.COMPLETED, self.owner_org_id, data=data)
        return self._step([event], state=State.COMPLETED, open_offer=None, **_finished(codes))

    def record_occurrence(self, index: int, outcome_code: str, note: str | None = None) -> Transition:
        self._require("record_occurrence")
        self._require_work_started("record_occurrence")
        if self.plan is None:
            raise InvalidAction("the referral has no recurring plan")
        if not 0 <= index < len(self.occurrences):
            raise InvalidAction(f"occurrence {index} is outside the plan (0..{len(self.occurrences) - 1})")
        if self.occurrences[index].outcome_code is not None:
            raise InvalidAction(f"occurrence {index} already has an outcome")
        _require_text(outcome_code, "outcome_code")
        recorded = replace(self.occurrences[index], outcome_code=_codes(outcome_code)[0], note=note)
        occurrences = (*self.occurrences[:index], recorded, *self.occurrences[index + 1 :])
        data = {"index": index, "due_at": recorded.due_at, **_outcome((recorded.outcome_code,), note)}
        events = [Event("occurrence_recorded", self.state, self.state, self.owner_org_id, data=data)]
        if all(occurrence.outcome_code is not None for occurrence in occurrences):
            # The plan's end, then what its visits or calls did (each once), for the reports.
            codes = tuple(dict.fromkeys([PLAN_COMPLETED, *(o.outcome_code for o in occurrences)]))
            done = {**_outcome(codes, None), **self.done_by}
            events.append(Event("completed", self.state, State.COMPLETED, self.owner_org_id, data=done))
            return self._step(
                events,
                state=State.COMPLETED,
                occurrences=occurrences,
                open_offer=None,  # a pending transfer of finished work is withdrawn
                **_finished(codes),
            )
        return self._step(events, occurrences=occurrences)

    def transfer(self, to_org: Id, reason: str, *, expires_at: datetime) -> Transition:
        """Offer the referral to `to_org`; the sender keeps it until `to_org` accepts."""
        self._require("transfer")
        _require_id(to_org, "to_org")
        _require_text(reason, "reason")
        _require_aware(expires_at, "expires_at")
        if to_org == self.owner_org_id:
            raise InvalidAction(f"the referral is already owned by {to_org}")
        tier = self.tier or Tier.STATUTORY
        offer = Offer(to_org, None, tier, expires_at, TRANSFER, self.state)
        data = {"from_org_id": self.owner_org_id, "to_org_id": to_org, "expires_at": expires_at}
        event = Event("transferred", self.state, State.TRANSFERRED, self.owner_org_id, reason, data)
        return self._step([event], state=State.TRANSFERRED, open_offer=offer)

    def pass_on(
        self, to_org: Id, volunteer_id: Id | None = None, *, expires_at: datetime, reason: str | None = None
    ) -> Transition:
        """Offer the work to one of the holder's own volunteers (`to_org` is the holder itself) or to a group
        (`to_org`, no volunteer); the holder keeps owning the referral whatever the answer."""
        self._require("pass_on")
        _require_id(to_org, "to_org")
        _require_aware(expires_at, "expires_at")
        holder = self.owner_org_id
        if volunteer_id is None and to_org == holder:
            raise InvalidAction("pass the work on to a volunteer or to a group, not to the holder itself")
        if volunteer_id is not None:
            _require_id(volunteer_id, "volunteer_id")
            if to_org != holder:
                raise InvalidAction(f"a volunteer is offered work through their own organisation, {holder}")
        doing = (
            self.volunteer_id == volunteer_id if volunteer_id is not None else self.assigned_org_id == to_org
        )
        if doing:
            raise InvalidAction("they are already doing it")
        offer = Offer(to_org, volunteer_id, self.tier or Tier.STATUTORY, expires_at, PASS_ON, self.state)
        data = {"holder_org_id": holder, "to_org_id": to_org, "volunteer_id": volunteer_id}
        event = Event("passed_on", self.state, State.PASSED_ON, holder, reason or None, data)
        return self._step([event], state=State.PASSED_ON, open_offer=offer)

    @property
    def done_by(self) -> dict[str, Id]:
        """Who is doing the holder's work for it, when someone is: its volunteer, or a group."""
        found = {"volunteer_id": self.volunteer_id, "assigned_org_id": self.assigned_org_id}
        return {key: value for key, value in found.items() if value is not None}

    def _returned(self, kind: str, by_org: Id | None, reason: str) -> Transition:
        offer = self._current_offer()
        back = offer.return_state or State.ESCALATED
        data = {**_offer_data(offer), "returned_to_org_id": self.owner_org_id}
        event = Event(kind, self.state, back, by_org, reason, data)
        return self._step([event], state=back, open_offer=None)

    def cancel(self, reason: str) -> Transition:
        self._require("cancel")
        _require_text(reason, "reason")
        event = Event("cancelled", self.state, State.CANCELLED, self.owner_org_id, reason)
        return self._step([event], **_released(State.CANCELLED))

    def escalate(self, reason: str, to_org: Id | None = None) -> Transition:
        self._require("escalate")
        _require_text(reason, "reason")
        target = to_org or self.safety_net_org_id
        data = {"from_org_id": self.owner_org_id, "to_org_id": target}
        event = Event("escalated", self.state, State.ESCALATED, self.owner_org_id, reason, data)
        return self._step([event], **_released(State.ESCALATED, escalated_to=target))

    def signpost(self, org_id: Id) -> Transition:
        self._require("signpost")
        _require_id(org_id, "org_id")
        event = Event("signposted", self.state, State.SIGNPOSTED, self.owner_org_id, data={"org_id": org_id})
        return self._step([event], **_released(State.SIGNPOSTED))

    def close(self, outcome_codes: str | Iterable[str], note: str | None = None) -> Transition:
        self._require("close")
        codes = _codes(outcome_codes)
        event = Event("closed", self.state, State.CLOSED, self.owner_org_id, data=_outcome(codes, note))
        return self._step([event], state=State.CLOSED, open_offer=None, escalated_to=None, **_finished(codes))

    def _require(self, action: str) -> None:
        if action not in LEGAL_ACTIONS[self.state]:
            raise IllegalTransition(self.state, action)

    def _require_work_started(self, action: str) -> None:
        """Pending a transfer or a pass-on, the work goes on only if it had started."""
        if self.state in PENDING_HANDOVER_STATES and not self.work_goes_on:
            raise IllegalTransition(self.state, action, NOT_STARTED[self.state])

    @property
    def work_goes_on(self) -> bool:
        """The work is under way: in progress, or in progress when the pending transfer or pass-on was
        offered."""
        if self.state in PENDING_HANDOVER_STATES:
            return self.open_offer is not None and self.open_offer.return_state is State.IN_PROGRESS
        return self.state is State.IN_PROGRESS

    def _current_offer(self) -> Offer:
        assert self.open_offer is not None, "an offered referral always has an open offer"
        return self.open_offer

    def _remaining_candidate(self, start: int | None = None) -> int | None:
        rank = TIER_ORDER.index(self.tier or Tier.MUTUAL_AID)
        for index in range(self.next_candidate if start is None else start, len(self.candidates)):
            if TIER_ORDER.index(self.candidates[index].tier) >= rank:
                return index
        return None

    def _cascade(
        self, events: list[Event], state: State, expires_at: datetime, available: Availability | None
    ) -> Transition:
        """Offer to the next candidate in rank order, escalating a tier whenever one runs out. With
        `available`, each candidate is asked first; one that cannot take it now is passed over for good
        (the `passed_over` event says why) and the next is asked."""
        tier = self.tier or Tier.STATUTORY
        automatic = bool(events)  # moving on after a decline or expiry, rather than a person's "offer next"
        first_new = len(events)
        index = self._remaining_candidate()
        resume_at = self.next_candidate
        while index is not None and available is not None:
            passed = self.candidates[index]
            why = available(passed)
            if why is None:
                break
            data = {"org_id": passed.org_id, "volunteer_id": passed.volunteer_id, "tier": passed.tier}
            events.append(Event("passed_over", state, state, None, why, data))
            resume_at = index + 1
            index = self._remaining_candidate(resume_at)
        target_tier = self.candidates[index].tier if index is not None else Tier.STATUTORY
        while tier != target_tier:
            higher = TIER_ORDER[TIER_ORDER.index(tier) + 1]
            reason = f"no {tier} candidate left; escalating to {higher}"
            data = {"from_tier": tier, "to_tier": higher}
            events.append(Event("escalated", state, State.ESCALATED, None, reason, data))
            state, tier = State.ESCALATED, higher
        if index is None:
            reason = f"no {tier} candidate left; the safety-net team holds the referral"
            data = {"tier": tier, "to_org_id": self.safety_net_org_id}
            events.append(Event("escalated", state, State.ESCALATED, None, reason, data))
            escalated = _released(State.ESCALATED, tier=tier, escalated_to=self.safety_net_org_id)
            return self._step(_marked(events, first_new, automatic), next_candidate=resume_at, **escalated)
        candidate = self.candidates[index]
        offer = Offer(candidate.org_id, candidate.volunteer_id, tier, expires_at)
        events.append(_offered_event(state, offer))
        events = _marked(events, first_new, automatic)
        return self._step(
            events,
            state=State.OFFERED,
            tier=tier,
            open_offer=offer,
            next_candidate=index + 1,
            escalated_to=None,
        )

    def _step(self, events: list[Event], **changes: Any) -> Transition:
        referral = replace(self, history=self.history + tuple(events), **changes)
        assert _continuous(self.state, events, referral.state), "events must lead from old state to new"
        return Transition(referral, tuple(events))


def _continuous(start: State, events: list[Event], end: State) -> bool:
    state = start
    for event in events:
        if event.from_state is not state:
            return False
        state = event.to_state
    return state is end


def _marked(events: list[Event], first: int, automatic: bool) -> list[Event]:
    """The events from `first` on, marked as the cascade's own doing when `automatic`."""
    if not automatic:
        return events
    return events[:first] + [replace(event, automatic=True) for event in events[first:]]


def _offered_event(from_state: State, offer: Offer) -> Event:
    return Event(
        "offered", from_state, State.OFFERED, data={**_offer_data(offer), "expires_at": offer.expires_at}
    )


def _offer_data(offer: Offer) -> dict[str, Any]:
    return {"org_id": offer.org_id, "volunteer_id": offer.volunteer_id, "tier": offer.tier}


def _codes(value: str | Iterable[str]) -> tuple[str, ...]:
    """One outcome code or several, each non-empty text, each once."""
    codes = (value,) if isinstance(value, str) else tuple(value)
    if not codes:
        raise InvalidAction("outcome_code must be a non-empty string")
    for code in codes:
        _require_text(code, "outcome_code")
    if len(set(codes)) != len(codes):
        raise InvalidAction("each outcome code once")
    return codes


def _outcome(codes: tuple[str, ...], note: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {"outcome_code": codes[0], "note": note}
    if len(codes) > 1:
        data["outcome_codes"] = list(codes)
    return data


def _finished(codes: tuple[str, ...]) -> dict[str, Any]:
    return {"outcome_code": codes[0], "outcome_codes": codes}


def _released(state: State, **overrides: Any) -> dict[str, Any]:
    released = {
        "accepted_org_id": None,
        "volunteer_id": None,
        "assigned_org_id": None,
        "open_offer": None,
        "escalated_to": None,
    }
    return {**released, "state": state, **overrides}


def _require_text(value: str, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidAction(f"{name} must be a non-empty string")


def _require_id(value: Id, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidAction(f"{name} must be an id")
    if isinstance(value, str):
        _require_text(value, name)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
