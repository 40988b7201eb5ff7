"""Checking the audit trail from a referral's audit page: the hash chain is one chain across every referral,
so the whole of it is checked (as `flask audit verify` does), and the answer is told for the referral's own
entries. The check is itself audited (`audit.verified`, kept out of the referral's own trail and timeline)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.tokens import Principal
from referrals import audit
from referrals.models import AuditEvent

VERIFIED = "audit.verified"


@dataclass(frozen=True)
class TrailCheck:
    ok: bool
    checked: int  # entries of the whole chain found sound, in order from the first
    last_seq: int | None  # the last sound entry
    last_at: datetime | None
    first_bad_seq: int | None
    problem: str | None
    own_entries: int  # the referral's entries
    own_sound: int  # of them, those before any break


def check_trail(session: Session, referral_id: int, principal: Principal, door: str) -> TrailCheck:
    """Verify the whole chain, record that `principal` did, and commit."""
    result = audit.verify_trail(session)
    last_at = None
    if result.count:
        last_at = session.scalar(select(AuditEvent.created_at).where(AuditEvent.seq == result.count))
    own = session.scalars(select(AuditEvent.seq).where(AuditEvent.referral_id == referral_id)).all()
    bad = result.first_bad_seq
    check = TrailCheck(
        ok=result.ok,
        checked=result.count,
        last_seq=result.count or None,
        last_at=last_at,
        first_bad_seq=bad,
        problem=result.problem,
        own_entries=len(own),
        own_sound=sum(1 for seq in own if bad is None or seq < bad),
    )
    audit.record(
        session,
        VERIFIED,
        principal,
        payload={
            "referral_id": referral_id,
            "door": door,
            "ok": result.ok,
            "entries_checked": result.count,
            "first_bad_seq": bad,
            "head_hash": result.head_hash,
        },
    )
    session.commit()
    return check
