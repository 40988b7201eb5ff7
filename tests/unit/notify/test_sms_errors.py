import random

import pytest

from config.settings import load_settings
from notify.errors import (
    PERMANENT_CODES,
    TRANSIENT_CODES,
    SmsSendError,
    backoff_delay,
    classify,
    shortest_retry_window,
)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        (None, None, "transient"),  # timeout or refused connection: no answer at all
        (None, 500, "transient"),
        (None, 502, "transient"),
        (None, 503, "transient"),
        (None, 429, "transient"),
        (None, 408, "transient"),
        (20429, 429, "transient"),
        (20503, 503, "transient"),
        (30001, None, "transient"),  # queue overflow, from a status callback
        (30003, None, "transient"),  # handset unreachable
        (30008, None, "transient"),  # unknown error, Twilio says retry
        (30017, None, "transient"),  # carrier congestion
        (21610, 400, "permanent"),  # opted out (STOP)
        (21211, 400, "permanent"),  # invalid To
        (21614, 400, "permanent"),  # landline
        (21408, 400, "permanent"),  # region not enabled
        (21612, 400, "permanent"),
        (21617, 400, "permanent"),  # body too long
        (20003, 401, "permanent"),  # bad credentials
        (30004, None, "permanent"),  # blocked
        (30005, None, "permanent"),  # unknown destination
        (30006, None, "permanent"),  # landline or unreachable carrier
        (30007, None, "permanent"),  # filtered
        (None, 400, "permanent"),
        (None, 404, "permanent"),
    ],
)
def test_classify_known_failures(code, status, expected):
    assert classify(code, status) == expected


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        (21999, 400, "permanent"),  # unknown code on a 4xx: fall back rather than retry
        (39999, None, "permanent"),  # unknown delivery error code
        (21999, 503, "transient"),  # unknown code but the server is failing: retry
        (21999, 429, "transient"),
    ],
)
def test_unknown_codes_follow_the_documented_default(code, status, expected):
    assert classify(code, status) == expected


def test_a_known_code_wins_over_the_http_status():
    assert classify(21610, 500) == "permanent"
    assert classify(30003, 400) == "transient"


def test_code_tables_do_not_overlap():
    assert not set(TRANSIENT_CODES) & set(PERMANENT_CODES)


@pytest.mark.parametrize(
    ("code", "status", "transient"), [(21211, 400, False), (None, None, True), (None, 503, True)]
)
def test_send_error_classified_sets_transient(code, status, transient):
    error = SmsSendError.classified(code, status, "boom")
    assert (error.code, error.status, error.message, error.transient) == (code, status, "boom", transient)
    assert str(error) == "boom"


def test_backoff_is_equal_jitter_under_a_doubling_ceiling():
    rng = random.Random(1234)
    expected_rng = random.Random(1234)
    for attempt, ceiling in [(0, 2.0), (1, 4.0), (2, 8.0), (5, 64.0), (9, 600.0), (40, 600.0)]:
        delay = backoff_delay(attempt, base=2.0, cap=600.0, rng=rng)
        assert delay == expected_rng.uniform(ceiling / 2, ceiling)
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_spreads_retries_over_the_upper_half_of_the_window():
    rng = random.Random(7)
    delays = [backoff_delay(3, base=1.0, cap=100.0, rng=rng) for _ in range(2000)]
    assert 4.0 <= min(delays) < 4.5
    assert 7.5 < max(delays) <= 8.0
    assert 5.5 < sum(delays) / len(delays) < 6.5


def test_the_shortest_retry_window_adds_the_shortest_waits():
    assert shortest_retry_window(1, base=2.0, cap=600.0) == 0
    assert shortest_retry_window(4, base=2.0, cap=600.0) == 1 + 2 + 4
    assert shortest_retry_window(13, base=2.0, cap=600.0) == 511 + 3 * 300


def test_the_default_retries_outlast_an_outage_of_hours_and_the_maximum_age():
    """The old defaults (6 attempts, full jitter from 0) could give up within seconds, 31 s on average, so a
    30 s Twilio outage lost offer texts. The defaults now retry for over 7 hours at the least, longer than a
    text other than an offer text is kept (SMS_MAX_AGE_SECONDS), with no wait longer than the cap."""
    settings = load_settings({})
    base, cap = settings["SMS_BACKOFF_BASE_SECONDS"], settings["SMS_BACKOFF_CAP_SECONDS"]
    window = shortest_retry_window(settings["SMS_MAX_ATTEMPTS"], base, cap)
    assert window >= 7 * 3600
    assert window >= settings["SMS_MAX_AGE_SECONDS"]
    assert settings["SMS_BACKOFF_CAP_SECONDS"] <= 600


def test_backoff_survives_huge_attempt_numbers():
    assert 0.0 <= backoff_delay(10_000, base=2.0, cap=30.0, rng=random.Random(0)) <= 30.0


@pytest.mark.parametrize(("attempt", "base", "cap"), [(-1, 2.0, 10.0), (0, 0.0, 10.0), (0, 2.0, -1.0)])
def test_backoff_rejects_nonsense(attempt, base, cap):
    with pytest.raises(ValueError, match="must be"):
        backoff_delay(attempt, base=base, cap=cap)
