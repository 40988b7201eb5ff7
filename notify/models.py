"""Tables for SMS: the outbox (every text we send, written in the transaction that causes it), the texts we
receive (their Twilio SID makes a retried webhook harmless) and phone tasks for helpline staff."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "undelivered", "failed", "dead")
MESSAGE_KINDS = ("offer", "details", "notice")
PHONE_TASK_STATUSES = ("open", "escalated", "done")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutboxMessage(Base):
    """One text to send. `status` moves queued -> sending (claimed under a lease) -> sent (Twilio took it;
    `twilio_sid` stored) -> delivered, or ends undelivered/failed (Twilio's report) or dead (we gave up)."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
        CheckConstraint(_in("kind", MESSAGE_KINDS), name="kind"),
        Index("ix_sms_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    twilio_sid: Mapped[str | None] = mapped_column(String(40), unique=True)
    num_segments: Mapped[int | None]
    last_error_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    duplicate_sids: Mapped[list] = mapped_column(default=list)
    # A text that must go once only whoever writes it (a plan's reminder: "reminder:<referral>:<index>"); two
    # workers writing it at once collide here and one steps back.
    # An offer that is no emergency waits for quiet hours to end (QUIET_HOURS); every other text goes at once.
    waits_for_day: Mapped[bool] = mapped_column(default=False, server_default=false())
    dedupe_key: Mapped[str | None] = mapped_column(String(80), unique=True, index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    status_updated_at: Mapped[datetime | None]


class InboundMessage(Base):
    """A text a lead sent us, what we understood and what we answered."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    twilio_sid: Mapped[str] = mapped_column(String(40), unique=True)
    from_phone: Mapped[str] = mapped_column(String(20), index=True)
    to_phone: Mapped[str] = mapped_column(String(20), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    command: Mapped[str] = mapped_column(String(20))
    reply: Mapped[str] = mapped_column(Text, default="")
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneTask(Base):
    """A person at the helpline phones a lead: a text could not reach them, or their reply could not be acted
    on as it stood (a refused YES/NO/DONE, a DONE on a recurring task with nothing due or a time missed).
    Escalated after two unanswered calls in a row: the safety net's officers work it then."""

    __tablename__ = "phone_task"
    __table_args__ = (CheckConstraint(_in("status", PHONE_TASK_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offer.id"))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbox.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


WEBHOOK_DELIVERY_STATUSES = ("queued", "sending", "delivered", "dead")


class PartnerWebhook(Base):
    """A partner organisation's subscription to status changes of its own referrals: where to post them and
    the secret they are signed with (shown once, when it is made). Made with the partner's API token; its
    organisation's referrals, or the token's own where it has none, are the ones it hears of."""

    __tablename__ = "partner_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class WebhookDelivery(Base):
    """One signed post to a partner's webhook, written in the transaction that changed the referral (a
    durable outbox). `status` moves queued -> sending (claimed under a lease) -> delivered (a 2xx answer),
    or back to queued with a later `next_attempt_at` (backoff), or dead after the last attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        CheckConstraint(_in("status", WEBHOOK_DELIVERY_STATUSES), name="status"),
        Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("partner_webhook.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
