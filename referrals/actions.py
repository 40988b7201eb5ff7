"""What people do to a referral (accept, decline, start, complete, transfer, pass on, cancel, escalate...),
who may do it, and the timer that expires unanswered offers. Each call is one transaction."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from accounts.tokens import SYSTEM, Principal
from db.base import utcnow
from referrals import access, audit, follow_through, follow_ups, lifecycle
from referrals.availability import cascade_availability
from referrals.errors import Conflict, DomainValidationError, Forbidden, NotFound
from referrals.models import FollowUp, Offer, Referral
from referrals.offer_texts import LOCAL_TIME
from referrals.outcomes import configured as configured_outcomes
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
    next_expiry = lifecycle.offer_expiry(urgency, now, policy.offer_expiry, policy.quiet_hours)
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
    if action.name == "record_occurrence" and action.occurrence_index is not None:
        _after_occurrence(session, row, action.occurrence_index, principal, policy, now)
    if action.name in ("complete", "close"):
        _after_one_off(session, row, principal, now)


NO_ANSWER_TWICE = "no answer on two check-in calls or visits in a row: the safety net takes it on"
MISSED_TWICE = "two visits or calls of the recurring plan missed in a row: the safety net takes it on"


def _after_occurrence(
    session: Session, row: Referral, index: int, principal: Principal, policy: LifecyclePolicy, now: datetime
) -> None:
    """A check-in call or visit recorded as 'no answer': a follow-up to try again the same day; the second
    in a row escalates the referral to the safety net (in the same transaction)."""
    occurrences = list(row.occurrences or [])
    canonical = configured_outcomes().canonical
    if not follow_through.is_no_answer(occurrences[index].get("outcome_code"), canonical):
        return
    due = follow_through.end_of_day(now, LOCAL_TIME)
    follow_ups.raise_follow_up(session, row, follow_through.NOT_ANSWERED, index, due, principal, now)
    if follow_through.not_answered_twice(occurrences, index):
        escalate_for(session, row, NO_ANSWER_TWICE, policy, now)


def _after_one_off(session: Session, row: Referral, principal: Principal, now: datetime) -> None:
    """A one-off check-in or welfare call completed or closed as 'no answer': the person was not reached, so
    the referral does not quietly end. A follow-up to try again the same day goes to whoever held it (on
    their queue and the safety net's late list, though the referral is finished); closing it says whether
    they reached the person (`work_follow_up`)."""
    codes = list(row.outcome_codes or []) or [row.outcome_code or ""]
    canonical = configured_outcomes().canonical
    if not follow_through.one_off_not_answered(row.needs or [], bool(row.plan), codes, canonical):
        return
    due = follow_through.end_of_day(now, LOCAL_TIME)
    index = follow_through.ONE_OFF_INDEX
    follow_ups.raise_follow_up(session, row, follow_through.NOT_ANSWERED, index, due, principal, now)


def work_follow_up(
    session: Session,
    task_id: int,
    principal: Principal,
    policy: LifecyclePolicy,
    note: str = "",
    outcome: str = "",
    now: datetime | None = None,
) -> FollowUp:
    """Someone who may work a follow-up closes it, saying what they did and, for a call nobody answered,
    whether they reached the person this time (`outcome`: 'reached' or 'no_answer'). 'No answer' again is
    the second in a row, so the safety net takes it on: a referral still held is escalated through the
    same action a person uses (and the follow-up is done, the escalation carrying it); a finished one cannot
    be escalated, nor should it be reopened (its outcome stands, and the holder's work is over), so the
    follow-up itself is escalated: it leaves the holder's queue for the area's safety-net team's, who close
    it once they have found the person. Audited; one commit."""
    now = now or utcnow()
    task = follow_ups.load_to_work(session, task_id, principal, note, outcome)
    row, _ = load_for_update(session, task.referral_id)
    twice = follow_through.escalates_on_close(task.kind, task.status, outcome)
    if twice and not escalate_for(session, row, NO_ANSWER_TWICE, policy, now):
        follow_ups.escalate(session, task, row, principal, note, now)
    else:
        follow_ups.close(session, task, row, principal, note, outcome, now)
    commit_or_conflict(session, row)
    return task


def escalate_for(
    session: Session, row: Referral, reason: str, policy: LifecyclePolicy, now: datetime
) -> bool:
    """The service escalates to the safety net, through the same action a person uses (when the referral's
    state allows it: a finished one is not escalated)."""
    if "escalate" not in lifecycle.LEGAL_ACTIONS[lifecycle.State(row.status)]:
        return False
    escalate = Action("escalate", reason=reason, reason_typed=False)
    apply_action(session, row, pending_offer(session, row.id), escalate, None, SYSTEM, policy, now)
    return True


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
    next_expiry = lifecycle.offer_expiry(
        row.urgency or "routine", now, policy.offer_expiry, policy.quiet_hours
    )
    available = cascade_availability(session, policy.matching_policy, now)
    value, events = to_value(row, offer).expire(now=now, next_expires_at=next_expiry, available=available)
    persist(session, row, offer, Change(value, events), SYSTEM, now)
    try:
        commit_or_conflict(session, row)
    except Conflict:
        return False
    return True


def follow_up_missed(session: Session, policy: LifecyclePolicy, now: datetime | None = None) -> int:
    """One sweep: each visit or call of a recurring plan with no outcome by the end of its window
    (`recurring_call_grace` after it was due) becomes a follow-up task, once; the second missed in a row
    escalates the referral to the safety net. Safe with many workers: each referral is claimed with FOR
    UPDATE SKIP LOCKED and read again once locked, and a follow-up is unique per occurrence. Returns how many
    follow-ups it raised."""
    now = now or utcnow()
    grace = policy.recurring_call_grace
    rows = session.execute(
        select(Referral.id, Referral.occurrences).where(
            Referral.status.in_(lifecycle.OWNED_STATUSES), follow_ups.has_plan()
        )
    ).all()
    late = {rid: [o["index"] for o in follow_through.missed(occ or [], grace, now)] for rid, occ in rows}
    late = {rid: indexes for rid, indexes in late.items() if indexes}
    raised = follow_ups.followed_up(session, list(late))
    session.rollback()
    done = 0
    for referral_id, indexes in late.items():
        if all((referral_id, index) in raised for index in indexes):
            continue
        done += _follow_up_one(session, referral_id, policy, now)
    session.rollback()
    return done


def _follow_up_one(session: Session, referral_id: int, policy: LifecyclePolicy, now: datetime) -> int:
    locked = select(Referral).where(Referral.id == referral_id).with_for_update(of=Referral, skip_locked=True)
    row = session.scalars(locked.execution_options(populate_existing=True)).one_or_none()
    if row is None or row.status not in lifecycle.OWNED_STATUSES:
        session.rollback()
        return 0
    occurrences = list(row.occurrences or [])
    grace = policy.recurring_call_grace
    raised, escalate = 0, False
    for occurrence in follow_through.missed(occurrences, grace, now):
        index = occurrence["index"]
        due = follow_through.due_at(occurrence) + grace
        if follow_ups.raise_follow_up(session, row, follow_through.MISSED, index, due, SYSTEM, now):
            raised += 1
            escalate |= follow_through.missed_twice(occurrences, index, grace, now)
    if escalate:
        escalate_for(session, row, MISSED_TWICE, policy, now)
    try:
        commit_or_conflict(session, row)
    except Conflict:
        return 0
    return raised
