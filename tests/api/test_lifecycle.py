"""A referral's life over HTTP: offers, acceptance, work, cascade, escalation, transfer, timers."""

from datetime import timedelta

from sqlalchemy import func, select

from db.base import utcnow
from referrals.actions import expire_due_offers
from referrals.models import IdempotentRequest, Referral
from referrals.policy import load_lifecycle_policy
from tests.api.http import act, log
from tests.builders import call

PROBLEM = "application/problem+json"


def kinds(body) -> list[str]:
    return [event["kind"] for event in body["timeline"]]


def test_a_hub_accepts_starts_and_completes(client, helpline, hub, directory):
    referral = log(client, helpline)
    assert referral["current_offer"]["org_id"] == directory["hub"]

    queue = client.get("/api/v1/queue", headers=hub).get_json()
    assert [item["referral"]["id"] for item in queue["offers"]] == [referral["id"]]
    assert 0 < queue["offers"][0]["seconds_left"] <= 48 * 3600
    before = client.get(f"/api/v1/referrals/{referral['id']}", headers=hub).get_json()
    assert "phone" not in before["resident"], "personal details only after acceptance"

    accepted = act(client, hub, referral["id"], "accept")
    assert accepted["status"] == "accepted"
    assert accepted["owner_org_id"] == directory["hub"]
    assert accepted["resident"]["phone"] == "+447700900123"
    assert act(client, hub, referral["id"], "start")["status"] == "in_progress"
    done = act(client, hub, referral["id"], "complete", outcome_code="shopping_delivered", note="All fine")
    assert done["status"] == "completed"
    assert done["outcome_code"] == "shopping_delivered"
    assert kinds(done)[-4:] == [
        "referral.offered",
        "referral.accepted",
        "referral.started",
        "referral.completed",
    ]
    assert client.get("/api/v1/queue", headers=hub).get_json()["work"] == []


def test_another_organisation_cannot_see_or_take_the_offer(client, helpline, headers_for, directory):
    referral = log(client, helpline)
    food_bank = headers_for("hub_coordinator", directory["food_bank"])
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=food_bank).status_code == 404
    act(client, food_bank, referral["id"], "accept", expected=404)
    assert client.get("/api/v1/queue", headers=food_bank).get_json()["offers"] == []


def test_illegal_transition_is_409_naming_the_state(client, helpline, hub):
    referral = log(client, helpline)
    response = client.post(f"/api/v1/referrals/{referral['id']}/start", json={}, headers=hub)
    assert response.status_code == 409
    assert response.mimetype == PROBLEM
    assert response.get_json()["current_state"] == "offered"
    assert "offered" in response.get_json()["detail"]


def test_complete_needs_an_outcome_code(client, helpline, hub):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    response = client.post(f"/api/v1/referrals/{referral['id']}/complete", json={"note": "x"}, headers=hub)
    assert response.status_code == 422
    assert "outcome_code" in response.get_json()["errors"]


def test_decline_cascades_and_escalates_to_the_safety_net(client, helpline, hub, officer, directory):
    referral = log(client, helpline)
    declined = act(client, hub, referral["id"], "decline", reason="no volunteers free this week")
    assert declined["status"] == "escalated"
    assert declined["owner_org_id"] == directory["sutton_safety_net"]
    escalations = [event for event in declined["timeline"] if event["kind"] == "referral.escalated"]
    assert escalations
    assert all(event["reason"] for event in escalations)
    declined_by = {event["kind"]: event["actor_role"] for event in declined["timeline"]}
    assert declined_by["referral.declined"] == "hub_coordinator"
    assert all(event["actor_role"] == "system" for event in escalations), "the cascade escalated, not the hub"

    dashboard = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert referral["id"] in [item["referral"]["id"] for item in dashboard["escalations"]]
    assert dashboard["unowned_count"] == 0
    assert act(client, officer, referral["id"], "accept")["owner_org_id"] == directory["sutton_safety_net"]


def test_decline_needs_a_reason(client, helpline, hub):
    referral = log(client, helpline)
    response = client.post(f"/api/v1/referrals/{referral['id']}/decline", json={}, headers=hub)
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]


def test_transfer_to_an_unknown_organisation_is_422(client, helpline, hub):
    referral = log(client, helpline)
    act(client, hub, referral["id"], "accept")
    response = client.post(
        f"/api/v1/referrals/{referral['id']}/transfer", json={"to_org_id": 99999, "reason": "x"}, headers=hub
    )
    assert response.status_code == 422


def test_cancelled_referrals_take_no_more_actions(client, helpline, hub, directory):
    referral = log(client, helpline)
    cancelled = act(client, helpline, referral["id"], "cancel", reason="resident's daughter is helping now")
    assert cancelled["status"] == "cancelled"
    assert cancelled["owner_org_id"] == directory["sutton_safety_net"]
    assert cancelled["current_offer"] is None
    act(client, hub, referral["id"], "accept", expected=404)


