"""The fake GOV.UK Notify: the API key check, sending a text from a template, delivery receipts and received
texts posted to the service's callbacks with their bearer token, behind an HTTP server."""

import hmac
import json
import logging
import sys
import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

import requests
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError

from notify.fake_http import BackgroundServer, JsonHandler
from notify.fake_notify.model import (
    MAX_BODY_LENGTH,
    UK_MOBILE,
    FakeNotification,
    NotifyError,
    Switches,
    auth_error,
    bad_request,
    national,
    new_id,
    validation_error,
)

logger = logging.getLogger(__name__)
CALLBACK_TIMEOUT = 5.0
DEFAULT_NUMBER = "07700900000"
BODY = "body"


def split_api_key(api_key: str) -> tuple[str, str]:
    """`{key_name}-{service_id}-{secret}` -> (service id, secret), as Notify's clients read it."""
    return api_key[-73:-37], api_key[-36:]


class FakeNotify(BackgroundServer):
    """One Notify service: its API key, its text template (the body is `((body))`), and its two callbacks
    (delivery receipts, received texts), both sent with `callback_token` as the bearer token."""

    thread_name = "fake-notify"
    join_timeout = CALLBACK_TIMEOUT

    def __init__(
        self,
        api_key: str,
        template_id: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_token: str = "",
        status_callback_url: str = "",
        inbound_callback_url: str = "",
        number: str = DEFAULT_NUMBER,
        echo: bool = True,
    ):
        self.service_id, self.secret = split_api_key(api_key)
        self.template_id = template_id
        self.callback_token = callback_token
        self.status_callback_url = status_callback_url
        self.inbound_callback_url = inbound_callback_url
        self.number = number
        self.echo = echo
        self.switches = Switches()
        self._lock = threading.Lock()
        self._notifications: dict[str, FakeNotification] = {}
        self._send_attempts = 0
        self._serve_on(host, port, _Handler)

    # As Notify

    def authenticate(self, authorization: str | None) -> None:
        """Notify's check of the JWT: HS256 over {iss: service id, iat} with the key's secret, iat within
        30 s of now (notifications-python-client's own check, which Notify's API uses)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise auth_error("Unauthorized: authentication token must be provided")
        try:
            issuer = get_token_issuer(token)
        except TokenError as error:
            raise auth_error(error.message) from error
        if not hmac.compare_digest(str(issuer).encode(), self.service_id.encode()):
            raise auth_error(f"Invalid token: service id {issuer} not found")
        try:
            decode_jwt_token(token, self.secret)
        except TokenError as error:
            raise auth_error(error.message) from error

    def send_sms(self, request: Mapping[str, object], authorization: str | None) -> FakeNotification:
        with self._lock:
            self._send_attempts += 1
            failure = self.switches.take_failure()
        if failure is not None:
            raise failure
        self.authenticate(authorization)
        notification = self._accept(request)
        self._say(f"[fake-notify] SMS to {notification.to}: {notification.body}")
        worker = threading.Thread(target=self._deliver, args=(notification.id,), daemon=True)
        with self._lock:
            self._workers = [*(w for w in self._workers if w.is_alive()), worker]
        worker.start()
        return notification

    def notification(self, notification_id: str, authorization: str | None) -> FakeNotification:
        self.authenticate(authorization)
        with self._lock:
            found = self._notifications.get(notification_id)
            if found is None:
                raise NotifyError(404, "NoResultFound", "No result found")
            return replace(found)

    def _accept(self, request: Mapping[str, object]) -> FakeNotification:
        to, template_id = str(request.get("phone_number") or ""), str(request.get("template_id") or "")
        personalisation = request.get("personalisation") or {}
        if not to:
            raise validation_error("phone_number is a required property")
        if not template_id:
            raise validation_error("template_id is a required property")
        if not UK_MOBILE.match(to.replace(" ", "")):
            raise validation_error("phone_number Not a UK mobile number")
        if template_id != self.template_id:
            raise bad_request("Template not found")
        if not isinstance(personalisation, Mapping) or BODY not in personalisation:
            raise bad_request(f"Missing personalisation: {BODY}")
        body = str(personalisation[BODY])
        if len(body) > MAX_BODY_LENGTH:
            raise bad_request(
                f"Text messages cannot be longer than {MAX_BODY_LENGTH} characters. "
                f"Your message is {len(body)} characters long."
            )
        with self._lock:
            if (error := self.switches.error_for(to)) is not None:
                raise error
            notification = FakeNotification(
                id=new_id(),
                to=to,
                body=body,
                template_id=template_id,
                reference=str(request["reference"]) if request.get("reference") else None,
                sms_sender_id=str(request["sms_sender_id"]) if request.get("sms_sender_id") else None,
                created_at=datetime.now(UTC),
            )
            self._notifications[notification.id] = notification
            return replace(notification)

    def _deliver(self, notification_id: str) -> None:
        """Send, then end as the number's outcome says, and post the receipt to the callback."""
        with self._lock:
            delay, callbacks = self.switches.callback_delay, self.switches.callbacks
        if self._stopping.wait(delay):
            return
        with self._lock:
            notification = self._notifications.get(notification_id)
            if notification is None:  # reset meanwhile
                return
            now = datetime.now(UTC)
            notification.status = self.switches.outcome_for(notification.to)
            notification.sent_at = notification.completed_at = now
            receipt = notification.receipt_json()
        if callbacks and self.status_callback_url:
            self._post_callback(
                self.status_callback_url, receipt, f"receipt {notification_id} {receipt['status']}"
            )

    # For people and tests

    def send_inbound(self, from_: str, body: str, to: str | None = None) -> requests.Response:
        """POST a received text to the service's inbound callback, as Notify does when someone texts us."""
        if not self.inbound_callback_url:
            raise ValueError("no inbound callback URL configured")
        payload = {
            "id": new_id(),
            "source_number": "44" + national(from_)[1:] if national(from_).startswith("0") else from_,
            "destination_number": to or self.number,
            "message": body,
            "date_received": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }
        self._say(f"[fake-notify] SMS from {from_}: {body}")
        return self._post_callback(self.inbound_callback_url, payload, f"received text {payload['id']}")

    def messages(self, to: str | None = None) -> list[FakeNotification]:
        """Accepted texts, oldest first; `to` in any form (+44..., 44..., 07...)."""
        with self._lock:
            found = [replace(n) for n in self._notifications.values()]
        return [n for n in found if to is None or national(n.to) == national(to)]

    @property
    def send_attempts(self) -> int:
        with self._lock:
            return self._send_attempts

    def configure(self, changes: Mapping[str, object]) -> dict:
        with self._lock:
            self.switches.update(changes)
            return self.switches.as_json()

    def reset(self) -> None:
        with self._lock:
            self._notifications.clear()
            self._send_attempts = 0
            self.switches = Switches()

    def _post_callback(self, url: str, payload: dict, what: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.callback_token}", "Content-Type": "application/json"}
        try:
            response = requests.post(url, data=json.dumps(payload), headers=headers, timeout=CALLBACK_TIMEOUT)
        except requests.RequestException as error:
            logger.warning("%s to %s failed: %s", what, url, error)
            raise
        level = logging.WARNING if response.status_code >= 400 else logging.INFO
        logger.log(level, "%s -> %s", what, response.status_code)
        return response

    def _say(self, line: str) -> None:
        if self.echo:
            print(line.replace("\n", "\\n"), file=sys.stdout, flush=True)


