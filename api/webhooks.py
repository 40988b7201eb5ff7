"""Partners' webhooks: a partner organisation subscribes (by its API token) to signed posts about status
changes of its own referrals; the secret that signs them is in the answer to the subscription only."""

from flask import current_app

from api.auth import BEARER_SECURITY, current_principal, roles
from api.blueprints import api_blueprint
from api.db import get_session
from api.schemas import WebhookCreatedSchema, WebhookInSchema, WebhookSchema
from referrals import partner_webhooks

blp = api_blueprint(
    "webhooks", __name__, url_prefix="/api/v1", description="Partners' webhooks for their referrals' status"
)


@blp.route("/webhooks", methods=["POST"])
@roles("partner_referrer")
@blp.doc(security=BEARER_SECURITY)
@blp.arguments(WebhookInSchema)
@blp.response(201, WebhookCreatedSchema)
def subscribe(body):
    """Subscribe `url` to status changes of your organisation's referrals. Each post is JSON (`id`, `event`
    `referral.status_changed`, `referral_id`, `status`, `previous_status`, `outcomes`, `changed_at`), signed
    in `X-OneRouteIn-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`;
    refuse a post whose signature does not match or whose `t` is more than 5 minutes old. `X-OneRouteIn-
    Delivery` names the delivery (a retry may repeat one). A post that does not get a 2xx answer is tried
    again with growing waits, then given up. The `secret` is shown only in this answer."""
    production = current_app.extensions["oneroute"].settings["APP_ENV"] == "production"
    hook, secret = partner_webhooks.subscribe(
        get_session(), current_principal(), body["url"], https_only=production
    )
    return {"id": hook.id, "url": hook.url, "created_at": hook.created_at, "secret": secret}


@blp.route("/webhooks", methods=["GET"])
@roles("partner_referrer")
@blp.doc(security=BEARER_SECURITY)
@blp.response(200, WebhookSchema(many=True))
def subscriptions():
    """Your organisation's webhooks (without their secrets)."""
    return partner_webhooks.subscriptions(get_session(), current_principal())


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@roles("partner_referrer")
@blp.doc(security=BEARER_SECURITY)
@blp.response(204)
def end(webhook_id):
    """End a webhook: nothing more is posted to it."""
    partner_webhooks.end(get_session(), current_principal(), webhook_id)
