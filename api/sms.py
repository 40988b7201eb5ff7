"""Twilio's webhooks: inbound texts from mutual-aid leads and delivery status callbacks (signed, no token).

A request is accepted only with a valid `X-Twilio-Signature` over the public URL it was sent to
(`PUBLIC_BASE_URL` + path + query, so it works behind a proxy) and its form; anything else is 403, audited.
Also the composition of the SMS outbox (sender, events, settings) for the worker and the `sms` commands."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from accounts.tokens import Principal
from api.db import get_session
from api.errors import problem
from notify.factory import build_sms_sender
from notify.outbox import OutboxSettings, SendReport, Unstored, record_status, send_pending
from referrals import audit
from safe_text.controls import without_controls
from texting.outbox_events import ReferralSmsEvents
from texting.replies import InboundText, ReferLinks, handle_inbound

blp = Blueprint("sms", __name__, url_prefix="/sms")
WEBHOOK_ACTOR = Principal(token_id=None, name="twilio-webhook", role="system", org_id=None)
SIGNATURE_HEADER = "X-Twilio-Signature"
TWIML = "application/xml"


def services():
    return current_app.extensions["oneroute"]


class SmsOutbox:
    """The outbox as the settings configure it: one sender per process, shared by its loops."""

    def __init__(self, found, worker_id: str):
        self.found = found
        self.worker_id = worker_id
        self.sender = build_sms_sender(found.settings)
        self.events = ReferralSmsEvents(found.lifecycle_policy)
        self.unstored: list[Unstored] = []  # sent, SID not stored yet (a database outage): stored next pass

    def send_pending(self) -> SendReport:
        settings = OutboxSettings.from_settings(self.found.settings)
        found = self.found
        return send_pending(
            found.session_factory,
            self.sender,
            self.events,
            settings,
            self.worker_id,
            found.clock,
            unstored=self.unstored,
        )


def public_url() -> str:
    query = request.query_string.decode("latin-1")
    base = str(services().settings["PUBLIC_BASE_URL"]).rstrip("/")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def _rejection() -> str | None:
    token = str(services().settings["TWILIO_AUTH_TOKEN"])
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token:
        return "SMS webhooks are not configured (no TWILIO_AUTH_TOKEN)"
    if not signature:
        return f"no {SIGNATURE_HEADER} header"
    if not RequestValidator(token).validate(public_url(), request.form, signature):
        return f"{SIGNATURE_HEADER} does not match this URL and body"
    return None


def refuse_webhook(reason: str) -> Response:
    """403 for a webhook request its provider did not send (Twilio's or GOV.UK Notify's), audited."""
    session = get_session()
    audit.record(
        session,
        "sms.webhook_rejected",
        WEBHOOK_ACTOR,
        reason=reason,
        payload={"path": request.path, "remote_addr": request.remote_addr or ""},
    )
    session.commit()
    return problem(403, "Forbidden", reason)


def signed_by_twilio(view: Callable) -> Callable:
    @wraps(view)
    def checked(*args, **kwargs):
        reason = _rejection()
        return view(*args, **kwargs) if reason is None else refuse_webhook(reason)

    return checked


def twiml(text: str) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), mimetype=TWIML)


def signed_form() -> dict[str, str]:
    """The form Twilio signed, without control characters: a text is not refused for them (its sender cannot
    be asked to send it again), they are dropped before anything is stored."""
    return {key: without_controls(value) for key, value in request.form.items()}


@blp.post("/inbound")
@signed_by_twilio
def inbound():
    form = signed_form()
    text = InboundText(
        sid=form.get("MessageSid", ""),
        from_phone=form.get("From", ""),
        to_phone=form.get("To", ""),
        body=form.get("Body", ""),
    )
    if not text.sid or not text.from_phone:
        return problem(422, "Unprocessable Content", "MessageSid and From are required")
    settings = services().settings
    links = ReferLinks(str(settings["PUBLIC_BASE_URL"]), timedelta(hours=int(settings["REFER_LINK_HOURS"])))
    return twiml(handle_inbound(get_session(), text, services().lifecycle_policy, links=links))


@blp.post("/status")
@signed_by_twilio
def status():
    form = signed_form()
    message_id = request.args.get("m", type=int)
    sid, twilio_status = form.get("MessageSid", ""), form.get("MessageStatus", "")
    if message_id is None or not sid or not twilio_status:
        return problem(422, "Unprocessable Content", "m, MessageSid and MessageStatus are required")
    error_code = request.form.get("ErrorCode", type=int)
    events = ReferralSmsEvents(services().lifecycle_policy)
    record_status(get_session(), message_id, sid, twilio_status, error_code, events)
    return Response(status=204)
