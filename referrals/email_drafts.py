"""Emails to the helpline as draft calls (table `email_draft`): kept from a mail provider's signed webhook or
the IMAP mailbox (`flask email fetch`), listed for helpline staff (`access.may_work_email_drafts`), and
completed as a call (the call form, which routes it) or dismissed. Nothing is routed from an email by itself,
and the sender is sent nothing automatically: a reply, when one is needed, is staff's. Receiving, completing
and dismissing are audited, without the sender's address or words."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from accounts.tokens import Principal
from db.base import utcnow
from referrals import access, audit
from referrals.email_reading import ReadEmail, read_email
from referrals.errors import Conflict, DomainValidationError, NotFound
from referrals.models import EmailDraft, Referral

DRAFT_RECEIVED = "email.draft_received"
DRAFT_COMPLETED = "email.draft_completed"
DRAFT_DISMISSED = "email.draft_dismissed"
LISTED = 200


def save_draft(
    session: Session, found: ReadEmail, source: str, actor: Principal, now: datetime | None = None
) -> tuple[EmailDraft, bool]:
    """Keep the email as a draft and commit; (the draft, True) or, for an email already kept, (it, False)."""
    now = now or utcnow()
    if not found.sender:
        raise DomainValidationError("from", "the email has no sender address")
    known = session.scalar(select(EmailDraft).where(EmailDraft.message_id == found.message_id))
    if known is not None:
        session.rollback()
        return known, False
    draft = EmailDraft(
        message_id=found.message_id,
        source=source,
        sender=found.sender,
        sender_name=found.sender_name,
        subject=found.subject,
        body=found.body,
        attachments_refused=list(found.attachments),
        status="draft",
        sent_at=found.sent_at,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(draft)
    except IntegrityError:  # the same email, kept a moment ago by another worker
        session.rollback()
        return session.scalar(select(EmailDraft).where(EmailDraft.message_id == found.message_id)), False
    payload = {"email_draft_id": draft.id, "source": source, "attachments_refused": len(found.attachments)}
    reason = "an attachment was refused" if found.attachments else ""
    audit.record(session, DRAFT_RECEIVED, actor, reason=reason, payload=payload, now=now)
    session.commit()
    return draft, True


@dataclass
class FetchReport:
    kept: int = 0
    already: int = 0
    unreadable: int = 0

    def summary(self) -> str:
        kept = f"email: {self.kept} draft call(s) kept, {self.already} already kept"
        return f"{kept}, {self.unreadable} unreadable"


class Mailbox(Protocol):
    """What `fetch_mailbox` needs of a mailbox (`notify.imap_inbox.ImapInbox`)."""

    def unseen(self) -> Iterable[bytes]: ...
    def fetch(self, uid: bytes) -> bytes: ...
    def mark_seen(self, uid: bytes) -> None: ...


def fetch_mailbox(
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    actor: Principal,
    clock: Callable[[], datetime] = utcnow,
) -> FetchReport:
    """Each unseen message kept as a draft; marked seen only once its draft is committed (a crash before that
    fetches it again, and the Message-ID keeps it once). One that cannot be read is left unseen, for a
    person to look at in the mailbox."""
    report = FetchReport()
    for uid in mailbox.unseen():
        raw = mailbox.fetch(uid)
        try:
            found = read_email(raw)
            with session_factory() as session:
                _draft, new = save_draft(session, found, "imap", actor, clock())
        except (DomainValidationError, ValueError, LookupError):
            report.unreadable += 1
            continue
        mailbox.mark_seen(uid)
        if new:
            report.kept += 1
        else:
            report.already += 1
    return report


def drafts(session: Session, principal: Principal, status: str = "draft") -> list[EmailDraft]:
    if not access.may_work_email_drafts(principal):
        return []
    query = select(EmailDraft).where(EmailDraft.status == status)
    return list(session.scalars(query.order_by(EmailDraft.received_at, EmailDraft.id).limit(LISTED)))


def get_draft(session: Session, draft_id: int, principal: Principal, *, lock: bool = False) -> EmailDraft:
    query = select(EmailDraft).where(EmailDraft.id == draft_id)
    draft = session.scalar(query.with_for_update() if lock else query)
    if draft is None or not access.may_work_email_drafts(principal):
        raise NotFound(f"no email with id {draft_id}")
    return draft


def complete(
    session: Session, draft_id: int, referral_id: int, principal: Principal, now: datetime | None = None
) -> EmailDraft:
    """The call made from the email is saved: the draft points at its referral. Committed."""
    now = now or utcnow()
    draft = get_draft(session, draft_id, principal, lock=True)
    if draft.status != "draft":
        raise Conflict("this email has already been dealt with")
    resident_id = session.scalar(select(Referral.resident_id).where(Referral.id == referral_id))
    draft.status, draft.referral_id = "completed", referral_id
    draft.closed_at, draft.closed_by = now, principal.label
    payload = {"email_draft_id": draft.id}
    audit.record(
        session,
        DRAFT_COMPLETED,
        principal,
        referral_id=referral_id,
        resident_id=resident_id,
        payload=payload,
        now=now,
    )
    session.commit()
    return draft


DISMISS_REASONS = {
    "not_help": "Not a request for help (spam, a newsletter, an out-of-office reply)",
    "duplicate": "The same request as a call already logged",
    "answered": "Answered by email: no call needed",
}


def dismiss(
    session: Session, draft_id: int, reason: str, principal: Principal, now: datetime | None = None
) -> EmailDraft:
    now = now or utcnow()
    if reason not in DISMISS_REASONS:
        raise DomainValidationError("reason", "choose why this email is not a call")
    draft = get_draft(session, draft_id, principal, lock=True)
    if draft.status != "draft":
        raise Conflict("this email has already been dealt with")
    draft.status, draft.closed_at, draft.closed_by = "dismissed", now, principal.label
    audit.record(
        session,
        DRAFT_DISMISSED,
        principal,
        reason=DISMISS_REASONS[reason],
        payload={"email_draft_id": draft.id},
        now=now,
    )
    session.commit()
    return draft
