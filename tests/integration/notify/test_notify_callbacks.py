"""GOV.UK Notify's callbacks: only with the service's bearer token (403 problem+json otherwise, audited);
a delivery receipt moves its outbox row on and a failure falls back, as Twilio's status callbacks do; a
received text acts as a Twilio one does, and its reply is written to the outbox once."""

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from directory.models import Volunteer
from notify.govuk_notify import NotifySmsSender, make_notify_client
from notify.models import InboundMessage
from notify.outbox import OutboxSettings, claim_batch, send_pending
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.integration.notify.notify_builders import (
    API_KEY,
    CALLBACK_TOKEN,
    TEMPLATE_ID,
    bearer,
    fake_notify,
    notify_settings,
)
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    coventry_directory,
    log_coventry_call,
    pending_offer,
    referral,
    texts,
)
from texting.outbox_events import ReferralSmsEvents
from texting.replies import HELP_TEXT

STATUS, INBOUND = "/sms/notify/status", "/sms/notify/inbound"
PROBLEM = "application/problem+json"
NOTIFICATION_ID = "740e5834-3a29-46b4-9a6f-16142fde533a"


@pytest.fixture
def fake():
    with fake_notify() as server:
        yield server


@pytest.fixture
def app(database_url, session_factory, fake) -> Iterator:
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **notify_settings(fake.url)})
    yield app
    app.extensions["oneroute"].engine.dispose()


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return coventry_directory(session_factory)


def send_all(session_factory, fake) -> dict[str, int]:
    sender = NotifySmsSender(make_notify_client(API_KEY, base_url=fake.url, timeout=3), TEMPLATE_ID)
    events = ReferralSmsEvents(load_lifecycle_policy())
    return send_pending(session_factory, sender, events, OutboxSettings(), "worker-1").outcomes


def receipt(fake, to: str, status: str) -> dict:
    message = fake.messages(to=to)[-1]
    return {**message.receipt_json(), "status": status}


def received(
    body: str, sid: str = "1e5a0bd7-d4bb-4a33-8a16-bbe7a6ea3d2c", source: str = "447700900611"
) -> dict:
    return {
        "id": sid,
        "source_number": source,
        "destination_number": "07700900000",
        "message": body,
        "date_received": "2026-12-07T12:00:00.000000Z",
    }


def rejections(session) -> list[str]:
    session.rollback()
    query = (
        select(AuditEvent.reason).where(AuditEvent.kind == "sms.webhook_rejected").order_by(AuditEvent.seq)
    )
    return list(session.scalars(query))


@pytest.mark.parametrize("path", [STATUS, INBOUND])
@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no bearer token"),
        ({"Authorization": CALLBACK_TOKEN}, "no bearer token"),
        ({"Authorization": f"Basic {CALLBACK_TOKEN}"}, "no bearer token"),
        (bearer("not-the-callback-token"), "the bearer token is not NOTIFY_CALLBACK_TOKEN"),
        (bearer(CALLBACK_TOKEN + "x"), "the bearer token is not NOTIFY_CALLBACK_TOKEN"),
    ],
    ids=["none", "no-scheme", "basic", "wrong", "longer"],
)
def test_a_callback_without_the_token_is_refused_and_audited(client, session, path, headers, reason):
    response = client.post(path, json=received("YES"), headers=headers)
    assert (response.status_code, response.mimetype) == (403, PROBLEM)
    assert response.get_json()["detail"] == reason
    assert rejections(session) == [reason]
    assert session.scalar(select(InboundMessage.id)) is None


def test_without_a_callback_token_the_callbacks_are_closed(database_url, session):
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        response = app.test_client().post(INBOUND, json=received("YES"), headers=bearer(""))
        assert response.status_code == 403
        assert rejections(session) == [
            "GOV.UK Notify callbacks are not configured (no NOTIFY_CALLBACK_TOKEN)"
        ]
    finally:
        app.extensions["oneroute"].engine.dispose()


def test_a_delivery_receipt_marks_the_text_delivered(client, session, session_factory, fake, directory):
    fake.configure({"callbacks": False})
    log_coventry_call(session_factory)
    assert send_all(session_factory, fake) == {"sent": 1}
    response = client.post(STATUS, json=receipt(fake, LEAD_PHONE, "delivered"), headers=bearer())
    assert response.status_code == 204
    [text] = texts(session)
    assert (text.status, text.delivery_status) == ("delivered", "delivered")
    assert session.scalar(select(AuditEvent.seq).where(AuditEvent.kind == "sms.delivered")) is not None


