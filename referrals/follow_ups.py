"""Follow-up tasks (table `follow_up`): raised by the worker for a visit or call of a recurring plan missed
(`follow_through.is_missed`), and when a check-in is recorded as 'no answer' (a time of a plan, or a one-off
check-in call finished so: `follow_through.one_off_not_answered`), listed on the coordinator's queue and the
safety net's late list, and closed by someone who may work them (`access.may_work_follow_up`), saying for a
'no answer' one whether they reached the person. Raising, escalating and closing are audited. The decisions
that two in a row cause are `referrals.actions`'s (`work_follow_up`)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from referrals import access, audit, follow_through
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.models import FollowUp, Referral
from referrals.sealing import seal

FOLLOW_UP_RAISED = "referral.follow_up_raised"
FOLLOW_UP_DONE = "referral.follow_up_done"
FOLLOW_UP_ESCALATED = "referral.follow_up_escalated"
ESCALATED_WORDS = "No answer twice in a row: the safety net takes it on"
NOTE_LIMIT = 2000
LISTED = 500


def has_plan():
    """Referrals with a recurring plan (one without stores JSON null, of which IS NOT NULL is true)."""
    return Referral.plan.is_not(None) & (cast(Referral.plan, Text) != "null")


def raise_follow_up(
    session: Session,
    row: Referral,
    kind: str,
    index: int,
    due_at: datetime,
    principal: Principal,
    now: datetime,
) -> FollowUp | None:
    """One follow-up for this occurrence and kind, unless it exists already (None then). The caller holds
    the referral's row lock and commits."""
    found = session.scalar(
        select(FollowUp).where(
            FollowUp.referral_id == row.id, FollowUp.kind == kind, FollowUp.occurrence_index == index
        )
    )
    if found is not None:
        return None
    task = FollowUp(
        referral_id=row.id, kind=kind, occurrence_index=index, status="open", due_at=due_at, created_at=now
    )
    session.add(task)
    session.flush()
    audit.record(
        session,
        FOLLOW_UP_RAISED,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=follow_through.KIND_WORDS[kind],
        payload={**_which(task, row), "due_at": due_at.isoformat()},
        now=now,
    )
    return task


def _which(task: FollowUp, row: Referral) -> dict:
    """The audit payload naming the follow-up and the call it is about: a time of the plan, or the one-off."""
    total = len(row.occurrences or [])
    found = {"follow_up_id": task.id, "kind": task.kind, "occurrence_index": task.occurrence_index}
    return found | ({"of": total} if total else {"one_off": True})


@dataclass(frozen=True)
class FollowUpItem:
    task: FollowUp
    referral: Referral

    @property
    def what(self) -> str:
        total = len(self.referral.occurrences or [])
        which = f"time {self.task.occurrence_index + 1} of {total}" if total else "one-off call"
        words = follow_through.KIND_WORDS[self.task.kind]
        if self.task.status == follow_through.ESCALATED:
            words = f"{ESCALATED_WORDS} ({words[:1].lower()}{words[1:]})"
        return f"{words} ({which})"

    @property
    def asks_if_reached(self) -> bool:
        """Closing it asks whether they reached the person: an open 'no answer' follow-up."""
        return self.task.kind == follow_through.NOT_ANSWERED and self.task.status == follow_through.OPEN


def open_follow_ups(
    session: Session, principal: Principal, org_ids: list[int] | None = None
) -> list[FollowUpItem]:
    """Follow-ups not done that the principal may work, soonest due first: a coordinator's for referrals
    their organisation holds or does (`org_ids`), an officer's in their council (escalated ones too)."""
    query = select(FollowUp, Referral).join(Referral, Referral.id == FollowUp.referral_id)
    query = query.where(FollowUp.status.in_((follow_through.OPEN, follow_through.ESCALATED)))
    if org_ids is not None:
        query = query.where(Referral.owner_org_id.in_(org_ids) | Referral.assigned_org_id.in_(org_ids))
    if (area := access.area_scope(principal)) is not None:
        query = query.where(Referral.area == area)
    rows = session.execute(query.order_by(FollowUp.due_at, FollowUp.id).limit(LISTED)).all()
    return [
        FollowUpItem(task, row)
        for task, row in rows
        if access.may_work_follow_up(principal, row, task.status)
    ]


def load_to_work(session: Session, task_id: int, principal: Principal, note: str, outcome: str) -> FollowUp:
    """The follow-up, locked, if the principal may work it and it is not done; the note and outcome checked
    (an outcome, 'reached' or 'no_answer', is said of a 'no answer' follow-up only)."""
    if len(note) > NOTE_LIMIT:
        raise DomainValidationError("note", f"the note must be {NOTE_LIMIT} characters or fewer")
    task = session.scalar(select(FollowUp).where(FollowUp.id == task_id).with_for_update())
    row = task and session.get(Referral, task.referral_id)
    if task is None or row is None or not access.may_work_follow_up(principal, row, task.status):
        raise NotFound(f"no follow-up with id {task_id}")
    if task.status == follow_through.DONE:
        raise Conflict("this follow-up is already done")
    if outcome and (outcome not in follow_through.CLOSE_OUTCOMES or task.kind != follow_through.NOT_ANSWERED):
        raise DomainValidationError(
            "outcome", "say 'reached' or 'no_answer', and only for a follow-up of a call nobody answered"
        )
    return task


def close(
    session: Session,
    task: FollowUp,
    row: Referral,
    principal: Principal,
    note: str,
    outcome: str,
    now: datetime,
) -> FollowUp:
    """Done: audited with what they did (the note sealed) and whether they reached them; the caller
    commits."""
    task.status = follow_through.DONE
    task.done_at = now
    task.done_by = principal.label
    audit.record(
        session,
        FOLLOW_UP_DONE,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=follow_through.CLOSE_OUTCOMES.get(outcome, "done"),
        payload={**_which(task, row), "outcome": outcome, "note": _sealed(session, row, note)},
        now=now,
    )
    return task


def escalate(
    session: Session, task: FollowUp, row: Referral, principal: Principal, note: str, now: datetime
) -> FollowUp:
    """No answer again on a finished referral: the follow-up itself goes to the area's safety-net team (only
    its officers see and work it now), audited with why; the caller commits."""
    task.status = follow_through.ESCALATED
    audit.record(
        session,
        FOLLOW_UP_ESCALATED,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=ESCALATED_WORDS,
        payload={
            **_which(task, row),
            "outcome": follow_through.NO_ANSWER,
            "note": _sealed(session, row, note),
        },
        now=now,
    )
    return task


def _sealed(session: Session, row: Referral, note: str) -> str:
    return seal(session, row.resident_id, {"note": note.strip()}) if note.strip() else ""


def followed_up(session: Session, referral_ids: list[int]) -> set[tuple[int, int]]:
    """(referral, occurrence) pairs that already have a missed-visit follow-up: the late list shows those as
    the follow-up, not twice."""
    if not referral_ids:
        return set()
    rows = session.execute(
        select(FollowUp.referral_id, FollowUp.occurrence_index).where(
            FollowUp.referral_id.in_(referral_ids), FollowUp.kind == follow_through.MISSED
        )
    ).all()
    return {(r, i) for r, i in rows}
