"""Issue 17, item 7: never lose a call. Whatever goes wrong after a call is validated (a misconfigured area,
an exception in matching), the referral is saved, held by the area's safety-net team, with the problem in
the audit trail and on the safety-net dashboard."""

import logging

from sqlalchemy import func, select, text

import matching
from directory.models import Organisation
from notify.models import OutboxMessage
from referrals.models import AuditEvent, Offer, Referral, Resident
from tests.builders import call, organisation

BUCKINGHAMSHIRE = {"postcode": "HP19 8GA", "address": "1 Example Road, Aylesbury"}


def _events(session, referral_id: int) -> list[AuditEvent]:
    session.rollback()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.referral_id == referral_id).order_by(AuditEvent.seq)
        )
    )


def _officer_board(client, headers_for, org_id: int) -> dict:
    response = client.get("/api/v1/safety-net", headers=headers_for("safety_net_officer", org_id=org_id))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_broker_area_without_an_infrastructure_organisation_still_saves_the_call(
    client, helpline, headers_for, directory, session
):
    """The reproduction from the issue: Buckinghamshire uses the broker model (1) and the directory has no
    infrastructure organisation there. This answered 500 and the call was lost."""
    response = client.post("/api/v1/referrals", json=call(resident=BUCKINGHAMSHIRE), headers=helpline)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    safety_net = directory["buckinghamshire_safety_net"]
    assert body["status"] == "escalated"
    assert body["owner_org_id"] == safety_net
    assert body["safety_net_org_id"] == safety_net
    assert body["current_offer"] is None
    assert body["resident"]["area"] == "buckinghamshire"

    events = _events(session, body["id"])
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["referral.received", "triage.decided"]
    assert "referral.routing_failed" in kinds
    assert "referral.matched" not in kinds, "the failed routing's own writes are rolled back"
    failed = next(e for e in events if e.kind == "referral.routing_failed")
    assert "buckinghamshire" in failed.payload["problem"]
    assert "infrastructure" in failed.payload["problem"]
    assert failed.payload["error"] == "MatchingConfigError"
    assert kinds[-1] == "referral.escalated"
    assert events[-1].payload["to_org_id"] == safety_net

    board = _officer_board(client, headers_for, safety_net)
    problems = board["routing_problems"]
    assert [item["referral"]["id"] for item in problems] == [body["id"]]
    assert "infrastructure" in problems[0]["problem"]
    assert body["id"] in [item["referral"]["id"] for item in board["escalations"]]


def test_an_exception_in_matching_still_saves_the_call(
    client, helpline, headers_for, directory, session, monkeypatch
):
    def broken(*_args, **_kwargs):
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(matching, "match", broken)
    response = client.post("/api/v1/referrals", json=call(), headers=helpline)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    safety_net = directory["sutton_safety_net"]
    assert body["status"] == "escalated"
    assert body["owner_org_id"] == safety_net
    assert "shopping" in body["needs"], "triage is kept"
    timeline = [event["kind"] for event in body["timeline"]]
    assert "referral.routing_failed" in timeline

    session.rollback()
    assert session.scalar(select(func.count()).select_from(Resident)) == 1
    assert session.scalar(select(func.count()).select_from(Offer)) == 0
    failed = next(e for e in _events(session, body["id"]) if e.kind == "referral.routing_failed")
    assert failed.payload["error"] == "RuntimeError"
    assert failed.payload["problem"].startswith("an unexpected error (RuntimeError) while routing")
    assert "index corrupted" not in failed.payload["problem"], "an error's text may quote personal details"

    board = _officer_board(client, headers_for, safety_net)
    assert [item["referral"]["id"] for item in board["routing_problems"]] == [body["id"]]
    other_area = _officer_board(client, headers_for, directory["coventry_safety_net"])
    assert other_area["routing_problems"] == []


def test_a_failure_after_an_offer_was_written_rolls_the_offer_back(
    client, helpline, directory, session, monkeypatch
):
    """Routing that fails part-way (here after the offer and its text are written) leaves nothing of its own
    behind: no offer, no outbox row, no `referral.matched` event; the call itself is kept."""
    import referrals.routing as routing

    def fail_after_offer(*args, **kwargs):
        offer = original(*args, **kwargs)
        assert offer is not None
        raise RuntimeError("failed after the offer was written")

    original = routing._start_cascade
    monkeypatch.setattr(routing, "_start_cascade", fail_after_offer)
    response = client.post("/api/v1/referrals", json=call(), headers=helpline)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "escalated"
    assert body["owner_org_id"] == directory["sutton_safety_net"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Offer)) == 0
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    kinds = [e.kind for e in _events(session, body["id"])]
    assert "referral.matched" not in kinds
    assert "referral.offered" not in kinds
    assert kinds[:2] == ["referral.received", "triage.decided"]


def test_validation_errors_are_still_422_and_write_nothing(client, helpline, session, monkeypatch):
    def broken(*_args, **_kwargs):
        raise AssertionError("routing is never reached for an invalid call")

    monkeypatch.setattr(matching, "match", broken)
    response = client.post("/api/v1/referrals", json=call(resident={"postcode": "ZZ9 9ZZ"}), headers=helpline)

    assert response.status_code == 422
    session.rollback()
    assert session.scalars(select(AuditEvent)).all() == []
    assert session.scalar(select(func.count()).select_from(Referral)) == 0
    assert session.scalar(select(func.count()).select_from(Resident)) == 0


