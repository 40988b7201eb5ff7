"""Sending partners' webhooks from their durable outbox (`webhook_delivery`): each post signed with the
subscription's secret (HMAC-SHA256 over "<timestamp>.<body>", in `X-OneRouteIn-Signature: t=<unix>,v1=<hex>`,
as Stripe and others do, so a receiver can refuse an old or altered post), claimed under a lease so a killed
worker loses nothing and two workers never post the same delivery at once, retried with capped exponential
backoff on anything but a 2xx, and dead after `max_attempts`. A receiver may see a delivery twice (a worker
killed after the post, before recording it): `X-OneRouteIn-Delivery` names it so they can tell."""

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from db.base import utcnow
from notify.errors import backoff_delay
from notify.models import PartnerWebhook, WebhookDelivery

SIGNATURE_HEADER = "X-OneRouteIn-Signature"
DELIVERY_HEADER = "X-OneRouteIn-Delivery"
EVENT_HEADER = "X-OneRouteIn-Event"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for this body at this time."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: datetime, tolerance_seconds: float = 300) -> bool:
    """What a receiver does (and what the tests do): the signature matches and is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def enqueue(
    session: Session,
    webhook: PartnerWebhook,
    event: str,
    payload: dict,
    now: datetime,
    referral_id: int | None,
) -> WebhookDelivery:
    """Add a delivery in the caller's transaction: it exists only if that transaction commits."""
    delivery = WebhookDelivery(
        webhook_id=webhook.id,
        referral_id=referral_id,
        event=event,
        body="",
        status="queued",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    delivery.body = json.dumps({"id": delivery.id, "event": event, **payload}, sort_keys=True, default=str)
    return delivery


@dataclass(frozen=True)
class WebhookSettings:
    max_attempts: int = 12
    timeout_seconds: float = 10.0
    lease_seconds: float = 60.0
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    batch_size: int = 20

    @classmethod
    def from_settings(cls, settings) -> "WebhookSettings":
        return cls(
            max_attempts=int(settings["PARTNER_WEBHOOK_MAX_ATTEMPTS"]),
            timeout_seconds=float(settings["PARTNER_WEBHOOK_TIMEOUT_SECONDS"]),
        )


@dataclass
class DeliveryReport:
    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def summary(self) -> str:
        return f"webhooks: {self.delivered} delivered, {self.retried} to retry, {self.dead} dead"


Post = Callable[[str, bytes, dict, float], int]
# Told of each delivery that ends (delivered or dead), in the transaction that records it (the audit trail).
Ended = Callable[[Session, WebhookDelivery], None]


def post_with_requests(url: str, body: bytes, headers: dict, timeout: float) -> int:
    """POST without following redirects (a partner's server answers itself); the status code."""
    import requests  # only where a webhook is posted: building the app does not load it

    return requests.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False).status_code


def claim(session: Session, worker_id: str, now: datetime, settings: WebhookSettings) -> list[int]:
    due = or_(
        and_(WebhookDelivery.status == "queued", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "sending", WebhookDelivery.claimed_until <= now),
    )
    rows = session.scalars(
        select(WebhookDelivery)
        .where(due)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(settings.batch_size)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.status = "sending"
        row.claimed_by = worker_id
        row.claimed_until = now + timedelta(seconds=settings.lease_seconds)
        row.attempts += 1
    ids = [row.id for row in rows]
    session.commit()
    return ids


def deliver_pending(
    session_factory: sessionmaker[Session],
    worker_id: str,
    settings: WebhookSettings,
    clock: Callable[[], datetime] = utcnow,
    post: Post = post_with_requests,
    ended: Ended | None = None,
) -> DeliveryReport:
    """Claim one batch and post each; record what came of it."""
    report = DeliveryReport()
    with session_factory() as session:
        ids = claim(session, worker_id, clock(), settings)
        for delivery_id in ids:
            outcome = _deliver_one(session, delivery_id, worker_id, settings, clock, post, ended)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _deliver_one(
    session: Session,
    delivery_id: int,
    worker_id: str,
    settings: WebhookSettings,
    clock: Callable[[], datetime],
    post: Post,
    ended: Ended | None = None,
) -> str:
    row = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    webhook = session.get(PartnerWebhook, row.webhook_id)
    session.commit()  # no transaction held open across the post
    if row.claimed_by != worker_id:
        return "retried"
    if webhook is None or not webhook.active:
        return _finish(
            session, delivery_id, worker_id, "dead", clock(), error="the subscription was ended", ended=ended
        )
    body = row.body.encode()
    now = clock()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "OneRouteIn-Webhooks/1",
        SIGNATURE_HEADER: sign(webhook.secret, int(now.timestamp()), body),
        DELIVERY_HEADER: str(row.id),
        EVENT_HEADER: row.event,
    }
    import requests  # its errors: only where a webhook is posted

    try:
        status = post(webhook.url, body, headers, settings.timeout_seconds)
        error = "" if 200 <= status < 300 else f"answered {status}"
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: could not post"
    if not error:
        return _finish(session, delivery_id, worker_id, "delivered", clock(), status_code=status, ended=ended)
    if row.attempts >= settings.max_attempts:
        detail = f"gave up after {row.attempts} attempts; the last {error}"
        return _finish(
            session, delivery_id, worker_id, "dead", clock(), status_code=status, error=detail, ended=ended
        )
    wait = backoff_delay(row.attempts - 1, settings.backoff_base, settings.backoff_cap)
    return _finish(
        session,
        delivery_id,
        worker_id,
        "retried",
        clock(),
        status_code=status,
        error=error,
        next_at=clock() + timedelta(seconds=wait),
    )


def _finish(
    session: Session,
    delivery_id: int,
    worker_id: str,
    outcome: str,
    now: datetime,
    *,
    status_code: int | None = None,
    error: str = "",
    next_at: datetime | None = None,
    ended: Ended | None = None,
) -> str:
    row = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update())
    if row is None or row.claimed_by != worker_id or row.status != "sending":
        session.rollback()
        return "retried"  # the lease passed to another worker, whose outcome counts
    row.last_status_code = status_code
    row.last_error = error
    row.claimed_by = None
    row.claimed_until = None
    if outcome == "delivered":
        row.status, row.delivered_at = "delivered", now
    elif outcome == "dead":
        row.status = "dead"
    else:
        row.status, row.next_attempt_at = "queued", next_at or now
    if ended is not None and row.status in ("delivered", "dead"):
        ended(session, row)
    session.commit()
    return outcome
