"""Partners' webhooks (issue 24): a partner subscribes by its token (the secret shown once) and hears of each
change of status of its own referrals by a signed post to a local HTTP receiver, retried with backoff until
it is answered 2xx and dead after the limit; never another partner's referrals, never a person's details."""

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from db.base import utcnow
from notify.models import WebhookDelivery
from notify.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, sign, verify
from referrals.models import AuditEvent
from tests.api.http import act
from tests.builders import auth, call, token_for


class Receiver:
    """A partner's server on 127.0.0.1: records each post and answers with the next scripted status."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict, bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers), body))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/one-route-in"

    def events(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.posts]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def partner(session_factory) -> dict:
    return auth(token_for(session_factory, "partner_referrer", name="Age UK Sutton"))


class Clock:
    def __init__(self):
        self.offset = timedelta()

    def __call__(self):
        return utcnow() + self.offset


@pytest.fixture
def clock(app) -> Clock:
    found = Clock()
    app.extensions["oneroute"].clock = found
    return found


def send(app) -> str:
    result = app.test_cli_runner().invoke(args=["webhooks", "send-once"])
    assert result.exit_code == 0, result.output
    return result.output


def subscribe(client, headers, url) -> dict:
    answer = client.post("/api/v1/webhooks", json={"url": url}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def deliveries(session) -> list[WebhookDelivery]:
    session.rollback()
    return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_partner_hears_of_its_referrals_changes_signed_and_retried_until_answered(
    app, client, partner, hub, session, receiver, clock
):
    hook = subscribe(client, partner, receiver.url)
    assert hook["secret"].startswith("whsec_")
    listed = client.get("/api/v1/webhooks", headers=partner).get_json()
    assert listed == [{"id": hook["id"], "url": receiver.url, "created_at": hook["created_at"]}]

    referral = client.post("/api/v1/referrals", json=call(), headers=partner).get_json()
    act(client, hub, referral["id"], "accept")
    receiver.answers = [503]  # the partner's server is down for the first post
    assert "1 delivered, 1 to retry" in send(app)
    assert send(app).startswith("webhooks: 0 delivered"), "the retry waits its backoff"
    clock.offset = timedelta(minutes=2)
    assert "1 delivered" in send(app)

    events = receiver.events()
    assert [(e["referral_id"], e["status"]) for e in events] == [
        (referral["id"], "offered"),  # the first post failed ...
        (referral["id"], "accepted"),
        (referral["id"], "offered"),  # ... and came again
    ]
    assert events[1]["previous_status"] == "offered"
    assert events[0]["event"] == "referral.status_changed"
    for headers, body in receiver.posts:
        assert verify(hook["secret"], headers[SIGNATURE_HEADER], body, utcnow() + clock.offset)
        assert not verify("whsec_wrong", headers[SIGNATURE_HEADER], body, utcnow() + clock.offset)
        assert int(headers[DELIVERY_HEADER]) == json.loads(body)["id"]
    headers, body = receiver.posts[0]
    assert not verify(hook["secret"], headers[SIGNATURE_HEADER], body + b" ", utcnow()), "altered"
    stale = sign(hook["secret"], int((utcnow() - timedelta(minutes=10)).timestamp()), body)
    assert not verify(hook["secret"], stale, body, utcnow()), "too old: a replay"
    text = b"".join(body for _h, body in receiver.posts).decode()
    assert "Margaret" not in text, "no personal details"
    assert "07700" not in text
    assert "Sutton Central Hub" not in text
    assert [d.status for d in deliveries(session)] == ["delivered", "delivered"]
    assert [d.attempts for d in deliveries(session)] == [2, 1]
    told = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == referral["id"], AuditEvent.kind == "webhook.queued"
        )
    ).all()
    assert [e.payload["status"] for e in told] == ["offered", "accepted"], "the referral's trail says so"
    delivered = session.scalars(
        select(AuditEvent).where(
            AuditEvent.referral_id == referral["id"], AuditEvent.kind == "webhook.delivered"
        )
    ).all()
    assert sorted(e.payload["attempts"] for e in delivered) == [1, 2]


def test_a_delivery_never_answered_is_dead_after_the_limit(app, client, partner, session, receiver, clock):
    app.extensions["oneroute"].settings["PARTNER_WEBHOOK_MAX_ATTEMPTS"] = 3
    subscribe(client, partner, receiver.url)
    client.post("/api/v1/referrals", json=call(), headers=partner)
    receiver.answers = [500, 500, 500, 500]
    for minutes in (0, 2, 4, 8):
        clock.offset = timedelta(minutes=minutes)
        send(app)
    [delivery] = deliveries(session)
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert "gave up after 3 attempts" in delivery.last_error
    assert len(receiver.posts) == 3
    [dead] = session.scalars(select(AuditEvent).where(AuditEvent.kind == "webhook.dead")).all()
    assert dead.referral_id == delivery.referral_id
    assert "gave up after 3 attempts" in dead.reason


def test_only_the_partners_own_referrals_and_an_ended_webhook_hears_nothing(
    app, client, partner, helpline, session_factory, session, receiver
):
    other = auth(token_for(session_factory, "partner_referrer", name="Citizens Advice"))
    other_receiver_hook = subscribe(client, other, receiver.url + "/other")
    mine = subscribe(client, partner, receiver.url)
    client.post("/api/v1/referrals", json=call(), headers=partner)
    client.post("/api/v1/referrals", json=call(resident={"name": "Helpline Caller"}), headers=helpline)
    assert [d.webhook_id for d in deliveries(session)] == [mine["id"]]

    assert client.delete(f"/api/v1/webhooks/{mine['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/webhooks", headers=other).get_json()[0]["id"] == other_receiver_hook["id"]
    assert client.delete(f"/api/v1/webhooks/{mine['id']}", headers=partner).status_code == 204
    assert client.get("/api/v1/webhooks", headers=partner).get_json() == []
    client.post("/api/v1/referrals", json=call(resident={"name": "Later Person"}), headers=partner)
    assert len(deliveries(session)) == 1
    send(app)
    [delivery] = deliveries(session)
    assert delivery.status == "dead", "a delivery of an ended subscription is not posted"
    assert receiver.posts == []


def test_a_webhook_url_must_be_a_web_address(client, partner, hub):
    for url in ("ftp://partner.example/x", "https://user:pw@partner.example/x", "not a url at all"):
        answer = client.post("/api/v1/webhooks", json={"url": url}, headers=partner)
        assert answer.status_code == 422, url
        assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert (
        client.post("/api/v1/webhooks", json={"url": "https://x.example/h"}, headers=hub).status_code == 403
    )
