"""Twilio's webhooks are accepted only when signed for the public URL they arrive at: unsigned, forged,
tampered and replayed-to-another-URL requests are 403 problem+json, and audited."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from notify.models import InboundMessage
from referrals.models import AuditEvent
from tests.integration.notify import sms_builders
from tests.integration.notify.sms_builders import (
    WEBHOOK_PUBLIC,
    coventry_directory,
    inbound_form,
    log_coventry_call,
    texts,
    webhook_settings,
)

AUTH_TOKEN = "webhook-test-token"
PUBLIC = WEBHOOK_PUBLIC
PROBLEM = "application/problem+json"


@pytest.fixture
def app(database_url, session_factory) -> Iterator:
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **webhook_settings(AUTH_TOKEN)})
    yield app
    app.extensions["oneroute"].engine.dispose()


def signed(url: str, form: dict[str, str], token: str = AUTH_TOKEN) -> dict[str, str]:
    return sms_builders.signed(url, form, token)


def rejections(session) -> list[str]:
    session.rollback()
    query = (
        select(AuditEvent.reason).where(AuditEvent.kind == "sms.webhook_rejected").order_by(AuditEvent.seq)
    )
    return list(session.scalars(query))


def test_a_text_signed_for_the_public_url_is_answered_with_twiml(client, session):
    form = inbound_form("HELP")
    response = client.post("/sms/inbound", data=form, headers=signed(f"{PUBLIC}/sms/inbound", form))
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>One Route In')
    assert session.scalar(select(InboundMessage.command)) == "help"


@pytest.mark.parametrize(
    ("path", "headers_for", "reason"),
    [
        ("/sms/inbound", lambda form: {}, "no X-Twilio-Signature header"),
        (
            "/sms/inbound",
            lambda form: signed(f"{PUBLIC}/sms/inbound", form, "not-our-token"),
            "does not match",
        ),
        ("/sms/inbound", lambda form: {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, "does not match"),
        (
            "/sms/inbound",
            lambda form: signed(f"{PUBLIC}/sms/inbound", {**form, "Body": "STOP"}),
            "does not match",
        ),
        ("/sms/inbound", lambda form: signed("http://localhost/sms/inbound", form), "does not match"),
        ("/sms/status?m=1&a=1", lambda form: signed(f"{PUBLIC}/sms/inbound", form), "does not match"),
        ("/sms/inbound?again=1", lambda form: signed(f"{PUBLIC}/sms/inbound", form), "does not match"),
    ],
    ids=[
        "unsigned",
        "forged",
        "garbage",
        "tampered",
        "internal-url",
        "replayed-to-status",
        "replayed-with-query",
    ],
)
def test_unsigned_forged_and_replayed_webhooks_are_refused(client, session, path, headers_for, reason):
    form = inbound_form("YES")
    response = client.post(path, data=form, headers=headers_for(form))
    assert response.status_code == 403
    assert response.mimetype == PROBLEM
    assert reason in response.get_json()["detail"]
    assert session.scalars(select(InboundMessage)).all() == []
    assert len(rejections(session)) == 1
    assert reason in rejections(session)[0]


def test_a_status_callback_cannot_be_replayed_onto_another_message(client, session, session_factory):
    coventry_directory(session_factory)
    log_coventry_call(session_factory)
    log_coventry_call(session_factory)
    first, second = texts(session)
    form = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "undelivered", "ErrorCode": "30005"}
    headers = signed(f"{PUBLIC}/sms/status?m={first.id}&a=1", form)
    assert client.post(f"/sms/status?m={second.id}&a=1", data=form, headers=headers).status_code == 403
    assert client.post(f"/sms/status?m={first.id}&a=1", data=form, headers=headers).status_code == 204
    first, second, follow_up = texts(session)
    assert (first.status, first.twilio_sid, second.status) == ("undelivered", "SM" + "c" * 32, "queued")
    assert follow_up.referral_id == first.referral_id, "the undelivered offer moved on"


def test_without_an_auth_token_every_webhook_is_refused(database_url, session_factory, session):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "PUBLIC_BASE_URL": PUBLIC})
    form = inbound_form()
    response = app.test_client().post(
        "/sms/inbound", data=form, headers=signed(f"{PUBLIC}/sms/inbound", form, "")
    )
    app.extensions["oneroute"].engine.dispose()
    assert response.status_code == 403
    assert "not configured" in response.get_json()["detail"]


def test_refer_through_the_signed_webhook_answers_a_known_lead_with_a_one_time_link(
    client, session, session_factory
):
    """Issue 24: REFER from the group's lead (the directory's contact phone) returns a link to the form at
    PUBLIC_BASE_URL; the stored reply leaves it out, and only the link's hash is kept."""
    from referrals.models import ReferralLink
    from referrals.requests import hash_link

    coventry_directory(session_factory)
    form = {**inbound_form("REFER", sid="SM" + "c" * 32), "From": sms_builders.GROUP_PHONE}
    response = client.post("/sms/inbound", data=form, headers=signed(f"{PUBLIC}/sms/inbound", form))
    assert response.status_code == 200
    prefix = f"{PUBLIC}/refer/"
    assert prefix in response.text
    token = response.text.split(prefix, 1)[1].split("<", 1)[0]
    session.rollback()
    assert session.scalar(select(ReferralLink.token_hash)) == hash_link(token)
    assert token not in session.scalar(select(InboundMessage.reply))
