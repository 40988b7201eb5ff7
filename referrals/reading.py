"""What a person may read of a referral, asking the access rule: the referral itself (`get_referral_for`: 404
for one they may not see), the referral as they may see it (`describe`: redacted before their organisation
owns it), its timeline and audit trail with sealed words read back or withheld, reads of personal details
audited, and organisations as the access rule needs them."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from directory.models import Organisation
from referrals import access
from referrals.audit import events_for_referral, record
from referrals.errors import NotFound
from referrals.models import ERASED_TEXT, AuditEvent, Offer, Referral, Resident
from referrals.persistence import pending_offer
from referrals.sealing import PREFIX, unseal

WITHHELD_TEXT = "(withheld until accepted)"


def get_referral_for(session: Session, referral_id: int, principal: Principal) -> Referral:
    """A referral the caller may see; otherwise 'not found', so ids of others' referrals leak nothing."""
    referral = session.get(Referral, referral_id)
    if referral is None or not access.may_see(principal, referral, pending_offer(session, referral_id)):
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


MATCH_RESULTS = ("candidates", "excluded")


def readable_timeline(
    session: Session,
    resident_id: int | None,
    events: list[AuditEvent],
    personal: bool,
    residents: bool = True,
    matching: bool = True,
) -> list[TimelineEvent]:
    """`personal`: the reader may see the person's details; `residents`: which other residents the call was
    matched against as possible duplicates (ids and scores); `matching`: the candidates matching found and
    why others were left out. What is not theirs is left out of the events' data."""

    def read(text, field: str, sealed_for: int | None):
        if not isinstance(text, str) or not text.startswith(PREFIX):
            return text
        if not personal:
            return WITHHELD_TEXT
        # Sealed with the key of the record the event was written for: a referral moved to the same
        # person's other record (referrals/repeat_callers.py) still reads its earlier words.
        owner = sealed_for or resident_id
        opened = owner is not None and unseal(session, owner, text)
        return opened.get(field, ERASED_TEXT) if opened else ERASED_TEXT

    timeline = []
    for event in events:
        payload = dict(event.payload or {})
        if "note" in payload:
            payload["note"] = read(payload["note"], "note", event.resident_id)
        if not residents:
            payload.pop("possible_duplicates", None)
        if not matching:
            for key in MATCH_RESULTS:
                payload.pop(key, None)
        timeline.append(
            TimelineEvent(
                event.seq,
                event.kind,
                event.created_at,
                event.actor,
                event.actor_role,
                event.actor_org_id,
                read(event.reason or "", "reason", event.resident_id),
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


READ_EVENT = "resident.read"  # in the audit trail, not in a referral's timeline


def describe(
    session: Session,
    referral: Referral,
    principal: Principal,
    known: tuple[Offer | None, list[AuditEvent]] | None = None,
    **extra,
) -> ReferralDetail:
    """The referral as `principal` may see it: before their organisation owns it (and always, for an
    organisation that may not hold the person's data) the person is only a district, the call notes and
    the words triage quoted from them are withheld, and the helper's summary is what they read.
    `known`: the current offer and whole timeline when the caller has them (a referral it has just
    created), so they are not read back."""
    if known is None:
        known = (pending_offer(session, referral.id), events_for_referral(session, referral.id))
    current_offer, events = known
    events = [event for event in events if event.kind != READ_EVENT]
    resident = referral.resident
    personal = access.sees_personal_details(principal, referral, current_offer)
    if not personal:
        resident = RedactedResident(resident.id, resident.outcode, resident.area, {})
        extra = {
            "notes": None,
            "no_contact_reason": None,
            "triage": without_quotes(referral.triage),
            "occurrences": [{**o, "note": None} for o in referral.occurrences or []],
            **extra,
        }
    timeline = timeline_for(session, referral, events, principal, personal)
    return ReferralDetail(referral, current_offer, timeline, resident, personal_details=personal, **extra)


def timeline_for(
    session: Session, referral: Referral, events: list[AuditEvent], principal: Principal, personal: bool
) -> list[TimelineEvent]:
    return readable_timeline(
        session,
        referral.resident_id,
        events,
        personal,
        residents=access.sees_every_resident(principal),
        matching=access.sees_match_results(principal),
    )


def without_quotes(decision: dict | None) -> dict | None:
    """A triage decision as one who may not read the notes sees it: each reason's conclusion (the need, the
    tier, the urgency) without the words it quoted (`evidence`) or its `detail`, which can repeat the caller's
    own words (a misspelling read as a need) or the reason a person typed for an override."""
    if not decision:
        return decision
    reasons = [{**r, "evidence": "", "detail": ""} for r in decision.get("reasons", [])]
    return {**decision, "reasons": reasons}


def shown_to(session: Session, referral: Referral, principal: Principal, door: str) -> ReferralDetail:
    """The referral as `principal` may see it (`describe`), the read audited when it shows the person: one
    door's answer, whichever door (`door`: api, web)."""
    offer = pending_offer(session, referral.id)
    record_personal_read(session, referral, principal, door, offer)
    return describe(session, referral, principal, known=(offer, events_for_referral(session, referral.id)))


def record_personal_read(
    session: Session, referral: Referral, principal: Principal, door: str, offer: Offer | None
) -> None:
    """Every read of a person's details is itself audited, whichever door it came through (`door`: api,
    web, audit page, export). `offer`: the referral's pending offer."""
    if not access.audits_personal_read(principal):
        return
    if not access.sees_personal_details(principal, referral, offer):
        return
    record(
        session,
        READ_EVENT,
        principal,
        referral_id=referral.id,
        resident_id=referral.resident_id,
        payload={"door": door},
    )
    session.commit()


def organisation_facts(
    session: Session, ids: list[int] | None = None, area: str | None = None
) -> list[access.OrgFacts]:
    """Organisations as the access rule needs them (by id, or every one of a council area), by name."""
    query = select(
        Organisation.id,
        Organisation.kind,
        Organisation.area,
        Organisation.mutual_aid_mode,
        Organisation.active,
        Organisation.name,
    ).order_by(Organisation.name)
    if ids is not None:
        query = query.where(Organisation.id.in_(ids))
    if area is not None:
        query = query.where(Organisation.area == area)
    return [access.OrgFacts(*row) for row in session.execute(query)]


def duplicates_shown(session: Session, principal: Principal, matches: list) -> list:
    """The possible duplicates (other residents who may be this caller) `principal` may be shown: none to a
    partner referrer; to an officer, only their council's residents (those they may attach a call to)."""
    if not access.sees_duplicate_candidates(principal) or not matches:
        return []
    if access.sees_every_resident(principal):
        return list(matches)
    ids = [match.resident_id for match in matches]
    residents = {row.id: row for row in session.scalars(select(Resident).where(Resident.id.in_(ids)))}
    return [
        m
        for m in matches
        if m.resident_id in residents and access.may_attach(principal, residents[m.resident_id])
    ]


def record_people_shown(session: Session, resident_ids: list[int], principal: Principal, door: str) -> None:
    """People shown as possibly being a caller (name, address, date of birth) are read too: audited."""
    if not resident_ids or not access.audits_personal_read(principal):
        return
    for resident_id in resident_ids:
        record(session, READ_EVENT, principal, resident_id=resident_id, payload={"door": door})
    session.commit()


def audit_timeline(
    session: Session, referral: Referral, principal: Principal, door: str
) -> tuple[list[AuditEvent], list[TimelineEvent]]:
    """A referral's whole audit trail, stored and as `principal` may read it; a read that shows the person's
    sealed words is audited like any other read of their details."""
    events = events_for_referral(session, referral.id)
    offer = pending_offer(session, referral.id)
    personal = access.sees_personal_details(principal, referral, offer)
    readable = timeline_for(session, referral, events, principal, personal)
    record_personal_read(session, referral, principal, door, offer)
    return events, readable
