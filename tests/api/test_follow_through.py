"""Following recurring support through (issue 24): a visit or call missed by the end of its window becomes a
follow-up task on the coordinator's queue and the safety net's late list, two missed in a row escalate; a
check-in recorded as 'no answer' raises a follow-up for the same day, twice in a row an escalation. The
worker's timers take `now` from one place (`Services.clock`), which these tests set."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from referrals.actions import MISSED_TWICE, NO_ANSWER_TWICE
from referrals.audit import verify_trail
from referrals.models import AuditEvent, FollowUp, Referral
from tests.api.http import act, log

WEEKLY = {"every_days": 7, "count": 4}


class Clock:
    def __init__(self):
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        assert self.now is not None, "the test sets the clock"
        return self.now


@pytest.fixture
def clock(app) -> Clock:
    found = Clock()
    app.extensions["oneroute"].clock = found
    return found


def sweep(app) -> str:
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def planned(client, helpline, hub) -> tuple[int, datetime]:
    """A weekly check-in call, four times, accepted and started by the hub; when the plan starts."""
    referral = log(client, helpline, notes="Lonely, would like a weekly check-in call", recurrence=WEEKLY)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    return referral["id"], datetime.fromisoformat(referral["plan"]["start"])


def follow_ups(session, referral_id: int) -> list[FollowUp]:
    session.rollback()
    query = select(FollowUp).where(FollowUp.referral_id == referral_id).order_by(FollowUp.id)
    return list(session.scalars(query))


def trail(session, referral_id: int) -> list[AuditEvent]:
    session.rollback()
    query = select(AuditEvent).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
    return list(session.scalars(query))


def status(session, referral_id: int) -> str:
    session.rollback()
    return session.get(Referral, referral_id, populate_existing=True).status


def test_a_missed_visit_becomes_one_follow_up_on_both_dashboards_and_two_in_a_row_escalate(
    app, client, hub, officer, session, planned, clock
):
    referral_id, start = planned
    clock.now = start + timedelta(hours=23)  # the first call's window (a day's grace) is still open
    sweep(app)
    assert follow_ups(session, referral_id) == []

    clock.now = start + timedelta(days=1, hours=1)
    assert "1 follow-up(s)" in sweep(app)
    sweep(app)  # again (a restarted worker): nothing twice
    [task] = follow_ups(session, referral_id)
    assert (task.kind, task.occurrence_index, task.status) == ("missed_visit", 0, "open")
    assert task.due_at == start + timedelta(days=1)
    raised = [e for e in trail(session, referral_id) if e.kind == "referral.follow_up_raised"]
    assert [e.payload["follow_up_id"] for e in raised] == [task.id]
    assert raised[0].actor_role == "system"

    queue = client.get("/api/v1/queue", headers=hub).get_json()
    assert [item["task"]["id"] for item in queue["follow_ups"]] == [task.id]
    assert queue["follow_ups"][0]["what"].startswith("Visit or call of a recurring plan missed")
    board = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert [item["task"]["id"] for item in board["follow_ups"]] == [task.id]
    late = [(i["referral"]["id"], i["kind"]) for i in board["late"]]
    assert (referral_id, "follow_up") in late
    assert (referral_id, "missed_call") not in late, "shown once: as the follow-up someone can work"
    assert status(session, referral_id) == "in_progress", "one missed visit does not escalate"

    clock.now = start + timedelta(days=8, hours=1)  # the second call missed too
    sweep(app)
    assert [t.occurrence_index for t in follow_ups(session, referral_id)] == [0, 1]
    assert status(session, referral_id) == "escalated"
    escalated = [e for e in trail(session, referral_id) if e.kind == "referral.escalated"]
    assert [e.reason for e in escalated] == [MISSED_TWICE]
    assert escalated[0].actor_role == "system"
    with app.extensions["oneroute"].session_factory() as checking:
        assert verify_trail(checking).ok


def test_a_visit_recorded_in_time_raises_nothing(app, client, hub, session, planned, clock):
    referral_id, start = planned
    act(client, hub, referral_id, "occurrences/0", outcome_code="call_made")
    clock.now = start + timedelta(days=2)
    sweep(app)
    assert follow_ups(session, referral_id) == []


def test_no_answer_raises_a_same_day_follow_up_and_twice_in_a_row_escalates(
    app, client, hub, officer, session, planned
):
    referral_id, _start = planned
    act(client, hub, referral_id, "occurrences/0", outcome_code="no_answer")
    [task] = follow_ups(session, referral_id)
    assert (task.kind, task.occurrence_index) == ("no_answer", 0)
    local_due = task.due_at.astimezone(ZoneInfo("Europe/London"))
    assert (local_due.hour, local_due.minute) == (23, 59), "by the end of the council's day"
    assert local_due.date() == task.created_at.astimezone(ZoneInfo("Europe/London")).date()
    assert status(session, referral_id) == "in_progress"

    act(client, hub, referral_id, "occurrences/1", outcome_code="call_made")
    act(client, hub, referral_id, "occurrences/2", outcome_code="no_answer")
    assert status(session, referral_id) == "in_progress", "not in a row: a call was answered between"

    act(client, hub, referral_id, "occurrences/3", outcome_code="no_answer")
    assert [t.occurrence_index for t in follow_ups(session, referral_id)] == [0, 2, 3]
    # The last time of the plan completes it; a finished referral is not escalated, the follow-up stays.
    assert status(session, referral_id) == "completed"


def test_two_no_answers_in_a_row_escalate_to_the_safety_net(app, client, hub, officer, session, planned):
    referral_id, _start = planned
    act(client, hub, referral_id, "occurrences/0", outcome_code="no_answer")
    act(client, hub, referral_id, "occurrences/1", outcome_code="no_answer")
    assert status(session, referral_id) == "escalated"
    escalated = [e for e in trail(session, referral_id) if e.kind == "referral.escalated"]
    assert [e.reason for e in escalated] == [NO_ANSWER_TWICE]
    board = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert referral_id in [item["referral"]["id"] for item in board["escalations"]]
    assert [item["task"]["occurrence_index"] for item in board["follow_ups"]] == [0, 1]


def test_a_follow_up_is_closed_by_whoever_may_work_it_and_audited(
    client, hub, food_bank, helpline, officer, session, planned
):
    referral_id, _start = planned
    act(client, hub, referral_id, "occurrences/0", outcome_code="no_answer")
    [task] = follow_ups(session, referral_id)
    url = f"/api/v1/follow-ups/{task.id}/done"

    assert client.post(url, json={"note": "x"}, headers=food_bank).status_code == 404, "not theirs"
    assert client.post(url, json={}, headers=helpline).status_code == 403
    assert client.post(url, json={"extra": 1}, headers=hub).status_code == 422

    answer = client.post(url, json={"note": "Rang again at 3pm: she is fine"}, headers=hub)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "done"
    assert client.post(url, json={}, headers=officer).status_code == 409
    done = [e for e in trail(session, referral_id) if e.kind == "referral.follow_up_done"]
    assert [e.payload["follow_up_id"] for e in done] == [task.id]
    assert "she is fine" not in str(done[0].payload), "the note is sealed with the person's key"
    assert client.get("/api/v1/queue", headers=hub).get_json()["follow_ups"] == []
