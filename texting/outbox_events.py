"""The outbox's events for referrals: each is audited, and a text that cannot be delivered falls back (an
offer text declines the offer so the cascade moves on; any other text becomes a phone task)."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from notify.models import OutboxMessage
from notify.outbox import Deadline
from referrals import audit
from referrals.actions import Action, load_for_update, perform
from referrals.errors import Conflict
from referrals.models import Offer, Referral
from referrals.policy import LifecyclePolicy
from texting.opt_out import set_opt_out
from texting.phone_tasks import raise_phone_task

logger = logging.getLogger(__name__)
OUTBOX_ACTOR = Principal(token_id=None, name="sms-outbox", role="system", org_id=None)
OPTED_OUT_BY_CARRIER = 21610


def fallback_principal(org_id: int) -> Principal:
    """Who declines an offer whose text cannot arrive: the outbox, on behalf of the group it went to."""
    return Principal(token_id=None, name="sms-fallback", role="hub_coordinator", org_id=org_id)


class ReferralSmsEvents:
    """The outbox's events for referrals: each is audited; undeliverable texts fall back."""

    def __init__(self, policy: LifecyclePolicy):
        self.policy = policy

    def record(self, session: Session, message: OutboxMessage, event: str, detail: str = "") -> None:
        resident_id = message.referral_id and session.scalar(
            select(Referral.resident_id).where(Referral.id == message.referral_id)
        )
        audit.record(
            session,
            f"sms.{event}",
            OUTBOX_ACTOR,
            referral_id=message.referral_id,
            resident_id=resident_id or None,
            reason=detail,
            payload={
                "message_id": message.id,
                "kind": message.kind,
                "offer_id": message.offer_id,
                "status": message.status,
                "attempts": message.attempts,
                "twilio_sid": message.twilio_sid,
                "error_code": message.last_error_code,
            },
        )

    def fallback(self, session: Session, message: OutboxMessage) -> None:
        fallback_for_dead_message(session, message, self.policy)

    def send_deadline(self, session: Session, message: OutboxMessage) -> Deadline | None:
        return offer_text_deadline(session, message)


def offer_text_deadline(session: Session, message: OutboxMessage) -> Deadline | None:
    """An offer text is worth sending while its offer is open and not expired: the offer's own timer is its
    limit. Other texts have none of their own (the outbox limits them by age)."""
    if message.kind != "offer" or message.offer_id is None:
        return None
    offer = session.get(Offer, message.offer_id, populate_existing=True)
    if offer is None:
        return None
    if offer.status != "pending":
        return Deadline(message.created_at, f"{CLOSED_OFFER[offer.status]} before the text could be sent")
    return Deadline(offer.expires_at, f"{CLOSED_OFFER['expired']} before the text could be sent")


CLOSED_OFFER = {
    "accepted": "its offer was accepted",
    "declined": "its offer was declined",
    "expired": "its offer expired",
    "withdrawn": "its offer was withdrawn",
}


def fallback_for_dead_message(
    session: Session, message: OutboxMessage, policy: LifecyclePolicy, now: datetime | None = None
) -> str:
    """An offer text that cannot arrive declines the offer (the cascade moves to the next candidate); any
    other text becomes a phone task for helpline staff. Returns what was done."""
    now = now or utcnow()
    code = message.last_error_code
    why = f"text could not be delivered (code {code})" if code else "text could not be delivered"
    if message.kind == "offer" and message.offer_id is not None:
        offer = session.get(Offer, message.offer_id)
        row, pending = load_for_update(session, offer.referral_id)
        if code == OPTED_OUT_BY_CARRIER:
            set_opt_out(session, message.to, True)
        if pending is None or pending.id != offer.id:
            session.commit()
            return "offer no longer open"
        try:
            perform(
                session,
                row.id,
                Action("decline", reason=why, reason_typed=False),
                fallback_principal(offer.org_id),
                policy,
                now,
            )
        except Conflict as exc:
            session.rollback()
            logger.warning("fallback for text %s: could not decline offer %s: %s", message.id, offer.id, exc)
            return "offer changed meanwhile"
        return "declined"
    raise_phone_task(
        session,
        message.to,
        f"Phone this lead: a {message.kind} text could not be sent ({why}).",
        OUTBOX_ACTOR,
        now,
        referral_id=message.referral_id,
        offer_id=message.offer_id,
        outbox_id=message.id,
        payload={"message_id": message.id},
    )
    session.commit()
    return "phone task"
