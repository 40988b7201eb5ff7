"""Sending the outbox: claim due texts under a lease, hand each to the SMS sender, store Twilio's SID, retry
what may clear by itself and give up on the rest (the caller's fallback then routes the task another way).

Safe with several workers: a claim takes rows with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite transactions
are serial) and leases them for `lease_seconds`; a worker renews the lease just before each send and sends
with no transaction open. A worker that dies mid-send leaves its rows `sending`; once the lease has passed any
worker claims them again, so nothing is lost.

Retries ride out an outage of hours: a transient failure waits an exponentially growing, capped time
(`notify.errors.backoff_delay`) and the defaults promise at least `shortest_retry_window` of attempts (over 7
hours). What limits a text is whether it is still worth sending: an offer text only while its offer is open
and not expired (the offer's own timer, told by `OutboxEvents.send_deadline`), any other text for
`max_age_seconds` after it was written. A text past its limit is dead-lettered with that reason; an offer
text's task then moves on by the offer's timer, not by the fallback.

At-least-once, bounded: `attempts` counts every claim, so a text is handed to Twilio at most `max_attempts`
times. A duplicate needs Twilio to accept a text whose SID we then failed to store (a crash, or a timeout
after Twilio had taken it). Each send carries its own status-callback URL (`?m=<row>&a=<attempt>`): a callback
for a row with no SID yet stores that SID, so the lease expiry does not send the text again; a second SID for
the same row is kept in `duplicate_sids` and recorded as a `duplicate` event.

A database outage between Twilio's answer and storing its SID (a restart, a failover) raises `SentNotStored`
carrying the SID; the sender keeps it (`Unstored`) and stores it first on its next pass, before it claims
anything, so a single worker never sends that text again. With several workers, another may claim the row
again if the outage outlasts the lease (`lease_seconds`); the status callback then still records the second
SID as a duplicate.
"""

import os
import re
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol
from urllib.parse import urlencode

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from config.quiet_hours import QuietHours
from db.base import utcnow
from notify.errors import SmsSendError, backoff_delay
from notify.models import OutboxMessage
from notify.sms_sender import SentMessage, SmsSender

OUTBOX_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3, "dead": 3}
TWILIO_RANK = {
    **dict.fromkeys(("accepted", "scheduled", "queued"), 0),
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "read": 4,
    **dict.fromkeys(("undelivered", "failed", "canceled"), 5),
}
OUTBOX_STATUS_OF_TWILIO = {
    **dict.fromkeys(("accepted", "scheduled", "queued", "sending", "sent"), "sent"),
    **dict.fromkeys(("delivered", "read"), "delivered"),
    "undelivered": "undelivered",
    **dict.fromkeys(("failed", "canceled"), "failed"),
}
TWILIO_FINAL = frozenset({"undelivered", "failed", "canceled"})
STATUS_PATH = "/sms/status"
REFERENCE_PREFIX = "outbox-"
REFERENCE = re.compile(rf"{REFERENCE_PREFIX}(?P<message>\d+)-(?P<attempt>\d+)")


@dataclass(frozen=True)
class OutboxSettings:
    max_attempts: int = 100
    lease_seconds: float = 60.0
    backoff_base: float = 2.0
    backoff_cap: float = 600.0
    batch_size: int = 50
    public_base_url: str = ""
    max_age_seconds: float = 6 * 3600.0
    quiet: QuietHours | None = None  # texts that wait for the day are not claimed in these hours

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> "OutboxSettings":
        return cls(
            max_attempts=int(settings["SMS_MAX_ATTEMPTS"]),
            lease_seconds=float(settings["SMS_LEASE_SECONDS"]),
            backoff_base=float(settings["SMS_BACKOFF_BASE_SECONDS"]),
            backoff_cap=float(settings["SMS_BACKOFF_CAP_SECONDS"]),
            batch_size=int(settings["SMS_BATCH_SIZE"]),
            public_base_url=str(settings["PUBLIC_BASE_URL"]),
            max_age_seconds=float(settings["SMS_MAX_AGE_SECONDS"]),
            quiet=QuietHours.parse(str(settings["QUIET_HOURS"]), str(settings["COUNCIL_TIMEZONE"])),
        )


class Deadline(NamedTuple):
    """When a text stops being worth sending, and why (said in its dead-letter event)."""

    at: datetime
    why: str


