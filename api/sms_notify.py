"""GOV.UK Notify's callbacks: delivery receipts and received texts (JSON, with the bearer token the service
gave Notify, `NOTIFY_CALLBACK_TOKEN`; no API token).

Set both callback URLs in Notify's settings (API integration -> Callbacks): delivery receipts to
`PUBLIC_BASE_URL/sms/notify/status`, received text messages to `PUBLIC_BASE_URL/sms/notify/inbound`, each with
that token. Anything without it is 403, audited, as a Twilio webhook without its signature is. A receipt
finds its outbox row by the reference the text was sent with; a received text goes to the same
`texting.replies.handle_inbound` as Twilio's, its reply sent through the outbox."""

import hmac
import logging
import re
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, request

from api.db import get_session
from api.errors import problem
from api.sms import refuse_webhook, services
from notify.notify_receipts import DELIVERY_STATUSES
from notify.outbox import message_of_reference, record_status
from safe_text.controls import without_controls
from texting.outbox_events import ReferralSmsEvents
from texting.replies import InboundText, handle_inbound

logger = logging.getLogger(__name__)
blp = Blueprint("sms_notify", __name__, url_prefix="/sms/notify")
PROVIDER = "GOV.UK Notify"
NOTIFICATION_ID = re.compile(r"^[0-9a-fA-F-]{1,40}$")
MAX_FIELD = 2000
MAX_PHONE = 20  # the width of the phone columns of sms_inbound


def _rejection() -> str | None:
    expected = str(services().settings["NOTIFY_CALLBACK_TOKEN"])
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected:
        return "GOV.UK Notify callbacks are not configured (no NOTIFY_CALLBACK_TOKEN)"
    if scheme.lower() != "bearer" or not given:
        return "no bearer token"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return "the bearer token is not NOTIFY_CALLBACK_TOKEN"
    return None


def sent_by_notify(view: Callable) -> Callable:
    @wraps(view)
    def checked(*args, **kwargs):
        reason = _rejection()
        return view(*args, **kwargs) if reason is None else refuse_webhook(reason)

    return checked


def callback_fields(*names: str) -> dict[str, str] | Response:
    """The callback's JSON fields as text without control characters (a text is not refused for them:
    its sender cannot be asked to send it again), or a 400/422 problem."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem(400, "Bad Request", "expected a JSON object")
    fields = {name: body.get(name) for name in names}
    if any(value is not None and not isinstance(value, str) for value in fields.values()):
        return problem(422, "Unprocessable Content", f"{', '.join(names)} must be text")
    return {name: without_controls(value or "")[:MAX_FIELD] for name, value in fields.items()}


@blp.post("/status")
@sent_by_notify
def status():
    fields = callback_fields("id", "reference", "status")
    if isinstance(fields, Response):
        return fields
    notification_id, notify_status = fields["id"], fields["status"]
    if not NOTIFICATION_ID.match(notification_id) or notify_status not in DELIVERY_STATUSES:
        detail = f"id (a notification id) and status (one of {', '.join(DELIVERY_STATUSES)}) are required"
        return problem(422, "Unprocessable Content", detail)
    message_id = message_of_reference(fields["reference"])
    if message_id is None:
        logger.info("delivery receipt %s is not for an outbox text; ignored", notification_id)
        return Response(status=204)
    events = ReferralSmsEvents(services().lifecycle_policy)
    twilio_status = DELIVERY_STATUSES[notify_status]
    record_status(
        get_session(),
        message_id,
        notification_id,
        twilio_status,
        None,
        events,
        provider=PROVIDER,
        reported=notify_status,
    )
    return Response(status=204)


@blp.post("/inbound")
@sent_by_notify
def inbound():
    fields = callback_fields("id", "source_number", "destination_number", "message")
    if isinstance(fields, Response):
        return fields
    if not NOTIFICATION_ID.match(fields["id"]) or not fields["source_number"]:
        return problem(422, "Unprocessable Content", "id and source_number are required")
    text = InboundText(
        sid=fields["id"],
        from_phone=fields["source_number"][:MAX_PHONE],
        to_phone=fields["destination_number"][:MAX_PHONE],
        body=fields["message"],
        reply_by_outbox=True,
    )
    handle_inbound(get_session(), text, services().lifecycle_policy)
    return Response(status=204)
