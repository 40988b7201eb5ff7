"""No answer, twice (issue 24): a one-off check-in call finished as 'no answer' raises a same-day follow-up
for whoever held it, though the referral is finished; closing it says whether they reached the person, and
'no answer again' escalates (the referral, or, once it is finished, the follow-up itself to the safety net).
A phone task's second unanswered call in a row escalates to the safety net too."""

from sqlalchemy import select

from accounts.tokens import SYSTEM, authenticate
from db.base import utcnow
from notify.models import PhoneTask
from referrals.actions import NO_ANSWER_TWICE
from referrals.audit import verify_trail
from referrals.follow_ups import ESCALATED_WORDS
from referrals.models import AuditEvent, FollowUp, Referral
from referrals.oversight import phone_tasks
from referrals.policy import load_lifecycle_policy
from tests.api.http import act, log
from texting.phone_calls import NOT_ANSWERED_TWICE, record_call
from texting.phone_tasks import raise_phone_task

CHECK_IN = "Lonely, would like a check-in call today"
POLICY = load_lifecycle_policy()


def follow_ups(session, referral_id: int) -> list[FollowUp]:
    session.rollback()
    query = select(FollowUp).where(FollowUp.referral_id == referral_id).order_by(FollowUp.id)
    return list(session.scalars(query))


def trail(session, referral_id: int, kind: str) -> list[AuditEvent]:
    session.rollback()
    query = select(AuditEvent).where(AuditEvent.referral_id == referral_id, AuditEvent.kind == kind)
    return list(session.scalars(query.order_by(AuditEvent.seq)))


def status(session, referral_id: int) -> str:
    session.rollback()
    return session.get(Referral, referral_id, populate_existing=True).status


def check_in_done(client, helpline, hub, **outcome) -> int:
    """A one-off check-in call the hub took on and finished (complete, or close) with `outcome`."""
    referral = log(client, helpline, notes=CHECK_IN)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    act(client, hub, referral["id"], "complete", **outcome)
    return referral["id"]


def done(client, headers, task_id: int, expected: int = 200, **body) -> dict:
    response = client.post(f"/api/v1/follow-ups/{task_id}/done", json=body, headers=headers)
    assert response.status_code == expected, response.get_json()
    return response.get_json()


def test_a_one_off_check_in_nobody_answered_is_followed_up_though_finished_and_reached_closes_it(
    client, helpline, hub, officer, session
):
    referral_id = check_in_done(client, helpline, hub, outcome_code="could_not_contact")  # the alias
    assert status(session, referral_id) == "completed"
    [task] = follow_ups(session, referral_id)
    assert (task.kind, task.occurrence_index, task.status) == ("no_answer", 0, "open")
    [raised] = trail(session, referral_id, "referral.follow_up_raised")
    assert raised.payload["one_off"] is True
    assert raised.actor_role == "hub_coordinator"

    [item] = client.get("/api/v1/queue", headers=hub).get_json()["follow_ups"]
    assert item["what"] == "No answer on a check-in call or visit: try again today (one-off call)"
    board = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert (referral_id, "follow_up") in [(i["referral"]["id"], i["kind"]) for i in board["late"]]

    assert done(client, hub, task.id, 422, outcome="maybe")["errors"]
    answer = done(client, hub, task.id, outcome="reached", note="Got her at 4pm: all well")
    assert answer["status"] == "done"
    [closed] = trail(session, referral_id, "referral.follow_up_done")
    assert (closed.reason, closed.payload["outcome"]) == ("Reached them", "reached")
    assert "all well" not in str(closed.payload)
    assert client.get("/api/v1/queue", headers=hub).get_json()["follow_ups"] == []
    assert status(session, referral_id) == "completed"


def test_no_answer_again_on_a_finished_check_in_sends_the_follow_up_to_the_safety_net(
    app, client, helpline, hub, officer, session
):
    referral_id = check_in_done(client, helpline, hub, outcome_codes=["no_answer"])
    [task] = follow_ups(session, referral_id)

    answer = done(client, hub, task.id, outcome="no_answer", note="Rang twice more")
    assert answer["status"] == "escalated"
    assert status(session, referral_id) == "completed", "a finished referral is not reopened"
    [escalated] = trail(session, referral_id, "referral.follow_up_escalated")
    assert escalated.reason == ESCALATED_WORDS
    assert escalated.payload["outcome"] == "no_answer"
    assert "Rang twice" not in str(escalated.payload)

    assert client.get("/api/v1/queue", headers=hub).get_json()["follow_ups"] == [], "the safety net's now"
    done(client, hub, task.id, 404, outcome="reached")
    board = client.get("/api/v1/safety-net", headers=officer).get_json()
    [item] = board["follow_ups"]
    assert item["task"]["status"] == "escalated"
    assert item["what"].startswith(ESCALATED_WORDS)
    late = {(i["referral"]["id"], i["kind"]): i for i in board["late"]}
    assert late[(referral_id, "follow_up")]["what"].startswith(ESCALATED_WORDS)

    assert done(client, officer, task.id, note="Welfare visit arranged: she was at her sister's")[
        "status"
    ] == ("done")
    assert client.get("/api/v1/safety-net", headers=officer).get_json()["follow_ups"] == []
    with app.extensions["oneroute"].session_factory() as checking:
        assert verify_trail(checking).ok