class _Handler(JsonHandler):
    server_version = "FakeNotify/1.0"
    strip_trailing_slash = True

    def bad_request(self, message: str) -> dict:
        return bad_request(message).body()

    def route(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, object]:
        fake: FakeNotify = self.server.fake
        authorization = self.headers.get("Authorization")
        if (method, path) == ("POST", "/v2/notifications/sms"):
            return 201, fake.send_sms(self.json_body(), authorization).created_json(fake.url)
        if method == "GET" and path.startswith("/v2/notifications/"):
            return 200, fake.notification(path.rsplit("/", 1)[1], authorization).as_json()
        if (method, path) == ("GET", "/_fake/messages"):
            return 200, [n.as_json() for n in fake.messages(query.get("to", [None])[0])]
        if (method, path) == ("DELETE", "/_fake/messages"):
            fake.reset()
            return 200, {"send_attempts": 0}
        if (method, path) == ("GET", "/_fake/control"):
            return 200, fake.configure({})
        if (method, path) == ("POST", "/_fake/control"):
            return 200, fake.configure(self.json_body())
        if (method, path) == ("POST", "/_fake/inbound"):
            request = self.json_body()
            response = fake.send_inbound(str(request["from"]), str(request["body"]), request.get("to"))
            return 200, {"status": response.status_code, "body": response.text}
        raise NotifyError(404, "NotFound", f"{method} {path} is not part of the fake Notify")
