"""Which sender the settings give, the logging sender when Twilio is not configured, and the texts' limits."""

import logging
from datetime import UTC, datetime

import pytest

from config.settings import ConfigError, load_settings
from notify.factory import build_sms_sender
from notify.logging_sender import LoggingSmsSender
from notify.outbox import OutboxSettings, enqueue, send_pending
from notify.sms_text import segment_count
from notify.twilio_client import TwilioSmsSender
from referrals.models import Referral, Resident
from referrals.offer_texts import details_text, offer_text
from referrals.policy import load_lifecycle_policy
from tests.integration.notify.sms_builders import texts
from texting.outbox_events import ReferralSmsEvents

TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "2" * 32, "TWILIO_AUTH_TOKEN": "token"}
EXPIRES = datetime(2026, 11, 28, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, LoggingSmsSender),
        ({**TWILIO, "TWILIO_FROM": "+447700900000"}, TwilioSmsSender),
        ({**TWILIO, "TWILIO_MESSAGING_SERVICE_SID": "MG" + "3" * 32}, TwilioSmsSender),
        (
            {**TWILIO, "TWILIO_FROM": "+447700900000", "TWILIO_BASE_URL": "http://127.0.0.1:8099"},
            TwilioSmsSender,
        ),
    ],
)
def test_the_settings_choose_the_sender(overrides, expected):
    assert type(build_sms_sender(load_settings({}, overrides))) is expected


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        (TWILIO, "TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"),
        ({"TWILIO_FROM": "+447700900000"}, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"),
        ({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_FROM": "+447700900000"}, "TWILIO_AUTH_TOKEN"),
    ],
)
def test_half_a_twilio_configuration_refuses_to_start(overrides, missing):
    with pytest.raises(ConfigError, match=missing):
        build_sms_sender(load_settings({}, overrides))


@pytest.mark.parametrize(("app_env", "body_logged"), [("development", True), ("production", False)])
def test_without_twilio_texts_are_kept_and_logged_never_dropped(
    session_factory, session, caplog, app_env, body_logged
):
    sender = build_sms_sender({"APP_ENV": app_env})
    with session_factory() as writer:
        enqueue(writer, "+447700900611", "Task BG5: Shopping near CV1", "notice")
        writer.commit()
    with caplog.at_level(logging.WARNING, logger="notify.logging_sender"):
        report = send_pending(
            session_factory, sender, ReferralSmsEvents(load_lifecycle_policy()), OutboxSettings(), "worker"
        )
    assert report.outcomes == {"sent": 1}
    [row] = texts(session)
    assert row.status == "sent"
    assert row.twilio_sid.startswith("LG")
    assert row.twilio_sid in caplog.text
    assert "+447700900611" in caplog.text
    assert ("Shopping near CV1" in caplog.text) is body_logged


def _referral(**fields) -> Referral:
    return Referral(urgency=fields.pop("urgency", "routine"), plan=fields.pop("plan", None), **fields)


def test_an_offer_with_many_needs_names_the_first_and_keeps_the_instructions():
    needs = [
        "shopping",
        "prescriptions",
        "befriending",
        "dog_walking",
        "errands",
        "food",
        "digital",
        "transport",
    ]
    text = offer_text("K7QX", needs, "CV1", _referral(), EXPIRES)
    assert segment_count(text) <= 2
    assert "and more near CV1" in text
    assert text.endswith(
        "Reply YES K7QX to take it or NO K7QX if you can't, by 14:30 Sat 28 Nov. Details come after YES."
    )


@pytest.mark.parametrize(
    ("referral", "window"),
    [
        (_referral(urgency="urgent"), "needed today"),
        (_referral(urgency="emergency"), "needed within hours"),
        (_referral(plan={"every_days": 7, "count": 3}), "then every 7 days (3 times in all)"),
    ],
)
def test_the_offer_gives_the_time_window(referral, window):
    assert window in offer_text("K7QX", ["shopping"], "CV1", referral, EXPIRES)


def test_details_keep_to_two_segments_and_gsm_characters():
    resident = Resident(
        name="Zoë O’Connor–Smith",
        phone="+447700900321",
        address="Flat 12, " + "Long Building Name, " * 12 + "Coventry",
        postcode="CV1 1AH",
    )
    text = details_text("K7QX", _referral(needs=["shopping"]), resident)
    assert segment_count(text) <= 2
    assert text.startswith(
        "Task K7QX is yours, thank you. Reply DONE K7QX when finished. Zoe O'Connor-Smith, "
    )


def test_sms_commands_send_once_and_list_phone_tasks(app, session_factory):
    from notify.models import PhoneTask

    with session_factory() as writer:
        enqueue(writer, "+447700900611", "Task BG5: Shopping near CV1", "notice")
        writer.add(
            PhoneTask(phone="+447700900612", reason="Phone this lead: a details text could not be sent.")
        )
        writer.commit()
    runner = app.test_cli_runner()
    sent = runner.invoke(args=["sms", "send-once"])
    assert (sent.exit_code, sent.output.strip()) == (0, "claimed 1 text(s): 1 sent")
    again = runner.invoke(args=["sms", "send-once"])
    assert again.output.strip() == "claimed 0 text(s)"
    listed = runner.invoke(args=["sms", "phone-tasks"])
    assert (
        listed.output.strip()
        == "1\t+447700900612\treferral -\tPhone this lead: a details text could not be sent."
    )
