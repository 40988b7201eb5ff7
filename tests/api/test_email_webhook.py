"""Email to the helpline from a mail provider's signed webhook (issue 24): a post signed with the shared
secret and recent becomes a draft call (sender kept, attachments refused); a wrong or old signature is
refused and audited; the same email posted twice is kept once."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.base import utcnow
from notify.webhooks import SIGNATURE_HEADER, sign
from referrals.models import AuditEvent, EmailDraft

SECRET = "email-webhook-test-secret"
EMAIL = {
    "from": "Pat Person <pat@example.org>",
    "subject": "Shopping for my mum",
    "text": "She can't get out this week.\r\nThanks, Pat",
    "message_id": "<mum-1@example.org>",
    "attachments": [{"filename": "prescription.jpg", "content_type": "image/jpeg"}],
}


@pytest.fixture(autouse=True)
def secret(app):
    app.extensions["oneroute"].settings["EMAIL_WEBHOOK_SECRET"] = SECRET


def post(client, document, *, secret=SECRET, at=None, body=None):
    raw = body if body is not None else json.dumps(document).encode()
    stamp = int((at or utcnow()).timestamp())
    headers = {SIGNATURE_HEADER: sign(secret, stamp, raw), "Content-Type": "application/json"}
    return client.post("/email/inbound", data=raw, headers=headers)


def drafts(session) -> list[EmailDraft]:
    session.rollback()
    return list(session.scalars(select(EmailDraft).order_by(EmailDraft.id)))


def rejected(session) -> list[AuditEvent]:
    session.rollback()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.kind == "email.webhook_rejected")))


def test_a_signed_email_becomes_one_draft_call_with_its_attachment_refused(client, session):
    answer = post(client, EMAIL)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["attachments_refused"] == 1
    [draft] = drafts(session)
    assert (draft.sender, draft.sender_name, draft.subject) == (
        "pat@example.org",
        "Pat Person",
        EMAIL["subject"],
    )
    assert draft.body == "She can't get out this week.\nThanks, Pat"
    assert draft.attachments_refused == ["prescription.jpg"]
    assert (draft.source, draft.status) == ("webhook", "draft")

    again = post(client, EMAIL)  # the provider retries
    assert again.status_code == 200
    assert again.get_json() == {"email_draft_id": draft.id, "kept": False, "attachments_refused": 1}
    assert len(drafts(session)) == 1


@pytest.mark.parametrize(
    "how",
    ["wrong secret", "altered body", "too old", "no signature", "from the future"],
)
def test_an_unsigned_altered_or_replayed_post_is_refused_and_audited(client, session, how):
    if how == "wrong secret":
        answer = post(client, EMAIL, secret="guessed")
    elif how == "altered body":
        raw = json.dumps(EMAIL).encode()
        headers = {SIGNATURE_HEADER: sign(SECRET, int(utcnow().timestamp()), raw)}
        answer = client.post("/email/inbound", data=raw.replace(b"mum", b"dad"), headers=headers)
    elif how == "too old":
        answer = post(client, EMAIL, at=utcnow() - timedelta(minutes=6))
    elif how == "from the future":
        answer = post(client, EMAIL, at=utcnow() + timedelta(minutes=6))
    else:
        answer = client.post("/email/inbound", json=EMAIL)
    assert answer.status_code == 403
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert drafts(session) == []
    assert len(rejected(session)) == 1


def test_the_webhook_is_off_without_a_secret(app, client, session):
    app.extensions["oneroute"].settings["EMAIL_WEBHOOK_SECRET"] = ""
    assert post(client, EMAIL, secret="").status_code == 403
    assert drafts(session) == []


def test_a_signed_post_that_is_not_an_email_gets_a_clear_4xx(client, session):
    assert post(client, None, body=b"not json").status_code == 400
    assert post(client, ["a", "list"]).status_code == 400
    answer = post(client, {"subject": "no sender", "surprise": 1})
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"from", "surprise"}
    assert post(client, {**EMAIL, "attachments": "x.pdf"}).status_code == 422
    assert post(client, {"from": "no address here"}).status_code == 422
    assert drafts(session) == []


def test_an_html_only_email_is_kept_as_plain_text(client, session):
    html = "<div>Help <b>please</b></div><script>steal()</script><p>Flat 2</p>"
    assert post(client, {"from": "a@example.org", "html": html}).status_code == 201
    [draft] = drafts(session)
    assert draft.body == "Help please\n\nFlat 2"