def test_only_a_check_in_nobody_answered_is_followed_up(client, helpline, hub, session):
    answered = check_in_done(client, helpline, hub, outcome_code="call_made")
    assert follow_ups(session, answered) == []
    shopping = log(client, helpline, notes="Needs shopping collecting, she cannot get out")
    act(client, hub, shopping["id"], "accept")
    act(client, hub, shopping["id"], "start")
    act(client, hub, shopping["id"], "complete", outcome_code="no_answer")
    assert follow_ups(session, shopping["id"]) == []


def test_no_answer_again_on_a_plans_check_in_escalates_the_referral_it_still_holds(
    client, helpline, hub, officer, session
):
    referral = log(client, helpline, notes=CHECK_IN, recurrence={"every_days": 7, "count": 4})
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    act(client, hub, referral["id"], "occurrences/0", outcome_code="no_answer")
    [task] = follow_ups(session, referral["id"])
    assert done(client, hub, task.id, outcome="no_answer")["status"] == "done"
    assert status(session, referral["id"]) == "escalated"
    assert [e.reason for e in trail(session, referral["id"], "referral.escalated")] == [NO_ANSWER_TWICE]


def _task(session_factory, referral_id: int | None) -> int:
    with session_factory() as session:
        task = raise_phone_task(
            session, "+447700900999", "the offer text could not be delivered", SYSTEM, utcnow(),
            referral_id=referral_id,
        )  # fmt: skip
        session.commit()
        return task.id


def _call(session_factory, headers, task_id: int, outcome: str) -> PhoneTask:
    with session_factory() as session:
        who = authenticate(session, headers["Authorization"].removeprefix("Bearer "))
        task = record_call(session, task_id, who, outcome, policy=POLICY)
        return session.get(PhoneTask, task.id)


def _listed(session_factory, headers) -> list[int]:
    with session_factory() as session:
        who = authenticate(session, headers["Authorization"].removeprefix("Bearer "))
        return [item.task.id for item in phone_tasks(session, who)]


def test_a_phone_tasks_second_unanswered_call_in_a_row_escalates_to_the_safety_net(
    client, helpline, officer, session, session_factory
):
    referral = log(client, helpline)  # offered to an organisation, waiting
    task_id = _task(session_factory, referral["id"])
    assert _call(session_factory, helpline, task_id, "no_answer").status == "open"
    assert _call(session_factory, helpline, task_id, "left_message").status == "open"
    assert _call(session_factory, helpline, task_id, "no_answer").status == "open", "not in a row"
    assert status(session, referral["id"]) == "offered"

    assert _call(session_factory, helpline, task_id, "no_answer").status == "escalated"
    assert status(session, referral["id"]) == "escalated"
    [escalated] = trail(session, referral["id"], "referral.escalated")
    assert escalated.reason == NOT_ANSWERED_TWICE
    assert escalated.actor_role == "system"
    [decided] = trail(session, referral["id"], "sms.phone_task_escalated")
    assert decided.payload == {"phone_task_id": task_id, "referral_escalated": True}
    assert _listed(session_factory, helpline) == [], "the helpline no longer lists it"
    assert _listed(session_factory, officer) == [task_id]
    board = client.get("/api/v1/safety-net", headers=officer).get_json()
    late = {(i["referral"]["id"], i["kind"]): i for i in board["late"]}
    assert late[(referral["id"], "phone_task")]["what"].startswith("No answer twice in a row")

    assert _call(session_factory, officer, task_id, "will_do").status == "escalated", "worked by the officer"


def test_unanswered_calls_on_two_phone_tasks_of_one_referral_are_in_a_row(
    client, helpline, session, session_factory
):
    referral = log(client, helpline)
    first, second = _task(session_factory, referral["id"]), _task(session_factory, referral["id"])
    _call(session_factory, helpline, first, "no_answer")
    assert _call(session_factory, helpline, second, "no_answer").status == "escalated"
    assert status(session, referral["id"]) == "escalated"


def test_a_phone_task_about_no_referral_escalates_alone(helpline, officer, session_factory):
    task_id = _task(session_factory, None)
    assert _listed(session_factory, helpline) == [task_id], "a task about no referral is listed too"
    _call(session_factory, helpline, task_id, "no_answer")
    assert _call(session_factory, helpline, task_id, "no_answer").status == "escalated"
    assert _listed(session_factory, helpline) == []
    assert _listed(session_factory, officer) == [task_id]
    with session_factory() as session:
        [decided] = session.scalars(select(AuditEvent).where(AuditEvent.kind == "sms.phone_task_escalated"))
        assert decided.payload["referral_escalated"] is False


def test_a_check_in_closed_by_the_safety_net_as_no_answer_is_followed_up_too(
    client, helpline, hub, officer, session
):
    referral = log(client, helpline, notes=CHECK_IN)
    act(client, hub, referral["id"], "accept")
    act(client, officer, referral["id"], "close", outcome_code="no_answer")
    assert status(session, referral["id"]) == "closed"
    [task] = follow_ups(session, referral["id"])
    assert (task.kind, task.status) == ("no_answer", "open")
    board = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert [item["task"]["id"] for item in board["follow_ups"]] == [task.id]
