"""What the fake GOV.UK Notify holds: its messages, its switches, and Notify's error answers."""

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from notify.fake_http import ProviderError

# Notify's test numbers: with a test key these end in a failure; any other number is delivered.
TEST_NUMBER_OUTCOMES = {"07700900002": "permanent-failure", "07700900003": "temporary-failure"}
DELIVERY_OUTCOMES = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")
MAX_BODY_LENGTH = 918  # Notify refuses a text longer than 918 characters (6 messages)
UK_MOBILE = re.compile(r"^(?:\+?44|0)7\d{9}$")


class NotifyError(ProviderError):
    """An error answer as Notify gives it: `{"status_code", "errors": [{"error", "message"}]}`."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message

    def body(self) -> dict:
        return {"status_code": self.status, "errors": [{"error": self.error, "message": self.message}]}


def auth_error(message: str) -> NotifyError:
    return NotifyError(403, "AuthError", message)


def bad_request(message: str) -> NotifyError:
    return NotifyError(400, "BadRequestError", message)


def validation_error(message: str) -> NotifyError:
    return NotifyError(400, "ValidationError", message)


def national(number: str) -> str:
    """`+447700900002`, `447700900002` and `07700900002` are one number: its national form."""
    digits = re.sub(r"[\s()-]", "", number)
    return (
        "0" + digits.removeprefix("+").removeprefix("44") if digits.lstrip("+").startswith("44") else digits
    )


def new_id() -> str:
    return str(uuid.uuid4())


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


@dataclass
class FakeNotification:
    id: str
    to: str
    body: str
    template_id: str
    reference: str | None
    sms_sender_id: str | None
    created_at: datetime
    status: str = "created"
    sent_at: datetime | None = None
    completed_at: datetime | None = None

    def created_json(self, base_url: str) -> dict:
        """Notify's 201 answer to POST /v2/notifications/sms."""
        return {
            "id": self.id,
            "reference": self.reference,
            "content": {"body": self.body, "from_number": "OneRouteIn"},
            "uri": f"{base_url}/v2/notifications/{self.id}",
            "template": {
                "id": self.template_id,
                "version": 1,
                "uri": f"{base_url}/v2/template/{self.template_id}",
            },
        }

    def as_json(self) -> dict:
        """Notify's GET /v2/notifications/<id> (the fields this fake keeps)."""
        return {
            "id": self.id,
            "reference": self.reference,
            "phone_number": self.to,
            "type": "sms",
            "status": self.status,
            "body": self.body,
            "template": {"id": self.template_id, "version": 1},
            "created_at": iso(self.created_at),
            "sent_at": iso(self.sent_at),
            "completed_at": iso(self.completed_at),
        }

    def receipt_json(self) -> dict:
        """The delivery receipt Notify POSTs to the service's callback URL."""
        return {
            "id": self.id,
            "reference": self.reference,
            "to": self.to,
            "status": self.status,
            "created_at": iso(self.created_at),
            "completed_at": iso(self.completed_at),
            "sent_at": iso(self.sent_at),
            "notification_type": "sms",
            "template_id": self.template_id,
            "template_version": 1,
        }


@dataclass
class Switches:
    """What a test or a developer can make the fake do (`update` takes the JSON of /_fake/control)."""

    outage: bool = False
    outage_remaining: int | None = None
    rate_limited: bool = False
    errors: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    callbacks: bool = True
    callback_delay: float = 0.05

    def update(self, changes: Mapping[str, object]) -> None:
        """Only the keys given change; a number mapped to null is cleared."""
        unknown = set(changes) - {
            "outage",
            "outage_requests",
            "rate_limited",
            "errors",
            "outcomes",
            "callbacks",
            "callback_delay",
        }
        if unknown:
            raise ValueError(f"unknown switches: {sorted(unknown)}")
        if "outage" in changes or "outage_requests" in changes:
            remaining = changes.get("outage_requests")
            self.outage = bool(changes.get("outage", True))
            self.outage_remaining = int(remaining) if self.outage and remaining is not None else None  # type: ignore[call-overload]
        if "rate_limited" in changes:
            self.rate_limited = bool(changes["rate_limited"])
        if "callbacks" in changes:
            self.callbacks = bool(changes["callbacks"])
        if "callback_delay" in changes:
            self.callback_delay = max(0.0, float(changes["callback_delay"]))  # type: ignore[arg-type]
        for number, error in dict(changes.get("errors") or {}).items():  # type: ignore[call-overload]
            _set_or_clear(self.errors, national(number), None if error is None else _error(error))
        for number, outcome in dict(changes.get("outcomes") or {}).items():  # type: ignore[call-overload]
            if outcome is not None and outcome not in DELIVERY_OUTCOMES:
                raise ValueError(f"outcome {outcome!r} is not one of {', '.join(DELIVERY_OUTCOMES)}")
            _set_or_clear(self.outcomes, national(number), outcome)

    def take_failure(self) -> NotifyError | None:
        """The error the next send gets from an outage or the rate limit, if any."""
        if self.outage:
            if self.outage_remaining is not None:
                self.outage_remaining -= 1
                if self.outage_remaining <= 0:
                    self.outage, self.outage_remaining = False, None
            return NotifyError(500, "Exception", "Internal server error")
        if self.rate_limited:
            return NotifyError(
                429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"
            )
        return None

    def error_for(self, number: str) -> NotifyError | None:
        found = self.errors.get(national(number))
        return NotifyError(*found) if found else None

    def outcome_for(self, number: str) -> str:
        key = national(number)
        return self.outcomes.get(key) or TEST_NUMBER_OUTCOMES.get(key, "delivered")

    def as_json(self) -> dict:
        return {
            "outage": self.outage,
            "outage_requests": self.outage_remaining,
            "rate_limited": self.rate_limited,
            "errors": {number: list(error) for number, error in self.errors.items()},
            "outcomes": dict(self.outcomes),
            "callbacks": self.callbacks,
            "callback_delay": self.callback_delay,
        }


def _error(value: object) -> tuple[int, str, str]:
    """`[400, "BadRequestError", "message"]` or `{"status": ..., "error": ..., "message": ...}`."""
    if isinstance(value, Mapping):
        return int(value["status"]), str(value["error"]), str(value["message"])
    status, error, message = value  # type: ignore[misc]
    return int(status), str(error), str(message)


def _set_or_clear(table: dict, key: str, value: object) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
