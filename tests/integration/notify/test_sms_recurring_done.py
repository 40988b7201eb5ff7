"""DONE by text on a recurring task (a weekly call, a fortnightly shop): the lead means "this time is done",
so the occurrence that is due now is recorded through the state machine and the plan completes with its last
one. A DONE that cannot be recorded changes nothing, raises a phone task for the helpline and says so."""

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from notify.models import InboundMessage, PhoneTask
from referrals.audit import verify_trail
from referrals.errors import Conflict
from referrals.intake import CallLog, log_call
from referrals.models import AuditEvent, Offer
from referrals.policy import load_lifecycle_policy
from tests.integration.intake_helpers import HELPLINE, intake_context
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    NOTES,
    RESIDENT,
    WEBHOOK_PUBLIC,
    coventry_directory,
    inbound_form,
    pending_offer,
    referral,
    signed,
    webhook_settings,
)
from texting import replies
from texting.replies import InboundText, handle_inbound

POLICY = load_lifecycle_policy()
WEEKLY = {"every_days": 7, "count": 3}
_sids = itertools.count(1)


def text_in(session_factory, body: str, now: datetime, from_phone: str = LEAD_PHONE) -> str:
    text = InboundText(
        sid=f"SM{next(_sids):032x}", from_phone=from_phone, to_phone="+447700900000", body=body
    )
    with session_factory() as session:
        return handle_inbound(session, text, POLICY, now=now)


def day(moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo("Europe/London"))
    return f"{local:%a} {local.day} {local:%b}"


def log_recurring(session_factory, recurrence: dict | None = WEEKLY) -> int:
    call = CallLog(
        channel="phone", resident=RESIDENT, notes=NOTES, consent_to_share=True, recurrence=recurrence
    )
    with session_factory() as session:
        return log_call(session, call, HELPLINE, intake_context(session_factory)).referral.id


@pytest.fixture
def directory(session_factory) -> dict[str, int]:
    return coventry_directory(session_factory)


@pytest.fixture
def taken(session_factory, session, directory) -> tuple[int, Offer, datetime]:
    """A weekly task, three times in all, offered to a volunteer and taken by text; when its plan starts."""
    referral_id = log_recurring(session_factory)
    offer = pending_offer(session, referral_id)
    start = datetime.fromisoformat(referral(session, referral_id).plan["start"])
    assert "is yours" in text_in(session_factory, f"YES {offer.task_code}", start + timedelta(minutes=5))
    assert referral(session, referral_id).status == "accepted"
    return referral_id, offer, start


def outcomes(session, referral_id: int) -> list[str | None]:
    return [o["outcome_code"] for o in referral(session, referral_id).occurrences]


def kinds(session, referral_id: int) -> list[str]:
    session.rollback()
    query = select(AuditEvent.kind).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
    return list(session.scalars(query))


def phone_tasks(session) -> list[PhoneTask]:
    session.rollback()
    return list(session.scalars(select(PhoneTask).order_by(PhoneTask.id)))


def test_done_records_this_weeks_occurrence_and_the_last_one_completes_the_task(
    session_factory, session, taken
):
    referral_id, offer, start = taken
    code = offer.task_code
    week = timedelta(days=7)

    answer = text_in(session_factory, f"DONE {code}", start + timedelta(hours=3))

    assert answer == (
        f"Thank you! Task {code}: this time (1 of 3) is recorded as done. "
        f"The next is due {day(start + week)}: reply DONE {code} after it."
    )
    row = referral(session, referral_id)
    assert row.status == "in_progress"
    assert outcomes(session, referral_id) == ["done_by_sms", None, None]
    assert kinds(session, referral_id)[-3:] == [
        "referral.started",
        "sms.received",
        "referral.occurrence_recorded",
    ]
    assert phone_tasks(session) == []

    assert "(2 of 3)" in text_in(session_factory, f"done {code}", start + week + timedelta(hours=2))
    last = text_in(session_factory, f"DONE {code}", start + 2 * week - timedelta(days=1))

    assert last == (
        f"Thank you! Task {code}: time 3 of 3 is recorded as done. That was the last: the task is complete."
    )
    row = referral(session, referral_id)
    assert (row.status, row.outcome_code) == ("completed", "plan_completed")
    assert outcomes(session, referral_id) == ["done_by_sms"] * 3
    assert text_in(session_factory, "DONE", start + 2 * week) == "You have no tasks in progress with us."
    assert phone_tasks(session) == []
    assert verify_trail(session).ok


