"""Referrals waiting on a person: an audit event put each on a list (a call to check against someone known, a
request from outside to review), and another settles it. One query for every such list."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from referrals.models import AuditEvent, Referral, Resident


def awaiting(
    session: Session,
    listed: str,
    settled: str,
    area: str | None,
    limit: int,
    *where: ColumnElement[bool],
) -> list[tuple[datetime, Referral]]:
    """(when it was listed, referral) for each referral with a `listed` audit event and no `settled` one,
    oldest first, at most `limit`, in `area` (None: every area); erased people never; `where` narrows it."""
    done = aliased(AuditEvent)
    query = (
        select(AuditEvent.created_at, Referral)
        .join(Referral, Referral.id == AuditEvent.referral_id)
        .join(Resident, Resident.id == Referral.resident_id)
        .where(
            AuditEvent.kind == listed,
            Resident.erased_at.is_(None),
            *where,
            ~select(done.seq)
            .where(done.referral_id == AuditEvent.referral_id, done.kind == settled)
            .exists(),
        )
        .order_by(AuditEvent.seq)
        .limit(limit)
    )
    if area is not None:
        query = query.where(Referral.area == area)
    return [(at, row) for at, row in session.execute(query).all()]
