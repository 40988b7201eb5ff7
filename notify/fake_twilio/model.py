"""What the fake Twilio server holds: its messages, its switches, and Twilio's error answers."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime

from notify.fake_http import ProviderError
from notify.sms_text import segment_count

API_VERSION = "2010-04-01"
MAX_BODY_LENGTH = 1600
FINAL_STATUSES = ("delivered", "undelivered", "failed")
DEFAULT_ERROR_CODES = {"undelivered": 30003, "failed": 30008}

ERROR_MESSAGES: dict[int, str] = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "The 'To' number is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS.",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}
HTTP_STATUS_OF_CODE = {20003: 401, 20404: 404, 20429: 429, 20500: 500, 20503: 503}


class TwilioError(ProviderError):
    """An error answer in Twilio's format: the HTTP status follows from the Twilio code."""

    def __init__(self, code: int, message: str | None = None):
        self.code = code
        self.status = HTTP_STATUS_OF_CODE.get(code, 400)
        self.message = message or ERROR_MESSAGES.get(code, f"Error {code}")
        super().__init__(f"{code}: {self.message}")

    def body(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


@dataclass(frozen=True)
class Outcome:
    """How a message ends: `delivered`, or `undelivered` / `failed` with a Twilio error code."""

    status: str = "delivered"
    error_code: int | None = None

    @classmethod
    def parse(cls, value: "str | Mapping | Outcome") -> "Outcome":
        """Accepts an Outcome, `"failed"`, `"undelivered:30005"` or `{"status": ..., "error_code": ...}`."""
        if isinstance(value, Outcome):
            return value
        if isinstance(value, str):
            status, _, code = value.partition(":")
            return cls.of(status, int(code) if code else None)
        if isinstance(value, Mapping):
            return cls.of(str(value.get("status", "delivered")), value.get("error_code"))
        raise ValueError(f"not an outcome: {value!r}")

    @classmethod
    def of(cls, status: str, error_code: int | None = None) -> "Outcome":
        if status not in FINAL_STATUSES:
            raise ValueError(f"outcome must be one of {FINAL_STATUSES}, got {status!r}")
        if status == "delivered":
            return cls()
        return cls(status, int(error_code) if error_code is not None else DEFAULT_ERROR_CODES[status])


@dataclass
class FakeMessage:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status: str
    status_callback: str | None
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    error_code: int | None = None

    def as_json(self) -> dict:
        """The message as Twilio's API answers it (what twilio-python's MessageInstance reads)."""
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": ERROR_MESSAGES.get(self.error_code) if self.error_code else None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(segment_count(self.body)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": self.to,
            "uri": uri,
        }

    def inspection_json(self) -> dict:
        return {**self.as_json(), "status_callback": self.status_callback}


@dataclass
class Switches:
    """What the fake does wrong, on purpose. `outage_remaining` None means "until switched off";
    `outcomes` and `callbacks` apply to messages accepted from then on."""

    outage: bool = False
    outage_remaining: int | None = None
    delay: float = 0.0
    create_errors: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    callbacks: bool = True
    callback_delay: float = 0.05

    def take_outage(self) -> bool:
        """True if this create request falls in the outage; counts down a limited outage."""
        if not self.outage:
            return False
        if self.outage_remaining is not None:
            self.outage_remaining -= 1
            if self.outage_remaining <= 0:
                self.outage, self.outage_remaining = False, None
        return True

    def outcome_for(self, number: str) -> Outcome:
        return self.outcomes.get(number, Outcome())

    def update(self, changes: Mapping[str, object]) -> None:
        """Apply a control request: only the keys given change; a number mapped to null is cleared."""
        unknown = set(changes) - {
            "outage",
            "outage_requests",
            "delay",
            "create_errors",
            "outcomes",
            "callbacks",
            "callback_delay",
        }
        if unknown:
            raise ValueError(f"unknown switches: {sorted(unknown)}")
        if "outage" in changes or "outage_requests" in changes:
            requests = changes.get("outage_requests")
            self.outage = bool(changes.get("outage", True))
            self.outage_remaining = int(requests) if self.outage and requests is not None else None
        if "delay" in changes:
            self.delay = _non_negative(changes["delay"], "delay")
        if "callback_delay" in changes:
            self.callback_delay = _non_negative(changes["callback_delay"], "callback_delay")
        if "callbacks" in changes:
            self.callbacks = bool(changes["callbacks"])
        for number, code in _mapping(changes.get("create_errors"), "create_errors").items():
            _set_or_clear(self.create_errors, number, None if code is None else int(code))
        for number, outcome in _mapping(changes.get("outcomes"), "outcomes").items():
            _set_or_clear(self.outcomes, number, None if outcome is None else Outcome.parse(outcome))

    def as_json(self) -> dict:
        return {
            "outage": self.outage,
            "outage_requests": self.outage_remaining,
            "delay": self.delay,
            "create_errors": dict(self.create_errors),
            "outcomes": {
                number: {"status": outcome.status, "error_code": outcome.error_code}
                for number, outcome in self.outcomes.items()
            },
            "callbacks": self.callbacks,
            "callback_delay": self.callback_delay,
        }


def _non_negative(value: object, name: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    return number


def _mapping(value: object, name: str) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must map phone numbers to values")
    return value


def _set_or_clear(table: dict, key: str, value: object) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
