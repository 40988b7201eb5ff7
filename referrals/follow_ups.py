"""Follow-up tasks of recurring support (table `follow_up`): raised by the worker for a visit or call missed
(`follow_through.is_missed`) and when a check-in is recorded as 'no answer', listed on the coordinator's
queue and the safety net's late list, and closed by someone who may work them (`access.may_work_follow_up`).
Raising and closing are audited. The escalations that two in a row cause are `referrals.actions`'s."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from referrals import access, audit, follow_through
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.models import FollowUp, Referral
from referrals.sealing import seal

FOLLOW_UP_RAISED = "referral.follow_up_raised"
FOLLOW_UP_DONE = "referral.follow_up_done"
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
    total = len(row.occurrences or [])
    audit.record(
        session,
        FOLLOW_UP_RAISED,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason=follow_through.KIND_WORDS[kind],
        payload={
            "follow_up_id": task.id,
            "kind": kind,
            "occurrence_index": index,
            "of": total,
            "due_at": due_at.isoformat(),
        },
        now=now,
    )
    return task


@dataclass(frozen=True)
class FollowUpItem:
    task: FollowUp
    referral: Referral

    @property
    def what(self) -> str:
        total = len(self.referral.occurrences or [])
        return (
            f"{follow_through.KIND_WORDS[self.task.kind]} (time {self.task.occurrence_index + 1} of {total})"
        )


def open_follow_ups(
    session: Session, principal: Principal, org_ids: list[int] | None = None
) -> list[FollowUpItem]:
    """Open follow-ups the principal may work, soonest due first: a coordinator's for referrals their
    organisation holds or does (`org_ids`), an officer's in their council."""
    query = select(FollowUp, Referral).join(Referral, Referral.id == FollowUp.referral_id)
    query = query.where(FollowUp.status == "open")
    if org_ids is not None:
        query = query.where(Referral.owner_org_id.in_(org_ids) | Referral.assigned_org_id.in_(org_ids))
    if (area := access.area_scope(principal)) is not None:
        query = query.where(Referral.area == area)
    rows = session.execute(query.order_by(FollowUp.due_at, FollowUp.id).limit(LISTED)).all()
    return [FollowUpItem(task, row) for task, row in rows if access.may_work_follow_up(principal, row)]


def close_follow_up(
    session: Session, task_id: int, principal: Principal, note: str = "", now: datetime | None = None
) -> FollowUp:
    """Someone who may work it says what they did and closes it; audited (the note sealed); one commit."""
    now = now or utcnow()
    if len(note) > NOTE_LIMIT:
        raise DomainValidationError("note", f"the note must be {NOTE_LIMIT} characters or fewer")
    task = session.scalar(select(FollowUp).where(FollowUp.id == task_id).with_for_update())
    row = task and session.get(Referral, task.referral_id)
    if task is None or row is None or not access.may_work_follow_up(principal, row):
        raise NotFound(f"no follow-up with id {task_id}")
    if task.status != "open":
        raise Conflict("this follow-up is already done")
    task.status = "done"
    task.done_at = now
    task.done_by = principal.label
    sealed = seal(session, row.resident_id, {"note": note.strip()}) if note.strip() else ""
    audit.record(
        session,
        FOLLOW_UP_DONE,
        principal,
        referral_id=row.id,
        resident_id=row.resident_id,
        reason="done",
        payload={
            "follow_up_id": task.id,
            "kind": task.kind,
            "occurrence_index": task.occurrence_index,
            "of": len(row.occurrences or []),
            "note": sealed,
        },
        now=now,
    )
    session.commit()
    return task


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
