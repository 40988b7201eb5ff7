"""Who holds a referral now, in words, and when its next answer or action is due. Pure: no Flask, no database.

The owner (the organisation accountable for the referral) is not always the one the work waits on: while an
offer is open the safety-net team owns the referral and the offered organisation is the one to answer; while
a transfer is open the sender owns it and does the work until the receiver accepts. The dashboard, the queue
and the API say both, from this one function.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from referrals.lifecycle import CASCADE, PASS_ON, TRANSFER, State

Name = Callable[[int | None], str]


@dataclass(frozen=True)
class Holding:
    """`words`: who holds it and who it waits on; `due_at`: when the next answer or action is due (None: no
    time limit now); `due_what`: what is due then."""

    words: str
    due_at: datetime | None
    due_what: str


def holding(
    referral: Any,
    offer: Any,
    org_name: Name,
    volunteer_name: Name,
    *,
    escalated_at: datetime | None = None,
    act_within: Mapping[str, timedelta] | None = None,
) -> Holding:
    """`referral` and `offer` are the stored rows (or anything with their fields); `act_within` is how long
    the safety net has to act on an escalation, by urgency (the offer windows of config/lifecycle.yaml)."""
    state = State(referral.status)
    owner = org_name(referral.owner_org_id)
    doer = _with_volunteer(org_name(referral.accepted_org_id), volunteer_name(referral.volunteer_id))
    group = getattr(referral, "assigned_org_id", None)
    if group is not None:  # a mutual-aid group said yes to doing the holder's work
        doer = f"{org_name(group)}, for {owner},"
    kind = getattr(offer, "kind", CASCADE) if offer is not None else None
    if kind == PASS_ON:
        to = _with_volunteer(org_name(offer.org_id), volunteer_name(offer.volunteer_id))
        words = f"{owner} holds it and has passed the work on to {to}, who is texted the offer"
        return Holding(words, offer.expires_at, f"{to} to answer")
    if kind == TRANSFER:
        to = org_name(offer.org_id)
        words = (
            f"{owner} holds it and has offered it to {to} by transfer; {owner} keeps it until {to} accepts"
        )
        return Holding(words, offer.expires_at, f"{to} to answer the transfer")
    if offer is not None:
        to = _with_volunteer(org_name(offer.org_id), volunteer_name(offer.volunteer_id))
        words = f"Offered to {to}; {owner} holds it until they accept"
        return Holding(words, offer.expires_at, f"{to} to answer")
    if state is State.ESCALATED:
        target = org_name(referral.escalated_to_org_id or referral.safety_net_org_id)
        window = (act_within or {}).get(referral.urgency or "routine")
        due = escalated_at + window if escalated_at and window else None
        return Holding(f"Escalated to {target}: no one has taken it on yet", due, f"{target} to act")
    if state is State.ACCEPTED:
        return Holding(f"Accepted by {doer.rstrip(',')}; not started yet", *_next_visit(referral))
    if state is State.IN_PROGRESS:
        return Holding(f"{doer.rstrip(',')} is working on it", *_next_visit(referral))
    if state in (State.RECEIVED, State.TRIAGED, State.DECLINED):
        return Holding(f"{owner} holds it: not offered to anyone yet", None, "")
    finished = {
        State.COMPLETED: f"Completed by {owner}",
        State.SIGNPOSTED: f"Signposted to {org_name(getattr(referral, 'signposted_org_id', None))}",
        State.CANCELLED: "Cancelled",
        State.CLOSED: f"Closed by {org_name(referral.safety_net_org_id)}",  # only its officers close
    }
    return Holding(finished.get(state, owner), None, "")


def _with_volunteer(org: str, volunteer: str) -> str:
    return f"{volunteer} of {org}" if volunteer else org


def _next_visit(referral: Any) -> tuple[datetime | None, str]:
    """A recurring plan's next visit or call with no outcome yet; otherwise no time limit."""
    pending = [o for o in referral.occurrences or [] if o.get("outcome_code") is None]
    if not pending:
        return None, ""
    return datetime.fromisoformat(
        pending[0]["due_at"]
    ), f"visit or call {pending[0]['index'] + 1} of the plan"
