"""The outbox against the real twilio client and the fake Twilio: outages, workers that die mid-send,
duplicate sends (detected and bounded), permanent failures and their fallback, several workers at once."""

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from db.base import utcnow
from directory.models import Volunteer
from notify.fake_twilio import FakeTwilio
from notify.models import OutboxMessage, PhoneTask
from notify.outbox import (
    OutboxSettings,
    claim_batch,
    enqueue,
    record_status,
    send_pending,
    status_callback_url,
)
from notify.twilio_client import TwilioSmsSender, make_twilio_client
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.conftest import is_postgres
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

ACCOUNT_SID = "AC" + "7" * 32
AUTH_TOKEN = "outbox-test-token"
OUR_NUMBER = "+447700900000"
APP_URL = "http://app.invalid"
SETTINGS = OutboxSettings(
    max_attempts=4, lease_seconds=30, backoff_base=0.5, backoff_cap=2, batch_size=50, public_base_url=APP_URL
)


class Clock:
    """The real time, moved on by the test instead of by sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self):
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


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


def send(session_factory, sender, events, clock, settings=SETTINGS, worker="worker-1"):
    return send_pending(session_factory, sender, events, settings, worker, clock)


def log_calls(session_factory, count: int) -> list[int]:
    return [
        log_coventry_call(
            session_factory,
            ResidentDetails(name=f"Person {n}", postcode="CV1 1AH", address=f"{n} Test Street"),
        )
        for n in range(count)
    ]


def audit_kinds(session, kind: str) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == kind))


def callback_of(message) -> tuple[int, int]:
    query = parse_qs(urlsplit(message.status_callback).query)
    return int(query["m"][0]), int(query["a"][0])


def test_an_outage_loses_nothing_and_sends_each_text_once(
    session_factory, session, fake, sender, events, clock, directory
):
    log_calls(session_factory, 5)
    assert [t.status for t in texts(session)] == ["queued"] * 5
    fake.set_outage(True)
    for _ in range(3):
        report = send(session_factory, sender, events, clock)
        assert report.outcomes == {"retry": 5}
        clock.advance(5)
    assert fake.create_attempts == 15
    assert fake.messages() == []
    assert {(t.status, t.attempts) for t in texts(session)} == {("queued", 3)}

    fake.set_outage(False)
    while any(t.status == "queued" for t in texts(session)):
        send(session_factory, sender, events, clock)
        clock.advance(5)

    sent = texts(session)
    accepted = fake.messages()
    assert len(accepted) == 5, "every queued text is sent exactly once after the outage"
    assert sorted(m.sid for m in accepted) == sorted(t.twilio_sid for t in sent)
    assert {t.status for t in sent} == {"sent"}
    assert audit_kinds(session, "sms.retry") == 15
    assert audit_kinds(session, "sms.sent") == 5


def test_a_worker_killed_mid_send_loses_nothing(
    session_factory, session, fake, sender, events, clock, directory
):
    log_calls(session_factory, 2)
    with session_factory() as dying:
        claimed = claim_batch(dying, "worker-that-dies", 10, clock(), SETTINGS.lease_seconds)
    assert len(claimed) == 2
    assert send(session_factory, sender, events, clock).claimed == 0, "leased rows are not taken early"

    clock.advance(SETTINGS.lease_seconds + 1)
    report = send(session_factory, sender, events, clock)
    assert report.outcomes == {"sent": 2}
    assert len(fake.messages()) == 2
    assert [(t.status, t.attempts, t.claimed_by) for t in texts(session)] == [("sent", 2, None)] * 2


def _dying_worker_sends(session_factory, sender, clock) -> OutboxMessage:
    """Claim the oldest due text, hand it to Twilio, then die before storing the SID."""
    with session_factory() as dying:
        [message_id] = claim_batch(dying, "worker-that-dies", 1, clock(), SETTINGS.lease_seconds)
        message = dying.get(OutboxMessage, message_id)
        sender.send(message.to, message.body, status_callback_url(APP_URL, message.id, message.attempts))
        return message


def test_a_callback_for_an_unstored_send_prevents_the_duplicate(
    session_factory, session, fake, sender, events, clock, directory
):
    log_calls(session_factory, 1)
    message = _dying_worker_sends(session_factory, sender, clock)
    [accepted] = fake.messages()
    assert callback_of(accepted) == (message.id, 1)
    with session_factory() as webhook:
        assert record_status(webhook, message.id, accepted.sid, "delivered", None, events) == "delivered"

    clock.advance(SETTINGS.lease_seconds + 1)
    assert send(session_factory, sender, events, clock).claimed == 0
    [row] = texts(session)
    assert (row.status, row.twilio_sid, row.claimed_by) == ("delivered", accepted.sid, None)
    assert len(fake.messages()) == 1


def test_a_duplicate_send_is_detected_when_its_callback_arrives(
    session_factory, session, fake, sender, events, clock, directory
):
    log_calls(session_factory, 1)
    message = _dying_worker_sends(session_factory, sender, clock)
    clock.advance(SETTINGS.lease_seconds + 1)
    assert send(session_factory, sender, events, clock).outcomes == {"sent": 1}
    first, second = fake.messages()
    assert first.to == second.to == message.to

    with session_factory() as webhook:
        assert record_status(webhook, message.id, first.sid, "delivered", None, events) == "duplicate"
        assert record_status(webhook, message.id, first.sid, "delivered", None, events) == "duplicate"
        assert record_status(webhook, message.id, second.sid, "delivered", None, events) == "delivered"
    [row] = texts(session)
    assert (row.twilio_sid, row.duplicate_sids, row.attempts) == (second.sid, [first.sid], 2)
    assert audit_kinds(session, "sms.duplicate") == 1


def test_duplicates_are_bounded_by_the_attempt_limit(
    session_factory, session, fake, sender, events, clock, directory
):
    log_calls(session_factory, 1)
    for _ in range(SETTINGS.max_attempts):
        _dying_worker_sends(session_factory, sender, clock)
        clock.advance(SETTINGS.lease_seconds + 1)
    [row] = texts(session)
    referral_id = row.referral_id
    assert send(session_factory, sender, events, clock).outcomes == {"dead": 1}
    assert len(fake.messages(to=LEAD_PHONE)) == SETTINGS.max_attempts, "never more copies than attempts"
    [row, *_next] = texts(session)
    assert (row.status, row.attempts) == ("dead", SETTINGS.max_attempts + 1)
    assert pending_offer(session, referral_id).id != row.offer_id, "the task moved on"


@pytest.mark.parametrize("code", [21610, 21211, 21614])
def test_a_permanent_failure_moves_the_offer_to_the_next_volunteer(
    session_factory, session, fake, sender, events, clock, directory, code
):
    referral_id = log_coventry_call(session_factory)
    first_offer = pending_offer(session, referral_id)
    assert first_offer.volunteer_id == directory["volunteer1"]
    fake.set_create_error(LEAD_PHONE, code)

    assert send(session_factory, sender, events, clock).outcomes == {"dead": 1}
    [dead, follow_up] = texts(session)
    assert (dead.status, dead.last_error_code, dead.attempts) == ("dead", code, 1)
    session.rollback()
    declined = session.get(Offer, first_offer.id, populate_existing=True)
    assert declined.status == "declined"
    next_offer = pending_offer(session, referral_id)
    assert next_offer.volunteer_id == directory["volunteer2"]
    assert (follow_up.to, follow_up.offer_id, follow_up.status) == (SECOND_PHONE, next_offer.id, "queued")
    reasons = session.scalars(select(AuditEvent.reason).where(AuditEvent.kind == "referral.declined")).all()
    assert reasons == [f"text could not be delivered (code {code})"]
    opted_out = session.get(Volunteer, directory["volunteer1"], populate_existing=True).sms_opted_out
    assert opted_out is (code == 21610), "only Twilio's 'unsubscribed recipient' opts the volunteer out"

    assert send(session_factory, sender, events, clock).outcomes == {"sent": 1}
    assert [m.to for m in fake.messages()] == [SECOND_PHONE]


def test_transient_failures_give_up_at_the_limit_and_fall_back(
    session_factory, session, fake, sender, events, clock, directory
):
    referral_id = log_coventry_call(session_factory)
    offer = pending_offer(session, referral_id)
    fake.set_outage(True)
    outcomes = []
    for _ in range(SETTINGS.max_attempts):
        outcomes.append(send(session_factory, sender, events, clock).outcomes)
        clock.advance(10)
    assert outcomes == [{"retry": 1}] * (SETTINGS.max_attempts - 1) + [{"dead": 1}]
    assert fake.create_attempts == SETTINGS.max_attempts
    assert pending_offer(session, referral_id).id != offer.id
    assert audit_kinds(session, "sms.dead") == 1


def test_delivery_failure_reported_by_callback_falls_back_once(
    session_factory, session, fake, sender, events, clock, directory
):
    referral_id = log_coventry_call(session_factory)
    offer = pending_offer(session, referral_id)
    send(session_factory, sender, events, clock)
    [message] = texts(session)
    with session_factory() as webhook:
        assert record_status(webhook, message.id, message.twilio_sid, "sent", None, events) == "sent"
        assert (
            record_status(webhook, message.id, message.twilio_sid, "undelivered", 30005, events)
            == "undelivered"
        )
        assert (
            record_status(webhook, message.id, message.twilio_sid, "delivered", None, events) == "undelivered"
        )
        assert (
            record_status(webhook, message.id, message.twilio_sid, "failed", 30006, events) == "undelivered"
        )
    [row, follow_up] = texts(session)
    assert (row.status, row.delivery_status, row.last_error_code) == ("undelivered", "undelivered", 30005)
    session.rollback()
    assert session.get(Offer, offer.id, populate_existing=True).status == "declined"
    assert follow_up.to == SECOND_PHONE
    assert audit_kinds(session, "referral.declined") == 1


def test_delivery_status_only_moves_forward(session_factory, session, fake, sender, events, clock, directory):
    log_coventry_call(session_factory)
    send(session_factory, sender, events, clock)
    [message] = texts(session)
    with session_factory() as webhook:
        for status in ("delivered", "sent", "queued"):
            assert record_status(webhook, message.id, message.twilio_sid, status, None, events) == "delivered"
        assert record_status(webhook, 999999, message.twilio_sid, "delivered", None, events) == "unknown"
    [row] = texts(session)
    assert (row.status, row.delivery_status) == ("delivered", "delivered")
    assert row.delivered_at is not None


def test_an_undeliverable_details_text_becomes_a_phone_task(
    session_factory, session, fake, sender, events, clock, directory
):
    referral_id = log_coventry_call(session_factory)
    with session_factory() as writer:
        enqueue(writer, "+447700900699", "Task details", "details", referral_id=referral_id)
        writer.commit()
    fake.set_create_error("+447700900699", 21614)
    assert send(session_factory, sender, events, clock).outcomes == {"dead": 1, "sent": 1}
    session.rollback()
    [task] = session.scalars(select(PhoneTask)).all()
    assert (task.phone, task.status, task.referral_id) == ("+447700900699", "open", referral_id)
    assert "code 21614" in task.reason
    assert audit_kinds(session, "sms.phone_task") == 1


def test_several_workers_never_claim_the_same_text(engine, session_factory):
    if not is_postgres(engine):
        pytest.skip(
            "needs PostgreSQL: claims rely on FOR UPDATE SKIP LOCKED there, while SQLite runs every write "
            "transaction alone (BEGIN IMMEDIATE), so concurrent claims cannot race on it"
        )
    with session_factory() as writer:
        for n in range(300):
            enqueue(writer, f"+4477009{n:05d}"[:13], f"text {n}", "notice")
        writer.commit()
    workers, start = 8, threading.Barrier(8)
    claimed: dict[str, list[int]] = {}
    now = utcnow()

    def work(name: str) -> None:
        mine = claimed.setdefault(name, [])
        with session_factory() as session:
            start.wait()
            while batch := claim_batch(session, name, 7, now, 60):
                mine.extend(batch)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [message_id for batch in claimed.values() for message_id in batch]
    assert len(every) == len(set(every)) == 300
    assert sum(1 for batch in claimed.values() if batch) > 1, "the work was shared"
    with session_factory() as session:
        owners = dict(session.execute(select(OutboxMessage.id, OutboxMessage.claimed_by)).all())
    assert all(owners[message_id] == name for name, batch in claimed.items() for message_id in batch)


def test_settings_come_from_the_app_settings():
    from config import load_settings

    settings = OutboxSettings.from_settings(load_settings({}, {"SMS_MAX_ATTEMPTS": 3}))
    assert replace(settings, public_base_url="") == OutboxSettings(
        max_attempts=3, lease_seconds=60, backoff_base=2, backoff_cap=600, batch_size=50
    )
