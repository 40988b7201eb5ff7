"""Email to the helpline from a mail provider's webhook (signed, no token): `POST /email/inbound` with a JSON
body — `from` (required), `subject`, `text`, `html`, `message_id`, `attachments` (a list of file names or of
objects with a `filename`; their contents are refused and never read) — signed with EMAIL_WEBHOOK_SECRET as
partners' webhooks are (`X-OneRouteIn-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`). A
post whose signature does not match, or older than EMAIL_WEBHOOK_MAX_AGE_SECONDS (a replay), is refused
(403, audited). Each email becomes a draft call for helpline staff (`referrals.email_drafts`); the same
email posted twice is kept once. Also `flask email fetch` for an IMAP mailbox."""

import json

import click
from flask import Blueprint, current_app, request
from flask.cli import AppGroup

from accounts.tokens import Principal
from api.db import get_session
from api.errors import problem
from notify.webhooks import SIGNATURE_HEADER, verify
from referrals import audit
from referrals.email_drafts import save_draft
from referrals.email_reading import from_fields
from referrals.errors import DomainValidationError

blp = Blueprint("email", __name__, url_prefix="/email")
EMAIL_ACTOR = Principal(token_id=None, name="email-webhook", role="system", org_id=None)
MAILBOX_ACTOR = Principal(token_id=None, name="email-fetch", role="system", org_id=None)
FIELDS = {"from", "subject", "text", "html", "message_id", "attachments"}
MAX_ATTACHMENTS = 100


def services():
    return current_app.extensions["oneroute"]


def _rejection(body: bytes) -> str | None:
    settings = services().settings
    secret = str(settings["EMAIL_WEBHOOK_SECRET"])
    if not secret:
        return "the email webhook is not configured (no EMAIL_WEBHOOK_SECRET)"
    header = request.headers.get(SIGNATURE_HEADER, "")
    if not header:
        return f"no {SIGNATURE_HEADER} header"
    if not verify(secret, header, body, services().clock(), float(settings["EMAIL_WEBHOOK_MAX_AGE_SECONDS"])):
        return f"{SIGNATURE_HEADER} does not match the body, or is too old"
    return None


def _attachment_names(value) -> list[str] | None:
    if not isinstance(value, list) or len(value) > MAX_ATTACHMENTS:
        return None
    names = []
    for item in value:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and isinstance(item.get("filename", ""), str):
            names.append(item.get("filename", ""))
        else:
            return None
    return names


@blp.post("/inbound")
def inbound():
    body = request.get_data(cache=True)
    reason = _rejection(body)
    if reason is not None:
        session = get_session()
        payload = {"path": request.path, "remote_addr": request.remote_addr or ""}
        audit.record(session, "email.webhook_rejected", EMAIL_ACTOR, reason=reason, payload=payload)
        session.commit()
        return problem(403, "Forbidden", reason)
    try:
        document = json.loads(body)
    except ValueError:
        return problem(400, "Bad Request", "the body must be JSON")
    if not isinstance(document, dict):
        return problem(400, "Bad Request", "the body must be a JSON object")
    errors: dict[str, list[str]] = {}
    for name in sorted(set(document) - FIELDS):
        errors[name] = ["Unknown field."]
    for name in sorted(FIELDS - {"attachments"}):
        if not isinstance(document.get(name, ""), str):
            errors[name] = ["Not a valid string."]
    names = _attachment_names(document.get("attachments", []))
    if names is None:
        errors["attachments"] = ["A list of file names, or of objects with a filename."]
    if not str(document.get("from") or "").strip():
        errors["from"] = ["Missing data for required field."]
    if errors:
        return problem(422, "Unprocessable Content", "the email could not be read", errors=errors)
    # Control characters are dropped from what is kept (as from a text message), not refused: the sender
    # cannot be asked to send it again.
    found = from_fields(
        sender=document["from"],
        subject=document.get("subject", ""),
        text=document.get("text", ""),
        html=document.get("html", ""),
        attachments=names,
        message_id=document.get("message_id", ""),
    )
    try:
        draft, new = save_draft(get_session(), found, "webhook", EMAIL_ACTOR, services().clock())
    except DomainValidationError as exc:
        return problem(422, "Unprocessable Content", exc.message, errors={"from": [exc.message]})
    answer = {"email_draft_id": draft.id, "kept": new, "attachments_refused": len(found.attachments)}
    return answer, 201 if new else 200


@click.group("email", help="Email to the helpline: draft calls from its mailbox.", cls=AppGroup)
def email_cli():
    pass


@email_cli.command(
    "fetch", help="Keep each unseen message in the IMAP mailbox as a draft call (IMAP_* settings)."
)
def email_fetch():
    from notify.imap_inbox import ImapInbox, ImapSettings, MailboxError
    from referrals.email_drafts import fetch_mailbox

    found = services()
    try:
        settings = ImapSettings.from_settings(found.settings)
        if settings.security == "none" and found.settings["APP_ENV"] == "production":
            raise MailboxError("IMAP_SECURITY=none is for a local test server, never in production")
        with ImapInbox(settings) as mailbox:
            report = fetch_mailbox(found.session_factory, mailbox, MAILBOX_ACTOR, found.clock)
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())
    if report.unreadable:
        raise SystemExit(1)