def test_an_area_without_a_safety_net_still_saves_the_call_without_an_owner(
    client, helpline, headers_for, directory, session_factory, session
):
    """No owner of last resort at all (a config-check error): the call is still saved, escalated with no
    owner rather than handed to another council's team, and shown to council-wide officers."""
    with session_factory() as arranging:
        arranging.get(Organisation, directory["coventry_safety_net"]).active = False
        arranging.commit()
    response = client.post("/api/v1/referrals", json=call(resident={"postcode": "CV1"}), headers=helpline)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "escalated"
    assert body["owner_org_id"] is None
    failed = next(e for e in _events(session, body["id"]) if e.kind == "referral.routing_failed")
    assert failed.payload["error"] == "NoSafetyNetError"
    assert "coventry" in failed.payload["problem"]
    assert failed.payload["safety_net_org_id"] is None

    board = client.get("/api/v1/safety-net", headers=headers_for("safety_net_officer")).get_json()
    assert board["unowned_count"] == 1
    assert [item["referral"]["id"] for item in board["routing_problems"]] == [body["id"]]


def test_config_check_names_the_broker_area_without_an_infrastructure_organisation(app):
    result = app.test_cli_runner().invoke(args=["config", "check"])

    assert result.exit_code == 1, result.output
    assert "ERROR: area 'buckinghamshire' (Buckinghamshire Council) uses coordination model" in result.output
    assert "no active infrastructure organisation" in result.output
    assert "FAILED: 1 error(s), in buckinghamshire" in result.output
    assert "sutton" not in result.output


def test_config_check_names_an_area_without_a_safety_net(app, directory, session_factory):
    with session_factory() as arranging:
        arranging.get(Organisation, directory["coventry_safety_net"]).active = False
        arranging.commit()
    result = app.test_cli_runner().invoke(args=["config", "check"])

    assert result.exit_code == 1, result.output
    assert (
        "ERROR: area 'coventry' (Coventry City Council) has no active council safety-net team"
        in result.output
    )
    assert "FAILED: 2 error(s), in coventry, buckinghamshire" in result.output


def test_config_check_passes_with_a_summary(app, session_factory):
    organisation(
        session_factory,
        name="Bucks Community Action",
        kind="infrastructure",
        area="buckinghamshire",
        coverage_outcodes=["HP19"],
    )
    result = app.test_cli_runner().invoke(args=["config", "check"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "ok: 3 areas, 7 active organisations"
    assert lines[1].startswith("  sutton (London Borough of Sutton): hub_network; safety-net team Sutton")
    assert "buckinghamshire (Buckinghamshire Council): infrastructure_broker" in lines[3]
    assert "infrastructure organisation Bucks Community Action (id" in lines[3]


def test_the_app_logs_a_misconfigured_area_when_it_starts(database_url, caplog):
    from api import create_app
    from tests.conftest import RELAXED_LIMITS

    with caplog.at_level(logging.INFO, logger="directory.config_check"):
        app = create_app({"DATABASE_URL": database_url, "TESTING": True, **RELAXED_LIMITS})
    app.extensions["oneroute"].engine.dispose()

    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "misconfigured council area buckinghamshire" in errors[0]
    assert "no active infrastructure organisation" in errors[0]
    assert "config check" in errors[0]


def test_a_database_error_in_routing_is_rolled_back_to_the_savepoint(
    client, helpline, directory, session, monkeypatch
):
    """On PostgreSQL a failed statement aborts the transaction: only the savepoint lets intake go on and
    commit the call. The error's text (which can quote values) stays out of the trail."""
    import referrals.routing as routing

    def failing_statement(session_, *_args, **_kwargs):
        session_.execute(text("SELECT no_such_column FROM referral WHERE name = 'Margaret Test'"))

    monkeypatch.setattr(routing, "_start_cascade", failing_statement)
    response = client.post("/api/v1/referrals", json=call(), headers=helpline)

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "escalated"
    assert body["owner_org_id"] == directory["sutton_safety_net"]
    failed = next(e for e in _events(session, body["id"]) if e.kind == "referral.routing_failed")
    assert failed.payload["error"] in ("OperationalError", "ProgrammingError")
    assert "database error" in failed.payload["problem"]
    assert "Margaret" not in str(failed.payload)


def test_a_routing_failure_when_triaging_again_keeps_the_change_and_the_safety_net_holds_it(
    client, helpline, directory, session, monkeypatch
):
    body = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    assert body["status"] == "offered"

    def broken(*_args, **_kwargs):
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(matching, "match", broken)
    response = client.post(
        f"/api/v1/referrals/{body['id']}/triage",
        json={"notes_addendum": "Also needs a prescription collected."},
        headers=helpline,
    )

    assert response.status_code == 200, response.get_json()
    again = response.get_json()
    assert (again["status"], again["owner_org_id"]) == ("escalated", directory["sutton_safety_net"])
    assert again["current_offer"] is None
    assert "prescription collected" in again["notes"], "the added notes are kept"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Offer).where(Offer.status == "pending")) == 0
    assert [e.kind for e in _events(session, body["id"])].count("referral.routing_failed") == 1