def test_expired_offers_move_on_when_the_timer_sweeps(client, helpline, session_factory, directory):
    referral = log(client, helpline)
    policy = load_lifecycle_policy()
    with session_factory() as session:
        assert expire_due_offers(session, policy) == 0
        assert expire_due_offers(session, policy, now=utcnow() + timedelta(hours=49)) == 1
        row = session.get(Referral, referral["id"])
        assert (row.status, row.owner_org_id) == ("escalated", directory["sutton_safety_net"])
        assert expire_due_offers(session, policy, now=utcnow() + timedelta(hours=49)) == 0


def test_sweep_command_runs_one_pass(app, client, helpline):
    log(client, helpline)
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0
    assert "expired 0 offer(s)" in result.output


def test_the_sweep_forgets_idempotency_keys_older_than_a_day(app, client, helpline, session_factory):
    for key in ("old-call", "new-call"):
        client.post("/api/v1/referrals", json=call(), headers={**helpline, "Idempotency-Key": key})
    with session_factory() as session:
        old = session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == "old-call"))
        old.created_at = utcnow() - timedelta(hours=25)
        session.commit()

    result = app.test_cli_runner().invoke(args=["sweep"])

    assert "forgot 1 idempotency key(s)" in result.output
    with session_factory() as session:
        assert session.scalars(select(IdempotentRequest.key)).all() == ["new-call"]


def test_overdue_offers_show_on_the_dashboard(client, helpline, officer, session_factory):
    from referrals.models import Offer

    referral = log(client, helpline)
    with session_factory() as session:
        offer = session.scalars(select(Offer).where(Offer.referral_id == referral["id"])).one()
        offer.expires_at = utcnow() - timedelta(minutes=5)
        session.commit()
    dashboard = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert [item["referral"]["id"] for item in dashboard["overdue_offers"]] == [referral["id"]]
    assert dashboard["overdue_offers"][0]["seconds_left"] < 0


def test_safeguarding_and_gaps_show_on_the_dashboard(client, helpline, headers_for, directory):
    worrying = log(client, helpline, notes="He hits her when he has been drinking and she is frightened.")
    gap = log(
        client,
        helpline,
        notes="Wants help getting online to do video calls",
        resident={"name": "Bob Gap", "postcode": "CV1 1AH"},
    )
    officer = headers_for("safety_net_officer")
    dashboard = client.get("/api/v1/safety-net", headers=officer).get_json()
    assert worrying["id"] in [item["referral"]["id"] for item in dashboard["open_safeguarding"]]
    assert gap["gap"] is True
    assert "digital" in gap["unmet_needs"]
    assert gap["id"] in [item["referral"]["id"] for item in dashboard["gaps"]]


