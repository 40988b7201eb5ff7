"""GOV.UK Notify behind the sender port, through the real notifications-python-client and the fake Notify:
what a send carries, how each failure is classified, and the outbox's retries and fallback through Notify."""

import socket
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from config.settings import load_settings
from notify.errors import SmsSendError
from notify.factory import build_sms_sender
from notify.fake_notify import FakeNotify
from notify.govuk_notify import NotifySmsSender, make_notify_client
from notify.outbox import OutboxSettings, message_of_reference, outbox_reference, send_pending
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.integration.notify.notify_builders import (
    API_KEY,
    SERVICE_ID,
    TEMPLATE_ID,
    fake_notify,
    notify_settings,
)
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    SECOND_PHONE,
    ResidentDetails,
    coventry_directory,
    log_coventry_call,
    pending_offer,
    texts,
)
from texting.outbox_events import ReferralSmsEvents

SETTINGS = OutboxSettings(max_attempts=4, lease_seconds=30, backoff_base=0.01, backoff_cap=0.02)


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    with fake_notify() as server:
        yield server


@pytest.fixture
def sender(fake) -> NotifySmsSender:
    return NotifySmsSender(make_notify_client(API_KEY, base_url=fake.url, timeout=3), TEMPLATE_ID)


def send(session_factory, sender) -> dict[str, int]:
    events = ReferralSmsEvents(load_lifecycle_policy())
    return send_pending(session_factory, sender, events, SETTINGS, "worker-1").outcomes


def test_the_settings_choose_notify():
    sender = build_sms_sender(load_settings({}, notify_settings()))
    assert type(sender) is NotifySmsSender
    assert (sender.template_id, sender.client.service_id) == (TEMPLATE_ID, SERVICE_ID)
    assert sender.client.base_url == "http://notify.invalid"


def test_a_text_is_sent_as_the_template_with_its_body_and_reference(fake, sender):
    sent = sender.send(LEAD_PHONE, "Task K7QX: shopping near CV1", reference=outbox_reference(12, 3))
    [message] = fake.messages(to="07700 900611")
    assert (sent.sid, sent.num_segments) == (message.id, 1)
    assert (message.to, message.body, message.template_id) == (
        LEAD_PHONE,
        "Task K7QX: shopping near CV1",
        TEMPLATE_ID,
    )
    assert message.reference == "outbox-12-3"
    assert message_of_reference(message.reference) == 12
    assert message_of_reference("an-invoice-number") is None


def _refuse_number(fake: FakeNotify, sender: object = None) -> None:
    fake.configure(
        {
            "errors": {
                LEAD_PHONE: [400, "BadRequestError", "Can't send to this recipient using a team-only API key"]
            }
        }
    )


@pytest.mark.parametrize(
    ("arrange", "to", "status", "transient", "says"),
    [
        (
            lambda fake, sender: None,
            "+15005550006",
            400,
            False,
            "ValidationError: phone_number Not a UK mobile",
        ),
        (_refuse_number, LEAD_PHONE, 400, False, "team-only API key"),
        (
            lambda fake, sender: setattr(sender, "template_id", str(uuid.uuid4())),
            LEAD_PHONE,
            400,
            False,
            "Template not found",
        ),
        (
            lambda fake, sender: setattr(sender.client, "api_key", str(uuid.uuid4())),
            LEAD_PHONE,
            403,
            False,
            "AuthError: Invalid token: signature",
        ),
        (
            lambda fake, sender: setattr(sender.client, "service_id", str(uuid.uuid4())),
            LEAD_PHONE,
            403,
            False,
            "AuthError",
        ),
        (
            lambda fake, sender: fake.configure({"rate_limited": True}),
            LEAD_PHONE,
            429,
            True,
            "RateLimitError",
        ),
        (
            lambda fake, sender: fake.configure({"outage": True}),
            LEAD_PHONE,
            500,
            True,
            "Internal server error",
        ),
    ],
    ids=[
        "not-a-uk-mobile",
        "team-only-key",
        "unknown-template",
        "wrong-secret",
        "unknown-service",
        "rate-limit",
        "outage",
    ],
)
def test_each_failure_is_classified(fake, sender, arrange, to, status, transient, says):
    arrange(fake, sender)
    with pytest.raises(SmsSendError) as refused:
        sender.send(to, "Task K7QX: shopping near CV1")
    assert (refused.value.code, refused.value.status, refused.value.transient) == (None, status, transient)
    assert says in refused.value.message
    assert fake.messages() == []


def test_no_answer_at_all_is_transient():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}"
    sender = NotifySmsSender(make_notify_client(API_KEY, base_url=url, timeout=1), TEMPLATE_ID)
    with pytest.raises(SmsSendError) as refused:
        sender.send(LEAD_PHONE, "Task K7QX")
    assert (refused.value.status, refused.value.transient) == (None, True)
    assert "ConnectionError" in refused.value.message


def test_an_outage_loses_nothing_and_each_text_goes_once_with_its_attempts_reference(
    session_factory, session, fake, sender
):
    coventry_directory(session_factory)
    for n in range(3):
        log_coventry_call(
            session_factory,
            ResidentDetails(name=f"Person {n}", postcode="CV1 1AH", address=f"{n} Test Street"),
        )
    fake.configure({"outage": True, "outage_requests": 3})
    assert send(session_factory, sender) == {"retry": 3}
    while any(t.status == "queued" for t in texts(session)):
        send(session_factory, sender)
    sent = texts(session)
    assert {t.status for t in sent} == {"sent"}
    accepted = {m.id: m for m in fake.messages()}
    assert sorted(accepted) == sorted(t.twilio_sid for t in sent), "each text accepted once, its id stored"
    assert {accepted[t.twilio_sid].reference for t in sent} == {f"outbox-{t.id}-{t.attempts}" for t in sent}
    assert fake.send_attempts == 6


def test_a_permanent_refusal_moves_the_offer_to_the_next_volunteer(session_factory, session, fake, sender):
    directory = coventry_directory(session_factory)
    referral_id = log_coventry_call(session_factory)
    first = pending_offer(session, referral_id)
    _refuse_number(fake)
    assert send(session_factory, sender) == {"dead": 1}
    [dead, follow_up] = texts(session)
    assert (dead.status, dead.attempts, dead.last_error_code) == ("dead", 1, None)
    assert "team-only API key" in dead.last_error
    assert session.get(Offer, first.id, populate_existing=True).status == "declined"
    assert pending_offer(session, referral_id).volunteer_id == directory["volunteer2"]
    assert follow_up.to == SECOND_PHONE
    assert send(session_factory, sender) == {"sent": 1}
    assert [m.to for m in fake.messages()] == [SECOND_PHONE]
    reason = session.scalar(select(AuditEvent.reason).where(AuditEvent.kind == "sms.dead"))
    assert reason.startswith("permanent: no code, HTTP 400: BadRequestError")
