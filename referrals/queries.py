"""Reads, with the object-level rule of who may see which referral."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from referrals.audit import events_for_referral, record
from referrals.errors import NotFound
from referrals.models import AuditEvent, Offer, Referral
from referrals.sealing import PREFIX, unseal

ERASED_TEXT = "(erased)"
WITHHELD_TEXT = "(withheld until accepted)"

SEES_ALL = frozenset({"helpline_staff", "safety_net_officer", "admin"})


def may_see(
    referral: Referral, principal: Principal, offered_to: set[int] | frozenset[int] = frozenset()
) -> bool:
    if principal.role == "safety_net_officer" and principal.area is not None:
        return referral.area == principal.area
    if principal.role in SEES_ALL:
        return True
    if principal.role == "partner_referrer":
        own_token = principal.token_id is not None and referral.created_by_token_id == principal.token_id
        return own_token or (principal.org_id is not None and referral.created_by_org_id == principal.org_id)
    if principal.role == "hub_coordinator":
        return principal.org_id is not None and (
            referral.owner_org_id == principal.org_id or principal.org_id in offered_to
        )
    return False


def get_referral_for(session: Session, referral_id: int, principal: Principal) -> Referral:
    """A referral the caller may see; otherwise 'not found', so ids of others' referrals leak nothing."""
    referral = session.get(Referral, referral_id)
    offered_to = {o.org_id for o in pending_offers(session, referral_id)} if referral else set()
    if referral is None or not may_see(referral, principal, offered_to):
        raise NotFound(f"no referral with id {referral_id}")
    return referral


def pending_offers(session: Session, referral_id: int) -> list[Offer]:
    return list(
        session.scalars(select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending"))
    )


@dataclass(frozen=True)
class RedactedResident:
    """What an organisation sees of a person before it has accepted them: where, not who."""

    id: int
    outcode: str
    area: str | None
    flags: dict
    name: str = "(shown after acceptance)"


@dataclass(frozen=True)
class TimelineEvent:
    """An audit event as a referral's timeline shows it. What people wrote (a decline's reason, a note) is
    sealed in the trail with the person's key and read back for those who may see the person's details;
    others, and everyone once the person is erased, see a placeholder. The stored event is never changed."""

    seq: int | None
    kind: str
    created_at: datetime
    actor: str
    actor_role: str
    actor_org_id: int | None
    reason: str
    payload: dict


def readable_timeline(
    session: Session, resident_id: int | None, events: list[AuditEvent], personal: bool
) -> list[TimelineEvent]:
    def read(text, field: str):
        if not isinstance(text, str) or not text.startswith(PREFIX):
            return text
        if not personal:
            return WITHHELD_TEXT
        opened = resident_id is not None and unseal(session, resident_id, text)
        return opened.get(field, ERASED_TEXT) if opened else ERASED_TEXT

    timeline = []
    for event in events:
        payload = dict(event.payload or {})
        if "note" in payload:
            payload["note"] = read(payload["note"], "note")
        timeline.append(
            TimelineEvent(
                event.seq,
                event.kind,
                event.created_at,
                event.actor,
                event.actor_role,
                event.actor_org_id,
                read(event.reason or "", "reason"),
                payload,
            )
        )
    return timeline


class ReferralDetail:
    """A referral as the API shows it: the row, its current offer and its timeline from the audit trail."""

    def __init__(
        self,
        referral: Referral,
        current_offer: Offer | None,
        timeline: list[TimelineEvent],
        resident: object,
        **extra,
    ):
        self._referral = referral
        self.current_offer = current_offer
        self.timeline = timeline
        self.resident = resident
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._referral, name)


def sees_personal_details(referral: Referral, principal: Principal) -> bool:
    if principal.role == "hub_coordinator":
        return principal.org_id is not None and referral.owner_org_id == principal.org_id
    return principal.role in SEES_ALL or principal.role == "partner_referrer"


def describe(
    session: Session,
    referral: Referral,
    principal: Principal,
    known: tuple[Offer | None, list[AuditEvent]] | None = None,
    **extra,
) -> ReferralDetail:
    """`known`: the current offer and whole timeline when the caller has them (a referral it has just
    created), so they are not read back."""
    if known is None:
        offers = pending_offers(session, referral.id)
        known = (offers[0] if offers else None, events_for_referral(session, referral.id))
    current_offer, events = known
    resident = referral.resident
    personal = sees_personal_details(referral, principal)
    if not personal:
        resident = RedactedResident(resident.id, resident.outcode, resident.area, dict(resident.flags))
    timeline = readable_timeline(session, referral.resident_id, events, personal)
    return ReferralDetail(referral, current_offer, timeline, resident, **extra)


AUDITED_READERS = frozenset({"safety_net_officer", "admin"})


def record_personal_read(session: Session, referral: Referral, principal: Principal) -> None:
    """Reads of a person's details by safety-net officers and admins are themselves audited."""
    if principal.role not in AUDITED_READERS:
        return
    record(session, "resident.read", principal, referral_id=referral.id, resident_id=referral.resident_id)
    session.commit()
