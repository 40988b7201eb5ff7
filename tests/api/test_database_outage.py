"""A database outage (restart, failover, lost connection) seen by an API caller: 503 problem+json with
Retry-After and the advice to retry with the same Idempotency-Key; never a 500, never a traceback in the log.
The outage is raised where intake or an action reaches the database, as the driver raises it (the real
thing, on PostgreSQL, is tests/integration/test_faults.py)."""

import logging

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

import api.auth
import api.referrals
from tests.builders import call


def connection_lost(*_args, **_kwargs):
    raise OperationalError(
        "INSERT INTO referral ...", {}, psycopg.OperationalError("server closed the connection unexpectedly")
    )


def read_only(*_args, **_kwargs):
    raise OperationalError(
        "UPDATE referral ...",
        {},
        psycopg.errors.ReadOnlySqlTransaction("cannot execute UPDATE in a read-only transaction"),
    )


def assert_retry_later(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == "Service Unavailable"
    assert "Idempotency-Key" in body["detail"]
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize("fault", [connection_lost, read_only])
def test_a_call_logged_during_an_outage_is_told_to_retry_with_its_key(
    client, helpline, monkeypatch, caplog, fault
):
    monkeypatch.setattr(api.referrals, "log_call", fault)
    response = client.post("/api/v1/referrals", json=call(), headers={**helpline, "Idempotency-Key": "k-1"})
    assert_retry_later(response)
    assert "Traceback" not in caplog.text
    assert "database unavailable, answered 503: POST /api/v1/referrals" in caplog.text
    monkeypatch.undo()
    retried = client.post("/api/v1/referrals", json=call(), headers={**helpline, "Idempotency-Key": "k-1"})
    assert retried.status_code == 201, "the key was not taken by the call that failed"


def test_an_action_during_an_outage_is_503(client, helpline, monkeypatch):
    created = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    monkeypatch.setattr(api.referrals, "perform", read_only)
    response = client.post(
        f"/api/v1/referrals/{created['id']}/cancel",
        json={"reason": "Duplicate of another call"},
        headers=helpline,
    )
    assert_retry_later(response)


def test_authentication_during_an_outage_is_503_not_401(client, helpline, monkeypatch):
    monkeypatch.setattr(api.auth, "authenticate", connection_lost)
    assert_retry_later(client.get("/api/v1/queue", headers=helpline))


def test_the_api_documentation_says_how_to_retry(client):
    spec = client.get("/openapi.json").get_json()
    assert "503" in spec["info"]["description"]
    assert "Idempotency-Key" in spec["info"]["description"]


def test_an_answer_the_database_could_not_keep_is_still_given(client, helpline, monkeypatch, caplog):
    """The call committed; storing its answer for retries failed: the caller gets the 201, not a 503."""
    import api.idempotency

    real = api.idempotency.Session.commit
    calls = {"n": 0}

    def commit_then_lose(session):
        calls["n"] += 1
        if calls["n"] == 2:  # the first commit is the call's own; the second stores the answer
            connection_lost()
        return real(session)

    monkeypatch.setattr(api.idempotency.Session, "commit", commit_then_lose)
    caplog.set_level(logging.WARNING)
    response = client.post("/api/v1/referrals", json=call(), headers={**helpline, "Idempotency-Key": "k-2"})
    assert response.status_code == 201
    assert "Idempotency-Key answer not stored" in caplog.text
