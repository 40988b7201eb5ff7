"""Reads for the people who carry the work: a coordinator's queue and the safety net's dashboard."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from directory.models import Organisation
from referrals import access
from referrals.lifecycle import OPEN_STATUSES, OWNED_STATUSES
from referrals.models import AuditEvent, Offer, Referral
from referrals.routing import ROUTING_FAILED
from triage import TIERS


@dataclass(frozen=True)
class QueueItem:
    """One line of a queue: the offer (if any) and the referral, without personal details."""

    referral: Referral
    offer: Offer | None
    seconds_left: int | None


@dataclass(frozen=True)
class RoutingProblem(QueueItem):
    """A call that was saved although routing it failed: what went wrong, from its audit trail."""

    problem: str
    error: str
    at: datetime


def org_ids_for(session: Session, principal: Principal) -> list[int]:
    if principal.org_id is not None:
        return [principal.org_id]
    if principal.role == "safety_net_officer":
        return list(session.scalars(select(Organisation.id).where(Organisation.kind == "safety_net")))
    return []


def queue(session: Session, principal: Principal, now: datetime | None = None) -> dict[str, list[QueueItem]]:
    now = now or utcnow()
    orgs = org_ids_for(session, principal)
    offers = session.execute(
        select(Offer, Referral)
        .join(Referral, Referral.id == Offer.referral_id)
        .where(Offer.org_id.in_(orgs), Offer.status == "pending")
        .order_by(Offer.expires_at)
    ).all()
    work = session.scalars(
        select(Referral)
        .where(Referral.owner_org_id.in_(orgs), Referral.status.in_(OWNED_STATUSES))
        .order_by(Referral.updated_at)
    ).all()
    held = session.scalars(
        select(Referral).where(Referral.escalated_to_org_id.in_(orgs), Referral.status == "escalated")
    ).all()
    return {
        "offers": [QueueItem(r, o, int((o.expires_at - now).total_seconds())) for o, r in offers],
        "work": [QueueItem(r, None, None) for r in work],
        "escalated": [QueueItem(r, None, None) for r in held],
    }


def _area_filter(principal: Principal):
    area = access.area_scope(principal)
    return True if area is None else Referral.area == area


def safety_net_dashboard(session: Session, principal: Principal, now: datetime | None = None) -> dict:
    now = now or utcnow()
    in_area = _area_filter(principal)
    is_open = Referral.status.in_(OPEN_STATUSES)
    overdue = session.execute(
        select(Offer, Referral)
        .join(Referral, Referral.id == Offer.referral_id)
        .where(in_area, Offer.status == "pending", Offer.expires_at < now)
        .order_by(Offer.expires_at)
    ).all()
    return {
        "overdue_offers": [QueueItem(r, o, int((o.expires_at - now).total_seconds())) for o, r in overdue],
        "escalations": _referrals(session, in_area, Referral.status == "escalated"),
        "open_safeguarding": _referrals(session, in_area, is_open, Referral.safeguarding.is_(True)),
        "gaps": _referrals(session, in_area, is_open, Referral.gap.is_(True)),
        "lowered_tiers": lowered_tiers(session, in_area),
        "routing_problems": routing_problems(session, in_area),
        "unowned_count": session.scalar(
            select(func.count()).select_from(Referral).where(in_area, Referral.owner_org_id.is_(None))
        ),
    }


def _referrals(session: Session, *conditions) -> list[QueueItem]:
    rows = session.scalars(select(Referral).where(*conditions).order_by(Referral.created_at).limit(500))
    return [QueueItem(r, None, None) for r in rows]


def routing_problems(session: Session, in_area=True) -> list[RoutingProblem]:
    """Open referrals whose routing failed at intake (`referral.routing_failed`), oldest first, each with the
    latest problem recorded for it."""
    rows = session.execute(
        select(Referral, AuditEvent)
        .join(AuditEvent, AuditEvent.referral_id == Referral.id)
        .where(in_area, Referral.status.in_(OPEN_STATUSES), AuditEvent.kind == ROUTING_FAILED)
        .order_by(Referral.created_at, Referral.id, AuditEvent.seq)
        .limit(500)
    ).all()
    latest: dict[int, RoutingProblem] = {}
    for referral, event in rows:
        problem = event.payload.get("problem") or event.reason
        latest[referral.id] = RoutingProblem(
            referral, None, None, problem, event.payload.get("error", ""), event.created_at
        )
    return list(latest.values())


RETRIAGE_KINDS = ("triage.overridden", "triage.decided")  # a re-triage records the tier before it


@dataclass(frozen=True)
class LoweredTier(QueueItem):
    """A person lowered the tier of an open referral (an override, or a re-triage whose new notes did): from
    and to which tier, who and when; the reason they gave is in the referral's audit trail."""

    from_tier: str
    to_tier: str
    by: str
    by_role: str
    at: datetime


def lowered_tiers(session: Session, in_area=True) -> list[LoweredTier]:
    """Open referrals whose tier a person lowered, newest lowering first (each lowering once)."""
    rows = session.execute(
        select(Referral, AuditEvent)
        .join(AuditEvent, AuditEvent.referral_id == Referral.id)
        .where(
            in_area,
            Referral.status.in_(OPEN_STATUSES),
            AuditEvent.kind.in_(RETRIAGE_KINDS),
            AuditEvent.actor_role != "system",
            AuditEvent.payload[("before", "tier")].as_string().is_not(None),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(500)
    ).all()
    lowered = []
    for referral, event in rows:
        before = event.payload["before"]["tier"]
        after = (event.payload.get("decision") or {}).get("tier")
        if before in TIERS and after in TIERS and TIERS.index(after) < TIERS.index(before):
            by = (event.actor, event.actor_role)
            lowered.append(LoweredTier(referral, None, None, before, after, *by, event.created_at))
    return lowered
