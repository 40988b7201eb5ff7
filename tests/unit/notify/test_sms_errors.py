import random

import pytest

from notify.errors import PERMANENT_CODES, TRANSIENT_CODES, SmsSendError, backoff_delay, classify


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


def test_backoff_is_full_jitter_under_a_doubling_ceiling():
    rng = random.Random(1234)
    expected_rng = random.Random(1234)
    for attempt, ceiling in [(0, 2.0), (1, 4.0), (2, 8.0), (5, 64.0), (9, 600.0), (40, 600.0)]:
        delay = backoff_delay(attempt, base=2.0, cap=600.0, rng=rng)
        assert delay == expected_rng.uniform(0.0, ceiling)
        assert 0.0 <= delay <= ceiling


def test_backoff_spreads_retries_over_the_whole_window():
    rng = random.Random(7)
    delays = [backoff_delay(3, base=1.0, cap=100.0, rng=rng) for _ in range(2000)]
    assert max(delays) <= 8.0
    assert min(delays) < 0.5
    assert max(delays) > 7.5
    assert 3.5 < sum(delays) / len(delays) < 4.5


def test_backoff_survives_huge_attempt_numbers():
    assert 0.0 <= backoff_delay(10_000, base=2.0, cap=30.0, rng=random.Random(0)) <= 30.0


@pytest.mark.parametrize(("attempt", "base", "cap"), [(-1, 2.0, 10.0), (0, 0.0, 10.0), (0, 2.0, -1.0)])
def test_backoff_rejects_nonsense(attempt, base, cap):
    with pytest.raises(ValueError, match="must be"):
        backoff_delay(attempt, base=base, cap=cap)
