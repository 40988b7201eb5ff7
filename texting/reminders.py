"""Reminders of recurring support: the day before each visit or call of a plan, the volunteer (or the
mutual-aid group's lead) who took it by text is reminded through the SMS outbox and asked to reply DONE after
it (`texting.replies` records it). Each reminder goes once per occurrence whoever writes it (the outbox's
`dedupe_key`, and the referral's row claimed with SKIP LOCKED), with the outbox's retries and opt-out. None is
written in quiet hours: the first sweep after they end writes it, still the day before."""

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from config.quiet_hours import QuietHours
from db.base import utcnow
from directory.phones import InvalidPhone, normalise_phone
from notify.models import OutboxMessage
from notify.outbox import enqueue
from notify.sms_text import fit_segments, to_gsm
from referrals import audit, follow_through
from referrals.follow_ups import has_plan
from referrals.lifecycle import OWNED_STATUSES
from referrals.models import Offer, Referral
from referrals.offer_texts import local_day, need_labels, recipient

logger = logging.getLogger(__name__)
REMINDER_ACTOR = Principal(token_id=None, name="reminders", role="system", org_id=None)
QUEUED = "sms.reminder_queued"


def dedupe_key(referral_id: int, index: int) -> str:
    return f"reminder:{referral_id}:{index}"


def reminder_text(code: str, needs: list[str], index: int, total: int, due: datetime) -> str:
    """Task code, need and day: never a name, phone number or address."""
    what = ", ".join(need_labels(needs)) or "your task"
    return fit_segments(
        to_gsm(
            f"One Route In reminder: task {code} ({what}), time {index + 1} of {total}, is due "
            f"{local_day(due)}. Reply DONE {code} after it, or ring the helpline if you can't."
        ),
        2,
    )


def send_reminders(session: Session, now: datetime | None = None, quiet: QuietHours | None = None) -> int:
    """One sweep: write the reminder of every occurrence due within a day that has none yet. Returns how
    many it wrote."""
    now = now or utcnow()
    if quiet is not None and quiet.is_quiet(now):
        return 0
    rows = session.execute(
        select(Referral.id, Referral.occurrences).where(
            Referral.status.in_(OWNED_STATUSES),
            has_plan(),
            Referral.volunteer_id.is_not(None) | Referral.assigned_org_id.is_not(None),
        )
    ).all()
    wanted = {
        (rid, o["index"])
        for rid, occurrences in rows
        for o in occurrences or []
        if follow_through.reminder_due(o, now)
    }
    if wanted:
        written = set(
            session.scalars(
                select(OutboxMessage.dedupe_key).where(
                    OutboxMessage.dedupe_key.in_([dedupe_key(r, i) for r, i in wanted])
                )
            )
        )
        wanted = {(r, i) for r, i in wanted if dedupe_key(r, i) not in written}
    session.rollback()
    done = 0
    for referral_id, index in sorted(wanted):
        done += _remind_one(session, referral_id, index, now)
    return done


def _texted_offer(session: Session, row: Referral) -> Offer | None:
    """The accepted offer, with a task code, of whoever does the work (a volunteer or a group)."""
    doing = (
        Offer.volunteer_id == row.volunteer_id if row.volunteer_id else Offer.org_id == row.assigned_org_id
    )
    return session.scalars(
        select(Offer)
        .where(Offer.referral_id == row.id, Offer.status == "accepted", Offer.task_code.is_not(None), doing)
        .order_by(Offer.id.desc())
        .limit(1)
    ).first()


def _remind_one(session: Session, referral_id: int, index: int, now: datetime) -> int:
    locked = select(Referral).where(Referral.id == referral_id).with_for_update(of=Referral, skip_locked=True)
    row = session.scalars(locked.execution_options(populate_existing=True)).one_or_none()
    occurrences = list(row.occurrences or []) if row is not None else []
    if row is None or row.status not in OWNED_STATUSES or index >= len(occurrences):
        session.rollback()
        return 0
    occurrence = occurrences[index]
    offer = _texted_offer(session, row)
    if not follow_through.reminder_due(occurrence, now) or offer is None:
        session.rollback()
        return 0
    raw = recipient(session, offer)  # "" when opted out, inactive or an arm's-length group
    try:
        phone = normalise_phone(raw)
    except InvalidPhone:
        phone = ""
    if not phone:
        session.rollback()
        return 0
    due = follow_through.due_at(occurrence)
    body = reminder_text(offer.task_code, list(row.needs), index, len(occurrences), due)
    try:
        with session.begin_nested():
            message = enqueue(
                session,
                phone,
                body,
                "notice",
                referral_id=row.id,
                offer_id=offer.id,
                now=now,
                dedupe_key=dedupe_key(row.id, index),
            )
    except IntegrityError:  # another worker wrote it first
        session.rollback()
        return 0
    audit.record(
        session,
        QUEUED,
        REMINDER_ACTOR,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=f"time {index + 1} of {len(occurrences)} is due {local_day(due)}",
        payload={"message_id": message.id, "occurrence_index": index, "offer_id": offer.id},
        now=now,
    )
    session.commit()
    return 1
