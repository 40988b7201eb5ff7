"""`/metrics`: only with METRICS_TOKEN; request latency by route, referrals by tier and channel, and the
database's gauges read at scrape time."""

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from api import create_app
from db import utcnow
from notify.models import MESSAGE_KINDS, OutboxMessage
from referrals.models import AuditHead
from tests.builders import auth, call, token_for
from tests.conftest import RELAXED_LIMITS

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
ROLES = ("helpline_staff", "safety_net_officer", "partner_referrer", "admin")


@pytest.fixture
def app(database_url, session_factory):
    app = create_app(
        {"DATABASE_URL": database_url, "TESTING": True, "METRICS_TOKEN": METRICS_TOKEN, **RELAXED_LIMITS}
    )
    yield app
    app.extensions["oneroute"].engine.dispose()


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token_setting(database_url):
    client = create_app({"DATABASE_URL": database_url}).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=SCRAPER).status_code == 404


def test_metrics_refuse_any_other_token_including_every_roles(app, client, session_factory):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": METRICS_TOKEN}).status_code == 401
    for role in ROLES:
        response = client.get("/metrics", headers=auth(token_for(session_factory, role)))
        assert response.status_code == 401, role
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_request_latency_is_by_route_never_by_path(client, session_factory, directory):
    helpline = auth(token_for(session_factory, "helpline_staff"))
    referral = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    before = scrape(client)
    client.get(f"/api/v1/referrals/{referral['id']}", headers=helpline)
    after = scrape(client)
    route = "/api/v1/referrals/<int:referral_id>"
    count = "oneroute_http_request_duration_seconds_count"
    assert (
        value(after, count, route=route, method="GET") == value(before, count, route=route, method="GET") + 1
    )
    requests = "oneroute_http_requests_total"
    labels = {"route": route, "method": "GET", "status": "200"}
    assert value(after, requests, **labels) == value(before, requests, **labels) + 1
    routes = {dict(labels)["route"] for (_name, labels) in after if "route" in dict(labels)}
    assert f"/api/v1/referrals/{referral['id']}" not in routes
    assert all(not any(part.isdigit() for part in route.split("/")) for route in routes)


def test_referrals_are_counted_by_tier_and_channel_once_committed(client, session_factory, directory):
    helpline = auth(token_for(session_factory, "helpline_staff"))
    before = scrape(client)
    made = client.post("/api/v1/referrals", json=call(channel="email"), headers=helpline).get_json()
    refused = client.post("/api/v1/referrals", json=call(channel="email", surprise=1), headers=helpline)
    assert refused.status_code == 422  # nothing saved, nothing counted
    after = scrape(client)
    name = "oneroute_referrals_logged_total"
    labels = {"tier": made["tier"], "channel": "email"}
    assert value(after, name, **labels) == value(before, name, **labels) + 1
    assert (
        sum(v for (n, _), v in after.items() if n == name)
        == sum(v for (n, _), v in before.items() if n == name) + 1
    )


def test_database_gauges_are_read_at_scrape_time(client, session_factory, directory):
    empty = scrape(client)
    assert value(empty, "oneroute_metrics_database_up") == 1
    assert value(empty, "oneroute_offers_pending") == 0
    assert value(empty, "oneroute_oldest_unanswered_offer_seconds") == 0
    assert value(empty, "oneroute_sms_outbox_depth") == 0
    helpline = auth(token_for(session_factory, "helpline_staff"))
    referral = client.post("/api/v1/referrals", json=call(), headers=helpline).get_json()
    assert referral["current_offer"]["status"] == "pending"
    offered = scrape(client)
    assert value(offered, "oneroute_offers_pending") == 1
    assert value(offered, "oneroute_oldest_unanswered_offer_seconds") >= 0
    with session_factory() as session:
        chain = session.scalar(select(AuditHead.seq))
    assert value(offered, "oneroute_audit_chain_length") == chain > 0
    escalated = client.post(
        f"/api/v1/referrals/{referral['id']}/escalate", json={"reason": "no answer"}, headers=helpline
    )
    assert escalated.status_code == 200, escalated.get_json()
    found = scrape(client)
    assert value(found, "oneroute_referrals_escalated") == 1
    assert value(found, "oneroute_escalations_total") == 1
    assert value(found, "oneroute_audit_chain_length") > chain


def test_a_scrape_answers_when_the_database_does_not():
    down = create_app(
        {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere", "METRICS_TOKEN": METRICS_TOKEN}
    )
    samples = scrape(down.test_client())
    assert value(samples, "oneroute_metrics_database_up") == 0


def test_the_outbox_depth_counts_texts_not_yet_sent_and_the_oldest_ones_age(client, session_factory):
    now = utcnow()
    with session_factory() as session:
        for status, age in (("queued", 90), ("sending", 30), ("sent", 600), ("dead", 900)):
            session.add(
                OutboxMessage(
                    to="+447700900001",
                    body="x",
                    kind=MESSAGE_KINDS[0],
                    status=status,
                    created_at=now - timedelta(seconds=age),
                )
            )
        session.commit()
    found = scrape(client)
    assert value(found, "oneroute_sms_outbox_depth") == 2
    assert 90 <= value(found, "oneroute_sms_outbox_oldest_unsent_seconds") < 600
