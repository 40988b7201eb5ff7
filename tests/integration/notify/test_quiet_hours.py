"""No texts at night (issue 24): an offer made in quiet hours waits in the outbox until they end, and its
time to answer starts then, so it cannot expire while its text waits; an emergency's offer is texted at
once, and the audit trail says it went in quiet hours."""

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config.quiet_hours import QuietHours
from db.base import utcnow
from notify.logging_sender import LoggingSmsSender
from notify.models import OutboxMessage
from notify.outbox import OutboxSettings, claim_batch, send_pending
from referrals.intake import CallLog, log_call
from referrals.models import AuditEvent
from referrals.policy import load_lifecycle_policy
from tests.integration.intake_helpers import HELPLINE, intake_context
from tests.integration.notify.sms_builders import RESIDENT, coventry_directory, pending_offer
from texting.outbox_events import ReferralSmsEvents

LONDON = ZoneInfo("Europe/London")
ROUTINE = "Needs shopping picked up this week."
EMERGENCY = "No food at all today, diabetic and feeling faint, needs shopping now"


def quiet_now() -> QuietHours:
    """Quiet hours around the real time now (intake stamps calls with it): from an hour ago to two on."""
    local = utcnow().astimezone(LONDON)
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    return QuietHours(start, end, LONDON)


@pytest.fixture
def quiet() -> QuietHours:
    return quiet_now()


def log(session_factory, notes: str, quiet: QuietHours) -> int:
    context = intake_context(session_factory)
    policy = replace(context.routing.lifecycle_policy, quiet_hours=quiet)
    context = replace(context, routing=replace(context.routing, lifecycle_policy=policy))
    call = CallLog(channel="phone", resident=RESIDENT, notes=notes, consent_to_share=True, new_person=True)
    with session_factory() as session:
        return log_call(session, call, HELPLINE, context).referral.id


def outbox(session, referral_id: int) -> OutboxMessage:
    session.rollback()
    return session.scalars(select(OutboxMessage).where(OutboxMessage.referral_id == referral_id)).one()


def test_quiet_hours_across_midnight_and_when_they_open():
    hours = QuietHours.parse("21:00-08:00", "Europe/London")
    assert hours.is_quiet(datetime(2026, 12, 7, 22, 30, tzinfo=LONDON))
    assert hours.is_quiet(datetime(2026, 12, 8, 7, 59, tzinfo=LONDON))
    assert not hours.is_quiet(datetime(2026, 12, 8, 8, 0, tzinfo=LONDON))
    assert hours.opens_at(datetime(2026, 12, 7, 22, 30, tzinfo=LONDON)) == datetime(
        2026, 12, 8, 8, tzinfo=LONDON
    )
    assert hours.opens_at(datetime(2026, 12, 8, 1, 0, tzinfo=LONDON)) == datetime(
        2026, 12, 8, 8, tzinfo=LONDON
    )
    noon = datetime(2026, 12, 8, 12, 0, tzinfo=LONDON)
    assert hours.opens_at(noon) == noon
    summer = datetime(2026, 6, 30, 23, 0, tzinfo=LONDON)  # BST: 08:00 local is 07:00 UTC
    assert hours.opens_at(summer).astimezone(ZoneInfo("UTC")).time() == time(7, 0)
    assert QuietHours.parse("", "Europe/London") is None
    with pytest.raises(ValueError, match="HH:MM-HH:MM"):
        QuietHours.parse("9pm to 8am", "Europe/London")


def test_an_offer_made_in_quiet_hours_waits_and_its_window_starts_when_they_end(
    session_factory, session, quiet
):
    coventry_directory(session_factory)
    referral_id = log(session_factory, ROUTINE, quiet)
    offer = pending_offer(session, referral_id)
    opens = quiet.opens_at(offer.created_at)
    assert opens > offer.created_at
    assert offer.expires_at == opens + load_lifecycle_policy().offer_expiry["routine"]

    text = outbox(session, referral_id)
    assert text.kind == "offer"
    assert text.waits_for_day is True
    with session_factory() as claiming:
        assert claim_batch(claiming, "w1", 50, offer.created_at + timedelta(minutes=1), quiet=quiet) == []
    with session_factory() as claiming:
        assert claim_batch(claiming, "w1", 50, opens + timedelta(seconds=1), quiet=quiet) == [text.id]


def test_an_emergency_is_texted_at_once_in_quiet_hours_and_the_trail_says_so(session_factory, session, quiet):
    coventry_directory(session_factory)
    referral_id = log(session_factory, EMERGENCY, quiet)
    offer = pending_offer(session, referral_id)
    assert offer.expires_at == offer.created_at + load_lifecycle_policy().offer_expiry["emergency"]
    text = outbox(session, referral_id)
    assert text.waits_for_day is False

    settings = OutboxSettings(quiet=quiet)
    events = ReferralSmsEvents(load_lifecycle_policy())
    report = send_pending(session_factory, LoggingSmsSender(), events, settings, "w1")
    assert report.claimed == 1
    assert outbox(session, referral_id).status == "sent"
    said = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == referral_id, AuditEvent.kind == "sms.quiet_hours_emergency"
        )
    ).all()
    assert len(said) == 1
    assert said[0].reason.startswith("an emergency, so it is texted at once")
