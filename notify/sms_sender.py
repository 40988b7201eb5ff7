"""The SMS port: what the outbox needs from an SMS provider, and an in-memory sender for tests."""

from collections import deque
from dataclasses import dataclass
from typing import Protocol

from notify.errors import SmsSendError
from notify.sms_text import segment_count


@dataclass(frozen=True)
class SentMessage:
    sid: str
    status: str
    num_segments: int


class SmsSender(Protocol):
    def send(
        self, to: str, body: str, status_callback: str | None = None, reference: str | None = None
    ) -> SentMessage:
        """Hand one text to the provider. Raises SmsSendError, and nothing else, when it is not accepted.
        `status_callback` (Twilio) and `reference` (GOV.UK Notify) both name the outbox row and attempt, in
        the form each provider gives back with its delivery reports."""
        ...


@dataclass(frozen=True)
class RecordedSms:
    to: str
    body: str
    status_callback: str | None
    sid: str
    reference: str | None = None


class RecordingSmsSender:
    """Keeps every accepted text in `sent`; can be told to refuse the next sends or one number's sends."""

    def __init__(self) -> None:
        self.sent: list[RecordedSms] = []
        self.attempts = 0
        self._next_errors: deque[SmsSendError] = deque()
        self._errors_by_number: dict[str, SmsSendError] = {}

    def fail_next(self, *errors: SmsSendError) -> None:
        """The next sends raise these errors, one each, in order; later sends succeed again."""
        self._next_errors.extend(errors)

    def fail_number(self, to: str, error: SmsSendError | None) -> None:
        """Every send to `to` raises `error` (None clears it)."""
        if error is None:
            self._errors_by_number.pop(to, None)
        else:
            self._errors_by_number[to] = error

    def send(
        self, to: str, body: str, status_callback: str | None = None, reference: str | None = None
    ) -> SentMessage:
        self.attempts += 1
        if self._next_errors:
            raise self._next_errors.popleft()
        if to in self._errors_by_number:
            error = self._errors_by_number[to]
            raise SmsSendError(error.code, error.status, error.message, error.transient)
        sid = f"SM{self.attempts:032x}"
        self.sent.append(RecordedSms(to, body, status_callback, sid, reference))
        return SentMessage(sid=sid, status="queued", num_segments=segment_count(body))

    def bodies_to(self, to: str) -> list[str]:
        return [message.body for message in self.sent if message.to == to]
