"""Whether a failed SMS is worth retrying, and how long to wait before the next try.

`classify(code, http_status)` reads a Twilio error code (from a REST error body or the `ErrorCode` of a
status callback) and the HTTP status of the failed request:

- no code and no status (timeout, refused connection, reset) -> transient
- a code in one of the tables below -> what the table says
- otherwise HTTP 5xx, 408 and 429 -> transient: the failure is on the path, not in the request
- everything else, including unknown codes -> permanent

Why unknown codes are permanent: whichever way we guess, no task is lost, because a permanent failure sends
the task down its fallback path (another volunteer, or back to a person at the helpline). Retrying a
permanent failure only delays that fallback by the whole backoff schedule, and Twilio answers an identical
request with the same 4xx every time. Someone waiting for a prescription is better served by the fast
fallback, so the default is permanent and the retries are kept for failures known to clear by themselves.
"""

import random
from typing import Literal, Protocol

Classification = Literal["transient", "permanent"]

TRANSIENT_CODES: dict[int, str] = {
    20429: "too many requests",
    20500: "Twilio internal server error",
    20503: "Twilio service unavailable",
    30001: "queue overflow",
    30003: "unreachable destination handset (phone off or out of signal)",
    30008: "unknown error (Twilio advises retrying)",
    30009: "missing segment",
    30017: "carrier network congestion",
    30022: "rate limit exceeded",
}

PERMANENT_CODES: dict[int, str] = {
    20003: "authentication failed",
    20404: "resource not found",
    21211: "invalid 'To' number",
    21408: "sending to this region is not enabled",
    21602: "message body is required",
    21603: "a 'From' number is required",
    21604: "a 'To' number is required",
    21606: "'From' number is not SMS-capable",
    21610: "recipient has opted out (replied STOP)",
    21612: "'To' number cannot be reached by SMS from this 'From' number",
    21614: "'To' number is not a mobile (landline)",
    21617: "body longer than 1600 characters",
    30002: "account suspended",
    30004: "message blocked",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
    30007: "filtered as spam by the carrier",
    30010: "price exceeds the maximum price",
}

TRANSIENT_HTTP_STATUSES = frozenset({408, 429})


class SmsSendError(Exception):
    """The one exception an SMS sender raises, whatever went wrong underneath."""

    def __init__(self, code: int | None, status: int | None, message: str, transient: bool):
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.transient = transient

    @classmethod
    def classified(cls, code: int | None, status: int | None, message: str) -> "SmsSendError":
        return cls(code, status, message, transient=is_transient(code, status))

    def __repr__(self) -> str:
        return (
            f"SmsSendError(code={self.code!r}, status={self.status!r}, "
            f"message={self.message!r}, transient={self.transient!r})"
        )


def classify(code: int | None, http_status: int | None) -> Classification:
    if code is None and http_status is None:
        return "transient"
    if code in TRANSIENT_CODES:
        return "transient"
    if code in PERMANENT_CODES:
        return "permanent"
    if http_status is not None and (http_status >= 500 or http_status in TRANSIENT_HTTP_STATUSES):
        return "transient"
    return "permanent"


def is_transient(code: int | None, http_status: int | None) -> bool:
    return classify(code, http_status) == "transient"


class UniformSource(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


_MAX_EXPONENT = 62


def backoff_delay(attempt: int, base: float = 2.0, cap: float = 600.0, rng: UniformSource = random) -> float:
    """Seconds to wait before retry number `attempt` (0 for the first retry): "equal jitter", a uniform draw
    between half and all of min(cap, base * 2**attempt). The random half spreads retries after an outage so
    they do not arrive together; the fixed half means a number of attempts lasts at least a known time
    (`shortest_retry_window`), which "full jitter" (a draw from 0) cannot promise."""
    ceiling = backoff_ceiling(attempt, base, cap)
    return rng.uniform(ceiling / 2, ceiling)


def backoff_ceiling(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    if base <= 0 or cap <= 0:
        raise ValueError("base and cap must be positive")
    return min(cap, base * 2 ** min(attempt, _MAX_EXPONENT))


def shortest_retry_window(max_attempts: int, base: float = 2.0, cap: float = 600.0) -> float:
    """The least time, in seconds, from a text's first attempt to its last when every attempt fails
    transiently: the sum of the shortest waits between `max_attempts` attempts. An outage shorter than this
    never exhausts the attempts."""
    return sum(backoff_ceiling(attempt, base, cap) / 2 for attempt in range(max(max_attempts - 1, 0)))