@pytest.mark.parametrize("failure", ["permanent-failure", "temporary-failure", "technical-failure"])
def test_an_undelivered_offer_text_moves_the_offer_on(
    client, session, session_factory, fake, directory, failure
):
    fake.configure({"callbacks": False})
    referral_id = log_coventry_call(session_factory)
    first = pending_offer(session, referral_id)
    send_all(session_factory, fake)
    assert client.post(STATUS, json=receipt(fake, LEAD_PHONE, failure), headers=bearer()).status_code == 204
    assert client.post(STATUS, json=receipt(fake, LEAD_PHONE, failure), headers=bearer()).status_code == 204
    session.rollback()
    assert session.get(Offer, first.id, populate_existing=True).status == "declined"
    assert pending_offer(session, referral_id).volunteer_id == directory["volunteer2"]
    details = session.scalars(select(AuditEvent.reason).where(AuditEvent.kind == "sms.delivery_failed")).all()
    assert details == [f"GOV.UK Notify: {failure}, code None"], "a repeated receipt falls back once"


def test_a_receipt_for_a_send_whose_answer_was_lost_stores_its_id(
    client, session, session_factory, fake, directory
):
    log_coventry_call(session_factory)
    [message_id] = claim_batch(
        session, "a-worker-that-died", 10, texts(session)[0].created_at.replace(year=2100)
    )
    body = {
        "id": NOTIFICATION_ID,
        "reference": f"outbox-{message_id}-1",
        "to": LEAD_PHONE,
        "status": "delivered",
    }
    assert client.post(STATUS, json=body, headers=bearer()).status_code == 204
    [text] = texts(session)
    assert (text.twilio_sid, text.status, text.claimed_by) == (NOTIFICATION_ID, "delivered", None)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"id": NOTIFICATION_ID, "reference": None, "status": "delivered"}, 204),
        ({"id": NOTIFICATION_ID, "reference": "invoice-77", "status": "delivered"}, 204),
        ({"id": NOTIFICATION_ID, "reference": "outbox-1-1", "status": "lost"}, 422),
        ({"id": "'; drop table sms_outbox; --", "reference": "outbox-1-1", "status": "delivered"}, 422),
        ({"id": 7, "reference": "outbox-1-1", "status": "delivered"}, 422),
        (["not", "an", "object"], 400),
    ],
    ids=["no-reference", "not-ours", "unknown-status", "not-an-id", "not-text", "not-an-object"],
)
def test_receipts_not_for_the_outbox_are_ignored_and_bad_ones_refused(client, body, status):
    assert client.post(STATUS, json=body, headers=bearer()).status_code == status


def test_a_received_yes_accepts_and_the_reply_and_details_go_through_the_outbox(
    client, session, session_factory, fake, directory
):
    referral_id = log_coventry_call(session_factory)
    offer = pending_offer(session, referral_id)
    send_all(session_factory, fake)
    for _ in range(2):  # Notify retries a callback it thinks failed: it acts once
        response = client.post(INBOUND, json=received(f"YES {offer.task_code}"), headers=bearer())
        assert response.status_code == 204
    row = referral(session, referral_id)
    assert (row.status, row.volunteer_id) == ("accepted", directory["volunteer1"])
    [stored] = session.scalars(select(InboundMessage)).all()
    assert (stored.from_phone, stored.command) == (LEAD_PHONE, "accept")
    queued = [(t.to, t.kind) for t in texts(session, status="queued")]
    assert sorted(queued) == [(LEAD_PHONE, "details"), (LEAD_PHONE, "notice")]
    [reply] = texts(session, kind="notice")
    assert reply.body == stored.reply
    assert f"Task {offer.task_code} is yours" in reply.body
    assert send_all(session_factory, fake) == {"sent": 2}


def test_help_is_answered_by_text_and_stop_opts_out_without_one(client, session, session_factory, directory):
    log_coventry_call(session_factory)
    client.post(INBOUND, json=received("HELP", sid="5a5b5c5d-0000-4000-8000-000000000001"), headers=bearer())
    assert [t.body for t in texts(session, kind="notice")] == [HELP_TEXT]
    client.post(INBOUND, json=received("STOP", sid="5a5b5c5d-0000-4000-8000-000000000002"), headers=bearer())
    session.rollback()
    assert session.get(Volunteer, directory["volunteer1"], populate_existing=True).sms_opted_out
    client.post(INBOUND, json=received("HELP", sid="5a5b5c5d-0000-4000-8000-000000000003"), headers=bearer())
    assert [t.body for t in texts(session, kind="notice")] == [HELP_TEXT], "no reply to an opted-out phone"
    client.post(INBOUND, json=received("START", sid="5a5b5c5d-0000-4000-8000-000000000004"), headers=bearer())
    session.rollback()
    assert not session.get(Volunteer, directory["volunteer1"], populate_existing=True).sms_opted_out
    assert len(texts(session, kind="notice")) == 2
