"""Partners' webhooks: a partner organisation subscribes with its API token (a URL; the signing secret is
shown once) and hears, by a signed post, of each change of status of the referrals it made, as the access
rule lets it see them (`access.may_see`, `access.may_manage_webhook`). What a post says is what the partner's
own queue says of the referral: its status and, once finished, its outcome codes; never a person's details,
a volunteer's name or a note. Deliveries are `notify.webhooks`'s durable outbox, written in the transaction
that changed the referral."""

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import ApiToken
from accounts.tokens import Principal
from db.base import utcnow
from notify import webhooks
from notify.models import PartnerWebhook, WebhookDelivery
from referrals import access, audit
from referrals.errors import DomainValidationError, NotFound
from referrals.models import Referral

STATUS_CHANGED = "referral.status_changed"
SUBSCRIBED = "webhook.subscribed"
ENDED = "webhook.ended"
WEBHOOK_QUEUED = "webhook.queued"
WEBHOOK_DELIVERED = "webhook.delivered"
WEBHOOK_DEAD = "webhook.dead"
WEBHOOK_ACTOR = Principal(token_id=None, name="partner-webhooks", role="system", org_id=None)
PARTNER = "partner_referrer"


def check_url(url: str, *, https_only: bool) -> str:
    url = url.strip()
    parts = urlsplit(url)
    schemes = ("https",) if https_only else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        wanted = "an https:// address" if https_only else "an http(s):// address"
        raise DomainValidationError("url", f"the webhook URL must be {wanted} with a host and no password")
    return url


def subscribe(
    session: Session, principal: Principal, url: str, *, https_only: bool, now: datetime | None = None
) -> tuple[PartnerWebhook, str]:
    """A new subscription for the principal's organisation (or token); its secret, to show once."""
    now = now or utcnow()
    if not access.may_manage_webhook(principal, None):
        raise NotFound("webhooks are for partner organisations")
    url = check_url(url, https_only=https_only)
    secret = webhooks.new_secret()
    hook = PartnerWebhook(
        token_id=principal.token_id,
        org_id=principal.org_id,
        url=url,
        secret=secret,
        active=True,
        created_at=now,
    )
    session.add(hook)
    session.flush()
    audit.record(session, SUBSCRIBED, principal, payload={"webhook_id": hook.id}, now=now)
    session.commit()
    return hook, secret


def subscriptions(session: Session, principal: Principal) -> list[PartnerWebhook]:
    rows = session.scalars(
        select(PartnerWebhook).where(PartnerWebhook.active.is_(True)).order_by(PartnerWebhook.id)
    )
    return [hook for hook in rows if access.may_manage_webhook(principal, hook)]


def end(session: Session, principal: Principal, webhook_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    hook = session.scalar(select(PartnerWebhook).where(PartnerWebhook.id == webhook_id).with_for_update())
    if hook is None or not hook.active or not access.may_manage_webhook(principal, hook):
        raise NotFound(f"no webhook with id {webhook_id}")
    hook.active = False
    hook.ended_at = now
    audit.record(session, ENDED, principal, payload={"webhook_id": hook.id}, now=now)
    session.commit()


def delivery_ended(session: Session, delivery: WebhookDelivery) -> None:
    """The outbox's word that a delivery ended, on the referral's trail: delivered, or given up."""
    resident_id = delivery.referral_id and session.scalar(
        select(Referral.resident_id).where(Referral.id == delivery.referral_id)
    )
    audit.record(
        session,
        WEBHOOK_DELIVERED if delivery.status == "delivered" else WEBHOOK_DEAD,
        WEBHOOK_ACTOR,
        referral_id=delivery.referral_id,
        resident_id=resident_id or None,
        reason=delivery.last_error,
        payload={
            "webhook_id": delivery.webhook_id,
            "delivery_id": delivery.id,
            "attempts": delivery.attempts,
            "status_code": delivery.last_status_code,
        },
    )


def _listener(hook: PartnerWebhook) -> Principal:
    return Principal(token_id=hook.token_id, name=f"webhook:{hook.id}", role=PARTNER, org_id=hook.org_id)


def status_changed(session: Session, row: Referral, before: str, now: datetime) -> int:
    """Called when a referral's status changes (same transaction): a delivery for each active subscription
    whose partner may see the referral. Only a partner's referrals are looked at."""
    if row.created_by_role != PARTNER:
        return 0
    mine = PartnerWebhook.token_id == row.created_by_token_id
    if row.created_by_org_id is not None:
        mine = mine | (PartnerWebhook.org_id == row.created_by_org_id)
    hooks = session.scalars(
        select(PartnerWebhook)
        .join(ApiToken, ApiToken.id == PartnerWebhook.token_id)
        .where(PartnerWebhook.active.is_(True), ApiToken.revoked_at.is_(None), mine)
    ).all()
    payload = {
        "referral_id": row.id,
        "status": row.status,
        "previous_status": before,
        "outcomes": list(row.outcome_codes or []),
        "changed_at": now.isoformat(),
    }
    told = 0
    for hook in hooks:
        if access.may_see(_listener(hook), row):
            delivery = webhooks.enqueue(session, hook, STATUS_CHANGED, payload, now, row.id)
            audit.record(
                session,
                WEBHOOK_QUEUED,
                WEBHOOK_ACTOR,
                referral_id=row.id,
                resident_id=row.resident_id,
                payload={"webhook_id": hook.id, "delivery_id": delivery.id, "status": row.status},
                now=now,
            )
            told += 1
    return told
