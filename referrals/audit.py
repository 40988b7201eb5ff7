"""Writing the audit trail: append-only, hash-chained, in the same transaction as the change it records."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Text, cast, event, select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from db.base import utcnow
from referrals.audit_chain import (
    AuditRecord,
    Checkpoint,
    VerifyResult,
    chain_hash,
    stored_canonical_json,
    verify,
)
from referrals.audit_checkpoints import publish, sign_checkpoint
from referrals.models import AuditEvent, AuditHead

HEAD_ID = 1
PENDING = "oneroute_audit_pending"


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
    """Add one event to the trail. It is chained and written when the caller's transaction commits, so the
    chain head is locked only for the moment of the commit, and a rolled-back change leaves no event."""
    event = AuditEvent(
        kind=kind,
        referral_id=referral_id,
        resident_id=resident_id,
        actor=principal.label,
        actor_role=principal.role,
        actor_org_id=principal.org_id,
        reason=reason,
        payload=payload or {},
        created_at=now or utcnow(),
    )
    session.info.setdefault(PENDING, []).append(event)
    return event


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A SAVEPOINT (`session.begin_nested()`): leaving it normally keeps its writes; an exception rolls them
    back, with the events recorded inside it, and is raised again. Events recorded before it are kept (a
    savepoint's rollback fires `after_rollback`, which would otherwise drop every pending event)."""
    before = list(session.info.get(PENDING, ()))
    try:
        with session.begin_nested():
            yield
    except BaseException:
        session.info[PENDING] = before
        raise


def pending_events(session: Session, referral_id: int) -> list[AuditEvent]:
    """The events this transaction has recorded so far for a referral, in the order they will be chained."""
    return [e for e in session.info.get(PENDING, ()) if e.referral_id == referral_id]


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (it fires before_commit too): the events wait for the real commit
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()
    head = session.scalars(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()).one()
    for item in pending:
        item.seq, item.prev_hash = head.seq + 1, head.hash
        item.hash = chain_hash(head.hash, item.seq, event_document(item))
        head.seq, head.hash = item.seq, item.hash
    session.add_all(pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


HASHED = ("kind", "referral_id", "resident_id", "actor", "actor_role", "actor_org_id", "reason", "created_at")


def records(session: Session, batch: int = 10_000) -> Iterator[AuditRecord]:
    """The whole trail in sequence order, streamed as plain rows (no ORM objects) with each event's canonical
    JSON made from the payload's stored text (`audit_chain.stored_canonical_json`): verifying ten million
    events is then bound by hashing and JSON rather than by loading objects. An event whose stored form
    cannot be read that way comes as the ORM would load it, so `verify` reports it as it always has."""
    query = (
        select(
            AuditEvent.seq,
            AuditEvent.prev_hash,
            AuditEvent.hash,
            *(getattr(AuditEvent, name) for name in HASHED),
            cast(AuditEvent.payload, Text).label("payload_json"),
        )
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )
    for row in session.connection().execute(query):
        fields = dict(zip(HASHED, row[3:11], strict=True))
        try:
            canonical = stored_canonical_json(fields, row.payload_json)
        except (TypeError, ValueError):
            event = session.get(AuditEvent, row.seq)
            yield AuditRecord(
                seq=row.seq, prev_hash=row.prev_hash, hash=row.hash, event=event_document(event)
            )
            continue
        yield AuditRecord(
            seq=row.seq, prev_hash=row.prev_hash, hash=row.hash, event=fields, canonical=canonical
        )


def verify_trail(session: Session, checkpoints: Iterable[Checkpoint] = ()) -> VerifyResult:
    return verify(records(session), checkpoints=checkpoints)


def checkpoint(session: Session, key: Ed25519PrivateKey, now: datetime | None = None) -> str:
    """The head's seq and hash and the time, signed (one JSON line), for keeping outside the database."""
    head = session.get(AuditHead, HEAD_ID, populate_existing=True)
    line = sign_checkpoint(key, head.seq, head.hash, now or utcnow())
    session.rollback()
    return line


def publish_checkpoint(
    session: Session, key: Ed25519PrivateKey, destination: str, now: datetime | None = None
) -> str:
    """Sign the head as it stands and write it to `destination` (a JSON Lines file or an http(s) URL); the
    line written. Raises `audit_checkpoints.PublishError` when the destination cannot take it."""
    line = checkpoint(session, key, now)
    publish(line, destination)
    return line


def events_for_referral(session: Session, referral_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
        )
    )
