"""Reminders of recurring support (issue 24): the day before each visit or call the volunteer who took it by
text is reminded through the SMS outbox and asked for DONE, once per occurrence whatever restarts or how
many workers run, never in quiet hours, and not to a phone that opted out. The worker's timers run as
`flask sweep` at a `now` the test sets (`Services.clock`)."""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from directory.models import Volunteer
from notify.models import OutboxMessage
from referrals.actions import follow_up_missed
from referrals.intake import CallLog, log_call
from referrals.models import AuditEvent, FollowUp
from referrals.policy import load_lifecycle_policy
from tests.conftest import RELAXED_LIMITS
from tests.integration.intake_helpers import HELPLINE, intake_context
from tests.integration.notify.sms_builders import (
    LEAD_PHONE,
    NOTES,
    RESIDENT,
    coventry_directory,
    pending_offer,
    referral,
)
from texting.reminders import dedupe_key, send_reminders
from texting.replies import InboundText, handle_inbound

POLICY = load_lifecycle_policy()
LONDON = ZoneInfo("Europe/London")
_sids = itertools.count(1)


@pytest.fixture
def app(database_url, session_factory):
    from api import create_app

    app = create_app(
        {"DATABASE_URL": database_url, "TESTING": True, "QUIET_HOURS": "21:00-08:00", **RELAXED_LIMITS}
    )
    yield app
    app.extensions["oneroute"].engine.dispose()


def text_in(session_factory, body: str, now: datetime) -> str:
    text = InboundText(
        sid=f"SM{next(_sids):032x}", from_phone=LEAD_PHONE, to_phone="+447700900000", body=body
    )
    with session_factory() as session:
        return handle_inbound(session, text, POLICY, now=now)


@pytest.fixture
def taken(session_factory, session) -> tuple[int, str, datetime]:
    """A weekly task, three times, taken by a volunteer by text: referral, task code, when the plan starts."""
    coventry_directory(session_factory)
    call = CallLog(
        channel="phone",
        resident=RESIDENT,
        notes=NOTES,
        consent_to_share=True,
        recurrence={"every_days": 7, "count": 3},
    )
    with session_factory() as writing:
        referral_id = log_call(writing, call, HELPLINE, intake_context(session_factory)).referral.id
    offer = pending_offer(session, referral_id)
    start = datetime.fromisoformat(referral(session, referral_id).plan["start"])
    assert "is yours" in text_in(session_factory, f"YES {offer.task_code}", start + timedelta(minutes=5))
    return referral_id, offer.task_code, start


def sweep(app, now: datetime) -> None:
    app.extensions["oneroute"].clock = lambda: now
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output


def reminders(session) -> list[OutboxMessage]:
    session.rollback()
    query = select(OutboxMessage).where(OutboxMessage.body.like("One Route In reminder%"))
    return list(session.scalars(query.order_by(OutboxMessage.id)))


def at_local(day: datetime, hour: int) -> datetime:
    """The day-before window of an occurrence due at `day`, at a wall-clock hour in London."""
    local = day.astimezone(LONDON)
    moment = datetime.combine(local.date(), datetime.min.time(), tzinfo=LONDON) + timedelta(hours=hour)
    while moment >= day:
        moment -= timedelta(days=1)
    while moment < day - timedelta(days=1):
        moment += timedelta(days=1)
    return moment


def test_the_volunteer_is_reminded_the_day_before_once_asking_for_done(app, session_factory, session, taken):
    referral_id, code, start = taken
    second = start + timedelta(days=7)
    text_in(session_factory, f"DONE {code}", start + timedelta(hours=2))  # the first time is done

    sweep(app, second - timedelta(days=1, hours=1))
    assert reminders(session) == [], "not yet: two days before"

    when = next(m for m in (at_local(second, h) for h in range(24)) if 9 <= m.astimezone(LONDON).hour < 20)
    sweep(app, when)
    sweep(app, when + timedelta(minutes=1))  # a restarted worker, or a second one
    with session_factory() as other:  # a second worker racing the same sweep writes nothing either
        assert send_reminders(other, when + timedelta(minutes=2)) == 0
    [reminder] = reminders(session)
    assert reminder.to == LEAD_PHONE
    assert reminder.kind == "notice"
    assert reminder.dedupe_key == dedupe_key(referral_id, 1)
    assert f"task {code}" in reminder.body
    assert "time 2 of 3" in reminder.body
    assert f"Reply DONE {code}" in reminder.body
    assert "Dorothy" not in reminder.body
    assert "Sample Street" not in reminder.body
    session.rollback()
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == referral_id, AuditEvent.kind == "sms.reminder_queued"
        )
    ).all()
    assert [e.payload["message_id"] for e in events] == [reminder.id]
    assert [e.payload["occurrence_index"] for e in events] == [1]

    assert "(2 of 3)" in text_in(session_factory, f"DONE {code}", second + timedelta(hours=1)), (
        "the reminder's DONE records that time"
    )


def test_no_reminder_is_written_in_quiet_hours_the_first_sweep_after_writes_it(
    app, session_factory, session, taken
):
    _referral_id, code, start = taken
    second = start + timedelta(days=7)
    text_in(session_factory, f"DONE {code}", start + timedelta(hours=2))
    window = [second - timedelta(days=1) + timedelta(minutes=30 * n) for n in range(48)]
    quiet = [m for m in window if not 8 <= m.astimezone(LONDON).hour < 21]
    opens = [m for m in window if 8 <= m.astimezone(LONDON).hour < 21]

    sweep(app, quiet[0])
    assert reminders(session) == [], "21:00 to 08:00: no reminder"
    sweep(app, opens[0])
    assert len(reminders(session)) == 1


def test_a_volunteer_who_opted_out_is_not_texted(app, session_factory, session, taken):
    _referral_id, code, start = taken
    text_in(session_factory, f"DONE {code}", start + timedelta(hours=2))
    with session_factory() as writing:
        writing.execute(update(Volunteer).where(Volunteer.phone == LEAD_PHONE).values(sms_opted_out=True))
        writing.commit()
    second = start + timedelta(days=7)
    for moment in (second - timedelta(hours=h) for h in range(1, 24)):
        sweep(app, moment)
    assert reminders(session) == []


def test_two_workers_at_once_write_one_reminder_and_one_follow_up(session_factory, session, taken):
    """Run truly at once (on PostgreSQL the rows are claimed with SKIP LOCKED and the keys are unique)."""
    referral_id, _code, start = taken
    first_missed = start + timedelta(days=1, hours=1)  # time 1 went unreported: missed
    second = start + timedelta(days=7)
    when = next(m for m in (at_local(second, h) for h in range(24)) if 9 <= m.astimezone(LONDON).hour < 20)
    assert when > first_missed
    barrier = threading.Barrier(2)

    def worker(_n: int) -> tuple[int, int]:
        barrier.wait()
        with session_factory() as mine:
            return follow_up_missed(mine, POLICY, when), send_reminders(mine, when)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(worker, range(2)))
    assert sorted(r[0] for r in results) == [0, 1], results
    assert sorted(r[1] for r in results) == [0, 1], results
    assert len(reminders(session)) == 1
    session.rollback()
    raised = session.scalars(select(FollowUp).where(FollowUp.referral_id == referral_id)).all()
    assert [(f.kind, f.occurrence_index) for f in raised] == [("missed_visit", 0)]