class OutboxEvents(Protocol):
    """What the outbox tells the rest of the service (the audit trail, the fallback)."""

    def record(self, session: Session, message: OutboxMessage, event: str, detail: str = "") -> None:
        """`sent`, `retry`, `dead`, `delivered`, `delivery_failed` or `duplicate`, written in the caller's
        transaction (which the outbox then commits)."""
        ...

    def fallback(self, session: Session, message: OutboxMessage) -> None:
        """The text will never arrive: route its task another way. Called after the failure is committed;
        commits its own work. If it never runs (a crash), the offer's expiry timer still moves the task on."""
        ...

    def send_deadline(self, session: Session, message: OutboxMessage) -> Deadline | None:
        """The text's own limit, if it has one (an offer text: its offer's expiry, or a time already past
        once the offer is closed); None for texts limited only by their age (`max_age_seconds`). A text
        past its own limit is dead-lettered without the fallback: its task already moved on."""
        ...


@dataclass
class SendReport:
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def summary(self) -> str:
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self.outcomes.items()))
        return f"claimed {self.claimed} text(s)" + (f": {parts}" if parts else "")


@dataclass(frozen=True)
class Unstored:
    """A text Twilio accepted whose SID is not stored yet (the database went away in between)."""

    message_id: int
    accepted: SentMessage


class SentNotStored(RuntimeError):
    """Twilio accepted the text, but storing its SID failed; the cause is the database error."""

    def __init__(self, unstored: Unstored):
        super().__init__(f"outbox message {unstored.message_id} was sent but its SID was not stored")
        self.unstored = unstored


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def enqueue(
    session: Session,
    to: str,
    body: str,
    kind: str,
    *,
    referral_id: int | None = None,
    offer_id: int | None = None,
    now: datetime | None = None,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
    waits_for_day: bool = False,
) -> OutboxMessage:
    """Add a text to the outbox in the caller's transaction: it leaves only if that transaction commits, and
    not before `not_before` (a text written in quiet hours waits for them to end). With a `dedupe_key` a
    second text with the same key fails the insert (IntegrityError), so it is written once."""
    now = now or utcnow()
    message = OutboxMessage(
        to=to,
        body=body,
        kind=kind,
        status="queued",
        next_attempt_at=max(now, not_before or now),
        dedupe_key=dedupe_key,
        waits_for_day=waits_for_day,
        referral_id=referral_id,
        offer_id=offer_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def status_callback_url(public_base_url: str, message_id: int, attempt: int) -> str | None:
    if not public_base_url:
        return None
    return f"{public_base_url.rstrip('/')}{STATUS_PATH}?{urlencode({'m': message_id, 'a': attempt})}"


def outbox_reference(message_id: int, attempt: int) -> str:
    """The reference a provider such as GOV.UK Notify keeps with the text and returns in its receipts."""
    return f"{REFERENCE_PREFIX}{message_id}-{attempt}"


def message_of_reference(reference: str | None) -> int | None:
    """The outbox row a reference names, or None when it is not one of ours (a text sent another way)."""
    match = REFERENCE.fullmatch(reference or "")
    return int(match["message"]) if match else None


def claim_batch(
    session: Session,
    worker_id: str,
    limit: int,
    now: datetime,
    lease_seconds: float = 60.0,
    quiet: QuietHours | None = None,
) -> list[int]:
    """Lease up to `limit` due texts (queued and due, or sending with a lapsed lease) to this worker; in
    quiet hours, none that waits for the day (it stays queued until they end)."""
    due = or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_until <= now),
    )
    if quiet is not None and quiet.is_quiet(now):
        due = and_(due, OutboxMessage.waits_for_day.is_(False))
    rows = session.scalars(
        select(OutboxMessage)
        .where(due)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status = "sending"
        row.claimed_by = worker_id
        row.claimed_until = now + timedelta(seconds=lease_seconds)
        row.attempts += 1
        row.last_attempt_at = now
    ids = [row.id for row in rows]
    session.commit()
    return ids


def send_pending(
    session_factory: sessionmaker[Session],
    sender: SmsSender,
    events: OutboxEvents,
    settings: OutboxSettings,
    worker_id: str,
    clock: Callable[[], datetime] = utcnow,
    unstored: list[Unstored] | None = None,
) -> SendReport:
    """Store what an earlier pass sent but could not record (`unstored`, emptied as each is stored), then
    claim one batch and send it. A send whose SID cannot be stored is added to `unstored` before the error
    goes on (`SentNotStored`)."""
    report = SendReport()
    unstored = [] if unstored is None else unstored
    with session_factory() as session:
        while unstored:
            done = unstored[0]
            report.count(_record_sent(session, done.message_id, worker_id, done.accepted, events, clock()))
            unstored.pop(0)
        ids = claim_batch(
            session, worker_id, settings.batch_size, clock(), settings.lease_seconds, settings.quiet
        )
        report.claimed = len(ids)
        for message_id in ids:
            try:
                report.count(send_claimed(session, message_id, worker_id, sender, events, settings, clock))
            except SentNotStored as exc:
                unstored.append(exc.unstored)
                raise
    return report


QUIET_HOURS_EMERGENCY = "an emergency, so it is texted at once although it is quiet hours"


def send_claimed(
    session: Session,
    message_id: int,
    worker_id: str,
    sender: SmsSender,
    events: OutboxEvents,
    settings: OutboxSettings,
    clock: Callable[[], datetime] = utcnow,
) -> str:
    """Send one claimed text: `sent`, `retry`, `dead`, `duplicate`, or `lost` (the claim had passed on)."""
    message = _renew_lease(session, message_id, worker_id, clock(), settings.lease_seconds)
    if message is None:
        return "lost"
    stale = _stale(session, message, events, settings, clock())
    if stale is not None:
        why, fall_back = stale
        return _give_up(session, message_id, worker_id, why, events, clock(), fall_back=fall_back)
    if message.attempts > settings.max_attempts:
        detail = f"gave up after {settings.max_attempts} attempts (the last one's outcome is unknown)"
        return _give_up(session, message_id, worker_id, detail, events, clock())
    callback = status_callback_url(settings.public_base_url, message.id, message.attempts)
    reference = outbox_reference(message.id, message.attempts)
    if message.kind == "offer" and settings.quiet is not None and settings.quiet.is_quiet(clock()):
        events.record(session, message, "quiet_hours_emergency", QUIET_HOURS_EMERGENCY)
    try:
        accepted = sender.send(message.to, message.body, callback, reference)
    except SmsSendError as error:
        return _record_failure(session, message_id, worker_id, error, events, settings, clock())
    try:
        return _record_sent(session, message_id, worker_id, accepted, events, clock())
    except Exception as exc:  # Twilio has it: the SID must not be forgotten, whatever stopped the write
        session.rollback()
        raise SentNotStored(Unstored(message_id, accepted)) from exc


def _stale(
    session: Session, message: OutboxMessage, events: OutboxEvents, settings: OutboxSettings, now: datetime
) -> tuple[str, bool] | None:
    """Why the text is no longer worth sending and whether its task needs the fallback; None to send it."""
    deadline = events.send_deadline(session, message)
    session.commit()
    if deadline is not None:
        return (f"not sent: {deadline.why}", False) if now >= deadline.at else None
    if now - message.created_at >= timedelta(seconds=settings.max_age_seconds):
        age = _duration(settings.max_age_seconds)
        return f"not sent within its maximum age ({age}, SMS_MAX_AGE_SECONDS)", True
    return None


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _lock(session: Session, message_id: int) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
    ).one_or_none()


