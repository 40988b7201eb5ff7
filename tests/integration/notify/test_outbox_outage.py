"""A Twilio outage of hours, driven by a clock the test moves on (no sleeping): with the default retry
settings every text is sent once the outage ends and none twice; an offer text is worth sending only while
its offer is open (the offer's own timer), any other text only for SMS_MAX_AGE_SECONDS."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from config.settings import load_settings
from notify.fake_twilio import FakeTwilio
from notify.models import OutboxMessage, PhoneTask
from notify.outbox import OutboxSettings, enqueue, send_pending
from notify.twilio_client import TwilioSmsSender, make_twilio_client
from referrals.actions import expire_due_offers
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    SECOND_PHONE,
    coventry_directory,
    pending_offer,
    texts,
)
from tests.integration.notify.test_outbox_sending import (
    ACCOUNT_SID,
    APP_URL,
    AUTH_TOKEN,
    OUR_NUMBER,
    Clock,
    log_calls,
)
from texting.outbox_events import ReferralSmsEvents

DEFAULTS = replace(OutboxSettings.from_settings(load_settings({})), public_base_url=APP_URL)
HOUR = 3600.0


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, callbacks=False, echo=False) as server:
        yield server


@pytest.fixture
def sender(fake) -> TwilioSmsSender:
    return TwilioSmsSender(
        make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, timeout=2), OUR_NUMBER
    )


@pytest.fixture
def events() -> ReferralSmsEvents:
    return ReferralSmsEvents(load_lifecycle_policy())


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return coventry_directory(session_factory)


def tick(session_factory, sender, events, clock, *, sweep_first: bool = True):
    """One pass of the worker at the clock's time: the offer timers and one batch of texts."""
    if sweep_first:
        with session_factory() as session:
            expire_due_offers(session, load_lifecycle_policy(), now=clock())
    report = send_pending(session_factory, sender, events, DEFAULTS, "worker-1", clock)
    if not sweep_first:
        with session_factory() as session:
            expire_due_offers(session, load_lifecycle_policy(), now=clock())
    return report


def next_due(session) -> datetime | None:
    """When the earliest queued text is next due."""
    session.rollback()
    return session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == "queued")
    )


def run_until(session_factory, session, sender, events, clock, until: float, step: float | None = None):
    """Worker passes until the clock has moved `until` seconds on: every `step` seconds, or (without a
    step) straight to the next text due."""
    end = clock() + timedelta(seconds=until)
    while clock() < end:
        tick(session_factory, sender, events, clock)
        due = next_due(session)
        if step is not None or due is None:
            clock.advance(step or until)
        else:
            clock.advance(max((min(due, end) - clock()).total_seconds(), 0) + 0.001)


def audit_reasons(session, kind: str) -> list[str]:
    session.rollback()
    return list(session.scalars(select(AuditEvent.reason).where(AuditEvent.kind == kind)))


def test_an_outage_of_hours_loses_no_text_and_sends_none_twice(
    session_factory, session, fake, sender, events, clock, directory
):
    log_calls(session_factory, 5)
    offers = {t.id: t.offer_id for t in texts(session)}
    fake.set_outage(True)
    run_until(session_factory, session, sender, events, clock, 3 * HOUR)
    during = texts(session)
    assert {t.status for t in during} == {"queued"}, "still retrying three hours in (it gave up in 31 s)"
    assert min(t.attempts for t in during) > 6
    assert fake.messages() == []

    fake.set_outage(False)
    while any(t.status == "queued" for t in texts(session)):
        tick(session_factory, sender, events, clock)
        clock.advance(DEFAULTS.backoff_cap)

    sent = texts(session)
    accepted = fake.messages()
    assert len(accepted) == len(sent) == 5, "every text sent once the outage ended, and no other"
    assert sorted(m.sid for m in accepted) == sorted(t.twilio_sid for t in sent)
    assert sorted(m.body for m in accepted) == sorted(t.body for t in sent)
    assert {t.status for t in sent} == {"sent"}
    assert {t.id: t.offer_id for t in sent} == offers, "no offer was declined or moved on"
    assert all(pending_offer(session, t.referral_id).id == t.offer_id for t in sent)
    assert audit_reasons(session, "sms.dead") == []
    assert len(audit_reasons(session, "sms.retry")) == sum(t.attempts - 1 for t in sent)


@pytest.mark.parametrize(
    "sweep_first", [True, False], ids=["offer-expired-by-its-timer", "offer-past-expiry"]
)
def test_an_offer_text_is_not_sent_once_its_offer_has_expired(
    session_factory, session, fake, sender, events, clock, directory, sweep_first
):
    [referral_id] = log_calls(session_factory, 1)
    first = pending_offer(session, referral_id)
    with session_factory() as writer:
        writer.get(Offer, first.id).expires_at = clock() + timedelta(minutes=30)
        writer.commit()
    fake.set_outage(True)
    while pending_offer(session, referral_id).id == first.id or texts(session)[0].status != "dead":
        tick(session_factory, sender, events, clock, sweep_first=sweep_first)
        clock.advance(60)

    dead, follow_up = texts(session)
    assert (dead.status, dead.offer_id) == ("dead", first.id)
    assert audit_reasons(session, "sms.dead") == ["not sent: its offer expired before the text could be sent"]
    session.rollback()
    expired = session.get(Offer, first.id, populate_existing=True)
    assert expired.status == "expired", "moved on by its timer, not declined"
    assert audit_reasons(session, "referral.declined") == []
    assert session.scalar(select(func.count()).select_from(PhoneTask)) == 0

    fake.set_outage(False)
    while texts(session)[-1].status == "queued":
        tick(session_factory, sender, events, clock)
        clock.advance(DEFAULTS.backoff_cap)
    assert [m.to for m in fake.messages()] == [SECOND_PHONE], "the next volunteer's text, once"
    assert LEAD_PHONE not in {m.to for m in fake.messages()}, "never the dead one"
    assert follow_up.to == SECOND_PHONE
    assert texts(session)[-1].status == "sent"


def test_other_texts_are_kept_trying_for_their_maximum_age_then_phoned(
    session_factory, session, fake, sender, events, clock, directory
):
    with session_factory() as writer:
        enqueue(writer, "+447700900699", "Task details", "details", now=clock())
        writer.commit()
    fake.set_outage(True)
    run_until(session_factory, session, sender, events, clock, DEFAULTS.max_age_seconds - 60)
    [text] = texts(session)
    assert text.status == "queued", "still trying just before its maximum age"

    run_until(session_factory, session, sender, events, clock, 2 * DEFAULTS.backoff_cap)
    [text] = texts(session)
    assert text.status == "dead"
    assert audit_reasons(session, "sms.dead") == [
        "not sent within its maximum age (6 h, SMS_MAX_AGE_SECONDS)"
    ]
    [task] = session.scalars(select(PhoneTask)).all()
    assert task.phone == "+447700900699"
    assert fake.messages() == []
