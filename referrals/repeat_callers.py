"""Calls from people who may already be known, that the helpline checks.

A partner referrer is never shown other residents, so its call is not held when the person looks like
someone on record (helpline staff are, with a 409 and the candidates): it is saved and routed at once, and
`referral.repeat_caller_check` puts it on the helpline's list. Whoever may see the candidates (the access
rule's `sees_duplicate_candidates`; an officer only their council's) settles it:
- someone else: recorded, nothing changes;
- the same person: the call's new record is folded into the known one. Its referrals move there, its
  blocking keys go (intake never offers it again), it keeps only the key its words were sealed with
  (`resident.same_as_id`; the timeline reads each event with the key of the record it was written for) and
  it is erased with the person. Their other open referrals say they rang again.
Either way the decision is audited (`referral.repeat_caller_checked`)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from referrals import access, audit
from referrals.awaiting import awaiting
from referrals.duplicates import DuplicateMatch
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.lifecycle import OPEN_STATUSES
from referrals.models import AuditEvent, Referral, Resident, ResidentKey
from referrals.reading import duplicates_shown, get_referral_for, record_people_shown
from referrals.residents import person_record, possible_duplicates

CHECK = "referral.repeat_caller_check"
CHECKED = "referral.repeat_caller_checked"
MAX_LISTED = 50


@dataclass(frozen=True)
class ToCheck:
    referral: Referral
    candidates: list[DuplicateMatch]
    people: dict[int, Resident]
    logged_at: datetime


def waiting_for_check(session: Session, area: str | None, limit: int = MAX_LISTED) -> list[tuple]:
    """(when it was logged, referral) of each call waiting for the check, oldest first, in `area` (None:
    every area). Nothing about the people it may be: that is `to_check`'s, for those who may see them."""
    return awaiting(session, CHECK, CHECKED, area, limit)


def to_check(session: Session, principal: Principal, limit: int = MAX_LISTED) -> list[ToCheck]:
    """Calls waiting for the check, oldest first, each with the known people it may be (scored again now,
    so a record erased or folded since is no longer offered). Showing them is a read, audited."""
    if not access.sees_duplicate_candidates(principal):
        return []
    found = []
    for logged_at, referral in waiting_for_check(session, access.area_scope(principal), limit):
        matches = possible_duplicates(session, person_record(referral.resident))
        shown = duplicates_shown(session, principal, matches)
        ids = [match.resident_id for match in shown]
        people = {row.id: row for row in session.scalars(select(Resident).where(Resident.id.in_(ids)))}
        found.append(ToCheck(referral, shown, people, logged_at))
    shown_ids = [rid for item in found for rid in (item.referral.resident_id, *item.people)]
    record_people_shown(session, list(dict.fromkeys(shown_ids)), principal, "repeat callers to check")
    return found


def settle(
    session: Session,
    referral_id: int,
    principal: Principal,
    same_as: int | None,
    now: datetime | None = None,
) -> Referral:
    """The helpline's answer for one call on the list: `same_as` the known person's id, or None for someone
    else. 403 for a role that may not see candidates, 404 for a referral it may not see, 409 when the call
    is not waiting for the check, 422 when `same_as` is not one of the people it may be. Commits."""
    now = now or utcnow()
    if not access.sees_duplicate_candidates(principal):
        raise Forbidden("only those who may see the people a call may be can check it")
    referral = get_referral_for(session, referral_id, principal)
    locked = session.scalars(
        select(Referral)
        .where(Referral.id == referral.id)
        .with_for_update(of=Referral)
        .execution_options(populate_existing=True)
    ).one()
    kinds = set(
        session.scalars(
            select(AuditEvent.kind).where(
                AuditEvent.referral_id == locked.id, AuditEvent.kind.in_((CHECK, CHECKED))
            )
        )
    )
    if kinds != {CHECK}:
        state = "checked" if CHECKED in kinds else None
        raise Conflict("this call is not waiting for a repeat-caller check", state)
    duplicate = locked.resident
    if same_as is None:
        audit.record(
            session,
            CHECKED,
            principal,
            referral_id=locked.id,
            resident_id=duplicate.id,
            reason="a different person from those already known",
            payload={"outcome": "new_person"},
            now=now,
        )
        session.commit()
        return locked
    candidates = duplicates_shown(session, principal, possible_duplicates(session, person_record(duplicate)))
    if same_as not in {match.resident_id for match in candidates}:
        raise DomainValidationError("same_as", "choose one of the people this call may be")
    # Both records locked in id order (two settles, or a settle and an erasure, wait for each other), and
    # checked again under the lock: neither erased nor already folded into someone.
    both = session.scalars(
        select(Resident)
        .where(Resident.id.in_(sorted({duplicate.id, same_as})))
        .order_by(Resident.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    people = {row.id: row for row in both}
    known, duplicate = people.get(same_as), people.get(duplicate.id)
    if known is None or duplicate is None:
        raise NotFound(f"no resident with id {same_as}")
    if any(row.erased_at is not None or row.same_as_id is not None for row in both):
        raise Conflict("one of these records was erased or folded meanwhile: check the list again")
    _fold(session, duplicate, known, locked, principal, now)
    session.commit()
    return locked


def _fold(
    session: Session,
    duplicate: Resident,
    known: Resident,
    referral: Referral,
    principal: Principal,
    now: datetime,
) -> None:
    moved = list(session.scalars(select(Referral.id).where(Referral.resident_id == duplicate.id)))
    session.execute(
        update(Referral).where(Referral.resident_id == duplicate.id).values(resident_id=known.id),
        execution_options={"synchronize_session": "fetch"},
    )
    session.execute(delete(ResidentKey).where(ResidentKey.resident_id == duplicate.id))
    duplicate.same_as_id = known.id
    # Records folded into this one before now stand for the known person too (erasure follows one step).
    session.execute(
        update(Resident).where(Resident.same_as_id == duplicate.id).values(same_as_id=known.id),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        session,
        CHECKED,
        principal,
        referral_id=referral.id,
        resident_id=known.id,
        reason="the same person as one already known",
        payload={"outcome": "same_person", "resident_id": known.id, "folded_resident_id": duplicate.id},
        now=now,
    )
    audit.record(
        session,
        "resident.folded",
        principal,
        resident_id=known.id,
        reason="a partner's referral of someone already known",
        payload={"folded_resident_id": duplicate.id, "referral_ids": moved},
        now=now,
    )
    session.flush()
    session.expire(referral, ["resident", "resident_id"])  # the bulk update moved it
    note_on_open_referrals(session, referral, principal, now)


def note_on_open_referrals(session: Session, referral: Referral, principal: Principal, now: datetime) -> None:
    """A known person's new referral: their other open referrals' timelines say they rang (or were referred)
    again, so whoever holds them knows, and whether it asks for the same help (a partner's referral folded in
    here may: both go on, and the holders can see it)."""
    others = session.execute(
        select(Referral.id, Referral.needs).where(
            Referral.resident_id == referral.resident_id,
            Referral.status.in_(OPEN_STATUSES),
            Referral.id != referral.id,
        )
    ).all()
    for other, needs in others:
        same = sorted(set(referral.needs or []) & set(needs or []))
        what = "for the same need as this one" if same else "for another need"
        audit.record(
            session,
            "referral.new_request",
            principal,
            referral_id=other,
            resident_id=referral.resident_id,
            reason=f"they rang again: referral {referral.id} opened {what}",
            payload={"call_referral_id": referral.id, "needs": list(referral.needs), "same_needs": same},
            now=now,
        )
