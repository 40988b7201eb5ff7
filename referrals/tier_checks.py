"""Checking a lowered tier: a person lowered a referral's tier (an override, or a re-triage whose new notes
did), so it waits on the safety net's late list until an officer or admin other than that person checks it and
lets the lower tier stand (to raise it again, they triage it again). Who may is `access.tier_check_refusal`;
the check is audited (`referral.tier_lowering_checked`, naming the lowering it settles), and the late list
leaves out a lowering a later check settled."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from referrals import access, audit
from referrals.access import Principal
from referrals.actions import raise_for
from referrals.errors import NotFound
from referrals.models import AuditEvent, Referral
from referrals.persistence import pending_offer
from triage import TIERS

RETRIAGE_KINDS = ("triage.overridden", "triage.decided")  # a re-triage records the tier before it
CHECKED = "referral.tier_lowering_checked"


@dataclass(frozen=True)
class Lowering:
    """A person lowered the tier: from and to which tier, who (actor and role), when, and the event's seq."""

    seq: int
    from_tier: str
    to_tier: str
    by: str
    by_role: str
    at: datetime


def lowering(event: AuditEvent) -> Lowering | None:
    """The lowering a re-triage event records; None when it did not lower the tier or was the system's."""
    if event.kind not in RETRIAGE_KINDS or event.actor_role == "system":
        return None
    before = (event.payload.get("before") or {}).get("tier")
    after = (event.payload.get("decision") or {}).get("tier")
    if before in TIERS and after in TIERS and TIERS.index(after) < TIERS.index(before):
        return Lowering(event.seq, before, after, event.actor, event.actor_role, event.created_at)
    return None


def pending_lowering(events: Iterable[AuditEvent]) -> Lowering | None:
    """Of one referral's re-triage and check events, newest first: its newest lowering that no check has
    settled since (a check settles every lowering before it), if any."""
    for event in events:
        if event.kind == CHECKED:
            return None
        found = lowering(event)
        if found is not None:
            return found
    return None


def unchecked_lowering(session: Session, referral_id: int) -> Lowering | None:
    """The newest lowering of the referral's tier that no check has settled since, if any."""
    return pending_lowering(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.referral_id == referral_id, AuditEvent.kind.in_((*RETRIAGE_KINDS, CHECKED)))
            .order_by(AuditEvent.seq.desc())
        )
    )


def check_lowered_tier(
    session: Session, referral_id: int, principal: Principal, now: datetime | None = None
) -> Referral:
    """The officer or admin lets the lowered tier stand: audited, and the referral leaves the late list.
    403 for a role that may not, or for the person who lowered it; 404 for a referral they may not see;
    409 when no lowering waits for a check. Commits."""
    now = now or utcnow()
    locked = session.scalars(
        select(Referral)
        .where(Referral.id == referral_id)
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if locked is None:
        raise NotFound(f"no referral with id {referral_id}")
    found = unchecked_lowering(session, locked.id)
    offer = pending_offer(session, locked.id)
    raise_for(access.tier_check_refusal(principal, locked, offer, found and found.by), locked)
    assert found is not None  # the rule refuses when nothing waits for a check
    audit.record(
        session,
        CHECKED,
        principal,
        referral_id=locked.id,
        resident_id=locked.resident_id,
        payload={"lowering_seq": found.seq, "from_tier": found.from_tier, "to_tier": found.to_tier},
        now=now,
    )
    session.commit()
    return locked