def _lock_owned(session: Session, message_id: int, worker_id: str) -> OutboxMessage | None:
    """The message locked, if this worker still holds its claim; otherwise None, the transaction ended."""
    message = _lock(session, message_id)
    if message is None or message.status != "sending" or message.claimed_by != worker_id:
        session.rollback()
        return None
    return message


def _release(message: OutboxMessage) -> None:
    message.claimed_by = None
    message.claimed_until = None


def _renew_lease(
    session: Session, message_id: int, worker_id: str, now: datetime, lease_seconds: float
) -> OutboxMessage | None:
    message = _lock_owned(session, message_id, worker_id)
    if message is None:
        return None
    message.claimed_until = now + timedelta(seconds=lease_seconds)
    session.commit()
    return message


def _record_sent(
    session: Session,
    message_id: int,
    worker_id: str,
    accepted: SentMessage,
    events: OutboxEvents,
    now: datetime,
) -> str:
    message = _lock(session, message_id)
    assert message is not None, "outbox rows are never deleted"
    if message.claimed_by == worker_id:
        _release(message)
    outcome = _adopt_sid(session, message, accepted.sid, events, now, f"attempt {message.attempts}")
    message.num_segments = message.num_segments or accepted.num_segments
    session.commit()
    return outcome


def _adopt_sid(
    session: Session, message: OutboxMessage, sid: str, events: OutboxEvents, now: datetime, how: str
) -> str:
    if message.twilio_sid == sid:
        return "sent"
    if message.twilio_sid is not None:
        if sid not in message.duplicate_sids:
            message.duplicate_sids = [*message.duplicate_sids, sid]
            events.record(session, message, "duplicate", f"{how} was also accepted by Twilio, as {sid}")
        return "duplicate"
    message.twilio_sid = sid
    message.sent_at = now
    _advance(message, "sent", now)
    events.record(session, message, "sent", how)
    return "sent"


