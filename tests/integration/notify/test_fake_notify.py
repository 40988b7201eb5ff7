"""The fake GOV.UK Notify as Notify's API and callbacks behave: the JWT checked (signature, service, time),
texts recorded, Notify's test numbers failing as they do, receipts and received texts posted with the bearer
token, and the /_fake/ controls over HTTP."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests

from notify.fake_notify import FakeNotify
from tests.integration.notify.notify_builders import API_KEY, CALLBACK_TOKEN, SECRET, SERVICE_ID, TEMPLATE_ID
from tests.integration.notify.sms_builders import wait_until

LEAD = "+447700900123"


class Receiver:
    """Stands in for the app: records each JSON POST with its Authorization header."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str | None, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.received.append((self.path, self.headers.get("Authorization"), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server


@pytest.fixture
def fake(receiver) -> Iterator[FakeNotify]:
    with FakeNotify(
        API_KEY,
        TEMPLATE_ID,
        callback_token=CALLBACK_TOKEN,
        status_callback_url=f"{receiver.url}/status",
        inbound_callback_url=f"{receiver.url}/inbound",
        echo=False,
    ) as server:
        yield server


def token(secret: str = SECRET, issuer: str = SERVICE_ID, issued: float | None = None) -> dict[str, str]:
    claims = {"iss": issuer, "iat": int(time.time() if issued is None else issued)}
    return {"Authorization": "Bearer " + jwt.encode(claims, secret, algorithm="HS256")}


def send(fake: FakeNotify, headers: dict[str, str], to: str = LEAD) -> requests.Response:
    body = {"phone_number": to, "template_id": TEMPLATE_ID, "personalisation": {"body": "Task K7QX"}}
    return requests.post(f"{fake.url}/v2/notifications/sms", json=body, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (lambda: {}, "Unauthorized: authentication token must be provided"),
        (lambda: token(secret="0b8e3f5c-1111-4222-8333-944455556666"), "Invalid token: signature"),
        (lambda: token(issuer="4ab05b3c-0000-4000-8000-000000000000"), "Invalid token: service id"),
        (lambda: token(issued=time.time() - 120), "Token has expired"),
        (lambda: token(issued=time.time() + 120), "Token can not be in the future"),
        (lambda: {"Authorization": "Bearer not.a.jwt"}, "Invalid token"),
    ],
    ids=["none", "wrong-secret", "other-service", "too-old", "future", "garbage"],
)
def test_the_jwt_is_checked_as_notify_checks_it(fake, headers, message):
    refused = send(fake, headers())
    assert refused.status_code == 403
    [error] = refused.json()["errors"]
    assert error["error"] == "AuthError"
    assert error["message"].startswith(message)
    assert fake.messages() == []


def test_a_text_is_recorded_and_its_receipt_posted_with_the_bearer_token(fake, receiver):
    created = send(fake, token())
    assert created.status_code == 201
    notification = created.json()
    assert notification["content"]["body"] == "Task K7QX"
    wait_until(lambda: len(receiver.received) == 1)
    [(path, authorization, receipt)] = receiver.received
    assert (path, authorization) == ("/status", f"Bearer {CALLBACK_TOKEN}")
    assert (receipt["id"], receipt["to"], receipt["status"]) == (notification["id"], LEAD, "delivered")
    fetched = requests.get(f"{fake.url}/v2/notifications/{notification['id']}", headers=token(), timeout=5)
    assert fetched.json()["status"] == "delivered"


@pytest.mark.parametrize(
    ("number", "status"), [("07700900002", "permanent-failure"), ("+447700900003", "temporary-failure")]
)
def test_notifys_test_numbers_fail_as_they_do(fake, receiver, number, status):
    assert send(fake, token(), to=number).status_code == 201
    wait_until(lambda: len(receiver.received) == 1)
    assert receiver.received[0][2]["status"] == status


def test_the_controls_over_http(fake, receiver):
    control = f"{fake.url}/_fake/control"
    switches = requests.post(control, json={"outage": True, "outage_requests": 1}, timeout=5).json()
    assert switches["outage"] is True
    assert send(fake, token()).json()["errors"] == [
        {"error": "Exception", "message": "Internal server error"}
    ]
    assert send(fake, token()).status_code == 201
    requests.post(
        control, json={"errors": {"07700 900123": [400, "BadRequestError", "team-only"]}}, timeout=5
    )
    assert send(fake, token()).status_code == 400
    assert requests.post(control, json={"outcomes": {LEAD: "lost"}}, timeout=5).status_code == 400
    listed = requests.get(f"{fake.url}/_fake/messages", params={"to": "07700900123"}, timeout=5).json()
    assert [m["body"] for m in listed] == ["Task K7QX"]
    requests.delete(f"{fake.url}/_fake/messages", timeout=5)
    assert fake.messages() == []
    assert fake.send_attempts == 0


def test_a_received_text_is_posted_to_the_inbound_callback(fake, receiver):
    answer = requests.post(
        f"{fake.url}/_fake/inbound", json={"from": "07700 900123", "body": "YES K7QX"}, timeout=5
    )
    assert answer.json()["status"] == 204
    [(path, authorization, text)] = receiver.received
    assert (path, authorization) == ("/inbound", f"Bearer {CALLBACK_TOKEN}")
    assert (text["source_number"], text["destination_number"], text["message"]) == (
        "447700900123",
        "07700900000",
        "YES K7QX",
    )
