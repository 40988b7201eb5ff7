"""The real twilio client against the fake Twilio server, and the fake's callbacks against a tiny receiver."""

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
from twilio.request_validator import RequestValidator

from notify.errors import SmsSendError
from notify.fake_twilio import FakeTwilio
from notify.twilio_client import TwilioSmsSender, make_twilio_client

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "test-auth-token"
OUR_NUMBER = "+447700900000"
LEAD = "+447700900123"
REPO_ROOT = Path(__file__).resolve().parents[3]


def wait_until(condition: Callable[[], object], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        time.sleep(0.01)


@dataclass(frozen=True)
class Received:
    url: str
    params: dict[str, str]
    signature: str | None

    def signed_by(self, token: str) -> bool:
        return self.signature is not None and RequestValidator(token).validate(
            self.url, self.params, self.signature
        )


class Receiver:
    """Stands in for our app: records every form POST and answers with `answer`."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer = (200, "<Response/>")
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                params = {name: values[0] for name, values in form.items()}
                url = receiver.url + self.path
                receiver.received.append(Received(url, params, self.headers.get("X-Twilio-Signature")))
                status, body = receiver.answer
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def statuses_for(self, sid: str) -> list[str]:
        return [r.params["MessageStatus"] for r in self.received if r.params.get("MessageSid") == sid]


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, callback_delay=0.01) as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def sender(fake: FakeTwilio) -> TwilioSmsSender:
    client = make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, timeout=2)
    return TwilioSmsSender(client, from_=OUR_NUMBER)


def send_error(sender: TwilioSmsSender, to: str = LEAD, body: str = "hello") -> SmsSendError:
    with pytest.raises(SmsSendError) as raised:
        sender.send(to, body)
    return raised.value


def test_real_client_creates_a_queued_message_the_fake_lists(fake):
    client = make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, timeout=2)
    message = client.messages.create(to=LEAD, from_=OUR_NUMBER, body="Your shopping volunteer is Sam.")
    assert message.status == "queued"
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.to, message.from_, message.num_segments, message.direction) == (
        LEAD,
        OUR_NUMBER,
        "1",
        "outbound-api",
    )
    assert message.date_created is not None
    assert message.account_sid == ACCOUNT_SID

    listed = requests.get(f"{fake.url}/_fake/messages", params={"to": LEAD}, timeout=2).json()
    assert [(m["sid"], m["to"], m["body"]) for m in listed] == [
        (message.sid, LEAD, "Your shopping volunteer is Sam.")
    ]
    assert requests.get(f"{fake.url}/_fake/messages", params={"to": "+447700900999"}, timeout=2).json() == []
    assert client.messages(message.sid).fetch().body == "Your shopping volunteer is Sam."


def test_messaging_service_sends_are_accepted_without_a_from(fake):
    client = make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, timeout=2)
    sent = TwilioSmsSender(client, messaging_service_sid="MG" + "1" * 32).send(LEAD, "hi")
    assert sent.status == "accepted"
    assert fake.messages()[0].messaging_service_sid == "MG" + "1" * 32


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": OUR_NUMBER, "Body": "hi"}, 21604),
        ({"To": "07700 900123", "From": OUR_NUMBER, "Body": "hi"}, 21211),
        ({"To": LEAD, "Body": "hi"}, 21603),
        ({"To": LEAD, "From": OUR_NUMBER}, 21602),
        ({"To": LEAD, "From": OUR_NUMBER, "Body": "x" * 1601}, 21617),
    ],
)
def test_invalid_creates_get_twilio_error_bodies(fake, form, code):
    response = requests.post(
        f"{fake.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data=form,
        auth=(ACCOUNT_SID, AUTH_TOKEN),
        timeout=2,
    )
    assert response.status_code == 400
    body = response.json()
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }
    assert fake.messages() == []
    assert fake.create_attempts == 1


def test_wrong_auth_token_is_a_permanent_20003(fake):
    client = make_twilio_client(ACCOUNT_SID, "wrong-token", base_url=fake.url, timeout=2)
    error = send_error(TwilioSmsSender(client, from_=OUR_NUMBER))
    assert (error.code, error.status, error.transient) == (20003, 401, False)


def test_outage_is_transient_and_a_limited_outage_ends(fake, sender):
    fake.set_outage(next_requests=2)
    for _ in range(2):
        error = send_error(sender)
        assert (error.status, error.transient) == (503, True)
    assert sender.send(LEAD, "third time lucky").status == "queued"
    assert fake.stats() == {"create_attempts": 3, "accepted": 1}


@pytest.mark.parametrize(("code", "status"), [(21211, 400), (21610, 400), (21614, 400), (20429, 429)])
def test_per_number_create_errors(fake, sender, code, status):
    fake.set_create_error(LEAD, code)
    error = send_error(sender)
    assert (error.code, error.status) == (code, status)
    assert error.transient is (code == 20429)
    assert sender.send("+447700900456", "other numbers still work").status == "queued"


def test_body_over_1600_characters_is_permanent(sender):
    error = send_error(sender, body="x" * 1601)
    assert (error.code, error.transient) == (21617, False)


def test_slow_twilio_times_out_as_transient_yet_may_still_send(fake):
    fake.set_delay(0.3)
    client = make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, timeout=0.05)
    error = send_error(TwilioSmsSender(client, from_=OUR_NUMBER))
    assert (error.code, error.status, error.transient) == (None, None, True)
    wait_until(lambda: len(fake.messages()) == 1)  # as with Twilio: a timeout does not mean "not sent"


def test_unreachable_twilio_is_transient():
    client = make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url="http://127.0.0.1:9", timeout=1)
    error = send_error(TwilioSmsSender(client, from_=OUR_NUMBER))
    assert (error.code, error.status, error.transient) == (None, None, True)


def test_status_callbacks_arrive_signed_and_in_order(fake, receiver):
    client = make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=fake.url, timeout=2)
    sent = TwilioSmsSender(client, from_=OUR_NUMBER).send(
        LEAD, "hi", status_callback=receiver.url + "/sms/status"
    )
    wait_until(lambda: len(receiver.statuses_for(sent.sid)) == 2)
    assert receiver.statuses_for(sent.sid) == ["sent", "delivered"]
    for callback in receiver.received:
        assert callback.signed_by(AUTH_TOKEN)
        assert not callback.signed_by("some-other-token")
        assert callback.url == receiver.url + "/sms/status"
        assert callback.params["AccountSid"] == ACCOUNT_SID
        assert (callback.params["To"], callback.params["From"]) == (LEAD, OUR_NUMBER)
        assert callback.params["SmsStatus"] == callback.params["MessageStatus"]
        assert "ErrorCode" not in callback.params
    assert fake.messages()[0].status == "delivered"


@pytest.mark.parametrize(
    ("outcome", "error_code", "statuses"),
    [
        ("undelivered", 30005, ["sent", "undelivered"]),
        ("undelivered", None, ["sent", "undelivered"]),
        ("failed", 30007, ["failed"]),
    ],
)
def test_failed_outcomes_carry_an_error_code(fake, receiver, sender, outcome, error_code, statuses):
    fake.set_outcome(LEAD, outcome, error_code)
    sent = sender.send(LEAD, "hi", status_callback=receiver.url + "/sms/status")
    wait_until(lambda: receiver.statuses_for(sent.sid)[-1:] == [outcome])
    assert receiver.statuses_for(sent.sid) == statuses
    final = receiver.received[-1]
    expected_code = error_code or {"undelivered": 30003, "failed": 30008}[outcome]
    assert final.params["ErrorCode"] == str(expected_code)
    assert final.signed_by(AUTH_TOKEN)
    assert fake.messages()[0].error_code == expected_code


def test_disabled_callbacks_still_move_the_message_on(fake, receiver, sender):
    fake.set_callbacks(False)
    quiet = sender.send(LEAD, "no callbacks", status_callback=receiver.url + "/sms/status")
    wait_until(lambda: fake.messages(LEAD)[0].status == "delivered")
    fake.set_callbacks(True)
    loud = sender.send(LEAD, "callbacks again", status_callback=receiver.url + "/sms/status")
    wait_until(lambda: receiver.statuses_for(loud.sid) == ["sent", "delivered"])
    assert receiver.statuses_for(quiet.sid) == []


def test_callback_to_a_dead_app_is_logged_not_fatal(fake, sender, caplog):
    sent = sender.send(LEAD, "hi", status_callback="http://127.0.0.1:9/sms/status")
    wait_until(lambda: fake.messages()[0].status == "delivered")
    wait_until(lambda: sum("status callback" in r.getMessage() for r in caplog.records) == 2)
    assert sent.sid in caplog.text


def test_inbound_helper_posts_a_signed_webhook(fake, receiver):
    receiver.answer = (200, "<Response><Message>Thanks</Message></Response>")
    answer = requests.post(
        f"{fake.url}/_fake/inbound",
        json={"from": LEAD, "body": "YES 4KQ", "url": receiver.url + "/sms/inbound"},
        timeout=5,
    ).json()
    assert answer["status"] == 200
    assert answer["body"] == "<Response><Message>Thanks</Message></Response>"
    [webhook] = receiver.received
    assert webhook.url == receiver.url + "/sms/inbound"
    assert webhook.signed_by(AUTH_TOKEN)
    assert webhook.params["MessageSid"] == answer["message_sid"]
    assert {name: webhook.params[name] for name in ("From", "To", "Body", "NumMedia", "AccountSid")} == {
        "From": LEAD,
        "To": OUR_NUMBER,
        "Body": "YES 4KQ",
        "NumMedia": "0",
        "AccountSid": ACCOUNT_SID,
    }


def test_inbound_helper_reports_the_apps_refusal_and_absence(fake, receiver):
    receiver.answer = (403, "bad signature")
    result = fake.send_inbound(LEAD, "STOP", receiver.url + "/sms/inbound", to="+447700900777")
    assert (result.status, result.body) == (403, "bad signature")
    assert receiver.received[0].params["To"] == "+447700900777"
    unreachable = requests.post(
        f"{fake.url}/_fake/inbound",
        json={"from": LEAD, "body": "hi", "url": "http://127.0.0.1:9/sms/inbound"},
        timeout=5,
    )
    assert unreachable.status_code == 502


def test_control_endpoint_switches_reset_and_counts(fake, sender):
    control = f"{fake.url}/_fake/control"
    switched = requests.post(control, json={"create_errors": {LEAD: 21610}, "delay": 0}, timeout=2)
    assert switched.json()["create_errors"] == {LEAD: 21610}
    assert send_error(sender).code == 21610
    assert sender.send("+447700900456", "hi").status == "queued"
    assert requests.get(f"{fake.url}/_fake/stats", timeout=2).json() == {"create_attempts": 2, "accepted": 1}

    assert requests.post(control, json={"delay": -1}, timeout=2).status_code == 400
    assert requests.delete(control, timeout=2).json()["create_errors"] == {}
    assert sender.send(LEAD, "allowed again").status == "queued"

    assert requests.delete(f"{fake.url}/_fake/messages", timeout=2).json() == {
        "create_attempts": 0,
        "accepted": 0,
    }
    assert requests.get(f"{fake.url}/_fake/messages", timeout=2).json() == []


def test_each_sms_is_printed_for_the_developer(fake, sender, capsys):
    sender.send(LEAD, "Line one\nline two")
    assert f"[fake-twilio] SMS to {LEAD}: Line one\\nline two" in capsys.readouterr().out


def test_runs_from_the_command_line():
    command = [sys.executable, "-m", "notify.fake_twilio", "--port", "0"]
    command += [
        "--account-sid",
        ACCOUNT_SID,
        "--auth-token",
        AUTH_TOKEN,
        "--create-error",
        "+447700900001=21211",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"listening on (http://\S+)", banner).group(1)
        sender = TwilioSmsSender(
            make_twilio_client(ACCOUNT_SID, AUTH_TOKEN, base_url=url, timeout=2), OUR_NUMBER
        )
        assert sender.send(LEAD, "from the CLI").status == "queued"
        assert send_error(sender, to="+447700900001").code == 21211
        assert process.stdout.readline().strip() == f"[fake-twilio] SMS to {LEAD}: from the CLI"
    finally:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