def test_a_second_done_before_the_next_is_due_changes_nothing_and_the_helpline_phones(
    session_factory, session, taken
):
    referral_id, offer, start = taken
    code = offer.task_code
    text_in(session_factory, f"DONE {code}", start + timedelta(hours=3))
    before = referral(session, referral_id)
    before = (before.status, before.version, list(before.occurrences))

    answer = text_in(session_factory, f"DONE {code}", start + timedelta(days=1))

    assert answer == (
        f"Thanks. Task {code}: this time is already recorded and the next isn't due until "
        f"{day(start + timedelta(days=7))}, so nothing was changed. The helpline will phone you to check."
    )
    row = referral(session, referral_id)
    assert (row.status, row.version, list(row.occurrences)) == before, "the state is exactly as before"
    [task] = phone_tasks(session)
    assert (task.phone, task.referral_id, task.offer_id, task.status) == (
        LEAD_PHONE,
        referral_id,
        offer.id,
        "open",
    )
    assert code in task.reason
    assert "not due until" in task.reason
    assert kinds(session, referral_id)[-2:] == ["sms.received", "sms.phone_task"]
    stored = session.scalars(select(InboundMessage).order_by(InboundMessage.id)).all()[-1]
    assert (stored.referral_id, stored.reply) == (referral_id, answer)


def test_done_after_a_week_with_no_report_records_this_week_and_asks_about_the_missed_one(
    session_factory, session, taken
):
    referral_id, offer, start = taken
    code = offer.task_code
    text_in(session_factory, f"DONE {code}", start + timedelta(hours=3))

    answer = text_in(session_factory, f"DONE {code}", start + timedelta(days=14, hours=1))

    assert answer.startswith(f"Thank you! Task {code}: this time (3 of 3) is recorded as done.")
    assert f"We'll phone you about the one due {day(start + timedelta(days=7))}." in answer
    assert outcomes(session, referral_id) == ["done_by_sms", None, "done_by_sms"]
    assert referral(session, referral_id).status == "in_progress", "one time still has no outcome"
    [task] = phone_tasks(session)
    assert task.referral_id == referral_id
    assert "2 of 3" in task.reason


@pytest.mark.parametrize("recurrence", [WEEKLY, None], ids=["recurring", "one-off"])
def test_a_done_that_is_refused_leaves_the_task_as_it_was_and_raises_a_phone_task(
    session_factory, session, directory, monkeypatch, recurrence
):
    referral_id = log_recurring(session_factory, recurrence)
    offer = pending_offer(session, referral_id)
    start = datetime.fromisoformat(referral(session, referral_id).created_at.isoformat())
    text_in(session_factory, f"YES {offer.task_code}", start + timedelta(minutes=5))

    perform = replies.perform

    def changed_meanwhile(session, referral_id, action, *args, **kwargs):
        if action.name == "start":  # before the fix, DONE started the task in a transaction of its own
            return perform(session, referral_id, action, *args, **kwargs)
        raise Conflict("the referral changed while you were acting on it; reload and try again")

    monkeypatch.setattr(replies, "perform", changed_meanwhile)
    answer = text_in(session_factory, f"DONE {offer.task_code}", start + timedelta(hours=1))

    assert answer == "Sorry, that task can't be changed by text now. The helpline will be in touch."
    row = referral(session, referral_id)
    assert row.status == "accepted", "not left half changed (started but not done)"
    assert all(o["outcome_code"] is None for o in row.occurrences)
    [task] = phone_tasks(session)
    assert (task.phone, task.referral_id, task.offer_id) == (LEAD_PHONE, referral_id, offer.id)
    assert f"DONE {offer.task_code}" in task.reason
    assert kinds(session, referral_id)[-2:] == ["sms.received", "sms.phone_task"]
    assert verify_trail(session).ok


AUTH_TOKEN = "recurring-done-token"


@pytest.fixture
def app(database_url, session_factory) -> Iterator:
    from api import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, **webhook_settings(AUTH_TOKEN)})
    yield app
    app.extensions["oneroute"].engine.dispose()


def post_text(client, body: str):
    form = inbound_form(body, f"SM{next(_sids):032x}")
    headers = signed(f"{WEBHOOK_PUBLIC}/sms/inbound", form, AUTH_TOKEN)
    return client.post("/sms/inbound", data=form, headers=headers)


def test_done_by_text_through_the_webhook_records_the_weeks_call(client, session, session_factory, directory):
    referral_id = log_recurring(session_factory)
    code = pending_offer(session, referral_id).task_code
    assert "is yours" in post_text(client, f"YES {code}").text

    response = post_text(client, f"DONE {code}")

    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert f"Task {code}: this time (1 of 3) is recorded as done." in response.text
    assert outcomes(session, referral_id) == ["done_by_sms", None, None]
    assert referral(session, referral_id).status == "in_progress"
    assert phone_tasks(session) == []
