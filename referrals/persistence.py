"""The referral lifecycle against the database: the pure state machine's value loaded from the referral row
and its pending offer (`to_value`), and a transition written back (`persist`): the new state, the offers
(each with its task code and offer text) and every event to the audit trail, in the caller's transaction."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from referrals import audit, lifecycle, partner_webhooks
from referrals.lifecycle import Candidate, Occurrence, RecurrencePlan
from referrals.models import Offer, Referral
from referrals.offer_texts import enqueue_offer_text
from referrals.sealing import seal

TASK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
OFFER_CLOSED_BY = {
    "accepted": "accepted",
    "declined": "declined",
    "expired": "expired",
    "transfer_declined": "declined",
    "transfer_expired": "expired",
    "pass_on_accepted": "accepted",
    "pass_on_declined": "declined",
    "pass_on_expired": "expired",
}
NEW_OFFER_EVENTS = frozenset({"offered", "transferred", "passed_on"})
# Who the trail credits with what the cascade did by itself after a person's decline (`Event.automatic`).
CASCADE_ACTOR = Principal(token_id=None, name="cascade", role="system", org_id=None)


def jsonable(value):
    """Event data as plain JSON: aware datetimes as ISO-8601 text, enums as their values."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def pending_offer(session: Session, referral_id: int) -> Offer | None:
    return session.scalar(select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending"))


def to_value(row: Referral, offer: Offer | None) -> lifecycle.Referral:
    plan = row.plan and RecurrencePlan(
        every_days=row.plan["every_days"],
        count=row.plan["count"],
        start=datetime.fromisoformat(row.plan["start"]),
    )
    return lifecycle.Referral(
        safety_net_org_id=row.safety_net_org_id,
        state=row.status,
        tier=row.cascade_tier,
        candidates=[
            Candidate(c["org_id"] or row.safety_net_org_id, c["tier"], c.get("volunteer_id"))
            for c in row.candidates
            if c["action"] == "offer"
        ],
        next_candidate=row.next_candidate,
        open_offer=offer
        and lifecycle.Offer(
            offer.org_id, offer.volunteer_id, offer.tier, offer.expires_at, offer.kind, offer.return_state
        ),
        accepted_org_id=row.accepted_org_id,
        volunteer_id=row.volunteer_id,
        assigned_org_id=row.assigned_org_id,
        escalated_to=row.escalated_to_org_id,
        plan=plan,
        occurrences=[
            Occurrence(o["index"], datetime.fromisoformat(o["due_at"]), o.get("outcome_code"), o.get("note"))
            for o in row.occurrences
        ],
        outcome_code=row.outcome_code,
        outcome_codes=row.outcome_codes or ([row.outcome_code] if row.outcome_code else []),
    )


@dataclass(frozen=True)
class Change:
    """A lifecycle step to persist: the new value and the events that led to it."""

    value: lifecycle.Referral
    events: tuple[lifecycle.Event, ...]


def persist(
    session: Session,
    row: Referral,
    before_offer: Offer | None,
    change: Change,
    principal: Principal,
    now: datetime,
    typed_reason: str | None = None,
    untexted: frozenset[int] = frozenset(),
) -> Offer | None:
    """Write the change. `typed_reason`: the text a person typed as their reason, which may be about the
    resident: the event carrying it has it sealed with the resident's key, so it goes with their erasure
    (reasons the service writes itself, such as an expiry or passing a candidate over, stay plain).
    `untexted`: organisations routing knows are sent no offer text (`enqueue_offer_text`)."""
    value = change.value
    before_status = row.status
    row.status = value.state.value
    row.cascade_tier = value.tier and value.tier.value
    row.next_candidate = value.next_candidate
    row.accepted_org_id = value.accepted_org_id
    row.volunteer_id = value.volunteer_id
    row.assigned_org_id = value.assigned_org_id
    row.escalated_to_org_id = value.escalated_to
    row.owner_org_id = value.owner_org_id
    row.outcome_code = value.outcome_code
    row.outcome_codes = list(value.outcome_codes)
    row.plan = value.plan and jsonable(
        {"every_days": value.plan.every_days, "count": value.plan.count, "start": value.plan.start}
    )
    row.occurrences = [
        jsonable({"index": o.index, "due_at": o.due_at, "outcome_code": o.outcome_code, "note": o.note})
        for o in value.occurrences
    ]
    row.updated_at = now
    kinds = [event.kind for event in change.events]
    new_offer = _sync_offers(session, row, before_offer, value.open_offer, kinds, now, untexted)
    for event in change.events:
        data = jsonable(dict(event.data))
        if data.get("note"):
            data["note"] = seal(session, row.resident_id, {"note": data["note"]})
        if event.kind == "signposted":
            row.signposted_org_id = data.get("org_id")
        reason = event.reason or ""
        if typed_reason and reason == typed_reason:
            reason = seal(session, row.resident_id, {"reason": reason})
        audit.record(
            session,
            f"referral.{event.kind}",
            CASCADE_ACTOR if event.automatic else principal,
            referral_id=row.id,
            resident_id=row.resident_id,
            reason=reason,
            payload={"from": jsonable(event.from_state), "to": jsonable(event.to_state), **data},
            now=now,
        )
    if row.status != (before_status or "received"):
        partner_webhooks.status_changed(session, row, before_status or "received", now)
    return new_offer


def _sync_offers(
    session: Session,
    row: Referral,
    before: Offer | None,
    open_offer: lifecycle.Offer | None,
    kinds: list[str],
    now: datetime,
    untexted: frozenset[int] = frozenset(),
) -> Offer | None:
    unchanged = before is not None and open_offer is not None and not NEW_OFFER_EVENTS.intersection(kinds)
    if unchanged:
        return before
    if before is not None:
        closing = next((OFFER_CLOSED_BY[k] for k in kinds if k in OFFER_CLOSED_BY), "withdrawn")
        before.status = closing
        before.responded_at = now
    if open_offer is None:
        return None
    offer = Offer(
        referral_id=row.id,
        org_id=open_offer.org_id,
        volunteer_id=open_offer.volunteer_id,
        tier=open_offer.tier.value,
        kind=open_offer.kind,
        return_state=open_offer.return_state and open_offer.return_state.value,
        expires_at=open_offer.expires_at,
        status="pending",
        created_at=now,
    )
    session.add(offer)
    session.flush()
    offer.task_code = task_code(offer.id)
    enqueue_offer_text(session, row, offer, untexted)
    return offer


def task_code(offer_id: int) -> str:
    """A short code for SMS replies: the offer id in an unambiguous alphabet, plus two random characters."""
    digits = []
    number = offer_id
    while True:
        number, remainder = divmod(number, len(TASK_CODE_ALPHABET))
        digits.append(TASK_CODE_ALPHABET[remainder])
        if number == 0:
            break
    return "".join(reversed(digits)) + "".join(secrets.choice(TASK_CODE_ALPHABET) for _ in range(2))