def test_idempotency_key_returns_the_first_result(client, helpline, session):
    headers = {**helpline, "Idempotency-Key": "call-2026-11-26-0001"}
    first = client.post("/api/v1/referrals", json=call(), headers=headers)
    again = client.post("/api/v1/referrals", json=call(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert session.scalar(select(func.count()).select_from(Referral)) == 1
    different = client.post("/api/v1/referrals", json=call(notes="something else"), headers=headers)
    assert different.status_code == 422


def test_idempotent_accept_does_not_act_twice(client, helpline, hub):
    referral = log(client, helpline)
    headers = {**hub, "Idempotency-Key": "accept-1"}
    first = client.post(f"/api/v1/referrals/{referral['id']}/accept", json={}, headers=headers)
    again = client.post(f"/api/v1/referrals/{referral['id']}/accept", json={}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert kinds(again.get_json()).count("referral.accepted") == 1


def _lose_the_answer(session_factory, key: str, age: timedelta) -> None:
    """What a worker killed between the action's commit and storing its answer leaves behind."""
    with session_factory() as session:
        record = session.scalar(select(IdempotentRequest).where(IdempotentRequest.key == key))
        record.status_code, record.response = None, None
        record.created_at = utcnow() - age
        session.commit()


def test_a_retry_whose_first_answer_was_lost_is_sent_to_the_referral_it_created(
    client, helpline, session_factory
):
    headers = {**helpline, "Idempotency-Key": "call-lost-answer"}
    first = client.post("/api/v1/referrals", json=call(), headers=headers).get_json()
    _lose_the_answer(session_factory, "call-lost-answer", timedelta(seconds=1))

    running = client.post("/api/v1/referrals", json=call(), headers=headers)
    assert running.status_code == 409
    assert running.headers["Retry-After"]
    assert "still being processed" in running.get_json()["detail"]

    _lose_the_answer(session_factory, "call-lost-answer", timedelta(minutes=10))
    lost = client.post("/api/v1/referrals", json=call(), headers=headers)
    assert lost.status_code == 303
    assert lost.headers["Location"].endswith(f"/api/v1/referrals/{first['id']}")
    followed = client.get(lost.headers["Location"], headers=helpline)
    assert followed.status_code == 200
    assert followed.get_json()["id"] == first["id"]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Referral)) == 1, "not logged twice"


def test_a_retried_action_whose_answer_was_lost_is_sent_to_its_referral(
    client, helpline, hub, session_factory
):
    referral = log(client, helpline)
    headers = {**hub, "Idempotency-Key": "accept-lost-answer"}
    client.post(f"/api/v1/referrals/{referral['id']}/accept", json={}, headers=headers)
    _lose_the_answer(session_factory, "accept-lost-answer", timedelta(minutes=10))

    lost = client.post(f"/api/v1/referrals/{referral['id']}/accept", json={}, headers=headers)

    assert lost.status_code == 303
    assert lost.headers["Location"].endswith(f"/api/v1/referrals/{referral['id']}")
    accepted = client.get(lost.headers["Location"], headers=hub).get_json()
    assert kinds(accepted).count("referral.accepted") == 1


def test_recurring_support_records_each_occurrence(client, helpline, hub):
    referral = log(
        client,
        helpline,
        notes="Lonely, would like a weekly check-in call",
        recurrence={"every_days": 7, "count": 3},
    )
    assert len(referral["occurrences"]) == 3
    act(client, hub, referral["id"], "accept")
    act(client, hub, referral["id"], "start")
    early = client.post(
        f"/api/v1/referrals/{referral['id']}/complete", json={"outcome_code": "help_given"}, headers=hub
    )
    assert early.status_code == 409
    for index in range(3):
        body = act(client, hub, referral["id"], f"occurrences/{index}", outcome_code="call_made")
    assert body["status"] == "completed"
    assert [o["outcome_code"] for o in body["occurrences"]] == ["call_made"] * 3
    act(client, hub, referral["id"], "occurrences/0", expected=409, outcome_code="call_made")


def test_triaging_again_keeps_the_recurring_plan(client, helpline):
    referral = log(
        client, helpline, notes="Would like a weekly check-in call", recurrence={"every_days": 7, "count": 4}
    )
    again = client.post(
        f"/api/v1/referrals/{referral['id']}/triage",
        json={"notes_addendum": "also some shopping"},
        headers=helpline,
    ).get_json()
    assert again["plan"]["count"] == 4
    assert len(again["occurrences"]) == 4


def test_an_organisation_only_offered_a_referral_cannot_cancel_it(client, helpline, hub):
    referral = log(client, helpline)
    response = client.post(f"/api/v1/referrals/{referral['id']}/cancel", json={"reason": "x"}, headers=hub)
    assert response.status_code == 403


def test_a_volunteer_in_no_group_is_offered_through_the_safety_net(
    client, helpline, session_factory, directory
):
    from tests.builders import volunteer

    independent = volunteer(
        session_factory, org_id=None, postcode="CV1 1AH", lat=52.41028, lon=-1.509401, phone="+447700900502"
    )
    referral = log(client, helpline, resident={"postcode": "CV1 1AH"}, notes="needs shopping picked up")
    offer = referral["current_offer"]
    assert offer["volunteer_id"] == independent
    assert offer["org_id"] == directory["coventry_safety_net"]


def test_a_decline_passes_over_a_volunteer_deactivated_since_the_call_was_routed(
    client, helpline, headers_for, session_factory, directory
):
    from directory.models import Volunteer
    from tests.builders import volunteer

    near = {"org_id": None, "postcode": "CV1 1AH", "lat": 52.41028, "lon": -1.509401}
    for n in range(3):
        volunteer(session_factory, phone=f"+44770090052{n}", **near)
    referral = log(client, helpline, resident={"postcode": "CV1 1AH"}, notes="needs shopping picked up")
    with session_factory() as session:
        ranked = [c["volunteer_id"] for c in session.get(Referral, referral["id"]).candidates]
        session.get(Volunteer, ranked[1]).active = False
        session.commit()
    officer = headers_for("safety_net_officer", directory["coventry_safety_net"])

    declined = act(client, officer, referral["id"], "decline", reason="first volunteer unwell")

    assert declined["current_offer"]["volunteer_id"] == ranked[2]
    passed = [event for event in declined["timeline"] if event["kind"] == "referral.passed_over"]
    assert [(event["reason"], event["data"]["volunteer_id"]) for event in passed] == [
        ("volunteer is no longer active", ranked[1])
    ]
