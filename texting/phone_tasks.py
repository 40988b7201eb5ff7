"""Phone tasks: a lead helpline staff should ring, because a text could not reach them or their reply could
not be acted on."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from notify.models import PhoneTask
from referrals import audit
from referrals.models import Referral


def raise_phone_task(
    session: Session,
    phone: str,
    reason: str,
    actor: Principal,
    now: datetime,
    *,
    referral_id: int | None = None,
    offer_id: int | None = None,
    outbox_id: int | None = None,
    payload: dict | None = None,
) -> PhoneTask:
    """A follow-up for helpline staff: phone this lead (a text could not reach them, or their reply could not
    be acted on). Audited; the caller commits. The reason is written by the service, never quoted from a
    text, so it holds no one's personal details."""
    task = PhoneTask(
        phone=phone,
        reason=reason,
        status="open",
        referral_id=referral_id,
        offer_id=offer_id,
        outbox_id=outbox_id,
        created_at=now,
    )
    session.add(task)
    session.flush()
    resident_id = referral_id and session.scalar(
        select(Referral.resident_id).where(Referral.id == referral_id)
    )
    audit.record(
        session,
        "sms.phone_task",
        actor,
        referral_id=referral_id,
        resident_id=resident_id or None,
        reason=reason,
        payload={"phone_task_id": task.id, **(payload or {})},
        now=now,
    )
    return task