def _advance(message: OutboxMessage, status: str, now: datetime) -> bool:
    """Move the outbox status forward only; terminal statuses stay."""
    if OUTBOX_RANK[status] <= OUTBOX_RANK[message.status] or OUTBOX_RANK[message.status] == 3:
        return False
    message.status = status
    message.status_updated_at = now
    return True


def _record_failure(
    session: Session,
    message_id: int,
    worker_id: str,
    error: SmsSendError,
    events: OutboxEvents,
    settings: OutboxSettings,
    now: datetime,
) -> str:
    message = _lock_owned(session, message_id, worker_id)
    if message is None:
        return "lost"
    message.last_error_code = error.code
    message.last_error = error.message[:500]
    if not error.transient or message.attempts >= settings.max_attempts:
        why = "permanent" if not error.transient else f"still failing after {message.attempts} attempts"
        return _mark_dead(session, message, f"{why}: {_describe(error)}", events, now)
    delay = backoff_delay(message.attempts - 1, settings.backoff_base, settings.backoff_cap)
    message.status = "queued"
    message.next_attempt_at = now + timedelta(seconds=delay)
    _release(message)
    events.record(session, message, "retry", f"{_describe(error)}; next try in {delay:.1f} s")
    session.commit()
    return "retry"


def _give_up(
    session: Session,
    message_id: int,
    worker_id: str,
    detail: str,
    events: OutboxEvents,
    now: datetime,
    fall_back: bool = True,
) -> str:
    message = _lock_owned(session, message_id, worker_id)
    if message is None:
        return "lost"
    return _mark_dead(session, message, detail, events, now, fall_back)


def _mark_dead(
    session: Session,
    message: OutboxMessage,
    detail: str,
    events: OutboxEvents,
    now: datetime,
    fall_back: bool = True,
) -> str:
    """Dead-letter a message this worker has locked and owns, then (unless its task has already moved on)
    hand its task to the fallback."""
    message.status = "dead"
    message.status_updated_at = now
    _release(message)
    events.record(session, message, "dead", detail)
    session.commit()
    if fall_back:
        events.fallback(session, message)
    return "dead"


def _describe(error: SmsSendError) -> str:
    code = f"code {error.code}" if error.code is not None else "no code"
    status = f", HTTP {error.status}" if error.status is not None else ""
    return f"{code}{status}: {error.message}"


def record_status(
    session: Session,
    message_id: int,
    sid: str,
    twilio_status: str,
    error_code: int | None,
    events: OutboxEvents,
    now: datetime | None = None,
    *,
    provider: str = "Twilio",
    reported: str | None = None,
) -> str:
    """Apply one delivery report (`twilio_status` in Twilio's words; `reported`: the provider's own word, for
    the audit trail): `unknown` message, `duplicate` SID, or the message's new status."""
    now = now or utcnow()
    message = _lock(session, message_id)
    if message is None or twilio_status not in TWILIO_RANK:
        session.rollback()
        return "unknown"
    if message.twilio_sid != sid:
        if message.twilio_sid is None:
            _release(message)
        if _adopt_sid(session, message, sid, events, now, f"{provider}'s status callback") == "duplicate":
            session.commit()
            return "duplicate"
    _record_delivery_status(message, twilio_status, now)
    failed = False
    if _advance(message, OUTBOX_STATUS_OF_TWILIO[twilio_status], now):
        if message.status == "delivered":
            message.delivered_at = now
            events.record(session, message, "delivered")
        elif message.status in ("undelivered", "failed"):
            message.last_error_code = error_code
            detail = f"{provider}: {reported or twilio_status}, code {error_code}"
            events.record(session, message, "delivery_failed", detail)
            failed = True
    status = message.status
    session.commit()
    if failed:
        events.fallback(session, message)
    return status


def _record_delivery_status(message: OutboxMessage, twilio_status: str, now: datetime) -> None:
    current = message.delivery_status
    if current in TWILIO_FINAL or (
        current is not None and TWILIO_RANK[twilio_status] <= TWILIO_RANK[current]
    ):
        return
    message.delivery_status = twilio_status
    message.status_updated_at = now
