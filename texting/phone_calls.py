"""Working a phone task in the browser: the call made to the lead, its outcome, and the task done. Each
call and the task's end are audited; a note about the call is sealed with the person's key, as typed reasons
are."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from notify.models import PhoneTask
from referrals import access, audit
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.models import AuditEvent, Referral
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
NOTE_LIMIT = 2000


def get_task(session: Session, task_id: int, principal: Principal, *, lock: bool = False) -> PhoneTask:
    """The task if the principal may work it (`access.may_work_phone_task`); otherwise NotFound, as for a
    task that does not exist."""
    query = select(PhoneTask).where(PhoneTask.id == task_id)
    task = session.scalar(query.with_for_update() if lock else query)
    referral = task and task.referral_id and session.get(Referral, task.referral_id)
    if task is None or not access.may_work_phone_task(principal, referral or None):
        raise NotFound(f"no phone task with id {task_id}")
    return task


def record_call(
    session: Session,
    task_id: int,
    principal: Principal,
    outcome: str,
    note: str = "",
    *,
    done: bool = False,
    now: datetime | None = None,
) -> PhoneTask:
    """Record a call made for an open task, and end the task if `done`; one commit."""
    now = now or utcnow()
    if outcome not in CALL_OUTCOMES:
        raise DomainValidationError("outcome", "choose what happened on the call")
    if len(note) > NOTE_LIMIT:
        raise DomainValidationError("note", f"the note must be {NOTE_LIMIT} characters or fewer")
    task = get_task(session, task_id, principal, lock=True)
    if task.status != "open":
        raise Conflict("this phone task is already done")
    resident_id = task.referral_id and session.scalar(
        select(Referral.resident_id).where(Referral.id == task.referral_id)
    )
    sealed_note = seal(session, resident_id, {"note": note}) if note and resident_id else ""
    payload = {"phone_task_id": task.id, "outcome": outcome, "note": sealed_note}
    common = {"referral_id": task.referral_id, "resident_id": resident_id or None, "now": now}
    audit.record(session, CALL_MADE, principal, reason=CALL_OUTCOMES[outcome], payload=payload, **common)
    if done:
        task.status = "done"
        task.done_at = now
        audit.record(session, DONE, principal, reason="done", payload={"phone_task_id": task.id}, **common)
    session.commit()
    return task


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
