"""What people do to a referral (accept, decline, start, complete, transfer, pass on, cancel, escalate...),
who may do it, and the timer that expires unanswered offers. Each call is one transaction."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from accounts.tokens import SYSTEM, Principal
from db.base import utcnow
from referrals import access, audit, lifecycle
from referrals.availability import cascade_availability
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.models import Offer, Referral
from referrals.passing_on import pass_on_target
from referrals.persistence import Change, pending_offer, persist, to_value
from referrals.policy import LifecyclePolicy
from referrals.reading import organisation_facts
from referrals.sealing import seal

REFUSED_AS = {
    access.Why.NOT_VISIBLE: NotFound,
    access.Why.ROLE: Forbidden,
    access.Why.NOT_YOURS: Forbidden,
}


@dataclass(frozen=True)
class Action:
    name: str
    reason: str = ""
    outcome_code: str = ""
    outcome_codes: tuple[str, ...] = ()  # complete and close: several outcomes (else outcome_code alone)
    note: str = ""
    to_org_id: int | None = None
    volunteer_id: int | None = None  # pass on: to this volunteer of the holder's...
    org_id: int | None = None  # ...or to this group
    occurrence_index: int | None = None
    reason_typed: bool = True  # False where the service supplies the reason itself (SMS, erasure)


def authorise(row: Referral, offer: Offer | None, action: Action, principal: Principal) -> int | None:
    """The access rule's answer, as the error each door maps to a status; the acting organisation."""
    raise_for(access.refusal(principal, row, offer, action.name), row)
    return access.acting_org(principal, row)


def raise_for(refused: access.Refusal | None, row: Referral) -> None:
    if refused is None:
        return
    if refused.why is access.Why.STATE:
        raise Conflict(refused.message, row.status)
    raise REFUSED_AS[refused.why](refused.message)


CONSENT_WITHDRAWN = "the person withdrew consent to share their details: the safety-net team holds it"


def record_consent(
    session: Session,
    referral_id: int,
    consent: bool,
    reason: str,
    principal: Principal,
    policy: LifecyclePolicy,
    now: datetime | None = None,
) -> Referral:
    """The person rang back to give or withdraw consent to share their details. Visibility follows at once
    (the access rule reads it); on a withdrawal, a referral offered to or held by an organisation that may no
    longer hold the person's details goes back to the safety-net team. Audited, the reason sealed."""
    now = now or utcnow()
    row, offer = load_for_update(session, referral_id)
    raise_for(access.consent_refusal(principal, row, offer), row)
    reason = _require(reason, "reason")
    if row.consent_to_share == consent:
        raise Conflict(f"consent is already recorded as {'given' if consent else 'withdrawn'}", row.status)
    row.consent_to_share = consent
    row.updated_at = now
    audit.record(
        session,
        "referral.consent_given" if consent else "referral.consent_withdrawn",
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=seal(session, row.resident_id, {"reason": reason}),
        payload={"consent_to_share": consent},
        now=now,
    )
    # Both the organisation offered it (a cascade offer or a transfer) and the one holding it.
    holders = {
        org for org in (offer and offer.org_id, row.accepted_org_id, row.assigned_org_id) if org is not None
    }
    found = organisation_facts(session, ids=sorted(holders)) if holders and not consent else []
    if any(not access.may_hold_personal_data(consent, org.kind, org.mutual_aid_mode) for org in found):
        escalate = Action("escalate", reason=CONSENT_WITHDRAWN, reason_typed=False)
        apply_action(session, row, offer, escalate, None, principal, policy, now)
    commit_or_conflict(session, row)
    return row


def _outcomes(action: Action) -> tuple[str, ...]:
    if action.outcome_codes:
        return tuple(action.outcome_codes)
    return (_require(action.outcome_code, "outcome_code"),)


def _require(text: str, field: str) -> str:
    if not text.strip():
        raise DomainValidationError(field, f"{field} is required")
    return text.strip()


def _apply(
    value: lifecycle.Referral,
    action: Action,
    org: int | None,
    policy: LifecyclePolicy,
    urgency: str,
    now: datetime,
    available: lifecycle.Availability,
) -> lifecycle.Transition:
    next_expiry = lifecycle.offer_expiry(urgency, now, policy.offer_expiry)
    match action.name:
        case "accept":
            return value.accept(org, now=now)
        case "decline":
            reason = _require(action.reason, "reason")
            return value.decline(org, reason, next_expires_at=next_expiry, available=available)
        case "start":
            return value.start()
        case "complete":
            return value.complete(_outcomes(action), action.note or None)
        case "record_occurrence":
            if action.occurrence_index is None:
                raise DomainValidationError("occurrence_index", "occurrence_index is required")
            return value.record_occurrence(
                action.occurrence_index, _require(action.outcome_code, "outcome_code"), action.note or None
            )
        case "pass_on":
            to_org = value.owner_org_id if action.volunteer_id is not None else action.org_id
            return value.pass_on(
                to_org, action.volunteer_id, expires_at=next_expiry, reason=action.reason.strip() or None
            )
        case "transfer":
            if action.to_org_id is None:
                raise DomainValidationError("to_org_id", "to_org_id is required")
            return value.transfer(action.to_org_id, _require(action.reason, "reason"), expires_at=next_expiry)
        case "cancel":
            return value.cancel(_require(action.reason, "reason"))
        case "escalate":
            return value.escalate(_require(action.reason, "reason"))
        case "close":
            return value.close(_outcomes(action), action.note or None)
    raise DomainValidationError("action", f"unknown action {action.name!r}")


