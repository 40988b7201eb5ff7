"""Working a phone task in the browser: the call made to the lead, its outcome, and the task done. Each
call and the task's end are audited; a note about the call is sealed with the person's key, as typed reasons
are. The second unanswered call in a row (on the task, or on the phone tasks of the same referral:
`follow_through.calls_not_answered_twice`) escalates to the safety net: the task becomes the safety-net
officers' alone, and a referral in a state that may be escalated goes to the safety-net team, as a person's
escalation does."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from notify.models import PhoneTask
from referrals import access, audit, follow_through
from referrals.actions import escalate_for, load_for_update
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.models import AuditEvent, Referral
from referrals.policy import LifecyclePolicy
from referrals.sealing import seal, unseal

CALL_OUTCOMES = {
    "will_do": "Spoke to them: they will do it",
    "cannot_do": "Spoke to them: they cannot do it",
    "already_done": "Spoke to them: it is already done",
    "no_answer": "No answer",
    "left_message": "Left a message",
    "wrong_number": "Wrong number",
}
CALL_MADE = "sms.phone_task_call"
DONE = "sms.phone_task_done"
ESCALATED = "sms.phone_task_escalated"
NOT_ANSWERED_TWICE = "two calls in a row went unanswered: the safety net takes it on"
NOTE_LIMIT = 2000


def get_task(session: Session, task_id: int, principal: Principal, *, lock: bool = False) -> PhoneTask:
    """The task if the principal may work it (`access.may_work_phone_task`); otherwise NotFound, as for a
    task that does not exist."""
    query = select(PhoneTask).where(PhoneTask.id == task_id)
    task = session.scalar(query.with_for_update() if lock else query)
    referral = task and task.referral_id and session.get(Referral, task.referral_id)
    if task is None or not access.may_work_phone_task(principal, referral or None, task.status):
        raise NotFound(f"no phone task with id {task_id}")
    return task


def record_call(
    session: Session,
    task_id: int,
    principal: Principal,
    outcome: str,
    note: str = "",
    *,
    policy: LifecyclePolicy,
    done: bool = False,
    now: datetime | None = None,
) -> PhoneTask:
    """Record a call made for a task not done, and end the task if `done`; a second unanswered call in a row
    escalates (`_escalate`); one commit."""
    now = now or utcnow()
    if outcome not in CALL_OUTCOMES:
        raise DomainValidationError("outcome", "choose what happened on the call")
    if len(note) > NOTE_LIMIT:
        raise DomainValidationError("note", f"the note must be {NOTE_LIMIT} characters or fewer")
    task = get_task(session, task_id, principal, lock=True)
    if task.status == "done":
        raise Conflict("this phone task is already done")
    row = load_for_update(session, task.referral_id)[0] if task.referral_id else None
    resident_id = row.resident_id if row else None
    before = _outcomes_before(session, task)
    sealed_note = seal(session, resident_id, {"note": note}) if note and resident_id else ""
    payload = {"phone_task_id": task.id, "outcome": outcome, "note": sealed_note}
    common = {"referral_id": task.referral_id, "resident_id": resident_id, "now": now}
    audit.record(session, CALL_MADE, principal, reason=CALL_OUTCOMES[outcome], payload=payload, **common)
    if task.status == "open" and follow_through.calls_not_answered_twice([*before, outcome]):
        _escalate(session, task, row, principal, policy, now)
    if done:
        task.status = "done"
        task.done_at = now
        audit.record(session, DONE, principal, reason="done", payload={"phone_task_id": task.id}, **common)
    session.commit()
    return task


def _outcomes_before(session: Session, task: PhoneTask) -> list[str]:
    """The outcomes of the calls made before, oldest first: for the phone tasks of the task's referral, or
    for the task alone when it is about no referral."""
    query = select(AuditEvent.payload).where(AuditEvent.kind == CALL_MADE)
    if task.referral_id is not None:
        query = query.where(AuditEvent.referral_id == task.referral_id)
    else:
        query = query.where(AuditEvent.payload["phone_task_id"].as_integer() == task.id)
    return [payload.get("outcome", "") for payload in session.scalars(query.order_by(AuditEvent.seq))]


def _escalate(
    session: Session,
    task: PhoneTask,
    row: Referral | None,
    principal: Principal,
    policy: LifecyclePolicy,
    now: datetime,
) -> None:
    """Two unanswered calls in a row: the task goes to the safety-net officers (the helpline no longer lists
    it), audited with why and whether the referral went too; a referral that may be escalated (offered,
    held, in progress...) is escalated to the safety-net team through the same action a person uses. One
    already with the safety net, finished, or no referral at all: the task alone is escalated."""
    task.status = "escalated"
    referral_escalated = row is not None and escalate_for(session, row, NOT_ANSWERED_TWICE, policy, now)
    audit.record(
        session,
        ESCALATED,
        principal,
        referral_id=task.referral_id,
        resident_id=row.resident_id if row else None,
        reason=NOT_ANSWERED_TWICE,
        payload={"phone_task_id": task.id, "referral_escalated": referral_escalated},
        now=now,
    )


def calls_made(session: Session, task_ids: list[int]) -> dict[int, list[AuditEvent]]:
    """The calls recorded for each task, oldest first (their outcome is the event's reason)."""
    if not task_ids:
        return {}
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind == CALL_MADE, AuditEvent.payload["phone_task_id"].as_integer().in_(task_ids))
        .order_by(AuditEvent.seq)
    )
    found: dict[int, list[AuditEvent]] = {}
    for event in events:
        found.setdefault(event.payload["phone_task_id"], []).append(event)
    return found


def call_note(session: Session, event: AuditEvent) -> str:
    """The note recorded with a call, unsealed (empty once the person is erased, or when there was none).
    Only the helpline and officers who may work the task are shown it, as they may see the person."""
    sealed = event.payload.get("note") or ""
    if not sealed or event.resident_id is None:
        return ""
    return (unseal(session, event.resident_id, sealed) or {}).get("note", "")
