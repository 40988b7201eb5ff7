"""Limits, refusals in the audit trail, input hygiene and consent."""

import uuid

import pytest
import redis
from sqlalchemy import select

from api import create_app
from referrals.models import AuditEvent
from tests.builders import call

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url, session_factory):
    if request.param == "redis" and not redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    storage = "memory://" if request.param == "memory" else REDIS_URL
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_INTAKE": "3 per minute",
            "AUTH_FREE_FAILURES_PER_ADDRESS": 4,
        }
    )
    if request.param == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
    yield app
    app.extensions["oneroute"].engine.dispose()


def test_intake_is_rate_limited_per_caller(limited_app, helpline):
    client = limited_app.test_client()
    statuses = [client.post("/api/v1/referrals", json=call(), headers=helpline).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    response = client.post("/api/v1/referrals", json=call(), headers=helpline)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 429


def test_repeated_failed_authentication_is_delayed_but_never_a_valid_token(limited_app, helpline):
    client = limited_app.test_client()
    bad = {"Authorization": f"Bearer ori_{uuid.uuid4().hex}"}
    statuses = [client.get("/api/v1/referrals/1", headers=bad).status_code for _ in range(6)]
    assert statuses == [401, 401, 401, 401, 401, 429]
    assert "Retry-After" in client.get("/api/v1/referrals/1", headers=bad).headers
    allowed = client.get("/api/v1/referrals/1", headers=helpline)
    assert allowed.status_code == 404, (
        "a valid token from the same address is not delayed (test_token_delays)"
    )


def test_failed_and_denied_requests_are_audited(client, headers_for, session, directory):
    client.get("/api/v1/referrals/1", headers={"Authorization": "Bearer ori_wrong"})
    client.get("/api/v1/safety-net", headers=headers_for("helpline_staff"))
    kinds = session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)).all()
    assert "auth.failed" in kinds
    assert "auth.denied" in kinds


def test_text_is_normalised_and_control_characters_refused(client, helpline):
    body = call(resident={"name": "Zoe\u0301 Example"}, notes="needs shopping\tplease")
    created = client.post("/api/v1/referrals", json=body, headers=helpline).get_json()
    assert created["resident"]["name"] == "Zo\u00e9 Example"
    assert created["notes"] == "needs shopping\tplease"
    body = call(resident={"name": "Zoe Example\x00"}, notes="needs shopping\x07 please")
    response = client.post("/api/v1/referrals", json=body, headers=helpline)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"resident.name", "notes"}


def test_overlong_strings_are_refused(client, helpline):
    response = client.post("/api/v1/referrals", json=call(resident={"name": "x" * 201}), headers=helpline)
    assert response.status_code == 422
    assert "resident.name" in response.get_json()["errors"]


def test_without_consent_nothing_is_shared_with_vcs_or_mutual_aid(client, helpline, directory):
    created = client.post("/api/v1/referrals", json=call(consent_to_share=False), headers=helpline).get_json()
    assert created["consent_to_share"] is False
    shared = [
        c
        for c in client.get(f"/api/v1/referrals/{created['id']}/candidates", headers=helpline).get_json()
        if c["action"] == "offer" and c["org_id"] != directory["sutton_safety_net"]
    ]
    assert shared == []
    assert (
        created["current_offer"] is None
        or created["current_offer"]["org_id"] == directory["sutton_safety_net"]
    )


def test_content_security_policy_on_pages_and_api(client):
    response = client.get("/healthz")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_booleans_must_be_json_booleans(client, helpline):
    response = client.post("/api/v1/referrals", json=call(consent_to_share=0), headers=helpline)
    assert response.status_code == 422
    assert "consent_to_share" in response.get_json()["errors"]


def test_a_partner_cannot_attach_a_call_to_someone_they_did_not_refer(client, helpline, headers_for):
    known = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    partner = headers_for("partner_referrer")
    attempt = client.post(
        "/api/v1/referrals",
        json=call(resident_id=known["resident"]["id"], notes="needs a lift"),
        headers=partner,
    )
    assert attempt.status_code == 404
    mine = client.post(
        "/api/v1/referrals", json=call(resident={"name": "Partner Client"}), headers=partner
    ).get_json()
    again = client.post(
        "/api/v1/referrals",
        json=call(resident_id=mine["resident"]["id"], notes="needs a lift"),
        headers=partner,
    )
    assert again.status_code == 201