def load_for_update(session: Session, referral_id: int) -> tuple[Referral, Offer | None]:
    locked = select(Referral).where(Referral.id == referral_id).with_for_update(of=Referral)
    row = session.scalars(locked.execution_options(populate_existing=True)).one_or_none()
    if row is None:
        raise NotFound(f"no referral with id {referral_id}")
    offer = session.scalars(
        select(Offer).where(Offer.referral_id == referral_id, Offer.status == "pending").with_for_update()
    ).one_or_none()
    return row, offer


def perform(
    session: Session,
    referral_id: int,
    action: Action,
    principal: Principal,
    policy: LifecyclePolicy,
    now: datetime | None = None,
) -> Referral:
    """A person's action: checked against who they are, applied, committed."""
    now = now or utcnow()
    row, offer = load_for_update(session, referral_id)
    org = authorise(row, offer, action, principal)
    if action.name == "transfer" and action.to_org_id is not None:
        _check_transfer_target(session, row, action.to_org_id)
    if action.name == "pass_on":
        _check_pass_on_target(session, row, action, policy, now)
    apply_action(session, row, offer, action, org, principal, policy, now)
    commit_or_conflict(session, row)
    return row


def apply_action(
    session: Session,
    row: Referral,
    offer: Offer | None,
    action: Action,
    org: int | None,
    principal: Principal,
    policy: LifecyclePolicy,
    now: datetime,
) -> None:
    """Apply one action inside the caller's transaction (no authorisation, no commit)."""
    available = cascade_availability(session, policy.matching_policy, now)
    try:
        value, events = _apply(
            to_value(row, offer), action, org, policy, row.urgency or "routine", now, available
        )
    except (lifecycle.IllegalTransition, lifecycle.InvalidAction) as exc:
        raise Conflict(str(exc), row.status) from exc
    typed = action.reason.strip() if action.reason_typed else None
    persist(session, row, offer, Change(value, events), principal, now, typed)


def _check_transfer_target(session: Session, row: Referral, org_id: int) -> None:
    found = organisation_facts(session, ids=[org_id])
    refused = access.transfer_refusal(row, found[0] if found else None)
    if refused is not None:
        raise DomainValidationError("to_org_id", f"cannot transfer to organisation {org_id}: {refused}")


def _check_pass_on_target(
    session: Session, row: Referral, action: Action, policy: LifecyclePolicy, now: datetime
) -> None:
    """One volunteer of the holder's, or one group, that the access rule allows; a volunteer is checked
    again under a lock on their row (as the cascade does), so two holders never both give their last slot."""
    if (action.volunteer_id is None) == (action.org_id is None):
        raise DomainValidationError("volunteer_id", "name either a volunteer_id or a group's org_id")
    field = "volunteer_id" if action.volunteer_id is not None else "org_id"
    chosen = action.volunteer_id if action.volunteer_id is not None else action.org_id
    target = pass_on_target(
        session, row, policy.matching_policy, now, volunteer_id=action.volunteer_id, org_id=action.org_id
    )
    refused = access.pass_on_refusal(row, target)
    if refused is None and target.volunteer_id is not None:
        candidate = lifecycle.Candidate(row.owner_org_id, row.cascade_tier or "vcs", target.volunteer_id)
        refused = cascade_availability(session, policy.matching_policy, now)(candidate)
    if refused is not None:
        what = "volunteer" if field == "volunteer_id" else "group"
        raise DomainValidationError(field, f"cannot pass it on to {what} {chosen}: {refused}")


def commit_or_conflict(session: Session, row: Referral) -> None:
    try:
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("the referral changed while you were acting on it; reload and try again") from exc


def expire_due_offers(
    session: Session, policy: LifecyclePolicy, now: datetime | None = None, limit: int = 100
) -> int:
    """One sweep: every pending offer past its expiry moves to the next candidate. Safe with many workers:
    each referral is claimed with FOR UPDATE SKIP LOCKED on PostgreSQL and re-checked once locked, so two
    workers never expire the same offer (SQLite transactions are serial)."""
    now = now or utcnow()
    due = select(Offer.referral_id).where(Offer.status == "pending", Offer.expires_at <= now).limit(limit)
    done = 0
    referral_ids = session.scalars(due).all()
    session.rollback()
    for referral_id in referral_ids:
        if _expire_one(session, referral_id, policy, now):
            done += 1
    session.rollback()
    return done


def _expire_one(session: Session, referral_id: int, policy: LifecyclePolicy, now: datetime) -> bool:
    row = session.scalars(
        select(Referral).where(Referral.id == referral_id).with_for_update(of=Referral, skip_locked=True)
    ).one_or_none()
    offer = row and pending_offer(session, referral_id)
    if row is None or offer is None or offer.expires_at > now:
        session.rollback()
        return False
    next_expiry = lifecycle.offer_expiry(row.urgency or "routine", now, policy.offer_expiry)
    available = cascade_availability(session, policy.matching_policy, now)
    value, events = to_value(row, offer).expire(now=now, next_expires_at=next_expiry, available=available)
    persist(session, row, offer, Change(value, events), SYSTEM, now)
    try:
        commit_or_conflict(session, row)
    except Conflict:
        return False
    return True
