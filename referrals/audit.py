"""Writing the audit trail: append-only, hash-chained, in the same transaction as the change it records."""

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from referrals.audit_chain import AuditRecord, Checkpoint, VerifyResult, chain_hash, sign_checkpoint, verify
from referrals.models import AuditEvent, AuditHead

HEAD_ID = 1


def event_document(event: AuditEvent) -> dict:
    """The fields a hash covers, in the form `chain_hash` canonicalises."""
    return {
        "kind": event.kind,
        "referral_id": event.referral_id,
        "resident_id": event.resident_id,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "actor_org_id": event.actor_org_id,
        "reason": event.reason,
        "payload": event.payload,
        "created_at": event.created_at,
    }


def record(
    session: Session,
    kind: str,
    principal: Principal,
    *,
    referral_id: int | None = None,
    resident_id: int | None = None,
    reason: str = "",
    payload: dict | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event. Locks the chain head row until the caller's transaction ends."""
    head = session.scalars(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()).one()
    event = AuditEvent(
        seq=head.seq + 1,
        kind=kind,
        referral_id=referral_id,
        resident_id=resident_id,
        actor=principal.label,
        actor_role=principal.role,
        actor_org_id=principal.org_id,
        reason=reason,
        payload=payload or {},
        created_at=now or utcnow(),
        prev_hash=head.hash,
    )
    event.hash = chain_hash(head.hash, event.seq, event_document(event))
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    return event


def records(session: Session, batch: int = 1000) -> Iterator[AuditRecord]:
    """The whole trail in sequence order, streamed."""
    query = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    for event in session.scalars(query):
        yield AuditRecord(
            seq=event.seq, prev_hash=event.prev_hash, hash=event.hash, event=event_document(event)
        )


def verify_trail(session: Session, checkpoint: Checkpoint | None = None) -> VerifyResult:
    return verify(records(session), checkpoint=checkpoint)


def checkpoint(session: Session, key: str, now: datetime | None = None) -> str:
    """The head hash and count, signed, for keeping outside the database."""
    head = session.get(AuditHead, HEAD_ID)
    return sign_checkpoint(head.seq, head.hash, key.encode(), now or utcnow())


def events_for_referral(session: Session, referral_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
        )
    )
