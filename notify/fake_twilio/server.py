"""The fake Twilio: messages, switches, status callbacks and inbound webhooks, behind an HTTP server."""

import base64
import binascii
import copy
import hmac
import logging
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import requests
from twilio.request_validator import RequestValidator

from notify.fake_http import BackgroundServer
from notify.fake_twilio.handler import FakeTwilioHandler
from notify.fake_twilio.model import (
    API_VERSION,
    MAX_BODY_LENGTH,
    FakeMessage,
    Outcome,
    Switches,
    TwilioError,
    new_sid,
)
from notify.sms_text import segment_count

logger = logging.getLogger(__name__)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
WEBHOOK_TIMEOUT = 5.0
DEFAULT_NUMBER = "+447700900000"


@dataclass(frozen=True)
class InboundResult:
    message_sid: str
    status: int
    body: str


class FakeTwilio(BackgroundServer):
    thread_name = "fake-twilio"
    join_timeout = WEBHOOK_TIMEOUT

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        account_sid: str = "",
        auth_token: str = "",
        *,
        number: str = DEFAULT_NUMBER,
        outage: bool = False,
        outage_requests: int | None = None,
        delay: float = 0.0,
        create_errors: Mapping[str, int] | None = None,
        outcomes: Mapping[str, "str | Mapping | Outcome"] | None = None,
        callbacks: bool = True,
        callback_delay: float = 0.05,
        echo: bool = True,
    ):
        if not account_sid or not auth_token:
            raise ValueError("FakeTwilio needs an account SID and an auth token")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number
        self.echo = echo
        self._initial_switches = Switches()
        self._initial_switches.update(
            {
                "delay": delay,
                "create_errors": create_errors or {},
                "outcomes": outcomes or {},
                "callbacks": callbacks,
                "callback_delay": callback_delay,
            }
        )
        if outage or outage_requests is not None:
            self._initial_switches.update({"outage": True, "outage_requests": outage_requests})
        self._switches = copy.deepcopy(self._initial_switches)
        self._lock = threading.Lock()
        self._messages: dict[str, FakeMessage] = {}
        self._create_attempts = 0
        self._serve_on(host, port, FakeTwilioHandler)

    def create_message(
        self, account_sid: str, form: Mapping[str, str], authorization: str | None
    ) -> FakeMessage:
        with self._lock:
            self._create_attempts += 1
        try:
            message, outcome, callback_url = self._accept(account_sid, form, authorization)
        except TwilioError as error:
            self._say(f"[fake-twilio] refused SMS to {form.get('To', '?')}: {error.code} {error.message}")
            raise
        self._say(f"[fake-twilio] SMS to {message.to}: {message.body}")
        worker = threading.Thread(
            target=self._run_lifecycle, args=(message.sid, outcome, callback_url), daemon=True
        )
        with self._lock:
            self._workers = [*(w for w in self._workers if w.is_alive()), worker]
        worker.start()
        return message

    def fetch_message(self, account_sid: str, sid: str, authorization: str | None) -> FakeMessage:
        self._wait_if_slow()
        self._authenticate(account_sid, authorization)
        with self._lock:
            if sid not in self._messages:
                raise TwilioError(20404, f"The requested resource /Messages/{sid}.json was not found")
            return replace(self._messages[sid])

    def messages(self, to: str | None = None) -> list[FakeMessage]:
        """Accepted messages, oldest first; `to` matches with or without the leading '+'."""
        with self._lock:
            found = [replace(message) for message in self._messages.values()]
        return [m for m in found if to is None or m.to.lstrip("+") == to.strip().lstrip("+")]

    @property
    def create_attempts(self) -> int:
        """Every create request received since the last reset, refused ones included."""
        with self._lock:
            return self._create_attempts

    def stats(self) -> dict:
        with self._lock:
            return {"create_attempts": self._create_attempts, "accepted": len(self._messages)}

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._create_attempts = 0

    def configure(self, changes: Mapping[str, object]) -> dict:
        with self._lock:
            self._switches.update(changes)
            return self._switches.as_json()

    def switches(self) -> dict:
        with self._lock:
            return self._switches.as_json()

    def reset_switches(self) -> None:
        with self._lock:
            self._switches = copy.deepcopy(self._initial_switches)

    def set_outage(self, enabled: bool = True, next_requests: int | None = None) -> None:
        """Answer creates with 503, for the next `next_requests` only or until switched off."""
        self.configure({"outage": enabled, "outage_requests": next_requests})

    def set_delay(self, seconds: float) -> None:
        self.configure({"delay": seconds})

    def set_create_error(self, number: str, code: int | None) -> None:
        self.configure({"create_errors": {number: code}})

    def set_outcome(self, number: str, status: str, error_code: int | None = None) -> None:
        self.configure({"outcomes": {number: {"status": status, "error_code": error_code}}})

    def set_callbacks(self, enabled: bool = True, delay: float | None = None) -> None:
        self.configure({"callbacks": enabled} | ({} if delay is None else {"callback_delay": delay}))

    def send_inbound(self, from_: str, body: str, url: str, to: str | None = None) -> InboundResult:
        """POST a signed inbound-SMS webhook to the app at `url`, as Twilio does when someone texts us."""
        sid = new_sid("SM")
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "SmsMessageSid": sid,
            "AccountSid": self.account_sid,
            "From": from_,
            "To": to or self.number,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": str(segment_count(body)),
            "SmsStatus": "received",
            "ApiVersion": API_VERSION,
        }
        self._say(f"[fake-twilio] SMS from {from_}: {body}")
        response = self._post_webhook(url, params)
        return InboundResult(message_sid=sid, status=response.status_code, body=response.text)

    def _accept(
        self, account_sid: str, form: Mapping[str, str], authorization: str | None
    ) -> tuple[FakeMessage, Outcome, str | None]:
        self._wait_if_slow()
        with self._lock:
            if self._switches.take_outage():
                raise TwilioError(20503)
        self._authenticate(account_sid, authorization)
        to, body = form.get("To", ""), form.get("Body", "")
        from_, service = form.get("From") or None, form.get("MessagingServiceSid") or None
        if not to:
            raise TwilioError(21604)
        if not E164.match(to):
            raise TwilioError(21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            raise TwilioError(21603)
        if not body:
            raise TwilioError(21602)
        if len(body) > MAX_BODY_LENGTH:
            raise TwilioError(21617)
        now = datetime.now(UTC)
        with self._lock:
            if code := self._switches.create_errors.get(to):
                raise TwilioError(code)
            message = FakeMessage(
                sid=new_sid("SM"),
                account_sid=account_sid,
                to=to,
                from_=from_,
                messaging_service_sid=service,
                body=body,
                status="queued" if from_ else "accepted",
                status_callback=form.get("StatusCallback") or None,
                date_created=now,
                date_updated=now,
            )
            self._messages[message.sid] = message
            callback_url = message.status_callback if self._switches.callbacks else None
            return replace(message), self._switches.outcome_for(to), callback_url

    def _wait_if_slow(self) -> None:
        with self._lock:
            delay = self._switches.delay
        if delay and self._stopping.wait(delay):
            raise TwilioError(20503)

    def _authenticate(self, account_sid: str, authorization: str | None) -> None:
        scheme, _, encoded = (authorization or "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        valid_user = hmac.compare_digest(user.encode(), self.account_sid.encode())
        valid_password = hmac.compare_digest(password.encode(), self.auth_token.encode())
        if scheme.lower() != "basic" or not (valid_user and valid_password):
            raise TwilioError(20003)
        if account_sid != self.account_sid:
            raise TwilioError(20404, f"The requested resource /Accounts/{account_sid} was not found")

    def _run_lifecycle(self, sid: str, outcome: Outcome, callback_url: str | None) -> None:
        """Move the message to its outcome; callbacks go to the URL decided when it was accepted."""
        steps = [(outcome.status, outcome.error_code)]
        if outcome.status != "failed":
            steps.insert(0, ("sent", None))
        for status, error_code in steps:
            with self._lock:
                delay = self._switches.callback_delay
            if self._stopping.wait(delay):
                return
            message = self._advance(sid, status, error_code)
            if message is None:
                return
            if callback_url:
                self._send_status_callback(message, callback_url)

    def _advance(self, sid: str, status: str, error_code: int | None) -> FakeMessage | None:
        with self._lock:
            message = self._messages.get(sid)
            if message is None:
                return None
            message.status, message.error_code = status, error_code
            message.date_updated = datetime.now(UTC)
            if status == "sent":
                message.date_sent = message.date_updated
            return replace(message)

    def _send_status_callback(self, message: FakeMessage, url: str) -> None:
        params = {
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "AccountSid": message.account_sid,
            "To": message.to,
            "MessageStatus": message.status,
            "SmsStatus": message.status,
            "ApiVersion": API_VERSION,
        }
        optional = {
            "From": message.from_,
            "MessagingServiceSid": message.messaging_service_sid,
            "ErrorCode": None if message.error_code is None else str(message.error_code),
        }
        params |= {name: value for name, value in optional.items() if value is not None}
        try:
            response = self._post_webhook(url, params)
        except requests.RequestException as error:
            logger.warning(
                "status callback %s %s to %s failed: %s", message.sid, message.status, message.to, error
            )
            return
        if response.status_code >= 400:
            logger.warning(
                "status callback %s %s answered %s", message.sid, message.status, response.status_code
            )
        else:
            logger.info("status callback %s %s -> %s", message.sid, message.status, response.status_code)

    def _post_webhook(self, url: str, params: dict[str, str]) -> requests.Response:
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        return requests.post(url, data=params, headers=headers, timeout=WEBHOOK_TIMEOUT)

    def _say(self, line: str) -> None:
        if self.echo:
            print(line.replace("\n", "\\n"), file=sys.stdout, flush=True)
